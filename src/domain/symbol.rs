//! Market symbols as small `Copy` values, so the hot path never allocates or counts references.
//! A symbol names its venue and the market in the venue's own spelling: `binance:BTCUSDT`,
//! `coinbase:BTC-USD`, `kraken:BTC/USD`, or `composite:BTC-USD` for a merged market.

use std::fmt;

pub use super::venue::Venue;

const CAP: usize = 22;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SymbolError {
    #[error(
        "symbol {0:?} must be VENUE:SYMBOL in the venue's spelling (binance:BTCUSDT, coinbase:BTC-USD, kraken:BTC/USD, bybit:BTCUSDT, okx:BTC-USDT, binance-perp:BTCUSDT, bybit-perp:BTCUSDT, okx:BTC-USDT-SWAP, composite:NAME), at most 22 characters"
    )]
    Invalid(String),
}

/// A venue and an upper-case market name such as `BTCUSDT` (input is case-insensitive).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol {
    venue: u8,
    len: u8,
    bytes: [u8; CAP],
}

impl Symbol {
    /// `VENUE:SYMBOL`, or a bare `SYMBOL` on the default venue.
    pub fn new(s: &str) -> Result<Self, SymbolError> {
        let bad = || SymbolError::Invalid(s.to_string());
        let (venue, name) = match s.split_once(':') {
            Some((v, name)) => (Venue::parse(v.trim()).ok_or_else(bad)?, name.trim()),
            None => (Venue::DEFAULT, s.trim()),
        };
        Self::on(venue, name.as_bytes()).ok_or_else(bad)
    }

    /// A market of `venue` as its wire spells it; `None` unless 1 to 22 allowed bytes.
    #[inline]
    pub fn on(venue: Venue, b: &[u8]) -> Option<Self> {
        if b.is_empty() || b.len() > CAP || !venue.spells(b) {
            return None;
        }
        let mut bytes = [0u8; CAP];
        for (dst, src) in bytes.iter_mut().zip(b) {
            *dst = src.to_ascii_uppercase();
        }
        Some(Symbol {
            venue: venue as u8,
            len: b.len() as u8,
            bytes,
        })
    }

    pub fn venue(&self) -> Venue {
        Venue::from_u8(self.venue)
    }

    /// The same market name on `venue`, which spells markets the same way (Binance's spot
    /// and USDⓈ-M futures share one wire format and spelling).
    #[inline]
    pub fn on_venue(self, venue: Venue) -> Symbol {
        debug_assert!(venue.spells(self.as_str().as_bytes()));
        Symbol {
            venue: venue as u8,
            ..self
        }
    }

    /// A perpetual future: every market of `binance-perp` and `bybit-perp`, and OKX's swaps
    /// (`okx:BTC-USDT-SWAP`, OKX's own spelling).
    pub fn is_perp(&self) -> bool {
        let venue = self.venue();
        venue.is_perp() || venue == Venue::Okx && self.as_str().ends_with("-SWAP")
    }

    /// The market in the venue's own spelling, upper case: `BTC-USD`.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
    }

    /// `venue:SYMBOL`, the canonical spelling (also what `Display` writes).
    pub fn canonical(&self) -> String {
        self.to_string()
    }

    /// The symbol's text in lower case (Binance stream names: `btcusdt@trade`).
    pub fn lower(&self) -> String {
        self.as_str().to_ascii_lowercase()
    }

    /// Only `[A-Za-z0-9_-]`: safe as part of a file name.
    pub fn file_stem(&self) -> String {
        format!("{}-{}", self.venue().name(), self.as_str())
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.venue().name(), self.as_str())
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for Symbol {
    type Err = SymbolError;
    fn from_str(s: &str) -> Result<Self, SymbolError> {
        Symbol::new(s)
    }
}

impl serde::Serialize for Symbol {
    fn serialize<Z: serde::Serializer>(&self, s: Z) -> Result<Z::Ok, Z::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Symbol {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Symbol::new(&s).map_err(serde::de::Error::custom)
    }
}

/// A composite market: its series symbol (`composite:NAME`) and its members, in the order
/// that breaks ties between trades stamped at the same instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Composite {
    pub symbol: Symbol,
    pub members: Vec<Symbol>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_and_validated() {
        assert_eq!(
            Symbol::new("btcusdt").unwrap(),
            Symbol::new("BINANCE:BTCUSDT").unwrap()
        );
        assert_eq!(Symbol::new("btcusdt").unwrap().as_str(), "BTCUSDT");
        assert_eq!(Symbol::new("BTCUSDT").unwrap().lower(), "btcusdt");
        assert!(Symbol::new("").is_err());
        assert!(Symbol::new("ftx:BTCUSD").is_err());
        assert!(Symbol::new("BTC USD").is_err());
        assert!(Symbol::new(&"A".repeat(23)).is_err());
        // Each venue's own spelling only.
        assert!(Symbol::new("BTC/USDT").is_err());
        assert!(Symbol::new("kraken:BTC-USD").is_err());
        assert!(Symbol::new("coinbase:BTC/USD").is_err());
        assert!(Symbol::new("okx:BTC-USDT").is_ok());
    }

    #[test]
    fn venues_are_part_of_the_identity() {
        let k = Symbol::new("kraken:btc/usd").unwrap();
        assert_eq!(k.venue(), Venue::Kraken);
        assert_eq!(k.as_str(), "BTC/USD");
        assert_eq!(k.to_string(), "kraken:BTC/USD");
        assert_eq!(k.file_stem(), "kraken-BTC_USD");
        let a = Symbol::new("binance:BTCUSDT").unwrap();
        let b = Symbol::new("bybit:BTCUSDT").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str(), b.as_str());
        let p = Symbol::new("binance-perp:btcusdt").unwrap();
        assert_eq!(p.venue(), Venue::BinancePerp);
        assert_eq!(p.to_string(), "binance-perp:BTCUSDT");
        assert_ne!(p, a);
        assert_eq!(a.on_venue(Venue::BinancePerp), p);
        assert!(p.is_perp() && Symbol::new("bybit-perp:ETHUSDT").unwrap().is_perp());
        assert!(Symbol::new("okx:BTC-USDT-SWAP").unwrap().is_perp());
        assert!(!Symbol::new("okx:BTC-USDT").unwrap().is_perp() && !a.is_perp());
        assert!(Symbol::new("bybit-perp:BTC-USDT").is_err());
        let c = Symbol::new("composite:BTC-USD").unwrap();
        assert_eq!(c.venue(), Venue::Composite);
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"composite:BTC-USD\"");
    }
}
