//! The dashboard command: validates the `[ui]` config, opens the store, starts the task that
//! answers the App's requests, takes over the terminal and runs the event loop.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use tokio::sync::mpsc;

use super::Context;
use crate::app::event::{DataEvent, Request};
use crate::app::report::Report;
use crate::app::terminal::TerminalGuard;
use crate::app::{App, AppSettings};
use crate::domain::{Symbol, Timeframe, now_ms};
use crate::store::Store;
use crate::ui::Theme;

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
    let store = ctx
        .open_store()
        .context("cannot start the dashboard")?;

    let (data_tx, data_rx) = mpsc::channel(DATA_CHANNEL);
    let (req_tx, req_rx) = mpsc::unbounded_channel();
    let server = tokio::spawn(serve_requests(store.clone(), req_rx, data_tx));

    let mut app = App::new(settings, now_ms());
    let result = match TerminalGuard::enter() {
        Ok(mut guard) => {
            crate::app::run::run(&mut guard.terminal, &mut app, data_rx, req_tx, ctx.config.ui.fps)
                .await
                .context("terminal error")
            // `guard` drops here: the terminal is restored before anything is printed.
        }
        Err(e) => Err(anyhow::anyhow!("cannot set up the terminal: {e}")),
    };
    server.abort();
    let closed = store.close().await;
    result?;
    closed.context("closing the database")?;
    Ok(ExitCode::SUCCESS)
}

/// Answers the App's requests: history pages from the store, report files. Store errors are
/// reported to the activity log; the series then stays as it is rather than retrying in a loop.
async fn serve_requests(
    store: Store,
    mut requests: mpsc::UnboundedReceiver<Request>,
    data: mpsc::Sender<DataEvent>,
) {
    while let Some(req) = requests.recv().await {
        let ev = match req {
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
            Request::Refresh => log(
                tracing::Level::INFO,
                "refresh requested (no news or backfill task is running)".into(),
            ),
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

fn log(level: tracing::Level, message: String) -> DataEvent {
    match level {
        tracing::Level::ERROR => tracing::error!("{message}"),
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
    let json = report.to_json().map_err(|e| e.to_string())?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, json)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            e.to_string()
        })
}
