//! The backfill runner: finds the gaps of each series, turns them into progress rows and
//! fetches them page by page.
//!
//! Every page is written together with its checkpoint in one store transaction
//! ([`Store::write_klines`]), so a run killed at any instant (even `kill -9`) leaves either the
//! page and the advanced checkpoint, or neither; the next run resumes at the checkpoint and
//! never fetches a completed range again (see [`super::plan`]).

use std::fmt;
use std::time::{Duration, Instant};

use super::gaps::{expected_span, find_gaps, span_candles};
use super::klines::{KlinesClient, KlinesConfig, KlinesError, KlinesStats, VenueClients};
use super::plan::{ranges_to_fetch, remaining};
use super::rfc3339;
use crate::domain::{Millis, SeriesKey, now_ms};
use crate::exchange::rest::Page;
use crate::store::{CandleSource, ProgressStatus, SeriesProgress, Store, StoreError};

/// What to repair: these series over the window `[from, to)` (see [`super::gaps`] for which
/// candles a window expects and what the threshold means).
#[derive(Clone, Debug)]
pub struct Plan {
    pub series: Vec<SeriesKey>,
    pub from: Millis,
    pub to: Millis,
    pub threshold_ms: Millis,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ProgressUpdate {
    /// The work of a series, known before anything is fetched: `total` candles in `ranges`.
    Planned {
        key: SeriesKey,
        ranges: usize,
        total: u64,
    },
    /// `done` of the series' `total` candles are covered.
    Advanced {
        key: SeriesKey,
        done: u64,
        total: u64,
    },
    /// A range ended, complete or not.
    Finished(RangeOutcome),
}

/// How one range ended; `error` is None when it is complete.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeOutcome {
    pub key: SeriesKey,
    pub start: Millis,
    pub end: Millis,
    pub error: Option<String>,
}

impl fmt::Display for RangeOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}..{}",
            self.key.symbol,
            self.key.timeframe,
            rfc3339(self.start),
            rfc3339(self.end)
        )?;
        match &self.error {
            None => write!(f, " complete"),
            Some(e) => write!(f, " failed: {e}"),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub ranges_done: usize,
    pub ranges_failed: usize,
    pub failures: Vec<RangeOutcome>,
    /// Rows the store wrote (a kline that may not replace a fuller live candle is not counted).
    pub candles_written: u64,
    pub rejected_rows: u64,
    pub requests: u64,
    /// The venue's last report of weight used (the busiest venue's).
    pub weight_used: u32,
    pub weight_limit: u32,
    pub retries: u64,
    pub rate_limited: u64,
    pub budget_waits: u64,
    pub elapsed: Duration,
}

