//! The seam between the venue-neutral stream loop ([`super::stream`]) and one venue: how to
//! address, subscribe, keep alive and read its trade feed. Each venue's folder implements it;
//! [`connector`] is the registry.

use std::time::Duration;

use super::contracts::ContractList;
use super::wire::WireError;
use crate::domain::{BookUpdate, DerivEvent, Symbol, Trade, Venue};

/// What one frame meant, besides the trades it appended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Trades were appended to the buffer (possibly none, for an empty snapshot).
    Trades,
    /// The frame's good trades were appended; these of its trades were rejected, each for
    /// the reason given (one bad trade does not cost the others).
    Partial(Vec<String>),
    /// Book snapshots or changes to them, in order (only when books were asked for).
    Book(Vec<BookUpdate>),
    /// A perp's mark, index, funding or open interest, or liquidations (possibly of markets
    /// not asked for: OKX sends every swap's liquidations).
    Derivs(Vec<DerivEvent>),
    /// A subscription or ping answered; proof of life.
    Ack,
    /// The venue's own keep-alive message.
    Heartbeat,
    /// The venue asks us to reconnect (Binance's `serverShutdown`).
    Reconnect(String),
    /// The venue refused something we asked (an unknown symbol): logged, the connection stays.
    Refused(String),
    /// A well-formed message cryptoviz does not use.
    Other,
}

/// One venue's trade feed, and the top of its books for a dashboard that shows them.
pub trait Connector: Send + Sync {
    fn venue(&self) -> Venue;

    /// Whether the venue's books can be followed (`book` below); a venue without a public
    /// whole-snapshot book stream says no and its book panel says so.
    fn has_book(&self) -> bool {
        false
    }

    /// The address to dial for `symbols` (and their books when `book`), from the configured
    /// `ws_url`.
    fn url(&self, ws_url: &str, symbols: &[Symbol], book: bool) -> String {
        let _ = (symbols, book);
        ws_url.to_string()
    }

    /// Text messages sent right after connecting, in order: the trades of `symbols`, and their
    /// books when `book` (and [`Connector::has_book`]).
    fn subscribe(&self, symbols: &[Symbol], book: bool) -> Vec<String>;

    /// Whether the venue's books stream on an endpoint of their own (the config's
    /// `book_ws_url`) rather than on the trades' connection.
    fn books_apart(&self) -> bool {
        false
    }

    /// The subscriptions of a connection to the venue's second endpoint (see
    /// [`Connector::books_apart`] and [`Connector::apart_needed`]): books when `books`.
    fn subscribe_apart(&self, symbols: &[Symbol], books: bool) -> Vec<String> {
        let _ = (symbols, books);
        Vec::new()
    }

    /// Whether `symbols` need the second endpoint even without books (OKX swaps: mark,
    /// index, funding, open interest and liquidations are only there).
    fn apart_needed(&self, symbols: &[Symbol]) -> bool {
        let _ = symbols;
        false
    }

    /// An application-level ping (text) and how often to send it, for venues that cut
    /// connections without one. WebSocket pings from the server are always answered.
    fn ping(&self) -> Option<(Duration, &'static str)> {
        None
    }

    /// For a feed with a stream that pushes whatever the market does (Binance USDⓈ-M's
    /// `markPrice@1s`): how soon a connection at the right address delivers data, and what to
    /// tell the user when it does not. Venues that route streams by path may accept a
    /// connection on the wrong route and keep it open, silent.
    fn silent_address(&self) -> Option<(Duration, &'static str)> {
        None
    }

    /// For venues whose trades count some markets in contracts (OKX swaps): the REST path,
    /// on the venue's `rest_url`, of the list saying what one contract of each is worth, when
    /// any of `symbols` needs it. Read before each connection's trades are taken.
    fn contracts_path(&self, symbols: &[Symbol]) -> Option<&'static str> {
        let _ = symbols;
        None
    }

    /// That list: each market and its contract in base coin, or why it cannot be used.
    fn decode_contracts(&self, body: &[u8]) -> Result<ContractList, String> {
        let _ = body;
        Ok(Vec::new())
    }

    /// Derivatives the venue serves over REST only (Binance USDⓈ-M's open interest): the
    /// paths to poll on `rest_url` for `symbols`, and how often.
    fn polled(&self, symbols: &[Symbol]) -> Option<(Duration, Vec<String>)> {
        let _ = symbols;
        None
    }

    /// One polled answer read.
    fn decode_polled(&self, body: &[u8]) -> Result<Vec<DerivEvent>, String> {
        let _ = body;
        Ok(Vec::new())
    }

    /// Reconnect on our own terms before the venue's forced cut, if it has one.
    fn max_lifetime(&self) -> Duration {
        Duration::from_secs(23 * 3600 + 50 * 60)
    }

    /// Reads one frame, appending its trades to `out`.
    fn parse(&self, frame: &[u8], out: &mut Vec<Trade>) -> Result<Parsed, WireError>;
}

/// Test support: the book changes `connector` reads in `frame`; `None` when the frame is not
/// a book.
#[cfg(test)]
pub fn books_in(
    connector: &dyn Connector,
    frame: &[u8],
) -> Option<Result<Vec<BookUpdate>, WireError>> {
    match connector.parse(frame, &mut Vec::new()) {
        Ok(Parsed::Book(b)) => Some(Ok(b)),
        Err(e) => Some(Err(e)),
        Ok(_) => None,
    }
}

/// The connector of an exchange (`None` for composites, which have no feed of their own).
pub fn connector(venue: Venue) -> Option<&'static dyn Connector> {
    super::registry::entry(venue).map(|e| e.connector)
}
