//! The top of a venue's order book, as its partial-depth stream sends it: live only, never
//! stored, replaced whole by each snapshot.

use super::{Millis, Price, Qty, Symbol};

/// Levels kept per side; the venues' partial streams send at most this many.
pub const BOOK_DEPTH: usize = 20;

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

#[cfg(test)]
mod tests {
    use super::*;

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
