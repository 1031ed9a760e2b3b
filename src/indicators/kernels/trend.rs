//! Range and trend: true range averages (ATR, NATR), ADX, Parabolic SAR,
//! and the volume lines OBV and VWAP.

use crate::indicators::kernel::{Columns, Kernel, NONE, Out, Past, append_with, is_zero, one};

/// True range of bar `i >= 1`, TA-Lib's comparisons in TA-Lib's order.
#[inline(always)]
fn true_range<P: Past>(p: &P, i: usize) -> f64 {
    range_of(p.high(i), p.low(i), p.close(i - 1))
}

#[inline(always)]
fn range_of(h: f64, l: f64, prev: f64) -> f64 {
    // Selects, not branches: which range is greatest is a coin toss on real data.
    let range = h - l;
    let up = (prev - h).abs();
    let greatest = if up > range { up } else { range };
    let down = (prev - l).abs();
    if down > greatest { down } else { greatest }
}

/// Wilder's average of the true range: the plain mean of the first `n`
/// ranges (bars 1..=n), then avg = (avg * (n - 1) + tr) / n.
#[derive(Clone, Debug)]
pub struct Atr {
    pub n: usize,
    /// NATR: divide by the close and scale to percent.
    pub normalised: bool,
}

impl Kernel for Atr {
    type State = f64;

    fn start(&self) -> f64 {
        0.0
    }

    #[inline(always)]
    fn step<P: Past>(&mut self, avg: &mut f64, p: &P, i: usize) -> Out {
        if i == 0 {
            return NONE;
        }
        let tr = true_range(p, i);
        let n = self.n as f64;
        if i < self.n {
            *avg += tr;
            return NONE;
        }
        if i == self.n {
            *avg += tr;
            *avg /= n;
        } else {
            *avg = wilder(*avg, tr, n);
        }
        one(self.shown(*avg, p.close(i)))
    }

    fn reach(&self) -> usize {
        1
    }

    /// Steps up to the first average, then a loop of the smoothing alone over the columns
    /// (the same operations, so the same bits as stepping).
    #[inline(always)]
    fn batch(&mut self, p: &Columns<'_>, outputs: &mut [Vec<f64>]) {
        let [out] = outputs else { return };
        let len = p.close.len();
        let head = (self.n + 1).min(len);
        let mut avg = self.start();
        for i in 0..head {
            out.push(self.step(&mut avg, p, i)[0]);
        }
        if head == len {
            return;
        }
        let (n, count) = (self.n as f64, len - head);
        // Cut to one length so the reads need no bounds checks.
        let (high, low) = (&p.high[head..][..count], &p.low[head..][..count]);
        let (prev, close) = (&p.close[head - 1..][..count], &p.close[head..][..count]);
        // Two passes: the true ranges (no bar depends on another: vectorised), then the
        // smoothing over them in place, a loop of the chain alone.
        append_with(out, count, |j| range_of(high[j], low[j], prev[j]));
        for (x, c) in out[head..].iter_mut().zip(close) {
            avg = wilder(avg, *x, n);
            *x = self.shown(avg, *c);
        }
    }
}

impl Atr {
    /// The average as shown: itself, or NATR's percent of the close (0 at a zero close).
    #[inline(always)]
    fn shown(&self, avg: f64, close: f64) -> f64 {
        if !self.normalised {
            return avg;
        }
        let pct = (avg / close) * 100.0;
        if !is_zero(close) { pct } else { 0.0 }
    }
}

/// Wilder's smoothing as TA-Lib writes it, `(avg * (n - 1) + x) / n`, has a product, a sum
/// and a division on the chain from bar to bar; one fused multiply-add (see
/// `indicators::fused`) differs in the last bit or two and takes a fraction of the time.
#[inline(always)]
fn wilder(avg: f64, x: f64, n: f64) -> f64 {
    avg.mul_add((n - 1.0) / n, x * (1.0 / n))
}

/// Average Directional Index, TA-Lib's bootstrap: DM and TR summed over the
/// first `n - 1` moves, Wilder-smoothed over the next `n` while the DX are
/// summed, the first ADX their mean (bar 2n - 1), then smoothed.
#[derive(Clone, Debug)]
pub struct Adx {
    pub n: usize,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct AdxState {
    plus_dm: f64,
    minus_dm: f64,
    tr: f64,
    sum_dx: f64,
    adx: f64,
}

impl Kernel for Adx {
    type State = AdxState;

    fn start(&self) -> AdxState {
        AdxState::default()
    }

    #[inline(always)]
    fn step<P: Past>(&mut self, s: &mut AdxState, p: &P, i: usize) -> Out {
        if i == 0 {
            return NONE;
        }
        let n = self.n;
        let nf = n as f64;
        let diff_p = p.high(i) - p.high(i - 1);
        let diff_m = p.low(i - 1) - p.low(i);
        let tr = true_range(p, i);
        if i < n {
            if diff_m > 0.0 && diff_p < diff_m {
                s.minus_dm += diff_m;
            } else if diff_p > 0.0 && diff_p > diff_m {
                s.plus_dm += diff_p;
            }
            s.tr += tr;
            return NONE;
        }
        s.minus_dm -= s.minus_dm / nf;
        s.plus_dm -= s.plus_dm / nf;
        if diff_m > 0.0 && diff_p < diff_m {
            s.minus_dm += diff_m;
        } else if diff_p > 0.0 && diff_p > diff_m {
            s.plus_dm += diff_p;
        }
        s.tr = s.tr - s.tr / nf + tr;
        let dx = if is_zero(s.tr) {
            None
        } else {
            let minus_di = 100.0 * (s.minus_dm / s.tr);
            let plus_di = 100.0 * (s.plus_dm / s.tr);
            let sum = minus_di + plus_di;
            (!is_zero(sum)).then(|| 100.0 * ((minus_di - plus_di).abs() / sum))
        };
        if i < 2 * n - 1 {
            s.sum_dx += dx.unwrap_or(0.0);
            return NONE;
        }
        if i == 2 * n - 1 {
            s.sum_dx += dx.unwrap_or(0.0);
            s.adx = s.sum_dx / nf;
        } else if let Some(dx) = dx {
            s.adx = (s.adx * (nf - 1.0) + dx) / nf;
        }
        one(s.adx)
    }

