//! Binance USDⓈ-M's side of the [`Connector`] seam: one combined-stream connection on the
//! `/market` route carrying each symbol's `aggTrade`, `markPrice@1s` and `forceOrder`, and for
//! a dashboard a second one on the `/public` route (`book_ws_url`) for the books.
//!
//! fstream routes streams by path (`/public` books, `/market` trades, mark prices and
//! liquidations) and a connection on the wrong route is not refused: it stays open and
//! silent. `markPrice@1s` pushes every second whatever the market does, so a connection that
//! has delivered nothing for a few seconds is known to be at the wrong address and says so.

use std::time::Duration;

use crate::domain::{BookUpdate, DerivEvent, Symbol, Trade, Venue};
use crate::exchange::binance::wire::event_of;
use crate::exchange::binance::{Frame, parse_frame};
use crate::exchange::{Connector, Parsed, WireError};

pub struct BinancePerp;

/// How often open interest is asked for: Binance's own statistics move in 5-minute steps,
/// and ten seconds keeps the strip and the alerts current at a weight of 6 a minute a symbol.
const OPEN_INTEREST_EVERY: Duration = Duration::from_secs(10);

/// The route that carries trades, mark prices and liquidations.
pub const MARKET_ROUTE: &str = "/market";

impl Connector for BinancePerp {
    fn venue(&self) -> Venue {
        Venue::BinancePerp
    }

    /// `<base>/market/stream?streams=btcusdt@aggTrade/btcusdt@markPrice@1s/btcusdt@forceOrder/…`.
    fn url(&self, ws_url: &str, symbols: &[Symbol], _book: bool) -> String {
        let streams: Vec<String> = symbols
            .iter()
            .flat_map(|s| {
                let l = s.lower();
                [
                    format!("{l}@aggTrade"),
                    format!("{l}@markPrice@1s"),
                    format!("{l}@forceOrder"),
                ]
            })
            .collect();
        format!(
            "{}{MARKET_ROUTE}/stream?streams={}",
            ws_url.trim_end_matches('/'),
            streams.join("/")
        )
    }

    fn subscribe(&self, _symbols: &[Symbol], _book: bool) -> Vec<String> {
        Vec::new()
    }

    fn has_book(&self) -> bool {
        true
    }

    /// Books are on the `/public` route only.
    fn books_apart(&self) -> bool {
        true
    }

    fn subscribe_apart(&self, symbols: &[Symbol], books: bool) -> Vec<String> {
        if !books || symbols.is_empty() {
            return Vec::new();
        }
        let names: Vec<String> = symbols.iter().map(|s| s.lower()).collect();
        vec![super::depth::subscribe(&names)]
    }

    fn silent_address(&self) -> Option<(Duration, &'static str)> {
        Some((
            Duration::from_secs(10),
            "Binance USDⓈ-M serves trades on the /market route only: check [venues.binance-perp] ws_url (wss://fstream.binance.com)",
        ))
    }

    /// Open interest has no stream: `GET /fapi/v1/openInterest` (weight 1) per symbol.
    fn polled(&self, symbols: &[Symbol]) -> Option<(Duration, Vec<String>)> {
        let paths: Vec<String> = symbols
            .iter()
            .map(|s| format!("/fapi/v1/openInterest?symbol={}", s.as_str()))
            .collect();
        (!paths.is_empty()).then_some((OPEN_INTEREST_EVERY, paths))
    }

    fn decode_polled(&self, body: &[u8]) -> Result<Vec<DerivEvent>, String> {
        super::derivs::decode_open_interest(body).map(|u| vec![DerivEvent::Update(u)])
    }

