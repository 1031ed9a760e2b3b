//! What the dashboard knows of the perps' derivatives: each perp's latest state and the
//! newest liquidations across venues, as ingestion reports them (bounded: one state per perp,
//! [`TAPE`] liquidations).

use std::collections::{HashMap, VecDeque};

use crate::domain::{DerivState, Liquidation, Millis, Symbol, Timeframe};
use crate::ingest::derivs::DerivChanges;

/// Liquidations kept for the tape, newest first.
pub const TAPE: usize = 200;

/// Open interest kept per perp for its change: one point a minute, a little over an hour.
const OI_MINUTES: usize = 62;

#[derive(Clone, Debug, Default)]
pub struct Derivs {
    states: HashMap<Symbol, DerivState>,
    liquidations: VecDeque<Liquidation>,
    /// Each perp's open interest at the end of each minute seen, oldest first.
    open_interest: HashMap<Symbol, VecDeque<(Millis, f64)>>,
}

impl Derivs {
    pub fn apply(&mut self, changes: DerivChanges) {
        for s in changes.states {
            if let Some(oi) = s.last.open_interest {
                let minute = Timeframe::M1.bucket(s.last.time);
                let points = self.open_interest.entry(s.last.symbol).or_default();
                match points.back_mut() {
                    Some(last) if last.0 == minute => last.1 = oi.to_f64(),
                    _ => points.push_back((minute, oi.to_f64())),
                }
                while points.len() > OI_MINUTES {
                    points.pop_front();
                }
            }
            self.states.insert(s.last.symbol, s);
        }
        for l in changes.liquidations {
            self.liquidations.push_front(l);
        }
        self.liquidations.truncate(TAPE);
    }

    pub fn state(&self, symbol: Symbol) -> Option<&DerivState> {
        self.states.get(&symbol)
    }

    /// The change of `symbol`'s open interest over the last hour, as a fraction: from the
    /// point an hour before its newest (`None` until an hour is seen).
    pub fn oi_change_1h(&self, symbol: Symbol) -> Option<f64> {
        let points = self.open_interest.get(&symbol)?;
        let &(now_at, now) = points.back()?;
        let &(_, then) = points
            .iter()
            .rev()
            .find(|(t, _)| *t <= now_at - 3_600_000)?;
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
        for m in 61..200 {
            d.apply(at(m, "105"));
        }
        assert!(d.open_interest[&sym].len() <= OI_MINUTES);
    }
}
