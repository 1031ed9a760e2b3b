//! Binance market-data frames exactly as they arrive, and their conversion to [`Trade`]s.
//!
//! Source of truth: <https://github.com/binance/binance-spot-api-docs/blob/master/web-socket-streams.md>.
//! Every type below mirrors one JSON shape field for field, with Binance's one-letter names kept
//! in `rename`s so a reader can hold this file next to the docs. Strings are borrowed from the
//! frame and decimals are parsed exactly from their bytes, so parsing a trade allocates nothing:
//! this is the hot path of the live feed (`parse_only_trades_per_sec` in the benchmarks).
//! Plain trade frames take the hand-rolled scanner in `scan.rs` (about 2x serde's speed); serde
//! handles everything else and phrases every error.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::{self, IgnoredAny};
use serde_json::value::RawValue;

use super::depth;
use super::scan::{Fast, scan};
use crate::domain::{Book, Millis, Price, Qty, Symbol, Trade};

pub use crate::exchange::wire::WireError;
use crate::exchange::wire::{clip, opt_str};

/// Unit of the timestamps in a frame. Binance sends milliseconds unless the URL asks for
/// `timeUnit=MICROSECOND`; cryptoviz never asks, but can read such frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeUnit {
    #[default]
    Millis,
    Micros,
}

impl TimeUnit {
    pub fn to_millis(self, t: i64) -> Millis {
        match self {
            TimeUnit::Millis => t,
            TimeUnit::Micros => t.div_euclid(1000),
        }
    }
}

/// What one WebSocket text frame means to the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    Trade(Trade),
    /// The top of a book, from a partial book depth stream.
    Book(Book),
    /// The server will close soon: reconnect now rather than lose data.
    ServerShutdown {
        time: Millis,
    },
    /// The answer to a SUBSCRIBE/UNSUBSCRIBE request.
    Ack {
        id: Option<u64>,
    },
    /// A well-formed event of a kind cryptoviz does not use (its `e`, clipped).
    Other(String),
}

/// Parses one frame with millisecond timestamps (the default stream format).
pub fn parse_frame(bytes: &[u8]) -> Result<Frame, WireError> {
    parse_frame_with(bytes, TimeUnit::Millis)
}

/// Parses one frame: a combined-stream envelope, a bare event (raw streams, serverShutdown),
/// a subscription ack or an error answer.
pub fn parse_frame_with(bytes: &[u8], unit: TimeUnit) -> Result<Frame, WireError> {
    match scan(bytes) {
        Some(Fast::Trade(t)) => return t.to_trade(unit).map(Frame::Trade),
        Some(Fast::AggTrade(t)) => return t.to_trade(unit).map(Frame::Trade),
        None => {}
    }
    parse_with_serde(bytes, unit)
}

/// Every top-level key that decides what a message is. Which keys are present decides its
/// kind, never where they stand: any key order, spacing or escaping reads the same.
#[derive(Deserialize)]
struct Message<'a> {
    #[serde(default, borrow, deserialize_with = "opt_str")]
    stream: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
    /// A bare event (raw streams, `serverShutdown`).
    #[serde(rename = "e", default, borrow, deserialize_with = "opt_str")]
    event: Option<Cow<'a, str>>,
    /// Present (even as `null`) in a subscription answer.
    #[serde(default, deserialize_with = "present")]
    result: bool,
    #[serde(default)]
    id: Option<u64>,
    #[serde(default, borrow)]
    error: Option<BinanceErrorBody<'a>>,
}

/// The event name of a payload, read before the payload itself.
#[derive(Deserialize)]
struct Tag<'a> {
    #[serde(rename = "e", default, borrow, deserialize_with = "opt_str")]
    event: Option<Cow<'a, str>>,
}

fn present<'de, D: de::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(d).map(|_| true)
}

