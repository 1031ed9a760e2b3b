//! What goes on the bus (SPEC §7): subjects `cryptoviz.<venue>.<symbol>.<kind>` and JSON
//! payloads, each with the id JetStream de-duplicates by (`Nats-Msg-Id`), so two collectors
//! on one market put each trade on the stream once.

use crate::domain::{Book, Candle, DerivUpdate, Firing, Liquidation, SeriesKey, Symbol, Trade};
use crate::report::CandleReport;

/// Every subject starts with this; `cryptoviz.>` is the whole bus.
pub const ROOT: &str = "cryptoviz";

/// Where a dashboard asks for a market's book: `{"market": "kraken:BTC/USD"}`, again every
/// [`ASK_EVERY_MS`] while it shows it. The collectors that stream the market publish its book
/// on `cryptoviz.<venue>.<symbol>.book` until [`ASK_LEASE_MS`] pass without an ask.
pub const ASK_BOOK: &str = "cryptoviz.ask.book";
/// Where a dashboard asks the collectors to collect a market: `{"market": "kraken:ETH/USD"}`
/// as a request; each collector that streams the market's venue takes it and answers
/// `{"collector", "market", "status": "added" | "already"}`, the others stay silent.
pub const ASK_MARKET: &str = "cryptoviz.ask.market";
/// The asks' subjects (`cryptoviz.ask.>`), never kept by the stream.
pub const ASK: &str = "cryptoviz.ask";
pub const ASK_EVERY_MS: u64 = 5_000;
pub const ASK_LEASE_MS: u64 = 15_000;

/// What the stream keeps: every kind but books (many a second, worthless a moment later) and
/// asks. Wildcards rather than `cryptoviz.>` so those two stay out; none overlaps another, as
/// JetStream requires.
pub fn stream_subjects() -> Vec<String> {
    [
        "*.*.trade",
        "*.*.candle.*",
        "*.*.deriv",
        "*.*.liquidation",
        "alerts.firing",
        "health.*",
    ]
    .iter()
    .map(|s| format!("{ROOT}.{s}"))
    .collect()
}

#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub subject: String,
    /// `Nats-Msg-Id`: the same event from any collector has the same id.
    pub id: String,
    pub payload: bytes::Bytes,
}

