//! The dashboard command: validates the `[ui]` config, opens the store, takes over the
//! terminal at once (stored history shows before any network answers), then starts the
//! producers (market pipeline, news) in the background and runs the event loop.

mod attached;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::{broadcast, mpsc, watch};

use super::Context;
use super::collect::SHUTDOWN_LIMIT;
use crate::alerts::deliver::AlertStats;
use crate::app::event::{
    BackfillProgress, CacheStats, DataEvent, HealthSnapshot, Request, SourceFreshness, TierSize,
};
use crate::app::terminal::TerminalGuard;
use crate::app::{App, AppSettings};
use crate::config::Config;
use crate::domain::{Millis, SeriesKey, Symbol, Timeframe, now_ms};
use crate::ingest::IngestEvent;
use crate::news::poller::{FeedReport, FeedStatus, NewsEvent};
use crate::report::Report;
use crate::runtime::{Event, Options, Runtime};
use crate::source::RuleChange;
use crate::source::StreamStatus;
use crate::store::{ProgressStatus, Store};
use crate::ui::Theme;

/// Room for bursts of candle updates while a frame is being drawn.
const DATA_CHANNEL: usize = 4096;
/// How often the health panel gets a fresh snapshot.
const HEALTH_EVERY: Duration = Duration::from_secs(1);
/// Store statistics cost a count over the candle table: not every second.
const STORE_STATS_EVERY: Duration = Duration::from_secs(10);

pub async fn run(
    ctx: &Context,
    symbol: Option<Symbol>,
    timeframe: Option<Timeframe>,
) -> anyhow::Result<ExitCode> {
    let settings = AppSettings::from_config(
        &ctx.config,
        ctx.data_dir.clone(),
        ctx.demo,
        symbol,
        timeframe,
        Theme::no_color_from_env(),
    )
    .map_err(|e| super::usage(format!("config: {e}")))?;
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "the dashboard needs a terminal (stdout is not one); use `cryptoviz collect` to run headless"
        );
    }
    let mut settings = settings;
    // A collector owns this data dir, or the store is a shared server: follow it read-only.
    let (store, attached) = ctx
        .open_dashboard_store()
        .context("cannot start the dashboard")?;
    if ctx.demo {
        store.call(|b| b.clear()).await?;
    }
    settings.attached = attached;
    if attached && ctx.store_url().is_shared() {
        settings.attached_to = Some(store.name().to_string());
    }
    // Markets added from an earlier session's search: shown and streamed like configured ones.
    let added = if attached || ctx.demo {
        Vec::new()
    } else {
        store.call(|b| b.watchlist()).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "watchlist not read");
            Vec::new()
        })
    };
    for s in &added {
        if !settings.symbols.contains(s) {
            settings.symbols.push(*s);
        }
    }
    settings.added = added.clone();

    let (data_tx, data_rx) = mpsc::channel(DATA_CHANNEL);
    let (req_tx, req_rx) = mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = watch::channel(false);
    let (refresh_tx, refresh_rx) = watch::channel(0u64);
    // Rule and watchlist changes go to the producers, which own the alert engine and the
    // streams.
    let (producer_tx, producer_rx) = mpsc::channel(16);
    let server = tokio::spawn(serve_requests(
        store.clone(),
        req_rx,
        data_tx.clone(),
        refresh_tx,
        producer_tx,
    ));

    let mut app = App::new(settings, now_ms());
    let result = match TerminalGuard::enter() {
        Ok(mut guard) => {
            let producers = if attached {
                tokio::spawn(attached::follow(
                    ctx.config.clone(),
                    store.clone(),
                    crate::store::watch_changes(&ctx.store_url(), &ctx.data_dir),
                    data_tx,
                    stop_rx,
                ))
            } else {
                tokio::spawn(run_producers(
                    ctx.config.clone(),
                    added,
                    store.clone(),
                    ctx.demo,
                    data_tx,
                    stop_rx,
                    refresh_rx,
                    producer_rx,
                ))
            };
            let r = crate::app::run::run(
                &mut guard.terminal,
                &mut app,
                data_rx,
                req_tx,
                ctx.config.ui.fps,
            )
            .await
            .context("terminal error");
            // Restore the screen first, then stop and flush (which may take a moment).
            drop(guard);
            let _ = stop_tx.send(true);
            let _ = tokio::time::timeout(SHUTDOWN_LIMIT, producers).await;
            r
        }
        Err(e) => Err(anyhow::anyhow!("cannot set up the terminal: {e}")),
    };
    server.abort();
    let closed = store.close().await;
    result?;
    closed.context("closing the database")?;
    Ok(ExitCode::SUCCESS)
}

