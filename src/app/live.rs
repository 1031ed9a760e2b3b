//! The live-only panels' state: the latest trades of each symbol (the tape) and the top of
//! each symbol's book. Neither is stored; both come from the runtime while the dashboard
//! streams, and both say how old they are.

use std::collections::{HashMap, VecDeque};

use crate::domain::{Book, Millis, Symbol, Trade};

/// Trades kept per symbol: more than the tallest tape panel shows.
pub const TAPE_KEEP: usize = 200;
/// A trade worth this many times the median of the kept trades is highlighted.
pub const LARGE_TRADE: f64 = 5.0;

#[derive(Default)]
pub struct LiveMarket {
    tape: HashMap<Symbol, VecDeque<Trade>>,
    /// Each symbol's latest book and when it arrived.
    books: HashMap<Symbol, (Book, Millis)>,
    /// When each symbol's latest trade arrived here.
    trade_at: HashMap<Symbol, Millis>,
}

impl LiveMarket {
    pub fn add_trades(&mut self, trades: Vec<Trade>, now: Millis) {
        for t in trades {
            let q = self.tape.entry(t.symbol).or_default();
            if q.len() == TAPE_KEEP {
                q.pop_front();
            }
            q.push_back(t);
            self.trade_at.insert(t.symbol, now);
        }
    }

    pub fn set_book(&mut self, book: Book, now: Millis) {
        self.books.insert(book.symbol, (book, now));
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

    pub fn book(&self, symbol: Symbol) -> Option<&(Book, Millis)> {
        self.books.get(&symbol)
    }
}

pub fn notional(t: &Trade) -> f64 {
    t.price.to_f64() * t.qty.to_f64()
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
        let mut live = LiveMarket::default();
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
    }
}

/// What the book panel can show for the market on screen.
#[derive(Debug, PartialEq)]
pub enum BookView<'a> {
    /// The book and its age, with how worrying the age is.
    Shown(&'a Book, i64, super::theme::Level),
    /// Nothing yet (connecting, or no snapshot arrived).
    Waiting,
    /// Why no book can come: attached to a collector, a composite, a symbol the stream does
    /// not carry, a venue whose book is not followed.
    Unavailable(String),
}

impl super::App {
    /// The markets whose trades make up the shown market's tape: itself, or a composite's
    /// members.
    pub fn tape_symbols(&self) -> Vec<Symbol> {
        let s = self.symbol();
        match self.settings.composites.iter().find(|c| c.symbol == s) {
            Some(c) => c.members.clone(),
            None => vec![s],
        }
    }

    /// Why live-only panels have nothing, if they cannot have anything.
    fn live_unavailable(&self) -> Option<String> {
        if self.settings.attached {
            return Some("live only: a dashboard attached to a collector streams nothing".into());
        }
        if self.settings.history_only.symbols.contains(&self.symbol()) {
            return Some(format!("{} is not streamed", self.label(self.symbol())));
        }
        None
    }

    pub fn book_view(&self) -> BookView<'_> {
        if let Some(why) = self.live_unavailable() {
            return BookView::Unavailable(why);
        }
        let symbol = self.symbol();
        if symbol.venue() == crate::domain::Venue::Composite {
            return BookView::Unavailable("a composite has no book of its own".into());
        }
        if !crate::exchange::connector(symbol.venue()).is_some_and(|c| c.has_book()) {
            return BookView::Unavailable(format!("{}'s book is not followed", symbol.venue()));
        }
        match self.live.book(symbol) {
            Some((book, at)) => {
                let age = (self.now - at).max(0);
                let lvl = super::state::level(age, self.settings.freshness.trades);
                BookView::Shown(book, age, lvl)
            }
            None => BookView::Waiting,
        }
    }

    /// The tape's age (its newest trade's arrival) and how worrying it is.
    pub fn tape_age(&self) -> Option<(i64, super::theme::Level)> {
        let age = (self.now - self.live.trades_at(&self.tape_symbols())?).max(0);
        Some((
            age,
            super::state::level(age, self.settings.freshness.trades),
        ))
    }

    pub fn tape_unavailable(&self) -> Option<String> {
        self.live_unavailable()
    }
}
