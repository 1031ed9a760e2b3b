//! `cryptoviz collect`: the headless collector. Runs the live stream (or the demo market with
//! `--demo`) into the store until SIGINT/SIGTERM or `--duration`, then flushes and exits 0.

use std::process::ExitCode;
use std::time::Duration;

use tokio::sync::watch;

use super::Context;
use crate::cli::CollectArgs;
use crate::ingest::IngestEvent;
use crate::pipeline::Pipeline;
use crate::source::StreamStatus;

/// Upper bound on the shutdown sequence (stop sources, flush candles, close the database).
pub const SHUTDOWN_LIMIT: Duration = Duration::from_secs(10);

pub async fn run(ctx: &Context, args: CollectArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store()?;
    if ctx.demo {
        store.call(|b| b.clear()).await?;
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    spawn_stop_signals(stop_tx.clone(), args.duration.map(Duration::from_secs));

    if args.once {
        // One cycle: nothing streams; gap repair and news happen in their own modules.
        store.close().await?;
        return Ok(ExitCode::SUCCESS);
    }

    let mut pipeline =
        Pipeline::start(&ctx.config, store.clone(), ctx.demo, stop_rx.clone()).await?;
    let tiering = tokio::spawn(crate::store::run_tiering(
        store.clone(),
        ctx.config.storage.clone(),
        stop_rx.clone(),
    ));
    tracing::info!(demo = ctx.demo, "collector started");
    let mut stop = stop_rx.clone();
    loop {
        tokio::select! {
            ev = pipeline.events.recv() => match ev {
                Some(ev) => log_event(&ev),
                None => break,
            },
            _ = stop.changed() => break,
        }
    }
    tracing::info!("collector stopping");
    let _ = stop_tx.send(true);
    // Drain events so ingestion never blocks on a full channel while flushing.
    let drain = tokio::spawn(async move {
        while pipeline.events.recv().await.is_some() {}
        pipeline
    });
    // The events channel closes once ingestion has finished.
    let pipeline = match tokio::time::timeout(SHUTDOWN_LIMIT, drain).await {
        Ok(Ok(p)) => Some(p),
        _ => None,
    };
    if let Some(p) = pipeline {
        p.join(SHUTDOWN_LIMIT).await?;
    }
    let _ = tokio::time::timeout(SHUTDOWN_LIMIT, tiering).await;
    store.close().await?;
    tracing::info!("collector stopped cleanly");
    Ok(ExitCode::SUCCESS)
}

fn log_event(ev: &IngestEvent) {
    match ev {
        IngestEvent::Stream(StreamStatus::Reconnecting {
            attempt, reason, ..
        }) => tracing::warn!(attempt, reason, "stream reconnecting"),
        IngestEvent::Stream(s) => tracing::info!(status = ?s, "stream"),
        IngestEvent::Gaps(g) => tracing::warn!(count = g.len(), "trade id gaps"),
        IngestEvent::Malformed(m) => tracing::debug!(reason = %m, "malformed frame"),
        IngestEvent::Candles(_) => {}
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
