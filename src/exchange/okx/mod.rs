//! OKX v5. Docs: <https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-all-trades-channel>,
//! <https://www.okx.com/docs-v5/en/#order-book-trading-market-data-get-candlesticks-history>.
//!
//! Traps: the `trades` channel aggregates the fills of one taker order (`tradeId` is the last
//! fill's, `count` how many), so cryptoviz subscribes `trades-all` on the business endpoint,
//! one push per fill; everything is a string, times included; daily and longer bars open on
//! UTC+8 unless the `utc` bar names are used.

mod connector;
pub mod depth;
pub mod instruments;
pub mod rest;
pub mod wire;

pub use connector::Okx;
