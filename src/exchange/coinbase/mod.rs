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
    sample_swap_trade: None,
    derivs_rest: None,
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

/// Every documented Coinbase message, in any JSON layout.
#[cfg(test)]
mod layouts {
    use crate::domain::Timeframe;
    use crate::exchange::layout::{Example::*, assert_any_layout};

    #[test]
    fn every_documented_message_reads_the_same_in_any_json_layout() {
        assert_any_layout(
            &super::ENTRY,
            &[
                Stream(
                    r#"{"type":"match","trade_id":1568268,"maker_order_id":"ac928c66-ca53-498f-9c13-a110027a60e8","taker_order_id":"132fb6ae-456b-4654-b4e0-d681ac05cea1","side":"sell","size":"450","price":"0.791","product_id":"SKL-USD","sequence":201390075,"time":"2021-04-17T16:43:37.121358Z"}"#,
                ),
                Stream(
                    r#"{"type":"last_match","trade_id":1568267,"maker_order_id":"a","taker_order_id":"b","side":"buy","size":"1.5","price":"0.79","product_id":"SKL-USD","sequence":201390070,"time":"2021-04-17T16:43:36Z"}"#,
                ),
                Stream(
                    r#"{"type":"subscriptions","channels":[{"name":"matches","product_ids":["BTC-USD"]}]}"#,
                ),
                Stream(
                    r#"{"type":"heartbeat","last_trade_id":5,"product_id":"BTC-USD","sequence":1,"time":"2021-04-17T16:43:37Z"}"#,
                ),
                Stream(
                    r#"{"type":"error","message":"Failed to subscribe","reason":"XXX-USD is not a valid product"}"#,
                ),
                Stream(
                    r#"{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z","sequence_num":0,"events":[{"type":"snapshot","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"1970-01-01T00:00:00Z","price_level":"21921.73","new_quantity":"0.06317902"},{"side":"offer","event_time":"1970-01-01T00:00:00Z","price_level":"21921.74","new_quantity":"0.5"}]}]}"#,
                ),
                Stream(
                    r#"{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:51.000000000Z","sequence_num":1,"events":[{"type":"update","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"2023-02-09T20:32:50.9Z","price_level":"21921.73","new_quantity":"0"}]}]}"#,
                ),
                Stream(
                    r#"{"channel":"heartbeats","client_id":"","timestamp":"2023-06-23T20:31:26.122969572Z","sequence_num":0,"events":[{"current_time":"2023-06-23 20:31:56.121961769 +0000 UTC m=+91717.525857105","heartbeat_counter":"3049"}]}"#,
                ),
                Stream(
                    r#"{"channel":"subscriptions","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z","sequence_num":2,"events":[{"subscriptions":{"level2":["BTC-USD"]}}]}"#,
                ),
                Instruments(
                    r#"[{"id":"BTC-USD","base_currency":"BTC","quote_currency":"USD","quote_increment":"0.01","base_increment":"0.00000001","status":"online","trading_disabled":false},{"id":"OLD-USD","status":"delisted","trading_disabled":true}]"#,
                ),
                Candles(
                    Timeframe::H1,
                    r#"[[1710327600,73241.5,73402.47,73243.33,73370.65,1.56794406],[1710324000,73000,73300.1,73100,73243.33,2.5]]"#,
                ),
                Answer(404, r#"{"message":"NotFound"}"#),
            ],
        );
    }
}
