//! Reading the bus: a message on `cryptoviz.>` is untrusted (any client with publish rights
//! may put anything there), so each is checked as a venue's frame is (size, shape, a known
//! venue and symbol that match the subject, plausible times and values) before it becomes a
//! trade or a candle. Anything else is a [`Rejected`] the reader counts.

use serde::Deserialize;

use super::message::{ROOT, token};
use crate::domain::{
    Candle, DerivUpdate, Fixed, Liquidation, Millis, PositionSide, Price, Qty, SeriesKey, Symbol,
    Timeframe, Trade, check_time,
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

/// A message as read at `now`.
pub fn parse(subject: &str, payload: &[u8], now: Millis) -> Result<Inbound, Rejected> {
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
            ("trade" | "deriv" | "liquidation", None) | ("candle", Some(_))
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
}
