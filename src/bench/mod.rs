//! `cryptoviz bench`: every figure of SPEC §4 measured in one run, on generated data, in a
//! temporary data dir. Each measurement is repeated and the median reported; `quick` shrinks
//! the data, never the list of keys.

mod data;
mod klines_server;
mod measure;

use std::time::Instant;

use serde_json::{Map, Value, json};

pub use data::trade_frames;
pub use measure::{median, peak_rss_mb};

/// Sizes of one run.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub frames: usize,
    pub candles: usize,
    pub reps: usize,
}

impl Plan {
    pub fn new(quick: bool) -> Plan {
        if quick {
            Plan {
                frames: 200_000,
                candles: 20_000,
                reps: 3,
            }
        } else {
            Plan {
                frames: 1_000_000,
                candles: 100_000,
                reps: 5,
            }
        }
    }
}

/// Runs every benchmark; the result is the JSON object of SPEC §4 (plus a few extra keys).
pub async fn run_all(plan: Plan) -> anyhow::Result<Value> {
    let dir = tempfile_dir()?;
    let mut out = Map::new();
    let started = Instant::now();

    let frames = data::trade_frames(plan.frames, 2);
    out.insert(
        "parse_only_trades_per_sec".into(),
        json!(measure::parse_only(&frames, plan.reps)),
    );
    let (ingest, latency) = measure::ingest(&frames, &dir, plan.reps).await?;
    out.insert("ingest_trades_per_sec".into(), json!(ingest));
    out.insert("ingest_latency_us".into(), serde_json::to_value(latency)?);
    drop(frames);

    out.insert(
        "sqlite_raw_upsert_rows_per_sec".into(),
        json!(measure::sqlite_raw_upsert(&dir, plan.candles, plan.reps)?),
    );
    out.insert(
        "store_upsert_candles_per_sec".into(),
        json!(measure::store_upsert(&dir, plan.candles, plan.reps).await?),
    );
    out.insert(
        "query_10k_candles_ms".into(),
        json!(measure::query_10k(&dir, plan.reps).await?),
    );
    out.insert(
        "indicators_10k_candles_ms".into(),
        json!(measure::indicators_10k(plan.reps)),
    );
    out.insert(
        "backfill_candles_per_sec".into(),
        json!(measure::backfill(&dir, plan.candles * 2, plan.reps).await?),
    );
    let titles = data::headlines(plan.candles);
    out.insert(
        "sentiment_items_per_sec".into(),
        json!(measure::sentiment(&titles, plan.reps)),
    );
    out.insert("peak_rss_mb".into(), json!(peak_rss_mb()));
    out.insert(
        "bench_seconds".into(),
        json!((started.elapsed().as_secs_f64() * 10.0).round() / 10.0),
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Value::Object(out))
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "cryptoviz-bench-{}-{}",
        std::process::id(),
        crate::domain::now_ms()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
