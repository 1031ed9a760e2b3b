//! Live indicator engine: closed candles folded in once, the open candle re-evaluated per trade.

use std::collections::VecDeque;

use serde::Serialize;

use super::IndicatorParams;
use super::bollinger::{self, Bands};
use super::ema::RunningTotal;
use super::macd::{MacdState, MacdValue};
use super::momentum;
use super::rsi::{self, RsiState};

/// Indicator values for one bar; `None` where the lookback is not yet filled
/// (or the period is invalid).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Latest {
    pub rsi: Option<f64>,
    pub macd: Option<f64>,
    pub signal: Option<f64>,
    pub hist: Option<f64>,
    pub bb_upper: Option<f64>,
    pub bb_middle: Option<f64>,
    pub bb_lower: Option<f64>,
    pub momentum: Option<f64>,
}

/// State over the closed candles plus one open (last) candle whose close
/// changes with every trade.
///
/// RSI and MACD are recursive, so their state after the last closed candle is
/// a handful of floats; evaluating the open candle is one step from that state
/// without storing it. Bollinger keeps TA-Lib's running total plus the last
/// `period - 1` closes (O(period) per evaluation), momentum the last `period`
/// closes. The step functions are the very ones [`super::compute`] runs, so
/// `latest()` equals the last element of a full recompute over
/// (closed..., open) bit for bit, with no drift between the two.
///
/// Invalid periods (see [`IndicatorParams::validate`]) never panic; the
/// affected indicator is simply `None`, as in the batch functions.
#[derive(Clone, Debug)]
pub struct Incremental {
    params: IndicatorParams,
    closed: usize,
    rsi: Option<RsiState>,
    macd: Option<MacdState>,
    bb: Option<BollingerWindow>,
    momentum: Option<VecDeque<f64>>,
    last_closed: Latest,
    open: Option<Latest>,
}

impl Incremental {
    pub fn new(p: IndicatorParams) -> Self {
        Self {
            params: p,
            closed: 0,
            rsi: rsi::valid_period(p.rsi).then(|| RsiState::new(p.rsi)),
            macd: MacdState::new(p.macd_fast, p.macd_slow, p.macd_signal),
            bb: bollinger::valid_period(p.bollinger).then(|| BollingerWindow::new(p.bollinger)),
            momentum: momentum::valid_period(p.momentum)
                .then(|| VecDeque::with_capacity(p.momentum.min(1 << 16))),
            last_closed: Latest::default(),
            open: None,
        }
    }

    /// Builds the state from history, e.g. the candles loaded at startup.
    pub fn from_closes(p: IndicatorParams, closes: &[f64]) -> Self {
        let mut engine = Self::new(p);
        for &x in closes {
            engine.push_closed(x);
        }
        engine
    }

    pub fn params(&self) -> &IndicatorParams {
        &self.params
    }

    /// Number of closed candles folded in so far.
    pub fn closed_len(&self) -> usize {
        self.closed
    }

    /// A candle closed: fold it in, O(1) (O(period) for Bollinger).
    /// The open candle is cleared, since it is this candle.
    pub fn push_closed(&mut self, close: f64) {
        let mut out = Latest::default();
        if let Some(state) = &mut self.rsi {
            let (next, value) = state.next(close);
            *state = next;
            out.rsi = value;
        }
        if let Some(state) = &mut self.macd {
            let (next, value) = state.next(close);
            *state = next;
            set_macd(&mut out, value);
        }
        if let Some(window) = &mut self.bb {
            set_bands(&mut out, window.eval(close, self.params.bollinger_k));
            window.push(close);
        }
        if let Some(window) = &mut self.momentum {
            out.momentum = momentum_of(window, self.params.momentum, close);
            window.push_back(close);
            if window.len() > self.params.momentum {
                window.pop_front();
            }
        }
        self.closed += 1;
        self.last_closed = out;
        self.open = None;
    }

    /// The open candle's close changed: evaluate it against the closed
    /// state without changing that state.
    pub fn set_open(&mut self, close: f64) {
        let mut out = Latest::default();
        if let Some(state) = self.rsi {
            out.rsi = state.next(close).1;
        }
        if let Some(state) = self.macd {
            set_macd(&mut out, state.next(close).1);
        }
        if let Some(window) = &self.bb {
            set_bands(&mut out, window.eval(close, self.params.bollinger_k));
        }
        if let Some(window) = &self.momentum {
            out.momentum = momentum_of(window, self.params.momentum, close);
        }
        self.open = Some(out);
    }

    /// Forgets the open candle (e.g. the feed dropped); `latest` falls back
    /// to the last closed candle.
    pub fn clear_open(&mut self) {
        self.open = None;
    }

    /// Values for the latest bar: the open candle if set, else the last closed one.
    pub fn latest(&self) -> Latest {
        self.open.unwrap_or(self.last_closed)
    }
}

fn set_macd(out: &mut Latest, value: Option<MacdValue>) {
    out.macd = value.map(|v| v.macd);
    out.signal = value.map(|v| v.signal);
    out.hist = value.map(|v| v.hist);
}

fn set_bands(out: &mut Latest, value: Option<Bands>) {
    out.bb_upper = value.map(|b| b.upper);
    out.bb_middle = value.map(|b| b.middle);
    out.bb_lower = value.map(|b| b.lower);
}

