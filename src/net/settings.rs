//! `[net]`: the retry policy every outbound client shares.

use serde::{Deserialize, Serialize};

use super::{BackoffPolicy, BreakerPolicy};
use crate::domain::check::{Invalid, in_range};

/// Retry policy shared by every outbound client.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetConfig {
    pub backoff: BackoffPolicy,
    pub breaker: BreakerPolicy,
    /// A WebSocket silent for this long is treated as dead and reconnected.
    pub ws_idle_timeout_secs: u64,
}

impl NetConfig {
    /// `[net]`: a backoff that grows, a breaker that opens and closes, an idle bound.
    pub fn validate(&self) -> Result<(), Invalid> {
        if let Some((k, m)) = self.backoff.problems().into_iter().next() {
            return Err((format!("net.backoff.{k}"), m));
        }
        let b = &self.breaker;
        in_range(
            "net.breaker.failure_threshold",
            b.failure_threshold.into(),
            1,
            1_000,
        )?;
        in_range("net.breaker.open_secs", b.open_secs, 1, 3_600)?;
        in_range(
            "net.ws_idle_timeout_secs",
            self.ws_idle_timeout_secs,
            1,
            3_600,
        )
    }
}
