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

/// This venue in the registry.
pub static ENTRY: super::registry::VenueEntry = super::registry::VenueEntry {
    venue: crate::domain::Venue::Kraken,
    connector: &Kraken,
    rest: &rest::KrakenRest,
    ws_url: "wss://ws.kraken.com/v2",
    rest_url: "https://api.kraken.com",
    book_ws_url: None,
    sample_trade,
    sample_swap_trade: None,
    derivs_rest: None,
};

/// A trade frame of this venue's market stream, for `bench`.
fn sample_trade(t: &super::registry::SampleTrade<'_>) -> String {
    // v2 writes prices and sizes as JSON numbers.
    format!(
        r#"{{"channel":"trade","type":"update","data":[{{"symbol":"BTC/USD","side":"{}","price":{},"qty":{},"ord_type":"market","trade_id":{},"timestamp":"{}"}}]}}"#,
        if t.buy { "buy" } else { "sell" },
        t.price,
        t.qty,
        t.id,
        t.time()
    )
}

/// Every documented Kraken message, in any JSON layout.
#[cfg(test)]
mod layouts {
    use crate::domain::{Symbol, Timeframe, Venue};
    use crate::exchange::layout::{Example::*, assert_any_layout};

    #[test]
    fn every_documented_message_reads_the_same_in_any_json_layout() {
        let pair = Symbol::on(Venue::Kraken, b"BTC/USDT").unwrap();
        assert_any_layout(
            &super::ENTRY,
            &[
                Stream(
                    r#"{"channel":"trade","type":"update","data":[{"symbol":"MATIC/USD","side":"buy","price":0.5147,"qty":6423.46326,"ord_type":"limit","trade_id":4665846,"timestamp":"2023-09-25T07:48:36.925533Z"},{"symbol":"MATIC/USD","side":"sell","price":0.5146,"qty":100,"ord_type":"market","trade_id":4665847,"timestamp":"2023-09-25T07:49:37.708706Z"}]}"#,
                ),
                Stream(
                    r#"{"channel":"trade","type":"snapshot","data":[{"symbol":"BTC/USD","side":"sell","price":42000.5,"qty":0.1,"ord_type":"limit","trade_id":1,"timestamp":"2023-09-25T07:48:36Z"}]}"#,
                ),
                Stream(
                    r#"{"channel":"book","type":"snapshot","data":[{"symbol":"MATIC/USD","bids":[{"price":0.5666,"qty":4831.75496356},{"price":0.5665,"qty":6658.22734739}],"asks":[{"price":0.5668,"qty":4410.79769741}],"checksum":2439117997}]}"#,
                ),
                Stream(
                    r#"{"channel":"book","type":"update","data":[{"symbol":"MATIC/USD","bids":[{"price":0.5666,"qty":0.0},{"price":0.5664,"qty":1098.3947558}],"asks":[],"checksum":2114181697,"timestamp":"2023-10-06T17:35:55.440295Z"}]}"#,
                ),
                Stream(r#"{"channel":"heartbeat"}"#),
                Stream(
                    r#"{"channel":"status","type":"update","data":[{"api_version":"v2","connection_id":12393906104898154338,"system":"online","version":"2.0.0"}]}"#,
                ),
                Stream(
                    r#"{"method":"subscribe","result":{"channel":"trade","snapshot":true,"symbol":"BTC/USD"},"success":true,"time_in":"2023-09-25T09:04:31.742599Z","time_out":"2023-09-25T09:04:31.742648Z"}"#,
                ),
                Stream(
                    r#"{"method":"subscribe","error":"Currency pair not supported XXX/USD","success":false,"symbol":"XXX/USD","time_in":"2023-09-25T09:04:31.742599Z","time_out":"2023-09-25T09:04:31.742648Z"}"#,
                ),
                Stream(
                    r#"{"method":"pong","req_id":1,"time_in":"2023-09-24T14:10:23.799685Z","time_out":"2023-09-24T14:10:23.799703Z"}"#,
                ),
                Instruments(include_str!(
                    "../../../tests/fixtures/kraken/rest-assetpairs.json"
                )),
                Instruments(
                    r#"{"error":[],"result":{"XDGUSD":{"wsname":"XDG/USD","status":"online"},"GONEUSD":{"wsname":"GONE/USD","status":"delisted"}}}"#,
                ),
                Candles(
                    Timeframe::M1,
                    r#"{"error":[],"result":{"XBTUSDT":[[1762777020,"106038.2","106038.2","106038.2","106038.2","0.0","0.00000000",0],[1762777080,"106040.1","106050.0","106030.0","106045.5","106045.5","0.25000000",3]],"last":1762777020}}"#,
                ),
                Trades(
                    pair,
                    r#"{"error":[],"result":{"XBTUSDT":[["105433.60000","0.00027625",1762795433.9717445,"b","l","",10218208],["105410.10000","0.00005000",1762795457.8467374,"s","m","",10218209]],"last":"1762795457846737400"}}"#,
                ),
                Answer(200, r#"{"error":["EQuery:Unknown asset pair"]}"#),
                Answer(200, r#"{"error":["EGeneral:Too many requests"]}"#),
            ],
        );
    }
}
