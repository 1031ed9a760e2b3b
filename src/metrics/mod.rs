//! Health and metrics of the running collector: a Prometheus registry mirrored once a second
//! from the components' own counters (the stream's atomics, the ingest snapshot, the store's
//! write stats, the repair status), news and klines events counted as they happen, the three
//! probes, and the loopback HTTP endpoint that serves them (`[metrics] listen`).
//!
//! Nothing here is on a hot path: the components keep counting the way they already do and
//! this module only reads what they publish.

mod exposition;
pub mod health;
pub mod http;
mod labels;
mod sample;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::watch;

pub use exposition::{Metrics, Parts};
pub use health::{HealthView, Probe, ProbeKind};
pub use http::{ServeError, bind, serve};
pub use labels::ClientLabel;
pub use sample::{STORE_STATS_EVERY, run_sampler};

use crate::config::VenuesConfig;
use crate::domain::{Millis, Venue, now_ms};
use crate::history::KlinesClients;
use crate::history::klines::Notice;
use crate::history::repair::RepairStatus;
use crate::ingest::{IngestEvent, IngestSnapshot};
use crate::net::{BreakerState, BreakerStatus};
use crate::news::poller::{FeedReport, FeedStatus};
use crate::pipeline::Streams;
use crate::source::StreamStatus;
use crate::store::Store;

/// Where the monitor reads from.
pub struct Inputs {
    /// The demo market replaces the streams: no connection, no repair.
    pub demo: bool,
    /// Each streamed venue's counters.
    pub streams: Streams,
    pub ingest: watch::Receiver<IngestSnapshot>,
    pub store: Store,
    /// The gap repair's status (None when no repair runs).
    pub repair: Option<watch::Receiver<RepairStatus>>,
    /// The gap repair's REST clients, for request, weight and breaker figures when the
    /// caller can share them.
    pub klines: Option<KlinesClients>,
    /// The venues' endpoints: the `target` labels of the breakers.
    pub venues: VenuesConfig,
    /// `freshness.trades.critical`: older stream activity makes the collector not ready.
    pub trades_critical: Duration,
    /// The news feeds polled, so their series exist (at zero, breaker closed) from the start.
    pub feeds: Vec<String>,
    /// The live bus's figures, when the collector publishes on one.
    pub bus: Option<Arc<crate::bus::BusStats>>,
}

/// Shared by the sampler, the HTTP endpoint and the collector's event loop.
#[derive(Clone)]
pub struct Monitor {
    inner: Arc<Inner>,
}

struct Inner {
    metrics: Metrics,
    inputs: Inputs,
    started: Instant,
    /// Latched once every stream's first connection attempt has ended, either way.
    first_attempt: AtomicBool,
    /// Per stream (as in `inputs.streams`): when its connection came up (0 while down).
    connected_at_ms: Vec<AtomicI64>,
    /// The alert engine's counters, once alerts run.
    alerts: std::sync::OnceLock<Arc<crate::alerts::deliver::AlertStats>>,
    stopping: AtomicBool,
}

