//! What a perpetual future's venue says of it besides its trades: mark and index prices, the
//! funding rate and when it is paid, open interest, and liquidations. Plain values; the
//! venues' folders read them, ingestion merges them, the store keeps their history.

use super::{Millis, Price, Qty, Quote, Symbol};
use crate::domain::Fixed;

/// A rate as a fraction (0.0001 = 0.01 % = 1 bp), to 16 places: OKX writes 16 digits.
pub type Rate = Fixed<16>;

/// No venue publishes a funding cap beyond this per interval (Binance's and Bybit's widest
/// are a few percent); a rate past it is a bad frame, not a market.
pub const MAX_FUNDING: Rate = Rate::from_raw(10i128.pow(16) / 10);

/// How far the mark may stray from the index before a frame is taken for garbage: 50 %.
const MAX_MARK_DRIFT: f64 = 0.5;

/// A perp's state as one push tells it. A field the push does not carry is `None`: Bybit
/// sends only what changed, OKX one channel per field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DerivUpdate {
    pub symbol: Symbol,
    /// When the venue stamped it (its event time).
    pub time: Millis,
    pub mark: Option<Price>,
    pub index: Option<Price>,
    /// The venue's current rate for the interval ending at `next_funding`.
    pub funding_rate: Option<Rate>,
    pub next_funding: Option<Millis>,
    pub funding_interval_hours: Option<u16>,
    /// The venue's published cap on the rate (Bybit's `fundingCap`, OKX's max/min), where the
    /// push carries it: a rate beyond it is refused.
    pub funding_cap: Option<Rate>,
    /// Open interest in the base coin and in the quote currency (16 places: OKX's `oiCcy`
    /// has 13 decimals).
    pub open_interest: Option<Quote>,
    pub open_interest_quote: Option<Quote>,
}

impl DerivUpdate {
    /// An update of `symbol` at `time` carrying nothing yet.
    pub fn new(symbol: Symbol, time: Millis) -> DerivUpdate {
        DerivUpdate {
            symbol,
            time,
            mark: None,
            index: None,
            funding_rate: None,
            next_funding: None,
            funding_interval_hours: None,
            funding_cap: None,
            open_interest: None,
            open_interest_quote: None,
        }
    }

    /// Impossible values: a price not above zero, negative open interest, a rate beyond the
    /// venue's cap (or [`MAX_FUNDING`]), a mark more than 50 % from the index it came with.
    pub fn check(&self) -> Result<(), String> {
        for (name, p) in [("mark", self.mark), ("index", self.index)] {
            if let Some(p) = p
                && p.raw() <= 0
            {
                return Err(format!(
                    "{} {name} price {p} is not above zero",
                    self.symbol
                ));
            }
        }
        for (name, v) in [
            ("open interest", self.open_interest),
            ("open interest value", self.open_interest_quote),
        ] {
            if let Some(v) = v
                && v.raw() < 0
            {
                return Err(format!("{} {name} {v} is negative", self.symbol));
            }
        }
        if let Some(rate) = self.funding_rate {
            let cap = self.funding_cap.unwrap_or(MAX_FUNDING).min(MAX_FUNDING);
            if rate.raw().abs() > cap.raw() {
                return Err(format!(
                    "{} funding rate {rate} is beyond the cap {cap}",
                    self.symbol
                ));
            }
        }
        if let (Some(mark), Some(index)) = (self.mark, self.index) {
            let drift = (mark.to_f64() - index.to_f64()).abs() / index.to_f64();
            if drift > MAX_MARK_DRIFT {
                return Err(format!(
                    "{} mark {mark} is more than 50 % from index {index}",
                    self.symbol
                ));
            }
        }
        Ok(())
    }
}

/// The side of the position a liquidation closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PositionSide {
    Long,
    Short,
}

impl PositionSide {
    pub fn as_str(self) -> &'static str {
        match self {
            PositionSide::Long => "long",
            PositionSide::Short => "short",
        }
    }

    pub fn parse(s: &str) -> Option<PositionSide> {
        match s {
            "long" => Some(PositionSide::Long),
            "short" => Some(PositionSide::Short),
            _ => None,
        }
    }
}

/// One forced close of a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Liquidation {
    pub symbol: Symbol,
    pub time: Millis,
    pub side: PositionSide,
    pub price: Price,
    pub qty: Qty,
    /// The venue publishes a sample, not every liquidation (Binance: the latest per symbol
    /// each second; OKX: "not the total number").
    pub sampled: bool,
}

impl Liquidation {
    /// Its value in the quote currency, exactly.
    pub fn quote(&self) -> Quote {
        self.price * self.qty
    }

    /// A price and a size above zero.
    pub fn check(&self) -> Result<(), String> {
        if self.price.raw() <= 0 {
            return Err(format!(
                "{} liquidation price {} is not above zero",
                self.symbol, self.price
            ));
        }
        if self.qty.raw() <= 0 {
            return Err(format!(
                "{} liquidation size {} is not above zero",
                self.symbol, self.qty
            ));
        }
        Ok(())
    }
}

