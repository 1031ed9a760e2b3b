//! What Binance's file names say: `BTCUSDT-aggTrades-2024-01-01.zip`, `BTCUSDT-1h-2024-01.csv`.

use std::path::Path;

use super::FileKind;
use crate::domain::{Millis, Symbol, Timeframe};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileName {
    /// Taken only from a name of Binance's own form (`SYMBOL-KIND-DATE`): `mytrades.csv` names
    /// no symbol, so the user must say it.
    pub symbol: Option<Symbol>,
    pub kind: Option<FileKind>,
    pub timeframe: Option<Timeframe>,
    /// The UTC day or month a Binance file covers whole, as `[start, end)` in ms: every candle
    /// that ends by `end` is complete when the file is.
    pub period: Option<(Millis, Millis)>,
}

impl FileName {
    pub fn parse(path: &Path) -> FileName {
        let stem = path
            .file_name()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .split('.')
            .next()
            .unwrap_or("");
        let mut parts = stem.splitn(3, '-');
        let (Some(symbol), Some(kind), Some(date)) = (parts.next(), parts.next(), parts.next())
        else {
            return FileName::default();
        };
        let (kind, timeframe) = if kind.eq_ignore_ascii_case("aggTrades") {
            (FileKind::AggTrades, None)
        } else if kind.eq_ignore_ascii_case("trades") {
            (FileKind::Trades, None)
        } else if let Ok(tf) = Timeframe::parse(kind) {
            (FileKind::Klines, Some(tf))
        } else {
            return FileName::default();
        };
        let Some(period) = period(date) else {
            return FileName::default();
        };
        // Binance spells its symbols in capitals and digits only.
        let binance_like = !symbol.is_empty()
            && symbol
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        FileName {
            symbol: binance_like.then(|| Symbol::new(symbol).ok()).flatten(),
            kind: Some(kind),
            timeframe,
            period: Some(period),
        }
    }
}

/// `2024-01-01` (a daily file) or `2024-01` (a monthly one) as `[start, end)` in UTC ms.
fn period(date: &str) -> Option<(Millis, Millis)> {
    use chrono::{Months, NaiveDate};
    let (start, end) = match date.len() {
        10 => {
            let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
            (d, d.succ_opt()?)
        }
        7 => {
            let d = NaiveDate::parse_from_str(&format!("{date}-01"), "%Y-%m-%d").ok()?;
            (d, d.checked_add_months(Months::new(1))?)
        }
        _ => return None,
    };
    let ms = |d: NaiveDate| Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
    Some((ms(start)?, ms(end)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binance_names() {
        let n = FileName::parse(Path::new("/x/BTCUSDT-aggTrades-2024-01-01.zip"));
        assert_eq!(n.symbol.unwrap().as_str(), "BTCUSDT");
        assert_eq!(n.kind, Some(FileKind::AggTrades));
        let n = FileName::parse(Path::new("ETHUSDT-1h-2024-01.csv"));
        assert_eq!(
            (n.kind, n.timeframe),
            (Some(FileKind::Klines), Some(Timeframe::H1))
        );
        let n = FileName::parse(Path::new("BNBBTC-trades-2024-01-01.csv"));
        assert_eq!(n.kind, Some(FileKind::Trades));
        let n = FileName::parse(Path::new("my data.csv"));
        assert_eq!(n, FileName::default());
        assert_eq!(n.period, None);
    }

    #[test]
    fn only_binance_names_give_a_symbol() {
        for name in [
            "mytrades.csv",
            "my-trades.csv",
            "BTCUSDT.csv",
            "btcusdt-trades-2024-01-01.csv",
            "BTCUSDT-trades-latest.csv",
            "BTCUSDT-trades-2024-13-01.csv",
            "BTCUSDT-fills-2024-01-01.csv",
        ] {
            assert_eq!(FileName::parse(Path::new(name)).symbol, None, "{name}");
        }
        let day = FileName::parse(Path::new("BTCUSDT-trades-2024-01-31.zip"));
        let jan31 = 1_706_659_200_000;
        assert_eq!(day.period, Some((jan31, jan31 + 86_400_000)));
        let month = FileName::parse(Path::new("BTCUSDT-1m-2024-02.csv"));
        let feb1 = jan31 + 86_400_000;
        assert_eq!(
            month.period,
            Some((feb1, feb1 + 29 * 86_400_000)),
            "a leap year"
        );
    }
}
