//! The JSON report of SPEC §3 (`export` and the dashboard's `e` key).

pub mod derivs;

use serde::Serialize;

pub use crate::domain::rfc3339;
use crate::domain::{Candle, Millis, NewsItem, Price, Qty, Quote, Sentiment, SeriesKey};

pub const SCHEMA: &str = "cryptoviz.report/v1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Live,
    Demo,
    Offline,
}

#[derive(Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub generated_at: String,
    pub version: &'static str,
    pub mode: Mode,
    pub series: Vec<SeriesReport>,
    pub news: Vec<NewsReport>,
    pub alerts: AlertsReport,
    pub health: serde_json::Value,
    pub metrics: serde_json::Value,
    pub activity_log: Vec<serde_json::Value>,
    /// The user's holdings at the report's end (SPEC §6), when a ledger is stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portfolio: Option<crate::portfolio::report::PortfolioReport>,
}

/// The report's `alerts`: the rules of its series and every recorded firing of them in its
/// time range.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AlertsReport {
    pub rules: Vec<RuleReport>,
    pub fired: Vec<crate::alerts::Firing>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RuleReport {
    pub name: String,
    /// Canonical; `null` for a news rule on any watched coin.
    pub symbol: Option<String>,
    pub when: String,
}

impl AlertsReport {
    /// The rules that watch one of `symbols` (news rules without a symbol always), and the
    /// firings of those rules on those symbols.
    pub fn of(
        rules: &[crate::alerts::Rule],
        firings: impl IntoIterator<Item = crate::alerts::Firing>,
        symbols: &[crate::domain::Symbol],
    ) -> AlertsReport {
        let rules: Vec<RuleReport> = rules
            .iter()
            .filter(|r| r.symbol.is_none_or(|s| symbols.contains(&s)))
            .map(|r| RuleReport {
                name: r.name.clone(),
                symbol: r.symbol.map(|s| s.to_string()),
                when: r.when.clone(),
            })
            .collect();
        let names: Vec<String> = symbols.iter().map(|s| s.to_string()).collect();
        let fired = firings
            .into_iter()
            .filter(|f| names.contains(&f.symbol) && rules.iter().any(|r| r.name == f.alert))
            .collect();
        AlertsReport { rules, fired }
    }
}

impl Report {
    pub fn new(mode: Mode, now: Millis) -> Report {
        Report {
            schema: SCHEMA,
            generated_at: rfc3339(now),
            version: env!("CARGO_PKG_VERSION"),
            mode,
            series: Vec::new(),
            news: Vec::new(),
            alerts: AlertsReport::default(),
            health: serde_json::json!({}),
            metrics: serde_json::json!({}),
            activity_log: Vec::new(),
            portfolio: None,
        }
    }
}

/// The last `n` events of a cryptoviz log file as the report's `activity_log` entries
/// (`{at, level, message}`); lines that are not log events are skipped.
/// A report's file name, the same from `export` and the dashboard's `e`:
/// `cryptoviz-report-[SYMBOL-TF-]STAMP.json`, the series named when there is one (a symbol
/// never becomes a path as it is, `kraken:BTC/USD`: only `[A-Za-z0-9_-]`).
pub fn file_name(series: Option<SeriesKey>, now: Millis) -> String {
    let stamp = chrono::DateTime::from_timestamp_millis(now)
        .unwrap_or_default()
        .format("%Y%m%dT%H%M%SZ");
    match series {
        Some(k) => format!(
            "cryptoviz-report-{}-{}-{stamp}.json",
            k.symbol.file_stem(),
            k.timeframe
        ),
        None => format!("cryptoviz-report-{stamp}.json"),
    }
}

pub fn activity_from_log(text: &str, n: usize) -> Vec<serde_json::Value> {
    let events: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|line| {
            let (at, rest) = line.split_once(char::is_whitespace)?;
            chrono::DateTime::parse_from_rfc3339(at).ok()?;
            let (level, message) = rest.trim_start().split_once(char::is_whitespace)?;
            matches!(level, "ERROR" | "WARN" | "INFO" | "DEBUG" | "TRACE")
                .then(|| serde_json::json!({"at": at, "level": level, "message": message.trim()}))
        })
        .collect();
    let skip = events.len().saturating_sub(n);
    events.into_iter().skip(skip).collect()
}

#[derive(Serialize)]
pub struct SeriesReport {
    /// `binance`, `coinbase`, `kraken`, `bybit`, `okx` or `composite`.
    pub venue: &'static str,
    /// The symbol in the venue's own spelling (`BTC-USD`), the composite's name for a composite.
    pub symbol: String,
    pub timeframe: &'static str,
    pub candles: Vec<CandleReport>,
    pub indicators: ReportIndicators,
    /// A perp's mark, index, funding, open interest and liquidations (SPEC §5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derivatives: Option<derivs::DerivativesReport>,
}