impl Monitor {
    pub fn new(inputs: Inputs) -> Monitor {
        let metrics = Metrics::new(Parts {
            repair: inputs.repair.is_some(),
            klines_stats: inputs.klines.is_some(),
        });
        metrics.declare_feeds(&inputs.feeds);
        let connected_at_ms = inputs.streams.iter().map(|_| AtomicI64::new(0)).collect();
        Monitor {
            inner: Arc::new(Inner {
                metrics,
                inputs,
                started: Instant::now(),
                first_attempt: AtomicBool::new(false),
                connected_at_ms,
                alerts: std::sync::OnceLock::new(),
                stopping: AtomicBool::new(false),
            }),
        }
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The `/metrics` body (OpenMetrics text).
    pub fn encode(&self) -> String {
        self.inner.metrics.encode()
    }

    pub fn probe(&self, kind: ProbeKind) -> Probe {
        health::evaluate(kind, &self.view())
    }

    /// The state the probes judge, read now. With several venues the liveliest one speaks
    /// for the stream (the collector is useful while any venue delivers); each venue's
    /// connection is listed beside it.
    pub fn view(&self) -> HealthView {
        let i = &*self.inner;
        let snaps: Vec<_> = i
            .inputs
            .streams
            .iter()
            .map(|(v, s)| (*v, s.snapshot()))
            .collect();
        if snaps
            .iter()
            .all(|(_, s)| s.connected || s.reconnects > 0 || s.frames > 0)
        {
            i.first_attempt.store(true, Ordering::Relaxed);
        }
        let activity = |k: usize| {
            let s = &snaps[k].1;
            let at = i.connected_at_ms[k].load(Ordering::Relaxed);
            let connected_at = (s.connected && at > 0).then_some(at);
            (
                s.connected,
                s.last_message_ms.or(connected_at),
                connected_at,
            )
        };
        let best = (0..snaps.len()).max_by_key(|&k| {
            let (up, act, _) = activity(k);
            (up, act.unwrap_or(Millis::MIN))
        });
        let (connected, last_message_ms, connected_at_ms) = match best {
            Some(k) => {
                let (up, _, at) = activity(k);
                (up, snaps[k].1.last_message_ms, at)
            }
            None => (false, None, None),
        };
        // Two fields, read under the borrow (the snapshot holds latency buckets too).
        let (last_trade_ms, accepted_at_ms) = {
            let ingest = i.inputs.ingest.borrow();
            (ingest.last_trade_ms, ingest.accepted_at_ms)
        };
        let last_message_ms = if i.inputs.demo {
            last_trade_ms
        } else {
            last_message_ms
        };
        let write = i.inputs.store.write_stats();
        HealthView {
            now: now_ms(),
            uptime: i.started.elapsed(),
            demo: i.inputs.demo,
            stopping: i.stopping.load(Ordering::Relaxed),
            connected,
            last_message_ms,
            last_trade_ms: accepted_at_ms,
            malformed: snaps.iter().map(|(_, s)| s.malformed).sum(),
            connected_at_ms,
            reconnects: snaps.iter().map(|(_, s)| s.reconnects).sum(),
            first_attempt_done: i.first_attempt.load(Ordering::Relaxed),
            startup_repair_done: i.inputs.repair.as_ref().map(|r| r.borrow().runs > 0),
            pending_rows: write.pending,
            last_write_error: write.last_error,
            trades_critical: i.inputs.trades_critical,
            venues: snaps.iter().map(|(v, s)| (v.name(), s.connected)).collect(),
        }
    }

    /// Follows the streams' connection changes (for the age of a quiet new connection).
    pub fn on_event(&self, ev: &IngestEvent) {
        let IngestEvent::Stream(venue, status) = ev else {
            return;
        };
        let i = &*self.inner;
        let Some(k) = i.inputs.streams.iter().position(|(v, _)| v == venue) else {
            return;
        };
        let at = &i.connected_at_ms[k];
        match status {
            StreamStatus::Connected => at.store(now_ms(), Ordering::Relaxed),
            StreamStatus::Reconnecting { .. } | StreamStatus::Stopped => {
                at.store(0, Ordering::Relaxed)
            }
            StreamStatus::Connecting { .. } => {}
        }
    }

    /// Counts one feed's poll and shows its breaker.
    pub fn on_feed_report(&self, r: &FeedReport) {
        let news = &self.inner.metrics.news;
        let outcome = match r.status {
            FeedStatus::Ok { items, new } => {
                let feed = labels::FeedLabel {
                    feed: r.url.clone(),
                };
                news.items.get_or_create(&feed).inc_by(items as u64);
                news.new_items.get_or_create(&feed).inc_by(new as u64);
                news.dropped.get_or_create(&feed).inc_by(r.dropped);
                "ok"
            }
            FeedStatus::NotModified => "not_modified",
            FeedStatus::Failed { .. } => "failed",
            FeedStatus::Skipped { .. } => "skipped",
        };
        news.polls
            .get_or_create(&labels::FeedOutcomeLabel {
                feed: r.url.clone(),
                outcome,
            })
            .inc();
        self.set_breaker("news", &r.url, &r.breaker);
    }

    /// Counts what a venue's REST client reports while it happens.
    pub fn on_klines_notice(&self, _venue: Venue, n: &Notice) {
        let Some(repair) = &self.inner.metrics.repair else {
            return;
        };
        let kind = match n {
            Notice::RateLimited { .. } => labels::NOTICE_KINDS[0],
            Notice::Banned { .. } => labels::NOTICE_KINDS[1],
            Notice::BudgetPause { .. } => labels::NOTICE_KINDS[2],
            Notice::BreakerOpened { .. } => labels::NOTICE_KINDS[3],
        };
        repair
            .notices
            .get_or_create(&labels::KindLabel { kind })
            .inc();
    }

    /// The alert engine's counters, sampled from now on.
    pub fn set_alerts(&self, stats: Arc<crate::alerts::deliver::AlertStats>) {
        let _ = self.inner.alerts.set(stats);
    }

    /// From now on the collector is stopping: not ready any more.
    pub fn set_stopping(&self) {
        self.inner.stopping.store(true, Ordering::Relaxed);
    }

    fn set_breaker(&self, client: &'static str, target: &str, b: &BreakerStatus) {
        let label = ClientLabel {
            client,
            target: target.to_string(),
        };
        let m = &self.inner.metrics.breakers;
        m.state.get_or_create(&label).set(breaker_code(b.state));
        m.failures
            .get_or_create(&label)
            .set(b.consecutive_failures as i64);
    }
}

/// The exported encoding of a breaker state: 0 closed, 1 half-open, 2 open.
pub fn breaker_code(s: BreakerState) -> i64 {
    match s {
        BreakerState::Closed => 0,
        BreakerState::HalfOpen => 1,
        BreakerState::Open => 2,
    }
}
