//! The live data pipeline shared by the dashboard and the collector: the market sources (one
//! stream per configured venue, or the demo market) feeding ingestion, which writes the store
//! and reports [`IngestEvent`]s to whoever runs the pipeline.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::demo::DemoMarket;
use crate::domain::{Millis, Timeframe, Venue, now_ms};
use crate::exchange::{Books, StreamSettings, StreamStats, connector};
use crate::ingest::{Ingest, IngestEvent, IngestSnapshot};
use crate::store::{CandleSource, Store, StoreError};

/// Hours of simulated history the demo market writes before going live, so the chart opens full.
pub const DEMO_HISTORY_HOURS: i64 = 24;
/// The demo market's seed: the same simulated market every run.
pub const DEMO_SEED: u64 = 0x00C0_FFEE;

/// Each streamed venue's live counters.
pub type Streams = Vec<(Venue, Arc<StreamStats>)>;

pub struct Pipeline {
    pub events: mpsc::Receiver<IngestEvent>,
    pub streams: Streams,
    /// The counters of books-only connections (a dashboard's Coinbase and OKX books), apart
    /// from the trades' so book messages never make a silent trade stream look alive.
    pub book_streams: Streams,
    /// Ingestion's input, for scored news (the alert rules that read news).
    pub inputs: mpsc::Sender<crate::source::MarketEvent>,
    pub ingest: watch::Receiver<IngestSnapshot>,
    /// The demo market's prices once its history is built (empty until then, and live).
    pub demo_prices: watch::Receiver<Vec<(crate::domain::Symbol, f64)>>,
    source: JoinHandle<()>,
    ingest_task: JoinHandle<Result<(), StoreError>>,
}

