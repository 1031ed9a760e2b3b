//! The venues cryptoviz speaks to, and what each promises about its trades: plain facts every
//! layer may read. How to talk to a venue is `exchange`'s (its folder and registry entry).

use std::fmt;

/// Where a series comes from. `Composite` is ours: trades of several venues merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Venue {
    Binance = 0,
    Coinbase = 1,
    Kraken = 2,
    Bybit = 3,
    Okx = 4,
    Composite = 5,
}

/// How trade ids prove that nothing was missed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Continuity {
    /// Each record's id is the previous one + 1 (Binance trades and aggTrades, Coinbase,
    /// Kraken v2, OKX `trades-all`).
    Ids,
    /// Ids count fills and a record stands for `count` of them ending at its id (OKX `trades`).
    IdsByCount,
    /// Ids are not documented as contiguous (Bybit): only reconnects and silence reveal gaps.
    None,
}

/// What the venue's own candles show for an interval without trades.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmptyIntervals {
    /// A zero-volume candle at the previous close (Binance, Kraken, OKX, Bybit).
    Flat,
    /// No candle at all (Coinbase).
    Omitted,
}

impl Venue {
    /// Every venue with a market of its own, in the order menus and reports list them.
    pub const EXCHANGES: [Venue; 5] = [
        Venue::Binance,
        Venue::Coinbase,
        Venue::Kraken,
        Venue::Bybit,
        Venue::Okx,
    ];
    /// Whether the venue's REST candles leave out the quote volume (Coinbase's
    /// `[time, low, high, open, close, volume]`; Kraken's OHLC gives a rounded vwap instead).
    pub fn klines_lack_quote_volume(self) -> bool {
        matches!(self, Venue::Coinbase | Venue::Kraken)
    }

    /// Whether the venue's REST candles leave out the trade count (Coinbase, Bybit, OKX).
    pub fn klines_lack_trades(self) -> bool {
        matches!(self, Venue::Coinbase | Venue::Bybit | Venue::Okx)
    }

    /// What a bare symbol (`BTCUSDT`) means: the venue of cryptoviz's first release.
    pub const DEFAULT: Venue = Venue::Binance;

    pub fn name(self) -> &'static str {
        match self {
            Venue::Binance => "binance",
            Venue::Coinbase => "coinbase",
            Venue::Kraken => "kraken",
            Venue::Bybit => "bybit",
            Venue::Okx => "okx",
            Venue::Composite => "composite",
        }
    }

    /// Case-insensitive.
    pub fn parse(s: &str) -> Option<Venue> {
        let s = s.to_ascii_lowercase();
        [
            Venue::Binance,
            Venue::Coinbase,
            Venue::Kraken,
            Venue::Bybit,
            Venue::Okx,
            Venue::Composite,
        ]
        .into_iter()
        .find(|v| v.name() == s)
    }

    pub(crate) fn from_u8(b: u8) -> Venue {
        match b {
            1 => Venue::Coinbase,
            2 => Venue::Kraken,
            3 => Venue::Bybit,
            4 => Venue::Okx,
            5 => Venue::Composite,
            _ => Venue::Binance,
        }
    }

    pub fn continuity(self) -> Continuity {
        match self {
            Venue::Binance | Venue::Coinbase | Venue::Kraken => Continuity::Ids,
            Venue::Okx => Continuity::IdsByCount,
            Venue::Bybit | Venue::Composite => Continuity::None,
        }
    }

    pub fn empty_intervals(self) -> EmptyIntervals {
        match self {
            Venue::Coinbase | Venue::Composite => EmptyIntervals::Omitted,
            _ => EmptyIntervals::Flat,
        }
    }

    /// Whether `b` (upper-cased already or not) is spelt the way this venue writes markets:
    /// `BTCUSDT` on Binance and Bybit, `BTC-USD` on Coinbase and OKX, `BTC/USD` on Kraken.
    pub fn spells(self, b: &[u8]) -> bool {
        let sep: &[u8] = match self {
            Venue::Binance | Venue::Bybit => b"",
            Venue::Coinbase | Venue::Okx => b"-",
            Venue::Kraken => b"/",
            Venue::Composite => b"-/_.",
        };
        b.iter()
            .all(|c| c.is_ascii_alphanumeric() || sep.contains(c))
    }

    /// Three letters for narrow columns.
    pub fn short(self) -> &'static str {
        match self {
            Venue::Binance => "BIN",
            Venue::Coinbase => "CB",
            Venue::Kraken => "KRK",
            Venue::Bybit => "BYB",
            Venue::Okx => "OKX",
            Venue::Composite => "CMP",
        }
    }
}

impl fmt::Display for Venue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for v in Venue::EXCHANGES.into_iter().chain([Venue::Composite]) {
            assert_eq!(Venue::parse(v.name()), Some(v));
            assert_eq!(Venue::parse(&v.name().to_uppercase()), Some(v));
            assert_eq!(Venue::from_u8(v as u8), v);
        }
        assert_eq!(Venue::parse("ftx"), None);
    }
}
