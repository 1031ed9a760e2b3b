//! The collector's side of the bus: one more subscriber of the runtime's events. Each
//! accepted trade, changed candle (an open one at most once a second, [`super::gate`]) and
//! firing becomes a message; they go out while the server
//! is reachable and wait (bounded, the oldest dropped and counted) while it is not. The store
//! stays the record: nothing here can hold up or fail ingestion.
//!
//! Messages sent just before a connection drops may never reach the stream, so the last
//! [`RESEND_MS`] of them are sent again on every reconnect; JetStream's de-duplication
//! (`Nats-Msg-Id`, within its two-minute window) keeps each once.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_nats::connection::State;
use async_nats::header::{HeaderMap, NATS_MESSAGE_ID};
use tokio::sync::broadcast;

use super::message::{self, Message};
use crate::config::{BusConfig, BusUrl};
use crate::ingest::IngestEvent;
use crate::runtime::Event;

/// Messages kept while the server is away; beyond this the oldest go (the store has them).
const MAX_WAITING: usize = 200_000;
/// What is sent again after a reconnect.
const RESEND_MS: u64 = 10_000;
/// How long a server may be unreachable before the collector says so.
const GRACE: Duration = Duration::from_secs(3);
/// How often the collector's health goes on the bus (while it is reachable).
const HEALTH_EVERY: Duration = Duration::from_secs(5);
/// JetStream keeps one of each `Nats-Msg-Id` seen within this.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// The bus's figures, for `/metrics` and the health panel.
#[derive(Debug, Default)]
pub struct BusStats {
    pub connected: AtomicBool,
    pub published: AtomicU64,
    /// Dropped while the server was away too long, or missed by falling behind the runtime.
    pub dropped: AtomicU64,
}