impl Pipeline {
    /// Starts the source and ingestion. `shutdown` turning true stops both; [`Pipeline::join`]
    /// then waits until every candle is flushed to the store. `live_view`: a dashboard
    /// watches, so the venues' books are followed and the latest trades reported too;
    /// `every_trade`: every accepted trade is reported (the bus publishes them).
    pub async fn start(
        config: &Config,
        store: Store,
        demo: bool,
        (live_view, every_trade): (bool, bool),
        shutdown: watch::Receiver<bool>,
    ) -> Result<Pipeline, StoreError> {
        let symbols = config.market.symbols.clone();
        let timeframes = config.market.timeframes.clone();
        let source_kind = if demo {
            CandleSource::Demo
        } else {
            CandleSource::Live
        };
        let ingest = Ingest::new(store.clone(), &symbols, &timeframes, source_kind)
            .await?
            .with_composites(&config.market.composites());
        let ingest = if every_trade {
            ingest.with_every_trade()
        } else if live_view {
            ingest.with_tape()
        } else {
            ingest
        };
        // In the demo the rules start after the simulated history, or it would fire them.
        let alerts =
            crate::alerts::deliver::engine(&config.alert_setup(), &store, now_ms()).await?;
        let (market_tx, market_rx) = mpsc::channel(8192);
        let inputs = market_tx.clone();
        // The portfolio rules read the user's ledger valued a minute apart, and its snapshots
        // are kept as time passes.
        if !demo {
            let rules = config
                .alert_setup()
                .rules
                .iter()
                .any(|r| r.condition.on_portfolio());
            tokio::spawn(portfolio_valuations(
                store.clone(),
                config.portfolio.settings(),
                i64::from(config.portfolio.snapshot_minutes) * 60_000,
                rules.then(|| market_tx.clone()),
                shutdown.clone(),
            ));
        }
        let (events_tx, events) = mpsc::channel(1024);
        let (snap_tx, snap_rx) = watch::channel(IngestSnapshot::default());
        let (prices_tx, demo_prices) = watch::channel(Vec::new());
        // The demo market stands in for every venue: no streams to count.
        let streams: Streams = if demo {
            Vec::new()
        } else {
            config
                .market
                .venues()
                .into_iter()
                .map(|v| (v, Arc::new(StreamStats::new())))
                .collect()
        };

        let mut book_streams: Streams = Vec::new();
        let (source, ingest_task) = if demo {
            // The simulated history is written in the background so the first frame never
            // waits for it; `Connected` afterwards tells viewers to reload from the store.
            let (source_tx, source_rx) = tokio::sync::oneshot::channel();
            let ledger_store = store.clone();
            let ingest_task = tokio::spawn(async move {
                let (ingest, market) = tokio::task::spawn_blocking(move || {
                    let mut ingest = ingest;
                    let market = demo_market_with_history(&mut ingest, &symbols);
                    (ingest, market)
                })
                .await
                .map_err(|e| StoreError::Open {
                    store: "demo".into(),
                    detail: format!("demo history: {e}"),
                })?;
                let (market, ledger) = market?;
                // The made-up ledger, in the demo's own (cleared) store.
                ledger_store.call(move |b| b.put_ledger(&ledger)).await?;
                let _ = prices_tx.send(market.prices());
                let ingest = ingest.with_alerts(alerts);
                let _ = source_tx.send(tokio::spawn(crate::demo::run(
                    market,
                    market_tx,
                    shutdown.clone(),
                )));
                ingest
                    .run(market_rx, events_tx, shutdown, Some(snap_tx))
                    .await
            });
            let source = tokio::spawn(async move {
                if let Ok(task) = source_rx.await {
                    let _ = task.await;
                }
            });
            (source, ingest_task)
        } else {
            let mut tasks = Vec::new();
            for (venue, stats) in &streams {
                let symbols = config.market.symbols_on(*venue);
                let Some((connector, settings, apart)) =
                    connections(config, *venue, symbols, live_view)
                else {
                    continue;
                };
                if let Some(apart) = apart {
                    let book_stats = Arc::new(StreamStats::new());
                    book_streams.push((*venue, book_stats.clone()));
                    tasks.push(tokio::spawn(crate::exchange::run(
                        connector,
                        apart,
                        market_tx.clone(),
                        shutdown.clone(),
                        book_stats,
                    )));
                }
                tasks.push(tokio::spawn(crate::exchange::run(
                    connector,
                    settings,
                    market_tx.clone(),
                    shutdown.clone(),
                    stats.clone(),
                )));
            }
            drop(market_tx);
            let source = tokio::spawn(async move {
                for t in tasks {
                    let _ = t.await;
                }
            });
            let ingest = ingest.with_alerts(alerts);
            let ingest_task =
                tokio::spawn(ingest.run(market_rx, events_tx, shutdown, Some(snap_tx)));
            (source, ingest_task)
        };
        Ok(Pipeline {
            events,
            streams,
            book_streams,
            inputs,
            ingest: snap_rx,
            demo_prices,
            source,
            ingest_task,
        })
    }

    /// Waits for the source and ingestion to finish (after shutdown), at most `limit`.
    pub async fn join(self, limit: Duration) -> Result<(), StoreError> {
        let deadline = tokio::time::Instant::now() + limit;
        let _ = tokio::time::timeout_at(deadline, self.source).await;
        match tokio::time::timeout_at(deadline, self.ingest_task).await {
            Ok(Ok(r)) => r,
            Ok(Err(join)) => {
                tracing::error!(error = %join, "ingest task failed");
                Ok(())
            }
            Err(_) => {
                tracing::error!("ingest did not finish in time");
                Ok(())
            }
        }
    }
}

/// How often the portfolio rules get a new valuation.
const PORTFOLIO_EVERY: Duration = Duration::from_secs(60);

/// How far back a running collector keeps missed snapshots (an import rebuilds its rows' past
/// whole): a long stop does not hold the store's worker for long.
const SNAPSHOT_CATCH_UP: Millis = 7 * 86_400_000;

