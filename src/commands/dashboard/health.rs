//! The health panel's snapshot, built from what the producers expose: stream and ingest
//! counters, feeds, breakers, alert deliveries, the store's tiers and write path, backfill.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use crate::alerts::deliver::AlertStats;
use crate::app::event::{BackfillProgress, CacheStats, HealthSnapshot, SourceFreshness, TierSize};
use crate::config::Config;
use crate::domain::{Millis, SeriesKey, now_ms};
use crate::news::poller::{FeedReport, FeedStatus};
use crate::runtime::Runtime;
use crate::store::{ProgressStatus, Store};

/// Store statistics cost a count over the candle table: not every second.
const STORE_STATS_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Builds the health panel's snapshot from what the producers expose.
pub(super) struct HealthProbe {
    pub(super) config: Config,
    demo: bool,
    pub(super) feeds: BTreeMap<String, FeedReport>,
    pub(super) last_trades: Option<(u64, Instant)>,
    store_stats: Option<(Vec<TierSize>, Instant)>,
    backfill: Vec<BackfillProgress>,
    /// The gap repair's clients, whose breakers the panel shows.
    pub(super) klines: Option<crate::history::KlinesClients>,
    /// The alert engine's counters.
    pub(super) alerts: Option<Arc<AlertStats>>,
    /// Conditional GETs answered 304 (the feed's cached copy was current) vs. fetched anew.
    news_hits: u64,
    news_misses: u64,
    news_fetched_at: Option<Millis>,
    news_items: u64,
}

impl HealthProbe {
    pub(super) fn new(config: &Config, demo: bool) -> HealthProbe {
        HealthProbe {
            config: config.clone(),
            demo,
            feeds: BTreeMap::new(),
            last_trades: None,
            store_stats: None,
            backfill: Vec::new(),
            klines: None,
            alerts: None,
            news_hits: 0,
            news_misses: 0,
            news_fetched_at: None,
            news_items: 0,
        }
    }

    pub(super) fn count_feed(&mut self, r: &FeedReport) {
        match r.status {
            FeedStatus::NotModified => self.news_hits += 1,
            FeedStatus::Ok { .. } => self.news_misses += 1,
            _ => return,
        }
        self.news_fetched_at = Some(r.fetched_at);
    }