/// Connects (in the background: a server down at start is waited for) and publishes the
/// runtime's events until they end. `say` is told, once per outage, that the bus is
/// unreachable and, when it is back, that publishing resumed; it never sees a credential.
/// Dashboards' asks are heard here: for books (handed to the runtime, which then follows
/// them; the books that come are published while asked) and for markets (the runtime takes a
/// market on a venue it streams, and the ask is answered; one it does not own is left to
/// another collector).
pub async fn run(
    url: BusUrl,
    cfg: BusConfig,
    mut events: broadcast::Receiver<Event>,
    ingest: tokio::sync::watch::Receiver<crate::ingest::IngestSnapshot>,
    asks: crate::runtime::Asks,
    stats: Arc<BusStats>,
    say: impl Fn(String) + Send + 'static,
) {
    let name = message::collector_name();
    let mut health_at = Instant::now();
    let client = match super::connect(&url, &cfg, "cryptoviz collector").await {
        Ok(c) => c,
        Err(e) => {
            say(format!(
                "bus {url}: cannot start ({e}); collecting without it"
            ));
            return;
        }
    };
    let mut out = Outbox::default();
    // The subscription outlives reconnects (the client renews it); a refusal (an account
    // that may not hear asks) only means none is served.
    let mut heard = match client.subscribe(format!("{}.>", message::ASK)).await {
        Ok(sub) => Some(sub),
        Err(e) => {
            tracing::warn!("bus: asks not heard: {e}");
            None
        }
    };
    let mut served = super::books::Served::default();
    let (mut repaired, mut health_due) = (0u64, false);
    let mut gate = super::gate::CandleGate::default();
    let mut seq = 0u64;
    let mut stream_ready = false;
    let mut stream_tried: Option<Instant> = None;
    let mut up = false;
    let mut down_since = Some(Instant::now());
    let mut said_down = false;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let ended = tokio::select! {
            ev = events.recv() => match ev {
                Ok(Event::Market(IngestEvent::Book(b))) => {
                    served.offer(&b);
                    false
                }
                Ok(Event::Market(IngestEvent::Candles(candles))) => {
                    let now = Instant::now();
                    for (key, c) in &candles {
                        if let Some(c) = gate.offer(*key, c, now) {
                            seq += 1;
                            out.push(message::candle(*key, &c, seq), &stats);
                        }
                    }
                    false
                }
                // Repaired history is said at once (in the health), so dashboards reload it.
                Ok(Event::Repair(r)) => {
                    if r.candles_written > repaired {
                        repaired = r.candles_written;
                        health_due = true;
                    }
                    false
                }
                Ok(ev) => {
                    messages(&ev, &mut seq, |m| out.push(m, &stats));
                    false
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    stats.dropped.fetch_add(n, Ordering::Relaxed);
                    tracing::warn!(missed = n, "bus publisher fell behind the runtime");
                    false
                }
                Err(broadcast::error::RecvError::Closed) => true,
            },
            Some(ask) = next_ask(&mut heard) => {
                let market = super::books::read_ask(&ask.payload);
                match (ask.subject.as_str(), market) {
                    (message::ASK_BOOK, Some(m)) if served.ask(m, Instant::now()) => {
                        asks.books.set(served.asked());
                    }
                    (message::ASK_MARKET, Some(m)) => {
                        answer_market(&client, &name, m, asks.markets.ask(m), ask.reply).await;
                    }
                    _ => {}
                }
                false
            }
            _ = tick.tick() => false,
        };
        if served.expire(Instant::now()) {
            asks.books.set(served.asked());
        }
        // Open candles held back, when their turn comes; all of them at the end.
        let held = if ended {
            gate.drain()
        } else {
            gate.due(Instant::now())
        };
        for (key, c) in held {
            seq += 1;
            out.push(message::candle(key, &c, seq), &stats);
        }
        let connected = client.connection_state() == State::Connected;
        stats.connected.store(connected, Ordering::Relaxed);
        // A stream that cannot be made (no permission, a clash) is tried again every few
        // seconds, not on every event.
        if connected && !stream_ready && stream_tried.is_none_or(|t| t.elapsed() >= GRACE) {
            stream_tried = Some(Instant::now());
            stream_ready = ensure_stream(&client, &cfg).await.is_ok();
        }
        match (connected && stream_ready, up) {
            (true, false) => {
                up = true;
                down_since = None;
                if said_down {
                    say(format!(
                        "bus {url}: reachable again; publishing resumed ({} dropped meanwhile)",
                        stats.dropped.load(Ordering::Relaxed)
                    ));
                    said_down = false;
                }
                out.resend_recent();
            }
            (false, true) => {
                up = false;
                stream_ready = false;
                down_since = Some(Instant::now());
            }
            _ => {}
        }
        if up && (health_due || health_at.elapsed() >= HEALTH_EVERY) {
            health_at = Instant::now();
            health_due = false;
            seq += 1;
            let snapshot = ingest.borrow().clone();
            out.push(
                message::health(
                    &name,
                    &snapshot,
                    message::Counts {
                        published: stats.published.load(Ordering::Relaxed),
                        dropped: stats.dropped.load(Ordering::Relaxed),
                        repaired,
                    },
                    crate::domain::now_ms(),
                    seq,
                ),
                &stats,
            );
        }
        if !up && !said_down && down_since.is_some_and(|t| t.elapsed() >= GRACE) {
            say(format!(
                "bus {url}: unreachable; collecting and storing go on, publishing resumes when it is back"
            ));
            said_down = true;
        }
        if up {
            out.send(&client, &stats).await;
        }
        // A book is news only now: sent while the server is there, never queued.
        for b in served.due(Instant::now()) {
            if up {
                seq += 1;
                let m = message::book(&b, seq);
                if client.publish(m.subject, m.payload).await.is_ok() {
                    stats.published.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        if ended {
            break;
        }
    }
    // The last flush's events: out before the process ends, if the server is there.
    if up {
        out.send(&client, &stats).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), client.flush()).await;
    }
}

/// Answers an ask for a market this collector took or collects already; one it does not
/// own gets no answer here (another collector may own it; the asker times out on none).
async fn answer_market(
    client: &async_nats::Client,
    collector: &str,
    market: crate::domain::Symbol,
    answer: crate::runtime::Answer,
    reply: Option<async_nats::Subject>,
) {
    if answer == crate::runtime::Answer::NotOwned {
        return;
    }
    if answer == crate::runtime::Answer::Added {
        tracing::info!(%market, "market added over the bus");
    }
    let Some(reply) = reply else { return };
    let body = serde_json::json!({
        "collector": collector,
        "market": market.to_string(),
        "status": answer.as_str(),
    });
    let _ = client.publish(reply, body.to_string().into()).await;
}

