//! A dashboard attached to collectors that publish on the bus: trades (the tape), candles,
//! perps' derivatives and liquidations come over it as they happen, and the book of the
//! market on screen while the dashboard asks the collectors for it, beside the store's follow (history, news, firings, health,
//! and the candles again should the bus be away). Messages are checked as venue frames are
//! ([`crate::bus::inbound`]); those refused are counted and said in the activity log, never
//! shown.

use std::collections::HashSet;
use std::time::Duration;

use async_nats::connection::State;
use tokio::sync::{mpsc, watch};

use super::{log, send};
use crate::app::event::DataEvent;
use crate::bus::follow::Reader;
use crate::bus::inbound::{self, Inbound, Rejected};
use crate::bus::message;
use crate::config::{BusConfig, BusUrl};
use crate::domain::{Book, DerivState, Symbol, now_ms};

/// Updates are handed to the App this soon after the first of them came, in one event per
/// kind: a trade is on the tape within this of the collector publishing it.
const BATCH_WITHIN: Duration = Duration::from_millis(10);
/// How often the connection's state is looked at while nothing comes.
const STATE_EVERY: Duration = Duration::from_millis(250);
/// A batch goes out at this size even before its time: memory stays bounded in a flood.
const BATCH_MAX: usize = 5_000;
/// Refused messages are said at most this often.
const SAY_REJECTED_EVERY: Duration = Duration::from_secs(10);

/// What the App asks of the collectors, sent on by the request server.
pub(super) struct Asking {
    /// The market on screen: its book is asked for.
    pub shown: watch::Sender<Option<Symbol>>,
    /// Markets to ask the collectors to collect.
    pub collect: mpsc::UnboundedSender<Symbol>,
}

/// The bus follow's ends of [`Asking`].
pub(super) struct Asked {
    shown: watch::Receiver<Option<Symbol>>,
    collect: mpsc::UnboundedReceiver<Symbol>,
}

impl Asking {
    pub(super) fn channel() -> (Asking, Asked) {
        let (shown, shown_rx) = watch::channel(None);
        let (collect, collect_rx) = mpsc::unbounded_channel();
        (
            Asking { shown, collect },
            Asked {
                shown: shown_rx,
                collect: collect_rx,
            },
        )
    }
}

/// Asks for `market`'s book (refused for an account that may only subscribe: the book then
/// waits).
async fn ask_book(client: &async_nats::Client, market: Option<Symbol>) {
    if let Some(m) = market.filter(|m| m.venue() != crate::domain::Venue::Composite) {
        let ask = crate::bus::books::ask(m);
        let _ = client.publish(message::ASK_BOOK, ask.into()).await;
    }
}

/// How long the collectors have to answer an ask for a market.
const COLLECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Asks the collectors to collect `market`; the App is told the first to answer, or why none
/// did (a market on a venue no collector streams gets no answer).
async fn ask_market(client: async_nats::Client, market: Symbol, data: mpsc::Sender<DataEvent>) {
    use async_nats::RequestErrorKind;
    #[derive(serde::Deserialize)]
    struct Answer {
        collector: String,
        status: String,
    }
    let asked = tokio::time::timeout(
        COLLECT_TIMEOUT,
        client.request(message::ASK_MARKET, crate::bus::books::ask(market).into()),
    )
    .await;
    let venue = market.venue();
    let by = match asked {
        Ok(Ok(reply)) => match serde_json::from_slice::<Answer>(&reply.payload) {
            Ok(a) if matches!(a.status.as_str(), "added" | "already") => Ok(a.collector),
            Ok(a) if a.status == "full" => Err(format!(
                "the collector takes no more markets this run ({} added)",
                crate::runtime::MAX_ADDED
            )),
            _ => Err("a collector gave an answer that is not one".to_string()),
        },
        Ok(Err(e)) if e.kind() == RequestErrorKind::NoResponders => {
            Err("no collector on the bus hears asks".into())
        }
        Ok(Err(e)) if e.kind() != RequestErrorKind::TimedOut => Err(e.kind().to_string()),
        _ => Err(format!("no collector on the bus streams {venue}")),
    };
    if let Err(why) = &by {
        tracing::warn!(%market, "not added: {why}");
    }
    let ev = DataEvent::Collected { market, by };
    send(&data, ev).await;
}

