//! Binance's side of the [`Connector`] seam.

use super::depth::DEPTH_STREAM;
use super::wire::{Frame, parse_frame};
use crate::domain::{BookUpdate, Symbol, Trade, Venue};
use crate::exchange::{Connector, Parsed, WireError};

pub struct Binance;

impl Connector for Binance {
    fn venue(&self) -> Venue {
        Venue::Binance
    }

    fn has_book(&self) -> bool {
        true
    }

    /// `<base>/stream?streams=btcusdt@trade/ethusdt@trade`: one connection for every symbol,
    /// with `btcusdt@depth20@100ms` beside each trade stream when books are wanted.
    fn url(&self, ws_url: &str, symbols: &[Symbol], book: bool) -> String {
        let mut streams: Vec<String> = Vec::new();
        for s in symbols {
            streams.push(format!("{}@trade", s.lower()));
            if book {
                streams.push(format!("{}@{DEPTH_STREAM}", s.lower()));
            }
        }
        format!(
            "{}/stream?streams={}",
            ws_url.trim_end_matches('/'),
            streams.join("/")
        )
    }

    fn subscribe(&self, _symbols: &[Symbol], _book: bool) -> Vec<String> {
        Vec::new()
    }

    fn parse(&self, frame: &[u8], out: &mut Vec<Trade>) -> Result<Parsed, WireError> {
        Ok(match parse_frame(frame)? {
            Frame::Trade(t) => {
                out.push(t);
                Parsed::Trades
            }
            Frame::Book(book) => Parsed::Book(vec![BookUpdate::snapshot(book)]),
            Frame::ServerShutdown { .. } => Parsed::Reconnect("server announced shutdown".into()),
            Frame::Ack { .. } => Parsed::Ack,
            Frame::Other(_) => Parsed::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_one_combined_stream_url() {
        let syms = [
            Symbol::new("BTCUSDT").unwrap(),
            Symbol::new("ethusdt").unwrap(),
        ];
        assert_eq!(
            Binance.url("wss://data-stream.binance.vision", &syms, false),
            "wss://data-stream.binance.vision/stream?streams=btcusdt@trade/ethusdt@trade"
        );
        assert_eq!(
            Binance.url("ws://127.0.0.1:9/", &syms[..1], false),
            "ws://127.0.0.1:9/stream?streams=btcusdt@trade"
        );
        assert_eq!(
            Binance.url("ws://127.0.0.1:9", &syms, true),
            "ws://127.0.0.1:9/stream?streams=btcusdt@trade/btcusdt@depth20@100ms/ethusdt@trade/ethusdt@depth20@100ms"
        );
    }

    #[test]
    fn depth_and_trades_on_one_connection() {
        let mut out = Vec::new();
        let depth = br#"{"stream":"btcusdt@depth20@100ms","data":{"lastUpdateId":7,"bids":[["42000.10","0.5"]],"asks":[["42000.20","1.25"]]}}"#;
        match Binance.parse(depth, &mut out).unwrap() {
            Parsed::Book(b) => assert_eq!(b[0].asks[0].qty.to_string(), "1.25"),
            other => panic!("{other:?}"),
        }
        assert!(out.is_empty());
        let trade = br#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1672515782136,"s":"BTCUSDT","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}}"#;
        assert_eq!(Binance.parse(trade, &mut out).unwrap(), Parsed::Trades);
        assert_eq!(out.len(), 1);
    }
}
