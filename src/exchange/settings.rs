//! What one venue connection is asked to carry, and how: its endpoint, markets, books,
//! backoff, breaker and timeouts.

use std::time::Duration;

use super::connector::Connector;
use crate::domain::{Symbol, Venue};
use crate::net::{BackoffPolicy, BreakerPolicy};
use crate::source::MarketEvent;

/// What a connection carries besides (or instead of) the trades.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Books {
    /// Trades only.
    #[default]
    Off,
    /// Trades and books on one connection.
    WithTrades,
    /// The venue's second endpoint (`book_ws_url`; OKX keeps books and its swaps' derivatives
    /// channels on its public one, apart from `trades-all`): books when `books`, and what else
    /// the venue keeps there for these markets. The trades' connection reports the venue's
    /// state, so this one reports none.
    Apart { books: bool },
    /// The books of these markets alone, beside a trades' connection that already runs (a
    /// collector serving a dashboard that asked for them over the bus): dialled as the venue
    /// serves books (its book endpoint, or the trades' one with books beside the trades), and
    /// only the books go on; the trades, the derivatives and the connection's state are the
    /// trades' connection's to report, so nothing is counted twice.
    Only,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StreamSettings {
    pub venue: Venue,
    /// The venue's WebSocket endpoint (`[venues.<venue>] ws_url`).
    pub ws_url: String,
    /// The venue's REST base (`[venues.<venue>] rest_url`), for its list of contract sizes
    /// where trades count contracts ([`Connector::contracts_path`]).
    pub rest_url: String,
    pub symbols: Vec<Symbol>,
    /// Whether this connection follows the symbols' books (a dashboard showing them; never a
    /// collector), where the venue offers them.
    pub books: Books,
    pub backoff: BackoffPolicy,
    pub breaker: BreakerPolicy,
    /// No message at all (pings included) for this long means the connection is dead. The
    /// connect handshake gets the same allowance.
    pub idle_timeout: Duration,
    /// Reconnect on our own terms before the venue's forced cut (the connector's default).
    pub max_lifetime: Duration,
    /// A connection must deliver data and stay up this long before the backoff starts over,
    /// so a server that drops every connection right after a trade cannot pull cryptoviz into
    /// reconnecting several times a second (Binance allows 300 attempts per 5 minutes).
    pub stable_after: Duration,
}

impl StreamSettings {
    pub const DEFAULT_STABLE_AFTER: Duration = Duration::from_secs(10);
}

impl Books {
    /// Whether this connection dials the venue's book endpoint (the caller put it in
    /// `ws_url`) rather than the trades' one.
    fn on_book_endpoint(self, c: &dyn Connector) -> bool {
        match self {
            Books::Apart { .. } => true,
            Books::Only => c.books_apart(),
            Books::Off | Books::WithTrades => false,
        }
    }

    /// The address to dial.
    pub(super) fn url(self, c: &dyn Connector, s: &StreamSettings) -> String {
        if self.on_book_endpoint(c) {
            return s.ws_url.clone();
        }
        c.url(&s.ws_url, &s.symbols, self != Books::Off)
    }

    /// The subscriptions to send once connected.
    pub(super) fn subscriptions(self, c: &dyn Connector, symbols: &[Symbol]) -> Vec<String> {
        match self {
            Books::Apart { books } => c.subscribe_apart(symbols, books),
            b if b.on_book_endpoint(c) => c.subscribe_apart(symbols, true),
            b => c.subscribe(symbols, b != Books::Off),
        }
    }

    /// Whether an event of this connection goes on: a books-only connection leaves the
    /// venue's state to its trades' connection, and one that serves asked books passes on
    /// nothing else.
    pub(super) fn passes(self, event: &MarketEvent) -> bool {
        match self {
            Books::Apart { .. } => !matches!(event, MarketEvent::Status(..)),
            Books::Only => matches!(event, MarketEvent::Book(_) | MarketEvent::Malformed(_)),
            Books::Off | Books::WithTrades => true,
        }
    }
}
