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
