//! The indicators of SPEC §8, each one incremental kernel ([`kernel`], `kernels/`) and one
//! entry ([`registry`], [`spec`]), reproducing TA-Lib's output; [`compute`] gives v2's four
//! (RSI, MACD, Bollinger Bands, Momentum) in the report's shape through those kernels, and
//! [`Incremental`] steps them live for the alert rules on the same value types
//! (`RsiState`, `MacdState`, `EmaState`, the bands' second pass).
//!
//! Traders compare the dashboard with other tools built on TA-Lib, so every
//! indicator follows TA-Lib's conventions (lookbacks, seeding, population
//! standard deviation, even the order of float operations where it changes
//! the last bits) rather than a textbook variant. `tests/indicators_talib.rs`
//! checks the output against vectors produced by TA-Lib itself
//! (`tools/gen_talib_vectors.py`) to 1e-9 relative.
//!
//! Everything here is pure and synchronous over `f64` columns; the caller
//! converts the fixed-point candles. Outputs are aligned with the input
//! (same length), `NaN` in the kernels and `None` in reports where TA-Lib
//! outputs nothing (its lookback).

mod bollinger;
mod ema;
mod fused;
mod incremental;
pub mod kernel;
mod kernels;
pub mod live;
mod macd;
mod named;
mod params;
pub mod registry;
mod rsi;
pub mod spec;

use serde::Serialize;

pub use bollinger::Bollinger;
pub use incremental::{Incremental, Latest, Which};
pub use macd::Macd;
pub use named::{Study, Table, named, named_after, studies_after};
pub use params::{IndicatorError, IndicatorParams, MAX_PERIOD};

/// All four indicators aligned with the input (same length), `None` where undefined.
///
/// Serializes as the report expects:
/// `{"params": {...}, "rsi14": [...], "momentum10": [...], "macd": {"macd", "signal",
/// "hist"}, "bollinger": {"upper", "middle", "lower"}}`. The keys `rsi14` and
/// `momentum10` are fixed names from the user-facing contract even when other
/// periods are configured; `params` records which periods were used.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct IndicatorSet {
    pub params: IndicatorParams,
    #[serde(rename = "rsi14")]
    pub rsi: Vec<Option<f64>>,
    #[serde(rename = "momentum10")]
    pub momentum: Vec<Option<f64>>,
    pub macd: Macd,
    pub bollinger: Bollinger,
}

impl IndicatorSet {
    /// Number of bars (the input length).
    pub fn len(&self) -> usize {
        self.rsi.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rsi.is_empty()
    }

    /// The values at bar `i` in the live engine's shape; all `None` past the end.
    pub fn at(&self, i: usize) -> Latest {
        let get = |v: &[Option<f64>]| v.get(i).copied().flatten();
        Latest {
            rsi: get(&self.rsi),
            macd: get(&self.macd.macd),
            signal: get(&self.macd.signal),
            hist: get(&self.macd.hist),
            bb_upper: get(&self.bollinger.upper),
            bb_middle: get(&self.bollinger.middle),
            bb_lower: get(&self.bollinger.lower),
            momentum: get(&self.momentum),
        }
    }
}

/// Computes all four indicators over `closes` in one call, through the same kernels as the
/// chart's `rsi:14`, `mom:10`, `macd:12,26,9` and `bbands:20,2` (one implementation of
/// each).
///
/// `p` is not validated here (call [`IndicatorParams::validate`] when loading
/// config); a period the kernels do not take yields `None` for that indicator
/// instead of a panic.
pub fn compute(closes: &[f64], p: &IndicatorParams) -> IndicatorSet {
    let times = vec![0; closes.len()];
    let columns = closes_only(closes, &times);
    let mut buffers = Vec::new();
    let mut run = |text: String, outputs: usize| options(&text, &columns, &mut buffers, outputs);
    let [rsi] = take(run(format!("rsi:{}", p.rsi), 1));
    let [momentum] = take(run(format!("mom:{}", p.momentum), 1));
    let [macd, signal, hist] = take(run(
        format!("macd:{},{},{}", p.macd_fast, p.macd_slow, p.macd_signal),
        3,
    ));
    let [upper, middle, lower] = take(run(format!("bbands:{},{}", p.bollinger, p.bollinger_k), 3));
    IndicatorSet {
        params: *p,
        rsi,
        momentum,
        macd: Macd { macd, signal, hist },
        bollinger: Bollinger {
            upper,
            middle,
            lower,
        },
    }
}

