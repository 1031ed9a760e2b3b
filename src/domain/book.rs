//! The top of a venue's order book: live only, never stored. Venues send either whole
//! snapshots of the top levels (Binance's partial depth) or a snapshot followed by changes
//! (Bybit); [`LocalBook`] keeps the latter in order and both come out as a [`Book`].

use std::collections::BTreeMap;

use super::{Millis, Price, Qty, Symbol};

/// Levels kept per side; the venues' partial streams send at most this many.
pub const BOOK_DEPTH: usize = 20;

/// The most levels a side of a [`LocalBook`] keeps, however deep the venue's book (Coinbase
/// sends all of it): the panel shows [`BOOK_DEPTH`], the rest is margin for a market that
/// moves between snapshots. Levels past it (the farthest from the touch) are dropped and
/// counted; a dropped level comes back with its next change (changes carry whole sizes).
pub const MAX_BOOK_LEVELS: usize = 1_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    pub price: Price,
    pub qty: Qty,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Book {
    pub symbol: Symbol,
    /// Best (highest) first.
    pub bids: Vec<Level>,
    /// Best (lowest) first.
    pub asks: Vec<Level>,
    /// The venue's time for the snapshot, when it sends one.
    pub time: Option<Millis>,
}

/// Why a snapshot was refused: a book that cannot be true is dropped, not drawn.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    #[error("book level with a non-positive price or a negative size")]
    BadLevel,
    #[error("book side out of order")]
    Unordered,
    #[error("book crossed: best bid {bid} >= best ask {ask}")]
    Crossed { bid: Price, ask: Price },
}

impl Book {
    /// Checks the snapshot (positive prices, sizes not negative, each side in order, not
    /// crossed), drops empty levels and keeps the best [`BOOK_DEPTH`] of each side.
    pub fn checked(mut self) -> Result<Book, BookError> {
        for side in [&mut self.bids, &mut self.asks] {
            if side
                .iter()
                .any(|l| l.price <= Price::ZERO || l.qty < Qty::ZERO)
            {
                return Err(BookError::BadLevel);
            }
            side.retain(|l| !l.qty.is_zero());
            side.truncate(BOOK_DEPTH);
        }
        if !self.bids.windows(2).all(|w| w[0].price > w[1].price)
            || !self.asks.windows(2).all(|w| w[0].price < w[1].price)
        {
            return Err(BookError::Unordered);
        }
        if let (Some(b), Some(a)) = (self.bids.first(), self.asks.first())
            && b.price >= a.price
        {
            return Err(BookError::Crossed {
                bid: b.price,
                ask: a.price,
            });
        }
        Ok(self)
    }

    /// Best ask minus best bid, when both sides have a level.
    pub fn spread(&self) -> Option<Price> {
        Some(self.asks.first()?.price - self.bids.first()?.price)
    }

    /// The spread in basis points of the mid price.
    pub fn spread_bp(&self) -> Option<f64> {
        let (b, a) = (self.bids.first()?.price, self.asks.first()?.price);
        let mid = (a.to_f64() + b.to_f64()) / 2.0;
        (mid > 0.0).then(|| (a.to_f64() - b.to_f64()) / mid * 10_000.0)
    }
}

/// One book message: a whole snapshot, or changes to the last one (a size of 0 removes the
/// level).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookUpdate {
    pub symbol: Symbol,
    pub snapshot: bool,
    /// Levels a side the venue keeps up to date; deeper ones are dropped after applying (a
    /// level pushed out of the window gets no more changes).
    pub depth: usize,
    pub bids: Vec<Level>,
    pub asks: Vec<Level>,
    pub time: Option<Millis>,
}

impl BookUpdate {
    /// A whole snapshot.
    pub fn snapshot(book: Book) -> BookUpdate {
        BookUpdate {
            symbol: book.symbol,
            snapshot: true,
            depth: BOOK_DEPTH,
            bids: book.bids,
            asks: book.asks,
            time: book.time,
        }
    }
}

/// A symbol's book as snapshots and changes build it.
#[derive(Clone, Debug, Default)]
pub struct LocalBook {
    bids: BTreeMap<Price, Qty>,
    asks: BTreeMap<Price, Qty>,
    /// A snapshot arrived: changes can be applied.
    synced: bool,
    /// Levels dropped past [`MAX_BOOK_LEVELS`] since this book was made.
    dropped: u64,
}

