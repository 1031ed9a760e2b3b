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
    pub quote_volume: Quote,
    pub trades: u64,
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
            quote_volume: Quote::ZERO,
            trades: 0,
            closed: true,
            first_trade_id: None,
            last_trade_id: None,
        }
    }

    pub fn close_time(&self, tf: Timeframe) -> Millis {
        self.open_time + tf.millis() - 1
    }
}
