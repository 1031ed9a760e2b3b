//! Reading the bus: a message on `cryptoviz.>` is untrusted (any client with publish rights
//! may put anything there), so each is checked as a venue's frame is (size, shape, a known
//! venue and symbol that match the subject, plausible times and values) before it becomes a
//! trade or a candle. Anything else is a [`Rejected`] the reader counts.

use serde::Deserialize;

use super::message::{ROOT, token};
use crate::domain::{
    Book, Candle, CollectorHealth, DerivUpdate, Fixed, Level, Liquidation, Millis, PositionSide,
    Price, Qty, SeriesKey, Symbol, Timeframe, Trade, check_time,
};
use crate::report::CandleReport;

/// Larger payloads are refused unread: a trade is about 150 bytes, a candle 300.
pub const MAX_PAYLOAD: usize = 4096;

#[derive(Clone, Debug, PartialEq)]
pub enum Inbound {
    Trade(Trade),
    Candle(SeriesKey, Candle),
    Deriv(DerivUpdate),
    Liquidation(Liquidation),
    Book(Book),
    Health(CollectorHealth),
}

/// Why a message was not taken (for the count and the log, never shown verbatim).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejected {
    /// Not a subject this reader takes (firings, health, another kind): not an error.
    Other,
    TooLarge,
    Malformed,
    /// Its venue or symbol is not the subject's, or not one cryptoviz knows.
    Foreign,
    /// Times or values no market has.
    Implausible,
}

#[derive(Deserialize)]
struct TradeMsg<'a> {
    venue: &'a str,
    symbol: &'a str,
    id: &'a str,
    price: &'a str,
    qty: &'a str,
    side: &'a str,
    time: Millis,
}

#[derive(Deserialize)]
struct DerivMsg<'a> {
    venue: &'a str,
    symbol: &'a str,
    time: Millis,
    mark: Option<&'a str>,
    index: Option<&'a str>,
    funding_rate: Option<&'a str>,
    next_funding: Option<Millis>,
    funding_interval_hours: Option<u16>,
    open_interest: Option<&'a str>,
    open_interest_quote: Option<&'a str>,
}

#[derive(Deserialize)]
struct HealthMsg<'a> {
    collector: &'a str,
    time: Millis,
    ingest: HealthCounts,
    bus: BusCounts,
    #[serde(default)]
    repair: RepairCounts,
}

#[derive(Deserialize, Default)]
struct RepairCounts {
    candles_written: u64,
}

#[derive(Deserialize)]
struct HealthCounts {
    trades: u64,
    malformed: u64,
    rejected: u64,
}

#[derive(Deserialize)]
struct BusCounts {
    published: u64,
    dropped: u64,
}

/// Longer collector names are not taken (a host name and a pid are far shorter).
const MAX_NAME: usize = 100;

#[derive(Deserialize)]
struct BookMsg<'a> {
    venue: &'a str,
    symbol: &'a str,
    time: Option<Millis>,
    #[serde(borrow)]
    bids: Vec<[&'a str; 2]>,
    #[serde(borrow)]
    asks: Vec<[&'a str; 2]>,
}

#[derive(Deserialize)]
struct LiquidationMsg<'a> {
    venue: &'a str,
    symbol: &'a str,
    time: Millis,
    side: &'a str,
    price: &'a str,
    qty: &'a str,
    sampled: bool,
}

/// An optional decimal field: absent or `null` is `None`, anything unreadable refuses the
/// message.
fn decimal<const S: u32>(v: Option<&str>) -> Result<Option<Fixed<S>>, Rejected> {
    v.map(|s| s.parse().map_err(|_| Rejected::Malformed))
        .transpose()
}

#[derive(Deserialize)]
struct CandleMsg<'a> {
    venue: &'a str,
    symbol: &'a str,
    timeframe: &'a str,
    #[serde(flatten)]
    candle: CandleReport,
}

/// The symbol a message names, if it is the one its subject names.
fn symbol_of(
    venue: &str,
    symbol: &str,
    subject_venue: &str,
    subject_symbol: &str,
) -> Option<Symbol> {
    if venue != subject_venue || token(symbol) != subject_symbol {
        return None;
    }
    let s = Symbol::new(&format!("{venue}:{symbol}")).ok()?;
    (s.venue().name() == venue).then_some(s)
}