impl SeriesReport {
    pub fn new(
        key: SeriesKey,
        candles: &[Candle],
        params: &crate::indicators::IndicatorParams,
        chosen: &[crate::indicators::spec::Spec],
    ) -> Self {
        let closes: Vec<f64> = candles.iter().map(|c| c.close.to_f64()).collect();
        SeriesReport {
            venue: key.symbol.venue().name(),
            symbol: key.symbol.as_str().to_string(),
            timeframe: key.timeframe.as_str(),
            candles: candles.iter().map(|c| CandleReport::new(c, key)).collect(),
            indicators: ReportIndicators {
                v2: crate::indicators::compute(&closes, params),
                named: crate::indicators::named(chosen, candles),
            },
            derivatives: None,
        }
    }
}

/// v2's keys (`rsi14`, `macd`, …) and, beside them, every chosen indicator by
/// its name (SPEC §8), all aligned with the candles.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReportIndicators {
    #[serde(flatten)]
    pub v2: crate::indicators::IndicatorSet,
    #[serde(flatten)]
    pub named: serde_json::Map<String, serde_json::Value>,
}

/// A candle as the report shows it: decimal strings, exact, no trailing zeros.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct CandleReport {
    pub open_time: Millis,
    pub close_time: Millis,
    pub open: Price,
    pub high: Price,
    pub low: Price,
    pub close: Price,
    pub volume: Qty,
    /// `null` where the venue does not give it (SPEC §3).
    pub quote_volume: Option<Quote>,
    pub trades: Option<u64>,
    pub closed: bool,
}

impl CandleReport {
    pub fn new(c: &Candle, key: SeriesKey) -> Self {
        CandleReport {
            open_time: c.open_time,
            close_time: c.close_time(key.timeframe),
            open: c.open,
            high: c.high,
            low: c.low,
            close: c.close,
            volume: c.volume,
            quote_volume: c.quote_volume,
            trades: c.trades,
            closed: c.closed,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NewsReport {
    pub id: String,
    pub published_at: String,
    pub source: String,
    pub title: String,
    pub link: String,
    pub symbols: Vec<String>,
    pub sentiment: Sentiment,
}

impl From<&NewsItem> for NewsReport {
    fn from(n: &NewsItem) -> Self {
        NewsReport {
            id: n.id.clone(),
            published_at: rfc3339(n.published_at),
            source: n.source.clone(),
            title: n.title.clone(),
            link: n.link.clone(),
            symbols: n.symbols.clone(),
            sentiment: n.title_sentiment,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_comes_from_the_log() {
        let log = "2026-11-22T15:26:14.676226Z  INFO cryptoviz::store: applied migration\n\
                   not a log line\n\
                   2026-11-22T15:26:27.921235Z  WARN cryptoviz::ws: stream lost\n";
        let a = activity_from_log(log, 100);
        assert_eq!(a.len(), 2);
        assert_eq!(a[1]["level"], "WARN");
        assert_eq!(a[1]["message"], "cryptoviz::ws: stream lost");
        assert_eq!(activity_from_log(log, 1).len(), 1);
    }

    #[test]
    fn news_object_has_the_spec_shape() {
        let item = NewsItem {
            id: "g".into(),
            source: "Test Wire".into(),
            feed: "http://x/feed".into(),
            title: "A".into(),
            link: "https://x.example/a".into(),
            published_at: 1_795_355_880_000,
            fetched_at: 1_795_355_900_000,
            summary: "s".into(),
            symbols: vec!["BTC".into()],
            title_sentiment: Sentiment {
                compound: 0.4404,
                pos: 0.3,
                neu: 0.7,
                neg: 0.0,
                label: crate::news::sentiment::Label::Positive,
                scorer: crate::news::sentiment::Scorer::Headlines,
            },
            summary_sentiment: None,
        };
        assert_eq!(
            serde_json::to_string(&NewsReport::from(&item)).unwrap(),
            "{\"id\":\"g\",\"published_at\":\"2026-11-22T13:58:00Z\",\"source\":\"Test Wire\",\
             \"title\":\"A\",\"link\":\"https://x.example/a\",\"symbols\":[\"BTC\"],\
             \"sentiment\":{\"compound\":0.4404,\"pos\":0.3,\"neu\":0.7,\"neg\":0.0,\
             \"label\":\"positive\",\"model\":\"cryptoviz-headlines-1\"}}"
        );
    }
}
