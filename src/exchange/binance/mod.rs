//! Binance spot: wire types and the WebSocket client.
//!
//! `wire` turns frames into domain [`Trade`](crate::domain::Trade)s without allocating, `ws`
//! keeps one combined-stream connection alive for every configured symbol, and `stats` exposes
//! its counters to health and metrics.

mod scan;
pub mod stats;
pub mod wire;
pub mod ws;

pub use stats::{StreamStats, StreamStatsSnapshot};
pub use wire::{Frame, TimeUnit, WireError, parse_frame, parse_frame_with};
pub use ws::{WsSettings, run};
