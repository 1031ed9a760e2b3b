//! Momentum: the raw price change over a fixed number of bars.

use super::params::period_in_range;

/// TA-Lib's MOM accepts periods from 1; a period of 0 would always be zero.
const MIN_PERIOD: usize = 1;

pub(crate) fn valid_period(period: usize) -> bool {
    period_in_range(period, MIN_PERIOD)
}

#[cfg(test)]
mod tests {
    /// Through the kernel (`close[i] - close[i - period]`, TA-Lib's MOM: a difference in
    /// price units, not a ratio).
    fn momentum(x: &[f64], n: usize) -> Vec<Option<f64>> {
        crate::indicators::on_closes(&format!("mom:{n}"), x, 1).remove(0)
    }

    #[test]
    fn momentum_by_hand() {
        let x = [1.0, 2.0, 4.0, 7.0];
        assert_eq!(momentum(&x, 2), vec![None, None, Some(3.0), Some(5.0)]);
        assert_eq!(momentum(&x, 1), vec![None, Some(1.0), Some(2.0), Some(3.0)]);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        assert!(momentum(&[], 10).is_empty());
        assert_eq!(momentum(&[1.0], 10), vec![None]);
        assert_eq!(momentum(&[1.0, 2.0], 0), vec![None, None]);
    }
}
