//! OKX's `books5` channel: the top five levels of each side, whole, every 100 ms, on the
//! public endpoint (`/ws/v5/public`; the business endpoint that carries `trades-all` does not
//! have it, so books take a connection of their own). Docs:
//! <https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-order-book-channel>.
//!
//! A push (doc example): `{"arg":{"channel":"books5","instId":"BCH-USDT"},"data":[{"asks":
//! [["111.06","55154","0","2"]],"bids":[["111.05","57745","0","2"]],"instId":"BCH-USDT",
//! "ts":"1670324386802","seqId":363996337}]}`; each level is price, size, a deprecated field
//! and the number of orders.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::domain::{BookUpdate, Venue};
use crate::exchange::wire::{WireError, int_str, levels, symbol};

pub const CHANNEL: &str = "books5";
const DEPTH: usize = 5;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Snapshot<'a> {
    #[serde(borrow)]
    inst_id: Cow<'a, str>,
    #[serde(borrow)]
    ts: Cow<'a, str>,
    #[serde(borrow)]
    bids: Vec<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    asks: Vec<Vec<Cow<'a, str>>>,
}

/// The snapshots of a `books5` push's `data` (the caller has read its channel).
pub fn parse_book(data: &RawValue) -> Result<Vec<BookUpdate>, WireError> {
    let snapshots: Vec<Snapshot<'_>> = serde_json::from_str(data.get()).map_err(WireError::json)?;
    snapshots
        .iter()
        .map(|s| {
            Ok(BookUpdate {
                symbol: symbol(Venue::Okx, &s.inst_id)?,
                snapshot: true,
                depth: DEPTH,
                bids: levels(&s.bids)?,
                asks: levels(&s.asks)?,
                time: Some(int_str(&s.ts, "ts")?),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::domain::BookUpdate;
    use crate::exchange::WireError;

    fn parse_book(frame: &[u8]) -> Option<Result<Vec<BookUpdate>, WireError>> {
        crate::exchange::connector::books_in(&super::super::Okx, frame)
    }

    #[test]
    fn the_doc_example() {
        let frame = br#"{"arg":{"channel":"books5","instId":"BCH-USDT"},"data":[{"asks":[["111.06","55154","0","2"],["111.07","53276","0","2"]],"bids":[["111.05","57745","0","2"]],"instId":"BCH-USDT","ts":"1670324386802","seqId":363996337}]}"#;
        let u = parse_book(frame).unwrap().unwrap();
        assert_eq!(u.len(), 1);
        assert!(u[0].snapshot);
        assert_eq!(u[0].symbol.to_string(), "okx:BCH-USDT");
        assert_eq!(u[0].asks[1].price.to_string(), "111.07");
        assert_eq!(u[0].time, Some(1_670_324_386_802));
    }

    #[test]
    fn trades_are_not_books() {
        let trades = br#"{"arg":{"channel":"trades-all","instId":"BTC-USDT"},"data":[]}"#;
        assert!(parse_book(trades).is_none());
        let bad = br#"{"arg":{"channel":"books5","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","ts":"x","bids":[],"asks":[]}]}"#;
        assert!(matches!(parse_book(bad), Some(Err(_))));
    }
}
