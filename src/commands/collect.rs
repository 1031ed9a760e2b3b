//! `cryptoviz collect`: the headless collector. Runs the live stream (or the demo market with
//! `--demo`), gap repair, news polling and tiering until SIGINT/SIGTERM or `--duration`, then
//! stops taking work, flushes every open candle, closes the database and exits 0. With
//! `[metrics] listen` set it also serves `/metrics` and the `/health/*` probes.

mod report;

use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::Context;
use crate::alerts::deliver::line;
use crate::cli::CollectArgs;
use crate::history::klines::VenueNoticeSink;
use crate::history::repair::{RepairTrigger, Repairer};
use crate::ingest::IngestEvent;
use crate::metrics::{self, Inputs, Monitor};
use crate::news::clean::strip_controls;
use crate::news::enrich::Scoring;
use crate::news::poller::{FeedStatus, NewsEvent, Poller};
use crate::runtime::{Event, Options, Runtime};
use crate::source::StreamStatus;
use crate::store::Store;

/// Upper bound on each stage of the shutdown sequence (stop sources, flush candles, close the
/// database); the whole sequence stays well under 30 s.
pub const SHUTDOWN_LIMIT: Duration = Duration::from_secs(10);

pub async fn run(ctx: &Context, args: CollectArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.open_writer().await?;
    if args.once {
        return once(ctx, &store).await;
    }
    // Bound before anything starts, so a taken port is a clear error rather than a collector
    // running without the endpoint its operator relies on.
    let listener = match ctx.config.metrics.listen.as_str() {
        "" => None,
        addr => match metrics::bind(addr).await {
            Ok(l) => Some(l),
            Err(e) => {
                store.close().await?;
                return Err(e.into());
            }
        },
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let timed_out = spawn_stop_signals(stop_tx.clone(), args.duration.map(Duration::from_secs));

    // The REST clients report notices to the monitor, and the monitor reads the clients'
    // figures: the slot breaks the circle.
    let monitor_slot: Arc<OnceLock<Monitor>> = Arc::default();
    let slot = monitor_slot.clone();
    let klines_notice: VenueNoticeSink = Arc::new(move |venue, n| {
        if let Some(m) = slot.get() {
            m.on_klines_notice(venue, n);
        }
    });
    let bus = ctx.config.bus.bus_url();
    let opts = Options {
        demo: ctx.demo,
        live_view: false,
        every_trade: bus.is_some(),
        klines_notice: Some(klines_notice),
    };
    // Markets added while an earlier run was collecting (asked for over the bus, or from a
    // dashboard that streamed this store itself) are collected again.
    let config = with_watchlist(&ctx.config, &store).await;
    let runtime = Runtime::start(&config, store.clone(), opts).await?;
    let mut events = runtime.subscribe();
    let bus_stats = bus
        .as_ref()
        .map(|_| Arc::new(crate::bus::BusStats::default()));
    let monitor = Monitor::new(monitor_inputs(ctx, &runtime, &store, bus_stats.clone()));
    let _ = monitor_slot.set(monitor.clone());
    monitor.set_alerts(runtime.alerts.clone());
    let mut tasks = Vec::new();
    if let Some(listener) = listener {
        tasks.push(tokio::spawn(metrics::serve(
            listener,
            monitor.clone(),
            stop_rx.clone(),
        )));
        tasks.push(tokio::spawn(metrics::run_sampler(
            monitor.clone(),
            stop_rx.clone(),
        )));
    }
    tasks.push(tokio::spawn(watch_writes(store.clone(), stop_rx.clone())));
    // The bus hears the runtime to its end (the last flush's candles), so it is joined after
    // the runtime stopped.
    let bus_task = bus.zip(bus_stats).map(|(url, stats)| {
        tracing::info!(bus = %url, "publishing on the bus");
        tokio::spawn(crate::bus::publish(
            url,
            ctx.config.bus.clone(),
            runtime.subscribe(),
            runtime.ingest.clone(),
            runtime.asks.clone(),
            stats,
            |line| {
                tracing::warn!("{line}");
                stderr!("cryptoviz: {line}");
            },
        ))
    });
    tracing::info!(demo = ctx.demo, "collector started");

    let started = Instant::now();
    let streams = runtime.streams.clone();
    let mut connections = report::ConnectionReport::new(runtime.streams.iter().map(|(v, _)| {
        let url = ctx.config.venues.get(*v).map(|e| e.ws_url.clone());
        (*v, url.unwrap_or_default())
    }));
    let mut stop = stop_rx.clone();
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Ok(ev) => {
                    if let Event::Market(IngestEvent::Stream(venue, status)) = &ev
                        && let Some(line) = connections.on_status(*venue, status)
                    {
                        stderr!("cryptoviz: {line}");
                    }
                    on_event(&monitor, ev)
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "collector fell behind its own events");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
            _ = stop.changed() => break,
        }
    }
    tracing::info!("collector stopping");
    monitor.set_stopping();
    let _ = stop_tx.send(true);
    // Ingestion folds in what arrived and flushes every candle; the last alert decisions are
    // still recorded (and delivered by the next run).
    runtime.stop(SHUTDOWN_LIMIT).await?;
    if let Some(t) = bus_task {
        let _ = tokio::time::timeout(SHUTDOWN_LIMIT, t).await;
    }
    for t in tasks {
        let _ = tokio::time::timeout(SHUTDOWN_LIMIT, t).await;
    }
    store.close().await?;
    tracing::info!("collector stopped cleanly");
    if ctx.demo || streams.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    let trades: Vec<_> = streams
        .iter()
        .map(|(v, s)| (*v, s.snapshot().trades))
        .collect();
    let (delivered, lines) = connections.summary(&trades, started.elapsed());
    for line in &lines {
        stderr!("cryptoviz: {line}");
    }
    // A timed run is a job with a result: one that ran its course without any venue ever
    // delivering a trade did not do its job. A run stopped by a signal was ended by its
    // operator and exits 0.
    if timed_out.load(std::sync::atomic::Ordering::Relaxed) && !delivered {
        stderr!("cryptoviz: no venue delivered a trade in this run");
        return Ok(ExitCode::from(super::EXIT_FAILURE));
    }
    Ok(ExitCode::SUCCESS)
}

