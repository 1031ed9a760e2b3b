//! What the dashboard knows of the perps' derivatives: each perp's latest state, its history
//! (one point a minute as ingestion reports it, or one per candle as the store answers) for the
//! funding, open-interest and basis panes, and the newest liquidations across venues (bounded:
//! one state and [`POINTS`] points per perp, [`TAPE`] liquidations).

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::domain::{DerivSample, DerivState, DerivUpdate, Liquidation, Millis, Symbol, Timeframe};
use crate::ingest::derivs::DerivChanges;

/// Liquidations kept for the tape, newest first.
pub const TAPE: usize = 200;

/// History points kept per perp: two weeks of minutes, or as many stored candles' worth.
pub const POINTS: usize = 20_160;

/// A perp's derivatives at the end of one minute (or of the stored candle it stands for).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DerivPoint {
    /// The venue's current rate per funding interval, as a fraction.
    pub funding: Option<f64>,
    pub interval_hours: Option<u16>,
    /// Open interest in the base coin.
    pub open_interest: Option<f64>,
    pub mark: Option<f64>,
    /// `(mark - index) / index` in basis points.
    pub basis_bps: Option<f64>,
}

impl DerivPoint {
    fn of(u: &DerivUpdate) -> DerivPoint {
        DerivPoint {
            funding: u.funding_rate.map(|r| r.to_f64()),
            interval_hours: u.funding_interval_hours,
            open_interest: u.open_interest.map(|q| q.to_f64()),
            mark: u.mark.map(|p| p.to_f64()),
            basis_bps: DerivState { last: *u }.basis_bps(),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Derivs {
    states: HashMap<Symbol, DerivState>,
    liquidations: VecDeque<Liquidation>,
    /// Each perp's points by minute, oldest first.
    history: HashMap<Symbol, BTreeMap<Millis, DerivPoint>>,
}

impl Derivs {
    pub fn apply(&mut self, changes: DerivChanges) {
        for s in changes.states {
            let minute = Timeframe::M1.bucket(s.last.time);
            self.put(s.last.symbol, [(minute, DerivPoint::of(&s.last))]);
            self.states.insert(s.last.symbol, s);
        }
        for l in changes.liquidations {
            self.liquidations.push_front(l);
        }
        self.liquidations.truncate(TAPE);
    }

    /// Stored samples (the store's answer alongside a page of candles): points already held
    /// win, since live ones are at least as new.
    pub fn merge_samples(&mut self, symbol: Symbol, samples: Vec<DerivSample>) {
        let held = self.history.get(&symbol);
        let fresh: Vec<_> = samples
            .iter()
            .filter(|s| held.is_none_or(|h| !h.contains_key(&s.minute)))
            .map(|s| (s.minute, DerivPoint::of(&s.update)))
            .collect();
        self.put(symbol, fresh);
    }

    fn put(&mut self, symbol: Symbol, points: impl IntoIterator<Item = (Millis, DerivPoint)>) {
        let h = self.history.entry(symbol).or_default();
        h.extend(points);
        while h.len() > POINTS {
            h.pop_first();
        }
    }

    pub fn state(&self, symbol: Symbol) -> Option<&DerivState> {
        self.states.get(&symbol)
    }

    /// `symbol`'s points, oldest first.
    pub fn history(&self, symbol: Symbol) -> Option<&BTreeMap<Millis, DerivPoint>> {
        self.history.get(&symbol)
    }

    /// The change of `symbol`'s open interest over the last hour, as a fraction: from the
    /// newest point at least an hour before its newest (`None` until an hour is known).
    pub fn oi_change_1h(&self, symbol: Symbol) -> Option<f64> {
        let points = self.history.get(&symbol)?;
        let (&now_at, now) = points
            .iter()
            .rev()
            .find_map(|(t, p)| Some((t, p.open_interest?)))?;
        let then = points
            .range(..=now_at - 3_600_000)
            .rev()
            .find_map(|(_, p)| p.open_interest)?;
        (then > 0.0).then(|| (now - then) / then)
    }

    /// The newest liquidations, newest first.
    pub fn liquidations(&self) -> impl Iterator<Item = &Liquidation> {
        self.liquidations.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DerivUpdate, Quote};

    #[test]
    fn open_interest_changes_over_the_hour_seen() {
        let sym = Symbol::new("bybit-perp:BTCUSDT").unwrap();
        let mut d = Derivs::default();
        let at = |min: i64, oi: &str| {
            let mut u = DerivUpdate::new(sym, min * 60_000 + 5);
            u.open_interest = Some(Quote::parse(oi).unwrap());
            DerivChanges {
                states: vec![DerivState::new(u)],
                liquidations: Vec::new(),
            }
        };
        d.apply(at(0, "100"));
        d.apply(at(30, "104"));
        assert_eq!(d.oi_change_1h(sym), None, "not an hour yet");
        d.apply(at(60, "110"));
        d.apply(at(60, "105"));
        let change = d.oi_change_1h(sym).unwrap();
        assert!((change - 0.05).abs() < 1e-12, "{change}");
        for m in 61..(POINTS as i64 + 100) {
            d.apply(at(m, "105"));
        }
        let h = d.history(sym).unwrap();
        assert_eq!(h.len(), POINTS, "bounded");
        assert_eq!(h.keys().next_back(), Some(&((POINTS as i64 + 99) * 60_000)));
    }

    #[test]
    fn stored_samples_fill_in_and_live_points_win() {
        let sym = Symbol::new("binance-perp:BTCUSDT").unwrap();
        let mut d = Derivs::default();
        let update = |min: i64, rate: &str| {
            let mut u = DerivUpdate::new(sym, min * 60_000 + 5);
            u.funding_rate = Some(crate::domain::Rate::parse(rate).unwrap());
            u.mark = Some(crate::domain::Price::parse("101").unwrap());
            u.index = Some(crate::domain::Price::parse("100").unwrap());
            u
        };
        d.apply(DerivChanges {
            states: vec![DerivState::new(update(10, "0.0003"))],
            liquidations: Vec::new(),
        });
        d.merge_samples(
            sym,
            [(5, "0.0001"), (10, "0.0002")]
                .map(|(m, r)| DerivSample {
                    minute: m * 60_000,
                    update: update(m, r),
                })
                .to_vec(),
        );
        let h = d.history(sym).unwrap();
        let rates: Vec<_> = h.values().map(|p| p.funding.unwrap()).collect();
        assert_eq!(rates, vec![0.0001, 0.0003]);
        assert!((h[&600_000].basis_bps.unwrap() - 100.0).abs() < 1e-9);
    }
}
