//! What Binance's file names say: `BTCUSDT-aggTrades-2024-01-01.zip`, `BTCUSDT-1h-2024-01.csv`.

use std::path::Path;

use super::FileKind;
use crate::domain::{Symbol, Timeframe};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileName {
    pub symbol: Option<Symbol>,
    pub kind: Option<FileKind>,
    pub timeframe: Option<Timeframe>,
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
        let mut parts = stem.split('-');
        let symbol = parts.next().and_then(|s| Symbol::new(s).ok());
        let (kind, timeframe) = match parts.next() {
            Some(p) if p.eq_ignore_ascii_case("aggTrades") => (Some(FileKind::AggTrades), None),
            Some(p) if p.eq_ignore_ascii_case("trades") => (Some(FileKind::Trades), None),
            Some(p) => match Timeframe::parse(p) {
                Ok(tf) => (Some(FileKind::Klines), Some(tf)),
                Err(_) => (None, None),
            },
            None => (None, None),
        };
        FileName {
            symbol,
            kind,
            timeframe,
        }
    }
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
    }
}