/// The next ask, if asks are heard.
async fn next_ask(asks: &mut Option<async_nats::Subscriber>) -> Option<async_nats::Message> {
    use futures_util::StreamExt;
    match asks {
        Some(sub) => sub.next().await,
        None => std::future::pending().await,
    }
}

/// The stream keeping what [`message::stream_subjects`] names for `max_age_secs`: created if
/// absent, its subjects brought up to date if it was made for others (an earlier version kept
/// `cryptoviz.>`, books and asks included).
async fn ensure_stream(client: &async_nats::Client, cfg: &BusConfig) -> Result<(), String> {
    let js = async_nats::jetstream::new(client.clone());
    let config = async_nats::jetstream::stream::Config {
        name: cfg.stream.clone(),
        subjects: message::stream_subjects(),
        max_age: Duration::from_secs(cfg.max_age_secs),
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    };
    let made = async {
        let mut stream = js
            .get_or_create_stream(config.clone())
            .await
            .map_err(|e| e.to_string())?;
        let info = stream.info().await.map_err(|e| e.to_string())?;
        if info.config.subjects != config.subjects {
            let mut updated = info.config.clone();
            updated.subjects = config.subjects;
            js.update_stream(updated).await.map_err(|e| e.to_string())?;
        }
        Ok::<_, String>(())
    };
    match tokio::time::timeout(Duration::from_secs(5), made).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            tracing::warn!("bus stream {}: {e}", cfg.stream);
            Err(e)
        }
        Err(_) => Err("timed out".into()),
    }
}

/// The messages an event makes.
fn messages(ev: &Event, seq: &mut u64, mut emit: impl FnMut(Message)) {
    let mut next = || {
        *seq += 1;
        *seq
    };
    match ev {
        Event::Market(IngestEvent::Trades(trades)) => {
            for t in trades {
                emit(message::trade(t, next()));
            }
        }
        Event::Market(IngestEvent::Derivs(changes)) => {
            for s in &changes.states {
                emit(message::deriv(&s.last, next()));
            }
            for l in &changes.liquidations {
                emit(message::liquidation(l, next()));
            }
        }
        Event::Fired(f) => emit(message::firing(f, next())),
        _ => {}
    }
}

/// What waits to be sent, and what was sent lately (to send again after a reconnect).
#[derive(Default)]
pub(crate) struct Outbox {
    waiting: VecDeque<Message>,
    /// (when sent, the message), oldest first, at most [`RESEND_MS`] back.
    recent: VecDeque<(Instant, Message)>,
}

impl Outbox {
    pub(crate) fn push(&mut self, m: Message, stats: &BusStats) {
        if self.waiting.len() == MAX_WAITING {
            self.waiting.pop_front();
            stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
        self.waiting.push_back(m);
    }

    /// Puts the lately sent messages back in front of what waits.
    fn resend_recent(&mut self) {
        for (_, m) in self.recent.drain(..).rev() {
            self.waiting.push_front(m);
        }
    }

    /// Publishes what waits, keeping each for [`RESEND_MS`]; stops (keeping the rest) if the
    /// client is closing.
    pub(crate) async fn send(&mut self, client: &async_nats::Client, stats: &BusStats) {
        let now = Instant::now();
        while let Some((at, _)) = self.recent.front() {
            if now.duration_since(*at) <= Duration::from_millis(RESEND_MS) {
                break;
            }
            self.recent.pop_front();
        }
        while let Some(m) = self.waiting.pop_front() {
            let mut headers = HeaderMap::new();
            headers.insert(NATS_MESSAGE_ID, m.id.as_str());
            // The payload is shared with the copy kept for a resend, not copied.
            let sent = client
                .publish_with_headers(m.subject.clone(), headers, m.payload.clone())
                .await;
            if sent.is_err() {
                // The client is closing: keep it for the next connection.
                self.waiting.push_front(m);
                return;
            }
            stats.published.fetch_add(1, Ordering::Relaxed);
            self.recent.push_back((now, m));
        }
    }
}
