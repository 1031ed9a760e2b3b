//! `cryptoviz collect`: the headless collector. Runs the live stream (or the demo market with
//! `--demo`), gap repair, news polling and tiering until SIGINT/SIGTERM or `--duration`, then
//! stops taking work, flushes every open candle, closes the database and exits 0. With
//! `[metrics] listen` set it also serves `/metrics` and the `/health/*` probes.

use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::Context;
use crate::alerts::Firing;
use crate::alerts::deliver::{AlertStats, Recorder, deliver, line};
use crate::cli::CollectArgs;
use crate::domain::now_ms;
use crate::history::KlinesClients;
use crate::history::klines::VenueNoticeSink;
use crate::history::repair::{RepairStatus, RepairTrigger, Repairer};
use crate::ingest::IngestEvent;
use crate::metrics::{self, Inputs, Monitor};
use crate::news::clean::strip_controls;
use crate::news::enrich::Scoring;
use crate::news::poller::{NewsEvent, Poller};
use crate::pipeline::Pipeline;
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
    spawn_stop_signals(stop_tx.clone(), args.duration.map(Duration::from_secs));

    let mut pipeline =
        Pipeline::start(&ctx.config, store.clone(), ctx.demo, stop_rx.clone()).await?;
    let (status_tx, repair_status) = watch::channel(RepairStatus::default());
    // The klines client reports notices to the monitor, and the monitor reads the client's
    // figures: the slot breaks the circle.
    let monitor_slot: Arc<OnceLock<Monitor>> = Arc::default();
    let klines = if ctx.demo {
        None
    } else {
        let slot = monitor_slot.clone();
        let notify: VenueNoticeSink = Arc::new(move |venue, n| {
            if let Some(m) = slot.get() {
                m.on_klines_notice(venue, n);
            }
        });
        Some(KlinesClients::from_config(&ctx.config, Some(notify))?)
    };
    let monitor = Monitor::new(monitor_inputs(
        ctx,
        &pipeline,
        &store,
        repair_status,
        klines.clone(),
    ));
    let _ = monitor_slot.set(monitor.clone());
    let mut tasks = vec![tokio::spawn(crate::store::run_tiering(
        store.clone(),
        ctx.config.storage.clone(),
        stop_rx.clone(),
        |m| eprintln!("cryptoviz: {m}"),
    ))];
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
    let (repair_tx, repair_rx) = mpsc::channel(256);
    if let Some(clients) = klines {
        let repairer = Repairer::with_clients(&ctx.config, store.clone(), clients);
        tasks.push(tokio::spawn(repairer.run(
            repair_rx,
            stop_rx.clone(),
            status_tx,
        )));
        let _ = repair_tx.send(RepairTrigger::Startup).await;
    }
    tasks.push(spawn_news(
        ctx,
        &store,
        stop_rx.clone(),
        monitor.clone(),
        pipeline.inputs.clone(),
    )?);
    // Alerts: decisions are recorded in the event loop below, in order; delivery runs apart.
    let alert_stats = Arc::new(AlertStats::default());
    let rules = crate::alerts::deliver::rules(&ctx.config, &store).await?;
    let recorder = Recorder::new(&rules, store.clone(), alert_stats.clone());
    let (bell_tx, mut bell_rx) = mpsc::channel::<Firing>(64);
    tasks.push(tokio::spawn(deliver(
        ctx.config.notify.clone(),
        (
            ctx.config.net.backoff.clone(),
            ctx.config.net.breaker.clone(),
        ),
        store.clone(),
        recorder.wake(),
        Some(bell_tx),
        alert_stats.clone(),
        stop_rx.clone(),
    )));
    // Headless, the bell is a line on stderr.
    tasks.push(tokio::spawn(async move {
        while let Some(f) = bell_rx.recv().await {
            eprintln!("cryptoviz: alert {}", strip_controls(&line(&f)));
        }
    }));
    monitor.set_alerts(alert_stats);
    tasks.push(tokio::spawn(watch_writes(store.clone(), stop_rx.clone())));
    tracing::info!(demo = ctx.demo, "collector started");

    let mut stop = stop_rx.clone();
    let mut lost = false;
    loop {
        tokio::select! {
            ev = pipeline.events.recv() => match ev {
                Some(IngestEvent::Alerts(decisions)) => {
                    if let Err(e) = recorder.record(decisions).await {
                        tracing::error!(error = %e, "alert decisions not recorded");
                    }
                }
                Some(ev) => {
                    log_event(&ev);
                    monitor.on_event(&ev);
                    for t in RepairTrigger::from_event(&ev, &mut lost) {
                        let _ = repair_tx.try_send(t);
                    }
                }
                None => break,
            },
            _ = stop.changed() => break,
        }
    }
    tracing::info!("collector stopping");
    monitor.set_stopping();
    let _ = stop_tx.send(true);
    // Keep draining events so ingestion never blocks on a full channel while it flushes; the
    // channel closes once ingestion has finished. Alerts decided in the last flush are still
    // recorded (and delivered by the next run).
    let drain = tokio::spawn(async move {
        while let Some(ev) = pipeline.events.recv().await {
            if let IngestEvent::Alerts(decisions) = ev
                && let Err(e) = recorder.record(decisions).await
            {
                tracing::error!(error = %e, "alert decisions not recorded");
            }
        }
        pipeline
    });
    if let Ok(Ok(p)) = tokio::time::timeout(SHUTDOWN_LIMIT, drain).await {
        p.join(SHUTDOWN_LIMIT).await?;
    }
    for t in tasks {
        let _ = tokio::time::timeout(SHUTDOWN_LIMIT, t).await;
    }
    store.close().await?;
    tracing::info!("collector stopped cleanly");
    Ok(ExitCode::SUCCESS)
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
                eprintln!(
                    "cryptoviz: cannot write to the database {}: {}; holding {} candle rows in memory and retrying",
                    store.path().display(),
                    w.last_error.as_deref().unwrap_or("commit failed"),
                    w.pending
                );
            } else {
                eprintln!(
                    "cryptoviz: the database {} takes writes again; {}",
                    store.path().display(),
                    if w.shed_rows == 0 {
                        "nothing held was lost".to_string()
                    } else {
                        format!("{} rows were dropped while it failed", w.shed_rows)
                    }
                );
            }
        }
        if w.shed_rows > shed {
            eprintln!(
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
    pipeline: &Pipeline,
    store: &Store,
    repair: watch::Receiver<RepairStatus>,
    klines: Option<KlinesClients>,
) -> Inputs {
    Inputs {
        demo: ctx.demo,
        streams: pipeline.streams.clone(),
        ingest: pipeline.ingest.clone(),
        store: store.clone(),
        repair: (!ctx.demo).then_some(repair),
        klines,
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
            eprintln!("cryptoviz: gap repair incomplete: {e}");
            ok = false;
        }
        println!("gap repair: {} candles written", status.candles_written);
    }
    let mut poller = Poller::new(
        &ctx.config,
        &ctx.config.news.feeds,
        store.clone(),
        Arc::new(Scoring::from_config(&ctx.config.news)),
    )?;
    let round = poller.poll_once().await;
    println!(
        "news: {} feeds, {} items, {} new",
        round.reports.len(),
        round.items.len(),
        round.new_items.len()
    );
    store.close().await?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(super::EXIT_FAILURE)
    })
}