/// Keeps the portfolio's snapshots due every `step` (those missed while nothing ran, the last
/// week of them), and values the ledger now and every [`PORTFOLIO_EVERY`] for the portfolio
/// rules (with `tx`). A ledger that cannot be valued (a row selling what is not held) is said
/// once in the log; an empty one sends nothing.
async fn portfolio_valuations(
    store: Store,
    settings: crate::portfolio::Settings,
    step: Millis,
    tx: Option<mpsc::Sender<crate::source::MarketEvent>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(PORTFOLIO_EVERY);
    let mut said = false;
    // A ledger that kept nothing (none stored, or one that cannot be valued) is tried again
    // when the next snapshot falls due, not replayed every minute.
    let mut keep_after = Millis::MIN;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = crate::net::shutdown_requested(&mut shutdown) => return,
        }
        let s = settings.clone();
        let now = now_ms();
        let kept = match now >= keep_after {
            true => {
                store
                    .call(move |b| {
                        let last = b.last_snapshot(&s.basis())?;
                        if last.is_some_and(|l| l + step > now) {
                            return Ok(None);
                        }
                        let from = last
                            .map_or(Millis::MIN, |l| l + 1)
                            .max(now - SNAPSHOT_CATCH_UP);
                        crate::portfolio::keep_snapshots(b, &s, from, now, step).map(Some)
                    })
                    .await
            }
            false => Ok(None),
        };
        match kept {
            Ok(None) | Ok(Some(Ok(1..))) => {}
            Ok(Some(Ok(0))) => keep_after = (now.div_euclid(step) + 1) * step,
            Ok(Some(Err(e))) => {
                keep_after = (now.div_euclid(step) + 1) * step;
                if !std::mem::replace(&mut said, true) {
                    tracing::warn!("the ledger cannot be valued: {e}");
                }
                continue;
            }
            Err(e) => tracing::warn!("portfolio snapshot: {e}"),
        }
        let Some(tx) = &tx else { continue };
        let s = settings.clone();
        let valued = store
            .call(move |b| crate::portfolio::value_ledger(b, &s, now))
            .await;
        let report = match valued {
            Ok(Some(Ok(r))) => r,
            Ok(Some(Err(e))) => {
                if !std::mem::replace(&mut said, true) {
                    tracing::warn!("portfolio rules wait: the ledger cannot be valued: {e}");
                }
                continue;
            }
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!("portfolio valuation: {e}");
                continue;
            }
        };
        said = false;
        let figures = report.figures();
        if tx
            .send(crate::source::MarketEvent::Portfolio(figures))
            .await
            .is_err()
        {
            return;
        }
    }
}

/// The demo market, already run through the last [`DEMO_HISTORY_HOURS`] (written to the store
/// through the same ingestion as live trades), positioned at now.
fn demo_market_with_history(
    ingest: &mut Ingest,
    symbols: &[crate::domain::Symbol],
) -> Result<(DemoMarket, Vec<crate::domain::Entry>), StoreError> {
    let start: Millis = Timeframe::H1.bucket(now_ms()) - DEMO_HISTORY_HOURS * 3_600_000;
    let mut market = DemoMarket::new(DEMO_SEED, symbols, start);
    let mut trades = Vec::new();
    let mut t = start;
    // The prices the made-up ledger trades at.
    let mut marks: Vec<(i64, Vec<(crate::domain::Symbol, f64)>)> = Vec::new();
    // Up to the clock as it reads when each step is done: building hours of history takes
    // seconds, and a market positioned at the start's clock would then jump through them at
    // once, away from the prices its headlines were written with.
    while t < now_ms() {
        let step = (t + 600_000).min(now_ms());
        // A minute at a time, so the perps' state (one sample a minute, as a collector
        // stores it) follows the prices.
        while t < step {
            let minute = (t + 60_000).min(step);
            trades.clear();
            market.advance(minute, &mut trades);
            for tr in &trades {
                ingest.replay(tr);
            }
            for ev in market.derivs(minute - 1, ((minute - t) / 1000) as f64) {
                ingest.replay_deriv(&ev);
            }
            t = minute;
            let hour = (t - start) / 3_600_000;
            if (t - start) % 3_600_000 == 0 && crate::demo::ledger::hours().any(|h| h == hour) {
                marks.push((hour, market.prices()));
            }
        }
        ingest.flush(Some(step))?;
        ingest.flush_derivs()?;
    }
    // Demo history replaces itself each run; the gap check must not ask a venue about it.
    let _ = ingest.take_gaps();
    Ok((market, crate::demo::ledger::made_up(start, &marks)))
}

