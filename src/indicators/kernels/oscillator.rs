//! Oscillators: RSI, MACD, momentum, rate of change, the stochastics,
//! Williams %R, CCI and MFI.

use crate::indicators::kernel::{
    Columns, Extremes, Kernel, LaneSma, LaneSmaState, NONE, Out, Past, Ring, is_zero,
    is_zero_scaled, one,
};
use crate::indicators::macd::MacdState;
use crate::indicators::rsi::RsiState;

/// Wilder's RSI (first value at bar `n`; a flat window is 0, as in TA-Lib).
#[derive(Clone, Debug)]
pub struct Rsi {
    pub n: usize,
}

impl Kernel for Rsi {
    type State = RsiState;

    fn start(&self) -> RsiState {
        RsiState::new(self.n)
    }

    #[inline(always)]
    fn step<P: Past>(&mut self, s: &mut RsiState, p: &P, i: usize) -> Out {
        let (next, v) = s.next(p.close(i));
        *s = next;
        one(v.unwrap_or(f64::NAN))
    }

    fn reach(&self) -> usize {
        0
    }
}

/// MACD line, signal and histogram (TA-Lib's alignment and fast/slow swap).
#[derive(Clone, Debug)]
pub struct Macd {
    pub start: MacdState,
}

impl Kernel for Macd {
    type State = MacdState;

    fn start(&self) -> MacdState {
        self.start
    }

    #[inline(always)]
    fn step<P: Past>(&mut self, s: &mut MacdState, p: &P, i: usize) -> Out {
        let (next, v) = s.next(p.close(i));
        *s = next;
        v.map_or(NONE, |v| [v.macd, v.signal, v.hist])
    }

    fn reach(&self) -> usize {
        0
    }

    /// Steps until the signal line is seeded, then the three averages' updates alone.
    #[inline(always)]
    fn batch(&mut self, p: &Columns<'_>, outputs: &mut [Vec<f64>]) {
        let [line, signal, hist] = outputs else {
            return;
        };
        let mut s = self.start();
        let mut i = 0;
        while i < p.close.len() && !s.seeded() {
            let out = self.step(&mut s, p, i);
            line.push(out[0]);
            signal.push(out[1]);
            hist.push(out[2]);
            i += 1;
        }
        for x in &p.close[i..] {
            let v = s.step_seeded(*x);
            line.push(v.macd);
            signal.push(v.signal);
            hist.push(v.hist);
        }
    }
}

/// Momentum: `close - close[n bars ago]`, in price units.
#[derive(Clone, Debug)]
pub struct Mom {
    pub n: usize,
}

impl Kernel for Mom {
    type State = ();

    fn start(&self) {}

    #[inline(always)]
    fn step<P: Past>(&mut self, _: &mut (), p: &P, i: usize) -> Out {
        if i < self.n {
            return NONE;
        }
        one(p.close(i) - p.close(i - self.n))
    }

    fn reach(&self) -> usize {
        self.n
    }

    /// One subtraction a bar with nothing carried: a loop the compiler vectorises.
    #[inline(always)]
    fn batch(&mut self, p: &Columns<'_>, outputs: &mut [Vec<f64>]) {
        lagged(self.n, p.close, outputs, |new, old| new - old);
    }
}

/// Rate of change in percent; TA-Lib answers 0 where the old close is 0.
#[derive(Clone, Debug)]
pub struct Roc {
    pub n: usize,
}

impl Kernel for Roc {
    type State = ();

    fn start(&self) {}

    #[inline(always)]
    fn step<P: Past>(&mut self, _: &mut (), p: &P, i: usize) -> Out {
        if i < self.n {
            return NONE;
        }
        one(roc(p.close(i), p.close(i - self.n)))
    }

    fn reach(&self) -> usize {
        self.n
    }

    #[inline(always)]
    fn batch(&mut self, p: &Columns<'_>, outputs: &mut [Vec<f64>]) {
        lagged(self.n, p.close, outputs, roc);
    }
}

/// The rate of change, computed whether or not `old` is 0 and then chosen,
/// so a batch loop has no branch (the same bits as testing first).
#[inline(always)]
fn roc(new: f64, old: f64) -> f64 {
    let r = ((new / old) - 1.0) * 100.0;
    if old != 0.0 { r } else { 0.0 }
}

/// `f(x[i], x[i - n])` from bar `n` on, `NaN` before: MOM's and ROC's batch
/// path, one pass with nothing carried from bar to bar.
#[inline(always)]
fn lagged(n: usize, x: &[f64], outputs: &mut [Vec<f64>], f: impl Fn(f64, f64) -> f64) {
    let [out] = outputs else { return };
    let head = n.min(x.len());
    out.extend(std::iter::repeat_n(f64::NAN, head));
    out.extend(x[head..].iter().zip(x).map(|(new, old)| f(*new, *old)));
}

