//! The dashboard command: validates the `[ui]` config, opens the store, takes over the
//! terminal at once (stored history shows before any network answers), then starts the
//! producers (market pipeline, news) in the background and runs the event loop.

mod attached;
mod bus;
mod chart_choice;
mod health;
mod producers;
mod requests;

use producers::run_producers;
use requests::serve_requests;

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context as _;
use tokio::sync::{mpsc, watch};

use super::Context;
use super::collect::SHUTDOWN_LIMIT;
use crate::app::event::DataEvent;
use crate::app::{App, AppSettings};
use crate::domain::{Symbol, Timeframe, now_ms};
use crate::ui::Theme;
use crate::ui::terminal::TerminalGuard;

/// Room for bursts of candle updates while a frame is being drawn.
const DATA_CHANNEL: usize = 4096;

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
    // Markets added from an earlier session's search (or, attached, those the collectors took
    // when a dashboard asked over the bus): shown, and streamed here unless attached.
    let added = if ctx.demo {
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
    // The indicators chosen in an earlier session's menu, unless the config changed since.
    let choice_file = chart_choice::path(&ctx.data_dir, ctx.demo);
    let config_chosen = std::mem::take(&mut settings.chosen);
    let (chosen, choice_note) = chart_choice::load(&choice_file, &config_chosen);
    settings.chosen = chosen;

    let (data_tx, data_rx) = mpsc::channel(DATA_CHANNEL);
    if let Some(note) = choice_note {
        tracing::warn!("{note}");
        let _ = data_tx.try_send(log(tracing::Level::WARN, note));
    }
    let (req_tx, req_rx) = mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = watch::channel(false);
    let (refresh_tx, refresh_rx) = watch::channel(0u64);
    // Rule and watchlist changes go to the producers, which own the alert engine and the
    // streams.
    let (producer_tx, producer_rx) = mpsc::channel(16);
    let (asking, asked) = bus::Asking::channel();
    let server = tokio::spawn(serve_requests(
        store.clone(),
        req_rx,
        data_tx.clone(),
        refresh_tx,
        producer_tx,
        requests::Served {
            portfolio: ctx.config.portfolio.settings(),
            asking,
            indicators: chart_choice::Keeper {
                file: choice_file,
                config: config_chosen,
            },
        },
    ));

    let mut app = App::new(settings, now_ms());
    let result = match TerminalGuard::enter() {
        Ok(mut guard) => {
            // Attached with a bus: live updates over it, beside the store's follow, and the
            // venues' market lists for asking the collectors for a market.
            let bus = match ctx.config.bus.bus_url() {
                Some(url) if attached => Some(tokio::spawn(bus::follow(
                    url,
                    ctx.config.bus.clone(),
                    ctx.config
                        .market
                        .series_symbols()
                        .into_iter()
                        .chain(added.iter().copied())
                        .collect(),
                    asked,
                    data_tx.clone(),
                    stop_rx.clone(),
                ))),
                _ => None,
            };
            let lists = (attached && bus.is_some()).then(|| {
                tokio::spawn(attached::market_lists(
                    ctx.config.clone(),
                    store.clone(),
                    data_tx.clone(),
                ))
            });
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
            let r = crate::ui::run::run(
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
            if let Some(b) = bus {
                let _ = tokio::time::timeout(SHUTDOWN_LIMIT, b).await;
            }
            if let Some(l) = lists {
                l.abort();
            }
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
