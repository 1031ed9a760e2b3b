//! The store thread: folds queued candle writes into batches (by rows or time) and runs calls
//! in arrival order, committing pending writes first so every call reads its own writes.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{Backend, CandleSource, Cmd, StoreOptions};
use crate::domain::{Candle, Millis, SeriesKey};

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WriteStats {
    pub rows_committed: u64,
    pub batches: u64,
    pub failed_commits: u64,
    /// Rows held for retry after a failed commit (0 while commits succeed).
    pub pending: usize,
    /// Rows given up after [`MAX_PENDING_ROWS`] piled up during a long failure, oldest first.
    pub shed_rows: u64,
    pub last_error: Option<String>,
}

impl WriteStats {
    /// The last commit failed and its rows wait for a retry.
    pub fn failing(&self) -> bool {
        self.pending > 0
    }
}

/// The most candle rows held for retry while the database refuses writes (a full or
/// read-only disk). A live candle is rewritten in place, so this is hours of closed candles
/// for hundreds of series; past it the oldest are dropped, counted and logged, rather than
/// memory growing until the process dies.
pub const MAX_PENDING_ROWS: usize = 200_000;

#[derive(Default)]
pub(super) struct Shared {
    stats: Mutex<WriteStats>,
    stopped: Mutex<bool>,
    stopped_cv: Condvar,
}

impl Shared {
    pub(super) fn stats(&self) -> WriteStats {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub(super) fn wait_stopped(&self) {
        let mut stopped = self.stopped.lock().unwrap_or_else(|e| e.into_inner());
        while !*stopped {
            stopped = self
                .stopped_cv
                .wait(stopped)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    pub(super) fn mark_stopped(&self) {
        *self.stopped.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.stopped_cv.notify_all();
    }

    fn update(&self, f: impl FnOnce(&mut WriteStats)) {
        if let Ok(mut s) = self.stats.lock() {
            f(&mut s);
        }
    }
}

pub(super) struct Worker {
    backend: Box<dyn Backend>,
    rx: Receiver<Cmd>,
    shared: std::sync::Arc<Shared>,
    opts: StoreOptions,
    /// Latest queued version of each candle; repeated updates of an open candle collapse.
    pending: HashMap<(SeriesKey, Millis), (Candle, CandleSource)>,
    /// When the oldest pending write was queued (or a failed commit last retried).
    since: Option<Instant>,
    retry_delay: Duration,
    /// Consecutive failed commits; the error is logged on the first and then once a minute.
    failures: u64,
    logged_at: Option<Instant>,
}

/// How often a commit that keeps failing is logged again.
const FAILURE_LOG_EVERY: Duration = Duration::from_secs(60);

impl Worker {
    pub(super) fn new(
        backend: Box<dyn Backend>,
        rx: Receiver<Cmd>,
        shared: std::sync::Arc<Shared>,
        opts: StoreOptions,
    ) -> Self {
        let batch = Duration::from_millis(opts.batch_ms);
        Worker {
            backend,
            rx,
            shared,
            opts,
            pending: HashMap::new(),
            since: None,
            retry_delay: batch,
            failures: 0,
            logged_at: None,
        }
    }

    pub(super) fn run(mut self) {
        loop {
            let msg = match self.since {
                None => self.rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(since) => {
                    let wait = self.retry_delay.saturating_sub(since.elapsed());
                    self.rx.recv_timeout(wait)
                }
            };
            match msg {
                Ok(Cmd::Write(rows, source)) => {
                    for (key, c) in rows {
                        self.pending.insert((key, c.open_time), (c, source));
                    }
                    if self.pending.len() > MAX_PENDING_ROWS {
                        self.shed();
                    }
                    self.since.get_or_insert_with(Instant::now);
                    // While commits fail, a full batch waits for the retry delay like the rest:
                    // retrying on every write would spin on a full disk.
                    if self.pending.len() >= self.opts.batch_rows && self.failures == 0 {
                        let _ = self.commit();
                    }
                }
                Ok(Cmd::Call(job)) => {
                    let _ = self.commit();
                    job(self.backend.as_mut());
                }
                Ok(Cmd::Flush(reply)) => {
                    let _ = reply.send(self.commit());
                }
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.commit();
                }
                Ok(Cmd::Shutdown) | Err(RecvTimeoutError::Disconnected) => {
                    if let Err(e) = self.commit() {
                        tracing::error!(error = %e, rows = self.pending.len(), "final commit failed");
                    }
                    break;
                }
            }
        }
        drop(self.backend);
        self.shared.mark_stopped();
    }

    /// Drops the oldest pending rows down to 90 % of [`MAX_PENDING_ROWS`].
    #[cold]
    fn shed(&mut self) {
        let mut times: Vec<Millis> = self.pending.keys().map(|(_, t)| *t).collect();
        let excess = self.pending.len() - MAX_PENDING_ROWS * 9 / 10;
        let (_, cut, _) = times.select_nth_unstable(excess);
        let cut = *cut;
        let before = self.pending.len();
        self.pending.retain(|(_, t), _| *t > cut);
        let shed = (before - self.pending.len()) as u64;
        tracing::error!(
            shed,
            kept = self.pending.len(),
            "the database refused writes for too long; oldest pending candles dropped"
        );
        let pending = self.pending.len();
        self.shared.update(|s| {
            s.shed_rows += shed;
            s.pending = pending;
        });
    }

    /// Commits pending rows in one transaction per source. On failure the rows stay queued and
    /// are retried with a growing delay (capped at 5 s): a full or read-only disk loses nothing
    /// while the process lives.
    fn commit(&mut self) -> Result<(), String> {
        if self.pending.is_empty() {
            self.since = None;
            return Ok(());
        }
        // Almost always one source per batch; a short list beats a map.
        let mut by_source: Vec<(CandleSource, Vec<(SeriesKey, Candle)>)> = Vec::new();
        for (&(key, _), &(c, src)) in &self.pending {
            match by_source.iter_mut().find(|(s, _)| *s == src) {
                Some((_, rows)) => rows.push((key, c)),
                None => by_source.push((src, vec![(key, c)])),
            }
        }
        let mut written = 0u64;
        for (src, mut rows) in by_source {
            rows.sort_by_key(|(k, c)| (*k, c.open_time));
            if let Err(e) = self.backend.upsert_candles(&rows, src) {
                let msg = e.to_string();
                self.failures += 1;
                if self
                    .logged_at
                    .is_none_or(|at| at.elapsed() >= FAILURE_LOG_EVERY)
                {
                    self.logged_at = Some(Instant::now());
                    tracing::error!(error = %msg, rows = self.pending.len(), failures = self.failures, "candle batch not committed; will retry");
                }
                self.retry_delay = (self.retry_delay * 2).min(Duration::from_secs(5));
                self.since = Some(Instant::now());
                let pending = self.pending.len();
                self.shared.update(|s| {
                    s.failed_commits += 1;
                    s.pending = pending;
                    s.last_error = Some(msg.clone());
                });
                return Err(msg);
            }
            for (k, c) in &rows {
                self.pending.remove(&(*k, c.open_time));
            }
            written += rows.len() as u64;
        }
        self.since = None;
        self.retry_delay = Duration::from_millis(self.opts.batch_ms);
        if self.failures > 0 {
            tracing::info!(failures = self.failures, "candle commits succeed again");
            self.failures = 0;
            self.logged_at = None;
        }
        self.shared.update(|s| {
            s.rows_committed += written;
            s.batches += 1;
            s.pending = 0;
        });
        Ok(())
    }
}
