//! The latest accepted trades of each symbol between two flushes, for a dashboard's trade
//! tape. Bounded per symbol, so a busy market can neither grow it nor crowd a quiet one out.

use std::collections::{HashMap, VecDeque};

use crate::domain::{Symbol, Trade};

/// Trades kept per symbol per flush: more than a tape panel shows.
pub const TAPE_PER_FLUSH: usize = 64;

pub struct Tape {
    recent: HashMap<Symbol, VecDeque<Trade>>,
    /// Trades kept per symbol per flush.
    limit: usize,
}

impl Default for Tape {
    fn default() -> Self {
        Tape {
            recent: HashMap::new(),
            limit: TAPE_PER_FLUSH,
        }
    }
}

impl Tape {
    /// Every accepted trade, for the bus: what arrives between two flushes (a tenth of a
    /// second of the market) is what it holds.
    pub fn every_trade() -> Tape {
        Tape {
            limit: usize::MAX,
            ..Tape::default()
        }
    }

    pub fn push(&mut self, t: &Trade) {
        let q = self.recent.entry(t.symbol).or_default();
        if q.len() == self.limit {
            q.pop_front();
        }
        q.push_back(*t);
    }

    /// Everything kept since the last call, each symbol's trades in arrival order.
    pub fn take(&mut self) -> Vec<Trade> {
        self.recent.values_mut().flat_map(|q| q.drain(..)).collect()
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