pub async fn follow(
    url: BusUrl,
    cfg: BusConfig,
    symbols: Vec<Symbol>,
    asked: Asked,
    data: mpsc::Sender<DataEvent>,
    mut stop: watch::Receiver<bool>,
) {
    let Asked {
        mut shown,
        collect: mut to_collect,
    } = asked;
    let client = match crate::bus::connect(&url, &cfg, "cryptoviz dashboard").await {
        Ok(c) => c,
        Err(e) => {
            send(&data, log(tracing::Level::ERROR, format!("bus {url}: {e}"))).await;
            send(&data, DataEvent::Bus(false)).await;
            return;
        }
    };
    let mut sub = match Reader::open(&client, &cfg).await {
        Ok(reader) => {
            if !reader.replaying {
                let msg = format!(
                    "bus {url}: no replay (the stream is not reachable, or this user may not read it through a consumer): updates from now on"
                );
                send(&data, log(tracing::Level::INFO, msg)).await;
            }
            reader
        }
        Err(e) => {
            send(&data, log(tracing::Level::ERROR, format!("bus {url}: {e}"))).await;
            send(&data, DataEvent::Bus(false)).await;
            return;
        }
    };
    let mut watched: HashSet<Symbol> = symbols.into_iter().collect();
    let mut ask_every = tokio::time::interval(Duration::from_millis(message::ASK_EVERY_MS));
    // Only the newest book of each market matters.
    let mut books: std::collections::HashMap<Symbol, Book> = Default::default();
    let mut trades = Vec::new();
    let mut candles = Vec::new();
    let mut derivs = crate::ingest::derivs::DerivChanges::default();
    let mut rejected = 0u64;
    let mut said_rejected = 0u64;
    let mut last_said = tokio::time::Instant::now();
    let mut up: Option<bool> = None;
    let mut tick = tokio::time::interval(STATE_EVERY);
    // When what waits is handed on: set by the first update after a hand-over.
    let mut due: Option<tokio::time::Instant> = None;
    loop {
        let flush = tokio::select! {
            m = sub.next() => {
                due.get_or_insert_with(|| tokio::time::Instant::now() + BATCH_WITHIN);
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
                    Ok(Inbound::Book(b)) if watched.contains(&b.symbol) => {
                        books.insert(b.symbol, b);
                    }
                    // One every few seconds per collector: passed on as it comes (the App
                    // reloads history a collector says it repaired).
                    Ok(Inbound::Health(h)) => send(&data, DataEvent::CollectorHealth(h)).await,
                    Ok(_) | Err(Rejected::Other) => {}
                    Err(why) => {
                        rejected += 1;
                        tracing::debug!(?why, "bus message refused");
                    }
                }
                trades.len() + candles.len() + derivs.states.len() + derivs.liquidations.len()
                    >= BATCH_MAX
            }
            _ = tokio::time::sleep_until(due.unwrap_or_else(tokio::time::Instant::now)), if due.is_some() => true,
            _ = tick.tick() => true,
            // The book of the market on screen, asked for again before the collectors' lease
            // on the ask runs out; a market shown is followed (one just collected, too).
            _ = ask_every.tick() => {
                let market = *shown.borrow();
                ask_book(&client, market).await;
                false
            }
            r = shown.changed(), if shown.has_changed().is_ok() => {
                if r.is_ok() {
                    let market = *shown.borrow_and_update();
                    watched.extend(market);
                    ask_book(&client, market).await;
                }
                false
            }
            Some(market) = to_collect.recv() => {
                tokio::spawn(ask_market(client.clone(), market, data.clone()));
                false
            }
            _ = stop.changed() => return,
        };
        if !flush {
            continue;
        }
        due = None;
        let connected = client.connection_state() == State::Connected;
        if up != Some(connected) {
            // Back after a loss: the server may have forgotten the consumer; read on from
            // what was delivered.
            if connected && up == Some(false) && sub.reopen().await.is_err() {
                tracing::warn!("bus: the stream could not be read again after a reconnect");
            }
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
        for (_, b) in books.drain() {
            send(&data, DataEvent::Book(b)).await;
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