/// A market name as a subject token: `[A-Za-z0-9_-]`, anything else `_` (`BTC/USD` ->
/// `BTC_USD`, `BTC-USDT-SWAP` stays).
pub fn token(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `cryptoviz.<venue>.<symbol>`.
fn market(symbol: Symbol) -> String {
    format!(
        "{ROOT}.{}.{}",
        symbol.venue().name(),
        token(symbol.as_str())
    )
}

/// An accepted trade: `{"venue", "symbol", "id", "price", "qty", "side", "time", "seq"}`, the
/// side the taker's; `seq` counts this collector's messages. Written directly rather than
/// through a JSON value: this is the bus's hot path, one per trade, and nothing in it needs
/// escaping (venue names are fixed, symbols are `[A-Za-z0-9./_-]` by construction, the rest
/// numbers).
pub fn trade(t: &Trade, seq: u64) -> Message {
    use std::fmt::Write;
    let venue = t.symbol.venue().name();
    let symbol = t.symbol.as_str();
    let mut payload = String::with_capacity(160);
    let _ = write!(
        payload,
        r#"{{"venue":"{venue}","symbol":"{symbol}","id":"{}","price":"{}","qty":"{}","side":"{}","time":{},"seq":{seq}}}"#,
        t.id,
        t.price,
        t.qty,
        if t.buyer_is_maker { "sell" } else { "buy" },
        t.time,
    );
    Message {
        subject: format!("{}.trade", market(t.symbol)),
        id: format!("{venue}:{symbol}:{}", t.id),
        payload: payload.into_bytes().into(),
    }
}

/// A candle as it changed, in the report's shape (§3) with the venue, symbol, timeframe and
/// `seq`. Its id is its state: two collectors with the same candle publish it once.
pub fn candle(key: SeriesKey, c: &Candle, seq: u64) -> Message {
    let venue = key.symbol.venue().name();
    let mut payload = serde_json::to_value(CandleReport::new(c, key)).unwrap_or_default();
    if let Some(o) = payload.as_object_mut() {
        o.insert("venue".into(), venue.into());
        o.insert("symbol".into(), key.symbol.as_str().into());
        o.insert("timeframe".into(), key.timeframe.to_string().into());
        o.insert("seq".into(), seq.into());
    }
    Message {
        subject: format!("{}.candle.{}", market(key.symbol), key.timeframe),
        id: format!(
            "{venue}:{}:{}:{}:{}:{}:{}:{}",
            key.symbol.as_str(),
            key.timeframe,
            c.open_time,
            c.close.raw(),
            c.volume.raw(),
            c.trades.unwrap_or(0),
            c.closed
        ),
        payload: payload.to_string().into_bytes().into(),
    }
}

/// A perp's derivatives state as it changed: `{"venue", "symbol", "time", "mark", "index",
/// "funding_rate", "next_funding", "funding_interval_hours", "open_interest",
/// "open_interest_quote", "seq"}`, a field the venue has not given `null`. Its id is its
/// state, as a candle's.
pub fn deriv(u: &DerivUpdate, seq: u64) -> Message {
    let venue = u.symbol.venue().name();
    // Decimals serialise as exact strings, `None` as `null`.
    let payload = serde_json::json!({
        "venue": venue,
        "symbol": u.symbol.as_str(),
        "time": u.time,
        "mark": u.mark,
        "index": u.index,
        "funding_rate": u.funding_rate,
        "next_funding": u.next_funding,
        "funding_interval_hours": u.funding_interval_hours,
        "open_interest": u.open_interest,
        "open_interest_quote": u.open_interest_quote,
        "seq": seq,
    });
    Message {
        subject: format!("{}.deriv", market(u.symbol)),
        id: format!(
            "{venue}:{}:deriv:{}:{:?}:{:?}:{:?}:{:?}",
            u.symbol.as_str(),
            u.time,
            u.mark.map(|p| p.raw()),
            u.index.map(|p| p.raw()),
            u.funding_rate.map(|r| r.raw()),
            u.open_interest.map(|q| q.raw()),
        ),
        payload: payload.to_string().into_bytes().into(),
    }
}

/// A liquidation as the report shows it (§5) with venue, symbol and `seq`.
pub fn liquidation(l: &Liquidation, seq: u64) -> Message {
    let venue = l.symbol.venue().name();
    let payload = serde_json::json!({
        "venue": venue,
        "symbol": l.symbol.as_str(),
        "time": l.time,
        "side": l.side.as_str(),
        "price": l.price,
        "qty": l.qty,
        "sampled": l.sampled,
        "seq": seq,
    });
    Message {
        subject: format!("{}.liquidation", market(l.symbol)),
        id: format!(
            "{venue}:{}:liq:{}:{}:{}:{}",
            l.symbol.as_str(),
            l.time,
            l.side.as_str(),
            l.price.raw(),
            l.qty.raw()
        ),
        payload: payload.to_string().into_bytes().into(),
    }
}

/// The top of a market's book (published while some dashboard asks for it, never kept by the
/// stream): `{"venue", "symbol", "time", "bids": [["price", "qty"], …], "asks": […], "seq"}`,
/// best first, `time` the venue's when it gave one, else `null`.
pub fn book(b: &Book, seq: u64) -> Message {
    let side = |levels: &[crate::domain::Level]| -> Vec<[String; 2]> {
        levels
            .iter()
            .map(|l| [l.price.to_string(), l.qty.to_string()])
            .collect()
    };
    let payload = serde_json::json!({
        "venue": b.symbol.venue().name(),
        "symbol": b.symbol.as_str(),
        "time": b.time,
        "bids": side(&b.bids),
        "asks": side(&b.asks),
        "seq": seq,
    });
    Message {
        subject: format!("{}.book", market(b.symbol)),
        id: String::new(),
        payload: payload.to_string().into_bytes().into(),
    }
}

/// What a collector's health says besides ingestion's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Messages published and dropped so far.
    pub published: u64,
    pub dropped: u64,
    /// Candles its gap repair has written so far: when this grows, what a dashboard loaded
    /// from the store may have changed anywhere in its history.
    pub repaired: u64,
}

/// The collector's health on `cryptoviz.health.<collector>`: its ingestion counters, `bus`
/// (messages published and dropped so far) and `repair` (candles written), with `time` and
/// `seq`. No id: each is new.
pub fn health(
    collector: &str,
    ingest: &crate::ingest::IngestSnapshot,
    counts: Counts,
    time: crate::domain::Millis,
    seq: u64,
) -> Message {
    let payload = serde_json::json!({
        "collector": collector,
        "time": time,
        "ingest": ingest,
        "bus": {"published": counts.published, "dropped": counts.dropped},
        "repair": {"candles_written": counts.repaired},
        "seq": seq,
    });
    Message {
        subject: format!("{ROOT}.health.{}", token(collector)),
        id: format!("health:{}:{seq}:{time}", token(collector)),
        payload: payload.to_string().into_bytes().into(),
    }
}

