//! Bollinger Bands: SMA middle band +/- k population standard deviations.

use serde::Serialize;

use super::ema::RunningTotal;
use super::params::period_in_range;

/// TA-Lib rejects BBANDS periods below 2; outside its range every output is `None`.
const MIN_PERIOD: usize = 2;

/// Upper, middle and lower band, each aligned with the input.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Bollinger {
    pub upper: Vec<Option<f64>>,
    pub middle: Vec<Option<f64>>,
    pub lower: Vec<Option<f64>>,
}

/// Bollinger Bands over `period` closes, first value at `period - 1`.
///
/// The middle band is TA-Lib's SMA (one running total for the whole series,
/// drift included). The deviation is the population one (divide by n, not
/// n - 1), as in TA-Lib's BBANDS with the SMA moving average. It is taken
/// around that middle band by a second pass over the window rather than from
/// a running sum of squares: E[x^2] - mean^2 cancels catastrophically at
/// crypto prices (0.0014 ETH squares to 2e-6 while the variance is 1e-12).
/// Older TA-Lib C releases did use that running sum and clamped variances
/// below 1e-8 to zero, which flattens the bands of any pair priced under
/// ~1e-4; the TA-Lib build that produced the reference vectors (C 0.8.1 via
/// the TA-Lib 0.8.2 Python wheel) does neither, and this matches it to about
/// 1e-13. A window of n values costs O(n), which also bounds the live
/// engine's per-trade cost.
#[inline(always)]
pub fn bollinger(closes: &[f64], period: usize, k: f64) -> Bollinger {
    let len = closes.len();
    let mut out = Bollinger {
        upper: vec![None; len],
        middle: vec![None; len],
        lower: vec![None; len],
    };
    if !valid_period(period) || len < period {
        return out;
    }
    let n = period as f64;
    let mut total = RunningTotal::seed(&closes[..period - 1]);
    let slots = out.upper[period - 1..]
        .iter_mut()
        .zip(&mut out.middle[period - 1..])
        .zip(&mut out.lower[period - 1..]);
    for (window, ((upper, middle), lower)) in closes.windows(period).zip(slots) {
        let Some((&x, older)) = window.split_last() else {
            continue;
        };
        let mean = total.advance(x, older[0], n);
        let b = bands(older, x, mean, n, k);
        *upper = Some(b.upper);
        *middle = Some(b.middle);
        *lower = Some(b.lower);
    }
    out
}

pub(crate) fn valid_period(period: usize) -> bool {
    period_in_range(period, MIN_PERIOD)
}

/// One bar of band values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Bands {
    pub(crate) upper: f64,
    pub(crate) middle: f64,
    pub(crate) lower: f64,
}

/// Bands for the window `older` (oldest first) followed by `newest`, around
/// its precomputed mean.
pub(crate) fn bands(older: &[f64], newest: f64, middle: f64, n: f64, k: f64) -> Bands {
    bands_of(older.len(), |j| older[j], newest, middle, n, k)
}

/// Bands for a window of `count` older values (`older(j)`, oldest first)
/// followed by `newest`, around its precomputed mean: the one definition the
/// v2 functions and the SPEC §8 kernel share. Squares go into four fixed
/// lanes by position so the loop pipelines (a single running sum is latency
/// bound); the lane order is part of the result's last bits.
#[inline(always)]
pub(crate) fn bands_of(
    count: usize,
    older: impl Fn(usize) -> f64,
    newest: f64,
    middle: f64,
    n: f64,
    k: f64,
) -> Bands {
    let mut lanes = [0.0_f64; 4];
    let whole = count - count % 4;
    for chunk in (0..whole).step_by(4) {
        for (l, lane) in lanes.iter_mut().enumerate() {
            let d = older(chunk + l) - middle;
            *lane += d * d;
        }
    }
    for (l, lane) in lanes.iter_mut().enumerate().take(count - whole) {
        let d = older(whole + l) - middle;
        *lane += d * d;
    }
    let d = newest - middle;
    let squares = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + d * d;
    let width = (squares / n).sqrt() * k;
    Bands {
        upper: middle + width,
        middle,
        lower: middle - width,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_by_hand() {
        // Window 2,4,4,4,5,5,7,9: mean 5, population variance 4, sd 2.
        let x = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let b = bollinger(&x, 8, 2.0);
        assert_eq!(b.middle[7], Some(5.0));
        assert_eq!(b.upper[7], Some(9.0));
        assert_eq!(b.lower[7], Some(1.0));
        assert!(b.upper[..7].iter().all(Option::is_none));
    }

    #[test]
    fn sliding_window_by_hand() {
        // n=2: windows (1,3) and (3,3): sd 1 then 0.
        let b = bollinger(&[1.0, 3.0, 3.0], 2, 1.5);
        assert_eq!(b.middle, vec![None, Some(2.0), Some(3.0)]);
        assert_eq!(b.upper, vec![None, Some(3.5), Some(3.0)]);
        assert_eq!(b.lower, vec![None, Some(0.5), Some(3.0)]);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        assert_eq!(bollinger(&[], 20, 2.0), Bollinger::default());
        assert_eq!(bollinger(&[1.0], 20, 2.0).middle, vec![None]);
        assert_eq!(bollinger(&[1.0, 2.0], 1, 2.0).upper, vec![None, None]);
        assert_eq!(bollinger(&[1.0, 2.0], 0, 2.0).lower, vec![None, None]);
    }
}
