//! OKX's side of the [`Connector`] seam: `trades-all` (every fill, contiguous ids) per
//! instrument; the text `ping` every 20 s, since OKX drops a connection silent for 30 s.

use std::time::Duration;

use crate::domain::{Symbol, Trade, Venue};
use crate::exchange::contracts::ContractList;
use crate::exchange::{Connector, Parsed, WireError};

pub struct Okx;

impl Connector for Okx {
    fn venue(&self) -> Venue {
        Venue::Okx
    }

    fn subscribe(&self, symbols: &[Symbol], _book: bool) -> Vec<String> {
        let args: Vec<serde_json::Value> = symbols
            .iter()
            .map(|s| serde_json::json!({"channel": "trades-all", "instId": s.as_str()}))
            .collect();
        vec![serde_json::json!({"op": "subscribe", "args": args}).to_string()]
    }

    fn has_book(&self) -> bool {
        true
    }

    fn books_apart(&self) -> bool {
        true
    }

    /// On the public endpoint: `books5` per instrument when `books`, and each swap's mark,
    /// index, funding and open interest, with every swap's liquidations (the channel is by
    /// instrument type; the stream keeps those of the swaps asked for).
    fn subscribe_apart(&self, symbols: &[Symbol], books: bool) -> Vec<String> {
        let mut args: Vec<serde_json::Value> = Vec::new();
        for s in symbols {
            let id = s.as_str();
            if books {
                args.push(serde_json::json!({"channel": super::depth::CHANNEL, "instId": id}));
            }
            if s.is_perp() {
                for channel in ["mark-price", "funding-rate", "open-interest"] {
                    args.push(serde_json::json!({"channel": channel, "instId": id}));
                }
                let index = id.trim_end_matches("-SWAP");
                args.push(serde_json::json!({"channel": "index-tickers", "instId": index}));
            }
        }
        if symbols.iter().any(Symbol::is_perp) {
            args.push(serde_json::json!({"channel": "liquidation-orders", "instType": "SWAP"}));
        }
        if args.is_empty() {
            return Vec::new();
        }
        vec![serde_json::json!({"op": "subscribe", "args": args}).to_string()]
    }

    fn apart_needed(&self, symbols: &[Symbol]) -> bool {
        symbols.iter().any(Symbol::is_perp)
    }

    /// Swaps count contracts: their sizes come from the swap list.
    fn contracts_path(&self, symbols: &[Symbol]) -> Option<&'static str> {
        symbols
            .iter()
            .any(Symbol::is_perp)
            .then_some(super::instruments::SWAP_PATH)
    }

    fn decode_contracts(&self, body: &[u8]) -> Result<ContractList, String> {
        super::instruments::contract_sizes(body)
    }

    fn ping(&self) -> Option<(Duration, &'static str)> {
        Some((Duration::from_secs(20), "ping"))
    }

    fn parse(&self, frame: &[u8], out: &mut Vec<Trade>) -> Result<Parsed, WireError> {
        super::wire::parse(frame, out)
    }
}
