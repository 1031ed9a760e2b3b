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

/// This venue in the registry.
pub static ENTRY: super::registry::VenueEntry = super::registry::VenueEntry {
    venue: crate::domain::Venue::Coinbase,
    connector: &Coinbase,
    rest: &rest::CoinbaseRest,
    ws_url: "wss://ws-feed.exchange.coinbase.com",
    rest_url: "https://api.exchange.coinbase.com",
    book_ws_url: Some("wss://advanced-trade-ws.coinbase.com"),
    sample_trade,
};

/// A trade frame of this venue's market stream, for `bench`.
fn sample_trade(t: &super::registry::SampleTrade<'_>) -> String {
    // `side` is the maker's: the taker bought when the maker sold.
    format!(
        r#"{{"type":"match","trade_id":{},"maker_order_id":"ac928c66-ca53-498f-9c13-a110027a60e8","taker_order_id":"132fb6ae-456b-4654-b4e0-d681ac05cea1","side":"{}","size":"{}","price":"{}","product_id":"BTC-USD","sequence":{},"time":"{}"}}"#,
        t.id,
        if t.buy { "sell" } else { "buy" },
        t.qty,
        t.price,
        t.id * 3,
        t.time()
    )
}
