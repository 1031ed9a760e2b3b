//! OKX v5. Docs: <https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-all-trades-channel>,
//! <https://www.okx.com/docs-v5/en/#order-book-trading-market-data-get-candlesticks-history>.
//!
//! Traps: the `trades` channel aggregates the fills of one taker order (`tradeId` is the last
//! fill's, `count` how many), so cryptoviz subscribes `trades-all` on the business endpoint,
//! one push per fill; everything is a string, times included; daily and longer bars open on
//! UTC+8 unless the `utc` bar names are used.

mod connector;
pub mod depth;
pub mod deriv_rest;
pub mod derivs;
pub mod instruments;
pub mod rest;
pub mod wire;

pub use connector::Okx;

/// This venue in the registry.
pub static ENTRY: super::registry::VenueEntry = super::registry::VenueEntry {
    venue: crate::domain::Venue::Okx,
    connector: &Okx,
    rest: &rest::OkxRest,
    ws_url: "wss://ws.okx.com:8443/ws/v5/business",
    rest_url: "https://www.okx.com",
    book_ws_url: Some("wss://ws.okx.com:8443/ws/v5/public"),
    sample_trade,
    sample_swap_trade: Some(sample_swap_trade),
    derivs_rest: Some(&deriv_rest::OkxDerivRest),
};

/// A trade frame of this venue's market stream, for `bench`.
fn sample_trade(t: &super::registry::SampleTrade<'_>) -> String {
    format!(
        r#"{{"arg":{{"channel":"trades-all","instId":"BTC-USDT"}},"data":[{{"instId":"BTC-USDT","tradeId":"{}","px":"{}","sz":"{}","side":"{}","ts":"{}"}}]}}"#,
        t.id,
        t.price,
        t.qty,
        if t.buy { "buy" } else { "sell" },
        t.micros / 1000
    )
}

/// A swap trade frame (`BTC-USDT-SWAP`, `sz` in contracts of
/// [`SAMPLE_CONTRACT`](super::registry::SAMPLE_CONTRACT)), for `bench`.
fn sample_swap_trade(t: &super::registry::SampleTrade<'_>) -> String {
    let coins = crate::domain::Qty::parse(t.qty).unwrap_or_default();
    let contract = crate::domain::Qty::parse(super::registry::SAMPLE_CONTRACT).unwrap_or_default();
    let contracts = crate::domain::Qty::from_raw(coins.raw() * 100_000_000 / contract.raw().max(1));
    format!(
        r#"{{"arg":{{"channel":"trades-all","instId":"BTC-USDT-SWAP"}},"data":[{{"instId":"BTC-USDT-SWAP","tradeId":"{}","px":"{}","sz":"{contracts}","side":"{}","ts":"{}"}}]}}"#,
        t.id,
        t.price,
        if t.buy { "buy" } else { "sell" },
        t.micros / 1000
    )
}

/// Every documented OKX message, in any JSON layout.
#[cfg(test)]
mod layouts {
    use crate::domain::Timeframe;
    use crate::exchange::layout::{Example::*, assert_any_layout};

    #[test]
    fn every_documented_message_reads_the_same_in_any_json_layout() {
        assert_any_layout(
            &super::ENTRY,
            &[
                Stream(
                    r#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"130639474","px":"42219.9","sz":"0.12060306","side":"buy","ts":"1630048897897","count":"3","source":"0","seqId":1234}]}"#,
                ),
                Stream(
                    r#"{"arg":{"channel":"trades-all","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"338476307","px":"29384.9","sz":"0.00001","side":"sell","ts":"1652459225504"}]}"#,
                ),
                Stream(
                    r#"{"arg":{"channel":"books5","instId":"BCH-USDT"},"data":[{"asks":[["111.06","55154","0","2"],["111.07","53276","0","2"]],"bids":[["111.05","57745","0","2"]],"instId":"BCH-USDT","ts":"1670324386802","seqId":363996337}]}"#,
                ),
                Stream(
                    r#"{"event":"subscribe","arg":{"channel":"trades-all","instId":"BTC-USDT"},"connId":"accb8e21"}"#,
                ),
                Stream(
                    r#"{"event":"error","code":"60012","msg":"Invalid request: {\"op\": \"subscribe\"}","connId":"a4d3ae55"}"#,
                ),
                Stream(
                    r#"{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade. Please reconnect.","connId":"a4d3ae55"}"#,
                ),
                Stream(
                    r#"{"event":"channel-conn-count","channel":"trades","connCount":"2","connId":"abcd1234"}"#,
                ),
                Stream(
                    r#"{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"instType":"SPOT","instId":"BTC-USDT","last":"9999.99"}]}"#,
                ),
                Instruments(
                    r#"{"code":"0","msg":"","data":[{"instType":"SPOT","instId":"BTC-USDT","baseCcy":"BTC","quoteCcy":"USDT","tickSz":"0.1","lotSz":"0.00000001","minSz":"0.00001","state":"live"},{"instType":"SPOT","instId":"OLD-USDT","state":"suspend"}]}"#,
                ),
                Candles(
                    Timeframe::M1,
                    r#"{"code":"0","msg":"","data":[["1747094040000","102806.1","102820.4","102806.1","102820.4","1040.37","10.4037","1069603.34883","1"],["1747093980000","102806","102820.5","102783.1","102806.1","7164.04","71.6404","7364701.57952","1"]]}"#,
                ),
                Answer(
                    200,
                    r#"{"code":"50011","msg":"Too Many Requests","data":[]}"#,
                ),
                Answer(
                    200,
                    r#"{"code":"51001","msg":"Instrument ID does not exist","data":[]}"#,
                ),
            ],
        );
    }
}
