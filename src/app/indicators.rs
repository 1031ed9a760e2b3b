//! The indicator engine as the dashboard sees it: a function from closes to aligned series.
//!
//! It is a pluggable function rather than a direct call so the dashboard does not depend on
//! how indicators are computed: the dashboard command plugs in `crate::indicators::compute`
//! with the configured periods, tests plug in hand-made values.

use std::sync::Arc;

/// Every series is aligned with the closes it was computed from; `None` where undefined.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IndicatorValues {
    pub rsi: Vec<Option<f64>>,
    pub momentum: Vec<Option<f64>>,
    pub macd: Vec<Option<f64>>,
    pub signal: Vec<Option<f64>>,
    pub hist: Vec<Option<f64>>,
    pub bb_upper: Vec<Option<f64>>,
    pub bb_middle: Vec<Option<f64>>,
    pub bb_lower: Vec<Option<f64>>,
}

impl IndicatorValues {
    /// All `None`, `len` long.
    pub fn undefined(len: usize) -> IndicatorValues {
        let v = vec![None; len];
        IndicatorValues {
            rsi: v.clone(),
            momentum: v.clone(),
            macd: v.clone(),
            signal: v.clone(),
            hist: v.clone(),
            bb_upper: v.clone(),
            bb_middle: v.clone(),
            bb_lower: v,
        }
    }

    /// The tail `from..` of every series (after computing over a warm-up prefix).
    pub fn tail(&self, from: usize) -> IndicatorValues {
        let t = |v: &Vec<Option<f64>>| v.get(from..).unwrap_or(&[]).to_vec();
        IndicatorValues {
            rsi: t(&self.rsi),
            momentum: t(&self.momentum),
            macd: t(&self.macd),
            signal: t(&self.signal),
            hist: t(&self.hist),
            bb_upper: t(&self.bb_upper),
            bb_middle: t(&self.bb_middle),
            bb_lower: t(&self.bb_lower),
        }
    }
}

/// Closes in, indicators out.
pub type IndicatorFn = Arc<dyn Fn(&[f64]) -> IndicatorValues + Send + Sync>;

/// The engine plugged into the dashboard, and whether it is a real one.
#[derive(Clone)]
pub struct IndicatorEngine {
    pub compute: IndicatorFn,
    /// False for [`IndicatorEngine::unavailable`]: panes say so instead of drawing nothing.
    pub available: bool,
}

impl IndicatorEngine {
    pub fn new(compute: IndicatorFn) -> IndicatorEngine {
        IndicatorEngine {
            compute,
            available: true,
        }
    }

    /// No engine plugged in: every value undefined.
    pub fn unavailable() -> IndicatorEngine {
        IndicatorEngine {
            compute: Arc::new(|closes: &[f64]| IndicatorValues::undefined(closes.len())),
            available: false,
        }
    }

    /// Runs the engine, guarding against one that returns series of the wrong length.
    pub fn run(&self, closes: &[f64]) -> IndicatorValues {
        let mut v = (self.compute)(closes);
        for s in [
            &mut v.rsi,
            &mut v.momentum,
            &mut v.macd,
            &mut v.signal,
            &mut v.hist,
            &mut v.bb_upper,
            &mut v.bb_middle,
            &mut v.bb_lower,
        ] {
            s.resize(closes.len(), None);
        }
        v
    }
}

impl std::fmt::Debug for IndicatorEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndicatorEngine")
            .field("available", &self.available)
            .finish()
    }
}
