//! The live-only panels' state: the latest trades of each symbol (the tape) and the top of
//! each symbol's book. Neither is stored; both come from the runtime while the dashboard
//! streams, and both say how old they are.

use std::collections::{HashMap, VecDeque};

use super::component::Component;
use super::model::Model;
use super::theme::Level;
use crate::domain::{Book, Millis, Symbol, Trade};

/// Trades kept per symbol: more than the tallest tape panel shows.
pub const TAPE_KEEP: usize = 200;
/// A trade worth this many times the median of the kept trades is highlighted.
pub const LARGE_TRADE: f64 = 5.0;

/// The trade tape: each market's latest trades (the panel shows the shown market's, or a
/// composite's members' merged). It has no keys of its own.
#[derive(Default)]
pub struct Tape {
    tape: HashMap<Symbol, VecDeque<Trade>>,
    /// When each symbol's latest trade arrived here.
    trade_at: HashMap<Symbol, Millis>,
}

impl Component for Tape {}

/// The order book panel: each market's latest top of book. It has no keys of its own.
#[derive(Default)]
pub struct Books {
    /// Each symbol's latest book and when it arrived.
    books: HashMap<Symbol, (Book, Millis)>,
}

impl Component for Books {}

impl Books {
    pub fn set(&mut self, book: Book, now: Millis) {
        self.books.insert(book.symbol, (book, now));
    }

    pub fn get(&self, symbol: Symbol) -> Option<&(Book, Millis)> {
        self.books.get(&symbol)
    }

    /// What the panel can show for the market on screen.
    pub fn view(&self, m: &Model) -> BookView<'_> {
        if let Some(why) = m.live_unavailable() {
            return BookView::Unavailable(why);
        }
        let symbol = m.symbol();
        if symbol.venue() == crate::domain::Venue::Composite {
            return BookView::Unavailable("a composite has no book of its own".into());
        }
        if !crate::exchange::connector(symbol.venue()).is_some_and(|c| c.has_book()) {
            return BookView::Unavailable(format!("{}'s book is not followed", symbol.venue()));
        }
        match self.get(symbol) {
            Some((book, at)) => {
                let (age, lvl) = m.age(*at, m.settings.freshness.trades);
                BookView::Shown(book, age, lvl)
            }
            None => BookView::Waiting,
        }
    }
}

impl Tape {
    /// Adds the trades; one the tape already has among its latest (a bus read switching from
    /// a plain subscription to the stream may hand over a few again) is not added twice.
    pub fn add_trades(&mut self, trades: Vec<Trade>, now: Millis) {
        for t in trades {
            let q = self.tape.entry(t.symbol).or_default();
            if q.iter()
                .rev()
                .take(REPEAT_WINDOW)
                .any(|x| x.id == t.id && x.time == t.time)
            {
                continue;
            }
            if q.len() == TAPE_KEEP {
                q.pop_front();
            }
            q.push_back(t);
            self.trade_at.insert(t.symbol, now);
        }
    }

    /// The newest `n` trades of these symbols (a market, or a composite's members), newest
    /// first.
    pub fn latest(&self, symbols: &[Symbol], n: usize) -> Vec<&Trade> {
        let mut out: Vec<&Trade> = symbols
            .iter()
            .filter_map(|s| self.tape.get(s))
            .flat_map(|q| q.iter().rev().take(n))
            .collect();
        out.sort_by_key(|t| std::cmp::Reverse((t.time, t.micros)));
        out.truncate(n);
        out
    }

    /// The quote value above which a trade of these symbols counts as large: [`LARGE_TRADE`]
    /// times the median of the kept trades (None before there are ten).
    pub fn large_above(&self, symbols: &[Symbol]) -> Option<f64> {
        let mut values: Vec<f64> = symbols
            .iter()
            .filter_map(|s| self.tape.get(s))
            .flatten()
            .map(notional)
            .collect();
        if values.len() < 10 {
            return None;
        }
        let mid = values.len() / 2;
        let (_, median, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
        Some(*median * LARGE_TRADE)
    }

    /// When the newest trade of any of these symbols arrived.
    pub fn trades_at(&self, symbols: &[Symbol]) -> Option<Millis> {
        symbols
            .iter()
            .filter_map(|s| self.trade_at.get(s))
            .max()
            .copied()
    }

    /// The shown market's tape's age (its newest trade's arrival) and how worrying it is.
    pub fn age(&self, m: &Model) -> Option<(i64, Level)> {
        let at = self.trades_at(&m.members(m.symbol()))?;
        Some(m.age(at, m.settings.freshness.trades))
    }
}

/// How far back the tape looks for a trade it already has.
const REPEAT_WINDOW: usize = 32;

pub fn notional(t: &Trade) -> f64 {
    t.price.to_f64() * t.qty.to_f64()
}

/// What the book panel can show for the market on screen.
#[derive(Debug, PartialEq)]
pub enum BookView<'a> {
    /// The book and its age, with how worrying the age is.
    Shown(&'a Book, i64, Level),
    /// Nothing yet (connecting, or no snapshot arrived).
    Waiting,
    /// Why no book can come: attached to a collector, a composite, a symbol the stream does
    /// not carry, a venue whose book is not followed.
    Unavailable(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Price, Qty};

    fn trade(sym: &str, id: i64, qty: &str) -> Trade {
        Trade {
            symbol: Symbol::new(sym).unwrap(),
            id,
            price: Price::from_int(100),
            qty: Qty::parse(qty).unwrap(),
            time: 1_700_000_000_000 + id,
            micros: 0,
            count: 1,
            buyer_is_maker: id % 2 == 0,
        }
    }

    #[test]
    fn the_tape_is_bounded_merged_newest_first_and_knows_large_trades() {
        let mut live = Tape::default();
        let btc = Symbol::new("BTCUSDT").unwrap();
        let coinbase = Symbol::new("coinbase:BTC-USD").unwrap();
        live.add_trades((0..300).map(|i| trade("BTCUSDT", i * 2, "1")).collect(), 5);
        live.add_trades(vec![trade("coinbase:BTC-USD", 599, "50")], 9);
        assert_eq!(live.latest(&[btc], 1000).len(), TAPE_KEEP);
        let merged = live.latest(&[btc, coinbase], 3);
        let ids: Vec<i64> = merged.iter().map(|t| t.id).collect();
        assert_eq!(ids, vec![599, 598, 596]);
        assert_eq!(live.large_above(&[btc]), Some(100.0 * LARGE_TRADE));
        assert!(notional(merged[0]) > live.large_above(&[btc, coinbase]).unwrap());
        assert_eq!(live.trades_at(&[btc, coinbase]), Some(9));
        assert_eq!(live.large_above(&[coinbase]), None, "too few to tell");
        // Handed over again: kept once.
        live.add_trades(vec![trade("coinbase:BTC-USD", 599, "50")], 10);
        assert_eq!(live.latest(&[coinbase], 10).len(), 1);
    }
}
