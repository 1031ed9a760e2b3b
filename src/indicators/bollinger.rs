//! Bollinger Bands: SMA middle band +/- k population standard deviations.

use serde::Serialize;

use super::ema::RunningTotal;

/// TA-Lib rejects BBANDS periods below 2; below that every output is `None`.
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
/// crypto prices (0.0014 ETH squares to 2e-6 while the variance is 1e-12),
/// and the TA-Lib build used for the reference vectors does not show that
/// cancellation either. A window of n values costs O(n), which also bounds
/// the live engine's per-trade cost.
pub fn bollinger(closes: &[f64], period: usize, k: f64) -> Bollinger {
    let len = closes.len();
    let mut out = Bollinger {
        upper: Vec::with_capacity(len),
        middle: Vec::with_capacity(len),
        lower: Vec::with_capacity(len),
    };
    let lead = if valid_period(period) { period - 1 } else { len };
    let lead = lead.min(len);
    out.upper.resize(lead, None);
    out.middle.resize(lead, None);
    out.lower.resize(lead, None);
    if lead == len {
        return out;
    }
    let n = period as f64;
    let mut total = RunningTotal::seed(&closes[..lead]);
    for (i, &x) in closes.iter().enumerate().skip(lead) {
        let window = &closes[i + 1 - period..=i];
        let middle = total.advance(x, window[0], n);
        let b = bands(window.iter().copied(), middle, n, k);
        out.upper.push(Some(b.upper));
        out.middle.push(Some(b.middle));
        out.lower.push(Some(b.lower));
    }
    out
}

pub(crate) fn valid_period(period: usize) -> bool {
    period >= MIN_PERIOD
}

/// One bar of band values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Bands {
    pub(crate) upper: f64,
    pub(crate) middle: f64,
    pub(crate) lower: f64,
}

/// Bands for one window given (oldest first) with its precomputed mean.
/// Summation runs oldest to newest so batch and live results are identical.
pub(crate) fn bands(window: impl Iterator<Item = f64>, middle: f64, n: f64, k: f64) -> Bands {
    let mut squares = 0.0;
    for x in window {
        let d = x - middle;
        squares += d * d;
    }
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