/// This collector's name on the bus: the machine's and the process's, so two on one host
/// differ.
pub fn collector_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| token(h.trim()))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "collector".into());
    format!("{host}-{}", std::process::id())
}

/// An alert firing, as `alerts` reports it, on `cryptoviz.alerts.firing`; its id is the
/// firing's own (stable across collectors).
pub fn firing(f: &Firing, seq: u64) -> Message {
    let mut payload = serde_json::to_value(f).unwrap_or_default();
    if let Some(o) = payload.as_object_mut() {
        o.insert("seq".into(), seq.into());
    }
    Message {
        subject: format!("{ROOT}.alerts.firing"),
        id: format!("firing:{}", f.id),
        payload: payload.to_string().into_bytes().into(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::{Price, Qty, Timeframe};
    use serde_json::json;

    fn sym(s: &str) -> Symbol {
        Symbol::new(s).unwrap()
    }

    #[test]
    fn a_trade_on_its_subject_with_the_venues_id() {
        let t = Trade {
            symbol: sym("kraken:BTC/USD"),
            id: 42,
            price: "42000.5".parse::<Price>().unwrap(),
            qty: "0.125".parse::<Qty>().unwrap(),
            time: 1_704_067_200_123,
            micros: 0,
            count: 1,
            buyer_is_maker: true,
        };
        let m = trade(&t, 7);
        assert_eq!(m.subject, "cryptoviz.kraken.BTC_USD.trade");
        assert_eq!(m.id, "kraken:BTC/USD:42");
        let v: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
        assert_eq!(
            v,
            json!({"venue": "kraken", "symbol": "BTC/USD", "id": "42", "price": "42000.5",
                "qty": "0.125", "side": "sell", "time": 1_704_067_200_123_i64, "seq": 7})
        );
    }

    /// An OKX swap's open 5-minute candle (for this module's tests and `inbound`'s).
    pub(crate) fn sample_candle() -> (SeriesKey, Candle) {
        let key = SeriesKey {
            symbol: sym("okx:BTC-USDT-SWAP"),
            timeframe: Timeframe::M5,
        };
        let p = |s: &str| s.parse::<Price>().unwrap();
        let c = Candle {
            open_time: 1_704_067_200_000,
            open: p("1"),
            high: p("2"),
            low: p("0.5"),
            close: p("1.5"),
            volume: "3".parse().unwrap(),
            quote_volume: None,
            trades: Some(4),
            closed: false,
            first_trade_id: None,
            last_trade_id: None,
        };
        (key, c)
    }

    #[test]
    fn a_candle_in_the_reports_shape() {
        let (key, c) = sample_candle();
        let p = |s: &str| s.parse::<Price>().unwrap();
        let m = candle(key, &c, 1);
        assert_eq!(m.subject, "cryptoviz.okx.BTC-USDT-SWAP.candle.5m");
        let v: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
        assert_eq!(v["close"], "1.5");
        assert_eq!(v["close_time"], 1_704_067_499_999_i64);
        assert_eq!(v["quote_volume"], serde_json::Value::Null);
        assert_eq!(
            (v["venue"].as_str(), v["timeframe"].as_str()),
            (Some("okx"), Some("5m"))
        );
        // A changed candle is a new message; the same state is the same id.
        let later = Candle {
            close: p("1.6"),
            ..c
        };
        assert_ne!(candle(key, &later, 2).id, m.id);
        assert_eq!(candle(key, &c, 3).id, m.id);
    }

    #[test]
    fn health_names_its_collector_in_one_token() {
        let counts = Counts {
            published: 3,
            dropped: 1,
            repaired: 40,
        };
        let m = health("desk.01 east", &Default::default(), counts, 1_000, 9);
        assert_eq!(m.subject, "cryptoviz.health.desk_01_east");
        let v: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
        assert_eq!(
            (v["bus"]["published"].as_u64(), v["seq"].as_u64()),
            (Some(3), Some(9))
        );
        assert_eq!(v["ingest"]["trades"], 0);
        assert_eq!(v["repair"]["candles_written"], 40);
        let name = collector_name();
        assert!(
            name.ends_with(&format!("-{}", std::process::id())),
            "{name}"
        );
        assert_eq!(token(&name), name);
    }

    #[test]
    fn subject_tokens_hold_no_separator_or_wildcard() {
        assert_eq!(token("BTC/USD"), "BTC_USD");
        assert_eq!(token("a.b*c>d e"), "a_b_c_d_e");
        assert_eq!(token("BTC-USDT-SWAP"), "BTC-USDT-SWAP");
    }
}
