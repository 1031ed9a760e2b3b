//! Trades into candles, exactly as each venue builds its own. Pure and synchronous: the live
//! streams, `import` and the benchmarks all drive this same code.
//!
//! Rules: a trade belongs to the bucket `floor(T / interval)`; open and close are the first
//! and last trade *by id*, so out-of-order delivery still gives the venue's OHLC; volume and
//! quote volume are exact sums. An interval without trades gets a flat, zero-volume candle at
//! the previous close on venues whose candles show one ([`EmptyIntervals`]); that rule needs
//! care: a quiet interval and an interval we simply did not see (a dropped connection) look
//! alike. Where trade ids are contiguous ([`Continuity`]), flat candles are only filled when no
//! id is missing in between; otherwise the hole is reported and left for the REST repair. A
//! venue without contiguous ids never gets flat fills from live trades.
//!
//! Composites ([`Aggregator::composite`]) merge several venues' trades: ids mean nothing across
//! venues, so open and close go by trade time to the microsecond, ties broken by the member's
//! place in the composite; duplicates are dropped by each member's aggregator before.

mod dedup;
mod series;

use crate::domain::{Candle, Millis, SeriesKey, Symbol, Timeframe, Trade};
use crate::exchange::{Continuity, EmptyIntervals};

pub use dedup::{RecentIds, RecentSet, Seen};
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
    continuity: Continuity,
    flat_fill: bool,
    /// Composites order by time and keep no ids; venues order by id.
    composite: bool,
    series: Vec<Series>,
    ids: RecentIds,
    /// Opaque ids seen ([`Continuity::Opaque`] only).
    opaque: RecentSet,
    /// Trades taken so far: the order where ids have none ([`Continuity::Opaque`]).
    arrivals: i128,
    /// Highest id applied and its trade time, for continuity checks.
    last: Option<(i64, Millis)>,
    gaps: Vec<IdGap>,
}

impl Aggregator {
    /// The aggregator of one venue's market, by that venue's rules.
    pub fn new(symbol: Symbol, timeframes: &[Timeframe]) -> Self {
        let venue = symbol.venue();
        Aggregator {
            symbol,
            continuity: venue.continuity(),
            flat_fill: venue.empty_intervals() == EmptyIntervals::Flat,
            composite: false,
            series: timeframes.iter().map(|&tf| Series::new(tf)).collect(),
            ids: RecentIds::default(),
            opaque: RecentSet::default(),
            arrivals: 0,
            last: None,
            gaps: Vec::new(),
        }
    }

    /// The aggregator of a composite: fed with [`Aggregator::push_member`] only.
    pub fn composite(symbol: Symbol, timeframes: &[Timeframe]) -> Self {
        Aggregator {
            continuity: Continuity::None,
            flat_fill: false,
            composite: true,
            ..Aggregator::new(symbol, timeframes)
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
        if self.continuity == Continuity::Opaque {
            return self.push_opaque(t);
        }
        match self.ids.insert(t.id) {
            Seen::New => {}
            Seen::Duplicate | Seen::TooOld => return Outcome::Duplicate,
        }
        // Contiguous: no trade is missing between the newest one applied and this one.
        let contiguous = match (self.continuity, self.last) {
            (Continuity::None, _) | (_, None) => false,
            (rule, Some((last_id, last_time))) => {
                // The first id this record stands for.
                let first = match rule {
                    Continuity::IdsByCount => t.id.saturating_sub(t.count.max(1) as i64 - 1),
                    _ => t.id,
                };
                if first > last_id.saturating_add(1) {
                    self.gaps.push(IdGap {
                        symbol: self.symbol,
                        after_id: last_id,
                        before_id: first,
                        from: last_time,
                        to: t.time,
                    });
                }
                first == last_id.saturating_add(1)
            }
        };
        let outcome = self.apply(t, t.id as i128, contiguous && self.flat_fill);
        if self.last.is_none_or(|(l, _)| t.id > l) {
            self.last = Some((t.id, t.time));
        }
        outcome
    }

    /// A trade whose id only tells it apart: new ones go in the order they came, and the
    /// candles keep no ids (a restart cannot know which of a candle's trades it holds).
    fn push_opaque(&mut self, t: &Trade) -> Outcome {
        if self.opaque.insert(t.id) == Seen::Duplicate {
            return Outcome::Duplicate;
        }
        self.arrivals += 1;
        self.apply(t, self.arrivals, false)
    }

    /// Folds a member's trade into a composite. `member` is the member's place in the
    /// composite's list; the trade was already accepted (not a duplicate) by its venue's
    /// aggregator.
    #[inline]
    pub fn push_member(&mut self, t: &Trade, member: u8) -> Outcome {
        // Time to the microsecond, then the member's place, then the id within the member
        // (or, where ids have no order, the order the member's trades came in).
        self.arrivals += 1;
        let within = match t.symbol.venue().continuity() {
            Continuity::Opaque => self.arrivals as u64,
            _ => t.id as u64,
        };
        let key = ((t.time_us() as i128) << 72) | ((member as i128) << 64) | within as i128;
        self.apply(t, key, false)
    }

    #[inline]
    fn apply(&mut self, t: &Trade, key: i128, fill_flat: bool) -> Outcome {
        // One multiplication for every timeframe (it saturates, so it is not free).
        let quote = t.price * t.qty;
        // Composites and opaque ids keep no trade ids in their candles.
        let ids = !self.composite && self.continuity != Continuity::Opaque;
        let mut applied = false;
        for s in &mut self.series {
            applied |= s.apply(t, quote, key, fill_flat, ids);
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
