//! Bybit's side of the [`Connector`] seam: `publicTrade.<SYMBOL>` topics, at most 10 per
//! subscribe request on spot; `{"op":"ping"}` every 20 s as Bybit asks.

use std::time::Duration;

use crate::domain::{Symbol, Trade, Venue};
use crate::exchange::{Connector, Parsed, WireError};

/// The stream of one [`Category`](super::Category).
pub struct Bybit(pub super::Category);

/// Spot accepts at most this many topics per subscribe request (linear has no such limit,
/// but the same batches do).
const TOPICS_PER_REQUEST: usize = 10;

impl Connector for Bybit {
    fn venue(&self) -> Venue {
        self.0.venue
    }

    fn has_book(&self) -> bool {
        true
    }

    /// `publicTrade.<SYMBOL>`, and `orderbook.50.<SYMBOL>` when books are wanted.
    fn subscribe(&self, symbols: &[Symbol], book: bool) -> Vec<String> {
        let mut topics = Vec::new();
        for s in symbols {
            topics.push(format!("publicTrade.{}", s.as_str()));
            // A perp's mark, index, funding and open interest, and its liquidations.
            if self.0.venue.is_perp() {
                topics.push(format!("tickers.{}", s.as_str()));
                topics.push(format!("allLiquidation.{}", s.as_str()));
            }
            if book {
                topics.push(format!("orderbook.{}.{}", super::depth::DEPTH, s.as_str()));
            }
        }
        topics
            .chunks(TOPICS_PER_REQUEST)
            .map(|chunk| serde_json::json!({"op": "subscribe", "args": chunk}).to_string())
            .collect()
    }

    fn ping(&self) -> Option<(Duration, &'static str)> {
        Some((Duration::from_secs(20), r#"{"op":"ping"}"#))
    }

    fn parse(&self, frame: &[u8], out: &mut Vec<Trade>) -> Result<Parsed, WireError> {
        super::wire::parse_on(self.0.venue, frame, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_hold_ten_topics_at_most() {
        let syms: Vec<Symbol> = (0..12)
            .map(|i| Symbol::new(&format!("bybit:S{i}USDT")).unwrap())
            .collect();
        let msgs = Bybit(super::super::SPOT).subscribe(&syms, false);
        assert_eq!(msgs.len(), 2);
        assert!(msgs[0].contains("publicTrade.S0USDT"));
        assert!(msgs[1].contains("publicTrade.S11USDT"));
        // With books, each symbol takes two topics.
        let msgs = Bybit(super::super::SPOT).subscribe(&syms[..6], true);
        assert_eq!(msgs.len(), 2);
        assert!(msgs[0].contains("orderbook.50.S0USDT"));
        assert!(msgs[1].contains("orderbook.50.S5USDT"));
    }
}
