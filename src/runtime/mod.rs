//! One runtime for every producer. The market pipeline (one stream per venue, or the demo
//! market, into ingestion with the alert engine), the gap repair, the news poller, tiering
//! and alert delivery are started here from the config, each as a task of the same shape
//! (it runs until the shared stop signal, then finishes within the stop deadline), and their
//! events are published on one broadcast. `collect` and the dashboard subscribe and only
//! present; so do the metrics (through `collect`) and attached viewers (through the store).
//!
//! Ordering that matters stays inside: alert decisions are recorded (exactly once, before any
//! delivery) by the task that reads ingestion's events, in order, before the events are
//! published; repair triggers are derived there too.

mod books;
pub(crate) mod instruments;
mod markets;

pub use books::BookAsks;
pub use markets::{Answer, MAX_ADDED, MarketAsks};

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use crate::alerts::Firing;
use crate::alerts::deliver::{AlertStats, Recorder, deliver};
use crate::config::Config;
use crate::domain::now_ms;
use crate::history::KlinesClients;
use crate::history::klines::VenueNoticeSink;
use crate::history::repair::{RepairStatus, RepairTrigger, Repairer};
use crate::ingest::{IngestEvent, IngestSnapshot};
use crate::news::enrich::Scoring;
use crate::news::poller::{Enricher, NewsEvent, Poller};
use crate::pipeline::{Pipeline, Streams};
use crate::source::{MarketEvent, RuleChange};
use crate::store::{Store, StoreError};

/// Everything the producers report, to every subscriber.
#[derive(Clone, Debug)]
pub enum Event {
    /// Ingestion's events (candles, stream states, gaps, malformed frames); alert decisions
    /// are recorded before this is published and are not repeated here.
    Market(IngestEvent),
    /// Stored news items and per-feed poll reports.
    News(NewsEvent),
    /// The gap repair's status, on every change.
    Repair(RepairStatus),
    /// A recorded firing owed to the bell: ring it, say it.
    Fired(Firing),
    /// The markets the venues list, after a venue's list was fetched anew (sorted).
    Instruments(Vec<crate::domain::Listing>),
    /// Something a person should read (what retention deleted, a producer that could not
    /// start).
    Notice(tracing::Level, String),
}

/// What a running collector may be asked for (over the bus): books to follow, markets to
/// collect.
#[derive(Clone)]
pub struct Asks {
    pub books: BookAsks,
    pub markets: MarketAsks,
}

/// How to start.
#[derive(Clone, Default)]
pub struct Options {
    /// The simulated market and bundled news instead of venues and feeds; no gap repair.
    pub demo: bool,
    /// A dashboard watches: follow the venues' books and report the latest trades (live
    /// only, nothing of it stored).
    pub live_view: bool,
    /// Every accepted trade is published as [`IngestEvent::Trades`] (a bus publishes them).
    pub every_trade: bool,
    /// Told every notice of the venues' REST clients (rate limits, bans, breakers).
    pub klines_notice: Option<VenueNoticeSink>,
}

/// Events a subscriber may fall behind by before it is told it lagged.
const EVENTS: usize = 4096;
/// How long the pipeline may take to flush after the stop.
const FLUSH_LIMIT: Duration = Duration::from_secs(10);

pub struct Runtime {
    events: broadcast::Sender<Event>,
    stop: watch::Sender<bool>,
    refresh: watch::Sender<u64>,
    /// Rule changes and news for the alert engine inside ingestion.
    inputs: mpsc::Sender<MarketEvent>,
    recorder: Recorder,
    /// Each streamed venue's counters.
    pub streams: Streams,
    /// The counters of books-only connections (see [`crate::pipeline::Pipeline`]).
    pub book_streams: Streams,
    pub ingest: watch::Receiver<IngestSnapshot>,
    /// The venues' REST clients (none in demo mode).
    pub klines: Option<KlinesClients>,
    pub repair: Option<watch::Receiver<RepairStatus>>,
    pub alerts: Arc<AlertStats>,
    /// What a collector may be asked for over the bus.
    pub asks: Asks,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
    /// Ingestion and the task that reads its events: joined last, after everything flushed.
    market: JoinHandle<Result<(), StoreError>>,
}

