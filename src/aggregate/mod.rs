//! Trades into candles, exactly as Binance builds its klines. Pure and synchronous: the live
//! stream, `import` and the benchmarks all drive this same code.
//!
//! Rules (BINANCE.md): a trade belongs to the bucket `floor(T / interval)`; open and close
//! are the first and last trade *by id*, so out-of-order delivery still gives the exchange's
//! OHLC; volume and quote volume are exact sums; an interval without trades gets a flat,
//! zero-volume candle at the previous close. That last rule needs care: a quiet interval and
//! an interval we simply did not see (a dropped connection) look alike. Binance trade ids are
//! contiguous per symbol, so flat candles are only filled when no id is missing in between;
//! otherwise the hole is reported and left for the REST backfill to repair with real klines.

mod dedup;
mod series;

use crate::domain::{Candle, Millis, SeriesKey, Symbol, Timeframe, Trade};

pub use dedup::{RecentIds, Seen};
use series::Series;

/// What happened to one trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Price or quantity 0: Binance's marker for an invalidated duplicate.
    Void,
    Duplicate,
    /// Too old to place (its candle is no longer held in memory); the backfill repairs it.
    TooLate,
    /// Impossible: a time outside the market's life or this machine's clock, a negative
    /// quantity, a price not above zero. Callers that take untrusted trades check them with
    /// [`Trade::check`] before [`Aggregator::push`] and report this outcome themselves.
    Rejected,
}

/// Trades known to be missing: ids jumped from `after_id` to `before_id`, between these times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdGap {
    pub symbol: Symbol,
    pub after_id: i64,
    pub before_id: i64,
    pub from: Millis,
    pub to: Millis,
}

/// All timeframes of one symbol.
pub struct Aggregator {
    symbol: Symbol,
    series: Vec<Series>,
    ids: RecentIds,
    /// Highest id applied and its trade time, for continuity checks.
    last: Option<(i64, Millis)>,
    gaps: Vec<IdGap>,
}

impl Aggregator {
    pub fn new(symbol: Symbol, timeframes: &[Timeframe]) -> Self {
        Aggregator {
            symbol,
            series: timeframes.iter().map(|&tf| Series::new(tf)).collect(),
            ids: RecentIds::default(),
            last: None,
            gaps: Vec::new(),
        }
    }

    pub fn symbol(&self) -> Symbol {
        self.symbol
    }

    /// Continues from the newest stored candle of `tf` after a restart: an open candle goes on
    /// collecting trades instead of a wrong new one starting, and trades up to its last id
    /// count as already seen.
    ///
    /// A candle without trade ids (a REST kline or an imported one) is not resumed: nothing
    /// says which trades it already holds, so folding more in could count some twice. Trades
    /// for its interval start a fresh candle, which the store keeps only once it has at least
    /// as many trades.
    pub fn resume(&mut self, tf: Timeframe, last: Candle) {
        let Some(id) = last.last_trade_id else {
            return;
        };
        if let Some(s) = self.series.iter_mut().find(|s| s.tf == tf) {
            s.resume(last);
        }
        self.ids.seen_through(id);
        if self.last.is_none_or(|(l, _)| l < id) {
            self.last = Some((id, last.close_time(tf)));
        }
    }

    /// Folds one trade into every timeframe.
    #[inline]
    pub fn push(&mut self, t: &Trade) -> Outcome {
        if t.is_void() {
            return Outcome::Void;
        }
        match self.ids.insert(t.id) {
            Seen::New => {}
            Seen::Duplicate | Seen::TooOld => return Outcome::Duplicate,
        }
        // Contiguous: no trade is missing between the newest one applied and this one.
        let contiguous = match self.last {
            None => false,
            Some((last_id, last_time)) => {
                if t.id > last_id.saturating_add(1) {
                    self.gaps.push(IdGap {
                        symbol: self.symbol,
                        after_id: last_id,
                        before_id: t.id,
                        from: last_time,
                        to: t.time,
                    });
                }
                t.id == last_id.saturating_add(1)
            }
        };
        // One multiplication for every timeframe (it saturates, so it is not free).
        let quote = t.price * t.qty;
        let mut applied = false;
        for s in &mut self.series {
            applied |= s.apply(t, quote, contiguous);
        }
        if self.last.is_none_or(|(l, _)| t.id > l) {
            self.last = Some((t.id, t.time));
        }
        if applied {
            Outcome::Applied
        } else {
            Outcome::TooLate
        }
    }

    /// Marks candles whose interval ended before `now` as closed (quiet markets have no next
    /// trade to close them).
    pub fn close_due(&mut self, now: Millis) {
        for s in &mut self.series {
            s.close_due(now);
        }
    }

    /// Moves out every candle that changed since the last drain: finished ones, flat fills,
    /// amendments from late trades, and each open candle that ticked.
    pub fn drain(&mut self, out: &mut Vec<(SeriesKey, Candle)>) {
        for s in &mut self.series {
            let key = SeriesKey {
                symbol: self.symbol,
                timeframe: s.tf,
            };
            s.drain(|c| out.push((key, c)));
        }
    }

    /// Id gaps seen since the last call.
    pub fn take_gaps(&mut self) -> Vec<IdGap> {
        std::mem::take(&mut self.gaps)
    }

    /// The candle currently being built for `tf`.
    pub fn current(&self, tf: Timeframe) -> Option<Candle> {
        self.series
            .iter()
            .find(|s| s.tf == tf)
            .and_then(|s| s.current())
    }
}

#[cfg(test)]
mod tests;
