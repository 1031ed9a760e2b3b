//! Binance's side of the [`Connector`] seam.

use super::wire::{Frame, parse_frame};
use crate::domain::{Symbol, Trade, Venue};
use crate::exchange::{Connector, Parsed, WireError};

pub struct Binance;

impl Connector for Binance {
    fn venue(&self) -> Venue {
        Venue::Binance
    }

    /// `<base>/stream?streams=btcusdt@trade/ethusdt@trade`: one connection for every symbol.
    fn url(&self, ws_url: &str, symbols: &[Symbol]) -> String {
        let streams: Vec<String> = symbols
            .iter()
            .map(|s| format!("{}@trade", s.lower()))
            .collect();
        format!(
            "{}/stream?streams={}",
            ws_url.trim_end_matches('/'),
            streams.join("/")
        )
    }

    fn subscribe(&self, _symbols: &[Symbol]) -> Vec<String> {
        Vec::new()
    }

    fn parse(&self, frame: &[u8], out: &mut Vec<Trade>) -> Result<Parsed, WireError> {
        Ok(match parse_frame(frame)? {
            Frame::Trade(t) => {
                out.push(t);
                Parsed::Trades
            }
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
            Binance.url("wss://data-stream.binance.vision", &syms),
            "wss://data-stream.binance.vision/stream?streams=btcusdt@trade/ethusdt@trade"
        );
        assert_eq!(
            Binance.url("ws://127.0.0.1:9/", &syms[..1]),
            "ws://127.0.0.1:9/stream?streams=btcusdt@trade"
        );
    }
}