    fn parse(&self, frame: &[u8], out: &mut Vec<Trade>) -> Result<Parsed, WireError> {
        Ok(match parse_frame(frame)? {
            Frame::Trade(mut t) => {
                // The spot reader names the spot venue; the spelling is the same.
                t.symbol = t.symbol.on_venue(Venue::BinancePerp);
                out.push(t);
                Parsed::Trades
            }
            Frame::ServerShutdown { .. } => Parsed::Reconnect("server announced shutdown".into()),
            Frame::Ack { .. } => Parsed::Ack,
            Frame::Other(name) if name == "depthUpdate" => match event_of(frame)? {
                Some((_, payload)) => {
                    Parsed::Book(vec![BookUpdate::snapshot(super::depth::book_of(payload)?)])
                }
                None => Parsed::Other,
            },
            Frame::Other(name) if matches!(name.as_str(), "markPriceUpdate" | "forceOrder") => {
                match event_of(frame)? {
                    Some((name, payload)) => match super::derivs::read(&name, payload)? {
                        Some(event) => Parsed::Derivs(vec![event]),
                        None => Parsed::Other,
                    },
                    None => Parsed::Other,
                }
            }
            Frame::Book(_) | Frame::Other(_) => Parsed::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented partial depth event (raw and combined): the perp's book, whole, with
    /// zero-size levels dropped; the subscription on the `/public` route.
    #[test]
    fn the_documented_partial_depth_on_the_public_route() {
        // The documentation's example (bids lowest first), one bid emptied.
        let payload = r#"{"e":"depthUpdate","E":1571889248277,"T":1571889248276,"s":"BTCUSDT","U":390497796,"u":390497878,"pu":390497794,"b":[["7403.89","0.002"],["7403.90","3.906"],["7404.00","1.428"],["7404.85","5.239"],["7405.43","0"]],"a":[["7405.96","3.340"],["7406.63","4.525"],["7407.08","2.475"],["7407.15","4.800"],["7407.20","0.175"]]}"#;
        let combined = format!(r#"{{"stream":"btcusdt@depth20@100ms","data":{payload}}}"#);
        for frame in [payload.to_string(), combined] {
            let Parsed::Book(updates) = BinancePerp
                .parse(frame.as_bytes(), &mut Vec::new())
                .unwrap()
            else {
                panic!("not a book: {frame}");
            };
            let b = &updates[0];
            assert!(b.snapshot);
            assert_eq!(b.symbol.to_string(), "binance-perp:BTCUSDT");
            assert_eq!(b.bids.len(), 4, "a zero-size level is no level");
            assert_eq!(b.bids[0].price.to_string(), "7404.85", "best first");
            assert_eq!(b.bids[3].price.to_string(), "7403.89");
            assert_eq!(b.asks[0].qty.to_string(), "3.34");
            assert_eq!(b.time, Some(1571889248276));
        }
        let syms = [Symbol::new("binance-perp:BTCUSDT").unwrap()];
        assert_eq!(
            BinancePerp.subscribe_apart(&syms, true),
            vec![r#"{"method":"SUBSCRIBE","params":["btcusdt@depth20@100ms"],"id":1}"#]
        );
        assert!(BinancePerp.subscribe_apart(&syms, false).is_empty());
        assert!(matches!(
            BinancePerp
                .parse(br#"{"result":null,"id":1}"#, &mut Vec::new())
                .unwrap(),
            Parsed::Ack
        ));
    }

    #[test]
    fn one_connection_on_the_market_route() {
        let syms = [
            Symbol::new("binance-perp:BTCUSDT").unwrap(),
            Symbol::new("binance-perp:ethusdt").unwrap(),
        ];
        assert_eq!(
            BinancePerp.url("wss://fstream.binance.com/", &syms, false),
            "wss://fstream.binance.com/market/stream?streams=btcusdt@aggTrade/btcusdt@markPrice@1s/btcusdt@forceOrder/ethusdt@aggTrade/ethusdt@markPrice@1s/ethusdt@forceOrder"
        );
    }

    /// The documented aggTrade (with USDⓈ-M's newer `nq`): a trade of the perp, its count
    /// from `f..l`, the taker sold (`m`: the buyer made the market).
    #[test]
    fn the_documented_agg_trade() {
        let frame = br#"{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":123456789,"s":"BTCUSDT","a":5933014,"p":"0.001","q":"100","nq":"100","f":100,"l":105,"T":123456785,"m":true}}"#;
        let mut out = Vec::new();
        assert_eq!(BinancePerp.parse(frame, &mut out).unwrap(), Parsed::Trades);
        let t = out[0];
        assert_eq!(t.symbol.to_string(), "binance-perp:BTCUSDT");
        assert_eq!((t.id, t.count, t.time), (5_933_014, 6, 123_456_785));
        assert_eq!(
            (t.price.to_string(), t.qty.to_string()),
            ("0.001".into(), "100".into())
        );
        assert!(t.buyer_is_maker);
    }
}
