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

/// This venue in the registry.
pub static ENTRY: super::registry::VenueEntry = super::registry::VenueEntry {
    venue: crate::domain::Venue::Okx,
    connector: &Okx,
    rest: &rest::OkxRest,
    ws_url: "wss://ws.okx.com:8443/ws/v5/business",
    rest_url: "https://www.okx.com",
    book_ws_url: Some("wss://ws.okx.com:8443/ws/v5/public"),
    sample_trade,
};

/// A trade frame of this venue's market stream, for `bench`.
fn sample_trade(t: &super::registry::SampleTrade<'_>) -> String {
    format!(
        r#"{{"arg":{{"channel":"trades-all","instId":"BTC-USDT"}},"data":[{{"instId":"BTC-USDT","tradeId":"{}","px":"{}","sz":"{}","side":"{}","ts":"{}"}}]}}"#,
        t.id,
        t.price,
        t.qty,
        if t.buy { "buy" } else { "sell" },
        t.micros / 1000
    )
}
