//! Bybit v5 spot. Docs: <https://bybit-exchange.github.io/docs/v5/websocket/public/trade>,
//! <https://bybit-exchange.github.io/docs/v5/market/kline>.
//!
//! Traps: klines default to `category=linear` (perpetuals), so `spot` is always sent; a rate
//! limited IP gets HTTP 403; any `retCode` other than 0 is an error even with HTTP 200. Trade
//! ids are not documented as contiguous, so gaps show only as reconnects and silence.

mod connector;
pub mod depth;
pub mod deriv_rest;
pub mod derivs;
pub mod instruments;
pub mod rest;
pub mod wire;

pub use connector::Bybit;

use crate::domain::Venue;

/// One of Bybit v5's product categories: spot and `linear` (USDT and USDC perpetuals) speak
/// the same messages on their own endpoints, and the REST API names the category in each
/// request (its default is `linear`, so spot is always said).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Category {
    pub venue: Venue,
    /// The `category` query value.
    pub name: &'static str,
    /// The market list (linear has more than the 500 a page holds by default).
    pub instruments_path: &'static str,
}

pub const SPOT: Category = Category {
    venue: Venue::Bybit,
    name: "spot",
    instruments_path: "/v5/market/instruments-info?category=spot",
};

pub const LINEAR: Category = Category {
    venue: Venue::BybitPerp,
    name: "linear",
    instruments_path: "/v5/market/instruments-info?category=linear&limit=1000",
};

/// This venue in the registry.
pub static ENTRY: super::registry::VenueEntry = super::registry::VenueEntry {
    venue: Venue::Bybit,
    connector: &Bybit(SPOT),
    rest: &rest::BybitRest(SPOT),
    ws_url: "wss://stream.bybit.com/v5/public/spot",
    rest_url: "https://api.bybit.com",
    book_ws_url: None,
    sample_trade,
    sample_swap_trade: None,
    derivs_rest: None,
};

/// A trade frame of this venue's market stream, for `bench`.
pub(crate) fn sample_trade(t: &super::registry::SampleTrade<'_>) -> String {
    let ms = t.micros / 1000;
    format!(
        r#"{{"topic":"publicTrade.BTCUSDT","ts":{},"type":"snapshot","data":[{{"i":"{}","T":{ms},"p":"{}","v":"{}","S":"{}","s":"BTCUSDT","BT":false}}]}}"#,
        ms + 2,
        t.id,
        t.price,
        t.qty,
        if t.buy { "Buy" } else { "Sell" }
    )
}

/// Every documented Bybit message, in any JSON layout.
#[cfg(test)]
mod layouts {
    use crate::domain::Timeframe;
    use crate::exchange::layout::{Example::*, assert_any_layout};

    #[test]
    fn every_documented_message_reads_the_same_in_any_json_layout() {
        assert_any_layout(
            &super::ENTRY,
            &[
                Stream(include_str!(
                    "../../../tests/fixtures/venues/bybit-publicTrade-spot.json"
                )),
                Stream(
                    r#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1672304484978,"data":{"s":"BTCUSDT","b":[["16493.50","0.006"],["16493.00","0.100"]],"a":[["16611.00","0.029"],["16612.00","0.213"]],"u":18521288,"seq":7961638724},"cts":1672304484976}"#,
                ),
                Stream(
                    r#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1672304484988,"data":{"s":"BTCUSDT","b":[["16493.50","0"]],"a":[["16611.00","0.5"]],"u":18521289,"seq":7961638725},"cts":1672304484986}"#,
                ),
                Stream(
                    r#"{"success":true,"ret_msg":"subscribe","conn_id":"2324d924-aa4d-45b0-a858-7b8be29ab52b","req_id":"10001","op":"subscribe"}"#,
                ),
                Stream(
                    r#"{"success":false,"ret_msg":"Invalid symbol :[publicTrade.XXX]","conn_id":"a","op":"subscribe"}"#,
                ),
                Stream(
                    r#"{"success":true,"ret_msg":"pong","conn_id":"0970e817-426e-429a-a679-ff7f55e0b16a","op":"ping"}"#,
                ),
                Stream(
                    r#"{"topic":"tickers.BTCUSDT","ts":1673853746003,"type":"snapshot","cs":2588407389,"data":{"symbol":"BTCUSDT","lastPrice":"21109.77"}}"#,
                ),
                Instruments(
                    r#"{"retCode":0,"retMsg":"OK","result":{"category":"spot","list":[{"symbol":"BTCUSDT","baseCoin":"BTC","quoteCoin":"USDT","status":"Trading","lotSizeFilter":{"basePrecision":"0.000001","quotePrecision":"0.00000001","minOrderQty":"0.000048","maxOrderQty":"71.73956243"},"priceFilter":{"tickSize":"0.01"}},{"symbol":"NEWUSDT","status":"PreLaunch"}]},"retExtInfo":{},"time":1672712468011}"#,
                ),
                Candles(
                    Timeframe::M1,
                    r#"{"retCode":0,"retMsg":"OK","result":{"category":"spot","symbol":"BTCUSDT","list":[["1670608860000","17071","17073","17027","17055.5","268611","15.74462667"],["1670608800000","17071.5","17071.5","17061","17071","4177","0.24469757"]]},"retExtInfo":{},"time":1672025956592}"#,
                ),
                Answer(
                    200,
                    r#"{"retCode":10006,"retMsg":"Too many visits!","result":{},"retExtInfo":{},"time":1}"#,
                ),
                Answer(
                    200,
                    r#"{"retCode":10001,"retMsg":"params error","result":{}}"#,
                ),
            ],
        );
    }
}
