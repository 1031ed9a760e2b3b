//! Indicator periods as the user configures them, and their validation.

use serde::{Deserialize, Serialize};

/// Largest period TA-Lib accepts for any of these functions; anything above it
/// is almost certainly a typo in the config rather than a real lookback.
pub const MAX_PERIOD: usize = 100_000;

/// Periods and band width of the four indicators.
///
/// Defaults are TA-Lib's own defaults (RSI 14, MACD 12/26/9, BBANDS 20 x 2.0,
/// MOM 10) so an empty config reproduces what traders see elsewhere. Unknown
/// keys are rejected so a misspelt period fails loudly instead of silently
/// falling back to the default.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndicatorParams {
    pub rsi: usize,
    pub macd_fast: usize,
    pub macd_slow: usize,
    pub macd_signal: usize,
    pub bollinger: usize,
    pub bollinger_k: f64,
    pub momentum: usize,
}

impl Default for IndicatorParams {
    fn default() -> Self {
        Self {
            rsi: 14,
            macd_fast: 12,
            macd_slow: 26,
            macd_signal: 9,
            bollinger: 20,
            bollinger_k: 2.0,
            momentum: 10,
        }
    }
}

/// A parameter outside the range TA-Lib accepts; the message names the config key.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum IndicatorError {
    #[error("indicators.{field} must be >= {min} (got {value})")]
    TooSmall {
        field: &'static str,
        min: usize,
        value: usize,
    },
    #[error("indicators.{field} must be <= {max} (got {value})")]
    TooLarge {
        field: &'static str,
        max: usize,
        value: usize,
    },
    #[error("indicators.macd_fast ({fast}) must be < indicators.macd_slow ({slow})")]
    MacdFastNotBelowSlow { fast: usize, slow: usize },
    #[error("indicators.bollinger_k must be a number from 0.01 to 100 (got {value})")]
    BollingerK { value: f64 },
}

impl IndicatorError {
    /// The offending key under `indicators.`, for callers that point at the config line.
    pub fn field(&self) -> &'static str {
        match self {
            Self::TooSmall { field, .. } | Self::TooLarge { field, .. } => field,
            Self::MacdFastNotBelowSlow { .. } => "macd_fast",
            Self::BollingerK { .. } => "bollinger_k",
        }
    }
}

impl IndicatorParams {
    /// Checks every field against TA-Lib's accepted ranges (RSI/BBANDS/MACD
    /// fast & slow >= 2, MACD signal and MOM >= 1). Unlike TA-Lib, which
    /// silently swaps a fast period larger than the slow one, a config with
    /// `macd_fast >= macd_slow` is rejected: it is a mistake, not a request.
    pub fn validate(&self) -> Result<(), IndicatorError> {
        check("rsi", self.rsi, 2)?;
        check("macd_fast", self.macd_fast, 2)?;
        check("macd_slow", self.macd_slow, 2)?;
        check("macd_signal", self.macd_signal, 1)?;
        check("bollinger", self.bollinger, 2)?;
        check("momentum", self.momentum, 1)?;
        if self.macd_fast >= self.macd_slow {
            return Err(IndicatorError::MacdFastNotBelowSlow {
                fast: self.macd_fast,
                slow: self.macd_slow,
            });
        }
        // The range `bbands:N,K` takes on a chart, where the bands are computed.
        if !(0.01..=100.0).contains(&self.bollinger_k) {
            return Err(IndicatorError::BollingerK {
                value: self.bollinger_k,
            });
        }
        Ok(())
    }
}

/// Whether `period` is inside TA-Lib's accepted range `min..=MAX_PERIOD`.
/// The computing functions return all `None` outside it instead of
/// panicking or allocating an absurd window.
pub(crate) fn period_in_range(period: usize, min: usize) -> bool {
    (min..=MAX_PERIOD).contains(&period)
}

fn check(field: &'static str, value: usize, min: usize) -> Result<(), IndicatorError> {
    if value < min {
        Err(IndicatorError::TooSmall { field, min, value })
    } else if value > MAX_PERIOD {
        Err(IndicatorError::TooLarge {
            field,
            max: MAX_PERIOD,
            value,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_talib_defaults_and_valid() {
        let p = IndicatorParams::default();
        assert_eq!(
            (p.rsi, p.macd_fast, p.macd_slow, p.macd_signal),
            (14, 12, 26, 9)
        );
        assert_eq!((p.bollinger, p.bollinger_k, p.momentum), (20, 2.0, 10));
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn errors_name_the_field() {
        let bad = IndicatorParams {
            rsi: 1,
            ..Default::default()
        };
        let err = bad.validate().unwrap_err();
        assert_eq!(err.to_string(), "indicators.rsi must be >= 2 (got 1)");
        assert_eq!(err.field(), "rsi");

        let bad = IndicatorParams {
            momentum: MAX_PERIOD + 1,
            ..Default::default()
        };
        assert_eq!(bad.validate().unwrap_err().field(), "momentum");

        let bad = IndicatorParams {
            macd_fast: 26,
            ..Default::default()
        };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "indicators.macd_fast (26) must be < indicators.macd_slow (26)"
        );

        // Outside what `bbands:N,K` takes, the bands would be blank: refused at load instead.
        for k in [0.0, -1.0, f64::NAN, f64::INFINITY, 0.001, 100.5] {
            let bad = IndicatorParams {
                bollinger_k: k,
                ..Default::default()
            };
            assert_eq!(bad.validate().unwrap_err().field(), "bollinger_k");
        }
    }

    #[test]
    fn bollinger_k_at_the_ends_of_its_range_has_bands() {
        let closes: Vec<f64> = (0..40).map(|i| 100.0 + f64::from(i % 7)).collect();
        for k in [0.01, 100.0] {
            let p = IndicatorParams {
                bollinger_k: k,
                ..Default::default()
            };
            assert_eq!(p.validate(), Ok(()));
            let set = crate::indicators::compute(&closes, &p);
            assert!(set.bollinger.upper[39].is_some(), "k = {k}");
        }
    }

    #[test]
    fn signal_and_momentum_may_be_one() {
        let p = IndicatorParams {
            macd_signal: 1,
            momentum: 1,
            ..Default::default()
        };
        assert_eq!(p.validate(), Ok(()));
    }
}