impl Runtime {
    /// Starts every producer the config asks for. Only a store failure while ingestion builds
    /// its state stops the start; a producer that cannot start (a bad REST setup) is a notice.
    pub async fn start(
        config: &Config,
        store: Store,
        opts: Options,
    ) -> Result<Runtime, StoreError> {
        let (events, _) = broadcast::channel(EVENTS);
        let (stop, stop_rx) = watch::channel(false);
        let (refresh, refresh_rx) = watch::channel(0u64);
        let mut tasks = Vec::new();
        let mut notices = Vec::new();

        let pipeline = Pipeline::start(
            config,
            store.clone(),
            opts.demo,
            (opts.live_view, opts.every_trade),
            stop_rx.clone(),
        )
        .await?;
        let (streams, book_streams, ingest, inputs) = (
            pipeline.streams.clone(),
            pipeline.book_streams.clone(),
            pipeline.ingest.clone(),
            pipeline.inputs.clone(),
        );

        // Gap repair: at start-up, after reconnects, for missed trades, on refresh.
        let (mut klines, mut repair, mut repair_tx) = (None, None, None);
        if !opts.demo {
            match KlinesClients::from_config(config, opts.klines_notice.clone()) {
                Ok(clients) => {
                    klines = Some(clients.clone());
                    // The dashboard's search: every market of the venues in use.
                    if opts.live_view {
                        tasks.push((
                            "market lists",
                            tokio::spawn(instruments::refresh(
                                clients.clone(),
                                store.clone(),
                                events.clone(),
                                stop_rx.clone(),
                            )),
                        ));
                    }
                    let repairer = Repairer::with_clients(config, store.clone(), clients);
                    let (tx, rx) = mpsc::channel(256);
                    let (status_tx, status_rx) = watch::channel(RepairStatus::default());
                    let _ = tx.send(RepairTrigger::Startup).await;
                    tasks.push((
                        "repair",
                        tokio::spawn(repairer.run(rx, stop_rx.clone(), status_tx)),
                    ));
                    tasks.push((
                        "repair status",
                        tokio::spawn(publish_repair(
                            status_rx.clone(),
                            tx.clone(),
                            refresh_rx.clone(),
                            events.clone(),
                        )),
                    ));
                    repair = Some(status_rx);
                    repair_tx = Some(tx);
                }
                Err(e) => notices.push(format!("gap repair unavailable: {e}")),
            }
        }

        // Alerts: recorded by the market task below, delivered apart.
        let alerts = Arc::new(AlertStats::default());
        let rules = crate::alerts::deliver::rules(&config.alert_setup().rules, &store).await?;
        let recorder = Recorder::new(&rules, store.clone(), alerts.clone());
        let (bell_tx, mut bell_rx) = mpsc::channel::<Firing>(64);
        tasks.push((
            "alert delivery",
            tokio::spawn(deliver(
                config.notify.clone(),
                (config.net.backoff.clone(), config.net.breaker.clone()),
                store.clone(),
                recorder.wake(),
                Some(bell_tx),
                alerts.clone(),
                stop_rx.clone(),
            )),
        ));
        let bells = events.clone();
        tasks.push((
            "bell",
            tokio::spawn(async move {
                while let Some(f) = bell_rx.recv().await {
                    let _ = bells.send(Event::Fired(f));
                }
            }),
        ));

        // News, scored once and fed to the alert engine as well as to subscribers.
        tasks.push((
            "news",
            tokio::spawn(run_news(
                config.clone(),
                store.clone(),
                opts.demo.then(|| pipeline.demo_prices.clone()),
                events.clone(),
                inputs.clone(),
                stop_rx.clone(),
                refresh_rx.clone(),
            )),
        ));

        // A live collector follows books only while asked (the demo market makes them all),
        // and takes markets asked for on the venues it streams.
        let (books, asked) = BookAsks::new();
        let (markets, asked_markets) = MarketAsks::new(config);
        if !opts.demo && !opts.live_view {
            tasks.push((
                "asked markets",
                tokio::spawn(markets::run(
                    config.clone(),
                    store.clone(),
                    inputs.clone(),
                    repair_tx.clone(),
                    asked_markets,
                    stop_rx.clone(),
                )),
            ));
            tasks.push((
                "asked books",
                tokio::spawn(books::run(
                    config.clone(),
                    inputs.clone(),
                    asked,
                    stop_rx.clone(),
                )),
            ));
        }

        let retention = events.clone();
        tasks.push((
            "tiering",
            tokio::spawn(crate::store::run_tiering(
                store.clone(),
                config.storage.clone(),
                stop_rx.clone(),
                move |message| {
                    let _ = retention.send(Event::Notice(tracing::Level::WARN, message));
                },
            )),
        ));

        let market = tokio::spawn(run_market(
            pipeline,
            recorder.clone(),
            repair_tx,
            events.clone(),
            stop_rx,
        ));
        let rt = Runtime {
            events,
            stop,
            refresh,
            inputs,
            recorder,
            streams,
            book_streams,
            ingest,
            klines,
            repair,
            alerts,
            asks: Asks { books, markets },
            tasks,
            market,
        };
        for n in notices {
            let _ = rt.events.send(Event::Notice(tracing::Level::ERROR, n));
        }
        Ok(rt)
    }

