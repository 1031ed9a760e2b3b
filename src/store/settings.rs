//! `[storage]`: where the store is, how long it keeps what, and how it batches writes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::check::{Invalid, in_range};
use crate::domain::{Retention, Timeframe};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// The store (SPEC §1 STORE): empty = `cryptoviz.db` in the data dir, `sqlite:PATH` or
    /// `postgres://…`.
    pub url: String,
    pub retention: BTreeMap<String, Retention>,
    /// Write batches close at this many rows or this many milliseconds, whichever comes first.
    pub batch_rows: usize,
    pub batch_ms: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        let retention = [
            ("1m", Retention(7, 30)),
            ("5m", Retention(14, 90)),
            ("15m", Retention(30, 180)),
            ("1h", Retention(90, 730)),
            ("1d", Retention(0, 0)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        StorageConfig {
            url: String::new(),
            retention,
            batch_rows: 500,
            batch_ms: 100,
        }
    }
}

impl StorageConfig {
    pub fn retention_for(&self, tf: Timeframe) -> Retention {
        self.retention
            .get(tf.as_str())
            .copied()
            .unwrap_or(Retention(0, 0))
    }
}

impl StorageConfig {
    /// `[storage]`: a store URL that parses, retention windows per known timeframe, batch
    /// bounds.
    pub fn validate(&self) -> Result<(), Invalid> {
        super::StoreUrl::parse(&self.url)
            .map_err(|e| ("storage.url".to_string(), e.to_string()))?;
        for (k, Retention(hot, cold)) in &self.retention {
            let key = format!("storage.retention.{k}");
            if Timeframe::parse(k).is_err() {
                return Err((
                    key,
                    "unknown timeframe (expected 1m, 5m, 15m, 1h or 1d)".into(),
                ));
            }
            if *hot == 0 && *cold != 0 {
                return Err((
                    key,
                    "a cold window needs a hot window (hot 0 keeps everything hot forever)".into(),
                ));
            }
            if hot.max(cold) > &36_500 {
                return Err((key, "days must be at most 36500 (0 = forever)".into()));
            }
        }
        in_range("storage.batch_rows", self.batch_rows as u64, 1, 100_000)?;
        in_range("storage.batch_ms", self.batch_ms, 1, 60_000)
    }
}