/// `window` holds up to the last `period` closed closes, oldest first.
fn momentum_of(window: &VecDeque<f64>, period: usize, close: f64) -> Option<f64> {
    (window.len() == period).then(|| close - window[0])
}

/// TA-Lib's SMA running total plus the last `period - 1` closed closes.
#[derive(Clone, Debug)]
struct BollingerWindow {
    period: usize,
    total: RunningTotal,
    recent: Recent,
}

impl BollingerWindow {
    fn new(period: usize) -> Self {
        Self {
            period,
            total: RunningTotal::default(),
            recent: Recent::new(period - 1),
        }
    }

    /// Bands for a bar closing at `close` after the closed ones.
    fn eval(&self, close: f64, k: f64) -> Option<Bands> {
        let older = self.recent.window();
        if older.len() + 1 < self.period {
            return None;
        }
        let n = self.period as f64;
        let middle = self.total.mean_with(close, n);
        Some(bollinger::bands(older, close, middle, n, k))
    }

    fn push(&mut self, close: f64) {
        match self.recent.push(close) {
            None => self.total.add(close),
            Some(oldest) => {
                self.total.advance(close, oldest, self.period as f64);
            }
        }
    }
}

/// The last `cap` values, always readable as one contiguous slice (oldest
/// first) so the live engine hands Bollinger exactly the slice shape the
/// batch code does. Each value is stored twice, at `i` and `i + cap`.
#[derive(Clone, Debug)]
struct Recent {
    cap: usize,
    buf: Vec<f64>,
    start: usize,
    len: usize,
}

impl Recent {
    fn new(cap: usize) -> Self {
        Self {
            cap,
            buf: vec![0.0; 2 * cap],
            start: 0,
            len: 0,
        }
    }

    fn window(&self) -> &[f64] {
        &self.buf[self.start..self.start + self.len]
    }

    /// Appends `x`; once full, returns the value it evicted.
    fn push(&mut self, x: f64) -> Option<f64> {
        if self.cap == 0 {
            return Some(x);
        }
        if self.len < self.cap {
            self.buf[self.len] = x;
            self.buf[self.len + self.cap] = x;
            self.len += 1;
            return None;
        }
        let evicted = self.buf[self.start];
        self.buf[self.start] = x;
        self.buf[self.start + self.cap] = x;
        self.start = (self.start + 1) % self.cap;
        Some(evicted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::compute;

    fn small_params() -> IndicatorParams {
        IndicatorParams {
            rsi: 2,
            macd_fast: 2,
            macd_slow: 3,
            macd_signal: 2,
            bollinger: 3,
            bollinger_k: 2.0,
            momentum: 2,
        }
    }

    #[test]
    fn open_candle_matches_full_recompute() {
        let p = small_params();
        let closes = [10.0, 11.0, 10.5, 12.0, 11.0, 13.0, 12.5];
        let mut live = Incremental::new(p);
        for (i, &x) in closes.iter().enumerate() {
            for open in [x - 1.0, x + 2.0, x] {
                live.set_open(open);
                let mut series = closes[..i].to_vec();
                series.push(open);
                assert_eq!(
                    live.latest(),
                    compute(&series, &p).at(i),
                    "bar {i} open {open}"
                );
            }
            live.push_closed(x);
            assert_eq!(
                live.latest(),
                compute(&closes[..=i], &p).at(i),
                "closed bar {i}"
            );
        }
        assert_eq!(live.closed_len(), closes.len());
    }

    #[test]
    fn recent_keeps_a_contiguous_window() {
        let mut r = Recent::new(3);
        assert_eq!(r.push(1.0), None);
        assert_eq!(r.push(2.0), None);
        assert_eq!(r.window(), &[1.0, 2.0]);
        assert_eq!(r.push(3.0), None);
        for (x, evicted) in [(4.0, 1.0), (5.0, 2.0), (6.0, 3.0), (7.0, 4.0)] {
            assert_eq!(r.push(x), Some(evicted));
            assert_eq!(r.window(), &[x - 2.0, x - 1.0, x]);
        }
    }

    #[test]
    fn clear_open_falls_back_to_last_closed() {
        let mut live = Incremental::from_closes(small_params(), &[1.0, 2.0, 3.0, 4.0]);
        let closed = live.latest();
        live.set_open(100.0);
        assert_ne!(live.latest(), closed);
        live.clear_open();
        assert_eq!(live.latest(), closed);
    }

    #[test]
    fn empty_and_invalid_do_not_panic() {
        assert_eq!(
            Incremental::new(IndicatorParams::default()).latest(),
            Latest::default()
        );
        let zero = IndicatorParams {
            rsi: 0,
            macd_fast: 0,
            macd_slow: 0,
            macd_signal: 0,
            bollinger: 0,
            bollinger_k: f64::NAN,
            momentum: 0,
        };
        let huge = IndicatorParams {
            rsi: usize::MAX,
            macd_fast: usize::MAX - 1,
            macd_slow: usize::MAX,
            macd_signal: usize::MAX,
            bollinger: usize::MAX,
            bollinger_k: 2.0,
            momentum: usize::MAX,
        };
        for p in [zero, huge] {
            let mut live = Incremental::new(p);
            live.push_closed(1.0);
            live.set_open(2.0);
            assert_eq!(live.latest(), Latest::default());
        }
    }
}
