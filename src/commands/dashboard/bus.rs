//! A dashboard attached to collectors that publish on the bus: trades (the tape), candles,
//! perps' derivatives and liquidations come over it as they happen, beside the store's follow (history, news, firings, health,
//! and the candles again should the bus be away). Messages are checked as venue frames are
//! ([`crate::bus::inbound`]); those refused are counted and said in the activity log, never
//! shown.

use std::collections::HashSet;
use std::time::Duration;

use async_nats::connection::State;
use futures_util::StreamExt;
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
    let mut sub = match client
        .subscribe(format!("{}.>", crate::bus::message::ROOT))
        .await
    {
        Ok(s) => s,
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
                let Some(m) = m else { return };
                match inbound::parse(m.subject.as_str(), &m.payload, now_ms()) {
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
