use super::{Millis, Price, Qty, Symbol};

/// One execution, or one aggregated record (a Binance aggTrade, an OKX `trades` push: several
/// fills of one taker order at one price).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trade {
    pub symbol: Symbol,
    /// Trade id, or aggregate id for aggTrades; contiguous per symbol on most venues (see
    /// [`super::Continuity`]), which is how a gap is told apart from a quiet market.
    pub id: i64,
    pub price: Price,
    pub qty: Qty,
    pub time: Millis,
    /// Microseconds past `time`'s millisecond (0..=999) where the venue stamps trades that
    /// finely (Coinbase, Kraken); composites order trades of several venues by both.
    pub micros: u16,
    /// Individual trades this record stands for: 1, or `last - first + 1` for an aggTrade.
    pub count: u32,
    pub buyer_is_maker: bool,
}

impl Trade {
    /// The trade time in microseconds: the finest order the venues' clocks give.
    pub fn time_us(&self) -> i64 {
        self.time
            .saturating_mul(1000)
            .saturating_add(self.micros as i64)
    }

    /// Binance invalidated duplicated trades in place as price 0 / quantity 0; they never count.
    pub fn is_void(&self) -> bool {
        self.price.is_zero() || self.qty.is_zero()
    }
}
