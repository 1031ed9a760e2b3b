//! The collector's side of the bus: one more subscriber of the runtime's events. Each
//! accepted trade, changed candle and firing becomes a message; they go out while the server
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

use super::message::{self, Message, ROOT};
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
pub async fn run(
    url: BusUrl,
    cfg: BusConfig,
    mut events: broadcast::Receiver<Event>,
    ingest: tokio::sync::watch::Receiver<crate::ingest::IngestSnapshot>,
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
            _ = tick.tick() => false,
        };
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
        if up && health_at.elapsed() >= HEALTH_EVERY {
            health_at = Instant::now();
            seq += 1;
            let snapshot = ingest.borrow().clone();
            out.push(
                message::health(
                    &name,
                    &snapshot,
                    stats.published.load(Ordering::Relaxed),
                    stats.dropped.load(Ordering::Relaxed),
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

/// The stream keeping `cryptoviz.>` for `max_age_secs`, created if absent.
async fn ensure_stream(client: &async_nats::Client, cfg: &BusConfig) -> Result<(), String> {
    let js = async_nats::jetstream::new(client.clone());
    let config = async_nats::jetstream::stream::Config {
        name: cfg.stream.clone(),
        subjects: vec![format!("{ROOT}.>")],
        max_age: Duration::from_secs(cfg.max_age_secs),
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    };
    match tokio::time::timeout(Duration::from_secs(5), js.get_or_create_stream(config)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => {
            tracing::warn!("bus stream {}: {e}", cfg.stream);
            Err(e.to_string())
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
        Event::Market(IngestEvent::Candles(candles)) => {
            for (key, c) in candles {
                emit(message::candle(*key, c, next()));
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