/// The runtime, started from the config plus the markets added from the dashboard.
async fn start_runtime(
    base: &Config,
    added: &[Symbol],
    store: &Store,
    demo: bool,
    data: &mpsc::Sender<DataEvent>,
    health: &mut HealthProbe,
) -> Option<Runtime> {
    let mut config = base.clone();
    config.market = base.market.with_added(added);
    let opts = Options {
        demo,
        live_view: true,
        klines_notice: None,
    };
    match Runtime::start(&config, store.clone(), opts).await {
        Ok(rt) => {
            health.config = config;
            health.klines = rt.klines.clone();
            health.alerts = Some(rt.alerts.clone());
            Some(rt)
        }
        Err(e) => {
            let msg = format!("market data did not start: {e}");
            send(data, log(tracing::Level::ERROR, msg)).await;
            None
        }
    }
}

/// The runtime's events, forwarded to the App as [`DataEvent`]s, plus a health snapshot
/// every second; rule changes from the App go to the runtime, and a changed watchlist
/// restarts it with the new markets (streams, backfill and repair all start from the
/// config). Returns once everything is stopped and flushed.
#[allow(clippy::too_many_arguments)]
async fn run_producers(
    config: Config,
    mut added: Vec<Symbol>,
    store: Store,
    demo: bool,
    data: mpsc::Sender<DataEvent>,
    mut stop: watch::Receiver<bool>,
    mut refresh: watch::Receiver<u64>,
    mut requests: mpsc::Receiver<Request>,
) {
    let mut health = HealthProbe::new(&config, demo);
    let mut runtime = start_runtime(&config, &added, &store, demo, &data, &mut health).await;
    let mut events = runtime.as_ref().map(Runtime::subscribe);
    send(&data, DataEvent::UserRules(user_rules(&store).await)).await;
    // The venues' market lists as last stored, so the search works before (or without) a
    // fresh fetch.
    if let Ok(lists) = store.call(|b| b.instruments()).await
        && !lists.markets.is_empty()
    {
        send(&data, DataEvent::Instruments(lists.markets)).await;
    }
    let mut repaired = RepairSeen::default();
    let mut tick = tokio::time::interval(HEALTH_EVERY);
    loop {
        tokio::select! {
            ev = next_event(&mut events) => match ev {
                Ok(ev) => forward(&data, &mut health, &mut repaired, ev).await,
                // Fell behind: what is on screen may miss updates; reload it from the store.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    send(&data, DataEvent::StoreChanged).await;
                }
                Err(broadcast::error::RecvError::Closed) => events = None,
            },
            r = refresh.changed() => match (r, &runtime) {
                (Ok(()), Some(rt)) => rt.refresh(),
                (Err(_), _) => break,
                _ => {}
            },
            Some(req) = requests.recv() => {
                if let Request::Watch(list) = req {
                    let l = list.clone();
                    if let Err(e) = store.call(move |b| b.set_watchlist(&l)).await {
                        let msg = format!("watchlist not stored: {e}");
                        send(&data, log(tracing::Level::ERROR, msg)).await;
                    }
                    added = list;
                    if let Some(rt) = runtime.take() {
                        let _ = rt.stop(SHUTDOWN_LIMIT).await;
                    }
                    runtime = start_runtime(&config, &added, &store, demo, &data, &mut health).await;
                    events = runtime.as_ref().map(Runtime::subscribe);
                    continue;
                }
                let change = save_rule_change(&store, &data, req).await;
                if let (Some(change), Some(rt)) = (change, &runtime) {
                    rt.change_rule(change).await;
                }
                send(&data, DataEvent::UserRules(user_rules(&store).await)).await;
            }
            _ = tick.tick() => {
                let snap = health.snapshot(runtime.as_ref(), &store).await;
                send(&data, DataEvent::Health(snap)).await;
            }
            _ = stop.changed() => break,
        }
    }
    if let Some(rt) = runtime {
        let _ = rt.stop(SHUTDOWN_LIMIT).await;
    }
}

async fn next_event(
    rx: &mut Option<broadcast::Receiver<Event>>,
) -> Result<Event, broadcast::error::RecvError> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// What the gap repair last reported, so each change is said once.
#[derive(Default)]
struct RepairSeen {
    written: u64,
    last_error: Option<String>,
}

