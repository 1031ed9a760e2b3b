//! What market data can possibly be. Exchange frames, REST pages and files are untrusted input:
//! a trade stamped ten years ahead or a kline whose close is above its high is rejected here,
//! with a reason, before it can reach a candle. Pure checks; the caller supplies the clock.

use super::{Candle, Millis, Price, Qty, Quote, Trade};

/// 2009-01-03T00:00:00Z, the Bitcoin genesis block: no crypto market traded before it.
pub const EARLIEST_MS: Millis = 1_230_940_800_000;

/// How far a market timestamp may run ahead of this machine's clock. The venue stamps a trade
/// before we receive it, so a later stamp can only be clock skew; two minutes covers any
/// NTP-synchronised machine, and stays below the three finished candles the aggregator holds
/// for late trades, so a frame at the limit cannot push the live 1m candle out of reach.
pub const MAX_AHEAD_MS: Millis = 120_000;

/// The largest price a trade may carry: ten billion (BTC in Indonesian rupiah is about 2e9).
pub const MAX_PRICE: i64 = 10_000_000_000;
/// The largest quantity: 10^15 (a large trade of a token priced at 1e-8 is about 1e12).
pub const MAX_QTY: i64 = 1_000_000_000_000_000;
/// The largest price x quantity of one trade, in quote units. Far above any real trade, and
/// small enough that sums over a candle stay exact in the 16-place quote amount (an i128
/// holds 1.7e22 there).
pub const MAX_NOTIONAL: i64 = 10_000_000_000_000;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Implausible {
    #[error("time {0} ms is before 2009-01-03, when crypto markets began")]
    TooEarly(Millis),
    #[error(
        "time {at} ms is {ahead_secs} s ahead of this machine's clock (at most {} s allowed; is the system clock right?)",
        MAX_AHEAD_MS / 1000
    )]
    Ahead { at: Millis, ahead_secs: i64 },
    #[error("price {0} is not positive or above {MAX_PRICE}")]
    Price(String),
    #[error("quantity {0} is not positive or above {MAX_QTY}")]
    Qty(String),
    #[error("price x quantity {0} is above {MAX_NOTIONAL}")]
    Notional(String),
    #[error("{0}")]
    Candle(String),
    #[error("trade id {0} is negative or out of range")]
    Id(i64),
}

impl Implausible {
    /// A short, stable name for counters and metrics labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Implausible::TooEarly(_) | Implausible::Ahead { .. } => "time",
            Implausible::Price(_)
            | Implausible::Qty(_)
            | Implausible::Notional(_)
            | Implausible::Candle(_)
            | Implausible::Id(_) => "value",
        }
    }
}

/// A market timestamp is plausible between [`EARLIEST_MS`] and `now` + [`MAX_AHEAD_MS`].
pub fn check_time(t: Millis, now: Millis) -> Result<(), Implausible> {
    if t < EARLIEST_MS {
        return Err(Implausible::TooEarly(t));
    }
    if t > now.saturating_add(MAX_AHEAD_MS) {
        return Err(Implausible::Ahead {
            at: t,
            ahead_secs: t.saturating_sub(now) / 1000,
        });
    }
    Ok(())
}

impl Trade {
    /// Time in range, and a positive price and quantity. Binance's void markers (price and
    /// quantity 0) pass: they are real records that count for nothing ([`Trade::is_void`]).
    pub fn check(&self, now: Millis) -> Result<(), Implausible> {
        check_time(self.time, now)?;
        // Exchanges number trades from 0 up; the ends of i64 would only overflow arithmetic.
        if self.id < 0 || self.id == i64::MAX {
            return Err(Implausible::Id(self.id));
        }
        if self.price.is_zero() && self.qty.is_zero() {
            return Ok(());
        }
        if self.price.raw() <= 0 || self.price > Price::from_int(MAX_PRICE) {
            return Err(Implausible::Price(self.price.to_string()));
        }
        if self.qty.raw() <= 0 || self.qty > Qty::from_int(MAX_QTY) {
            return Err(Implausible::Qty(self.qty.to_string()));
        }
        let notional = self.price * self.qty;
        if notional > Quote::from_int(MAX_NOTIONAL) {
            return Err(Implausible::Notional(notional.to_string()));
        }
        Ok(())
    }
}