/// The config with the store's watchlist added to its markets (those on venues it streams),
/// said once on stderr when it
/// adds any (the config file alone no longer tells what is collected).
async fn with_watchlist(config: &crate::config::Config, store: &Store) -> crate::config::Config {
    let added = match store.call(|b| b.watchlist()).await {
        Ok(list) => list,
        Err(e) => {
            tracing::warn!(error = %e, "watchlist not read; collecting the config's markets");
            Vec::new()
        }
    };
    // Only markets on venues this collector streams are its own (a shared store's watchlist
    // also holds other collectors' markets).
    let owned = config.market.venues();
    let added: Vec<_> = added
        .into_iter()
        .filter(|s| owned.contains(&s.venue()) && !config.market.symbols.contains(s))
        .collect();
    let mut config = config.clone();
    if !added.is_empty() {
        let names: Vec<String> = added.iter().map(|s| s.to_string()).collect();
        stderr!(
            "cryptoviz: also collecting {} (added at run time; kept in the store's watchlist)",
            names.join(", ")
        );
        config.market = config.market.with_added(&added);
    }
    config
}

/// What a headless collector does with the runtime's events: logs, metrics, stderr lines.
fn on_event(monitor: &Monitor, ev: Event) {
    match ev {
        Event::Market(ev) => {
            log_event(&ev);
            monitor.on_event(&ev);
        }
        Event::News(NewsEvent::Items(items)) => tracing::info!(new = items.len(), "news stored"),
        Event::News(NewsEvent::Feed(report)) => monitor.on_feed_report(&report),
        Event::Repair(_) | Event::Instruments(_) => {}
        // Headless, the bell is a line on stderr.
        Event::Fired(f) => stderr!("cryptoviz: alert {}", strip_controls(&line(&f))),
        Event::Notice(level, m) => {
            if level <= tracing::Level::WARN {
                stderr!("cryptoviz: {m}");
            }
        }
    }
}

