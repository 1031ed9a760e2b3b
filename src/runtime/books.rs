//! Books on request. A collector follows no book of its own (nothing of a book is stored), but
//! while someone asks for a market's book (a dashboard over the bus) it opens one books-only
//! connection per venue for the markets asked ([`Books::Only`]), beside the trades'
//! connection, and closes it when no one asks any more. A changed set of markets on a venue
//! redials that venue's books connection alone: the trades' connection is never touched.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::domain::{Symbol, Venue};
use crate::exchange::{Books, StreamStats, connector};
use crate::source::MarketEvent;

/// How long a closed books connection may take to say goodbye.
const CLOSE_LIMIT: Duration = Duration::from_secs(2);

/// Where the markets whose books are wanted are set (cheap to clone; the last set wins).
#[derive(Clone)]
pub struct BookAsks(Arc<watch::Sender<BTreeSet<Symbol>>>);

impl BookAsks {
    pub(super) fn new() -> (BookAsks, watch::Receiver<BTreeSet<Symbol>>) {
        let (tx, rx) = watch::channel(BTreeSet::new());
        (BookAsks(Arc::new(tx)), rx)
    }

    /// Follow the books of exactly these markets from now on (those this collector does not
    /// stream, or whose venue has no public book, are left out).
    pub fn set(&self, markets: BTreeSet<Symbol>) {
        self.0.send_if_modified(|now| {
            let changed = *now != markets;
            *now = markets;
            changed
        });
    }
}

/// The asked markets this config can serve a book of, by venue.
fn servable(config: &Config, asked: &BTreeSet<Symbol>) -> BTreeMap<Venue, BTreeSet<Symbol>> {
    let mut out: BTreeMap<Venue, BTreeSet<Symbol>> = BTreeMap::new();
    for s in asked {
        let venue = s.venue();
        let Some(c) = connector(venue) else { continue };
        let apart_url = config.venues.get(venue).and_then(|e| e.book_ws_url.clone());
        let served = config.market.symbols.contains(s)
            && c.has_book()
            && (!c.books_apart() || apart_url.is_some());
        if served {
            out.entry(venue).or_default().insert(*s);
        }
    }
    out
}

/// One venue's open books connection.
struct Open {
    markets: BTreeSet<Symbol>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Open {
    async fn close(self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(CLOSE_LIMIT, self.task).await;
    }
}

/// Keeps one books-only connection per venue for the markets asked, until `stop`. Their books
/// go to ingestion like any venue's, which hands them to subscribers (never to the store).
pub(super) async fn run(
    config: Config,
    inputs: mpsc::Sender<MarketEvent>,
    mut asked: watch::Receiver<BTreeSet<Symbol>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut open: BTreeMap<Venue, Open> = BTreeMap::new();
    loop {
        tokio::select! {
            r = asked.changed() => if r.is_err() { break },
            _ = crate::net::shutdown_requested(&mut stop) => break,
        }
        let wanted = servable(&config, &asked.borrow_and_update());
        let venues: BTreeSet<Venue> = open.keys().chain(wanted.keys()).copied().collect();
        for venue in venues {
            let want = wanted.get(&venue).cloned().unwrap_or_default();
            if open.get(&venue).map(|o| &o.markets) == Some(&want) {
                continue;
            }
            if let Some(o) = open.remove(&venue) {
                o.close().await;
            }
            if let Some(o) = dial(&config, venue, want, &inputs) {
                tracing::info!(%venue, markets = o.markets.len(), "following asked books");
                open.insert(venue, o);
            }
        }
    }
    for (_, o) in open {
        o.close().await;
    }
}

/// A books-only connection for `markets` of `venue`; none when there are none.
fn dial(
    config: &Config,
    venue: Venue,
    markets: BTreeSet<Symbol>,
    inputs: &mpsc::Sender<MarketEvent>,
) -> Option<Open> {
    let c = connector(venue)?;
    let mut settings = crate::pipeline::stream_settings(config, venue)?;
    if markets.is_empty() {
        return None;
    }
    if c.books_apart() {
        settings.ws_url = config.venues.get(venue)?.book_ws_url.clone()?;
    }
    settings.symbols = markets.iter().copied().collect();
    settings.books = Books::Only;
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(crate::exchange::run(
        c,
        settings,
        inputs.clone(),
        stop_rx,
        Arc::new(StreamStats::new()),
    ));
    Some(Open {
        markets,
        stop,
        task,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(s: &str) -> Symbol {
        Symbol::new(s).unwrap()
    }

    #[test]
    fn only_streamed_markets_with_a_public_book_are_served() {
        let cfg = Config::parse(
            "[market]\nsymbols = [\"BTCUSDT\", \"kraken:BTC/USD\", \"coinbase:BTC-USD\"]\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        let asked: BTreeSet<Symbol> = [
            "BTCUSDT",
            "ETHUSDT",
            "kraken:BTC/USD",
            "coinbase:BTC-USD",
            "okx:BTC-USDT",
        ]
        .into_iter()
        .map(sym)
        .collect();
        let served = servable(&cfg, &asked);
        assert_eq!(
            served.get(&Venue::Binance).unwrap(),
            &BTreeSet::from([sym("BTCUSDT")]),
            "ETHUSDT is not collected here"
        );
        assert_eq!(
            served.get(&Venue::Kraken).unwrap(),
            &BTreeSet::from([sym("kraken:BTC/USD")])
        );
        // Coinbase's books are on its own endpoint, which the defaults name.
        assert!(served.contains_key(&Venue::Coinbase));
        assert!(!served.contains_key(&Venue::Okx), "not collected here");
    }
}
