//! The latest accepted trades of each symbol between two flushes, for a dashboard's trade
//! tape. Bounded per symbol, so a busy market can neither grow it nor crowd a quiet one out.
//! For the bus, every accepted trade instead, in arrival order, handed on as soon as each
//! batch of arrivals is folded in (not at the flush: a dashboard on the bus is as live as
//! the collector).

use std::collections::{HashMap, VecDeque};

use crate::domain::{Symbol, Trade};

/// Trades kept per symbol per flush: more than a tape panel shows.
pub const TAPE_PER_FLUSH: usize = 64;

pub enum Tape {
    /// The newest [`TAPE_PER_FLUSH`] of each symbol.
    Recent(HashMap<Symbol, VecDeque<Trade>>),
    /// Every trade since the last take, in arrival order.
    Every(Vec<Trade>),
}

impl Default for Tape {
    fn default() -> Self {
        Tape::Recent(HashMap::new())
    }
}

impl Tape {
    /// Every accepted trade, for the bus.
    pub fn every_trade() -> Tape {
        Tape::Every(Vec::new())
    }

    /// Whether it holds every trade (to be handed on after each batch of arrivals).
    pub fn is_every(&self) -> bool {
        matches!(self, Tape::Every(_))
    }

    pub fn push(&mut self, t: &Trade) {
        match self {
            Tape::Recent(recent) => {
                let q = recent.entry(t.symbol).or_default();
                if q.len() == TAPE_PER_FLUSH {
                    q.pop_front();
                }
                q.push_back(*t);
            }
            Tape::Every(all) => all.push(*t),
        }
    }

    /// Everything kept since the last call, each symbol's trades in arrival order.
    pub fn take(&mut self) -> Vec<Trade> {
        match self {
            Tape::Recent(recent) => recent.values_mut().flat_map(|q| q.drain(..)).collect(),
            Tape::Every(all) => std::mem::take(all),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Price, Qty};

    fn trade(sym: &str, id: i64) -> Trade {
        Trade {
            symbol: Symbol::new(sym).unwrap(),
            id,
            price: Price::from_int(1),
            qty: Qty::from_int(1),
            time: 1_700_000_000_000 + id,
            micros: 0,
            count: 1,
            buyer_is_maker: false,
        }
    }

    #[test]
    fn a_busy_symbol_keeps_its_newest_and_a_quiet_one_keeps_its_own() {
        let mut tape = Tape::default();
        for id in 0..1_000 {
            tape.push(&trade("BTCUSDT", id));
        }
        tape.push(&trade("ETHUSDT", 7));
        let mut got = tape.take();
        got.sort_by_key(|t| (t.symbol.to_string(), t.id));
        assert_eq!(got.len(), TAPE_PER_FLUSH + 1);
        assert_eq!(got[0].id, 1_000 - TAPE_PER_FLUSH as i64);
        assert_eq!(got.last().unwrap().id, 7);
        assert!(tape.take().is_empty());
    }
}
