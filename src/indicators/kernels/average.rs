//! Moving averages of the close and the bands around one, in TA-Lib's order
//! of float operations.

use crate::indicators::bollinger::bands_of;
use crate::indicators::ema::{EmaState, RunningTotal};
use crate::indicators::kernel::{Columns, Kernel, NONE, Out, Past, append_map, one, seeding};

/// SMA: TA-Lib keeps one running total (add the newest, divide, subtract the
/// oldest); its few ulps of drift over a long series are part of its output.
#[derive(Clone, Debug)]
pub struct Sma {
    pub n: usize,
}

impl Kernel for Sma {
    type State = RunningTotal;

    fn start(&self) -> RunningTotal {
        RunningTotal::default()
    }

    #[inline(always)]
    fn step<P: Past>(&mut self, total: &mut RunningTotal, p: &P, i: usize) -> Out {
        let x = p.close(i);
        if i + 1 < self.n {
            total.add(x);
            return NONE;
        }
        one(total.advance(x, p.close(i + 1 - self.n), self.n as f64))
    }

    fn reach(&self) -> usize {
        self.n - 1
    }
}

/// EMA seeded with the SMA of the first `n` closes (TA-Lib's default).
#[derive(Clone, Debug)]
pub struct Ema {
    pub n: usize,
}

impl Kernel for Ema {
    type State = EmaState;

    fn start(&self) -> EmaState {
        EmaState::new(self.n)
    }

    #[inline(always)]
    fn step<P: Past>(&mut self, s: &mut EmaState, p: &P, i: usize) -> Out {
        let (next, v) = s.next(p.close(i));
        *s = next;
        one(v.unwrap_or(f64::NAN))
    }

    fn reach(&self) -> usize {
        0
    }

    #[inline(always)]
    fn batch(&mut self, p: &Columns<'_>, outputs: &mut [Vec<f64>]) {
        if let [out] = outputs {
            self.start().extend(p.close, out);
        }
    }
}

/// WMA with weights 1..n, TA-Lib's O(1) form: a weighted sum and a plain
/// sum of the window, the latter subtracted once per bar.
#[derive(Clone, Debug)]
pub struct Wma {
    pub n: usize,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct WmaState {
    sum: f64,
    sub: f64,
    trailing: f64,
}

impl Kernel for Wma {
    type State = WmaState;

    fn start(&self) -> WmaState {
        WmaState::default()
    }

    #[inline(always)]
    fn step<P: Past>(&mut self, s: &mut WmaState, p: &P, i: usize) -> Out {
        let x = p.close(i);
        let n = self.n;
        if i + 1 < n {
            s.sub += x;
            s.sum += x * (i + 1) as f64;
            return NONE;
        }
        // TA-Lib's order (sub += x; sub -= trailing; sum += x * n; out; sum -= sub) puts two
        // additions on each running sum's chain from bar to bar; grouping the newcomers first
        // leaves one on each (the last bit of a sum may differ).
        s.sub += x - s.trailing;
        let weighted = x * n as f64;
        s.trailing = p.close(i + 1 - n);
        let divider = (n * (n + 1) / 2) as f64;
        let out = (s.sum + weighted) / divider;
        s.sum += weighted - s.sub;
        one(out)
    }

    fn reach(&self) -> usize {
        self.n - 1
    }
}

/// DEMA = 2 EMA - EMA(EMA), the second EMA seeded on the first's values.
#[derive(Clone, Debug)]
pub struct Dema {
    pub n: usize,
}

impl Kernel for Dema {
    type State = [EmaState; 2];

    fn start(&self) -> Self::State {
        [EmaState::new(self.n); 2]
    }

    #[inline(always)]
    fn step<P: Past>(&mut self, s: &mut Self::State, p: &P, i: usize) -> Out {
        let Some(e1) = chain(&mut s[0], p.close(i)) else {
            return NONE;
        };
        let Some(e2) = chain(&mut s[1], e1) else {
            return NONE;
        };
        one((2.0 * e1) - e2)
    }

    fn reach(&self) -> usize {
        0
    }