/// What a venue's derivatives channels deliver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DerivEvent {
    Update(DerivUpdate),
    Liquidation(Liquidation),
}

impl DerivEvent {
    pub fn symbol(&self) -> Symbol {
        match self {
            DerivEvent::Update(u) => u.symbol,
            DerivEvent::Liquidation(l) => l.symbol,
        }
    }

    pub fn check(&self) -> Result<(), String> {
        match self {
            DerivEvent::Update(u) => u.check(),
            DerivEvent::Liquidation(l) => l.check(),
        }
    }
}

/// One perp's latest state: each field as last pushed, merged from partial updates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DerivState {
    pub last: DerivUpdate,
}

impl DerivState {
    pub fn new(first: DerivUpdate) -> DerivState {
        let mut s = DerivState {
            last: DerivUpdate::new(first.symbol, first.time),
        };
        s.apply(&first);
        s
    }

    /// Takes what `u` carries; an older update than the state's does not move its time.
    pub fn apply(&mut self, u: &DerivUpdate) {
        let l = &mut self.last;
        l.time = l.time.max(u.time);
        macro_rules! take {
            ($($f:ident),*) => {$(if u.$f.is_some() { l.$f = u.$f; })*};
        }
        take!(
            mark,
            index,
            funding_rate,
            next_funding,
            funding_interval_hours,
            funding_cap,
            open_interest,
            open_interest_quote
        );
    }

    /// `(mark - index) / index` in basis points.
    pub fn basis_bps(&self) -> Option<f64> {
        let (mark, index) = (self.last.mark?, self.last.index?);
        basis_bps(mark.to_f64(), index.to_f64())
    }

    /// The funding rate per year, as a fraction: the rate times the intervals in 365 days.
    pub fn annualised_funding(&self) -> Option<f64> {
        let rate = self.last.funding_rate?.to_f64();
        let hours = self.last.funding_interval_hours.filter(|h| *h > 0)?;
        Some(rate * 365.0 * 24.0 / f64::from(hours))
    }
}

/// A perp's state as it stood at the end of one minute: what the store keeps to chart mark,
/// index, basis, funding and open interest over time (`update.time` is the last push in it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DerivSample {
    pub minute: Millis,
    pub update: DerivUpdate,
}

/// A funding rate for the settlement at `time`: the venue's settled rate, or, before then,
/// its current (predicted) one, which the settled one replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FundingRate {
    pub symbol: Symbol,
    pub time: Millis,
    pub rate: Rate,
    pub settled: bool,
}

/// `(price - reference) / reference` in basis points; `None` without a positive reference.
pub fn basis_bps(price: f64, reference: f64) -> Option<f64> {
    (reference > 0.0).then(|| (price - reference) / reference * 10_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym() -> Symbol {
        Symbol::new("bybit-perp:BTCUSDT").unwrap()
    }

    #[test]
    fn partial_updates_merge_into_the_latest_state() {
        let mut first = DerivUpdate::new(sym(), 10);
        first.mark = Some(Price::parse("100").unwrap());
        first.funding_rate = Some(Rate::parse("0.0001").unwrap());
        first.funding_interval_hours = Some(8);
        let mut s = DerivState::new(first);
        let mut delta = DerivUpdate::new(sym(), 12);
        delta.index = Some(Price::parse("99.9").unwrap());
        s.apply(&delta);
        assert_eq!(
            s.last.mark, first.mark,
            "a delta keeps what it does not carry"
        );
        assert_eq!(s.last.time, 12);
        let bps = s.basis_bps().unwrap();
        assert!((bps - 10.010_010).abs() < 1e-5, "{bps}");
        let yearly = s.annualised_funding().unwrap();
        assert!((yearly - 0.1095).abs() < 1e-12, "{yearly}");
    }

    #[test]
    fn impossible_values_are_refused() {
        let mut u = DerivUpdate::new(sym(), 1);
        u.open_interest = Some(Quote::parse("-1").unwrap());
        assert!(u.check().unwrap_err().contains("negative"));
        let mut u = DerivUpdate::new(sym(), 1);
        u.funding_rate = Some(Rate::parse("0.006").unwrap());
        u.funding_cap = Some(Rate::parse("0.005").unwrap());
        assert!(u.check().unwrap_err().contains("beyond the cap 0.005"));
        u.funding_cap = None;
        assert!(u.check().is_ok(), "0.6 % is inside the absolute bound");
        u.funding_rate = Some(Rate::parse("0.2").unwrap());
        assert!(u.check().is_err());
        let mut u = DerivUpdate::new(sym(), 1);
        u.mark = Some(Price::parse("160").unwrap());
        u.index = Some(Price::parse("100").unwrap());
        assert!(u.check().unwrap_err().contains("50 %"));
        u.mark = Some(Price::parse("149").unwrap());
        assert!(u.check().is_ok());
        let l = Liquidation {
            symbol: sym(),
            time: 1,
            side: PositionSide::Long,
            price: Price::parse("100").unwrap(),
            qty: Qty::ZERO,
            sampled: false,
        };
        assert!(l.check().unwrap_err().contains("size 0"));
    }
}
