//! Markets added while running, asked for over the bus by a dashboard. A collector takes a
//! market on a venue it already streams (it *owns* the venues its config, or its store's
//! watchlist, has a market on); it then streams the market on a connection of its own (the
//! running ones are never touched), resumes its series from the store, fetches its history
//! as at startup and repairs its gaps from then on, and keeps it in the store's watchlist so
//! the next start collects it too. A market on a venue it does not stream is not its to take.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::domain::{Symbol, Venue};
use crate::exchange::{StreamStats, connector};
use crate::history::repair::RepairTrigger;
use crate::source::MarketEvent;
use crate::store::Store;

/// How long an added market's connections may take to stop.
const CLOSE_LIMIT: Duration = Duration::from_secs(2);

/// What became of an ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Taken: streaming and backfilling it from now on.
    Added,
    /// Collected already.
    Already,
    /// On a venue this collector does not stream (or a composite): not its to take.
    NotOwned,
    /// It took [`MAX_ADDED`] markets this run already (asks are untrusted).
    Full,
}

/// Markets one collector takes over the bus in one run, at most: each is a connection of its
/// own, and anyone who may publish an ask could otherwise make it open thousands.
pub const MAX_ADDED: usize = 64;

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Added => "added",
            Answer::Already => "already",
            Answer::NotOwned => "not owned",
            Answer::Full => "full",
        }
    }
}

/// Where markets are asked for (cheap to clone).
#[derive(Clone)]
pub struct MarketAsks {
    owned: Arc<BTreeSet<Venue>>,
    collected: Arc<Mutex<BTreeSet<Symbol>>>,
    /// How many the configured ones are (the rest were added).
    configured: usize,
    tx: mpsc::UnboundedSender<Symbol>,
}

impl MarketAsks {
    pub(super) fn new(config: &Config) -> (MarketAsks, mpsc::UnboundedReceiver<Symbol>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let asks = MarketAsks {
            owned: Arc::new(config.market.venues().into_iter().collect()),
            collected: Arc::new(Mutex::new(config.market.symbols.iter().copied().collect())),
            configured: config.market.symbols.len(),
            tx,
        };
        (asks, rx)
    }

    /// Takes `market` if it is on a venue this collector streams and not collected yet.
    pub fn ask(&self, market: Symbol) -> Answer {
        if !self.owned.contains(&market.venue()) || connector(market.venue()).is_none() {
            return Answer::NotOwned;
        }
        let mut collected = self.collected.lock().unwrap_or_else(|p| p.into_inner());
        if collected.contains(&market) {
            return Answer::Already;
        }
        if collected.len() >= self.configured + MAX_ADDED {
            return Answer::Full;
        }
        collected.insert(market);
        // The runtime gone (stopping): nothing to add to.
        if self.tx.send(market).is_err() {
            collected.remove(&market);
            return Answer::NotOwned;
        }
        Answer::Added
    }
}

/// Streams each market asked for until `stop`.
pub(super) async fn run(
    config: Config,
    store: Store,
    inputs: mpsc::Sender<MarketEvent>,
    repair: Option<mpsc::Sender<RepairTrigger>>,
    mut asked: mpsc::UnboundedReceiver<Symbol>,
    stop: watch::Receiver<bool>,
) {
    let mut tasks: Vec<JoinHandle<()>> = Vec::new();
    let mut stopping = stop.clone();
    loop {
        let market = tokio::select! {
            m = asked.recv() => match m { Some(m) => m, None => break },
            _ = crate::net::shutdown_requested(&mut stopping) => break,
        };
        tracing::info!(%market, "collecting a market asked for over the bus");
        remember(&store, market).await;
        let _ = inputs.send(MarketEvent::Watch(market)).await;
        tasks.extend(dial(&config, market, &inputs, &stop));
        if let Some(r) = &repair {
            let _ = r.send(RepairTrigger::Added(market)).await;
        }
    }
    for t in tasks {
        let _ = tokio::time::timeout(CLOSE_LIMIT, t).await;
    }
}

/// Puts `market` in the store's watchlist, so the next start collects it.
async fn remember(store: &Store, market: Symbol) {
    let kept = store
        .call(move |b| {
            let mut list = b.watchlist()?;
            if !list.contains(&market) {
                list.push(market);
                b.set_watchlist(&list)?;
            }
            Ok(())
        })
        .await;
    if let Err(e) = kept {
        tracing::warn!(%market, error = %e, "added market not kept for the next start");
    }
}

/// The market's trades' connection, and the second one its venue keeps its derivatives on
/// (OKX swaps), as the pipeline makes them, each stopping with the runtime.
fn dial(
    config: &Config,
    market: Symbol,
    inputs: &mpsc::Sender<MarketEvent>,
    stop: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let Some((c, settings, apart)) =
        crate::pipeline::connections(config, market.venue(), vec![market], false)
    else {
        return Vec::new();
    };
    std::iter::once(settings)
        .chain(apart)
        .map(|s| {
            tokio::spawn(crate::exchange::run(
                c,
                s,
                inputs.clone(),
                stop.clone(),
                Arc::new(StreamStats::new()),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(s: &str) -> Symbol {
        Symbol::new(s).unwrap()
    }

    #[test]
    fn a_collector_takes_markets_on_the_venues_it_streams_once() {
        let cfg = Config::parse(
            "[market]\nsymbols = [\"BTCUSDT\", \"kraken:BTC/USD\"]\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        let (asks, mut rx) = MarketAsks::new(&cfg);
        assert_eq!(asks.ask(sym("ETHUSDT")), Answer::Added);
        assert_eq!(asks.ask(sym("ETHUSDT")), Answer::Already);
        assert_eq!(asks.ask(sym("BTCUSDT")), Answer::Already, "configured");
        assert_eq!(asks.ask(sym("kraken:ETH/USD")), Answer::Added);
        assert_eq!(asks.ask(sym("coinbase:BTC-USD")), Answer::NotOwned);
        assert_eq!(asks.ask(sym("okx:BTC-USDT-SWAP")), Answer::NotOwned);
        assert_eq!(rx.try_recv().ok(), Some(sym("ETHUSDT")));
        assert_eq!(rx.try_recv().ok(), Some(sym("kraken:ETH/USD")));
        assert!(rx.try_recv().is_err());
        for i in 0..MAX_ADDED {
            asks.ask(sym(&format!("X{i}USDT")));
        }
        assert_eq!(
            asks.ask(sym("LASTUSDT")),
            Answer::Full,
            "two added, then 62 more"
        );
        assert_eq!(asks.ask(sym("ETHUSDT")), Answer::Already);
        drop(rx);
        let (asks, rx) = MarketAsks::new(&cfg);
        drop(rx);
        assert_eq!(
            asks.ask(sym("SOLUSDT")),
            Answer::NotOwned,
            "stopping: nothing to add to"
        );
    }
}