    fn reach(&self) -> usize {
        1
    }
}

/// Parabolic SAR with TA-Lib's bootstrap: the first bar is consumed, the
/// direction of bar 1 is long unless its -DM is positive, and the first SAR
/// is bar 0's low (long) or high (short).
#[derive(Clone, Debug)]
pub struct Sar {
    pub acceleration: f64,
    pub maximum: f64,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct SarState {
    long: bool,
    af: f64,
    ep: f64,
    sar: f64,
}

impl Kernel for Sar {
    type State = SarState;

    fn start(&self) -> SarState {
        SarState::default()
    }

    #[inline(always)]
    fn step<P: Past>(&mut self, s: &mut SarState, p: &P, i: usize) -> Out {
        if i == 0 {
            return NONE;
        }
        let accel = self.acceleration.min(self.maximum);
        let (new_high, new_low) = (p.high(i), p.low(i));
        // TA-Lib's first iteration uses bar 1 as its own "previous" bar.
        let (prev_high, prev_low) = if i == 1 {
            let diff_p = new_high - p.high(0);
            let diff_m = p.low(0) - new_low;
            s.long = !(diff_m > 0.0 && diff_p < diff_m);
            s.af = accel;
            if s.long {
                s.ep = new_high;
                s.sar = p.low(0);
            } else {
                s.ep = new_low;
                s.sar = p.high(0);
            }
            (new_high, new_low)
        } else {
            (p.high(i - 1), p.low(i - 1))
        };
        let out;
        if s.long {
            if new_low <= s.sar {
                s.long = false;
                s.sar = s.ep.max(prev_high).max(new_high);
                out = s.sar;
                s.af = accel;
                s.ep = new_low;
                s.sar += s.af * (s.ep - s.sar);
                s.sar = s.sar.max(prev_high).max(new_high);
            } else {
                out = s.sar;
                if new_high > s.ep {
                    s.ep = new_high;
                    s.af = (s.af + accel).min(self.maximum);
                }
                s.sar += s.af * (s.ep - s.sar);
                s.sar = s.sar.min(prev_low).min(new_low);
            }
        } else if new_high >= s.sar {
            s.long = true;
            s.sar = s.ep.min(prev_low).min(new_low);
            out = s.sar;
            s.af = accel;
            s.ep = new_high;
            s.sar += s.af * (s.ep - s.sar);
            s.sar = s.sar.min(prev_low).min(new_low);
        } else {
            out = s.sar;
            if new_low < s.ep {
                s.ep = new_low;
                s.af = (s.af + accel).min(self.maximum);
            }
            s.sar += s.af * (s.ep - s.sar);
            s.sar = s.sar.max(prev_high).max(new_high);
        }
        one(out)
    }

    fn reach(&self) -> usize {
        1
    }
}

/// On-Balance Volume, starting from the first bar's volume.
#[derive(Clone, Debug)]
pub struct Obv;

impl Kernel for Obv {
    type State = f64;

    fn start(&self) -> f64 {
        0.0
    }

    #[inline(always)]
    fn step<P: Past>(&mut self, obv: &mut f64, p: &P, i: usize) -> Out {
        if i == 0 {
            *obv = p.volume(0);
        } else {
            // The signed volume chosen, not branched to: up or down is a coin toss on real
            // data, and adding 0 leaves the total as it was.
            let (x, prev, v) = (p.close(i), p.close(i - 1), p.volume(i));
            let down = if x < prev { -v } else { 0.0 };
            *obv += if x > prev { v } else { down };
        }
        one(*obv)
    }

    fn reach(&self) -> usize {
        1
    }
}

const DAY_MS: i64 = 86_400_000;

/// VWAP by its definition: sum(typical price * volume) / sum(volume) since
/// the anchor: the start of each UTC day, or a fixed time (`vwap:anchor=`).
/// Bars before a fixed anchor, and a day with no volume yet, have no value.
#[derive(Clone, Debug)]
pub struct Vwap {
    /// `None`: reset every UTC day.
    pub anchor_ms: Option<i64>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct VwapState {
    session: Option<i64>,
    price_volume: f64,
    volume: f64,
}

impl Kernel for Vwap {
    type State = VwapState;

    fn start(&self) -> VwapState {
        VwapState::default()
    }

    #[inline(always)]
    fn step<P: Past>(&mut self, s: &mut VwapState, p: &P, i: usize) -> Out {
        let t = p.time(i);
        let session = match self.anchor_ms {
            Some(a) if t < a => return NONE,
            Some(a) => a,
            None => t.div_euclid(DAY_MS),
        };
        if s.session != Some(session) {
            *s = VwapState {
                session: Some(session),
                ..VwapState::default()
            };
        }
        let v = p.volume(i);
        let typical = (p.high(i) + p.low(i) + p.close(i)) / 3.0;
        s.price_volume += typical * v;
        s.volume += v;
        one(if s.volume > 0.0 {
            s.price_volume / s.volume
        } else {
            f64::NAN
        })
    }

    fn reach(&self) -> usize {
        0
    }
}