/// The connections `symbols` of `venue` need: the trades' one (with the books beside them
/// when a dashboard watches and the venue keeps them there), and one to the venue's second
/// endpoint where it keeps the books (watched) or these markets' derivatives apart. `None`
/// when the venue is not one this config streams.
pub(crate) fn connections(
    config: &Config,
    venue: Venue,
    symbols: Vec<crate::domain::Symbol>,
    live_view: bool,
) -> Option<(
    &'static dyn crate::exchange::Connector,
    StreamSettings,
    Option<StreamSettings>,
)> {
    let connector = connector(venue)?;
    let mut settings = stream_settings(config, venue)?;
    settings.symbols = symbols;
    let book_url = config.venues.get(venue).and_then(|e| e.book_ws_url.clone());
    let books_apart = live_view && connector.has_book() && connector.books_apart();
    let apart = (books_apart || connector.apart_needed(&settings.symbols))
        .then_some(book_url)
        .flatten()
        .map(|url| StreamSettings {
            ws_url: url,
            books: Books::Apart { books: books_apart },
            ..settings.clone()
        });
    if live_view && connector.has_book() && !connector.books_apart() {
        settings.books = Books::WithTrades;
    }
    Some((connector, settings, apart))
}

/// The settings of `venue`'s feed from the config; `None` when no symbol is streamed from it.
pub(crate) fn stream_settings(cfg: &Config, venue: Venue) -> Option<StreamSettings> {
    let symbols = cfg.market.symbols_on(venue);
    let endpoints = cfg.venues.get(venue)?;
    let connector = connector(venue)?;
    (!symbols.is_empty()).then(|| StreamSettings {
        venue,
        ws_url: endpoints.ws_url.clone(),
        rest_url: endpoints.rest_url.clone(),
        symbols,
        books: Books::Off,
        backoff: cfg.net.backoff.clone(),
        breaker: cfg.net.breaker.clone(),
        idle_timeout: Duration::from_secs(cfg.net.ws_idle_timeout_secs.max(1)),
        max_lifetime: connector.max_lifetime(),
        stable_after: StreamSettings::DEFAULT_STABLE_AFTER,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Symbol;
    use crate::net::BackoffPolicy;

    #[test]
    fn settings_come_from_config() {
        let cfg = Config::parse(
            "[market]\nsymbols = [\"BTCUSDT\", \"kraken:BTC/USD\"]\n",
            std::path::Path::new("test.toml"),
        )
        .unwrap();
        let s = stream_settings(&cfg, Venue::Binance).unwrap();
        assert_eq!(s.idle_timeout, Duration::from_secs(60));
        assert_eq!(s.backoff, BackoffPolicy::default());
        assert_eq!(s.max_lifetime, Duration::from_secs(85_800));
        assert_eq!(s.symbols, vec![Symbol::new("BTCUSDT").unwrap()]);
        let k = stream_settings(&cfg, Venue::Kraken).unwrap();
        assert_eq!(k.ws_url, "wss://ws.kraken.com/v2");
        assert!(stream_settings(&cfg, Venue::Okx).is_none());
        assert!(stream_settings(&cfg, Venue::Composite).is_none());
    }
}
