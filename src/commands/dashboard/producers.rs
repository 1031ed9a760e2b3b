//! The dashboard's producers: the runtime (restarted when the watchlist changes), its events
//! turned into the App's data events, a health snapshot every second, rule and watchlist
//! changes from the App.

use tokio::sync::{broadcast, mpsc, watch};

use super::health::HealthProbe;
use super::requests::user_rules;
use super::{log, send};
use crate::app::event::{DataEvent, Request};
use crate::commands::collect::SHUTDOWN_LIMIT;
use crate::config::Config;
use crate::domain::Symbol;
use crate::ingest::IngestEvent;
use crate::news::poller::{FeedStatus, NewsEvent};
use crate::runtime::{Event, Options, Runtime};
use crate::source::RuleChange;
use crate::source::StreamStatus;
use crate::store::Store;

/// How often the health panel gets a fresh snapshot.
const HEALTH_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

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
        ..Options::default()
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
pub(super) async fn run_producers(
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
        IngestEvent::Derivs(d) => DataEvent::Derivs(d),
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
