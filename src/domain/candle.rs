use super::{Millis, Price, Qty, Quote, Symbol, Timeframe};

/// Which series a candle belongs to. The exchange is part of the store key but cryptoviz
/// speaks to one exchange per data dir, so it is not repeated here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct SeriesKey {
    pub symbol: Symbol,
    pub timeframe: Timeframe,
}

/// An OHLCV candle in Binance's kline conventions: `open_time` inclusive,
/// close time = open time + interval - 1 ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candle {
    pub open_time: Millis,
    pub open: Price,
    pub high: Price,
    pub low: Price,
    pub close: Price,
    pub volume: Qty,
    /// `None` where the source does not give it (Coinbase and Kraken REST candles): absent,
    /// which a real zero is not. Never summed into anything as if it were 0.
    pub quote_volume: Option<Quote>,
    /// `None` where the source does not give it (Coinbase, Bybit and OKX REST candles).
    pub trades: Option<u64>,
    pub closed: bool,
    /// First and last trade ids folded in (None for klines from REST or files, which lack them);
    /// kept so a restart can tell whether the next trade continues the candle.
    pub first_trade_id: Option<i64>,
    pub last_trade_id: Option<i64>,
}

impl Candle {
    /// An interval without trades: flat at the previous close, volume 0, as Binance emits it.
    pub fn flat(open_time: Millis, price: Price) -> Self {
        Candle {
            open_time,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: Qty::ZERO,
            // No trades is known, not absent.
            quote_volume: Some(Quote::ZERO),
            trades: Some(0),
            closed: true,
            first_trade_id: None,
            last_trade_id: None,
        }
    }

    pub fn close_time(&self, tf: Timeframe) -> Millis {
        self.open_time + tf.millis() - 1
    }

    /// Mends a candle of `venue` stored before values could be absent, when those were
    /// written as 0: a candle with volume cannot have had no trades or no quote volume, so
    /// such a 0 was the venue's silence. Returns whether anything changed.
    pub fn mend_stored_zeros(&mut self, venue: super::Venue) -> bool {
        let traded = !self.volume.is_zero();
        let mut changed = false;
        if traded && venue.klines_lack_quote_volume() && self.quote_volume == Some(Quote::ZERO) {
            self.quote_volume = None;
            changed = true;
        }
        if traded && venue.klines_lack_trades() && self.trades == Some(0) {
            self.trades = None;
            changed = true;
        }
        changed
    }

    /// Whether the candle certainly had no trades: nothing traded and no count that says
    /// otherwise (a flat fill, an empty stored candle).
    pub fn is_empty(&self) -> bool {
        self.volume.is_zero() && self.trades.unwrap_or(0) == 0
    }
}

/// The sum of values that may be absent: absent as soon as one part is (a 1h candle whose
/// minutes lack counts has no count), never a sum that treats absent as 0.
pub fn sum_known<T: std::ops::Add<Output = T>>(a: Option<T>, b: Option<T>) -> Option<T> {
    Some(a? + b?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Venue;

    #[test]
    fn a_sum_with_an_absent_part_is_absent() {
        assert_eq!(sum_known(Some(2u64), Some(3)), Some(5));
        assert_eq!(sum_known(Some(2u64), None), None);
        assert_eq!(sum_known(None, Some(0u64)), None);
    }

    #[test]
    fn stored_zeros_of_a_traded_candle_become_absent_where_the_venue_is_silent() {
        let traded = Candle {
            volume: Qty::from_int(3),
            ..Candle::flat(0, Price::from_int(100))
        };
        let mut coinbase = traded;
        assert!(coinbase.mend_stored_zeros(Venue::Coinbase));
        assert_eq!((coinbase.quote_volume, coinbase.trades), (None, None));
        let mut kraken = traded;
        assert!(kraken.mend_stored_zeros(Venue::Kraken));
        assert_eq!((kraken.quote_volume, kraken.trades), (None, Some(0)));
        let mut bybit = traded;
        assert!(bybit.mend_stored_zeros(Venue::Bybit));
        assert_eq!(
            (bybit.quote_volume, bybit.trades),
            (Some(Quote::ZERO), None)
        );
        // Binance gives both: its zeros are its own, and a candle without volume had none.
        let mut binance = traded;
        assert!(!binance.mend_stored_zeros(Venue::Binance));
        let mut empty = Candle::flat(0, Price::from_int(100));
        assert!(!empty.mend_stored_zeros(Venue::Coinbase));
        assert_eq!(
            (empty.quote_volume, empty.trades),
            (Some(Quote::ZERO), Some(0))
        );
    }
}