/// The general path: any shape and layout, and the precise error when something is wrong.
fn parse_with_serde(bytes: &[u8], unit: TimeUnit) -> Result<Frame, WireError> {
    let m: Message<'_> = serde_json::from_slice(bytes).map_err(WireError::json)?;
    if let Some(err) = m.error {
        return Err(WireError::Server {
            code: err.code,
            msg: clip(err.msg),
        });
    }
    if let Some(name) = m.event {
        return event(&name, bytes, unit);
    }
    match (m.stream, m.data) {
        (Some(stream), Some(data)) => {
            let tag: Tag<'_> = serde_json::from_str(data.get()).map_err(WireError::json)?;
            match tag.event {
                Some(name) => event(&name, data.get().as_bytes(), unit),
                // Depth payloads name neither their kind nor their symbol: the stream does.
                None if is_depth_stream(&stream) => depth::book_of(&stream, data).map(Frame::Book),
                None => Err(WireError::Json(format!(
                    "the payload of stream {:?} has no event type \"e\"",
                    clip(&stream)
                ))),
            }
        }
        (None, Some(_)) => Err(WireError::Json("missing field `stream`".into())),
        (Some(_), None) => Err(WireError::Json("missing field `data`".into())),
        (None, None) if m.result || m.id.is_some() => Ok(Frame::Ack { id: m.id }),
        (None, None) => Err(WireError::Json("not a Binance stream object".into())),
    }
}

/// The event name and payload of a frame (a combined-stream envelope or a bare event), for
/// readers of events the trade path leaves as [`Frame::Other`] (USDⓈ-M's `markPriceUpdate`,
/// `forceOrder`); `None` for a frame that is no event.
pub fn event_of(bytes: &[u8]) -> Result<Option<(String, &str)>, WireError> {
    let m: Message<'_> = serde_json::from_slice(bytes).map_err(WireError::json)?;
    if let Some(name) = m.event {
        let text = std::str::from_utf8(bytes).map_err(|e| WireError::Json(e.to_string()))?;
        return Ok(Some((name.into_owned(), text)));
    }
    let Some(data) = m.data else {
        return Ok(None);
    };
    let tag: Tag<'_> = serde_json::from_str(data.get()).map_err(WireError::json)?;
    Ok(tag.event.map(|name| (name.into_owned(), data.get())))
}

/// `btcusdt@depth20@100ms`, `btcusdt@depth`: the part after the symbol names the kind.
fn is_depth_stream(stream: &str) -> bool {
    stream
        .split_once('@')
        .is_some_and(|(_, kind)| kind.starts_with("depth"))
}

/// The event named `name`, whose object is `payload`.
fn event(name: &str, payload: &[u8], unit: TimeUnit) -> Result<Frame, WireError> {
    Ok(match name {
        "trade" => {
            let t: BinanceTrade<'_> = serde_json::from_slice(payload).map_err(WireError::json)?;
            Frame::Trade(t.to_trade(unit)?)
        }
        "aggTrade" => {
            let t: BinanceAggTrade<'_> =
                serde_json::from_slice(payload).map_err(WireError::json)?;
            Frame::Trade(t.to_trade(unit)?)
        }
        "serverShutdown" => {
            let s: BinanceServerShutdown =
                serde_json::from_slice(payload).map_err(WireError::json)?;
            Frame::ServerShutdown {
                time: unit.to_millis(s.event_time),
            }
        }
        other => Frame::Other(clip(other)),
    })
}

/// Stream `<symbol>@trade`: one execution.
///
/// ```json
/// {"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100",
///  "T":1672515782136,"m":true,"M":true}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BinanceTrade<'a> {
    #[serde(rename = "E")]
    pub event_time: i64,
    #[serde(rename = "s", borrow)]
    pub symbol: Cow<'a, str>,
    #[serde(rename = "t")]
    pub id: i64,
    #[serde(rename = "p", borrow)]
    pub price: Cow<'a, str>,
    #[serde(rename = "q", borrow)]
    pub qty: Cow<'a, str>,
    #[serde(rename = "T")]
    pub trade_time: i64,
    /// Buyer is the maker: the taker sold.
    #[serde(rename = "m")]
    pub buyer_is_maker: bool,
    /// "Ignore" in Binance's docs.
    #[serde(rename = "M", default)]
    pub best_match: bool,
}

impl BinanceTrade<'_> {
    pub fn to_trade(&self, unit: TimeUnit) -> Result<Trade, WireError> {
        trade(
            (&self.symbol, self.id, &self.price, &self.qty),
            unit.to_millis(self.trade_time),
            1,
            self.buyer_is_maker,
        )
    }
}

impl TryFrom<BinanceTrade<'_>> for Trade {
    type Error = WireError;
    fn try_from(t: BinanceTrade<'_>) -> Result<Trade, WireError> {
        t.to_trade(TimeUnit::Millis)
    }
}

