//! Every metric `/metrics` exports, registered once in one [`Registry`] and encoded by
//! `prometheus_client` (OpenMetrics text). The handles are cheap clones of what the registry
//! holds, so the sampler writes them without touching the registry. Parts that cannot be
//! measured in a run (no gap repair in demo mode, no shared klines client) are not
//! registered at all: an absent series is honest, a zero would not be.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Metric, Registry, Unit};

use super::labels::*;
use super::sample::STORE_STATS_EVERY;

/// An f64 gauge (ages, latencies).
pub type FloatGauge = Gauge<f64, AtomicU64>;

/// A counter that mirrors a running total kept elsewhere: each sample advances it by what the
/// total grew since the previous sample, so it never goes backwards even if the source does.
#[derive(Clone, Debug, Default)]
pub struct Mirrored {
    counter: Counter,
    seen: Arc<AtomicU64>,
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

/// [`Mirrored`] per label set: one running total per series of a family.
pub struct MirroredFamily<L> {
    family: Family<L, Counter>,
    seen: std::sync::Mutex<std::collections::HashMap<L, u64>>,
}

impl<L> MirroredFamily<L>
where
    L: Clone + std::hash::Hash + Eq + prometheus_client::encoding::EncodeLabelSet + std::fmt::Debug,
{
    fn new(family: Family<L, Counter>) -> Self {
        MirroredFamily {
            family,
            seen: Default::default(),
        }
    }

    pub fn advance_to(&self, label: &L, total: u64) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let before = seen.insert(label.clone(), total).unwrap_or(0);
        let counter = self.family.get_or_create(label);
        if total > before {
            counter.inc_by(total - before);
        }
    }

    pub fn get(&self, label: &L) -> u64 {
        self.family.get_or_create(label).get()
    }
}

/// Which optional parts to register.
#[derive(Clone, Copy, Debug, Default)]
pub struct Parts {
    /// A gap repair runs (not in demo mode).
    pub repair: bool,
    /// The repair's klines client is shared with the monitor (requests, weight, breaker).
    pub klines_stats: bool,
}

/// Per venue (`venue` label).
pub struct StreamMetrics {
    pub frames: MirroredFamily<VenueLabel>,
    pub trades: MirroredFamily<VenueLabel>,
    pub malformed: MirroredFamily<VenueLabel>,
    pub derivs: MirroredFamily<VenueLabel>,
    pub book_levels_dropped: MirroredFamily<VenueLabel>,
    pub reconnects: MirroredFamily<VenueLabel>,
    pub connected: Family<VenueLabel, Gauge>,
    pub last_message_age: Family<VenueLabel, FloatGauge>,
}

pub struct IngestMetrics {
    pub applied: Mirrored,
    pub duplicate: Mirrored,
    pub void: Mirrored,
    pub too_late: Mirrored,
    pub rejected: Mirrored,
    pub malformed: Mirrored,
    pub liquidations_dropped: Mirrored,
    pub latency: Family<QuantileLabel, FloatGauge>,
    pub latency_samples: Mirrored,
    /// The ingest's own histogram, re-bucketed at fixed bounds on each sample.
    pub latency_histogram: LatencyHistogram,
    pub candles: Mirrored,
}

/// A histogram whose buckets are filled from the ingest's fixed-memory histogram rather than
/// observed one by one here (that would put a lock on the per-trade path); encoded by
/// prometheus-client like any histogram.
#[derive(Clone, Debug, Default)]
pub struct LatencyHistogram(Arc<std::sync::Mutex<crate::ingest::Buckets>>);

impl LatencyHistogram {
    pub fn set(&self, b: crate::ingest::Buckets) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = b;
        }
    }
}

impl prometheus_client::encoding::EncodeMetric for LatencyHistogram {
    fn encode(
        &self,
        mut encoder: prometheus_client::encoding::MetricEncoder,
    ) -> Result<(), std::fmt::Error> {
        let b = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        let mut buckets: Vec<(f64, u64)> = b
            .bounds_seconds
            .iter()
            .copied()
            .zip(b.counts.iter().copied())
            .collect();
        buckets.push((f64::INFINITY, b.counts.last().copied().unwrap_or(0)));
        encoder.encode_histogram::<prometheus_client::encoding::NoLabelSet>(
            b.sum_seconds,
            b.count,
            &buckets,
            None,
        )
    }

    fn metric_type(&self) -> prometheus_client::metrics::MetricType {
        prometheus_client::metrics::MetricType::Histogram
    }
}

pub struct StoreMetrics {
    pub rows_committed: Mirrored,
    pub failed_commits: Mirrored,
    pub pending_rows: Gauge,
    pub writable: Gauge,
    pub candles: Family<TierLabel, Gauge>,
    pub bytes: Family<TierLabel, Gauge>,
    pub news: Gauge,
}

