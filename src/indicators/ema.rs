//! Simple and exponential moving averages, in TA-Lib's floating-point order.

/// TA-Lib's SMA running total: the sum of the last `period - 1` values seen.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RunningTotal {
    total: f64,
}

impl RunningTotal {
    pub(crate) fn add(&mut self, x: f64) {
        self.total += x;
    }

    /// Mean of the window that ends with `newest`, without changing the state.
    pub(crate) fn mean_with(&self, newest: f64, n: f64) -> f64 {
        (self.total + newest) / n
    }

    /// Folds `newest` in, returns the window mean, then drops `oldest`. TA-Lib adds the
    /// newest and then subtracts the oldest, two additions on the chain from bar to bar; the
    /// difference added once is one (the last bit of the total may differ).
    #[inline(always)]
    pub(crate) fn advance(&mut self, newest: f64, oldest: f64, n: f64) -> f64 {
        let mean = self.mean_with(newest, n);
        self.total += newest - oldest;
        mean
    }
}

/// One EMA as a value type: `next` returns the successor state and the output
/// for that bar, so the batch loop and the live engine run identical float
/// operations and agree bit for bit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EmaState {
    period: usize,
    k: f64,
    seen: usize,
    /// Running sum while seeding, then the EMA itself.
    acc: f64,
}

impl EmaState {
    /// `period` must be >= 1 (MACD's signal line may use 1; public EMA needs 2).
    pub(crate) fn new(period: usize) -> Self {
        debug_assert!(period >= 1);
        Self {
            period,
            k: 2.0 / (period as f64 + 1.0),
            seen: 0,
            acc: 0.0,
        }
    }

    /// [`Self::next`] over every value of `xs`, each EMA (or `NaN` while
    /// seeding) appended to `out`: once seeded, a loop of the update alone,
    /// the same float operations in the same order.
    #[inline(always)]
    pub(crate) fn extend(&mut self, xs: &[f64], out: &mut Vec<f64>) {
        let seeding = self.period.saturating_sub(self.seen).min(xs.len());
        for &x in &xs[..seeding] {
            let (next, v) = self.next(x);
            *self = next;
            out.push(v.unwrap_or(f64::NAN));
        }
        let rest = &xs[seeding..];
        self.acc = steady(rest, self.k, self.acc, out);
        self.seen += rest.len();
    }

    /// Whether every value from now on is the update alone.
    pub(crate) fn seeded(&self) -> bool {
        self.seen >= self.period
    }

    /// [`Self::next`] of a seeded EMA, the same operations: for batch loops.
    #[inline(always)]
    pub(crate) fn step_seeded(&mut self, x: f64) -> f64 {
        self.seen += 1;
        self.acc = update(self.acc, x, self.k);
        self.acc
    }

    #[inline(always)]
    pub(crate) fn next(self, x: f64) -> (Self, Option<f64>) {
        let mut s = self;
        s.seen += 1;
        if s.seen < s.period {
            s.acc += x;
            return (s, None);
        }
        if s.seen == s.period {
            // Seed: sum first, divide once, as TA-Lib does.
            s.acc += x;
            s.acc /= s.period as f64;
        } else {
            s.acc = update(s.acc, x, s.k);
        }
        (s, Some(s.acc))
    }
}

/// TA-Lib's update form ((x - prev) * k) + prev, not k*x + (1-k)*prev (which
/// drifts on a flat series), with the product and the sum fused: one rounding,
/// which is exact and the same bits on every machine (a fused multiply-add
/// is defined that way), and one instruction where the CPU has it.
#[inline(always)]
fn update(prev: f64, x: f64, k: f64) -> f64 {
    (x - prev).mul_add(k, prev)
}

/// The seeded EMA over `xs` from `acc`, appended to `out`; the new `acc`.
#[inline(always)]
fn steady(xs: &[f64], k: f64, mut acc: f64, out: &mut Vec<f64>) -> f64 {
    crate::indicators::kernel::append_map(out, xs, |x| {
        acc = update(acc, x, k);
        acc
    });
    acc
}

#[cfg(test)]
mod tests {
    /// Through the kernels. TA-Lib's SMA keeps one running total for the whole series (its
    /// few ulps of drift are part of its output); its EMA (k = 2 / (n + 1)) is seeded with the
    /// SMA of the first `n` closes, not the first close.
    fn sma(x: &[f64], n: usize) -> Vec<Option<f64>> {
        crate::indicators::on_closes(&format!("sma:{n}"), x, 1).remove(0)
    }

    fn ema(x: &[f64], n: usize) -> Vec<Option<f64>> {
        crate::indicators::on_closes(&format!("ema:{n}"), x, 1).remove(0)
    }

    #[test]
    fn sma_by_hand() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(
            sma(&x, 3),
            vec![None, None, Some(2.0), Some(3.0), Some(4.0)]
        );
        assert_eq!(sma(&x, 5), vec![None, None, None, None, Some(3.0)]);
        assert_eq!(sma(&x, 6), vec![None; 5]);
    }

    #[test]
    fn ema_by_hand() {
        // k = 0.5, seed = mean(1, 2, 3) = 2; then (4-2)*.5+2 = 3; (8-3)*.5+3 = 5.5.
        let x = [1.0, 2.0, 3.0, 4.0, 8.0];
        assert_eq!(
            ema(&x, 3),
            vec![None, None, Some(2.0), Some(3.0), Some(5.5)]
        );
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        assert!(sma(&[], 3).is_empty());
        assert!(ema(&[], 3).is_empty());
        assert_eq!(sma(&[1.0], 0), vec![None]);
        assert_eq!(ema(&[1.0], 1), vec![None]);
        assert_eq!(ema(&[1.0], 2), vec![None]);
    }
}
