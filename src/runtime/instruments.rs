//! Keeps each streamed venue's list of markets in the store, so the dashboard's search finds
//! any market the venues list, offline too. A list younger than [`MAX_AGE_MS`] is not asked
//! for again; a failure is a notice and the cached list stays.

use tokio::sync::{broadcast, watch};

use super::Event;
use crate::domain::{Listing, Millis, Venue, now_ms};
use crate::history::KlinesClients;
use crate::history::klines::KlinesError;
use crate::store::Store;

/// Venues list new markets now and then; once a day is enough.
pub const MAX_AGE_MS: Millis = 24 * 3_600_000;

pub async fn refresh(
    clients: KlinesClients,
    store: Store,
    events: broadcast::Sender<Event>,
    mut stop: watch::Receiver<bool>,
) {
    let work = async {
        let fetched: Vec<(Venue, Millis)> = match store.call(|b| b.instruments()).await {
            Ok(lists) => lists.fetched,
            Err(e) => {
                tracing::warn!(error = %e, "market lists not read");
                Vec::new()
            }
        };
        let mut changed = false;
        for (venue, answer) in fetch_stale(&clients, &fetched).await {
            match answer {
                Ok(list) => {
                    let n = list.len();
                    let stored = store
                        .call(move |b| b.put_instruments(venue, &list, now_ms()))
                        .await;
                    match stored {
                        Ok(()) => {
                            tracing::info!(%venue, markets = n, "market list stored");
                            changed = true;
                        }
                        Err(e) => notice(&events, format!("{venue}'s market list not stored: {e}")),
                    }
                }
                Err(e) => notice(&events, format!("{venue}'s market list: {e}")),
            }
        }
        if changed && let Ok(lists) = store.call(|b| b.instruments()).await {
            let _ = events.send(Event::Instruments(lists.markets));
        }
    };
    tokio::select! {
        () = work => {}
        _ = crate::net::shutdown_requested(&mut stop) => {}
    }
}

/// Each venue's list fetched anew where the one fetched before (`fetched`, when) is missing
/// or older than [`MAX_AGE_MS`].
pub async fn fetch_stale(
    clients: &KlinesClients,
    fetched: &[(Venue, Millis)],
) -> Vec<(Venue, Result<Vec<Listing>, KlinesError>)> {
    let mut out = Vec::new();
    for client in clients.iter() {
        let venue = client.venue();
        let at = fetched.iter().find(|(v, _)| *v == venue).map(|(_, at)| *at);
        if at.is_some_and(|at| now_ms() - at < MAX_AGE_MS) {
            continue;
        }
        out.push((venue, client.instruments().await));
    }
    out
}

fn notice(events: &broadcast::Sender<Event>, message: String) {
    tracing::warn!("{message}");
    let _ = events.send(Event::Notice(tracing::Level::WARN, message));
}
