//! Kraken's side of the [`Connector`] seam: one `trade` subscription with a snapshot (the
//! last 50 trades: after a reconnect they overlap what was seen, and de-duplication by
//! `trade_id` keeps only the new ones). Heartbeats come once a second; an application ping
//! every 30 s is cheap insurance since the idle cut is not documented.

use std::time::Duration;

use crate::domain::{Symbol, Trade, Venue};
use crate::exchange::{Connector, Parsed, WireError};

pub struct Kraken;

impl Connector for Kraken {
    fn venue(&self) -> Venue {
        Venue::Kraken
    }

    fn has_book(&self) -> bool {
        true
    }

    /// The `trade` channel, and `book` at depth 10 when books are wanted.
    fn subscribe(&self, symbols: &[Symbol], book: bool) -> Vec<String> {
        let pairs: Vec<&str> = symbols.iter().map(|s| s.as_str()).collect();
        let mut msgs = vec![
            serde_json::json!({"method": "subscribe", "params": {"channel": "trade", "symbol": pairs, "snapshot": true}})
                .to_string(),
        ];
        if book {
            msgs.push(
                serde_json::json!({"method": "subscribe", "params": {"channel": "book", "symbol": pairs, "depth": super::depth::DEPTH}})
                    .to_string(),
            );
        }
        msgs
    }

    fn ping(&self) -> Option<(Duration, &'static str)> {
        Some((Duration::from_secs(30), r#"{"method":"ping"}"#))
    }

    fn parse(&self, frame: &[u8], out: &mut Vec<Trade>) -> Result<Parsed, WireError> {
        super::wire::parse(frame, out)
    }
}