impl Candle {
    /// Time in range, positive prices, low <= open, close <= high, volumes not negative.
    pub fn check(&self, now: Millis) -> Result<(), Implausible> {
        check_time(self.open_time, now)?;
        let bad = |m: String| Err(Implausible::Candle(m));
        if [self.open, self.high, self.low, self.close]
            .iter()
            .any(|p| p.raw() <= 0)
        {
            return bad("prices must be positive".into());
        }
        if self.low > self.high {
            return bad(format!("low {} is above high {}", self.low, self.high));
        }
        for (name, v) in [("open", self.open), ("close", self.close)] {
            if v > self.high || v < self.low {
                return bad(format!(
                    "{name} {v} is outside low {} .. high {}",
                    self.low, self.high
                ));
            }
        }
        if self.volume.raw() < 0 || self.quote_volume.is_some_and(|q| q.raw() < 0) {
            return bad("volume must not be negative".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Symbol;

    const NOW: Millis = 1_764_600_000_000;

    fn trade(price: &str, qty: &str, time: Millis) -> Trade {
        Trade {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            id: 1,
            price: Price::parse(price).unwrap(),
            qty: Qty::parse(qty).unwrap(),
            time,
            count: 1,
            micros: 0,
            buyer_is_maker: false,
        }
    }

    #[test]
    fn times_outside_the_markets_life_are_rejected() {
        assert!(trade("1", "1", NOW).check(NOW).is_ok());
        assert!(trade("1", "1", NOW + MAX_AHEAD_MS).check(NOW).is_ok());
        let e = trade("1", "1", NOW + 10 * 365 * 86_400_000)
            .check(NOW)
            .unwrap_err();
        assert!(
            e.to_string().contains("ahead of this machine's clock"),
            "{e}"
        );
        assert_eq!(e.kind(), "time");
        // 1916 and year 5138, as found in hostile files.
        assert!(trade("1", "1", -1_704_067_200_000).check(NOW).is_err());
        assert!(trade("1", "1", 99_999_999_999_999).check(NOW).is_err());
        assert!(check_time(Millis::MAX, Millis::MAX).is_ok());
        assert!(check_time(Millis::MIN, NOW).is_err());
    }

    #[test]
    fn values_must_be_positive_except_void_markers() {
        assert!(trade("0", "0", NOW).check(NOW).is_ok());
        assert_eq!(
            trade("100", "-2", NOW).check(NOW).unwrap_err(),
            Implausible::Qty("-2".into())
        );
        assert!(trade("-1", "2", NOW).check(NOW).is_err());
        assert!(trade("0", "2", NOW).check(NOW).is_err());
        assert!(trade("10000000000", "1000", NOW).check(NOW).is_ok());
        assert!(
            trade("0.00000001", "1000000000000000", NOW)
                .check(NOW)
                .is_ok()
        );
        assert!(trade("10000000000.00000001", "1", NOW).check(NOW).is_err());
        assert!(trade("1", "1000000000000001", NOW).check(NOW).is_err());
        let e = trade("10000000000", "10000", NOW).check(NOW).unwrap_err();
        assert!(e.to_string().contains("price x quantity"), "{e}");
    }

    #[test]
    fn candles_must_be_consistent() {
        let p = |s: &str| Price::parse(s).unwrap();
        let mut c = Candle::flat(NOW - NOW % 60_000, p("10"));
        assert!(c.check(NOW).is_ok());
        c.close = p("11");
        assert!(c.check(NOW).unwrap_err().to_string().contains("close 11"));
        c.high = p("12");
        assert!(c.check(NOW).is_ok());
        c.low = p("0");
        assert!(c.check(NOW).is_err());
        c.low = p("10");
        c.volume = Qty::parse("-1").unwrap();
        assert!(c.check(NOW).is_err());
    }
}