pub struct RepairMetrics {
    pub runs: Mirrored,
    pub ranges_failed: Mirrored,
    pub pending_spans: Gauge,
    pub candles: Mirrored,
    pub notices: Family<KindLabel, Counter>,
}

/// Per venue (`venue` label).
pub struct KlinesMetrics {
    pub requests: MirroredFamily<VenueLabel>,
    pub retries: MirroredFamily<VenueLabel>,
    pub rate_limited: MirroredFamily<VenueLabel>,
    pub weight_used: Family<VenueLabel, Gauge>,
}

pub struct NewsMetrics {
    pub polls: Family<FeedOutcomeLabel, Counter>,
    pub items: Family<FeedLabel, Counter>,
    pub new_items: Family<FeedLabel, Counter>,
    pub dropped: Family<FeedLabel, Counter>,
}

pub struct BreakerMetrics {
    pub state: Family<ClientLabel, Gauge>,
    pub failures: Family<ClientLabel, Gauge>,
}

pub struct Metrics {
    registry: Registry,
    pub stream: StreamMetrics,
    pub ingest: IngestMetrics,
    pub store: StoreMetrics,
    pub repair: Option<RepairMetrics>,
    pub klines: Option<KlinesMetrics>,
    pub news: NewsMetrics,
    pub alerts: AlertMetrics,
    pub breakers: BreakerMetrics,
    pub uptime: FloatGauge,
    /// Log lines that could not be written (a full or read-only disk).
    pub log_lines_lost: Mirrored,
    pub bus: BusMetrics,
}

/// The live bus (zero, not connected, without one).
pub struct BusMetrics {
    pub published: Mirrored,
    pub dropped: Mirrored,
    pub connected: Gauge,
}

pub struct AlertMetrics {
    pub firings: Mirrored,
    /// Per channel and outcome (`delivered`, `failed`).
    pub deliveries: MirroredFamily<ChannelOutcomeLabel>,
}

/// Registers `metric` under `name` and hands back a handle to it.
fn add<M: Metric + Clone>(
    r: &mut Registry,
    name: &str,
    help: &str,
    unit: Option<Unit>,
    metric: M,
) -> M {
    match unit {
        Some(u) => r.register_with_unit(name, help, u, metric.clone()),
        None => r.register(name, help, metric.clone()),
    }
    metric
}

fn counter(r: &mut Registry, name: &str, help: &str) -> Mirrored {
    Mirrored::new(add(r, name, help, None, Counter::default()))
}

fn gauge(r: &mut Registry, name: &str, help: &str) -> Gauge {
    add(r, name, help, None, Gauge::default())
}

fn counters<L>(r: &mut Registry, name: &str, help: &str) -> MirroredFamily<L>
where
    L: Clone
        + std::hash::Hash
        + Eq
        + prometheus_client::encoding::EncodeLabelSet
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    MirroredFamily::new(family(r, name, help, None))
}

fn family<L, M>(r: &mut Registry, name: &str, help: &str, unit: Option<Unit>) -> Family<L, M>
where
    Family<L, M>: Metric + Default,
{
    add(r, name, help, unit, Family::<L, M>::default())
}

