//! Indicators by name over candles, in the report's shape (SPEC §8):
//! `"ema:20": [...]`, and an object of lists for several outputs
//! (`"stoch:14,3,3": {"k": [...], "d": [...]}`), aligned with the candles,
//! `null` where there is no value.

use serde_json::{Map, Value};

use super::kernel::Columns;
use super::registry::compute;
use super::spec::Spec;
use crate::domain::Candle;

/// Candle columns as f64, each the nearest double to the exact decimal (what
/// TA-Lib is handed when it reads the same numbers as text).
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub time: Vec<i64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
}

impl Table {
    pub fn of(candles: &[Candle]) -> Self {
        let mut t = Table::default();
        for c in candles {
            t.time.push(c.open_time);
            t.high.push(c.high.to_f64());
            t.low.push(c.low.to_f64());
            t.close.push(c.close.to_f64());
            t.volume.push(c.volume.to_f64());
        }
        t
    }

    pub fn columns(&self) -> Columns<'_> {
        Columns {
            time: &self.time,
            high: &self.high,
            low: &self.low,
            close: &self.close,
            volume: &self.volume,
        }
    }
}

fn nullable(values: Vec<f64>) -> Value {
    Value::Array(
        values
            .into_iter()
            .map(|v| {
                serde_json::Number::from_f64(v)
                    .map(Value::Number)
                    .unwrap_or(Value::Null)
            })
            .collect(),
    )
}

/// One indicator's outputs (in its definition's order) over a run of candles,
/// NaN where it has no value.
#[derive(Clone, Debug, PartialEq)]
pub struct Study {
    pub spec: Spec,
    pub outputs: Vec<Vec<f64>>,
}

/// Every spec over all of `candles` (the first `warmup` only warm the
/// indicators up), kept for the candles after them.
pub fn studies_after(specs: &[Spec], candles: &[Candle], warmup: usize) -> Vec<Study> {
    let table = Table::of(candles);
    let cols = table.columns();
    specs
        .iter()
        .map(|spec| Study {
            spec: spec.clone(),
            outputs: compute(spec, &cols)
                .into_iter()
                .map(|mut v| {
                    v.drain(..warmup.min(v.len()));
                    v
                })
                .collect(),
        })
        .collect()
}

/// Every spec over `candles`, keyed by its canonical name.
pub fn named(specs: &[Spec], candles: &[Candle]) -> Map<String, Value> {
    named_after(specs, candles, 0)
}

/// As [`named`], computed over all of `candles` (the first `warmup` only
/// warm the indicators up) and reported for the rest.
pub fn named_after(specs: &[Spec], candles: &[Candle], warmup: usize) -> Map<String, Value> {
    studies_after(specs, candles, warmup)
        .into_iter()
        .map(|study| {
            let names = study.spec.def().outputs;
            let mut outputs = study.outputs;
            let value = if names.len() == 1 {
                nullable(outputs.pop().unwrap_or_default())
            } else {
                Value::Object(
                    names
                        .iter()
                        .zip(outputs)
                        .map(|(n, v)| (n.to_string(), nullable(v)))
                        .collect(),
                )
            };
            (study.spec.name(), value)
        })
        .collect()
}