/// Stream `<symbol>@aggTrade`: the fills of one taker order at one price.
///
/// ```json
/// {"e":"aggTrade","E":1672515782136,"s":"BNBBTC","a":12345,"p":"0.001","q":"100",
///  "f":100,"l":105,"T":1672515782136,"m":true,"M":true}
/// ```
///
/// Binance once voided duplicated aggTrades in place as `p="0"`, `q="0"`, `f=-1`, `l=-1`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BinanceAggTrade<'a> {
    #[serde(rename = "E")]
    pub event_time: i64,
    #[serde(rename = "s", borrow)]
    pub symbol: Cow<'a, str>,
    #[serde(rename = "a")]
    pub id: i64,
    #[serde(rename = "p", borrow)]
    pub price: Cow<'a, str>,
    #[serde(rename = "q", borrow)]
    pub qty: Cow<'a, str>,
    #[serde(rename = "f")]
    pub first_trade_id: i64,
    #[serde(rename = "l")]
    pub last_trade_id: i64,
    #[serde(rename = "T")]
    pub trade_time: i64,
    #[serde(rename = "m")]
    pub buyer_is_maker: bool,
    #[serde(rename = "M", default)]
    pub best_match: bool,
}

impl BinanceAggTrade<'_> {
    /// The void marker stands for no trades at all (count 0); its zero price and quantity make
    /// [`Trade::is_void`] true, so downstream skips it.
    pub fn is_void_marker(&self) -> bool {
        self.first_trade_id == -1 && self.last_trade_id == -1
    }

    pub fn to_trade(&self, unit: TimeUnit) -> Result<Trade, WireError> {
        let count = if self.is_void_marker() {
            0
        } else {
            let span = self.last_trade_id - self.first_trade_id;
            match u32::try_from(span) {
                Ok(s) if self.first_trade_id >= 0 && s < u32::MAX => s + 1,
                _ => {
                    return Err(WireError::Range {
                        id: self.id,
                        first: self.first_trade_id,
                        last: self.last_trade_id,
                    });
                }
            }
        };
        trade(
            (&self.symbol, self.id, &self.price, &self.qty),
            unit.to_millis(self.trade_time),
            count,
            self.buyer_is_maker,
        )
    }
}

impl TryFrom<BinanceAggTrade<'_>> for Trade {
    type Error = WireError;
    fn try_from(t: BinanceAggTrade<'_>) -> Result<Trade, WireError> {
        t.to_trade(TimeUnit::Millis)
    }
}

/// Announces that the server will drop this connection soon:
///
/// ```json
/// {"e":"serverShutdown","E":1672515782136}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BinanceServerShutdown {
    #[serde(rename = "E")]
    pub event_time: i64,
}

/// The `error` of an answer to a bad request on the connection:
/// `{"error":{"code":2,"msg":"Invalid request: unknown variant"},"id":1}`. (A subscription's
/// answer is `{"result":null,"id":1}`.)
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BinanceErrorBody<'a> {
    pub code: i64,
    #[serde(borrow)]
    pub msg: std::borrow::Cow<'a, str>,
}

/// The domain trade from the wire fields both trade kinds share: (symbol, id, price, qty).
fn trade(
    (sym, id, p, q): (&str, i64, &str, &str),
    time: Millis,
    count: u32,
    buyer_is_maker: bool,
) -> Result<Trade, WireError> {
    Ok(Trade {
        symbol: symbol(sym)?,
        id,
        price: price(p)?,
        qty: qty(q)?,
        time,
        count,
        micros: 0,
        buyer_is_maker,
    })
}

fn symbol(s: &str) -> Result<Symbol, WireError> {
    Symbol::on(crate::exchange::Venue::Binance, s.as_bytes())
        .ok_or_else(|| WireError::Symbol(clip(s)))
}

fn price(s: &str) -> Result<Price, WireError> {
    decimal(s, "price", Price::parse_bytes)
}

fn qty(s: &str) -> Result<Qty, WireError> {
    decimal(s, "quantity", Qty::parse_bytes)
}

