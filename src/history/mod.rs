//! History: gap detection and REST backfill.
//!
//! - [`gaps`]: which closed candles of a window are missing (pure).
//! - [`limiter`]: a venue's request-weight budget.
//! - [`klines`]: the venue-neutral REST history client (rate limits, retries, breaker); the
//!   venues' own pages live in `exchange/<venue>/rest.rs`.
//! - [`plan`]: gaps plus stored progress -> ranges to fetch (pure).
//! - [`runner`]: the resumable backfill itself, and the start-up/reconnect repair.

pub mod derivs;
pub mod gaps;
pub mod klines;
pub mod limiter;
pub mod plan;
pub mod repair;
pub mod runner;

pub use gaps::{Gap, find_gaps};
pub use klines::{
    KlinesClient, KlinesClients, KlinesConfig, KlinesError, KlinesStats, Notice, VenueClients,
};
pub use runner::{
    BackfillError, Plan, ProgressUpdate, RangeOutcome, Summary, backfill, bench_backfill,
    repair_recent,
};

use crate::domain::Millis;

/// Unix milliseconds as RFC 3339 UTC to the second, for messages.
pub fn rfc3339(ms: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| format!("{ms} ms"))
}
