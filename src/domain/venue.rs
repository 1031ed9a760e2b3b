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
    /// Binance USDⓈ-M perpetual futures.
    BinancePerp = 6,
    /// Bybit v5 `linear` perpetuals.
    BybitPerp = 7,
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
    /// Ids are opaque text (Bybit linear's UUIDs): they tell trades apart and nothing more, so
    /// trades are de-duplicated by id and ordered as the feed delivers them (the venue sends
    /// each push's trades in match order).
    Opaque,
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
    pub const EXCHANGES: [Venue; 7] = [
        Venue::Binance,
        Venue::Coinbase,
        Venue::Kraken,
        Venue::Bybit,
        Venue::Okx,
        Venue::BinancePerp,
        Venue::BybitPerp,
    ];

    /// The spot exchanges (OKX's swaps share its venue: `okx:BTC-USDT-SWAP`).
    pub const SPOT: [Venue; 5] = [
        Venue::Binance,
        Venue::Coinbase,
        Venue::Kraken,
        Venue::Bybit,
        Venue::Okx,
    ];

    /// Whether every market of the venue is a perpetual future (see [`Symbol::is_perp`] for
    /// OKX, whose swaps share the venue with its spot markets).
    ///
    /// [`Symbol::is_perp`]: super::Symbol::is_perp
    pub fn is_perp(self) -> bool {
        matches!(self, Venue::BinancePerp | Venue::BybitPerp)
    }

    /// Whether the venue's REST candles leave out the quote volume (Coinbase's
    /// `[time, low, high, open, close, volume]`; Kraken's OHLC gives a rounded vwap instead).
    pub fn klines_lack_quote_volume(self) -> bool {
        matches!(self, Venue::Coinbase | Venue::Kraken)
    }

    /// Whether the venue's REST candles leave out the trade count (Coinbase, Bybit, OKX).
    pub fn klines_lack_trades(self) -> bool {
        matches!(
            self,
            Venue::Coinbase | Venue::Bybit | Venue::BybitPerp | Venue::Okx
        )
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
            Venue::BinancePerp => "binance-perp",
            Venue::BybitPerp => "bybit-perp",
        }
    }

    /// Case-insensitive.
    pub fn parse(s: &str) -> Option<Venue> {
        let s = s.to_ascii_lowercase();
        Venue::EXCHANGES
            .into_iter()
            .chain([Venue::Composite])
            .find(|v| v.name() == s)
    }

    pub(crate) fn from_u8(b: u8) -> Venue {
        match b {
            1 => Venue::Coinbase,
            2 => Venue::Kraken,
            3 => Venue::Bybit,
            4 => Venue::Okx,
            5 => Venue::Composite,
            6 => Venue::BinancePerp,
            7 => Venue::BybitPerp,
            _ => Venue::Binance,
        }
    }

    pub fn continuity(self) -> Continuity {
        match self {
            // USDⓈ-M aggTrade ids are not documented as contiguous, but they are one
            // sequence per symbol like spot's: a jump is worth a look at the venue's klines.
            Venue::Binance | Venue::BinancePerp | Venue::Coinbase | Venue::Kraken => {
                Continuity::Ids
            }
            Venue::Okx => Continuity::IdsByCount,
            Venue::Bybit | Venue::Composite => Continuity::None,
            Venue::BybitPerp => Continuity::Opaque,
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
            Venue::Binance | Venue::Bybit | Venue::BinancePerp | Venue::BybitPerp => b"",
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
            Venue::BinancePerp => "BNP",
            Venue::BybitPerp => "BYP",
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