    /// Every event from now on. A subscriber that falls more than [`EVENTS`] behind gets
    /// `Lagged` and should reload what it shows from the store.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Poll news and repair gaps now rather than at the next cycle.
    pub fn refresh(&self) {
        self.refresh.send_modify(|n| *n += 1);
    }

    /// A rule made, changed or deleted while running: the engine takes it, and its firings
    /// go to its channels.
    pub async fn change_rule(&self, change: RuleChange) {
        if let RuleChange::Add(rule) = &change {
            self.recorder.set_channels(&rule.name, rule.notify.clone());
        }
        let _ = self.inputs.send(MarketEvent::Rule(change)).await;
    }

    /// Stops every producer: sources stop taking work, ingestion folds in what arrived and
    /// flushes every candle (the last alert decisions are still recorded), each task gets
    /// `limit` to finish.
    pub async fn stop(self, limit: Duration) -> Result<(), StoreError> {
        let _ = self.stop.send(true);
        let result = match tokio::time::timeout(limit * 2, self.market).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "market task failed");
                Ok(())
            }
            Err(_) => {
                tracing::error!("market task did not finish in time");
                Ok(())
            }
        };
        for (name, task) in self.tasks {
            if tokio::time::timeout(limit, task).await.is_err() {
                tracing::warn!(task = name, "did not stop in time");
            }
        }
        result
    }
}

/// Reads ingestion's events in order: records alert decisions, turns stream losses and id
/// gaps into repair triggers, publishes the rest. After stop it keeps reading until
/// ingestion has flushed, then joins the pipeline.
async fn run_market(
    mut pipeline: Pipeline,
    recorder: Recorder,
    repair: Option<mpsc::Sender<RepairTrigger>>,
    events: broadcast::Sender<Event>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), StoreError> {
    let mut lost = std::collections::BTreeSet::new();
    let mut stopping = false;
    loop {
        let ev = tokio::select! {
            ev = pipeline.events.recv() => ev,
            _ = stop.changed(), if !stopping => {
                stopping = true;
                continue;
            }
        };
        let Some(ev) = ev else { break };
        if let IngestEvent::Alerts(decisions) = ev {
            if let Err(e) = recorder.record(decisions).await {
                tracing::error!(error = %e, "alert decisions not recorded");
                let _ = events.send(Event::Notice(
                    tracing::Level::ERROR,
                    format!("alert not recorded: {e}"),
                ));
            }
            continue;
        }
        if let Some(tx) = &repair {
            for t in RepairTrigger::from_event(&ev, &mut lost) {
                let _ = tx.try_send(t);
            }
        }
        let _ = events.send(Event::Market(ev));
    }
    pipeline.join(FLUSH_LIMIT).await
}

