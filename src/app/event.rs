//! What flows into the dashboard (data events from producers) and out of it (requests to them).
//!
//! Producers never touch the UI state: they send plain data here and the [`App`](super::App)
//! folds it in, so the whole state stays testable without a terminal or a network.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::config::Freshness;
use crate::domain::{Candle, Millis, NewsItem, SeriesKey};
use crate::net::BreakerStatus;
use crate::source::StreamStatus;

use crate::report::Report;

/// Data for the dashboard, sent by producers over one mpsc channel.
#[derive(Clone, Debug)]
pub enum DataEvent {
    /// Candles that changed (open ones ticking, newly closed, zero-volume fills), any series.
    Candles(Vec<(SeriesKey, Candle)>),
    /// Stored history answering a [`Request::LoadHistory`]: ascending candles with
    /// `open_time <= before`; `complete` is true when no older candles exist.
    History {
        key: SeriesKey,
        candles: Vec<Candle>,
        complete: bool,
    },
    /// The rules made from the dashboard, each enabled or not.
    UserRules(Vec<(crate::alerts::Rule, bool)>),
    /// An alert fired (recorded already): ring, say it, keep it for the report.
    AlertFired(crate::alerts::Firing),
    /// The latest live trades (each symbol's in arrival order), for the trade tape.
    Trades(Vec<crate::domain::Trade>),
    /// The top of a symbol's book, whole (live only).
    Book(crate::domain::Book),
    /// A perp's stored derivatives (oldest first), sent with a page of its history.
    DerivHistory {
        symbol: crate::domain::Symbol,
        samples: Vec<crate::domain::DerivSample>,
    },
    /// The user's portfolio valued (`Ok(None)`: no ledger stored; `Err`: why it cannot be).
    Portfolio(Result<Option<crate::portfolio::report::PortfolioReport>, String>),
    /// Perps whose derivatives state changed, and new liquidations.
    Derivs(crate::ingest::derivs::DerivChanges),
    /// Every market the venues list (sorted), for the search.
    Instruments(Vec<crate::domain::Listing>),
    /// Attached to a store others write: when a streaming collector last wrote a candle
    /// (the only liveness an attached dashboard can see; `None`: no live write stored).
    CollectorWrite(Option<Millis>),
    /// Attached with a bus: the answer to [`Request::Collect`]: the collector that took the
    /// market and streams it from now on (its name on the bus, untrusted text), or why none
    /// did.
    Collected {
        market: crate::domain::Symbol,
        by: Result<String, String>,
    },
    /// Attached with a bus: a collector's health as it published it.
    CollectorHealth(crate::domain::CollectorHealth),
    /// Attached with a bus: whether it is reachable (live updates come over it) or not (the
    /// store is followed alone).
    Bus(bool),
    /// A venue's stream changed state.
    Stream(crate::domain::Venue, StreamStatus),
    /// News items, any order; already stored and cleaned (the UI still filters control chars).
    News(Vec<NewsItem>),
    Health(HealthSnapshot),
    Log {
        level: tracing::Level,
        message: String,
        at: Millis,
    },
    /// The store gained history the App may not have (a producer wrote a batch of it): every
    /// series is asked for again.
    StoreChanged,
    /// The outcome of a [`Request::Export`]: where the report went, or why it did not.
    Exported {
        path: PathBuf,
        result: Result<(), String>,
    },
}

/// What the dashboard asks of producers, over a second mpsc channel.
pub enum Request {
    /// The newest `limit` stored candles of `key` with `open_time <= before`; answered by
    /// [`DataEvent::History`].
    LoadHistory {
        key: SeriesKey,
        before: Millis,
        limit: usize,
    },
    /// Poll news and repair gaps now instead of waiting for the next cycle.
    Refresh,
    /// Write `report` (the current view, built by the App) to `path`; answered by
    /// [`DataEvent::Exported`].
    Export { path: PathBuf, report: Box<Report> },
    /// Store a rule made here and start (or, disabled, stop) evaluating it; answered by
    /// [`DataEvent::UserRules`].
    SaveRule {
        rule: crate::alerts::Rule,
        enabled: bool,
    },
    /// Delete a rule made here; answered by [`DataEvent::UserRules`].
    DeleteRule(String),
    /// The markets added from the dashboard changed to these (in order): store them and
    /// stream them (or stop streaming the removed one).
    Watch(Vec<crate::domain::Symbol>),
    /// The user's ledger valued now; answered by [`DataEvent::Portfolio`].
    Portfolio,
    /// Attached with a bus: ask the collectors to collect this market; answered by
    /// [`DataEvent::Collected`].
    Collect(crate::domain::Symbol),
    /// The market on screen, when it changes (an attached dashboard asks the collectors on
    /// the bus for its book); not answered.
    Shown(crate::domain::Symbol),
    /// The chart's indicators as chosen in the menu (canonical names, overlays then panes):
    /// keep them for the next start; not answered.
    SaveIndicators(Vec<String>),
}

/// The running system as the health panel and reports show it. Every field is optional: a
/// producer fills what it measures, and the panel shows "–" for the rest.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HealthSnapshot {
    pub trades_per_sec: Option<f64>,
    pub ingest_p50_us: Option<u64>,
    pub ingest_p99_us: Option<u64>,
    /// Age of the newest market-stream message when the snapshot was taken.
    pub last_message_age_ms: Option<u64>,
    pub sources: Vec<SourceFreshness>,
    pub breakers: BTreeMap<String, BreakerStatus>,
    pub caches: Vec<CacheStats>,
    pub store: Vec<TierSize>,
    /// The store's write path: commits, failures, rows waiting for a retry.
    pub store_writes: crate::store::WriteStats,
    pub backfill: Vec<BackfillProgress>,
    /// The alert engine: firings recorded this run, deliveries done and failed, the last
    /// delivery error (None where no engine runs).
    pub alerts: Option<AlertHealth>,
    /// Log lines that could not be written to the log file since start.
    pub log_lines_lost: u64,
    /// Order book levels dropped past the local books' bound, all venues.
    pub book_levels_dropped: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AlertHealth {
    pub firings: u64,
    pub delivered: u64,
    pub failed: u64,
    pub last_error: Option<String>,
}

/// When a source (market stream, a news feed, klines) last delivered, and how old is too old.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceFreshness {
    pub name: String,
    pub last_update_ms: Option<Millis>,
    pub thresholds: Freshness,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CacheStats {
    pub name: String,
    pub hits: u64,
    pub misses: u64,
    /// What it holds now (candles, items).
    pub entries: u64,
    /// Age of its newest content, when known.
    pub age_ms: Option<i64>,
}

impl CacheStats {
    /// Hit share in [0, 1]; `None` before the first lookup.
    pub fn hit_rate(&self) -> Option<f64> {
        let total = self.hits + self.misses;
        (total > 0).then(|| self.hits as f64 / total as f64)
    }
}

/// Size of one storage tier ("hot", "cold", or "file" for the whole database).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TierSize {
    pub tier: String,
    pub bytes: Option<u64>,
    pub rows: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BackfillProgress {
    pub key: SeriesKey,
    /// Share done in [0, 1].
    pub done: f64,
    /// "running", "done", "failed", ...
    pub status: String,
}
