//! Kraken's v2 `book` channel at depth 10: a snapshot after subscribing, then changes (a
//! quantity of 0 removes a level; Kraken keeps 10 levels a side, so a level pushed out of
//! them is dropped). Docs: <https://docs.kraken.com/api/docs/websocket-v2/book>.
//!
//! `{"channel":"book","type":"snapshot","data":[{"symbol":"MATIC/USD","bids":[{"price":0.5666,
//! "qty":4831.75496356}],"asks":[{"price":0.5668,"qty":4410.79769741}],"checksum":2439117997}]}`;
//! `"type":"update"` for changes, with a `timestamp`. Prices and quantities are JSON numbers,
//! read from their digits. The CRC32 `checksum` needs the pair's precisions to rebuild and is
//! not checked: changes arrive in order on one connection, and a book that comes out crossed
//! waits for the next snapshot.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::domain::{BookUpdate, Level, Venue};
use crate::exchange::wire::{WireError, number_literal, rfc3339_micros, symbol};

/// Levels a side asked for (Kraken offers 10, 25, 100, 500, 1000).
pub const DEPTH: u32 = 10;

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
    symbol: Cow<'a, str>,
    #[serde(borrow, default)]
    bids: Vec<RawLevel<'a>>,
    #[serde(borrow, default)]
    asks: Vec<RawLevel<'a>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct RawLevel<'a> {
    #[serde(borrow)]
    price: &'a RawValue,
    #[serde(borrow)]
    qty: &'a RawValue,
}

/// The changes of a `book` push of type `kind`, whose `data` the caller has read.
pub fn parse_book(kind: &str, data: &RawValue) -> Result<Vec<BookUpdate>, WireError> {
    let entries: Vec<Entry<'_>> = serde_json::from_str(data.get()).map_err(WireError::json)?;
    let snapshot = match kind {
        "snapshot" => true,
        "update" => false,
        other => return Err(WireError::field("book type", other)),
    };
    let side = |levels: &[RawLevel<'_>]| -> Result<Vec<Level>, WireError> {
        levels
            .iter()
            .map(|l| {
                Ok(Level {
                    price: number_literal(l.price.get(), "price")?,
                    qty: number_literal(l.qty.get(), "quantity")?,
                })
            })
            .collect()
    };
    entries
        .iter()
        .map(|e| {
            Ok(BookUpdate {
                symbol: symbol(Venue::Kraken, &e.symbol)?,
                snapshot,
                depth: DEPTH as usize,
                bids: side(&e.bids)?,
                asks: side(&e.asks)?,
                time: match &e.timestamp {
                    Some(t) => Some(rfc3339_micros(t)?.0),
                    None => None,
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::domain::{BookUpdate, LocalBook};
    use crate::exchange::WireError;

    fn parse_book(frame: &[u8]) -> Option<Result<Vec<BookUpdate>, WireError>> {
        crate::exchange::connector::books_in(&super::super::Kraken, frame)
    }

    #[test]
    fn the_doc_snapshot_and_an_update() {
        let snap = br#"{"channel":"book","type":"snapshot","data":[{"symbol":"MATIC/USD","bids":[{"price":0.5666,"qty":4831.75496356},{"price":0.5665,"qty":6658.22734739}],"asks":[{"price":0.5668,"qty":4410.79769741},{"price":0.5669,"qty":4655.40412487}],"checksum":2439117997}]}"#;
        let update = br#"{"channel":"book","type":"update","data":[{"symbol":"MATIC/USD","bids":[{"price":0.5666,"qty":0.0},{"price":0.5664,"qty":1098.3947558}],"asks":[],"checksum":2114181697,"timestamp":"2023-10-06T17:35:55.440295Z"}]}"#;
        let mut local = LocalBook::default();
        let s = parse_book(snap).unwrap().unwrap();
        assert_eq!(s.len(), 1);
        assert!(s[0].snapshot);
        let b = local.apply(&s[0]).unwrap().unwrap();
        assert_eq!(b.symbol.to_string(), "kraken:MATIC/USD");
        assert_eq!(b.bids[0].qty.to_string(), "4831.75496356");
        let u = parse_book(update).unwrap().unwrap();
        let b = local.apply(&u[0]).unwrap().unwrap();
        let bids: Vec<String> = b.bids.iter().map(|l| l.price.to_string()).collect();
        assert_eq!(bids, ["0.5665", "0.5664"]);
        assert_eq!(b.time, Some(1_696_613_755_440));
    }

    #[test]
    fn other_channels_are_not_books() {
        assert!(parse_book(br#"{"channel":"trade","type":"update","data":[]}"#).is_none());
        assert!(parse_book(br#"{"channel":"heartbeat"}"#).is_none());
        let bad = br#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":"x","qty":1}]}]}"#;
        assert!(matches!(parse_book(bad), Some(Err(_))));
    }

    #[test]
    fn a_spaced_snapshot_is_a_book() {
        let spaced = br#"{ "type" : "snapshot", "data" : [ { "symbol" : "BTC/USD", "bids" : [ { "price" : 100.5, "qty" : 1 } ], "asks" : [ ] } ], "channel" : "book" }"#;
        let s = parse_book(spaced).unwrap().unwrap();
        assert_eq!(s[0].bids[0].price.to_string(), "100.5");
    }
}