/// One runtime event to the App, with the log lines and health updates it calls for.
async fn forward(
    data: &mpsc::Sender<DataEvent>,
    health: &mut HealthProbe,
    repaired: &mut RepairSeen,
    ev: Event,
) {
    match ev {
        Event::Market(ev) => forward_market(data, health, ev).await,
        Event::News(NewsEvent::Items(items)) => {
            let msg = format!("{} new headline(s)", items.len());
            send(data, log(tracing::Level::INFO, msg)).await;
            send(data, DataEvent::News(items)).await;
        }
        Event::News(NewsEvent::Feed(report)) => {
            if let FeedStatus::Failed { error } = &report.status {
                send(data, log(tracing::Level::WARN, error.clone())).await;
            }
            health.count_feed(&report);
            health.feeds.insert(report.url.clone(), report);
        }
        // Repaired candles landed: the App reloads from the store.
        Event::Repair(s) => {
            if s.candles_written > repaired.written {
                repaired.written = s.candles_written;
                send(data, DataEvent::StoreChanged).await;
            }
            if s.last_error.is_some() && s.last_error != repaired.last_error {
                let msg = format!("gap repair: {}", s.last_error.as_deref().unwrap_or(""));
                send(data, log(tracing::Level::WARN, msg)).await;
            }
            repaired.last_error = s.last_error;
        }
        Event::Fired(f) => send(data, DataEvent::AlertFired(f)).await,
        Event::Instruments(list) => send(data, DataEvent::Instruments(list)).await,
        Event::Notice(level, message) => send(data, log(level, message)).await,
    }
}

/// Stores a rule change from the App; the change for the engine when it was stored.
async fn save_rule_change(
    store: &Store,
    data: &mpsc::Sender<DataEvent>,
    req: Request,
) -> Option<RuleChange> {
    let result = match req {
        Request::SaveRule { rule, enabled } => {
            let stored = rule.to_stored(enabled);
            store.call(move |b| b.save_rule(&stored)).await.map(|()| {
                if enabled {
                    RuleChange::Add(rule)
                } else {
                    RuleChange::Remove(rule.name)
                }
            })
        }
        Request::DeleteRule(name) => {
            let n = name.clone();
            store
                .call(move |b| b.delete_rule(&n))
                .await
                .map(|()| RuleChange::Remove(name))
        }
        _ => return None,
    };
    match result {
        Ok(change) => Some(change),
        Err(e) => {
            let msg = format!("alert rule not stored: {e}");
            send(data, log(tracing::Level::ERROR, msg)).await;
            None
        }
    }
}

/// One market event to the App, with the log lines and health resets it calls for.
async fn forward_market(data: &mpsc::Sender<DataEvent>, health: &mut HealthProbe, ev: IngestEvent) {
    match ev {
        IngestEvent::Stream(venue, s @ StreamStatus::Connected) => {
            // The pipeline writes history (demo) or repairs gaps before it connects:
            // whatever the App loaded earlier may be incomplete.
            send(data, DataEvent::StoreChanged).await;
            send(
                data,
                log(tracing::Level::INFO, format!("{venue} stream connected")),
            )
            .await;
            send(data, DataEvent::Stream(venue, s)).await;
            // Trades ingested before connecting were history, not a rate.
            health.last_trades = None;
        }
        IngestEvent::Stream(venue, s @ StreamStatus::Reconnecting { .. }) => {
            if let StreamStatus::Reconnecting {
                attempt,
                delay,
                reason,
            } = &s
            {
                let msg =
                    format!("{venue} stream lost ({reason}); reconnect {attempt} in {delay:?}");
                send(data, log(tracing::Level::WARN, msg)).await;
            }
            send(data, DataEvent::Stream(venue, s)).await;
        }
        ev => send(data, market_event(ev)).await,
    }
}

fn market_event(ev: IngestEvent) -> DataEvent {
    match ev {
        IngestEvent::Candles(c) => DataEvent::Candles(c),
        IngestEvent::Trades(t) => DataEvent::Trades(t),
        IngestEvent::Book(b) => DataEvent::Book(b),
        IngestEvent::Stream(venue, s) => DataEvent::Stream(venue, s),
        IngestEvent::Gaps(g) => log(
            tracing::Level::WARN,
            format!(
                "{} gap(s) in the trade stream; candles there may be incomplete",
                g.len()
            ),
        ),
        IngestEvent::Malformed(m) => log(tracing::Level::WARN, format!("malformed frame: {m}")),
        // Recorded by the producers' loop before anything reaches the App.
        IngestEvent::Alerts(d) => log(
            tracing::Level::DEBUG,
            format!("{} alert decision(s)", d.len()),
        ),
    }
}

