//! The perp conditions (SPEC §5): funding and basis read from each state update; open
//! interest change and liquidated value over a window, from the history this keeps per perp
//! (bounded by the longest window a rule asks for). The basis against a `[market] basis`
//! spot market or composite reads that market's latest close, noted as its candles pass.

use std::collections::{HashMap, VecDeque};

use super::{Decision, Engine, Val};
use crate::alerts::rule::Condition;
use crate::domain::{Candle, DerivEvent, DerivState, Millis, SeriesKey, Symbol, basis_bps};

/// Each perp's recent open interest and liquidations, as far back as a rule looks.
#[derive(Default)]
pub(super) struct Windows {
    open_interest: HashMap<Symbol, VecDeque<(Millis, f64)>>,
    liquidations: HashMap<Symbol, VecDeque<(Millis, f64)>>,
    /// Perp -> its spot reference.
    reference: HashMap<Symbol, Symbol>,
    /// Each reference's newest candle in its shortest timeframe seen: (timeframe, open
    /// time, close).
    closes: HashMap<Symbol, (Millis, Millis, f64)>,
}

/// How old a reference's close may be and still measure a basis: a reference that stopped
/// trading (or whose feed is down) must not make a basis out of a stale price.
const REFERENCE_MAX_AGE: Millis = 5 * 60_000;

impl Windows {
    /// The basis against `perp`'s spot reference at `mark` and `at`, if its close is fresh.
    fn spot_basis(&self, perp: Symbol, mark: f64, at: Millis) -> Option<f64> {
        let reference = self.reference.get(&perp)?;
        let &(span, open, close) = self.closes.get(reference)?;
        if open + span < at - REFERENCE_MAX_AGE {
            return None;
        }
        basis_bps(mark, close)
    }
}

/// Drops points older than `keep` before the newest.
fn trim(points: &mut VecDeque<(Millis, f64)>, now: Millis, keep: Millis) {
    while points.front().is_some_and(|(t, _)| *t < now - keep) {
        points.pop_front();
    }
}

impl Engine {
    /// Measures each perp's `basis_spot_bps` against its spot market or composite (the
    /// `[market] basis` pairs, perp first).
    pub fn with_spot_basis(mut self, pairs: impl IntoIterator<Item = (Symbol, Symbol)>) -> Self {
        self.derivs.reference = pairs.into_iter().collect();
        self
    }

    /// A candle of `key`, open or closed: if its market is a perp's spot reference, its
    /// close is the reference price from now on. Every timeframe's newest candle closes at
    /// the last price, but candles may arrive out of order (a closed one flushed after the
    /// next opened), so the shortest timeframe seen wins and, within it, the newest candle.
    pub fn note_reference(&mut self, key: SeriesKey, c: &Candle) {
        let refs = &self.derivs.reference;
        if refs.is_empty() || !refs.values().any(|r| *r == key.symbol) {
            return;
        }
        let span = key.timeframe.millis();
        let slot = self
            .derivs
            .closes
            .entry(key.symbol)
            .or_insert((Millis::MAX, Millis::MIN, 0.0));
        if span < slot.0 || (span == slot.0 && c.open_time >= slot.1) {
            *slot = (span, c.open_time, c.close.to_f64());
        }
    }

    /// The longest window of the rules reading `kind` (`None`: no rule reads it).
    fn longest(&self, kind: fn(&Condition) -> Option<Millis>) -> Option<Millis> {
        self.slots
            .iter()
            .filter_map(|s| kind(&s.rule.condition))
            .max()
    }

    /// A perp's state update or liquidation, with the state it leaves (`state`).
    pub fn on_deriv(
        &mut self,
        event: &DerivEvent,
        state: Option<&DerivState>,
        now: Millis,
        out: &mut Vec<Decision>,
    ) {
        let symbol = event.symbol();
        let oi_window = self.longest(|c| match c {
            Condition::OiChange { window, .. } => Some(*window),
            _ => None,
        });
        let liq_window = self.longest(|c| match c {
            Condition::Liquidations { window, .. } => Some(*window),
            _ => None,
        });
        let (at, oi) = match event {
            DerivEvent::Update(u) => (u.time, u.open_interest.map(|v| v.to_f64())),
            DerivEvent::Liquidation(l) => {
                if let Some(keep) = liq_window {
                    let points = self.derivs.liquidations.entry(symbol).or_default();
                    points.push_back((l.time, l.quote().to_f64()));
                    trim(points, l.time, keep);
                }
                (l.time, None)
            }
        };
        if let (Some(oi), Some(keep)) = (oi, oi_window) {
            let points = self.derivs.open_interest.entry(symbol).or_default();
            points.push_back((at, oi));
            trim(points, at, keep);
        }
        for i in 0..self.slots.len() {
            let rule = &self.slots[i].rule;
            if rule.symbol != Some(symbol) {
                continue;
            }
            let (holds, value) = match (&rule.condition, event) {
                (Condition::Funding { cmp, pct }, DerivEvent::Update(u)) => {
                    let Some(rate) = u.funding_rate else { continue };
                    let rate = rate.to_f64() * 100.0;
                    (cmp.holds(rate, *pct), Val::Num(rate))
                }
                (Condition::Basis { cmp, bps }, DerivEvent::Update(u))
                    if u.mark.is_some() || u.index.is_some() =>
                {
                    let Some(b) = state.and_then(DerivState::basis_bps) else {
                        continue;
                    };
                    (cmp.holds(b, *bps), Val::Bps(b))
                }
                (Condition::SpotBasis { cmp, bps }, DerivEvent::Update(u)) if u.mark.is_some() => {
                    let Some(mark) = state.and_then(|s| s.last.mark) else {
                        continue;
                    };
                    let Some(b) = self.derivs.spot_basis(symbol, mark.to_f64(), at) else {
                        continue;
                    };
                    (cmp.holds(b, *bps), Val::Bps(b))
                }
                (Condition::OiChange { cmp, pct, window }, DerivEvent::Update(u))
                    if u.open_interest.is_some() =>
                {
                    let points = &self.derivs.open_interest[&symbol];
                    let Some(&(_, now_oi)) = points.back() else {
                        continue;
                    };
                    // The change since the oldest point inside the window, once the window
                    // is covered.
                    let Some(&(_, then)) = points.iter().find(|(t, _)| *t >= at - window) else {
                        continue;
                    };
                    if points.front().is_none_or(|(t, _)| *t > at - window) || then <= 0.0 {
                        continue;
                    }
                    let change = (now_oi - then) / then * 100.0;
                    (cmp.holds(change, *pct), Val::Num(change))
                }
                (Condition::Liquidations { quote, window }, DerivEvent::Liquidation(_)) => {
                    let sum: f64 = self.derivs.liquidations[&symbol]
                        .iter()
                        .filter(|(t, _)| *t >= at - window)
                        .map(|(_, q)| q)
                        .sum();
                    (sum > *quote, Val::Num(sum))
                }
                _ => continue,
            };
            self.decide(i, holds, value, symbol, at, now, out);
        }
    }
}
