//! Answers the App's requests: history pages from the store, report files, refreshes; rule and
//! watchlist changes go on to the producers.

use std::path::Path;

use tokio::sync::{mpsc, watch};

use super::log;
use crate::app::event::{DataEvent, Request};
use crate::report::Report;
use crate::store::Store;

/// Answers the App's requests: history pages from the store, report files, refreshes.
/// Store errors go to the activity log; the series then stays as it is rather than retrying
/// in a loop.
pub(super) async fn serve_requests(
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
pub(super) async fn user_rules(store: &Store) -> Vec<(crate::alerts::Rule, bool)> {
    store
        .call(|b| b.stored_rules())
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| Some((crate::alerts::Rule::from_stored(r).ok()?, r.enabled)))
        .collect()
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
