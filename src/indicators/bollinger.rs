//! Bollinger Bands: SMA middle band +/- k population standard deviations.

use serde::Serialize;

/// Upper, middle and lower band, each aligned with the input.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Bollinger {
    pub upper: Vec<Option<f64>>,
    pub middle: Vec<Option<f64>>,
    pub lower: Vec<Option<f64>>,
}

/// One bar of band values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Bands {
    pub(crate) upper: f64,
    pub(crate) middle: f64,
    pub(crate) lower: f64,
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

    /// Through the kernel: TA-Lib's SMA as the middle band, `k` population standard
    /// deviations around it, taken by a second pass over the window (`bands_of`).
    fn bollinger(x: &[f64], n: usize, k: f64) -> Bollinger {
        let [upper, middle, lower] = crate::indicators::on_closes(&format!("bbands:{n},{k}"), x, 3)
            .try_into()
            .unwrap();
        Bollinger {
            upper,
            middle,
            lower,
        }
    }

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
