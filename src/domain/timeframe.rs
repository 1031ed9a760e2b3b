//! Candle intervals. Buckets are aligned to the Unix epoch in UTC, as Binance's klines are.

use std::fmt;

use super::Millis;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeframeError {
    #[error("unknown timeframe {0:?} (expected one of 1m, 5m, 15m, 1h, 1d)")]
    Unknown(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timeframe {
    M1,
    M5,
    M15,
    H1,
    D1,
}

impl Timeframe {
    pub const ALL: [Timeframe; 5] = [
        Timeframe::M1,
        Timeframe::M5,
        Timeframe::M15,
        Timeframe::H1,
        Timeframe::D1,
    ];

    pub const fn millis(self) -> Millis {
        match self {
            Timeframe::M1 => 60_000,
            Timeframe::M5 => 300_000,
            Timeframe::M15 => 900_000,
            Timeframe::H1 => 3_600_000,
            Timeframe::D1 => 86_400_000,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Timeframe::M1 => "1m",
            Timeframe::M5 => "5m",
            Timeframe::M15 => "15m",
            Timeframe::H1 => "1h",
            Timeframe::D1 => "1d",
        }
    }

    /// Position in [`Timeframe::ALL`], for per-timeframe arrays.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Open time of the bucket holding `t` (floor, also for times before 1970).
    #[inline]
    pub const fn bucket(self, t: Millis) -> Millis {
        t.div_euclid(self.millis()) * self.millis()
    }

    pub fn parse(s: &str) -> Result<Self, TimeframeError> {
        Self::ALL
            .into_iter()
            .find(|tf| tf.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| TimeframeError::Unknown(s.to_string()))
    }
}

impl fmt::Display for Timeframe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Timeframe {
    type Err = TimeframeError;
    fn from_str(s: &str) -> Result<Self, TimeframeError> {
        Timeframe::parse(s)
    }
}

impl serde::Serialize for Timeframe {
    fn serialize<Z: serde::Serializer>(&self, s: Z) -> Result<Z::Ok, Z::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Timeframe {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timeframe::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_floor_to_interval() {
        assert_eq!(Timeframe::M1.bucket(1_570_752_011_620), 1_570_752_000_000);
        assert_eq!(Timeframe::M5.bucket(1_570_752_299_999), 1_570_752_000_000);
        assert_eq!(Timeframe::D1.bucket(1_570_838_399_999), 1_570_752_000_000);
        assert_eq!(Timeframe::M1.bucket(-1), -60_000);
    }

    #[test]
    fn parses_names() {
        assert_eq!(Timeframe::parse("15m").unwrap(), Timeframe::M15);
        assert_eq!(Timeframe::parse("1H").unwrap(), Timeframe::H1);
        assert!(Timeframe::parse("2m").is_err());
        for tf in Timeframe::ALL {
            assert_eq!(Timeframe::ALL[tf.index()], tf);
        }
    }
}