/// News polling (or, in demo mode, the bundled items stored once).
fn spawn_news(
    ctx: &Context,
    store: &Store,
    stop: watch::Receiver<bool>,
    monitor: Monitor,
    alert_inputs: mpsc::Sender<crate::source::MarketEvent>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let enricher = Arc::new(Scoring::from_config(&ctx.config.news));
    if ctx.demo {
        let store = store.clone();
        return Ok(tokio::spawn(async move {
            let items = crate::news::demo::demo_items(now_ms(), &*enricher);
            if let Err(e) = store.insert_news(items).await {
                tracing::warn!(error = %e, "demo news not stored");
            }
        }));
    }
    let poller = Poller::new(&ctx.config, &ctx.config.news.feeds, store.clone(), enricher)?;
    let (tx, mut rx) = mpsc::channel(64);
    Ok(tokio::spawn(async move {
        let run = tokio::spawn(poller.run(stop, tx));
        while let Some(ev) = rx.recv().await {
            match ev {
                NewsEvent::Items(items) => {
                    tracing::info!(new = items.len(), "news stored");
                    let _ = alert_inputs
                        .send(crate::source::MarketEvent::News(items))
                        .await;
                }
                NewsEvent::Feed(report) => monitor.on_feed_report(&report),
            }
        }
        let _ = run.await;
    }))
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
        IngestEvent::Candles(_) | IngestEvent::Alerts(_) => {}
    }
}

/// SIGINT, SIGTERM and the optional duration all end in the same graceful stop.
pub fn spawn_stop_signals(stop: watch::Sender<bool>, duration: Option<Duration>) {
    tokio::spawn(async move {
        let duration = async {
            match duration {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
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
}
