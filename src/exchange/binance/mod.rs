//! Binance spot. Docs: <https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-streams.md>.
//!
//! `wire` turns frames into domain [`Trade`](crate::domain::Trade)s without allocating (with the
//! hand-rolled fast path in `scan`), `rest` pages `GET /api/v3/klines`. One combined-stream
//! connection carries every symbol: the streams are named in the URL, so nothing is sent.

mod connector;
pub mod depth;
pub mod instruments;
pub mod rest;
mod scan;
pub mod wire;

pub use connector::Binance;
pub use wire::{Frame, TimeUnit, WireError, parse_frame, parse_frame_with};

/// This venue in the registry.
pub static ENTRY: super::registry::VenueEntry = super::registry::VenueEntry {
    venue: crate::domain::Venue::Binance,
    connector: &Binance,
    rest: &rest::BinanceRest(rest::SPOT),
    ws_url: "wss://data-stream.binance.vision",
    rest_url: "https://data-api.binance.vision",
    book_ws_url: None,
    sample_trade,
    sample_swap_trade: None,
    derivs_rest: None,
};

/// A trade frame of this venue's market stream, for `bench`.
fn sample_trade(t: &super::registry::SampleTrade<'_>) -> String {
    let ms = t.micros / 1000;
    format!(
        r#"{{"stream":"btcusdt@trade","data":{{"e":"trade","E":{},"s":"BTCUSDT","t":{},"p":"{}","q":"{}","T":{ms},"m":{},"M":true}}}}"#,
        ms + 1,
        t.id,
        t.price,
        t.qty,
        !t.buy
    )
}

/// Every documented Binance message, in any JSON layout.
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
                    r#"{"stream":"bnbbtc@trade","data":{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}}"#,
                ),
                Stream(
                    r#"{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}"#,
                ),
                Stream(
                    r#"{"stream":"bnbbtc@aggTrade","data":{"e":"aggTrade","E":1672515782136,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":1672515782136,"m":true,"M":true}}"#,
                ),
                Stream(
                    r#"{"stream":"bnbbtc@depth20@100ms","data":{"lastUpdateId":160,"bids":[["0.0024","10"],["0.0023","0"]],"asks":[["0.0026","100"]]}}"#,
                ),
                Stream(r#"{"e":"serverShutdown","E":1672515782136}"#),
                Stream(r#"{"result":null,"id":1}"#),
                Stream(r#"{"error":{"code":2,"msg":"Invalid request: unknown variant"},"id":1}"#),
                Stream(
                    r#"{"stream":"bnbbtc@kline_1m","data":{"e":"kline","E":1,"s":"BNBBTC","k":{"t":1}}}"#,
                ),
                Instruments(
                    r#"{"timezone":"UTC","serverTime":1565246363776,"rateLimits":[],"symbols":[{"symbol":"ETHBTC","status":"TRADING","baseAsset":"ETH","quoteAsset":"BTC","filters":[{"filterType":"PRICE_FILTER","minPrice":"0.01000000","maxPrice":"1000000.00000000","tickSize":"0.01000000"},{"filterType":"LOT_SIZE","minQty":"0.00001000","maxQty":"9000.00000000","stepSize":"0.00001000"}]},{"symbol":"OLDBTC","status":"BREAK","baseAsset":"OLD","quoteAsset":"BTC","filters":[]}]}"#,
                ),
                Candles(
                    Timeframe::M1,
                    r#"[[1704067200000,"42283.58000000","42298.62000000","42261.02000000","42298.61000000","35.92724000",1704067259999,"1519032.43633940",1327,"16.57450000","700760.09215620","0"]]"#,
                ),
                Answer(400, r#"{"code":-1121,"msg":"Invalid symbol."}"#),
                Answer(429, r#"{"code":-1003,"msg":"Too many requests."}"#),
            ],
        );
    }
}
