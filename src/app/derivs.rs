//! What the dashboard knows of the perps' derivatives: each perp's latest state and the
//! newest liquidations across venues, as ingestion reports them (bounded: one state per perp,
//! [`TAPE`] liquidations).

use std::collections::{HashMap, VecDeque};

use crate::domain::{DerivState, Liquidation, Symbol};
use crate::ingest::derivs::DerivChanges;

/// Liquidations kept for the tape, newest first.
pub const TAPE: usize = 200;

#[derive(Clone, Debug, Default)]
pub struct Derivs {
    states: HashMap<Symbol, DerivState>,
    liquidations: VecDeque<Liquidation>,
}

impl Derivs {
    pub fn apply(&mut self, changes: DerivChanges) {
        for s in changes.states {
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

    /// The newest liquidations, newest first.
    pub fn liquidations(&self) -> impl Iterator<Item = &Liquidation> {
        self.liquidations.iter()
    }
}
