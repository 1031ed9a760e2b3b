//! Binance's partial book depth stream, `<symbol>@depth20@100ms`: the top 20 levels of each
//! side, whole, ten times a second. Docs: <https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-streams.md#partial-book-depth-streams>.
//!
//! On a combined stream (doc example, wrapped):
//! `{"stream":"bnbbtc@depth20@100ms","data":{"lastUpdateId":160,"bids":[["0.0024","10"]],
//! "asks":[["0.0026","100"]]}}`. The payload names neither its symbol nor its kind, so the
//! stream name says both ([`super::wire`] reads the envelope).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::domain::{Book, Venue};
use crate::exchange::wire::{WireError, book, symbol};

/// The depth stream cryptoviz asks for: 20 levels, every 100 ms.
pub const DEPTH_STREAM: &str = "depth20@100ms";

#[derive(Deserialize)]
struct Depth<'a> {
    #[serde(borrow)]
    bids: Vec<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    asks: Vec<Vec<Cow<'a, str>>>,
}

/// The book of a depth stream's payload `data`; `stream` (`bnbbtc@depth20@100ms`) names its
/// symbol.
pub(super) fn book_of(stream: &str, data: &RawValue) -> Result<Book, WireError> {
    let depth: Depth<'_> = serde_json::from_str(data.get()).map_err(WireError::json)?;
    let name = stream.split('@').next().unwrap_or_default();
    let symbol = symbol(Venue::Binance, &name.to_ascii_uppercase())?;
    book(symbol, &depth.bids, &depth.asks, None)
}

#[cfg(test)]
mod tests {
    use crate::exchange::binance::{Frame, parse_frame};
    use crate::exchange::wire::WireError;

    fn depth(frame: &[u8]) -> Result<crate::domain::Book, WireError> {
        match parse_frame(frame)? {
            Frame::Book(b) => Ok(b),
            other => panic!("not a book: {other:?}"),
        }
    }

    #[test]
    fn the_doc_example_on_a_combined_stream() {
        let frame = br#"{"stream":"bnbbtc@depth20@100ms","data":{"lastUpdateId":160,"bids":[["0.0024","10"],["0.0023","0"]],"asks":[["0.0026","100"]]}}"#;
        let b = depth(frame).unwrap();
        assert_eq!(b.symbol.to_string(), "binance:BNBBTC");
        assert_eq!(b.bids.len(), 1, "a zero-size level is no level");
        assert_eq!(b.bids[0].price.to_string(), "0.0024");
        assert_eq!(b.asks[0].qty.to_string(), "100");
        assert_eq!(b.spread().unwrap().to_string(), "0.0002");
    }

    #[test]
    fn a_spaced_snapshot_is_a_book_not_a_malformed_frame() {
        let frame = br#"{ "stream" : "btcusdt@depth20@100ms", "data" : { "lastUpdateId" : 1, "bids" : [ [ "100", "1" ] ], "asks" : [ [ "101", "2" ] ] } }"#;
        assert_eq!(depth(frame).unwrap().asks[0].qty.to_string(), "2");
    }

    #[test]
    fn other_frames_are_not_depth_and_bad_depth_is_an_error() {
        let trade = br#"{"stream":"btcusdt@trade","data":{"e":"trade"}}"#;
        assert!(!matches!(parse_frame(trade), Ok(Frame::Book(_))));
        assert!(matches!(
            parse_frame(br#"{"result":null,"id":1}"#),
            Ok(Frame::Ack { .. })
        ));
        let crossed = br#"{"stream":"btcusdt@depth20@100ms","data":{"lastUpdateId":1,"bids":[["101","1"]],"asks":[["100","1"]]}}"#;
        assert!(matches!(depth(crossed), Err(WireError::Book(_))));
        let garbage = br#"{"stream":"btcusdt@depth20@100ms","data":{"bids":[["x"]]}}"#;
        assert!(depth(garbage).is_err());
    }
}
