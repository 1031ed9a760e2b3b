//! The dashboard next to running collectors: they own the store, so the dashboard opens it
//! read-only and follows what they commit instead of streaming itself. Candles are read when
//! the store says it changed (a PostgreSQL notification, a SQLite file that moved); news,
//! firings and health once a second.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::health::store_tiers;
use super::send;
use crate::app::event::{DataEvent, HealthSnapshot, SourceFreshness};
use crate::config::Config;
use crate::domain::{Candle, Millis, SeriesKey, now_ms};
use crate::store::Store;

/// How often news, firings and health are read (and candles, should no change be announced).
const POLL_EVERY: Duration = Duration::from_secs(1);
/// News changes slowly; check it less often.
const NEWS_EVERY: u32 = 10;

/// Follows the store until `stop`: changed candles (the newest few of every series), new
/// headlines, and a health snapshot whose market source is the collector's writes.
pub async fn follow(
    config: Config,
    store: Store,
    mut changes: watch::Receiver<u64>,
    data: mpsc::Sender<DataEvent>,
    mut stop: watch::Receiver<bool>,
) {
    let keys: Vec<SeriesKey> = config
        .market
        .series_symbols()
        .into_iter()
        .flat_map(|symbol| {
            config
                .market
                .timeframes
                .iter()
                .map(move |&timeframe| SeriesKey { symbol, timeframe })
        })
        .collect();
    // The collector owns the streams and does not publish their state: this dashboard knows
    // only what the store shows, so it claims no venue connected and takes its liveness from
    // the collector's newest live write.
    let mut last_write: Option<Option<Millis>> = None;
    let mut seen: HashMap<(SeriesKey, Millis), Candle> = HashMap::new();
    // The collector evaluates and delivers alerts; this dashboard only shows its firings,
    // from those recorded after it attached (it never fires them a second time).
    let mut firings_seen: HashSet<String> = HashSet::new();
    let attached_at = now_ms();
    let mut news_seen: HashSet<String> = HashSet::new();
    let mut last_change: Option<Millis> = None;
    let mut tick = tokio::time::interval(POLL_EVERY);
    let mut round = 0u32;
    let mut tiers = Vec::new();
    let mut announced = true;
    loop {
        let candles_only = tokio::select! {
            _ = tick.tick() => false,
            r = changes.changed(), if announced => {
                // No more announcements (the watcher could not start): the tick alone.
                announced = r.is_ok();
                announced
            }
            _ = stop.changed() => return,
        };
        let mut changed = Vec::new();
        for &key in &keys {
            let Ok(latest) = store.candles_before(key, Millis::MAX, 3).await else {
                continue;
            };
            for c in latest {
                if seen.insert((key, c.open_time), c) != Some(c) {
                    changed.push((key, c));
                }
            }
        }
        // The first round only learns what is there; the App loads history itself.
        if round > 0 && !changed.is_empty() {
            last_change = Some(now_ms());
            send(&data, DataEvent::Candles(changed)).await;
        }
        if candles_only {
            continue;
        }
        if round.is_multiple_of(NEWS_EVERY)
            && let Ok(items) = store.recent_news(100, None).await
        {
            let fresh: Vec<_> = items
                .into_iter()
                .filter(|n| news_seen.insert(n.id.clone()))
                .collect();
            if !fresh.is_empty() {
                send(&data, DataEvent::News(fresh)).await;
            }
        }
        if let Ok(firings) = store
            .call(move |b| b.firings(attached_at - 60_000, Millis::MAX))
            .await
        {
            for f in firings {
                if firings_seen.insert(f.id.clone()) && round > 0 {
                    send(&data, DataEvent::AlertFired(f)).await;
                }
            }
        }
        let mut newest = None;
        for &key in &keys {
            if let Ok(Some(t)) = store.last_live_write(key).await {
                newest = newest.max(Some(t));
            }
        }
        if last_write != Some(newest) {
            last_write = Some(newest);
            send(&data, DataEvent::CollectorWrite(newest)).await;
        }
        let mut health = HealthSnapshot::default();
        health.sources.push(SourceFreshness {
            name: "collector (store)".into(),
            last_update_ms: newest.or(last_change),
            thresholds: config.freshness.trades,
        });
        if round.is_multiple_of(NEWS_EVERY)
            && let Some((t, _)) = store_tiers(&store).await
        {
            tiers = t;
        }
        health.store.clone_from(&tiers);
        send(&data, DataEvent::Health(health)).await;
        round += 1;
    }
}

/// The venues' market lists for the search of a dashboard that can ask the collectors for a
/// market (attached with a bus): the lists stored in the store, then each configured venue's
/// fetched anew where the stored one is missing or older than a day. Nothing is written (the
/// store is the collectors'); a venue that does not answer keeps its stored list, said once.
pub async fn market_lists(config: Config, store: Store, data: mpsc::Sender<DataEvent>) {
    let stored = store.call(|b| b.instruments()).await.unwrap_or_default();
    let mut markets = stored.markets;
    if !markets.is_empty() {
        send(&data, DataEvent::Instruments(markets.clone())).await;
    }
    let Ok(clients) = crate::history::KlinesClients::from_config(&config, None) else {
        return;
    };
    let mut changed = false;
    for (venue, answer) in crate::runtime::instruments::fetch_stale(&clients, &stored.fetched).await
    {
        match answer {
            Ok(list) => {
                markets.retain(|l| l.symbol.venue() != venue);
                markets.extend(list);
                changed = true;
            }
            Err(e) => {
                let msg = format!("{venue}'s market list: {e}");
                send(&data, super::log(tracing::Level::WARN, msg)).await;
            }
        }
    }
    if changed {
        markets.sort_by_key(|l| l.symbol);
        send(&data, DataEvent::Instruments(markets)).await;
    }
}