/// `text`'s outputs over `columns` through its kernel, `None` where it has no value; all
/// `None` when its parameters are not ones the kernel takes.
fn options(
    text: &str,
    columns: &kernel::Columns<'_>,
    buffers: &mut Vec<Vec<f64>>,
    outputs: usize,
) -> Vec<Vec<Option<f64>>> {
    match spec::Spec::parse(text) {
        Ok(spec) => {
            registry::compute_into(&spec, columns, buffers);
            buffers
                .iter()
                .map(|o| o.iter().map(|&v| (!v.is_nan()).then_some(v)).collect())
                .collect()
        }
        Err(_) => vec![vec![None; columns.len()]; outputs],
    }
}

/// `text`'s `outputs` over `closes` alone, as [`compute`] reads them: the hand-computed
/// tests of each indicator.
#[cfg(test)]
pub(crate) fn on_closes(text: &str, closes: &[f64], outputs: usize) -> Vec<Vec<Option<f64>>> {
    let times = vec![0; closes.len()];
    options(text, &closes_only(closes, &times), &mut Vec::new(), outputs)
}

/// Columns of closes alone, for the indicators that read nothing else: the closes stand in
/// for the other prices, and `times` (zeros) for the times.
fn closes_only<'a>(closes: &'a [f64], times: &'a [i64]) -> kernel::Columns<'a> {
    kernel::Columns {
        time: times,
        high: closes,
        low: closes,
        close: closes,
        volume: closes,
    }
}

/// A kernel's `N` outputs as an array.
fn take<const N: usize>(outputs: Vec<Vec<Option<f64>>>) -> [Vec<Option<f64>>; N] {
    outputs
        .try_into()
        .unwrap_or_else(|_| unreachable!("each kernel has its table's outputs"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Momentum through its kernel: `close[i] - close[i - period]`, TA-Lib's MOM (a
    /// difference in price units, not a ratio).
    fn momentum(x: &[f64], n: usize) -> Vec<Option<f64>> {
        on_closes(&format!("mom:{n}"), x, 1).remove(0)
    }

    #[test]
    fn momentum_by_hand() {
        let x = [1.0, 2.0, 4.0, 7.0];
        assert_eq!(momentum(&x, 2), vec![None, None, Some(3.0), Some(5.0)]);
        assert_eq!(momentum(&x, 1), vec![None, Some(1.0), Some(2.0), Some(3.0)]);
        assert!(momentum(&[], 10).is_empty());
        assert_eq!(momentum(&[1.0], 10), vec![None]);
        assert_eq!(momentum(&[1.0, 2.0], 0), vec![None, None]);
    }

    #[test]
    fn serializes_with_contract_keys() {
        let set = compute(&[1.0, 2.0], &IndicatorParams::default());
        let v = serde_json::to_value(&set).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 5);
        for k in ["params", "rsi14", "momentum10", "macd", "bollinger"] {
            assert!(keys.contains(&k), "missing {k}");
        }
        assert_eq!(v["rsi14"], serde_json::json!([null, null]));
        assert_eq!(v["macd"]["hist"], serde_json::json!([null, null]));
        assert_eq!(v["bollinger"]["middle"], serde_json::json!([null, null]));
        assert_eq!(v["params"]["rsi"], 14);
    }

    #[test]
    fn empty_and_single_inputs() {
        let p = IndicatorParams::default();
        let empty = compute(&[], &p);
        assert!(empty.is_empty());
        assert_eq!(empty.at(0), Latest::default());
        let one = compute(&[1.0], &p);
        assert_eq!(one.len(), 1);
        assert_eq!(one.at(0), Latest::default());
    }
}
