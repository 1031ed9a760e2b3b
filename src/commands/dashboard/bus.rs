//! A dashboard attached to collectors that publish on the bus: trades (the tape), candles,
//! perps' derivatives and liquidations come over it as they happen, beside the store's follow (history, news, firings, health,
//! and the candles again should the bus be away). Messages are checked as venue frames are
//! ([`crate::bus::inbound`]); those refused are counted and said in the activity log, never
//! shown.

use std::collections::HashSet;
use std::time::Duration;

use std::pin::Pin;

use async_nats::connection::State;
use futures_util::{Stream, StreamExt};
use tokio::sync::{mpsc, watch};

use super::{log, send};
use crate::app::event::DataEvent;
use crate::bus::inbound::{self, Inbound, Rejected};
use crate::config::{BusConfig, BusUrl};
use crate::domain::{DerivState, Symbol, now_ms};

/// Updates are handed to the App at most this often, in one event per kind.
const BATCH_EVERY: Duration = Duration::from_millis(50);
/// A batch goes out at this size even before its time: memory stays bounded in a flood.
const BATCH_MAX: usize = 5_000;
/// Refused messages are said at most this often.
const SAY_REJECTED_EVERY: Duration = Duration::from_secs(10);

/// What a dashboard attaching replays: the tape's worth of the recent past.
const REPLAY: Duration = Duration::from_secs(120);

/// The bus's messages as (subject, payload).
type Feed = Pin<Box<dyn Stream<Item = (async_nats::Subject, bytes::Bytes)> + Send>>;

/// The stream's last [`REPLAY`] and then what comes, in order and without a gap or a repeat
/// across reconnects (an ordered consumer, which resumes after the last sequence it
/// delivered), and `true`; where that cannot be (the stream not reachable now, or an account
/// that may only subscribe), a plain subscription to what is published from now, and `false`.
async fn feed(client: &async_nats::Client, cfg: &BusConfig) -> Result<(Feed, bool), String> {
    use async_nats::jetstream::consumer::{DeliverPolicy, pull::OrderedConfig};
    let subjects = format!("{}.>", crate::bus::message::ROOT);
    let js = async_nats::jetstream::new(client.clone());
    let ordered = async {
        let stream = js.get_stream(&cfg.stream).await.ok()?;
        let consumer = stream
            .create_consumer(OrderedConfig {
                filter_subject: subjects.clone(),
                deliver_policy: DeliverPolicy::ByStartTime {
                    start_time: time::OffsetDateTime::now_utc() - REPLAY,
                },
                ..Default::default()
            })
            .await
            .ok()?;
        consumer.messages().await.ok()
    };
    if let Ok(Some(messages)) = tokio::time::timeout(Duration::from_secs(5), ordered).await {
        let feed = messages.filter_map(|m| {
            std::future::ready(m.ok().map(|m| (m.message.subject, m.message.payload)))
        });
        return Ok((Box::pin(feed), true));
    }
    let sub = client
        .subscribe(subjects)
        .await
        .map_err(|e| e.to_string())?;
    Ok((Box::pin(sub.map(|m| (m.subject, m.payload))), false))
}

pub async fn follow(
    url: BusUrl,
    cfg: BusConfig,
    symbols: Vec<Symbol>,
    data: mpsc::Sender<DataEvent>,
    mut stop: watch::Receiver<bool>,
) {
    let client = match crate::bus::connect(&url, &cfg, "cryptoviz dashboard").await {
        Ok(c) => c,
        Err(e) => {
            send(&data, log(tracing::Level::ERROR, format!("bus {url}: {e}"))).await;
            send(&data, DataEvent::Bus(false)).await;
            return;
        }
    };
    let mut sub = match feed(&client, &cfg).await {
        Ok((feed, replaying)) => {
            if !replaying {
                let msg = format!(
                    "bus {url}: no replay (the stream is not reachable, or this user may not read it through a consumer): updates from now on"
                );
                send(&data, log(tracing::Level::INFO, msg)).await;
            }
            feed
        }
        Err(e) => {
            send(&data, log(tracing::Level::ERROR, format!("bus {url}: {e}"))).await;
            send(&data, DataEvent::Bus(false)).await;
            return;
        }
    };
    let watched: HashSet<Symbol> = symbols.into_iter().collect();
    let mut trades = Vec::new();
    let mut candles = Vec::new();
    let mut derivs = crate::ingest::derivs::DerivChanges::default();
    let mut rejected = 0u64;
    let mut said_rejected = 0u64;
    let mut last_said = tokio::time::Instant::now();
    let mut up: Option<bool> = None;
    let mut tick = tokio::time::interval(BATCH_EVERY);
    loop {
        let flush = tokio::select! {
            m = sub.next() => {
                let Some((subject, payload)) = m else { return };
                match inbound::parse(subject.as_str(), &payload, now_ms()) {
                    Ok(Inbound::Trade(t)) if watched.contains(&t.symbol) => trades.push(t),
                    Ok(Inbound::Candle(k, c)) if watched.contains(&k.symbol) => {
                        candles.push((k, c))
                    }
                    // Each carries the perp's whole state, as the collector holds it.
                    Ok(Inbound::Deriv(u)) if watched.contains(&u.symbol) => {
                        derivs.states.push(DerivState { last: u })
                    }
                    Ok(Inbound::Liquidation(l)) if watched.contains(&l.symbol) => {
                        derivs.liquidations.push(l)
                    }
                    Ok(_) | Err(Rejected::Other) => {}
                    Err(why) => {
                        rejected += 1;
                        tracing::debug!(?why, "bus message refused");
                    }
                }
                trades.len() + candles.len() + derivs.states.len() + derivs.liquidations.len()
                    >= BATCH_MAX
            }
            _ = tick.tick() => true,
            _ = stop.changed() => return,
        };
        if !flush {
            continue;
        }
        let connected = client.connection_state() == State::Connected;
        if up != Some(connected) {
            up = Some(connected);
            let msg = if connected {
                format!("bus {url}: live updates over the bus")
            } else {
                format!("bus {url}: unreachable; following the store alone")
            };
            send(&data, log(tracing::Level::INFO, msg)).await;
            send(&data, DataEvent::Bus(connected)).await;
        }
        if !candles.is_empty() {
            // A collector publishing is a collector writing: the age the dashboard shows.
            send(&data, DataEvent::CollectorWrite(Some(now_ms()))).await;
            send(&data, DataEvent::Candles(std::mem::take(&mut candles))).await;
        }
        if !trades.is_empty() {
            send(&data, DataEvent::Trades(std::mem::take(&mut trades))).await;
        }
        if derivs != Default::default() {
            send(&data, DataEvent::Derivs(std::mem::take(&mut derivs))).await;
        }
        if rejected > said_rejected && last_said.elapsed() >= SAY_REJECTED_EVERY {
            let msg = format!(
                "bus: {} message(s) ignored (malformed, foreign or implausible)",
                rejected - said_rejected
            );
            send(&data, log(tracing::Level::WARN, msg)).await;
            said_rejected = rejected;
            last_said = tokio::time::Instant::now();
        }
    }
}