/// Where `x` sits in `[lowest, highest]`, in percent; 0 for a flat range
/// (TA-Lib 0.8 treats a range under its 1e-14 epsilon as flat).
#[inline(always)]
fn percent_k(x: f64, e: &Extremes) -> f64 {
    percent_k_of(x, e.highest, e.lowest)
}

#[inline(always)]
fn percent_k_of(x: f64, highest: f64, lowest: f64) -> f64 {
    let diff = (highest - lowest) / 100.0;
    let k = (x - lowest) / diff;
    if !is_zero(diff) { k } else { 0.0 }
}

/// Slow stochastic: %K over `k` bars smoothed by an SMA of `ks`, %D an SMA of
/// `d` of that. Both are withheld until %D exists, as TA-Lib does.
#[derive(Clone, Debug)]
pub struct Stoch {
    pub k: usize,
    slow_k: LaneSma,
    slow_d: LaneSma,
}

impl Stoch {
    pub fn new(k: usize, ks: usize, d: usize) -> Self {
        Self {
            k,
            slow_k: LaneSma::new(ks),
            slow_d: LaneSma::new(d),
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct StochState {
    range: Extremes,
    slow_k: LaneSmaState,
    slow_d: LaneSmaState,
}

impl Kernel for Stoch {
    type State = StochState;

    fn start(&self) -> StochState {
        StochState::default()
    }

    #[inline(always)]
    fn step<P: Past>(&mut self, s: &mut StochState, p: &P, i: usize) -> Out {
        if i + 1 < self.k {
            return NONE;
        }
        s.range
            .update(i + 1 - self.k, i, |j| p.high(j), |j| p.low(j));
        let fast = percent_k(p.close(i), &s.range);
        let k = self.slow_k.push(&mut s.slow_k, i, fast);
        if k.is_nan() {
            return NONE;
        }
        let d = self.slow_d.push(&mut s.slow_d, i, k);
        if d.is_nan() {
            return NONE;
        }
        [k, d, f64::NAN]
    }

    fn reach(&self) -> usize {
        self.k - 1
    }

    /// The raw %K of every bar from [`window_extremes`] (the same extremes, so the same
    /// values), then the two averages over it in place, as stepping runs them.
    #[inline(always)]
    fn batch(&mut self, p: &Columns<'_>, outputs: &mut [Vec<f64>]) {
        let [k_out, d_out] = outputs else { return };
        let close = p.close;
        window_extremes(self.k, p.high, p.low, k_out, |i, highest, lowest| {
            percent_k_of(close[i], highest, lowest)
        });
        d_out.resize(k_out.len(), f64::NAN);
        let mut s = self.start();
        for i in self.k - 1..k_out.len() {
            let k = self.slow_k.push(&mut s.slow_k, i, k_out[i]);
            let d = if k.is_nan() {
                f64::NAN
            } else {
                self.slow_d.push(&mut s.slow_d, i, k)
            };
            (k_out[i], d_out[i]) = if d.is_nan() {
                (f64::NAN, f64::NAN)
            } else {
                (k, d)
            };
        }
    }
}

/// Stochastic RSI: the fast stochastic of RSI(n) over `k` values, %D an SMA
/// of `d`; %K is withheld until %D exists, as TA-Lib does.
#[derive(Clone, Debug)]
pub struct StochRsi {
    pub n: usize,
    pub k: usize,
    rsi: Ring<f64>,
    fast_d: LaneSma,
}

impl StochRsi {
    pub fn new(n: usize, k: usize, d: usize) -> Self {
        Self {
            n,
            k,
            rsi: Ring::new(k),
            fast_d: LaneSma::new(d),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct StochRsiState {
    rsi: RsiState,
    range: Extremes,
    fast_d: LaneSmaState,
}

impl Kernel for StochRsi {
    type State = StochRsiState;

    fn start(&self) -> StochRsiState {
        StochRsiState {
            rsi: RsiState::new(self.n),
            range: Extremes::default(),
            fast_d: LaneSmaState::default(),
        }
    }

    #[inline(always)]
    fn step<P: Past>(&mut self, s: &mut StochRsiState, p: &P, i: usize) -> Out {
        let (next, r) = s.rsi.next(p.close(i));
        s.rsi = next;
        let Some(r) = r else {
            return NONE;
        };
        self.rsi.set(i, r);
        // RSI's first value is at bar n.
        if i + 1 < self.n + self.k {
            return NONE;
        }
        let ring = &self.rsi;
        s.range
            .update(i + 1 - self.k, i, |j| ring.get(j), |j| ring.get(j));
        let fast = percent_k(r, &s.range);
        let d = self.fast_d.push(&mut s.fast_d, i, fast);
        if d.is_nan() {
            return NONE;
        }
        [fast, d, f64::NAN]
    }

    fn reach(&self) -> usize {
        0
    }
}

/// Williams %R, from -100 (close at the low) to 0 (at the high).
#[derive(Clone, Debug)]
pub struct Willr {
    pub n: usize,
}

impl Kernel for Willr {
    type State = Extremes;

    fn start(&self) -> Extremes {
        Extremes::default()
    }

    #[inline(always)]
    fn step<P: Past>(&mut self, s: &mut Extremes, p: &P, i: usize) -> Out {
        if i + 1 < self.n {
            return NONE;
        }
        s.update(i + 1 - self.n, i, |j| p.high(j), |j| p.low(j));
        one(willr(s.highest, s.lowest, p.close(i)))
    }

    fn reach(&self) -> usize {
        self.n - 1
    }

    /// The window's extremes by van Herk and Gil-Werman's blocks (three comparisons a bar
    /// whatever the data, no rescans): the very values TA-Lib's tracking finds, since a
    /// maximum is a maximum however it is found.
    #[inline(always)]
    fn batch(&mut self, p: &Columns<'_>, outputs: &mut [Vec<f64>]) {
        let [out] = outputs else { return };
        let close = p.close;
        window_extremes(self.n, p.high, p.low, out, |i, highest, lowest| {
            willr(highest, lowest, close[i])
        });
    }
}

/// For every bar `i` from `n - 1` on, `f(i, highest high, lowest low)` over bars
/// `i + 1 - n ..= i`, appended to `out` after `NaN` for the bars before (the first block's
/// early bars are computed over the bars so far and then put back to `NaN`).
///
/// The bars are cut into blocks of `n`. A window either is one block (its running extreme)
/// or ends in one block and starts in the one before, where it covers a suffix of that block:
/// the extreme of the suffix (kept from a backward pass over the previous block) against
/// the running extreme of the current block.
#[inline(always)]
pub(crate) fn window_extremes(
    n: usize,
    high: &[f64],
    low: &[f64],
    out: &mut Vec<f64>,
    mut f: impl FnMut(usize, f64, f64) -> f64,
) {
    let len = high.len().min(low.len());
    out.resize(len, f64::NAN);
    let max = |a: f64, b: f64| if b > a { b } else { a };
    let min = |a: f64, b: f64| if b < a { b } else { a };
    // Suffix extremes of the previous block: `hi_suf[k]` over its bars `k..n` (before the
    // first block, nothing: the first block's windows are all within it).
    let (mut hi_suf, mut lo_suf) = (vec![f64::NEG_INFINITY; n + 1], vec![f64::INFINITY; n + 1]);
    let mut b = 0;
    while b < len {
        let end = (b + n).min(len);
        let (mut hi, mut lo) = (f64::NEG_INFINITY, f64::INFINITY);
        // The window ending at bar b + k - 1 starts at offset k of the previous block; at
        // k = n it is this block alone (slot n of the suffixes holds the neutral extremes).
        for (k, i) in (1..).zip(b..end) {
            hi = max(hi, high[i]);
            lo = min(lo, low[i]);
            out[i] = f(i, max(hi_suf[k], hi), min(lo_suf[k], lo));
        }
        if end - b == n {
            let (mut hi, mut lo) = (f64::NEG_INFINITY, f64::INFINITY);
            for k in (0..n).rev() {
                hi = max(hi, high[b + k]);
                lo = min(lo, low[b + k]);
                hi_suf[k] = hi;
                lo_suf[k] = lo;
            }
        }
        b = end;
    }
    for x in out.iter_mut().take(n - 1) {
        *x = f64::NAN;
    }
}

#[inline(always)]
fn willr(highest: f64, lowest: f64, close: f64) -> f64 {
    let diff = (highest - lowest) * (-0.01);
    let r = (highest - close) / diff;
    if diff != 0.0 { r } else { 0.0 }
}

/// Commodity Channel Index over the typical price (h + l + c) / 3.
///
/// TA-Lib sums the window in the order of its circular buffer (bar `j`
/// sits in slot `j mod n`), not oldest first; in a flat window the order
/// decides whether the mean equals the last price exactly, i.e. whether the
/// CCI is 0 or +-66.7, so the same order is kept here. O(n) a bar, as in
/// TA-Lib: the mean deviation has no running form. Each bar's typical price
/// is worked out once (TA-Lib keeps them in its buffer), not once per window
/// it falls in.
#[derive(Clone, Debug)]
pub struct Cci {
    pub n: usize,
    /// The window's typical prices, oldest first, rebuilt each bar.
    window: Vec<f64>,
}

impl Cci {
    pub fn new(n: usize) -> Self {
        Self {
            n,
            window: vec![0.0; n],
        }
    }
}

#[inline(always)]
fn typical<P: Past>(p: &P, j: usize) -> f64 {
    (p.high(j) + p.low(j) + p.close(j)) / 3.0
}

/// The CCI of a window of typical prices, oldest first, whose first bar sits in TA-Lib's
/// circular slot `rot`: the mean summed in slot order (TA-Lib's: the bars from slot 0, which
/// are the window's newest `rot`, then the rest), the absolute deviations in four lanes in bar
/// order (all positive, so any order is as exact; four lanes are not one long chain).
#[inline(always)]
fn cci_of(window: &[f64], rot: usize) -> f64 {
    let n = window.len();
    let (older, newer) = window.split_at(n - rot);
    let mut mean = 0.0;
    for x in newer.iter().chain(older) {
        mean += x;
    }
    mean /= n as f64;
    let mut lanes = [0.0_f64; 4];
    let mut quads = window.chunks_exact(4);
    for q in quads.by_ref() {
        for (lane, x) in lanes.iter_mut().zip(q) {
            *lane += (x - mean).abs();
        }
    }
    for (lane, x) in lanes.iter_mut().zip(quads.remainder()) {
        *lane += (x - mean).abs();
    }
    let dev = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    let last = window[n - 1] - mean;
    let cci = last / (0.015 * (dev / n as f64));
    if !is_zero(last) && !is_zero(dev) {
        cci
    } else {
        0.0
    }
}

impl Kernel for Cci {
    type State = ();

    fn start(&self) {}

    #[inline(always)]
    fn step<P: Past>(&mut self, _: &mut (), p: &P, i: usize) -> Out {
        let n = self.n;
        if i + 1 < n {
            return NONE;
        }
        let first = i + 1 - n;
        for (k, x) in self.window.iter_mut().enumerate() {
            *x = typical(p, first + k);
        }
        one(cci_of(&self.window, first % n))
    }

    fn reach(&self) -> usize {
        self.n - 1
    }

    /// Every typical price once; each window is then a slice of them.
    #[inline(always)]
    fn batch(&mut self, p: &Columns<'_>, outputs: &mut [Vec<f64>]) {
        let [out] = outputs else { return };
        let n = self.n;
        let len = p.close.len();
        let tp: Vec<f64> = (0..len).map(|j| typical(p, j)).collect();
        out.extend(std::iter::repeat_n(f64::NAN, (n - 1).min(len)));
        for (first, window) in tp.windows(n).enumerate() {
            out.push(cci_of(window, first % n));
        }
    }
}

/// Money Flow Index: volume-weighted RSI of the typical price, TA-Lib 0.8's
/// form (scaled dead zone for an unchanged price, sums reset to exactly 0
/// after a whole window without flow, the ratio clamped into 0..=100).
#[derive(Clone, Debug)]
pub struct Mfi {
    pub n: usize,
    flows: Ring<(f64, f64)>,
}

impl Mfi {
    pub fn new(n: usize) -> Self {
        Self {
            n,
            flows: Ring::new(n),
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct MfiState {
    prev: f64,
    pos: f64,
    neg: f64,
    null_run: usize,
}

impl Kernel for Mfi {
    type State = MfiState;

    fn start(&self) -> MfiState {
        MfiState::default()
    }

    #[inline(always)]
    fn step<P: Past>(&mut self, s: &mut MfiState, p: &P, i: usize) -> Out {
        let tp = typical(p, i);
        if i == 0 {
            s.prev = tp;
            return NONE;
        }
        let n = self.n;
        if i > n {
            let (pos, neg) = self.flows.get(i - n);
            s.pos -= pos;
            s.neg -= neg;
        }
        let change = tp - s.prev;
        let scale = tp.abs() + s.prev.abs();
        s.prev = tp;
        let flow = if is_zero_scaled(change, scale) {
            0.0
        } else {
            tp * p.volume(i)
        };
        let (pos, neg) = if change < 0.0 {
            (0.0, flow)
        } else {
            (flow, 0.0)
        };
        self.flows.set(i, (pos, neg));
        s.pos += pos;
        s.neg += neg;
        s.null_run = if flow == 0.0 { s.null_run + 1 } else { 0 };
        if s.null_run >= n {
            s.null_run = n;
            s.pos = 0.0;
            s.neg = 0.0;
        }
        if i < n {
            return NONE;
        }
        let total = s.pos + s.neg;
        let pos = s.pos.clamp(0.0, total.max(0.0));
        one(if total <= 0.0 {
            0.0
        } else {
            100.0 * (pos / total)
        })
    }

    fn reach(&self) -> usize {
        0
    }
}
