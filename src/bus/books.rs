//! Books on the bus, the collector's side. A book changes many times a second and is worth
//! nothing a moment later, so it is published only while some dashboard asks for it (on
//! [`super::message::ASK_BOOK`], renewed every [`super::message::ASK_EVERY_MS`]), at most every [`BOOK_EVERY`] per market,
//! never kept by the stream and never queued while the server is away.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::message::ASK_LEASE_MS;
use crate::domain::{Book, Symbol};

/// The newest book of a market goes out at most this often (a dashboard draws a few frames a
/// second; the venues push up to fifty).
pub const BOOK_EVERY: Duration = Duration::from_millis(200);

/// Larger asks are not read.
const MAX_ASK: usize = 256;
/// Markets asked for at once at most (asks are untrusted: a flood of names must not grow the
/// collector); further asks wait until some lease ends.
pub const MAX_ASKED: usize = 256;

#[derive(Deserialize)]
struct Ask<'a> {
    market: &'a str,
}

/// The market an ask names, if it is one; anything else is ignored (asks are untrusted).
pub fn read_ask(payload: &[u8]) -> Option<Symbol> {
    if payload.len() > MAX_ASK {
        return None;
    }
    let ask: Ask = serde_json::from_slice(payload).ok()?;
    let s = Symbol::new(ask.market).ok()?;
    (s.venue() != crate::domain::Venue::Composite).then_some(s)
}

/// An ask's payload.
pub fn ask(market: Symbol) -> Vec<u8> {
    serde_json::json!({ "market": market.to_string() })
        .to_string()
        .into_bytes()
}

/// Which markets are asked for, until when; and the newest book of each, waiting for its turn.
#[derive(Default)]
pub struct Served {
    leases: BTreeMap<Symbol, Instant>,
    /// The newest book not yet published, and when each market's last went out.
    newest: HashMap<Symbol, Book>,
    sent_at: HashMap<Symbol, Instant>,
}

impl Served {
    /// `market` asked for at `now`; true when it was not asked for before (and there was
    /// room for it).
    pub fn ask(&mut self, market: Symbol, now: Instant) -> bool {
        if self.leases.len() >= MAX_ASKED && !self.leases.contains_key(&market) {
            return false;
        }
        let lease = now + Duration::from_millis(ASK_LEASE_MS);
        self.leases.insert(market, lease).is_none()
    }

    /// Forgets the markets nobody asked for within the lease; true when any went.
    pub fn expire(&mut self, now: Instant) -> bool {
        let before = self.leases.len();
        self.leases.retain(|_, until| *until > now);
        self.newest.retain(|s, _| self.leases.contains_key(s));
        self.sent_at.retain(|s, _| self.leases.contains_key(s));
        self.leases.len() != before
    }

    pub fn asked(&self) -> BTreeSet<Symbol> {
        self.leases.keys().copied().collect()
    }

    /// Keeps `book` if its market is asked for (a newer one replaces one not yet sent).
    pub fn offer(&mut self, book: &Book) {
        if self.leases.contains_key(&book.symbol) {
            self.newest.insert(book.symbol, book.clone());
        }
    }

    /// The books whose turn it is at `now` (each market at most once per [`BOOK_EVERY`]).
    pub fn due(&mut self, now: Instant) -> Vec<Book> {
        let sent_at = &mut self.sent_at;
        let mut out = Vec::new();
        self.newest.retain(|s, b| {
            let due = sent_at
                .get(s)
                .is_none_or(|at| now.duration_since(*at) >= BOOK_EVERY);
            if due {
                sent_at.insert(*s, now);
                out.push(b.clone());
            }
            !due
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Level;

    fn book(sym: &str, bid: &str) -> Book {
        Book {
            symbol: Symbol::new(sym).unwrap(),
            bids: vec![Level {
                price: bid.parse().unwrap(),
                qty: "1".parse().unwrap(),
            }],
            asks: Vec::new(),
            time: None,
        }
    }

    #[test]
    fn asks_are_read_strictly() {
        let btc = Symbol::new("kraken:BTC/USD").unwrap();
        assert_eq!(read_ask(&ask(btc)), Some(btc));
        assert_eq!(
            read_ask(br#"{"market":"BTCUSDT"}"#),
            Symbol::new("BTCUSDT").ok()
        );
        assert_eq!(read_ask(br#"{"market":"composite:BTC-USD"}"#), None);
        assert_eq!(read_ask(br#"{"market":"nowhere:X"}"#), None);
        assert_eq!(read_ask(b"BTCUSDT"), None);
        let long = format!(r#"{{"market":"BTCUSDT","pad":"{}"}}"#, "x".repeat(300));
        assert_eq!(read_ask(long.as_bytes()), None);
    }

    #[test]
    fn a_book_goes_out_while_asked_for_at_most_every_200_ms_newest_first() {
        let t0 = Instant::now();
        let mut s = Served::default();
        s.offer(&book("BTCUSDT", "100"));
        assert!(s.due(t0).is_empty(), "nobody asked");
        assert!(s.ask(Symbol::new("BTCUSDT").unwrap(), t0));
        assert!(!s.ask(Symbol::new("BTCUSDT").unwrap(), t0), "a renewal");
        s.offer(&book("BTCUSDT", "101"));
        s.offer(&book("BTCUSDT", "102"));
        s.offer(&book("ETHUSDT", "5"));
        assert_eq!(s.due(t0), vec![book("BTCUSDT", "102")]);
        s.offer(&book("BTCUSDT", "103"));
        assert!(s.due(t0 + Duration::from_millis(199)).is_empty());
        assert_eq!(
            s.due(t0 + Duration::from_millis(200)),
            vec![book("BTCUSDT", "103")]
        );
        assert!(
            s.due(t0 + Duration::from_millis(900)).is_empty(),
            "nothing new"
        );
        // Unrenewed, the lease ends.
        assert!(!s.expire(t0 + Duration::from_millis(ASK_LEASE_MS - 1)));
        assert!(s.expire(t0 + Duration::from_millis(ASK_LEASE_MS)));
        assert!(s.asked().is_empty());
        s.offer(&book("BTCUSDT", "104"));
        assert!(s.due(t0 + Duration::from_secs(60)).is_empty());
        // A flood of names stops at the bound.
        for i in 0..MAX_ASKED + 10 {
            s.ask(Symbol::new(&format!("X{i}USDT")).unwrap(), t0);
        }
        assert_eq!(s.asked().len(), MAX_ASKED);
    }
}
