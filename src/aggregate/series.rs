//! One timeframe of one symbol: the open candle and a few finished ones kept for late trades.

use std::collections::VecDeque;

use crate::domain::{Candle, Millis, Quote, Timeframe, Trade};

/// Finished candles kept in memory so a trade that arrives late can still amend them.
const KEEP: usize = 3;

/// The most flat candles one trade may fill in (a week of minutes). Memory must never grow
/// with a time span taken from input: a longer silence, or a trade stamped far ahead, is left
/// as a hole for the gap repair to fill from the exchange's own klines.
pub(super) const MAX_FLAT_FILL: i64 = 7 * 24 * 60;

#[derive(Clone, Copy, Debug)]
struct Work {
    candle: Candle,
    /// Order keys of the trades that set open and close (the trade id on a venue; time,
    /// member and id on a composite).
    open_key: i128,
    close_key: i128,
    dirty: bool,
}

impl Work {
    fn start(open_time: Millis, t: &Trade, quote: Quote, key: i128, ids: bool) -> Work {
        Work {
            candle: Candle {
                open_time,
                open: t.price,
                high: t.price,
                low: t.price,
                close: t.price,
                volume: t.qty,
                quote_volume: Some(quote),
                trades: Some(t.count as u64),
                closed: false,
                first_trade_id: ids.then_some(t.id),
                last_trade_id: ids.then_some(t.id),
            },
            open_key: key,
            close_key: key,
            dirty: true,
        }
    }

    fn from_stored(c: Candle) -> Work {
        Work {
            candle: c,
            open_key: c.first_trade_id.map_or(i128::MIN, i128::from),
            close_key: c.last_trade_id.map_or(i128::MIN, i128::from),
            dirty: false,
        }
    }

    #[inline]
    fn add(&mut self, t: &Trade, quote: Quote, key: i128, ids: bool) {
        let c = &mut self.candle;
        if c.is_empty() {
            // A flat fill or an empty stored candle: the first real trade defines it.
            let closed = c.closed;
            *self = Work::start(c.open_time, t, quote, key, ids);
            self.candle.closed = closed;
            return;
        }
        c.high = c.high.max(t.price);
        c.low = c.low.min(t.price);
        if key < self.open_key {
            c.open = t.price;
            self.open_key = key;
        }
        if key > self.close_key {
            c.close = t.price;
            self.close_key = key;
        }
        c.volume += t.qty;
        // A stored candle without a count (a venue's kline that gives none) stays without
        // one: what it held before these trades is unknown.
        c.quote_volume = c.quote_volume.map(|q| q + quote);
        c.trades = c.trades.map(|n| n + t.count as u64);
        if ids {
            c.first_trade_id = Some(c.first_trade_id.map_or(t.id, |f| f.min(t.id)));
            c.last_trade_id = Some(c.last_trade_id.map_or(t.id, |l| l.max(t.id)));
        }
        self.dirty = true;
    }
}

pub(super) struct Series {
    pub(super) tf: Timeframe,
    current: Option<Work>,
    /// Finished candles, oldest first; those with `dirty` set are still to be drained.
    done: VecDeque<Work>,
    /// Flat fills and finished candles that fell out of `done` before being drained.
    spilled: Vec<Candle>,
}

impl Series {
    pub(super) fn new(tf: Timeframe) -> Self {
        Series {
            tf,
            current: None,
            done: VecDeque::with_capacity(KEEP + 1),
            spilled: Vec::new(),
        }
    }

    pub(super) fn resume(&mut self, c: Candle) {
        let w = Work::from_stored(c);
        if c.closed {
            self.push_done(w);
        } else {
            self.current = Some(w);
        }
    }

    pub(super) fn current(&self) -> Option<Candle> {
        self.current.map(|w| w.candle)
    }

    /// Applies a trade whose price x quantity is `quote`; false when its candle is too old to
    /// be held.
    #[inline]
    pub(super) fn apply(
        &mut self,
        t: &Trade,
        quote: Quote,
        key: i128,
        fill_flat: bool,
        ids: bool,
    ) -> bool {
        let bucket = self.tf.bucket(t.time);
        if let Some(cur) = self
            .current
            .as_mut()
            .filter(|w| w.candle.open_time == bucket)
        {
            cur.add(t, quote, key, ids);
            return true;
        }
        // A late trade (or one after a restart, for a candle already closed by the clock):
        // amend the finished candle it belongs to, if still held.
        if let Some(w) = self.done.iter_mut().find(|w| w.candle.open_time == bucket) {
            w.add(t, quote, key, ids);
            return true;
        }
        let newest = self
            .current
            .map(|w| w.candle.open_time)
            .or_else(|| self.done.back().map(|w| w.candle.open_time));
        if newest.is_some_and(|open| bucket < open) {
            return false;
        }
        self.finish_current();
        if fill_flat {
            self.fill_flat_until(bucket);
        }
        self.current = Some(Work::start(bucket, t, quote, key, ids));
        true
    }

    /// Zero-volume candles at the previous close for every interval before `bucket` that
    /// followed the last finished candle.
    fn fill_flat_until(&mut self, bucket: Millis) {
        let Some(prev) = self.done.back().map(|w| w.candle) else {
            return;
        };
        let step = self.tf.millis();
        let missing = (bucket - prev.open_time) / step - 1;
        if missing > MAX_FLAT_FILL {
            return;
        }
        let mut t = prev.open_time + step;
        while t < bucket {
            let mut w = Work::from_stored(Candle::flat(t, prev.close));
            w.dirty = true;
            self.push_done(w);
            t += step;
        }
    }

    fn finish_current(&mut self) {
        if let Some(mut w) = self.current.take() {
            w.candle.closed = true;
            w.dirty = true;
            self.push_done(w);
        }
    }

    fn push_done(&mut self, w: Work) {
        self.done.push_back(w);
        while self.done.len() > KEEP {
            if let Some(old) = self.done.pop_front().filter(|w| w.dirty) {
                self.spilled.push(old.candle);
            }
        }
    }

    pub(super) fn close_due(&mut self, now: Millis) {
        if self
            .current
            .is_some_and(|w| w.candle.open_time + self.tf.millis() <= now)
        {
            self.finish_current();
        }
    }

    pub(super) fn drain(&mut self, mut emit: impl FnMut(Candle)) {
        for c in self.spilled.drain(..) {
            emit(c);
        }
        for w in self.done.iter_mut().filter(|w| w.dirty) {
            w.dirty = false;
            emit(w.candle);
        }
        if let Some(w) = self.current.as_mut().filter(|w| w.dirty) {
            w.dirty = false;
            emit(w.candle);
        }
    }
}