    pub(super) async fn snapshot(
        &mut self,
        pipeline: Option<&Runtime>,
        store: &Store,
    ) -> HealthSnapshot {
        let now = Instant::now();
        let mut h = HealthSnapshot {
            log_lines_lost: crate::logging::lost_lines(),
            ..HealthSnapshot::default()
        };
        if let Some(p) = pipeline {
            let ingest = p.ingest.borrow().clone();
            if let Some((n, at)) = self.last_trades {
                let secs = now.duration_since(at).as_secs_f64();
                if secs > 0.0 {
                    h.trades_per_sec = Some(ingest.trades.saturating_sub(n) as f64 / secs);
                }
            }
            self.last_trades = Some((ingest.trades, now));
            if ingest.latency_us.count > 0 {
                h.ingest_p50_us = Some(ingest.latency_us.p50.round() as u64);
                h.ingest_p99_us = Some(ingest.latency_us.p99.round() as u64);
            }
            let mut newest = None;
            for (venue, stats) in &p.streams {
                let name = format!("{venue} ws");
                if let Some(b) = stats.breaker() {
                    h.breakers.insert(name.clone(), b);
                }
                let last = stats.snapshot().last_message_ms;
                newest = newest.max(last);
                h.sources.push(SourceFreshness {
                    name,
                    last_update_ms: last,
                    thresholds: self.config.freshness.trades,
                });
            }
            h.book_levels_dropped = p
                .streams
                .iter()
                .chain(&p.book_streams)
                .map(|(_, s)| s.snapshot().book_levels_dropped)
                .sum();
            let last = newest.or(ingest.last_trade_ms);
            h.last_message_age_ms = last.map(|t| (now_ms() - t).max(0) as u64);
            if self.demo {
                h.sources.push(SourceFreshness {
                    name: "demo market".into(),
                    last_update_ms: ingest.last_trade_ms,
                    thresholds: self.config.freshness.trades,
                });
            }
        }
        for (url, r) in &self.feeds {
            let fresh = matches!(r.status, FeedStatus::Ok { .. } | FeedStatus::NotModified);
            let name = feed_name(url);
            h.sources.push(SourceFreshness {
                name: name.clone(),
                last_update_ms: fresh.then_some(r.fetched_at),
                thresholds: self.config.freshness.news,
            });
            h.breakers.insert(name, r.breaker.clone());
        }
        if let Some(a) = &self.alerts {
            use crate::alerts::Channel;
            use std::sync::atomic::Ordering;
            let all = [
                Channel::Bell,
                Channel::Desktop,
                Channel::Webhook,
                Channel::Command,
            ];
            h.alerts = Some(crate::app::event::AlertHealth {
                firings: a.firings.load(Ordering::Relaxed),
                delivered: all.iter().map(|c| a.delivered(*c)).sum(),
                failed: all.iter().map(|c| a.failed(*c)).sum(),
                last_error: a.last_error.lock().ok().and_then(|e| e.clone()),
            });
        }
        for k in self.klines.iter().flat_map(|k| k.iter()) {
            h.breakers
                .insert(format!("{} rest", k.venue()), k.stats().breaker);
        }
        if self.news_hits + self.news_misses > 0 {
            h.caches.push(CacheStats {
                name: "news".into(),
                hits: self.news_hits,
                misses: self.news_misses,
                entries: self.news_items,
                age_ms: self.news_fetched_at.map(|t| (now_ms() - t).max(0)),
            });
        }
        let due = self
            .store_stats
            .as_ref()
            .is_none_or(|(_, at)| now.duration_since(*at) >= STORE_STATS_EVERY);
        if due && let Some((tiers, news)) = store_tiers(store).await {
            self.store_stats = Some((tiers, now));
            self.news_items = news;
            self.backfill = backfill_progress(&self.config, store).await;
        }
        if let Some((tiers, _)) = &self.store_stats {
            h.store.clone_from(tiers);
        }
        h.store_writes = store.write_stats();
        h.backfill.clone_from(&self.backfill);
        h
    }
}

/// Store size per tier for the health panel, and the news items stored (None if the store
/// cannot say right now).
pub(super) async fn store_tiers(store: &Store) -> Option<(Vec<TierSize>, u64)> {
    let s = store.stats().await.ok()?;
    let tier = |tier: &str, bytes, rows| TierSize {
        tier: tier.into(),
        bytes,
        rows,
    };
    let tiers = vec![
        tier("hot", s.hot_bytes, Some(s.hot_candles)),
        tier("cold", s.cold_bytes, Some(s.cold_candles)),
        tier("file", Some(s.file_bytes), None),
    ];
    Some((tiers, s.news))
}

/// The newest backfill range of each configured series, from the store's checkpoints.
async fn backfill_progress(config: &Config, store: &Store) -> Vec<BackfillProgress> {
    let mut out = Vec::new();
    for &symbol in &config.market.symbols {
        for &timeframe in &config.market.timeframes {
            let key = SeriesKey { symbol, timeframe };
            let Ok(ranges) = store.call(move |b| b.progress(key)).await else {
                continue;
            };
            if let Some(p) = ranges.iter().max_by_key(|p| p.range_end) {
                let span = (p.range_end - p.range_start).max(1) as f64;
                let done = match p.status {
                    ProgressStatus::Done => 1.0,
                    _ => ((p.position - p.range_start) as f64 / span).clamp(0.0, 1.0),
                };
                out.push(BackfillProgress {
                    key,
                    done,
                    status: p.status.as_str().into(),
                });
            }
        }
    }
    out
}

/// "coindesk.com" from a feed URL: short enough for the health panel.
fn feed_name(url: &str) -> String {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or(url);
    host.trim_start_matches("www.").to_string()
}
