//! Coinbase's side of the [`Connector`] seam: subscribe within 5 s (or be dropped) to
//! `matches` and `heartbeat`; the heartbeats keep a quiet product's connection visibly alive.

use crate::domain::{Symbol, Trade, Venue};
use crate::exchange::{Connector, Parsed, WireError};

pub struct Coinbase;

impl Connector for Coinbase {
    fn venue(&self) -> Venue {
        Venue::Coinbase
    }

    fn subscribe(&self, symbols: &[Symbol], _book: bool) -> Vec<String> {
        let ids: Vec<&str> = symbols.iter().map(|s| s.as_str()).collect();
        vec![
            serde_json::json!({"type": "subscribe", "product_ids": ids, "channels": ["matches", "heartbeat"]})
                .to_string(),
        ]
    }

    fn has_book(&self) -> bool {
        true
    }

    /// Books come from the Advanced Trade feed (see `depth`).
    fn books_apart(&self) -> bool {
        true
    }

    fn subscribe_apart(&self, symbols: &[Symbol], books: bool) -> Vec<String> {
        if !books {
            return Vec::new();
        }
        let ids: Vec<&str> = symbols.iter().map(|s| s.as_str()).collect();
        super::depth::subscribe(&ids)
    }

    fn parse(&self, frame: &[u8], out: &mut Vec<Trade>) -> Result<Parsed, WireError> {
        super::wire::parse(frame, out)
    }
}
