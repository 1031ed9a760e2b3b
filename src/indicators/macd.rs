//! MACD (fast EMA - slow EMA), its signal line and histogram, TA-Lib style.

use serde::Serialize;

use super::ema::EmaState;
use super::params::period_in_range;

/// MACD line, signal line and histogram, each aligned with the input.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Macd {
    pub macd: Vec<Option<f64>>,
    pub signal: Vec<Option<f64>>,
    pub hist: Vec<Option<f64>>,
}

/// One bar of MACD output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct MacdValue {
    pub(crate) macd: f64,
    pub(crate) signal: f64,
    pub(crate) hist: f64,
}

/// MACD as a value type, shared by the batch function and the live engine.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MacdState {
    /// Bars to skip before the fast EMA starts: `slow - fast`.
    fast_delay: usize,
    seen: usize,
    fast: EmaState,
    slow: EmaState,
    signal: EmaState,
}

impl MacdState {
    /// `None` when TA-Lib would reject the periods.
    pub(crate) fn new(fast: usize, slow: usize, signal: usize) -> Option<Self> {
        let valid = period_in_range(fast, 2) && period_in_range(slow, 2);
        if !(valid && period_in_range(signal, 1)) {
            return None;
        }
        let (fast, slow) = if slow < fast {
            (slow, fast)
        } else {
            (fast, slow)
        };
        Some(Self {
            fast_delay: slow - fast,
            seen: 0,
            fast: EmaState::new(fast),
            slow: EmaState::new(slow),
            signal: EmaState::new(signal),
        })
    }

    /// Whether every value from now on is [`Self::step_seeded`] (the signal line is seeded,
    /// so both averages are).
    pub(crate) fn seeded(&self) -> bool {
        self.signal.seeded()
    }

    /// [`Self::next`] once seeded, the same operations in the same order.
    #[inline(always)]
    pub(crate) fn step_seeded(&mut self, x: f64) -> MacdValue {
        self.seen += 1;
        let slow = self.slow.step_seeded(x);
        let fast = self.fast.step_seeded(x);
        let line = fast - slow;
        let signal = self.signal.step_seeded(line);
        MacdValue {
            macd: line,
            signal,
            hist: line - signal,
        }
    }

    #[inline(always)]
    pub(crate) fn next(self, x: f64) -> (Self, Option<MacdValue>) {
        let mut s = self;
        s.seen += 1;
        let (slow, slow_value) = s.slow.next(x);
        s.slow = slow;
        if s.seen <= s.fast_delay {
            return (s, None);
        }
        let (fast, fast_value) = s.fast.next(x);
        s.fast = fast;
        let (Some(f), Some(sl)) = (fast_value, slow_value) else {
            return (s, None);
        };
        let line = f - sl;
        let (signal, signal_value) = s.signal.next(line);
        s.signal = signal;
        let value = signal_value.map(|sig| MacdValue {
            macd: line,
            signal: sig,
            hist: line - sig,
        });
        (s, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Through the kernel. TA-Lib's alignment: all three series start at
    /// `(slow - 1) + (signal - 1)`; the fast EMA is seeded on the closes that end on the slow
    /// one's seed bar; the line is withheld until the signal exists.
    fn macd(x: &[f64], fast: usize, slow: usize, signal: usize) -> Macd {
        let text = format!("macd:{fast},{slow},{signal}");
        let [macd, signal, hist] = crate::indicators::on_closes(&text, x, 3)
            .try_into()
            .unwrap();
        Macd { macd, signal, hist }
    }

    #[test]
    fn linear_input_by_hand() {
        // fast 2 / slow 3 / signal 2 on 1..=6. Slow seed at i=2: mean(1,2,3) = 2;
        // fast seed: mean(closes[1..3]) = 2.5; line 0.5. On a straight line an
        // EMA lags by (n-1)/2, so the line stays 0.5 and the histogram 0.
        // First output at (3-1) + (2-1) = 3.
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let m = macd(&x, 2, 3, 2);
        let some = |v: f64| vec![None, None, None, Some(v), Some(v), Some(v)];
        assert_eq!(m.macd, some(0.5));
        assert_eq!(m.signal, some(0.5));
        assert_eq!(m.hist, some(0.0));
    }

    #[test]
    fn non_linear_by_hand() {
        // fast 2 (k=2/3) / slow 3 (k=1/2) / signal 1 on [1, 2, 3, 7].
        // i=2: slow 2, fast 2.5, line .5 = signal (period 1 seed), hist 0.
        // i=3: slow (7-2)/2+2 = 4.5, fast (7-2.5)*2/3+2.5 = 5.5, line 1;
        //      signal (1-.5)*1+.5 = 1, hist 0.
        let m = macd(&[1.0, 2.0, 3.0, 7.0], 2, 3, 1);
        assert_eq!(m.macd, vec![None, None, Some(0.5), Some(1.0)]);
        assert_eq!(m.signal, vec![None, None, Some(0.5), Some(1.0)]);
        assert_eq!(m.hist, vec![None, None, Some(0.0), Some(0.0)]);
    }

    #[test]
    fn default_periods_start_at_33() {
        let x: Vec<f64> = (0..40).map(|i| f64::from(i * i % 17)).collect();
        let m = macd(&x, 12, 26, 9);
        for series in [&m.macd, &m.signal, &m.hist] {
            assert!(series[..33].iter().all(Option::is_none));
            assert!(series[33..].iter().all(Option::is_some));
        }
        assert!(macd(&x[..33], 12, 26, 9).macd.iter().all(Option::is_none));
    }

    /// TA-Lib swaps a fast period above the slow one; cryptoviz refuses it (a mistake, not a
    /// request: the config and `macd:F,S,G` say so), so it has no values.
    #[test]
    fn fast_not_below_slow_has_no_values() {
        let x: Vec<f64> = (0..60).map(|i| f64::from(i % 7) * 1.5).collect();
        assert!(macd(&x, 26, 12, 9).macd.iter().all(Option::is_none));
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        assert_eq!(macd(&[], 12, 26, 9), Macd::default());
        let one = macd(&[1.0], 12, 26, 9);
        assert_eq!(one.macd, vec![None]);
        let bad = macd(&[1.0, 2.0], 0, 0, 0);
        assert_eq!(bad.hist, vec![None, None]);
    }
}