/// Publishes the repair's status on every change, and turns refreshes into repair rounds.
async fn publish_repair(
    mut status: watch::Receiver<RepairStatus>,
    triggers: mpsc::Sender<RepairTrigger>,
    mut refresh: watch::Receiver<u64>,
    events: broadcast::Sender<Event>,
) {
    loop {
        tokio::select! {
            r = status.changed() => {
                if r.is_err() { return }
                let s = status.borrow_and_update().clone();
                let _ = events.send(Event::Repair(s));
            }
            r = refresh.changed() => {
                if r.is_err() { return }
                let _ = triggers.try_send(RepairTrigger::Reconnected);
            }
        }
    }
}

/// The levels the demo's headlines speak of: its first BTC and ETH markets' prices.
fn demo_levels(prices: &[(crate::domain::Symbol, f64)]) -> crate::news::demo::DemoLevels {
    let coin = |c: &str| {
        prices
            .iter()
            .find(|(s, _)| crate::news::coins::base_asset(s.as_str()) == Some(c))
            .map(|(_, p)| *p)
    };
    let default = crate::news::demo::DemoLevels::default();
    crate::news::demo::DemoLevels {
        btc: coin("BTC").unwrap_or(default.btc),
        eth: coin("ETH").unwrap_or(default.eth),
    }
}

/// The feed poller (polled again on refresh), or in demo mode the bundled items, stored once,
/// speaking of the simulated market's prices (`demo` gives them once its history is built).
async fn run_news(
    config: Config,
    store: Store,
    demo: Option<watch::Receiver<Vec<(crate::domain::Symbol, f64)>>>,
    events: broadcast::Sender<Event>,
    alerts: mpsc::Sender<MarketEvent>,
    stop: watch::Receiver<bool>,
    refresh: watch::Receiver<u64>,
) {
    let enricher: Arc<dyn Enricher> = Arc::new(Scoring::from_config(&config.news));
    if let Some(mut prices) = demo {
        // Headlines wait for the market's prices: a few seconds of history in a release
        // build, much longer in a debug one with a dozen markets.
        let ready = prices.wait_for(|p| !p.is_empty());
        let prices = match tokio::time::timeout(Duration::from_secs(180), ready).await {
            Ok(Ok(p)) => p.clone(),
            _ => Vec::new(),
        };
        let items = crate::news::demo::demo_items(now_ms(), demo_levels(&prices), &*enricher);
        if let Err(e) = store.insert_news(items.clone()).await {
            tracing::warn!(error = %e, "demo news not stored");
        }
        let _ = alerts.send(MarketEvent::News(items.clone())).await;
        let _ = events.send(Event::News(NewsEvent::Items(items)));
        return;
    }
    if config.news.feeds.is_empty() {
        return;
    }
    let poller = match Poller::new(
        &config.news,
        &config.net,
        &config.news.feeds,
        store,
        enricher,
    ) {
        Ok(p) => p,
        Err(e) => {
            let _ = events.send(Event::Notice(
                tracing::Level::ERROR,
                format!("news poller did not start: {e}"),
            ));
            return;
        }
    };
    let (tx, mut rx) = mpsc::channel(64);
    let run = tokio::spawn(poller.run(stop, refresh, tx));
    while let Some(ev) = rx.recv().await {
        if let NewsEvent::Items(items) = &ev {
            let _ = alerts.send(MarketEvent::News(items.clone())).await;
        }
        let _ = events.send(Event::News(ev));
    }
    let _ = run.await;
}
