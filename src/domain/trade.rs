use super::{Millis, Price, Qty, Symbol};

/// One execution, or one Binance aggTrade (several fills of one taker order at one price).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trade {
    pub symbol: Symbol,
    /// Trade id, or aggregate id for aggTrades; contiguous per symbol on Binance, which is how
    /// a gap in the data is told apart from a quiet market.
    pub id: i64,
    pub price: Price,
    pub qty: Qty,
    pub time: Millis,
    /// Individual trades this record stands for: 1, or `last - first + 1` for an aggTrade.
    pub count: u32,
    pub buyer_is_maker: bool,
}

impl Trade {
    /// Binance invalidated duplicated trades in place as price 0 / quantity 0; they never count.
    pub fn is_void(&self) -> bool {
        self.price.is_zero() || self.qty.is_zero()
    }
}
