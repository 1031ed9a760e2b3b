//! The store: one SQLite file owned by one thread, reached through a cloneable [`Store`] handle.
//!
//! Live candle writes are fire-and-forget and batched (by rows or by time, whichever first);
//! every other call runs on the store thread after pending writes are committed, so callers
//! read their own writes. The thread talks to a [`Backend`], the small interface a second
//! database (PostgreSQL/TimescaleDB) would implement.

mod backend;
mod cold;
mod follow;
pub mod ledger;
mod migrations;
mod postgres;
pub mod settings;
mod sqlite;
mod tiering;
mod url;
mod worker;

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;

pub use backend::{
    AlertStore, Backend, CandleSource, CandleStore, FeedState, Maintenance, MarketLists,
    MarketsStore, NewsStore, PendingDelivery, ProgressStatus, ProgressStore, SeriesProgress,
    StoreStats, StoredRule, TierStep,
};
pub use follow::watch_changes;
pub use migrations::MigrateError;
pub use postgres::{PostgresBackend, Target as PostgresTarget};
pub use sqlite::SqliteBackend;
pub use tiering::{TierSummary, deletion_cutoff, run_tiering, tier_all};
pub use url::{Secret, StoreUrl, StoreUrlError};
pub use worker::{MAX_PENDING_ROWS, WriteStats};

use crate::domain::{Candle, Millis, NewsItem, SeriesKey};

/// What can go wrong with a store, in words that fit every backend. `store` names it as it
/// may be shown: a file path, or a server URL without its password.
#[derive(Clone, Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "database {store} is in use by another cryptoviz process (only one may write a data dir)"
    )]
    Locked { store: String },
    #[error("database {store} is corrupt or not a cryptoviz database: {detail}")]
    Corrupt { store: String, detail: String },
    #[error("cannot open database {store}: {detail}")]
    Open { store: String, detail: String },
    #[error("cannot write to database {store}: {detail}")]
    Write { store: String, detail: String },
    #[error("database {store}: {source}")]
    Migrate { store: String, source: MigrateError },
    /// A statement failed (the connection dropped, a constraint, a value out of range).
    #[error("database error: {0}")]
    Query(String),
    #[error("the store has shut down")]
    Closed,
}

/// How often a process that does not hold a job asks again: a survivor takes over a dead
/// holder's job within this (plus one round of the job).
pub const LEASE_RETRY: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Clone, Debug)]
pub struct StoreOptions {
    pub batch_rows: usize,
    pub batch_ms: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            batch_rows: 500,
            batch_ms: 100,
        }
    }
}

type Job = Box<dyn FnOnce(&mut dyn Backend) + Send>;

enum Cmd {
    Write(Vec<(SeriesKey, Candle)>, CandleSource),
    Call(Job),
    Flush(tokio::sync::oneshot::Sender<Result<(), String>>),
    Shutdown,
}

fn sqlite_file(url: &StoreUrl, data_dir: &Path) -> std::path::PathBuf {
    url.sqlite_path(data_dir)
        .unwrap_or_else(|| crate::paths::database_file(data_dir))
}

/// A cloneable handle to the store thread.
#[derive(Clone)]
pub struct Store {
    tx: mpsc::Sender<Cmd>,
    shared: Arc<worker::Shared>,
    /// The store as it may be shown (a path, or a URL without its password).
    name: String,
}

impl Store {
    /// Opens (creating if needed) the database, takes the data dir's write lock, migrates, and
    /// starts the store thread.
    pub fn open(path: &Path, opts: StoreOptions) -> Result<Store, StoreError> {
        let path = path.to_path_buf();
        let name = path.display().to_string();
        Self::spawn(
            move || Ok(Box::new(SqliteBackend::open(&path)?) as Box<dyn Backend>),
            &name,
            opts,
        )
    }

    /// Opens a database that another process writes, for reading (the dashboard next to a
    /// running collector). Writes through this handle fail.
    pub fn open_read_only(path: &Path, opts: StoreOptions) -> Result<Store, StoreError> {
        let path = path.to_path_buf();
        let name = path.display().to_string();
        Self::spawn(
            move || Ok(Box::new(SqliteBackend::open_read_only(&path)?) as Box<dyn Backend>),
            &name,
            opts,
        )
    }

    /// Opens the store a URL names, for writing: the one way a command opens its store.
    /// SQLite takes the data dir's write lock; PostgreSQL takes none (several collectors may
    /// share one database: the guards are in SQL).
    pub fn open_url(
        url: &StoreUrl,
        data_dir: &Path,
        opts: StoreOptions,
    ) -> Result<Store, StoreError> {
        Self::open_any(url, data_dir, opts, false)
    }

    /// Opens the store a URL names without writing to it (a dashboard following collectors;
    /// on PostgreSQL a role that may only SELECT and LISTEN is enough).
    pub fn open_url_read_only(
        url: &StoreUrl,
        data_dir: &Path,
        opts: StoreOptions,
    ) -> Result<Store, StoreError> {
        Self::open_any(url, data_dir, opts, true)
    }

    fn open_any(
        url: &StoreUrl,
        data_dir: &Path,
        opts: StoreOptions,
        read_only: bool,
    ) -> Result<Store, StoreError> {
        let StoreUrl::Postgres { url, .. } = url else {
            let file = sqlite_file(url, data_dir);
            return match read_only {
                true => Self::open_read_only(&file, opts),
                false => Self::open(&file, opts),
            };
        };
        let target = PostgresTarget::parse(url.expose())?;
        let name = format!("postgres {}", target.shown);
        let open = move || {
            let backend = match read_only {
                true => PostgresBackend::open_read_only(&target)?,
                false => PostgresBackend::open(&target)?,
            };
            Ok(Box::new(backend) as Box<dyn Backend>)
        };
        Self::spawn(open, &name, opts)
    }

