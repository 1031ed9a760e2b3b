//! Exchange symbols as small `Copy` values, so the hot path never allocates or counts references.

use std::fmt;

const CAP: usize = 23;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SymbolError {
    #[error("symbol {0:?} must be 1 to 23 ASCII letters or digits")]
    Invalid(String),
}

/// An upper-case exchange symbol such as `BTCUSDT` (input is case-insensitive).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol {
    len: u8,
    bytes: [u8; CAP],
}

impl Symbol {
    pub fn new(s: &str) -> Result<Self, SymbolError> {
        Self::from_bytes(s.as_bytes()).ok_or_else(|| SymbolError::Invalid(s.to_string()))
    }

    #[inline]
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        if b.is_empty() || b.len() > CAP || !b.iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        let mut bytes = [0u8; CAP];
        for (dst, src) in bytes.iter_mut().zip(b) {
            *dst = src.to_ascii_uppercase();
        }
        Some(Symbol {
            len: b.len() as u8,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII alphanumerics are ever stored.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
    }

    /// Binance stream names are lower case: `btcusdt@trade`.
    pub fn lower(&self) -> String {
        self.as_str().to_ascii_lowercase()
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_str())
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
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Symbol {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Symbol::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_and_validated() {
        assert_eq!(
            Symbol::new("btcusdt").unwrap(),
            Symbol::new("BTCUSDT").unwrap()
        );
        assert_eq!(Symbol::new("btcusdt").unwrap().as_str(), "BTCUSDT");
        assert_eq!(Symbol::new("BTCUSDT").unwrap().lower(), "btcusdt");
        assert!(Symbol::new("").is_err());
        assert!(Symbol::new("BTC/USDT").is_err());
        assert!(Symbol::new(&"A".repeat(24)).is_err());
    }
}