impl Summary {
    /// Every requested range is complete.
    pub fn is_complete(&self) -> bool {
        self.ranges_failed == 0
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ranges ({} done, {} failed), {} candles written, {} requests, weight used {}/{}, \
             {} retries, {} rate-limit waits, {} rows rejected, {:.1} s",
            self.ranges_done + self.ranges_failed,
            self.ranges_done,
            self.ranges_failed,
            self.candles_written,
            self.requests,
            self.weight_used,
            self.weight_limit,
            self.retries,
            self.rate_limited + self.budget_waits,
            self.rejected_rows,
            self.elapsed.as_secs_f64()
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    /// The store failed: the run stops, since nothing it fetches could be kept.
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Client(#[from] KlinesError),
    #[error("backfill incomplete: {0}")]
    Incomplete(String),
}

/// Repairs every series of `plan` (its window ends at now at the latest), each from its own
/// venue's client; composites have no REST of their own and are skipped. Range failures (a
/// ban, an open breaker, a bad symbol) are reported in the summary and leave their checkpoints
/// for the next run; only a store failure ends the run early.
pub async fn backfill(
    store: &Store,
    clients: &impl VenueClients,
    plan: Plan,
    mut progress: impl FnMut(ProgressUpdate),
) -> Result<Summary, BackfillError> {
    let started = Instant::now();
    let before = clients.stats();
    // A window reaching into the future would mark ranges done before their candles exist.
    let plan = Plan {
        to: plan.to.min(now_ms()),
        ..plan
    };
    let mut work = Vec::with_capacity(plan.series.len());
    for &key in &plan.series {
        if clients.get(key.symbol.venue()).is_none() {
            continue;
        }
        let ranges = plan_series(store, key, &plan).await?;
        let total = ranges.iter().map(remaining).sum();
        progress(ProgressUpdate::Planned {
            key,
            ranges: ranges.len(),
            total,
        });
        work.push((key, ranges, total));
    }
    let mut summary = Summary::default();
    for (key, ranges, total) in work {
        let Some(client) = clients.get(key.symbol.venue()) else {
            continue;
        };
        let mut done = 0u64;
        for range in ranges {
            let (outcome, written) = run_range(store, client, range, &mut |n| {
                done += n;
                progress(ProgressUpdate::Advanced { key, done, total });
            })
            .await?;
            summary.candles_written += written;
            if outcome.error.is_none() {
                summary.ranges_done += 1;
            } else {
                tracing::warn!("backfill {outcome}");
                summary.ranges_failed += 1;
                summary.failures.push(outcome.clone());
            }
            progress(ProgressUpdate::Finished(outcome));
        }
    }
    if let (Some(before), Some(after)) = (before, clients.stats()) {
        fill_counters(&mut summary, &before, &after);
    }
    summary.elapsed = started.elapsed();
    tracing::info!("backfill: {summary}");
    Ok(summary)
}

/// A quick repair of the last `lookback` for start-up and after every reconnect of the live
/// stream: the same rules as [`backfill`], over `[now - lookback, now)`.
pub async fn repair_recent(
    store: &Store,
    clients: &impl VenueClients,
    series: &[SeriesKey],
    lookback: Duration,
    threshold_ms: Millis,
    progress: impl FnMut(ProgressUpdate),
) -> Result<Summary, BackfillError> {
    let to = now_ms();
    let plan = Plan {
        series: series.to_vec(),
        from: to - lookback.as_millis() as Millis,
        to,
        threshold_ms,
    };
    backfill(store, clients, plan, progress).await
}

/// The `backfill_candles_per_sec` workload of `cryptoviz bench`: every candle of `key` over
/// `[from, to)` from the klines server at `base_url` into `store`, with the whole weight budget.
/// Returns the candles written; the caller times it.
pub async fn bench_backfill(
    store: &Store,
    base_url: &str,
    key: SeriesKey,
    from: Millis,
    to: Millis,
) -> Result<u64, BackfillError> {
    let client = KlinesClient::new(KlinesConfig {
        weight_share: 1.0,
        ..KlinesConfig::new(base_url)
    })?;
    let plan = Plan {
        series: vec![key],
        from,
        to,
        threshold_ms: 0,
    };
    let summary = backfill(store, &client, plan, |_| {}).await?;
    match summary.failures.first() {
        None => Ok(summary.candles_written),
        Some(f) => Err(BackfillError::Incomplete(f.to_string())),
    }
}

fn fill_counters(s: &mut Summary, before: &KlinesStats, after: &KlinesStats) {
    s.requests = after.requests - before.requests;
    s.retries = after.retries - before.retries;
    s.rate_limited = after.rate_limited - before.rate_limited;
    s.budget_waits = after.budget_waits - before.budget_waits;
    s.rejected_rows = after.rejected_rows - before.rejected_rows;
    s.weight_used = after.weight_used;
    s.weight_limit = after.weight_limit;
}

/// The ranges one series needs: its stored progress rows first, then the gaps among its
/// closed candles. A candle stored but never closed (the live stream died mid-candle) counts
/// as missing, so the exchange's closed kline replaces it.
async fn plan_series(
    store: &Store,
    key: SeriesKey,
    plan: &Plan,
) -> Result<Vec<SeriesProgress>, StoreError> {
    let tf = key.timeframe;
    let Some(span) = expected_span(tf, plan.from, plan.to) else {
        return Ok(Vec::new());
    };
    let rows = store.call(move |b| b.progress(key)).await?;
    let closed = store
        .call(move |b| {
            let candles = b.candles(key, span.0, span.1)?;
            Ok(candles
                .into_iter()
                .filter(|c| c.closed)
                .map(|c| c.open_time)
                .collect::<Vec<_>>())
        })
        .await?;
    let gaps = find_gaps(&closed, tf, plan.from, plan.to, plan.threshold_ms);
    Ok(ranges_to_fetch(key, &gaps, &rows, span))
}

/// Fetches one range to its end (or its first unrecoverable error). Returns how it ended and
/// the rows written. `advanced` is told how many candles each page covered.
///
/// The next page is fetched while the current one is written: the two take similar time, and
/// every write still carries its own checkpoint, so a kill loses at most the page in flight.
async fn run_range(
    store: &Store,
    client: &KlinesClient,
    mut p: SeriesProgress,
    advanced: &mut impl FnMut(u64),
) -> Result<(RangeOutcome, u64), StoreError> {
    let key = p.key;
    let iv = key.timeframe.millis();
    p.status = ProgressStatus::Running;
    p.error = None;
    let saved = p.clone();
    store.call(move |b| b.save_progress(&saved)).await?;
    let mut written = 0u64;
    // Malformed rows: the checkpoint stays at the first page that had them, so the range ends
    // failed and the next run fetches from there again, even after a kill.
    let mut rejected: Option<(Millis, u64, String)> = None;
    let mut fetched = client.fetch(key, p.position, p.range_end).await;
    let error = loop {
        let page = match std::mem::replace(&mut fetched, Ok(Page::default())) {
            Ok(page) => page,
            Err(e) => {
                p.status = ProgressStatus::Failed;
                p.error = Some(e.to_string());
                if let Some((at, ..)) = rejected {
                    p.position = p.position.min(at);
                }
                let saved = p.clone();
                store.call(move |b| b.save_progress(&saved)).await?;
                break p.error;
            }
        };
        // Paging goes on after the window the request covered, however many rows it held
        // (venues omit quiet intervals); floored, in case of an unaligned bound.
        let next = match page.window_end.or(page.last_open) {
            Some(t) => key.timeframe.bucket(t) + iv,
            None => p.range_end + iv,
        };
        if let Some(first) = page.rejected.first() {
            let entry = rejected.get_or_insert((p.position, 0, first.to_string()));
            entry.1 += page.rejected.len() as u64;
        }
        let finished = next > p.range_end;
        let checkpoint = SeriesProgress {
            position: rejected.as_ref().map_or(next, |r| r.0),
            status: match (finished, &rejected) {
                (false, _) => ProgressStatus::Running,
                (true, None) => ProgressStatus::Done,
                (true, Some(_)) => ProgressStatus::Failed,
            },
            error: rejected.as_ref().map(|(at, n, first)| {
                format!(
                    "{n} malformed rows rejected (first: {first}); refetching from {} next run",
                    rfc3339(*at)
                )
            }),
            ..p.clone()
        };
        let error = checkpoint.error.clone();
        let write = store.write_klines(key, page.candles, CandleSource::Rest, Some(checkpoint));
        let n = if finished {
            write.await?
        } else {
            let (n, page) = tokio::join!(write, client.fetch(key, next, p.range_end));
            fetched = page;
            n?
        };
        written += n as u64;
        advanced(span_candles(
            p.position,
            (next - iv).min(p.range_end),
            key.timeframe,
        ));
        p.position = next;
        if finished {
            break error;
        }
    };
    let outcome = RangeOutcome {
        key,
        start: p.range_start,
        end: p.range_end,
        error,
    };
    Ok((outcome, written))
}