    /// Starts the store thread and opens the backend on it: a blocking client (PostgreSQL's)
    /// must never run on an async runtime's thread, so it is made and used only there.
    fn spawn(
        open: impl FnOnce() -> Result<Box<dyn Backend>, StoreError> + Send + 'static,
        name: &str,
        opts: StoreOptions,
    ) -> Result<Store, StoreError> {
        let (tx, rx) = mpsc::channel();
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        let shared = Arc::new(worker::Shared::default());
        let thread_shared = shared.clone();
        std::thread::Builder::new()
            .name("store".into())
            .spawn(move || match open() {
                Ok(backend) => {
                    let _ = ready_tx.send(Ok(()));
                    worker::Worker::new(backend, rx, thread_shared, opts).run();
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    thread_shared.mark_stopped();
                }
            })
            .map_err(|e| StoreError::Open {
                store: name.to_string(),
                detail: format!("cannot start the store thread: {e}"),
            })?;
        ready_rx.recv().map_err(|_| StoreError::Closed)??;
        Ok(Store {
            tx,
            shared,
            name: name.to_string(),
        })
    }

    /// The store as it may be shown: a file path, or a server URL without its password.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Queues candles for the next batch. Never blocks; a later candle for the same key and
    /// open time replaces an earlier one still in the queue.
    pub fn upsert(
        &self,
        key: SeriesKey,
        candles: Vec<Candle>,
        source: CandleSource,
    ) -> Result<(), StoreError> {
        let rows = candles.into_iter().map(|c| (key, c)).collect();
        self.tx
            .send(Cmd::Write(rows, source))
            .map_err(|_| StoreError::Closed)
    }

    /// Runs `f` on the store thread after pending writes are committed.
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Backend) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |b| {
            let _ = tx.send(f(b));
        });
        self.tx
            .send(Cmd::Call(job))
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` on the store thread without waiting for it (ingestion's derivatives writes,
    /// which must not hold up trades); a failure is logged with `what`.
    pub fn submit(
        &self,
        what: &'static str,
        f: impl FnOnce(&mut dyn Backend) -> Result<(), StoreError> + Send + 'static,
    ) -> Result<(), StoreError> {
        let job: Job = Box::new(move |b| {
            if let Err(e) = f(b) {
                tracing::warn!(error = %e, "{what} not stored");
            }
        });
        self.tx.send(Cmd::Call(job)).map_err(|_| StoreError::Closed)
    }

    /// Commits everything queued so far.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send(Cmd::Flush(tx))
            .map_err(|_| StoreError::Closed)?;
        rx.await
            .map_err(|_| StoreError::Closed)?
            .map_err(|detail| StoreError::Write {
                store: self.name.clone(),
                detail,
            })
    }

    /// Flushes, closes the database and waits for the thread to finish.
    pub async fn close(&self) -> Result<(), StoreError> {
        let flushed = self.flush().await;
        let _ = self.tx.send(Cmd::Shutdown);
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || shared.wait_stopped())
            .await
            .ok();
        flushed
    }

    /// Write-path health: rows committed, failed commits, the last error.
    pub fn write_stats(&self) -> WriteStats {
        self.shared.stats()
    }

    // Typed conveniences over `call`.

    pub async fn candles(
        &self,
        key: SeriesKey,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Candle>, StoreError> {
        self.call(move |b| b.candles(key, from, to)).await
    }

    /// The newest `n` candles at or before `before`, ascending.
    pub async fn candles_before(
        &self,
        key: SeriesKey,
        before: Millis,
        n: usize,
    ) -> Result<Vec<Candle>, StoreError> {
        self.call(move |b| b.candles_before(key, before, n)).await
    }

    pub async fn last_live_write(&self, key: SeriesKey) -> Result<Option<Millis>, StoreError> {
        self.call(move |b| b.last_live_write(key)).await
    }

    pub async fn latest(&self, key: SeriesKey) -> Result<Option<Candle>, StoreError> {
        self.call(move |b| Ok(b.candles_before(key, Millis::MAX, 1)?.pop()))
            .await
    }

    pub async fn open_times(
        &self,
        key: SeriesKey,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Millis>, StoreError> {
        self.call(move |b| b.open_times(key, from, to)).await
    }

    /// Writes klines (REST or files) and, atomically with them, a backfill checkpoint.
    pub async fn write_klines(
        &self,
        key: SeriesKey,
        candles: Vec<Candle>,
        source: CandleSource,
        progress: Option<SeriesProgress>,
    ) -> Result<usize, StoreError> {
        self.call(move |b| b.write_klines(key, &candles, source, progress.as_ref()))
            .await
    }

    pub async fn insert_news(&self, items: Vec<NewsItem>) -> Result<usize, StoreError> {
        self.call(move |b| b.insert_news(&items)).await
    }

    pub async fn recent_news(
        &self,
        limit: usize,
        coin: Option<String>,
    ) -> Result<Vec<NewsItem>, StoreError> {
        self.call(move |b| b.recent_news(limit, coin.as_deref()))
            .await
    }

    /// Whether this process may run `job` now (see [`Backend::lease`]). A store that cannot
    /// answer grants nothing: the job waits for the next try.
    pub async fn lease(&self, job: impl Into<String>) -> bool {
        let job = job.into();
        match self.call(move |b| b.lease(&job)).await {
            Ok(held) => held,
            Err(e) => {
                tracing::debug!(error = %e, "lease not granted: the store does not answer");
                false
            }
        }
    }

    pub async fn stats(&self) -> Result<StoreStats, StoreError> {
        self.call(|b| b.stats()).await
    }
}
