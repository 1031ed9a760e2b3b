//! Coinbase Exchange (the `ws-feed` protocol). Docs:
//! <https://docs.cdp.coinbase.com/exchange/websocket-feed/channels> and
//! <https://docs.cdp.coinbase.com/api-reference/exchange-api/rest-api/products/get-product-candles>.
//!
//! The trap: a match's `side` is the MAKER's side, so the taker bought when it says `sell`.
//! `trade_id` counts up by one per product; intervals without trades have no candle.

mod connector;
pub mod depth;
pub mod instruments;
pub mod rest;
pub mod wire;

pub use connector::Coinbase;
