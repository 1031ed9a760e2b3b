//! Exchange adapters.
pub mod binance;
