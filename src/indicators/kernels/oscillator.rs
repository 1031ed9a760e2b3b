//! Oscillators: RSI, MACD, momentum, rate of change, the stochastics,
//! Williams %R, CCI and MFI.

use crate::indicators::kernel::{
    Extremes, Kernel, LaneSma, LaneSmaState, NONE, Out, Past, Ring, is_zero, is_zero_scaled, one,
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
        let old = p.close(i - self.n);
        one(if old != 0.0 {
            ((p.close(i) / old) - 1.0) * 100.0
        } else {
            0.0
        })
    }

    fn reach(&self) -> usize {
        self.n
    }
}

/// Where `x` sits in `[lowest, highest]`, in percent; 0 for a flat range
/// (TA-Lib 0.8 treats a range under its 1e-14 epsilon as flat).
#[inline(always)]
fn percent_k(x: f64, e: &Extremes) -> f64 {
    let diff = (e.highest - e.lowest) / 100.0;
    if !is_zero(diff) {
        (x - e.lowest) / diff
    } else {
        0.0
    }
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
        let diff = (s.highest - s.lowest) * (-0.01);
        one(if diff != 0.0 {
            (s.highest - p.close(i)) / diff
        } else {
            0.0
        })
    }

    fn reach(&self) -> usize {
        self.n - 1
    }
}

/// Commodity Channel Index over the typical price (h + l + c) / 3.
///
/// TA-Lib sums the window in the order of its circular buffer (bar `j`
/// sits in slot `j mod n`), not oldest first; in a flat window the order
/// decides whether the mean equals the last price exactly, i.e. whether the
/// CCI is 0 or +-66.7, so the same order is kept here. O(n) a bar, as in
/// TA-Lib: the mean deviation has no running form.
#[derive(Clone, Debug)]
pub struct Cci {
    pub n: usize,
}

#[inline(always)]
fn typical<P: Past>(p: &P, j: usize) -> f64 {
    (p.high(j) + p.low(j) + p.close(j)) / 3.0
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
        // Bar of slot 0 is the one in the window with j mod n == 0.
        let rot = first % n;
        let slot_bar = |slot: usize| {
            if slot >= rot {
                first + (slot - rot)
            } else {
                first + (n - rot) + slot
            }
        };
        let mut mean = 0.0;
        for slot in 0..n {
            mean += typical(p, slot_bar(slot));
        }
        mean /= n as f64;
        let mut dev = 0.0;
        for slot in 0..n {
            dev += (typical(p, slot_bar(slot)) - mean).abs();
        }
        let last = typical(p, i) - mean;
        one(if !is_zero(last) && !is_zero(dev) {
            last / (0.015 * (dev / n as f64))
        } else {
            0.0
        })
    }

    fn reach(&self) -> usize {
        self.n - 1
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
