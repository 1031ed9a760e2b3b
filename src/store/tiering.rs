//! Hot and cold tiers per timeframe (`[storage] retention`): candles older than the hot window
//! are packed into the cold tier, and those older than hot + cold are deleted; 0 = forever.
//! Work goes in small steps, each its own store call and transaction, so live writes and
//! reads interleave with it and never wait long.

use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

use super::settings::StorageConfig;
use super::{Store, StoreError};
use crate::domain::Retention;
use crate::domain::{Millis, SeriesKey};

const DAY: Millis = 86_400_000;

/// How often the background tiering looks for work.
pub const TIERING_EVERY: Duration = Duration::from_secs(300);
/// Pause between steps, leaving the store to live traffic.
const STEP_PAUSE: Duration = Duration::from_millis(5);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TierSummary {
    pub moved: u64,
    pub deleted: u64,
    pub steps: u64,
}

/// (hot_before, delete_before) for a retention rule at `now`; None when all stays hot.
fn cutoffs(r: Retention, now: Millis) -> Option<(Millis, Option<Millis>)> {
    let Retention(hot, cold) = r;
    if hot == 0 {
        return None;
    }
    let hot_before = now - hot as Millis * DAY;
    let delete_before = (cold != 0).then(|| hot_before - cold as Millis * DAY);
    Some((hot_before, delete_before))
}

/// Candles opening before this are deleted by tiering under retention `r` at `now`; None
/// when the rule keeps everything (hot or cold forever).
pub fn deletion_cutoff(r: Retention, now: Millis) -> Option<Millis> {
    cutoffs(r, now).and_then(|(_, delete_before)| delete_before)
}

/// Runs tiering to completion for every stored series, pausing between steps.
pub async fn tier_all(
    store: &Store,
    storage: &StorageConfig,
    now: Millis,
    shutdown: Option<&watch::Receiver<bool>>,
) -> Result<TierSummary, StoreError> {
    let keys: Vec<SeriesKey> = store.call(|b| b.series_keys()).await?;
    let mut sum = TierSummary::default();
    for key in keys {
        let rule = storage.retention_for(key.timeframe);
        let Some((hot_before, delete_before)) = cutoffs(rule, now) else {
            continue;
        };
        let deleted_before = sum.deleted;
        loop {
            if shutdown.is_some_and(|s| *s.borrow()) {
                return Ok(sum);
            }
            let step = store
                .call(move |b| b.tier_step(key, hot_before, delete_before))
                .await?;
            sum.moved += step.moved;
            sum.deleted += step.deleted;
            sum.steps += 1;
            if !step.more {
                break;
            }
            tokio::time::sleep(STEP_PAUSE).await;
        }
        let deleted = sum.deleted - deleted_before;
        if deleted > 0 {
            let Retention(hot, cold) = rule;
            tracing::warn!(
                symbol = %key.symbol,
                timeframe = %key.timeframe,
                deleted,
                before = %crate::domain::rfc3339(delete_before.unwrap_or(now)),
                "retention deleted candles ([storage] retention = [{hot}, {cold}] days)"
            );
        }
    }
    Ok(sum)
}

/// The background task: tiering at start and every [`TIERING_EVERY`] until shutdown.
/// `notice` gets a line for the user whenever retention deleted candles (the log has the
/// details per series), so nothing stored disappears unannounced.
pub async fn run_tiering(
    store: Store,
    storage: StorageConfig,
    mut shutdown: watch::Receiver<bool>,
    notice: impl Fn(String) + Send + 'static,
) {
    loop {
        // On a shared store one process tiers; the others ask again now and then.
        if !store.lease("tiering").await {
            tokio::select! {
                _ = tokio::time::sleep(super::LEASE_RETRY) => continue,
                _ = shutdown.changed() => return,
            }
        }
        match tier_all(&store, &storage, crate::domain::now_ms(), Some(&shutdown)).await {
            Ok(s) if s.moved + s.deleted > 0 => {
                if s.deleted > 0 {
                    notice(format!(
                        "retention deleted {} candles older than [storage] retention keeps (details in the log)",
                        s.deleted
                    ));
                }
                tracing::info!(
                    moved = s.moved,
                    deleted = s.deleted,
                    steps = s.steps,
                    "tiering"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "tiering failed; will retry"),
        }
        tokio::select! {
            _ = tokio::time::sleep(TIERING_EVERY) => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
    }
}
