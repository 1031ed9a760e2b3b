//! The sampler: once a second, copies the components' own counters into the registry
//! (counters advance by what their source grew); store sizes less often, because counting
//! rows and pages is real work on the store thread.

use std::time::Duration;

use tokio::sync::watch;

use super::Monitor;
use super::labels::{ChannelOutcomeLabel, QuantileLabel, TierLabel, VenueLabel};
use crate::domain::now_ms;

pub const SAMPLE_EVERY: Duration = Duration::from_secs(1);
/// Store sizes come from `COUNT(*)` and SQLite's page statistics: cheap on a small database,
/// not on a large one, so they are refreshed at start and then only this often.
pub const STORE_STATS_EVERY: Duration = Duration::from_secs(60);
/// A store statistics call slower than this is abandoned (the store is busy or stuck).
const STORE_STATS_TIMEOUT: Duration = Duration::from_secs(10);

/// Samples until `shutdown` turns true.
pub async fn run_sampler(monitor: Monitor, mut shutdown: watch::Receiver<bool>) {
    let fast = async {
        let mut tick = tokio::time::interval(SAMPLE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            monitor.sample();
        }
    };
    let slow = async {
        let mut tick = tokio::time::interval(STORE_STATS_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            monitor.sample_store().await;
        }
    };
    tokio::select! {
        _ = crate::net::shutdown_requested(&mut shutdown) => {}
        _ = fast => {}
        _ = slow => {}
    }
}

impl Monitor {
    /// Copies every cheap counter and gauge (atomics, snapshots, in-memory stats).
    pub fn sample(&self) {
        let i = &*self.inner;
        let m = &i.metrics;

        let ingest = i.inputs.ingest.borrow().clone();
        let st = &m.stream;
        for (venue, stats) in &i.inputs.streams {
            let s = stats.snapshot();
            let l = VenueLabel {
                venue: venue.name(),
            };
            st.frames.advance_to(&l, s.frames);
            st.trades.advance_to(&l, s.trades);
            st.malformed.advance_to(&l, s.malformed);
            st.derivs.advance_to(&l, s.derivs);
            st.book_levels_dropped.advance_to(&l, s.book_levels_dropped);
            st.reconnects.advance_to(&l, s.reconnects);
            st.connected.get_or_create(&l).set(s.connected as i64);
            let last = if i.inputs.demo {
                ingest.last_trade_ms
            } else {
                s.last_message_ms
            };
            st.last_message_age.get_or_create(&l).set(match last {
                Some(t) => (now_ms() - t).max(0) as f64 / 1000.0,
                None => f64::NAN,
            });
            if let (Some(b), Some(ep)) = (stats.breaker(), i.inputs.venues.get(*venue)) {
                self.set_breaker("websocket", &ep.ws_url, &b);
            }
        }
        let g = &m.ingest;
        g.applied.advance_to(ingest.trades);
        g.duplicate.advance_to(ingest.duplicates);
        g.void.advance_to(ingest.void);
        g.too_late.advance_to(ingest.too_late);
        g.rejected.advance_to(ingest.rejected);
        g.malformed.advance_to(ingest.malformed);
        g.liquidations_dropped
            .advance_to(ingest.liquidations_dropped);
        g.candles.advance_to(ingest.candles_written);
        if let Some(b) = &i.inputs.bus {
            use std::sync::atomic::Ordering::Relaxed;
            m.bus.published.advance_to(b.published.load(Relaxed));
            m.bus.dropped.advance_to(b.dropped.load(Relaxed));
            m.bus.connected.set(b.connected.load(Relaxed) as i64);
        }
        let lat = ingest.latency_us;
        for (q, v) in [("0.5", lat.p50), ("0.99", lat.p99), ("1", lat.max)] {
            g.latency
                .get_or_create(&QuantileLabel { quantile: q })
                .set(v);
        }
        g.latency_samples.advance_to(lat.count);
        g.latency_histogram.set(ingest.latency_buckets.clone());

        let w = i.inputs.store.write_stats();
        m.store.rows_committed.advance_to(w.rows_committed);
        m.store.failed_commits.advance_to(w.failed_commits);
        m.store.pending_rows.set(w.pending as i64);
        m.store.writable.set((w.pending == 0) as i64);

        if let (Some(status), Some(rm)) = (&i.inputs.repair, &m.repair) {
            let r = status.borrow().clone();
            rm.runs.advance_to(r.runs);
            rm.ranges_failed.advance_to(r.ranges_failed);
            rm.candles.advance_to(r.candles_written);
            rm.pending_spans.set(r.pending_spans as i64);
        }
        if let (Some(clients), Some(km)) = (&i.inputs.klines, &m.klines) {
            for client in clients.iter() {
                let k = client.stats();
                let l = VenueLabel {
                    venue: client.venue().name(),
                };
                km.requests.advance_to(&l, k.requests);
                km.retries.advance_to(&l, k.retries);
                km.rate_limited.advance_to(&l, k.rate_limited);
                km.weight_used.get_or_create(&l).set(k.weight_used as i64);
                self.set_breaker("klines", &client.config().base_url, &k.breaker);
            }
        }
        if let Some(a) = i.alerts.get() {
            use crate::alerts::Channel;
            m.alerts
                .firings
                .advance_to(a.firings.load(std::sync::atomic::Ordering::Relaxed));
            for c in [
                Channel::Bell,
                Channel::Desktop,
                Channel::Webhook,
                Channel::Command,
            ] {
                let label = |outcome| ChannelOutcomeLabel {
                    channel: c.as_str(),
                    outcome,
                };
                m.alerts
                    .deliveries
                    .advance_to(&label("delivered"), a.delivered(c));
                m.alerts
                    .deliveries
                    .advance_to(&label("failed"), a.failed(c));
            }
        }
        m.uptime.set(i.started.elapsed().as_secs_f64());
        m.log_lines_lost.advance_to(crate::logging::lost_lines());
    }