impl Metrics {
    pub fn new(parts: Parts) -> Metrics {
        let mut r = Registry::with_prefix("cryptoviz");
        let stream = StreamMetrics {
            frames: counters(
                &mut r,
                "stream_frames",
                "WebSocket data frames received, per venue",
            ),
            trades: counters(
                &mut r,
                "stream_trades",
                "Trades received from each venue's stream",
            ),
            malformed: counters(
                &mut r,
                "stream_malformed_frames",
                "Frames that could not be understood (counted, never fatal), per venue",
            ),
            derivs: counters(
                &mut r,
                "stream_derivatives",
                "Perps' derivatives items received (mark, index, funding, open interest, liquidations), per venue",
            ),
            book_levels_dropped: counters(
                &mut r,
                "stream_book_levels_dropped",
                "Order book levels dropped past the local book's bound (the farthest from the touch), per venue",
            ),
            reconnects: counters(
                &mut r,
                "stream_reconnects",
                "Times a venue's stream was lost (or a connect failed) and a reconnect was scheduled",
            ),
            connected: family(
                &mut r,
                "stream_connected",
                "1 while the venue's market stream is connected",
                None,
            ),
            last_message_age: family(
                &mut r,
                "stream_last_message_age",
                "Age of the last message of any kind on the venue's stream, the last trade in demo mode (NaN before the first)",
                Some(Unit::Seconds),
            ),
        };

        let outcomes: Family<OutcomeLabel, Counter> = family(
            &mut r,
            "ingest_trades",
            "Trades folded into candles, by outcome",
            None,
        );
        let outcome = |o| Mirrored::new(outcomes.get_or_create_owned(&OutcomeLabel { outcome: o }));
        let candles: Family<PathLabel, Counter> = family(
            &mut r,
            "candles_written",
            "Candle writes: live = every queued update of a candle from the stream, repair = klines stored by gap repair",
            None,
        );
        let path = |p| Mirrored::new(candles.get_or_create_owned(&PathLabel { path: p }));
        let ingest = IngestMetrics {
            applied: outcome("applied"),
            duplicate: outcome("duplicate"),
            void: outcome("void"),
            too_late: outcome("too_late"),
            rejected: outcome("rejected"),
            malformed: counter(
                &mut r,
                "ingest_malformed_events",
                "Malformed frames reported to ingestion",
            ),
            liquidations_dropped: counter(
                &mut r,
                "ingest_liquidations_dropped",
                "Liquidations not kept because more than 5,000 came between two flushes",
            ),
            latency: family(
                &mut r,
                "ingest_latency_quantile",
                "Frame arrival to candle update since start, by quantile (1 = the maximum)",
                Some(Unit::Other("microseconds".into())),
            ),
            latency_samples: counter(
                &mut r,
                "ingest_latency_samples",
                "Trades whose ingest latency was measured",
            ),
            latency_histogram: add(
                &mut r,
                "ingest_latency",
                "Frame arrival to candle update since start (bucketed at 20 ns resolution)",
                Some(Unit::Seconds),
                LatencyHistogram::default(),
            ),
            candles: path("live"),
        };

        let sizes_every = STORE_STATS_EVERY.as_secs();
        let store = StoreMetrics {
            rows_committed: counter(
                &mut r,
                "store_rows_committed",
                "Live candle rows committed to the database",
            ),
            failed_commits: counter(
                &mut r,
                "store_failed_commits",
                "Batch commits that failed (the rows stay queued and are retried)",
            ),
            pending_rows: gauge(
                &mut r,
                "store_pending_rows",
                "Candle rows waiting for a failed commit to be retried",
            ),
            writable: gauge(
                &mut r,
                "store_writable",
                "1 while the last commit succeeded (no rows held back by a failure)",
            ),
            candles: family(
                &mut r,
                "store_candles",
                &format!("Candles stored, by tier (refreshed every {sizes_every} s)"),
                None,
            ),
            bytes: family(
                &mut r,
                "store_size",
                &format!(
                    "On disk per tier (hot, cold) when SQLite can tell, and the whole file (refreshed every {sizes_every} s)"
                ),
                Some(Unit::Bytes),
            ),
            news: gauge(
                &mut r,
                "store_news_items",
                &format!("News items stored (refreshed every {sizes_every} s)"),
            ),
        };

        let repair = parts.repair.then(|| {
            let notices: Family<KindLabel, Counter> = family(
                &mut r,
                "klines_notices",
                "Rate limits, bans, budget pauses and breaker openings seen by the klines client",
                None,
            );
            for kind in NOTICE_KINDS {
                notices.get_or_create_owned(&KindLabel { kind });
            }
            RepairMetrics {
                runs: counter(
                    &mut r,
                    "repair_runs",
                    "Gap repair scans finished (start-up and after reconnects)",
                ),
                ranges_failed: counter(
                    &mut r,
                    "repair_ranges_failed",
                    "Gap ranges a repair scan could not fill",
                ),
                pending_spans: gauge(
                    &mut r,
                    "repair_pending_spans",
                    "Spans of missed trades waiting for their candles to close before refetching",
                ),
                candles: path("repair"),
                notices,
            }
        });
        let klines = (parts.repair && parts.klines_stats).then(|| KlinesMetrics {
            requests: counters(
                &mut r,
                "klines_requests",
                "REST candle and trade requests sent by gap repair, per venue",
            ),
            retries: counters(&mut r, "klines_retries", "REST requests retried, per venue"),
            rate_limited: counters(
                &mut r,
                "klines_rate_limited",
                "REST answers saying slow down (429, 418, or the venue's own code), per venue",
            ),
            weight_used: family(
                &mut r,
                "klines_weight_used",
                "Request weight used in the current window (as the venue reports it, else as counted)",
                None,
            ),
        });

        let news = NewsMetrics {
            polls: family(
                &mut r,
                "news_polls",
                "Polls of each news feed, by outcome (ok, not_modified, failed, skipped)",
                None,
            ),
            items: family(
                &mut r,
                "news_items_fetched",
                "News items parsed from each feed",
                None,
            ),
            new_items: family(
                &mut r,
                "news_items_new",
                "News items stored for the first time, per feed",
                None,
            ),
            dropped: family(
                &mut r,
                "news_items_dropped",
                "News items past [news] max_items_per_feed in one poll, not taken, per feed",
                None,
            ),
        };
        let alerts = AlertMetrics {
            firings: counter(
                &mut r,
                "alert_firings",
                "Alert firings recorded (each crossing once)",
            ),
            deliveries: counters(
                &mut r,
                "alert_deliveries",
                "Alert delivery attempts per channel: delivered, or failed (and retried)",
            ),
        };
        let breakers = BreakerMetrics {
            state: family(
                &mut r,
                "breaker_state",
                "Circuit breaker per outbound client: 0 closed, 1 half-open, 2 open (as of its last report)",
                None,
            ),
            failures: family(
                &mut r,
                "breaker_consecutive_failures",
                "Consecutive failures counted by each circuit breaker",
                None,
            ),
        };
        let uptime = add(
            &mut r,
            "uptime",
            "Time since the collector started",
            Some(Unit::Seconds),
            FloatGauge::default(),
        );
        let log_lines_lost = counter(
            &mut r,
            "log_lines_lost",
            "Log lines that could not be written to cryptoviz.log (a full or read-only disk)",
        );
        let bus = BusMetrics {
            published: counter(
                &mut r,
                "bus_published_messages",
                "Messages published on the live bus",
            ),
            dropped: counter(
                &mut r,
                "bus_dropped_messages",
                "Messages not published: kept too long while the bus was away, or missed",
            ),
            connected: gauge(
                &mut r,
                "bus_connected",
                "1 while the live bus is reachable and its stream ready",
            ),
        };
        Metrics {
            bus,
            registry: r,
            stream,
            ingest,
            store,
            repair,
            klines,
            news,
            alerts,
            breakers,
            uptime,
            log_lines_lost,
        }
    }