/// Says on stderr, once when it starts and once when it ends, that the database refuses
/// writes: a headless collector must not run for hours storing nothing without a word.
async fn watch_writes(store: Store, mut stop: watch::Receiver<bool>) {
    let mut failing = false;
    let mut shed = 0;
    loop {
        let w = store.write_stats();
        if w.failing() != failing {
            failing = w.failing();
            if failing {
                stderr!(
                    "cryptoviz: cannot write to the database {}: {}; holding {} candle rows in memory and retrying",
                    store.name(),
                    w.last_error.as_deref().unwrap_or("commit failed"),
                    w.pending
                );
            } else {
                stderr!(
                    "cryptoviz: the database {} takes writes again; {}",
                    store.name(),
                    if w.shed_rows == 0 {
                        "nothing held was lost".to_string()
                    } else {
                        format!("{} rows were dropped while it failed", w.shed_rows)
                    }
                );
            }
        }
        if w.shed_rows > shed {
            stderr!(
                "cryptoviz: {} candle rows dropped: the database refused writes for too long",
                w.shed_rows - shed
            );
            shed = w.shed_rows;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = stop.changed() => return,
        }
    }
}

/// What the health probes and `/metrics` read.
fn monitor_inputs(
    ctx: &Context,
    runtime: &Runtime,
    store: &Store,
    bus: Option<Arc<crate::bus::BusStats>>,
) -> Inputs {
    Inputs {
        bus,
        demo: ctx.demo,
        streams: runtime.streams.clone(),
        ingest: runtime.ingest.clone(),
        store: store.clone(),
        repair: runtime.repair.clone(),
        klines: runtime.klines.clone(),
        venues: ctx.config.venues.clone(),
        trades_critical: Duration::from_secs(ctx.config.freshness.trades.critical),
        feeds: if ctx.demo {
            Vec::new()
        } else {
            ctx.config.news.feeds.clone()
        },
    }
}

/// `--once`: one gap repair and one news poll, then exit (1 if either failed).
async fn once(ctx: &Context, store: &Store) -> anyhow::Result<ExitCode> {
    let mut ok = true;
    if !ctx.demo {
        let status = Repairer::from_config(&ctx.config, store.clone())?
            .once(RepairTrigger::Startup)
            .await;
        if let Some(e) = &status.last_error {
            stderr!("cryptoviz: gap repair incomplete: {e}");
            ok = false;
        }
        println!("gap repair: {} candles written", status.candles_written);
        if ctx.config.market.symbols.iter().any(|s| s.is_perp()) {
            println!(
                "derivatives repair: {} funding rates, {} open-interest points written",
                status.funding_written, status.oi_written
            );
        }
    }
    let mut poller = Poller::new(
        &ctx.config.news,
        &ctx.config.net,
        &ctx.config.news.feeds,
        store.clone(),
        Arc::new(Scoring::from_config(&ctx.config.news)),
    )?;
    let round = poller.poll_once().await;
    let mut failed = 0;
    for r in &round.reports {
        if let FeedStatus::Failed { error } = &r.status {
            failed += 1;
            stderr!("cryptoviz: {}", strip_controls(error));
        }
    }
    let feeds = round.reports.len();
    println!(
        "news: {feeds} feeds ({} answered, {failed} failed), {} items, {} new",
        feeds - failed,
        round.items.len(),
        round.new_items.len()
    );
    // Feeds that all failed are a failed poll, as `news` says with its exit code.
    if feeds > 0 && failed == feeds {
        ok = false;
    }
    store.close().await?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::EXIT_FAILURE)
    })
}

fn log_event(ev: &IngestEvent) {
    match ev {
        IngestEvent::Stream(
            venue,
            StreamStatus::Reconnecting {
                attempt, reason, ..
            },
        ) => tracing::warn!(%venue, attempt, reason, "stream reconnecting"),
        IngestEvent::Stream(venue, s) => tracing::info!(%venue, status = ?s, "stream"),
        IngestEvent::Gaps(g) => tracing::warn!(count = g.len(), "trade id gaps"),
        IngestEvent::Malformed(m) => tracing::debug!(reason = %m, "malformed frame"),
        IngestEvent::Candles(_)
        | IngestEvent::Derivs(_)
        | IngestEvent::Alerts(_)
        | IngestEvent::Trades(_)
        | IngestEvent::Book(_) => {}
    }
}

/// SIGINT, SIGTERM and the optional duration all end in the same graceful stop; the flag
/// turns true when it was the duration that ended the run.
pub fn spawn_stop_signals(
    stop: watch::Sender<bool>,
    duration: Option<Duration>,
) -> Arc<std::sync::atomic::AtomicBool> {
    let timed_out = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = timed_out.clone();
    tokio::spawn(async move {
        let duration = async {
            match duration {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        };
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) else {
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
                _ = duration => {}
            }
        }
        #[cfg(not(unix))]
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = duration => {}
        }
        let _ = stop.send(true);
    });
    timed_out
}
