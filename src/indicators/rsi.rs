//! Wilder's Relative Strength Index as TA-Lib computes it.

use super::params::period_in_range;

/// TA-Lib rejects RSI periods below 2; outside its range every output is `None`.
const MIN_PERIOD: usize = 2;

pub(crate) fn valid_period(period: usize) -> bool {
    period_in_range(period, MIN_PERIOD)
}

/// Wilder's RSI as TA-Lib computes it, as a value type shared by the kernel and the live
/// engine so both perform the same float operations: the average gain and loss are seeded
/// with the plain mean of the first `period` changes (emitted at index `period`), then
/// Wilder-smoothed; a flat window (both averages exactly zero) gives 0, as TA-Lib 0.8.1
/// does (older releases zeroed |g + l| < 1e-8, which would zero low-priced pairs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RsiState {
    period: usize,
    seen: usize,
    prev: f64,
    /// Sums of gains/losses while seeding, then Wilder averages.
    gain: f64,
    loss: f64,
}

impl RsiState {
    /// `period` must satisfy [`valid_period`].
    pub(crate) fn new(period: usize) -> Self {
        debug_assert!(valid_period(period));
        Self {
            period,
            seen: 0,
            prev: 0.0,
            gain: 0.0,
            loss: 0.0,
        }
    }

    #[inline(always)]
    pub(crate) fn next(self, x: f64) -> (Self, Option<f64>) {
        let mut s = self;
        s.seen += 1;
        let change = x - s.prev;
        s.prev = x;
        let changes = s.seen - 1;
        if changes == 0 {
            return (s, None);
        }
        let n = s.period as f64;
        if changes <= s.period {
            s.accumulate(change);
            if changes < s.period {
                return (s, None);
            }
        } else {
            // Wilder's smoothing, TA-Lib's (avg * (n - 1) + x) / n, as one fused multiply-add
            // on the chain from bar to bar (see `indicators::fused`) rather than a product, a
            // sum and a division: the last bit or two differ, the time is a third.
            let (keep, add) = ((n - 1.0) / n, 1.0 / n);
            let (up, down) = if change < 0.0 {
                (0.0, -change)
            } else {
                (change, 0.0)
            };
            s.gain = s.gain.mul_add(keep, up * add);
            s.loss = s.loss.mul_add(keep, down * add);
            return (s, Some(s.value()));
        }
        s.gain /= n;
        s.loss /= n;
        (s, Some(s.value()))
    }

    fn accumulate(&mut self, change: f64) {
        if change < 0.0 {
            self.loss -= change;
        } else {
            self.gain += change;
        }
    }

    fn value(&self) -> f64 {
        let total = self.gain + self.loss;
        if total == 0.0 {
            0.0
        } else {
            100.0 * (self.gain / total)
        }
    }
}

#[cfg(test)]
mod tests {
    /// Through the kernel, as `compute` runs it.
    fn rsi(x: &[f64], n: usize) -> Vec<Option<f64>> {
        crate::indicators::on_closes(&format!("rsi:{n}"), x, 1).remove(0)
    }

    #[test]
    fn rsi_by_hand() {
        // Changes +1, +1, -1, -3. Seed (n=2): g = 1, l = 0 -> 100.
        // Then g = (1*1 + 0)/2 = .5, l = (0 + 1)/2 = .5 -> 50.
        // Then g = .25, l = (.5 + 3)/2 = 1.75 -> 100 * .25 / 2 = 12.5.
        let x = [1.0, 2.0, 3.0, 2.0, -1.0];
        assert_eq!(
            rsi(&x, 2),
            vec![None, None, Some(100.0), Some(50.0), Some(12.5)]
        );
    }

    #[test]
    fn first_value_at_period() {
        let x: Vec<f64> = (0..16).map(|i| f64::from(i % 3)).collect();
        let out = rsi(&x, 14);
        assert!(out[..14].iter().all(Option::is_none));
        assert!(out[14..].iter().all(Option::is_some));
    }

    #[test]
    fn flat_series_is_zero_like_talib() {
        assert_eq!(rsi(&[5.0; 4], 2), vec![None, None, Some(0.0), Some(0.0)]);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        assert!(rsi(&[], 14).is_empty());
        assert_eq!(rsi(&[1.0], 14), vec![None]);
        assert_eq!(rsi(&[1.0, 2.0, 3.0], 1), vec![None; 3]);
        assert_eq!(rsi(&[1.0, 2.0, 3.0], 0), vec![None; 3]);
    }
}