    /// Creates every per-feed series at zero, each breaker closed (as a new poller's are), so
    /// a feed that never answered shows as zero successes rather than as nothing.
    pub fn declare_feeds(&self, feeds: &[String]) {
        for url in feeds {
            let feed = FeedLabel { feed: url.clone() };
            self.news.items.get_or_create_owned(&feed);
            self.news.new_items.get_or_create_owned(&feed);
            self.news.dropped.get_or_create_owned(&feed);
            for outcome in POLL_OUTCOMES {
                self.news.polls.get_or_create_owned(&FeedOutcomeLabel {
                    feed: url.clone(),
                    outcome,
                });
            }
            let client = ClientLabel {
                client: "news",
                target: url.clone(),
            };
            self.breakers.state.get_or_create(&client).set(0);
            self.breakers.failures.get_or_create(&client).set(0);
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
        let m = Metrics::new(Parts {
            repair: true,
            klines_stats: false,
        });
        let kraken = VenueLabel { venue: "kraken" };
        m.stream.trades.advance_to(&kraken, 7);
        m.stream.trades.advance_to(&kraken, 9);
        m.stream.trades.advance_to(&VenueLabel { venue: "okx" }, 1);
        // Families appear with their first series (the sampler makes one per venue).
        m.stream.last_message_age.get_or_create(&kraken).set(1.5);
        m.declare_feeds(&["http://127.0.0.1:1/feed".into()]);
        let text = m.encode();
        assert!(
            text.contains("cryptoviz_stream_trades_total{venue=\"kraken\"} 9\n"),
            "{text}"
        );
        assert!(text.contains("cryptoviz_stream_trades_total{venue=\"okx\"} 1\n"));
        assert!(
            text.contains(
                "cryptoviz_breaker_state{client=\"news\",target=\"http://127.0.0.1:1/feed\"} 0\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("# TYPE cryptoviz_stream_last_message_age_seconds gauge"),
            "{text}"
        );
        assert!(text.contains("cryptoviz_ingest_trades_total{outcome=\"too_late\"} 0"));
        assert!(text.contains("cryptoviz_klines_notices_total{kind=\"banned\"} 0\n"));
        assert!(text.contains("cryptoviz_candles_written_total{path=\"repair\"} 0\n"));
        assert!(
            !text.contains("klines_requests"),
            "not measured, not exported"
        );
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn parts_not_measured_are_not_exported() {
        let text = Metrics::new(Parts::default()).encode();
        for absent in ["cryptoviz_repair_", "path=\"repair\"", "cryptoviz_klines_"] {
            assert!(!text.contains(absent), "{absent} in\n{text}");
        }
        assert!(text.contains("cryptoviz_candles_written_total{path=\"live\"} 0\n"));
    }
}