/// A collector's health on `cryptoviz.health.<collector>`, its name the subject's.
fn health(collector: &str, payload: &[u8], now: Millis) -> Result<Inbound, Rejected> {
    if payload.len() > MAX_PAYLOAD {
        return Err(Rejected::TooLarge);
    }
    let m: HealthMsg = serde_json::from_slice(payload).map_err(|_| Rejected::Malformed)?;
    if m.collector.len() > MAX_NAME || token(m.collector) != collector {
        return Err(Rejected::Foreign);
    }
    check_time(m.time, now).map_err(|_| Rejected::Implausible)?;
    Ok(Inbound::Health(CollectorHealth {
        name: m.collector.to_string(),
        time: m.time,
        trades: m.ingest.trades,
        malformed: m.ingest.malformed,
        rejected: m.ingest.rejected,
        published: m.bus.published,
        dropped: m.bus.dropped,
        repaired: m.repair.candles_written,
    }))
}

/// A message as read at `now`.
pub fn parse(subject: &str, payload: &[u8], now: Millis) -> Result<Inbound, Rejected> {
    if let Some(collector) = subject
        .strip_prefix(ROOT)
        .and_then(|s| s.strip_prefix(".health."))
        .filter(|c| !c.contains('.'))
    {
        return health(collector, payload, now);
    }
    let mut parts = subject.split('.');
    let (Some(ROOT), Some(venue), Some(symbol), Some(kind)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Rejected::Other);
    };
    let tf = parts.next();
    if parts.next().is_some()
        || !matches!(
            (kind, tf),
            ("trade" | "deriv" | "liquidation" | "book", None) | ("candle", Some(_))
        )
    {
        return Err(Rejected::Other);
    }
    if payload.len() > MAX_PAYLOAD {
        return Err(Rejected::TooLarge);
    }
    if kind == "deriv" {
        let m: DerivMsg = serde_json::from_slice(payload).map_err(|_| Rejected::Malformed)?;
        let symbol = symbol_of(m.venue, m.symbol, venue, symbol).ok_or(Rejected::Foreign)?;
        if !symbol.is_perp() {
            return Err(Rejected::Foreign);
        }
        let u = DerivUpdate {
            mark: decimal(m.mark)?,
            index: decimal(m.index)?,
            funding_rate: decimal(m.funding_rate)?,
            next_funding: m.next_funding,
            funding_interval_hours: m.funding_interval_hours,
            funding_cap: None,
            open_interest: decimal(m.open_interest)?,
            open_interest_quote: decimal(m.open_interest_quote)?,
            ..DerivUpdate::new(symbol, m.time)
        };
        check_time(u.time, now).map_err(|_| Rejected::Implausible)?;
        u.check().map_err(|_| Rejected::Implausible)?;
        return Ok(Inbound::Deriv(u));
    }
    if kind == "book" {
        let m: BookMsg = serde_json::from_slice(payload).map_err(|_| Rejected::Malformed)?;
        let symbol = symbol_of(m.venue, m.symbol, venue, symbol).ok_or(Rejected::Foreign)?;
        let side = |levels: &[[&str; 2]]| -> Result<Vec<Level>, Rejected> {
            levels
                .iter()
                .map(|[p, q]| {
                    Ok(Level {
                        price: p.parse().map_err(|_| Rejected::Malformed)?,
                        qty: q.parse().map_err(|_| Rejected::Malformed)?,
                    })
                })
                .collect()
        };
        if let Some(t) = m.time {
            check_time(t, now).map_err(|_| Rejected::Implausible)?;
        }
        let book = Book {
            symbol,
            bids: side(&m.bids)?,
            asks: side(&m.asks)?,
            time: m.time,
        };
        return book
            .checked()
            .map(Inbound::Book)
            .map_err(|_| Rejected::Implausible);
    }
    if kind == "liquidation" {
        let m: LiquidationMsg = serde_json::from_slice(payload).map_err(|_| Rejected::Malformed)?;
        let symbol = symbol_of(m.venue, m.symbol, venue, symbol).ok_or(Rejected::Foreign)?;
        let l = Liquidation {
            symbol,
            time: m.time,
            side: match m.side {
                "long" => PositionSide::Long,
                "short" => PositionSide::Short,
                _ => return Err(Rejected::Malformed),
            },
            price: m.price.parse().map_err(|_| Rejected::Malformed)?,
            qty: m.qty.parse().map_err(|_| Rejected::Malformed)?,
            sampled: m.sampled,
        };
        check_time(l.time, now).map_err(|_| Rejected::Implausible)?;
        l.check().map_err(|_| Rejected::Implausible)?;
        return Ok(Inbound::Liquidation(l));
    }
    if kind == "trade" {
        let m: TradeMsg = serde_json::from_slice(payload).map_err(|_| Rejected::Malformed)?;
        let symbol = symbol_of(m.venue, m.symbol, venue, symbol).ok_or(Rejected::Foreign)?;
        let t = Trade {
            symbol,
            id: m.id.parse().map_err(|_| Rejected::Malformed)?,
            price: m.price.parse::<Price>().map_err(|_| Rejected::Malformed)?,
            qty: m.qty.parse::<Qty>().map_err(|_| Rejected::Malformed)?,
            time: m.time,
            micros: 0,
            count: 1,
            buyer_is_maker: match m.side {
                "buy" => false,
                "sell" => true,
                _ => return Err(Rejected::Malformed),
            },
        };
        t.check(now).map_err(|_| Rejected::Implausible)?;
        return Ok(Inbound::Trade(t));
    }
    let m: CandleMsg = serde_json::from_slice(payload).map_err(|_| Rejected::Malformed)?;
    let symbol = symbol_of(m.venue, m.symbol, venue, symbol).ok_or(Rejected::Foreign)?;
    let timeframe = Timeframe::parse(m.timeframe).map_err(|_| Rejected::Malformed)?;
    if tf != Some(m.timeframe) {
        return Err(Rejected::Foreign);
    }
    let r = m.candle;
    let c = Candle {
        open_time: r.open_time,
        open: r.open,
        high: r.high,
        low: r.low,
        close: r.close,
        volume: r.volume,
        quote_volume: r.quote_volume,
        trades: r.trades,
        closed: r.closed,
        first_trade_id: None,
        last_trade_id: None,
    };
    if timeframe.bucket(c.open_time) != c.open_time
        || r.close_time != c.open_time + timeframe.millis() - 1
    {
        return Err(Rejected::Implausible);
    }
    c.check(now).map_err(|_| Rejected::Implausible)?;
    Ok(Inbound::Candle(SeriesKey { symbol, timeframe }, c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::message;

    const NOW: Millis = 1_704_067_260_000;

    fn trade() -> Trade {
        Trade {
            symbol: Symbol::new("kraken:BTC/USD").unwrap(),
            id: 42,
            price: "42000.5".parse().unwrap(),
            qty: "0.125".parse().unwrap(),
            time: NOW - 1_000,
            micros: 0,
            count: 1,
            buyer_is_maker: true,
        }
    }

    #[test]
    fn what_the_publisher_writes_reads_back_exactly() {
        let m = message::trade(&trade(), 1);
        assert_eq!(
            parse(&m.subject, &m.payload, NOW),
            Ok(Inbound::Trade(trade()))
        );
        let (key, c) = message::tests::sample_candle();
        let p = |s: &str| s.parse::<Price>().unwrap();
        let m = message::candle(key, &c, 2);
        assert_eq!(
            parse(&m.subject, &m.payload, NOW),
            Ok(Inbound::Candle(key, c))
        );
        let perp = Symbol::new("binance-perp:BTCUSDT").unwrap();
        let u = DerivUpdate {
            mark: Some(p("42001.5")),
            index: Some(p("42000")),
            funding_rate: Some("0.0001".parse().unwrap()),
            next_funding: Some(NOW + 3_600_000),
            funding_interval_hours: Some(8),
            open_interest: Some("1234.5".parse().unwrap()),
            ..DerivUpdate::new(perp, NOW - 500)
        };
        let m = message::deriv(&u, 3);
        assert_eq!(m.subject, "cryptoviz.binance-perp.BTCUSDT.deriv");
        assert_eq!(parse(&m.subject, &m.payload, NOW), Ok(Inbound::Deriv(u)));
        let l = Liquidation {
            symbol: perp,
            time: NOW - 100,
            side: PositionSide::Short,
            price: p("42010"),
            qty: "0.5".parse().unwrap(),
            sampled: true,
        };
        let m = message::liquidation(&l, 4);
        assert_eq!(m.subject, "cryptoviz.binance-perp.BTCUSDT.liquidation");
        assert_eq!(
            parse(&m.subject, &m.payload, NOW),
            Ok(Inbound::Liquidation(l))
        );
        // A spot market has no derivatives.
        let spot = DerivUpdate::new(Symbol::new("BTCUSDT").unwrap(), NOW);
        let m = message::deriv(&spot, 5);
        assert_eq!(parse(&m.subject, &m.payload, NOW), Err(Rejected::Foreign));
    }

    #[test]
    fn hostile_messages_are_refused_by_kind() {
        let m = message::trade(&trade(), 1);
        let text = String::from_utf8(m.payload.to_vec()).unwrap();
        let with = |from: &str, to: &str| text.replace(from, to).into_bytes();
        let subject = m.subject.as_str();
        assert_eq!(
            parse("cryptoviz.alerts.firing", b"{}", NOW),
            Err(Rejected::Other)
        );
        assert_eq!(
            parse("other.kraken.BTC_USD.trade", b"{}", NOW),
            Err(Rejected::Other)
        );
        assert_eq!(
            parse(subject, &[b' '; MAX_PAYLOAD + 1], NOW),
            Err(Rejected::TooLarge)
        );
        assert_eq!(parse(subject, b"{not json", NOW), Err(Rejected::Malformed));
        assert_eq!(
            parse(subject, &with("\"sell\"", "\"up\""), NOW),
            Err(Rejected::Malformed)
        );
        assert_eq!(
            parse(subject, &with("\"42\"", "\"x\""), NOW),
            Err(Rejected::Malformed)
        );
        // Another market's trade on this subject, or a venue that is not one.
        assert_eq!(
            parse(subject, &with("BTC/USD", "ETH/USD"), NOW),
            Err(Rejected::Foreign)
        );
        assert_eq!(
            parse(
                "cryptoviz.nowhere.BTC_USD.trade",
                &with("kraken", "nowhere"),
                NOW
            ),
            Err(Rejected::Foreign)
        );
        assert_eq!(
            parse(subject, &with("42000.5", "-1"), NOW),
            Err(Rejected::Implausible)
        );
        let ahead = (NOW + 86_400_000).to_string();
        assert_eq!(
            parse(subject, &with(&(NOW - 1_000).to_string(), &ahead), NOW),
            Err(Rejected::Implausible)
        );
    }

    #[test]
    fn a_book_reads_back_exactly_and_a_false_one_is_refused() {
        let level = |p: &str, q: &str| Level {
            price: p.parse().unwrap(),
            qty: q.parse().unwrap(),
        };
        let book = Book {
            symbol: Symbol::new("kraken:BTC/USD").unwrap(),
            bids: vec![level("42000.1", "1.5"), level("41999.9", "0.25")],
            asks: vec![level("42000.2", "0.75")],
            time: Some(NOW - 200),
        };
        let m = message::book(&book, 9);
        assert_eq!(m.subject, "cryptoviz.kraken.BTC_USD.book");
        assert_eq!(
            parse(&m.subject, &m.payload, NOW),
            Ok(Inbound::Book(book.clone()))
        );
        let text = String::from_utf8(m.payload.to_vec()).unwrap();
        let with = |from: &str, to: &str| text.replace(from, to).into_bytes();
        // Crossed (a bid above the ask), a side out of order, a size that is not a number.
        assert_eq!(
            parse(&m.subject, &with("42000.1", "42001"), NOW),
            Err(Rejected::Implausible)
        );
        assert_eq!(
            parse(&m.subject, &with("41999.9", "42000.15"), NOW),
            Err(Rejected::Implausible)
        );
        assert_eq!(
            parse(&m.subject, &with("0.75", "lots"), NOW),
            Err(Rejected::Malformed)
        );
        assert_eq!(
            parse("cryptoviz.kraken.ETH_USD.book", &m.payload, NOW),
            Err(Rejected::Foreign)
        );
    }

    #[test]
    fn a_collectors_health_reads_back_under_its_own_name_only() {
        let ingest = crate::ingest::IngestSnapshot {
            trades: 1234,
            malformed: 2,
            rejected: 1,
            ..Default::default()
        };
        let counts = message::Counts {
            published: 900,
            dropped: 3,
            repaired: 12,
        };
        let m = message::health("desk/01 east", &ingest, counts, NOW - 10, 7);
        assert_eq!(m.subject, "cryptoviz.health.desk_01_east");
        assert_eq!(
            parse(&m.subject, &m.payload, NOW),
            Ok(Inbound::Health(CollectorHealth {
                name: "desk/01 east".into(),
                time: NOW - 10,
                trades: 1234,
                malformed: 2,
                rejected: 1,
                published: 900,
                dropped: 3,
                repaired: 12,
            }))
        );
        assert_eq!(
            parse("cryptoviz.health.other", &m.payload, NOW),
            Err(Rejected::Foreign)
        );
        assert_eq!(
            parse(&m.subject, b"{\"collector\":1}", NOW),
            Err(Rejected::Malformed)
        );
        let late = message::health("desk/01 east", &ingest, counts, NOW + 86_400_000, 8);
        assert_eq!(
            parse(&late.subject, &late.payload, NOW),
            Err(Rejected::Implausible)
        );
    }
}
