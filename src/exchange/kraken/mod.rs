//! Kraken spot, WebSocket v2 and REST. Docs:
//! <https://docs.kraken.com/api/docs/websocket-v2/trade>,
//! <https://docs.kraken.com/api/docs/rest-api/get-ohlc-data>,
//! <https://docs.kraken.com/api/docs/rest-api/get-recent-trades>.
//!
//! Traps: v2 sends prices and sizes as JSON numbers (read from their digits, never through
//! `f64`); v2 writes `BTC/USD` where REST writes `XBTUSD`; OHLC only serves the last 720
//! candles, so older ranges are rebuilt from REST trades. Empty minutes are emitted flat.

mod connector;
pub mod depth;
pub mod instruments;
pub mod rest;
pub mod wire;

pub use connector::Kraken;

/// This venue in the registry.
pub static ENTRY: super::registry::VenueEntry = super::registry::VenueEntry {
    venue: crate::domain::Venue::Kraken,
    connector: &Kraken,
    rest: &rest::KrakenRest,
    ws_url: "wss://ws.kraken.com/v2",
    rest_url: "https://api.kraken.com",
    book_ws_url: None,
    sample_trade,
};

/// A trade frame of this venue's market stream, for `bench`.
fn sample_trade(t: &super::registry::SampleTrade<'_>) -> String {
    // v2 writes prices and sizes as JSON numbers.
    format!(
        r#"{{"channel":"trade","type":"update","data":[{{"symbol":"BTC/USD","side":"{}","price":{},"qty":{},"ord_type":"market","trade_id":{},"timestamp":"{}"}}]}}"#,
        if t.buy { "buy" } else { "sell" },
        t.price,
        t.qty,
        t.id,
        t.time()
    )
}