impl LocalBook {
    /// Levels dropped past [`MAX_BOOK_LEVELS`] so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Applies `u` and returns the book's top, checked. Changes before the first snapshot are
    /// ignored (`Ok(None)`); a book that comes out impossible (crossed: a change was missed)
    /// is an error, and the book waits for the next snapshot.
    pub fn apply(&mut self, u: &BookUpdate) -> Result<Option<Book>, BookError> {
        if u.snapshot {
            self.bids.clear();
            self.asks.clear();
            self.synced = true;
        } else if !self.synced {
            return Ok(None);
        }
        for (side, levels) in [(&mut self.bids, &u.bids), (&mut self.asks, &u.asks)] {
            for l in levels {
                if l.price <= Price::ZERO || l.qty < Qty::ZERO {
                    self.synced = false;
                    return Err(BookError::BadLevel);
                }
                if l.qty.is_zero() {
                    side.remove(&l.price);
                } else {
                    side.insert(l.price, l.qty);
                }
            }
        }
        // The venue's own window, or our bound where the venue keeps more.
        let depth = u.depth.min(MAX_BOOK_LEVELS);
        let capped = u.depth > MAX_BOOK_LEVELS;
        while self.bids.len() > depth {
            self.bids.pop_first();
            self.dropped += capped as u64;
        }
        while self.asks.len() > depth {
            self.asks.pop_last();
            self.dropped += capped as u64;
        }
        let level = |(&price, &qty): (&Price, &Qty)| Level { price, qty };
        let book = Book {
            symbol: u.symbol,
            bids: self.bids.iter().rev().take(BOOK_DEPTH).map(level).collect(),
            asks: self.asks.iter().take(BOOK_DEPTH).map(level).collect(),
            time: u.time,
        }
        .checked();
        if book.is_err() {
            self.synced = false;
        }
        book.map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A venue that sends its whole book (depth unbounded) and a flood of far-away levels:
    /// the book stays bounded, counts what it dropped and keeps the touch exact.
    #[test]
    fn a_flood_of_far_levels_stays_bounded() {
        let sym = Symbol::new("coinbase:BTC-USD").unwrap();
        let mut local = LocalBook::default();
        let update = |snapshot, bids: Vec<Level>, asks: Vec<Level>| BookUpdate {
            symbol: sym,
            snapshot,
            depth: usize::MAX,
            bids,
            asks,
            time: None,
        };
        local
            .apply(&update(true, vec![lv("100", "1")], vec![lv("101", "2")]))
            .unwrap();
        for round in 0..20 {
            let far: Vec<Level> = (0..10_000)
                .map(|i| lv(&format!("{}.{i:05}", 1 + round), "0.1"))
                .collect();
            let book = local
                .apply(&update(false, far, Vec::new()))
                .unwrap()
                .unwrap();
            assert_eq!(book.bids[0], lv("100", "1"), "the touch is kept");
            assert_eq!(book.asks[0], lv("101", "2"));
        }
        assert_eq!(local.bids.len(), MAX_BOOK_LEVELS);
        assert_eq!(local.dropped(), 200_000 + 1 - MAX_BOOK_LEVELS as u64);
    }

    fn lv(p: &str, q: &str) -> Level {
        Level {
            price: Price::parse(p).unwrap(),
            qty: Qty::parse(q).unwrap(),
        }
    }

    fn book(bids: Vec<Level>, asks: Vec<Level>) -> Book {
        Book {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            bids,
            asks,
            time: None,
        }
    }

    #[test]
    fn a_true_book_passes_and_gives_its_spread() {
        let b = book(
            vec![lv("100.5", "1"), lv("100.4", "0"), lv("100", "2")],
            vec![lv("100.7", "3")],
        )
        .checked()
        .unwrap();
        assert_eq!(b.bids.len(), 2, "the empty level is dropped");
        assert_eq!(b.spread(), Some(Price::parse("0.2").unwrap()));
        let bp = b.spread_bp().unwrap();
        assert!((bp - 19.88).abs() < 0.01, "{bp}");
    }

    #[test]
    fn changes_apply_to_the_last_snapshot_in_order() {
        let sym = Symbol::new("bybit:BTCUSDT").unwrap();
        let update = |snapshot: bool, bids: Vec<Level>, asks: Vec<Level>| BookUpdate {
            symbol: sym,
            snapshot,
            depth: 2,
            bids,
            asks,
            time: None,
        };
        let mut local = LocalBook::default();
        assert_eq!(
            local.apply(&update(false, vec![lv("1", "1")], vec![])),
            Ok(None),
            "a change before any snapshot means nothing"
        );
        let b = local
            .apply(&update(
                true,
                vec![lv("100", "1"), lv("99", "2")],
                vec![lv("101", "3")],
            ))
            .unwrap()
            .unwrap();
        assert_eq!((b.bids.len(), b.asks.len()), (2, 1));
        // 100 goes, 98 comes, 101 changes size, 102 comes.
        let b = local
            .apply(&update(
                false,
                vec![lv("100", "0"), lv("98", "5")],
                vec![lv("101", "1.5"), lv("102", "4")],
            ))
            .unwrap()
            .unwrap();
        let prices = |side: &[Level]| side.iter().map(|l| l.price.to_string()).collect::<Vec<_>>();
        assert_eq!(prices(&b.bids), ["99", "98"]);
        // Beyond the venue's depth (2 here) a level is dropped: it would get no more changes.
        let b = local
            .apply(&update(false, vec![lv("99.5", "1")], vec![]))
            .unwrap()
            .unwrap();
        assert_eq!(prices(&b.bids), ["99.5", "99"]);
        assert_eq!(prices(&b.asks), ["101", "102"]);
        assert_eq!(b.asks[0].qty.to_string(), "1.5");
        // A missed change shows as a crossed book: refused, and changes wait for a snapshot.
        assert!(
            local
                .apply(&update(false, vec![lv("105", "1")], vec![]))
                .is_err()
        );
        assert_eq!(
            local.apply(&update(false, vec![lv("97", "1")], vec![])),
            Ok(None)
        );
        assert!(
            local
                .apply(&update(true, vec![lv("97", "1")], vec![lv("98", "1")]))
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn impossible_books_are_refused() {
        let crossed = book(vec![lv("101", "1")], vec![lv("100", "1")]);
        assert!(matches!(crossed.checked(), Err(BookError::Crossed { .. })));
        let unordered = book(vec![lv("99", "1"), lv("100", "1")], vec![]);
        assert_eq!(unordered.checked(), Err(BookError::Unordered));
        let negative = book(vec![lv("99", "-1")], vec![]);
        assert_eq!(negative.checked(), Err(BookError::BadLevel));
        let zero_price = book(vec![], vec![lv("0", "1")]);
        assert_eq!(zero_price.checked(), Err(BookError::BadLevel));
    }
}
