//! Bybit's order book topic, `orderbook.50.<SYMBOL>` on spot: a snapshot of the top 50 levels
//! after subscribing, then changes every 20 ms (a size of "0" removes a level; a new snapshot
//! resets the book). Docs: <https://bybit-exchange.github.io/docs/v5/websocket/public/orderbook>.
//!
//! `{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1672304484978,"data":{"s":"BTCUSDT",
//! "b":[["16493.50","0.006"],["16493.00","0.100"]],"a":[["16611.00","0.029"]],"u":18521288,
//! "seq":7961638724},"cts":1672304484976}`; `"type":"delta"` for changes.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::domain::{BookUpdate, Venue};
use crate::exchange::wire::{WireError, levels, symbol};

/// The topic's depth: 50 levels a side (spot also offers 1 and 200).
pub const DEPTH: u32 = 50;

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    s: Cow<'a, str>,
    #[serde(borrow)]
    b: Vec<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    a: Vec<Vec<Cow<'a, str>>>,
}

/// The update of an order book push of type `kind` at `ts`, whose `data` the caller has read.
pub fn parse_book(kind: &str, ts: Option<i64>, data: &RawValue) -> Result<BookUpdate, WireError> {
    let data: Data<'_> = serde_json::from_str(data.get()).map_err(WireError::json)?;
    let snapshot = match kind {
        "snapshot" => true,
        "delta" => false,
        other => return Err(WireError::field("orderbook type", other)),
    };
    Ok(BookUpdate {
        symbol: symbol(Venue::Bybit, &data.s)?,
        snapshot,
        depth: DEPTH as usize,
        bids: levels(&data.b)?,
        asks: levels(&data.a)?,
        time: ts,
    })
}

#[cfg(test)]
mod tests {
    use crate::domain::{BookUpdate, LocalBook};
    use crate::exchange::WireError;

    /// A Bybit push carries one symbol's update.
    fn parse_book(frame: &[u8]) -> Option<Result<BookUpdate, WireError>> {
        crate::exchange::connector::books_in(&super::super::Bybit(super::super::SPOT), frame)
            .map(|r| r.map(|mut b| b.remove(0)))
    }

    #[test]
    fn the_doc_snapshot_and_a_delta() {
        let snap = br#"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1672304484978,"data":{"s":"BTCUSDT","b":[["16493.50","0.006"],["16493.00","0.100"]],"a":[["16611.00","0.029"],["16612.00","0.213"]],"u":18521288,"seq":7961638724},"cts":1672304484976}"#;
        let delta = br#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1672304484988,"data":{"s":"BTCUSDT","b":[["16493.50","0"]],"a":[["16611.00","0.5"]],"u":18521289,"seq":7961638725},"cts":1672304484986}"#;
        let mut local = LocalBook::default();
        let s = parse_book(snap).unwrap().unwrap();
        assert!(s.snapshot);
        let b = local.apply(&s).unwrap().unwrap();
        assert_eq!(b.symbol.to_string(), "bybit:BTCUSDT");
        assert_eq!(b.bids[0].price.to_string(), "16493.5");
        let d = parse_book(delta).unwrap().unwrap();
        assert!(!d.snapshot);
        let b = local.apply(&d).unwrap().unwrap();
        assert_eq!(
            b.bids[0].price.to_string(),
            "16493",
            "the best bid was removed"
        );
        assert_eq!(b.asks[0].qty.to_string(), "0.5");
        assert_eq!(b.time, Some(1_672_304_484_988));
    }

    #[test]
    fn trades_are_not_books_and_a_bad_push_is_an_error() {
        assert!(
            parse_book(br#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","data":[]}"#).is_none()
        );
        let bad = br#"{"topic":"orderbook.50.BTCUSDT","type":"weird","data":{"s":"BTCUSDT","b":[],"a":[]}}"#;
        assert!(matches!(parse_book(bad), Some(Err(_))));
    }
}