    /// Steps until the second EMA is seeded, then the two updates alone (two chains the
    /// CPU overlaps).
    #[inline(always)]
    fn batch(&mut self, p: &Columns<'_>, outputs: &mut [Vec<f64>]) {
        let [out] = outputs else { return };
        let mut s = self.start();
        let head = seeding(self, &mut s, p, out, |s| s[1].seeded());
        append_map(out, &p.close[head..], |x| {
            let e1 = s[0].step_seeded(x);
            let e2 = s[1].step_seeded(e1);
            (2.0 * e1) - e2
        });
    }
}

/// TEMA = 3 EMA - 3 EMA(EMA) + EMA(EMA(EMA)).
#[derive(Clone, Debug)]
pub struct Tema {
    pub n: usize,
}

impl Kernel for Tema {
    type State = [EmaState; 3];

    fn start(&self) -> Self::State {
        [EmaState::new(self.n); 3]
    }

    #[inline(always)]
    fn step<P: Past>(&mut self, s: &mut Self::State, p: &P, i: usize) -> Out {
        let Some(e1) = chain(&mut s[0], p.close(i)) else {
            return NONE;
        };
        let Some(e2) = chain(&mut s[1], e1) else {
            return NONE;
        };
        let Some(e3) = chain(&mut s[2], e2) else {
            return NONE;
        };
        one(e3 + ((3.0 * e1) - (3.0 * e2)))
    }

    fn reach(&self) -> usize {
        0
    }

    #[inline(always)]
    fn batch(&mut self, p: &Columns<'_>, outputs: &mut [Vec<f64>]) {
        let [out] = outputs else { return };
        let mut s = self.start();
        let head = seeding(self, &mut s, p, out, |s| s[2].seeded());
        append_map(out, &p.close[head..], |x| {
            let e1 = s[0].step_seeded(x);
            let e2 = s[1].step_seeded(e1);
            let e3 = s[2].step_seeded(e2);
            e3 + ((3.0 * e1) - (3.0 * e2))
        });
    }
}

/// One EMA of a chain (DEMA, TEMA): each is fed the one before it once that
/// has a value, so each is seeded on its input's first `n` values, as TA-Lib
/// chains them.
#[inline(always)]
fn chain(s: &mut EmaState, x: f64) -> Option<f64> {
    let (next, v) = s.next(x);
    *s = next;
    v
}

/// Bollinger Bands around TA-Lib's SMA, `k` population standard deviations
/// wide. The deviation takes a second pass over the window around the mean
/// (TA-Lib 0.8 does too; a running sum of squares cancels catastrophically
/// at crypto prices), so a bar costs O(n) and that is TA-Lib's cost as well.
#[derive(Clone, Debug)]
pub struct Bbands {
    pub n: usize,
    pub k: f64,
}

impl Kernel for Bbands {
    type State = RunningTotal;

    fn start(&self) -> RunningTotal {
        RunningTotal::default()
    }

    #[inline(always)]
    fn step<P: Past>(&mut self, total: &mut RunningTotal, p: &P, i: usize) -> Out {
        let (n, x) = (self.n, p.close(i));
        if i + 1 < n {
            total.add(x);
            return NONE;
        }
        let first = i + 1 - n;
        let mean = total.advance(x, p.close(first), n as f64);
        let b = bands_of(n - 1, |j| p.close(first + j), x, mean, n as f64, self.k);
        [b.upper, b.middle, b.lower]
    }

    fn reach(&self) -> usize {
        self.n - 1
    }

    /// Each window a slice of the closes (no per-value index checks, so the four lanes
    /// vectorise), the same operations as stepping.
    #[inline(always)]
    fn batch(&mut self, p: &Columns<'_>, outputs: &mut [Vec<f64>]) {
        let [upper, middle, lower] = outputs else {
            return;
        };
        let (n, k) = (self.n, self.k);
        let head = (n - 1).min(p.close.len());
        let mut total = self.start();
        for &x in &p.close[..head] {
            total.add(x);
        }
        for o in [&mut *upper, &mut *middle, &mut *lower] {
            o.extend(std::iter::repeat_n(f64::NAN, head));
        }
        for window in p.close.windows(n) {
            let (older, x) = (&window[..n - 1], window[n - 1]);
            let mean = total.advance(x, window[0], n as f64);
            let b = bands_of(n - 1, |j| older[j], x, mean, n as f64, k);
            upper.push(b.upper);
            middle.push(b.middle);
            lower.push(b.lower);
        }
    }
}
