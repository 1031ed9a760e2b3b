//! Every metric `/metrics` exports, registered once in one [`Registry`] and encoded by
//! `prometheus_client` (OpenMetrics text). The handles are cheap clones of what the registry
//! holds, so the sampler writes them without touching the registry.

use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

/// The `kind` label values of `klines_notices`.
pub const NOTICE_KINDS: [&str; 4] = ["rate_limited", "banned", "budget_pause", "breaker_opened"];
/// The `outcome` label values of `news_polls`.
pub const POLL_OUTCOMES: [&str; 4] = ["ok", "not_modified", "failed", "skipped"];

/// An f64 gauge (ages, latencies).
pub type FloatGauge = Gauge<f64, AtomicU64>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QuantileLabel {
    pub quantile: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PathLabel {
    pub path: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TierLabel {
    pub tier: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FeedLabel {
    pub feed: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FeedOutcomeLabel {
    pub feed: String,
    pub outcome: &'static str,
}

/// One outbound client: `client` is its kind (`news`, `klines`, `websocket`), `target` the
/// URL it talks to.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClientLabel {
    pub client: &'static str,
    pub target: String,
}

/// A counter that mirrors a running total kept elsewhere: each sample advances it by what the
/// total grew since the previous sample, so it never goes backwards even if the source does.
#[derive(Clone, Debug, Default)]
pub struct Mirrored {
    counter: Counter,
    seen: std::sync::Arc<AtomicU64>,
}

impl Mirrored {
    pub fn new(counter: Counter) -> Self {
        Mirrored {
            counter,
            seen: Default::default(),
        }
    }

    pub fn advance_to(&self, total: u64) {
        let before = self.seen.swap(total, Ordering::Relaxed);
        if total > before {
            self.counter.inc_by(total - before);
        }
    }

    pub fn get(&self) -> u64 {
        self.counter.get()
    }
}

pub struct Metrics {
    registry: Registry,
    pub stream_frames: Mirrored,
    pub stream_trades: Mirrored,
    pub stream_malformed: Mirrored,
    pub stream_reconnects: Mirrored,
    pub stream_connected: Gauge,
    pub stream_last_message_age: FloatGauge,
    pub ingest_applied: Mirrored,
    pub ingest_duplicate: Mirrored,
    pub ingest_void: Mirrored,
    pub ingest_too_late: Mirrored,
    pub ingest_malformed: Mirrored,
    pub latency: Family<QuantileLabel, FloatGauge>,
    pub latency_samples: Mirrored,
    pub candles_live: Mirrored,
    pub candles_repair: Mirrored,
    pub store_rows_committed: Mirrored,
    pub store_failed_commits: Mirrored,
    pub store_pending_rows: Gauge,
    pub store_writable: Gauge,
    pub store_candles: Family<TierLabel, Gauge>,
    pub store_bytes: Family<TierLabel, Gauge>,
    pub store_news: Gauge,
    pub repair_runs: Mirrored,
    pub repair_ranges_failed: Mirrored,
    pub repair_pending_spans: Gauge,
    pub klines_requests: Mirrored,
    pub klines_retries: Mirrored,
    pub klines_rate_limited: Mirrored,
    pub klines_weight_used: Gauge,
    pub klines_notices: Family<KindLabel, Counter>,
    pub news_polls: Family<FeedOutcomeLabel, Counter>,
    pub news_items: Family<FeedLabel, Counter>,
    pub news_new_items: Family<FeedLabel, Counter>,
    pub breaker_state: Family<ClientLabel, Gauge>,
    pub breaker_failures: Family<ClientLabel, Gauge>,
    pub uptime: FloatGauge,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut r = Registry::with_prefix("cryptoviz");
        let counter = |r: &mut Registry, name: &str, help: &str| {
            let c = Counter::default();
            r.register(name, help, c.clone());
            Mirrored::new(c)
        };

        let stream_frames = counter(&mut r, "stream_frames", "WebSocket data frames received");
        let stream_trades = counter(&mut r, "stream_trades", "Trades received from the stream");
        let stream_malformed = counter(
            &mut r,
            "stream_malformed_frames",
            "Frames that could not be understood (counted, never fatal)",
        );
        let stream_reconnects = counter(
            &mut r,
            "stream_reconnects",
            "Times the stream was lost (or a connect failed) and a reconnect was scheduled",
        );
        let stream_connected = Gauge::default();
        r.register(
            "stream_connected",
            "1 while the market stream is connected",
            stream_connected.clone(),
        );
        let stream_last_message_age = FloatGauge::default();
        r.register_with_unit(
            "stream_last_message_age",
            "Age of the last message of any kind on the stream (NaN before the first)",
            Unit::Seconds,
            stream_last_message_age.clone(),
        );

        let ingest: Family<OutcomeLabel, Counter> = Family::default();
        r.register(
            "ingest_trades",
            "Trades folded into candles, by outcome",
            ingest.clone(),
        );
        let outcome = |o: &'static str| {
            Mirrored::new(ingest.get_or_create_owned(&OutcomeLabel { outcome: o }))
        };
        let (ingest_applied, ingest_duplicate, ingest_void, ingest_too_late) = (
            outcome("applied"),
            outcome("duplicate"),
            outcome("void"),
            outcome("too_late"),
        );
        let ingest_malformed = counter(
            &mut r,
            "ingest_malformed_events",
            "Malformed frames reported to ingestion",
        );
        let latency: Family<QuantileLabel, FloatGauge> = Family::default();
        r.register_with_unit(
            "ingest_latency_quantile",
            "Frame arrival to candle update since start, in microseconds, by quantile (1 = max)",
            Unit::Other("microseconds".into()),
            latency.clone(),
        );
        let latency_samples = counter(
            &mut r,
            "ingest_latency_samples",
            "Trades whose ingest latency was measured",
        );

        let candles: Family<PathLabel, Counter> = Family::default();
        r.register(
            "candles_written",
            "Candle writes: live = every queued update of a candle from the stream, repair = klines stored by gap repair",
            candles.clone(),
        );
        let path =
            |p: &'static str| Mirrored::new(candles.get_or_create_owned(&PathLabel { path: p }));
        let (candles_live, candles_repair) = (path("live"), path("repair"));

        let store_rows_committed = counter(
            &mut r,
            "store_rows_committed",
            "Live candle rows committed to the database",
        );
        let store_failed_commits = counter(
            &mut r,
            "store_failed_commits",
            "Batch commits that failed (the rows stay queued and are retried)",
        );
        let store_pending_rows = Gauge::default();
        r.register(
            "store_pending_rows",
            "Candle rows waiting for a failed commit to be retried",
            store_pending_rows.clone(),
        );
        let store_writable = Gauge::default();
        r.register(
            "store_writable",
            "1 while the last commit succeeded (no rows held back by a failure)",
            store_writable.clone(),
        );
        let store_candles: Family<TierLabel, Gauge> = Family::default();
        r.register(
            "store_candles",
            "Candles stored, by tier",
            store_candles.clone(),
        );
        let store_bytes: Family<TierLabel, Gauge> = Family::default();
        r.register_with_unit(
            "store_size",
            "Bytes on disk: per tier (hot, cold) when SQLite can tell, and the whole file",
            Unit::Bytes,
            store_bytes.clone(),
        );
        let store_news = Gauge::default();
        r.register("store_news_items", "News items stored", store_news.clone());

        let repair_runs = counter(
            &mut r,
            "repair_runs",
            "Gap repair scans finished (start-up and after reconnects)",
        );
        let repair_ranges_failed = counter(
            &mut r,
            "repair_ranges_failed",
            "Gap ranges a repair scan could not fill",
        );
        let repair_pending_spans = Gauge::default();
        r.register(
            "repair_pending_spans",
            "Spans of missed trades waiting for their candles to close before refetching",
            repair_pending_spans.clone(),
        );
        let klines_requests = counter(
            &mut r,
            "klines_requests",
            "REST klines requests sent by gap repair",
        );
        let klines_retries = counter(&mut r, "klines_retries", "REST klines requests retried");
        let klines_rate_limited = counter(
            &mut r,
            "klines_rate_limited",
            "REST klines answers with HTTP 429 or 418",
        );
        let klines_weight_used = Gauge::default();
        r.register(
            "klines_weight_used",
            "Request weight used in the current window (X-MBX-USED-WEIGHT-1M)",
            klines_weight_used.clone(),
        );
        let klines_notices: Family<KindLabel, Counter> = Family::default();
        r.register(
            "klines_notices",
            "Rate limits, bans, budget pauses and breaker openings seen by the klines client",
            klines_notices.clone(),
        );
        for kind in NOTICE_KINDS {
            klines_notices.get_or_create(&KindLabel { kind });
        }

        let news_polls: Family<FeedOutcomeLabel, Counter> = Family::default();
        r.register(
            "news_polls",
            "Polls of each news feed, by outcome (ok, not_modified, failed, skipped)",
            news_polls.clone(),
        );
        let news_items: Family<FeedLabel, Counter> = Family::default();
        r.register(
            "news_items_fetched",
            "News items parsed from each feed",
            news_items.clone(),
        );
        let news_new_items: Family<FeedLabel, Counter> = Family::default();
        r.register(
            "news_items_new",
            "News items stored for the first time, per feed",
            news_new_items.clone(),
        );

        let breaker_state: Family<ClientLabel, Gauge> = Family::default();
        r.register(
            "breaker_state",
            "Circuit breaker per outbound client: 0 closed, 1 half-open, 2 open",
            breaker_state.clone(),
        );
        let breaker_failures: Family<ClientLabel, Gauge> = Family::default();
        r.register(
            "breaker_consecutive_failures",
            "Consecutive failures counted by each circuit breaker",
            breaker_failures.clone(),
        );
        let uptime = FloatGauge::default();
        r.register_with_unit(
            "uptime",
            "Time since the collector started",
            Unit::Seconds,
            uptime.clone(),
        );

        Metrics {
            registry: r,
            stream_frames,
            stream_trades,
            stream_malformed,
            stream_reconnects,
            stream_connected,
            stream_last_message_age,
            ingest_applied,
            ingest_duplicate,
            ingest_void,
            ingest_too_late,
            ingest_malformed,
            latency,
            latency_samples,
            candles_live,
            candles_repair,
            store_rows_committed,
            store_failed_commits,
            store_pending_rows,
            store_writable,
            store_candles,
            store_bytes,
            store_news,
            repair_runs,
            repair_ranges_failed,
            repair_pending_spans,
            klines_requests,
            klines_retries,
            klines_rate_limited,
            klines_weight_used,
            klines_notices,
            news_polls,
            news_items,
            news_new_items,
            breaker_state,
            breaker_failures,
            uptime,
        }
    }

    /// Creates every per-feed series at zero, each breaker closed (as a new poller's are), so
    /// a feed that never answered shows as zero successes rather than as nothing.
    pub fn declare_feeds(&self, feeds: &[String]) {
        for url in feeds {
            let feed = FeedLabel { feed: url.clone() };
            self.news_items.get_or_create(&feed);
            self.news_new_items.get_or_create(&feed);
            for outcome in POLL_OUTCOMES {
                self.news_polls.get_or_create(&FeedOutcomeLabel {
                    feed: url.clone(),
                    outcome,
                });
            }
            let client = ClientLabel {
                client: "news",
                target: url.clone(),
            };
            self.breaker_state.get_or_create(&client).set(0);
            self.breaker_failures.get_or_create(&client).set(0);
        }
    }

    /// The OpenMetrics text exposition (ends with `# EOF`).
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(8 << 10);
        // Writing into a String cannot fail; an error here would be a bug in the encoder.
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "metrics encoding failed");
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrored_counters_follow_totals_and_never_go_back() {
        let m = Mirrored::new(Counter::default());
        m.advance_to(5);
        m.advance_to(5);
        m.advance_to(12);
        assert_eq!(m.get(), 12);
        // A source that restarts from zero adds only what it gains afterwards.
        m.advance_to(2);
        m.advance_to(3);
        assert_eq!(m.get(), 13);
    }

    #[test]
    fn exposition_names_every_family() {
        let m = Metrics::new();
        m.stream_trades.advance_to(7);
        m.breaker_state
            .get_or_create(&ClientLabel {
                client: "news",
                target: "http://127.0.0.1:1/feed".into(),
            })
            .set(2);
        let text = m.encode();
        assert!(text.contains("cryptoviz_stream_trades_total 7\n"), "{text}");
        assert!(
            text.contains(
                "cryptoviz_breaker_state{client=\"news\",target=\"http://127.0.0.1:1/feed\"} 2\n"
            ),
            "{text}"
        );
        assert!(text.contains("# TYPE cryptoviz_stream_last_message_age_seconds gauge"));
        assert!(text.contains("cryptoviz_ingest_trades_total{outcome=\"too_late\"} 0"));
        assert!(text.ends_with("# EOF\n"));
    }
}
