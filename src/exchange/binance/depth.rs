//! Binance's partial book depth stream, `<symbol>@depth20@100ms`: the top 20 levels of each
//! side, whole, ten times a second. Docs: <https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-streams.md#partial-book-depth-streams>.
//!
//! On a combined stream (doc example, wrapped):
//! `{"stream":"bnbbtc@depth20@100ms","data":{"lastUpdateId":160,"bids":[["0.0024","10"]],
//! "asks":[["0.0026","100"]]}}`. The payload names neither its symbol nor its kind, so the
//! stream name says both.

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{Book, Venue};
use crate::exchange::wire::{WireError, book, symbol};

/// The depth stream cryptoviz asks for: 20 levels, every 100 ms.
pub const DEPTH_STREAM: &str = "depth20@100ms";

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    stream: Cow<'a, str>,
    #[serde(borrow)]
    data: Depth<'a>,
}

#[derive(Deserialize)]
struct Depth<'a> {
    #[serde(borrow)]
    bids: Vec<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    asks: Vec<Vec<Cow<'a, str>>>,
}

/// `Some` when the frame is a depth stream's (by its stream name), with the book or why it is
/// unusable; `None` for every other frame. Looks at the first bytes only, so trade frames pay
/// one short comparison.
pub fn parse_depth(frame: &[u8]) -> Option<Result<Book, WireError>> {
    let rest = frame.strip_prefix(br#"{"stream":""#)?;
    let name = &rest[..rest.iter().take(64).position(|&b| b == b'"')?];
    let at = name.iter().position(|&b| b == b'@')?;
    if !name[at + 1..].starts_with(b"depth") {
        return None;
    }
    Some(parse(frame))
}

fn parse(frame: &[u8]) -> Result<Book, WireError> {
    let e: Envelope<'_> = serde_json::from_slice(frame).map_err(WireError::json)?;
    let name = e.stream.split('@').next().unwrap_or_default();
    let symbol = symbol(Venue::Binance, &name.to_ascii_uppercase())?;
    book(symbol, &e.data.bids, &e.data.asks, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_doc_example_on_a_combined_stream() {
        let frame = br#"{"stream":"bnbbtc@depth20@100ms","data":{"lastUpdateId":160,"bids":[["0.0024","10"],["0.0023","0"]],"asks":[["0.0026","100"]]}}"#;
        let b = parse_depth(frame).unwrap().unwrap();
        assert_eq!(b.symbol.to_string(), "binance:BNBBTC");
        assert_eq!(b.bids.len(), 1, "a zero-size level is no level");
        assert_eq!(b.bids[0].price.to_string(), "0.0024");
        assert_eq!(b.asks[0].qty.to_string(), "100");
        assert_eq!(b.spread().unwrap().to_string(), "0.0002");
    }

    #[test]
    fn other_frames_are_not_depth_and_bad_depth_is_an_error() {
        let trade = br#"{"stream":"btcusdt@trade","data":{"e":"trade"}}"#;
        assert!(parse_depth(trade).is_none());
        assert!(parse_depth(br#"{"result":null,"id":1}"#).is_none());
        let crossed = br#"{"stream":"btcusdt@depth20@100ms","data":{"lastUpdateId":1,"bids":[["101","1"]],"asks":[["100","1"]]}}"#;
        assert!(matches!(
            parse_depth(crossed),
            Some(Err(WireError::Book(_)))
        ));
        let garbage = br#"{"stream":"btcusdt@depth20@100ms","data":{"bids":[["x"]]}}"#;
        assert!(matches!(parse_depth(garbage), Some(Err(_))));
    }
}