/// Builds the health panel's snapshot from what the producers expose.
struct HealthProbe {
    config: Config,
    demo: bool,
    feeds: BTreeMap<String, FeedReport>,
    last_trades: Option<(u64, Instant)>,
    store_stats: Option<(Vec<TierSize>, Instant)>,
    backfill: Vec<BackfillProgress>,
    /// The gap repair's clients, whose breakers the panel shows.
    klines: Option<crate::history::KlinesClients>,
    /// The alert engine's counters.
    alerts: Option<Arc<AlertStats>>,
    /// Conditional GETs answered 304 (the feed's cached copy was current) vs. fetched anew.
    news_hits: u64,
    news_misses: u64,
    news_fetched_at: Option<Millis>,
    news_items: u64,
}

impl HealthProbe {
    fn new(config: &Config, demo: bool) -> HealthProbe {
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

    fn count_feed(&mut self, r: &FeedReport) {
        match r.status {
            FeedStatus::NotModified => self.news_hits += 1,
            FeedStatus::Ok { .. } => self.news_misses += 1,
            _ => return,
        }
        self.news_fetched_at = Some(r.fetched_at);
    }

    async fn snapshot(&mut self, pipeline: Option<&Runtime>, store: &Store) -> HealthSnapshot {
        let now = Instant::now();
        let mut h = HealthSnapshot::default();
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
async fn store_tiers(store: &Store) -> Option<(Vec<TierSize>, u64)> {
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

/// Answers the App's requests: history pages from the store, report files, refreshes.
/// Store errors go to the activity log; the series then stays as it is rather than retrying
/// in a loop.
async fn serve_requests(
    store: Store,
    mut requests: mpsc::UnboundedReceiver<Request>,
    data: mpsc::Sender<DataEvent>,
    refresh: watch::Sender<u64>,
    producers: mpsc::Sender<Request>,
) {
    while let Some(req) = requests.recv().await {
        let ev = match req {
            r @ (Request::SaveRule { .. } | Request::DeleteRule(_) | Request::Watch(_)) => {
                // Attached to a collector there are no producers here to take it.
                let what = if matches!(r, Request::Watch(_)) {
                    "markets are added to the collector that owns this store (its config)"
                } else {
                    "alerts are set on the collector that owns this store"
                };
                if producers.send(r).await.is_err() {
                    log(tracing::Level::WARN, what.into())
                } else {
                    continue;
                }
            }
            Request::LoadHistory { key, before, limit } => {
                match store.candles_before(key, before, limit).await {
                    Ok(candles) => DataEvent::History {
                        key,
                        complete: candles.len() < limit,
                        candles,
                    },
                    Err(e) => log(
                        tracing::Level::ERROR,
                        format!("loading {} {} history: {e}", key.symbol, key.timeframe),
                    ),
                }
            }
            Request::Refresh => {
                refresh.send_modify(|n| *n += 1);
                log(tracing::Level::INFO, "news refresh requested".into())
            }
            Request::Export { path, report } => {
                let p = path.clone();
                let result = tokio::task::spawn_blocking(move || write_report(&p, &report))
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                DataEvent::Exported { path, result }
            }
        };
        if data.send(ev).await.is_err() {
            return;
        }
    }
}

/// The rules made from the dashboard, each enabled or not (unreadable ones left out).
async fn user_rules(store: &Store) -> Vec<(crate::alerts::Rule, bool)> {
    store
        .call(|b| b.stored_rules())
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| Some((crate::alerts::Rule::from_stored(r).ok()?, r.enabled)))
        .collect()
}

/// Sends unless the App is gone (then the event is dropped: we are shutting down).
async fn send(data: &mpsc::Sender<DataEvent>, ev: DataEvent) {
    let _ = data.send(ev).await;
}

fn log(level: tracing::Level, message: String) -> DataEvent {
    match level {
        tracing::Level::ERROR => tracing::error!("{message}"),
        tracing::Level::WARN => tracing::warn!("{message}"),
        _ => tracing::info!("{message}"),
    }
    DataEvent::Log {
        level,
        message,
        at: now_ms(),
    }
}

/// Writes through a temporary file and a rename, so a report is never seen half-written.
fn write_report(path: &Path, report: &Report) -> Result<(), String> {
    let mut json = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
    json.push('\n');
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, json)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            e.to_string()
        })
}
