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
    rest: &rest::BinanceRest,
    ws_url: "wss://data-stream.binance.vision",
    rest_url: "https://data-api.binance.vision",
    book_ws_url: None,
    sample_trade,
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