fn decimal<T, E>(
    s: &str,
    field: &'static str,
    parse: impl Fn(&[u8]) -> Result<T, E>,
) -> Result<T, WireError> {
    parse(s.as_bytes()).map_err(|_| WireError::Decimal {
        field,
        value: clip(s),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRADE: &str = r#"{"stream":"bnbbtc@trade","data":{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}}"#;
    const AGG: &str = r#"{"stream":"bnbbtc@aggTrade","data":{"e":"aggTrade","E":1672515782136,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":1672515782136,"m":true,"M":true}}"#;

    fn trade(s: &str) -> Trade {
        match parse_frame(s.as_bytes()) {
            Ok(Frame::Trade(t)) => t,
            other => panic!("expected a trade from {s}, got {other:?}"),
        }
    }

    fn error(s: &str) -> String {
        match parse_frame(s.as_bytes()) {
            Err(e) => e.to_string(),
            Ok(f) => panic!("expected an error from {s}, got {f:?}"),
        }
    }

    #[test]
    fn parses_the_documented_trade_exactly() {
        let t = trade(TRADE);
        assert_eq!(t.symbol, Symbol::new("BNBBTC").unwrap());
        assert_eq!(t.id, 12345);
        assert_eq!(t.price, Price::parse("0.001").unwrap());
        assert_eq!(t.qty, Qty::parse("100").unwrap());
        assert_eq!(t.time, 1672515782136);
        assert_eq!(t.count, 1);
        assert!(t.buyer_is_maker);
    }

    #[test]
    fn parses_the_documented_agg_trade_with_its_count() {
        let t = trade(AGG);
        assert_eq!(t.id, 12345);
        assert_eq!(t.count, 6, "l - f + 1");
        assert_eq!(t.price.to_string(), "0.001");
        assert_eq!(t.time, 1672515782136);
    }

    #[test]
    fn keeps_every_digit_of_real_prices() {
        let t = trade(
            r#"{"stream":"btcusdt@trade","data":{"e":"trade","E":1700000000001,"s":"BTCUSDT","t":3273582372,"p":"42100.12345678","q":"0.00000001","T":1700000000000,"m":false,"M":true}}"#,
        );
        assert_eq!(t.price.to_string(), "42100.12345678");
        assert_eq!(t.qty.to_string(), "0.00000001");
        assert!(!t.buyer_is_maker);
    }

    #[test]
    fn bare_events_and_field_order_do_not_matter_inside_data() {
        let bare = r#"{"e":"trade","E":1,"s":"ETHUSDT","t":7,"p":"3000.5","q":"1","T":2,"m":false,"M":true}"#;
        assert_eq!(trade(bare).id, 7);
        let reordered = r#"{"data":{"e":"trade","q":"1","p":"3000.5","T":2,"t":7,"s":"ETHUSDT","m":false,"E":1},"stream":"ethusdt@trade"}"#;
        assert_eq!(trade(reordered), trade(bare));
    }

    #[test]
    fn void_duplicate_marker_is_a_void_trade_of_count_zero() {
        let t = trade(
            r#"{"stream":"xrpeth@aggTrade","data":{"e":"aggTrade","E":1,"s":"XRPETH","a":99,"p":"0","q":"0","f":-1,"l":-1,"T":5,"m":true,"M":true}}"#,
        );
        assert!(t.is_void());
        assert_eq!(t.count, 0);
    }

    #[test]
    fn microsecond_timestamps_when_asked() {
        let micros = r#"{"e":"trade","E":1672515782136123,"s":"BNBBTC","t":1,"p":"1","q":"1","T":1672515782136999,"m":true}"#;
        match parse_frame_with(micros.as_bytes(), TimeUnit::Micros) {
            Ok(Frame::Trade(t)) => assert_eq!(t.time, 1672515782136),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn shutdown_ack_and_other_events() {
        assert_eq!(
            parse_frame(br#"{"e":"serverShutdown","E":1672515782136}"#),
            Ok(Frame::ServerShutdown {
                time: 1672515782136
            })
        );
        assert_eq!(
            parse_frame(br#"{"stream":"x","data":{"e":"serverShutdown","E":5}}"#),
            Ok(Frame::ServerShutdown { time: 5 })
        );
        assert_eq!(
            parse_frame(br#"{"result":null,"id":1}"#),
            Ok(Frame::Ack { id: Some(1) })
        );
        assert_eq!(
            parse_frame(br#"{"stream":"bnbbtc@kline_1m","data":{"e":"kline","E":1,"k":{"t":1}}}"#),
            Ok(Frame::Other("kline".into()))
        );
    }

    #[test]
    fn bad_frames_are_short_errors() {
        assert!(error("not json").starts_with("invalid JSON"));
        assert!(error("").starts_with("invalid JSON"));
        assert!(error("[1,2]").starts_with("invalid JSON"));
        assert!(error(r#"{"stream":"a@trade","data":{"e":"trade"}"#).starts_with("invalid JSON"));
        let missing = error(
            r#"{"stream":"a@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"q":"1","T":2,"m":true}}"#,
        );
        assert!(missing.contains("missing field `p`"), "{missing}");
        assert_eq!(
            error(
                r#"{"stream":"a@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1e5","q":"1","T":2,"m":true}}"#
            ),
            r#"bad price "1e5": not an exact decimal"#
        );
        assert_eq!(
            error(
                r#"{"stream":"a@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1","q":"0.000000001","T":2,"m":true}}"#
            ),
            r#"bad quantity "0.000000001": not an exact decimal"#
        );
        assert_eq!(
            error(
                r#"{"stream":"a@trade","data":{"e":"trade","E":1,"s":"BTC/USDT","t":1,"p":"1","q":"1","T":2,"m":true}}"#
            ),
            r#"invalid symbol "BTC/USDT""#
        );
        assert!(
            error(
                r#"{"stream":"a@aggTrade","data":{"e":"aggTrade","E":1,"s":"BTCUSDT","a":1,"p":"1","q":"1","f":9,"l":3,"T":2,"m":true}}"#
            )
            .contains("impossible trade range")
        );
        assert!(error(r#"{"stream":"a@trade"}"#).contains("missing field `data`"));
        assert!(error(r#"{"x":1}"#).contains("not a Binance stream object"));
        assert!(
            error(r#"{"data":{"E":1,"e":"trade"},"stream":"a"}"#).contains("missing field `s`")
        );
        assert!(error(r#"{"data":{"E":1},"stream":"a@trade"}"#).contains("no event type"));
        assert_eq!(
            error(r#"{"error":{"code":2,"msg":"Invalid request"},"id":1}"#),
            "server error 2: Invalid request"
        );
        let huge = format!(
            r#"{{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"{}","q":"1","T":2,"m":true}}"#,
            "9".repeat(10_000)
        );
        assert!(error(&huge).len() < 100);
    }

    #[test]
    fn typed_structs_deserialize_standalone() {
        let raw = r#"{"e":"aggTrade","E":1,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":2,"m":true,"M":true}"#;
        let agg: BinanceAggTrade<'_> = serde_json::from_str(raw).unwrap();
        assert_eq!((agg.first_trade_id, agg.last_trade_id), (100, 105));
        assert_eq!(Trade::try_from(agg).unwrap().count, 6);
    }

    #[test]
    fn fast_path_agrees_with_serde_on_mangled_frames() {
        let bases = [
            TRADE.to_string(),
            AGG.to_string(),
            r#"{"e":"trade","E":1,"s":"ETHUSDT","t":7,"p":"3000.5","q":"1","T":2,"m":false,"M":true}"#.into(),
            r#"{"data":{"e":"aggTrade","q":"0","p":"0","T":2,"a":9,"f":-1,"l":-1,"s":"XRPETH","m":true,"E":1},"stream":"x"}"#.into(),
            " { \"stream\" : \"a@trade\" ,\n \"data\" : { \"e\" : \"trade\", \"E\":1, \"s\":\"BTCUSDT\", \"t\":1, \"p\":\"1.5\", \"q\":\"2\", \"T\":3, \"m\":true, \"x\":null } } ".into(),
        ];
        let noise = b"\"\\{},:09-.eE xt\xff";
        let mut rng = crate::rng::Rng::new(1);
        let (mut fast, mut total) = (0, 0);
        for base in &bases {
            let base = base.as_bytes();
            assert!(
                scan(base).is_some(),
                "the fast path takes {}",
                String::from_utf8_lossy(base)
            );
            for _ in 0..3_000 {
                let mut b = base.to_vec();
                for _ in 0..rng.range(1, 2) {
                    let at = rng.range(0, b.len() as u64 - 1) as usize;
                    match rng.range(0, 2) {
                        0 => {
                            b.remove(at);
                        }
                        1 => b.insert(at, noise[rng.range(0, noise.len() as u64 - 1) as usize]),
                        _ => b[at] = noise[rng.range(0, noise.len() as u64 - 1) as usize],
                    }
                }
                total += 1;
                if scan(&b).is_some() {
                    fast += 1;
                }
                assert_eq!(
                    parse_frame(&b),
                    parse_with_serde(&b, TimeUnit::Millis),
                    "{}",
                    String::from_utf8_lossy(&b)
                );
            }
        }
        assert!(
            fast > total / 10,
            "only {fast} of {total} mangled frames took the fast path"
        );
    }
}
