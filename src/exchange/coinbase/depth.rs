//! Coinbase's order book, from the Advanced Trade WebSocket's public `level2` channel
//! (`wss://advanced-trade-ws.coinbase.com`; the Exchange feed that carries `matches` wants an
//! authenticated connection for its own `level2`). A snapshot of the whole book, then
//! updates; `new_quantity` is the level's new size, "0" removes it. `heartbeats` is subscribed
//! too, since Advanced Trade closes a channel silent for 60 to 90 s. Docs:
//! <https://docs.cdp.coinbase.com/advanced-trade/docs/ws-channels#level2-channel>.
//!
//! `{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z",
//! "sequence_num":0,"events":[{"type":"snapshot","product_id":"BTC-USD","updates":[{"side":
//! "bid","event_time":"1970-01-01T00:00:00Z","price_level":"21921.73","new_quantity":
//! "0.06317902"},{"side":"offer",…}]}]}`.

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{BookUpdate, Level, Venue};
use crate::exchange::wire::{WireError, price, qty, rfc3339_micros, symbol};

#[derive(Deserialize)]
struct Push<'a> {
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    events: Vec<Event<'a>>,
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow, rename = "type")]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    product_id: Cow<'a, str>,
    #[serde(borrow)]
    updates: Vec<Update<'a>>,
}

#[derive(Deserialize)]
struct Update<'a> {
    #[serde(borrow)]
    side: Cow<'a, str>,
    #[serde(borrow)]
    price_level: Cow<'a, str>,
    #[serde(borrow)]
    new_quantity: Cow<'a, str>,
}

/// The subscriptions of the books-only connection.
pub fn subscribe(ids: &[&str]) -> Vec<String> {
    vec![
        serde_json::json!({"type": "subscribe", "product_ids": ids, "channel": "level2"})
            .to_string(),
        serde_json::json!({"type": "subscribe", "product_ids": ids, "channel": "heartbeats"})
            .to_string(),
    ]
}

/// The book changes of an `l2_data` push (the caller has read its channel).
pub fn parse_book(frame: &[u8]) -> Result<Vec<BookUpdate>, WireError> {
    let p: Push<'_> = serde_json::from_slice(frame).map_err(WireError::json)?;
    let time = match &p.timestamp {
        Some(t) => Some(rfc3339_micros(t)?.0),
        None => None,
    };
    p.events
        .iter()
        .map(|e| {
            let snapshot = match e.kind.as_ref() {
                "snapshot" => true,
                "update" => false,
                other => return Err(WireError::field("level2 type", other)),
            };
            let (mut bids, mut asks) = (Vec::new(), Vec::new());
            for u in &e.updates {
                let level = Level {
                    price: price(&u.price_level)?,
                    qty: qty(&u.new_quantity)?,
                };
                match u.side.as_ref() {
                    "bid" => bids.push(level),
                    "offer" | "ask" => asks.push(level),
                    other => return Err(WireError::field("side", other)),
                }
            }
            Ok(BookUpdate {
                symbol: symbol(Venue::Coinbase, &e.product_id)?,
                snapshot,
                // The whole book is sent and kept up to date.
                depth: usize::MAX,
                bids,
                asks,
                time,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::LocalBook;

    #[test]
    fn the_doc_snapshot_and_an_update() {
        let snap = br#"{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z","sequence_num":0,"events":[{"type":"snapshot","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"1970-01-01T00:00:00Z","price_level":"21921.73","new_quantity":"0.06317902"},{"side":"bid","event_time":"1970-01-01T00:00:00Z","price_level":"21921.3","new_quantity":"0.02"},{"side":"offer","event_time":"1970-01-01T00:00:00Z","price_level":"21921.74","new_quantity":"0.5"}]}]}"#;
        let update = br#"{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:51.000000000Z","sequence_num":1,"events":[{"type":"update","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"2023-02-09T20:32:50.9Z","price_level":"21921.73","new_quantity":"0"}]}]}"#;
        let mut local = LocalBook::default();
        let s = parse_book(snap).unwrap();
        let b = local.apply(&s[0]).unwrap().unwrap();
        assert_eq!(b.symbol.to_string(), "coinbase:BTC-USD");
        assert_eq!(b.spread().unwrap().to_string(), "0.01");
        let u = parse_book(update).unwrap();
        let b = local.apply(&u[0]).unwrap().unwrap();
        assert_eq!(b.bids[0].price.to_string(), "21921.3");
        assert_eq!(b.time, Some(1_675_974_771_000));
    }

    #[test]
    fn channels_by_their_value_not_their_place() {
        use crate::exchange::{Connector, Parsed};
        let read = |f: &[u8]| super::super::Coinbase.parse(f, &mut Vec::new());
        assert_eq!(
            read(br#"{"channel":"heartbeats","events":[]}"#),
            Ok(Parsed::Heartbeat)
        );
        assert_eq!(
            read(br#"{ "events" : [ ], "channel" : "heartbeats" }"#),
            Ok(Parsed::Heartbeat),
            "spaced, channel last: still a heartbeat"
        );
        let spaced_snapshot = br#"{ "events": [{"type": "snapshot", "product_id": "BTC-USD", "updates": [{"side": "bid", "price_level": "1", "new_quantity": "2"}]}], "channel": "l2_data" }"#;
        assert!(matches!(read(spaced_snapshot), Ok(Parsed::Book(b)) if b[0].bids.len() == 1));
        let bad = br#"{"channel":"l2_data","events":[{"type":"update","product_id":"BTC-USD","updates":[{"side":"middle","price_level":"1","new_quantity":"1"}]}]}"#;
        assert!(read(bad).is_err());
    }
}
