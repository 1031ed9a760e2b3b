//! Binance USDⓈ-M perpetual futures. Docs:
//! <https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams>,
//! <https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Kline-Candlestick-Data>.
//!
//! The frames and klines are spot's format (the `binance` folder reads them); what differs is
//! where they are: `wss://fstream.binance.com/market/stream` (see [`connector`]) and
//! `https://fapi.binance.com/fapi/v1/klines` (1,000 rows at weight 5 of 2,400 a minute). Sizes
//! are in the base asset (one contract is one coin).

mod connector;
pub mod depth;
pub mod derivs;
pub mod history;

pub use connector::{BinancePerp, MARKET_ROUTE};

use super::binance::instruments::{USDM_PATH, decode_usdm};
use super::binance::rest::{BinanceRest, Market};
use super::rest::Budget;
use crate::domain::Venue;

/// `/fapi/v1/klines`: weight 5 for 500 to 1,000 rows; `REQUEST_WEIGHT` 2,400 a minute.
pub const USDM: Market = Market {
    venue: Venue::BinancePerp,
    klines_path: "/fapi/v1/klines",
    instruments_path: USDM_PATH,
    decode_instruments: decode_usdm,
    page_size: 1000,
    budget: Budget {
        per_minute: 2_400,
        request_weight: 5,
        used_header: Some("x-mbx-used-weight-1m"),
    },
};

/// This venue in the registry.
pub static ENTRY: super::registry::VenueEntry = super::registry::VenueEntry {
    venue: Venue::BinancePerp,
    connector: &BinancePerp,
    rest: &BinanceRest(USDM),
    ws_url: "wss://fstream.binance.com",
    rest_url: "https://fapi.binance.com",
    book_ws_url: Some("wss://fstream.binance.com/public/ws"),
    sample_trade,
    sample_swap_trade: None,
    derivs_rest: Some(&history::BinancePerpHistory),
};

/// An aggTrade frame of the `/market` route, for `bench`.
fn sample_trade(t: &super::registry::SampleTrade<'_>) -> String {
    let ms = t.micros / 1000;
    format!(
        r#"{{"stream":"btcusdt@aggTrade","data":{{"e":"aggTrade","E":{},"s":"BTCUSDT","a":{},"p":"{}","q":"{}","nq":"{}","f":{},"l":{},"T":{ms},"m":{}}}}}"#,
        ms + 1,
        t.id,
        t.price,
        t.qty,
        t.qty,
        t.id * 3,
        t.id * 3,
        !t.buy
    )
}

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
                    r#"{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100","nq":"100","f":100,"l":105,"T":123456785,"m":true}}"#,
                ),
                Stream(
                    r#"{"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}}"#,
                ),
                Stream(
                    r#"{"stream":"btcusdt@forceOrder","data":{"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.014","p":"9910","ap":"9910","X":"FILLED","l":"0.014","z":"0.014","T":1568014460893}}}"#,
                ),
                Stream(r#"{"result":null,"id":1}"#),
                Stream(
                    r#"{"e":"depthUpdate","E":1571889248277,"T":1571889248276,"s":"BTCUSDT","U":390497796,"u":390497878,"pu":390497794,"b":[["7405.43","2.562"],["7403.89","0.002"]],"a":[["7405.96","3.340"]]}"#,
                ),
                Instruments(
                    r#"{"timezone":"UTC","serverTime":1,"rateLimits":[],"symbols":[{"symbol":"BTCUSDT","pair":"BTCUSDT","contractType":"PERPETUAL","status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT","filters":[{"filterType":"PRICE_FILTER","minPrice":"556.80","maxPrice":"4529764","tickSize":"0.10"},{"filterType":"LOT_SIZE","stepSize":"0.001","maxQty":"1000","minQty":"0.001"}]}]}"#,
                ),
                Candles(
                    Timeframe::M1,
                    r#"[[1499040000000,"0.01634790","0.80000000","0.01575800","0.01577100","148976.11427815",1499040059999,"2434.19055334",308,"1756.87402397","28.46694368","17928899.62484339"]]"#,
                ),
                Answer(400, r#"{"code":-1121,"msg":"Invalid symbol."}"#),
            ],
        );
    }

    #[test]
    fn klines_from_the_futures_api() {
        let s = crate::domain::Symbol::new("binance-perp:BTCUSDT").unwrap();
        assert_eq!(
            super::ENTRY.rest.candles_path(s, Timeframe::M1, 0, 60_000),
            "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&startTime=0&endTime=119999&limit=1000"
        );
    }
}