    /// Refreshes store sizes (a store call: rows counted, pages measured).
    pub async fn sample_store(&self) {
        let i = &*self.inner;
        let stats = tokio::time::timeout(STORE_STATS_TIMEOUT, i.inputs.store.stats()).await;
        let stats = match stats {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "store statistics unavailable");
                return;
            }
            Err(_) => {
                tracing::warn!("store statistics timed out");
                return;
            }
        };
        let m = &i.metrics.store;
        let tier = |t: &'static str| TierLabel { tier: t };
        m.candles
            .get_or_create(&tier("hot"))
            .set(stats.hot_candles as i64);
        m.candles
            .get_or_create(&tier("cold"))
            .set(stats.cold_candles as i64);
        for (t, bytes) in [("hot", stats.hot_bytes), ("cold", stats.cold_bytes)] {
            if let Some(b) = bytes {
                m.bytes.get_or_create(&tier(t)).set(b as i64);
            }
        }
        m.bytes
            .get_or_create(&tier("file"))
            .set(stats.file_bytes as i64);
        m.news.set(stats.news as i64);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::domain::Venue;
    use crate::exchange::StreamStats;
    use crate::history::{KlinesClient, KlinesConfig};
    use crate::ingest::IngestSnapshot;
    use crate::metrics::Inputs;
    use crate::store::{Store, StoreOptions};

    fn monitor(dir: &std::path::Path, stream: Arc<StreamStats>) -> Monitor {
        let store = Store::open(&dir.join("t.db"), StoreOptions::default()).unwrap();
        let (_tx, ingest) = watch::channel(IngestSnapshot::default());
        let (_tx, repair) = watch::channel(crate::history::repair::RepairStatus::default());
        let klines = KlinesClient::new(KlinesConfig::new("http://127.0.0.1:9")).unwrap();
        let mut venues = crate::config::VenuesConfig::default();
        venues[Venue::Binance].ws_url = "ws://127.0.0.1:9".into();
        Monitor::new(Inputs {
            demo: false,
            streams: vec![(Venue::Binance, stream)],
            ingest,
            store,
            repair: Some(repair),
            klines: Some(klines.into()),
            venues,
            trades_critical: Duration::from_secs(60),
            feeds: vec!["http://127.0.0.1:9/feed".into()],
            bus: None,
        })
    }

    #[tokio::test]
    async fn the_stream_breaker_is_exported() {
        let dir = tempfile::tempdir().unwrap();
        let stream = Arc::new(StreamStats::new());
        let m = monitor(dir.path(), stream.clone());
        m.sample();
        assert!(
            !m.encode().contains("client=\"websocket\""),
            "not before the client ran"
        );
        let mut b = crate::net::CircuitBreaker::new(crate::net::BreakerPolicy {
            failure_threshold: 2,
            open_secs: 60,
        });
        let now = std::time::Instant::now();
        b.on_failure(now);
        b.on_failure(now);
        stream.publish_breaker(&b);
        m.sample();
        let text = m.encode();
        assert!(
            text.contains(
                "cryptoviz_breaker_state{client=\"websocket\",target=\"ws://127.0.0.1:9\"} 2\n"
            ),
            "{text}"
        );
    }

    #[tokio::test]
    async fn alert_counters_are_exported_per_channel() {
        use crate::alerts::deliver::AlertStats;
        use std::sync::atomic::Ordering;
        let dir = tempfile::tempdir().unwrap();
        let m = monitor(dir.path(), Arc::new(StreamStats::new()));
        let a = Arc::new(AlertStats::default());
        m.set_alerts(a.clone());
        a.firings.fetch_add(2, Ordering::Relaxed);
        a.delivered[2].fetch_add(2, Ordering::Relaxed);
        a.failed[2].fetch_add(3, Ordering::Relaxed);
        m.sample();
        let text = m.encode();
        assert!(text.contains("cryptoviz_alert_firings_total 2\n"), "{text}");
        assert!(text.contains(
            "cryptoviz_alert_deliveries_total{channel=\"webhook\",outcome=\"delivered\"} 2\n"
        ));
        assert!(text.contains(
            "cryptoviz_alert_deliveries_total{channel=\"webhook\",outcome=\"failed\"} 3\n"
        ));
        assert!(text.contains(
            "cryptoviz_alert_deliveries_total{channel=\"bell\",outcome=\"delivered\"} 0\n"
        ));
    }

    #[tokio::test]
    async fn samples_become_exposition_lines() {
        let dir = tempfile::tempdir().unwrap();
        let stream = Arc::new(StreamStats::new());
        let m = monitor(dir.path(), stream.clone());
        stream
            .trades
            .fetch_add(3, std::sync::atomic::Ordering::Relaxed);
        m.sample();
        m.sample_store().await;
        stream
            .trades
            .fetch_add(2, std::sync::atomic::Ordering::Relaxed);
        stream
            .derivs
            .fetch_add(7, std::sync::atomic::Ordering::Relaxed);
        m.sample();
        let text = m.encode();
        assert!(
            text.contains("cryptoviz_stream_derivatives_total{venue=\"binance\"} 7\n"),
            "{text}"
        );
        assert!(text.contains("cryptoviz_ingest_liquidations_dropped_total 0\n"));
        assert!(
            text.contains("cryptoviz_stream_trades_total{venue=\"binance\"} 5\n"),
            "{text}"
        );
        assert!(
            text.contains("cryptoviz_stream_last_message_age_seconds{venue=\"binance\"} NaN\n")
        );
        assert!(text.contains("cryptoviz_store_candles{tier=\"hot\"} 0\n"));
        assert!(text.contains("cryptoviz_store_size_bytes{tier=\"file\"} "));
        assert!(text.contains(
            "cryptoviz_breaker_state{client=\"klines\",target=\"http://127.0.0.1:9\"} 0\n"
        ));
        assert!(text.contains("cryptoviz_store_writable 1\n"));
        assert!(text.contains(
            "cryptoviz_news_polls_total{feed=\"http://127.0.0.1:9/feed\",outcome=\"failed\"} 0\n"
        ));
        assert!(text.contains("cryptoviz_klines_notices_total{kind=\"banned\"} 0\n"));
    }
}
