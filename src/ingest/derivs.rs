//! Perps' derivatives state inside ingestion: each perp's latest merged state (for the screen
//! and alerts), what the store keeps of it (the state at the end of each minute, the funding
//! rate of each settlement), and liquidations. Memory is bounded whatever a venue sends: one
//! state per perp, one sample per perp and minute between flushes, and at most
//! [`MAX_PENDING_LIQUIDATIONS`] liquidations waiting for the store (a flood beyond that is
//! counted, not kept).

use std::collections::HashMap;

use crate::domain::{
    DerivEvent, DerivSample, DerivState, FundingRate, Liquidation, Millis, Symbol, Timeframe,
};
use crate::store::{Store, StoreError};

/// Liquidations held between two flushes (a tenth of a second); 1,000 a second needs 100.
pub const MAX_PENDING_LIQUIDATIONS: usize = 5_000;

#[derive(Default)]
pub struct Derivs {
    states: HashMap<Symbol, DerivState>,
    samples: HashMap<(Symbol, Millis), DerivSample>,
    funding: HashMap<(Symbol, Millis), FundingRate>,
    liquidations: Vec<Liquidation>,
    /// What changed since the last flush, for the screen: the perps whose state moved, and
    /// the liquidations (the newest [`MAX_PENDING_LIQUIDATIONS`]).
    moved: Vec<Symbol>,
    /// Liquidations not kept because too many came at once.
    pub dropped: u64,
}

/// What one flush tells the screen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DerivChanges {
    pub states: Vec<DerivState>,
    pub liquidations: Vec<Liquidation>,
}

impl Derivs {
    pub fn on_event(&mut self, event: &DerivEvent) {
        match event {
            DerivEvent::Update(u) => {
                let state = self
                    .states
                    .entry(u.symbol)
                    .and_modify(|s| s.apply(u))
                    .or_insert_with(|| DerivState::new(*u));
                let minute = Timeframe::M1.bucket(state.last.time);
                self.samples.insert(
                    (u.symbol, minute),
                    DerivSample {
                        minute,
                        update: state.last,
                    },
                );
                if let (Some(rate), Some(at)) = (u.funding_rate, state.last.next_funding) {
                    self.funding.insert(
                        (u.symbol, at),
                        FundingRate {
                            symbol: u.symbol,
                            time: at,
                            rate,
                            settled: false,
                        },
                    );
                }
                if !self.moved.contains(&u.symbol) {
                    self.moved.push(u.symbol);
                }
            }
            DerivEvent::Liquidation(l) => {
                if self.liquidations.len() >= MAX_PENDING_LIQUIDATIONS {
                    self.dropped += 1;
                    return;
                }
                self.liquidations.push(*l);
            }
        }
    }

    /// The latest state of `symbol`.
    pub fn state(&self, symbol: Symbol) -> Option<&DerivState> {
        self.states.get(&symbol)
    }

    /// Hands what is pending to the store (without waiting for it) and returns what changed.
    pub fn flush(&mut self, store: &Store) -> Result<DerivChanges, StoreError> {
        let samples: Vec<DerivSample> = self.samples.drain().map(|(_, s)| s).collect();
        let funding: Vec<FundingRate> = self.funding.drain().map(|(_, f)| f).collect();
        let liquidations = std::mem::take(&mut self.liquidations);
        if !samples.is_empty() || !funding.is_empty() {
            store.submit("derivatives samples", move |b| {
                b.put_deriv_samples(&samples)?;
                b.put_funding(&funding)
            })?;
        }
        if !liquidations.is_empty() {
            let rows = liquidations.clone();
            store.submit("liquidations", move |b| b.put_liquidations(&rows).map(drop))?;
        }
        let states = self
            .moved
            .drain(..)
            .filter_map(|s| self.states.get(&s).copied())
            .collect();
        Ok(DerivChanges {
            states,
            liquidations,
        })
    }
}
