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
