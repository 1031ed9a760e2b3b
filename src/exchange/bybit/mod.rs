//! Bybit v5 spot. Docs: <https://bybit-exchange.github.io/docs/v5/websocket/public/trade>,
//! <https://bybit-exchange.github.io/docs/v5/market/kline>.
//!
//! Traps: klines default to `category=linear` (perpetuals), so `spot` is always sent; a rate
//! limited IP gets HTTP 403; any `retCode` other than 0 is an error even with HTTP 200. Trade
//! ids are not documented as contiguous, so gaps show only as reconnects and silence.

mod connector;
pub mod depth;
pub mod instruments;
pub mod rest;
pub mod wire;

pub use connector::Bybit;

/// This venue in the registry.
pub static ENTRY: super::registry::VenueEntry = super::registry::VenueEntry {
    venue: crate::domain::Venue::Bybit,
    connector: &Bybit,
    rest: &rest::BybitRest,
    ws_url: "wss://stream.bybit.com/v5/public/spot",
    rest_url: "https://api.bybit.com",
    book_ws_url: None,
    sample_trade,
};

/// A trade frame of this venue's market stream, for `bench`.
fn sample_trade(t: &super::registry::SampleTrade<'_>) -> String {
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
