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
