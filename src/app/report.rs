//! The JSON report of SPEC §3, as the `e` key writes it: the series on screen with its
//! indicators, the news list, health and the activity log.

use serde::Serialize;

use super::indicators::IndicatorValues;
use super::log::LogEntry;
use crate::domain::{Candle, Millis, NewsItem, Price, Qty, Quote, Sentiment, SeriesKey, Symbol, Timeframe};

pub const SCHEMA: &str = "cryptoviz.report/v1";

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub generated_at: String,
    pub version: &'static str,
    /// "live", "demo" or "offline".
    pub mode: &'static str,
    pub series: Vec<SeriesReport>,
    pub news: Vec<NewsReport>,
    pub health: serde_json::Value,
    pub metrics: serde_json::Value,
    pub activity_log: Vec<LogReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SeriesReport {
    pub symbol: Symbol,
    pub timeframe: Timeframe,
    pub candles: Vec<CandleReport>,
    pub indicators: IndicatorReport,
}

#[derive(Clone, Debug, Serialize)]
pub struct CandleReport {
    pub open_time: Millis,
    pub close_time: Millis,
    pub open: Price,
    pub high: Price,
    pub low: Price,
    pub close: Price,
    pub volume: Qty,
    pub quote_volume: Quote,
    pub trades: u64,
    pub closed: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct IndicatorReport {
    pub rsi14: Vec<Option<f64>>,
    pub momentum10: Vec<Option<f64>>,
    pub macd: MacdReport,
    pub bollinger: BollingerReport,
}

#[derive(Clone, Debug, Serialize)]
pub struct MacdReport {
    pub macd: Vec<Option<f64>>,
    pub signal: Vec<Option<f64>>,
    pub hist: Vec<Option<f64>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BollingerReport {
    pub upper: Vec<Option<f64>>,
    pub middle: Vec<Option<f64>>,
    pub lower: Vec<Option<f64>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct NewsReport {
    pub id: String,
    pub published_at: String,
    pub source: String,
    pub title: String,
    pub link: String,
    pub symbols: Vec<String>,
    pub sentiment: Sentiment,
}

#[derive(Clone, Debug, Serialize)]
pub struct LogReport {
    pub at: String,
    pub level: String,
    pub message: String,
}

/// RFC 3339 UTC with milliseconds, as the report writes every non-candle time.
pub fn rfc3339(t: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(t)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

impl SeriesReport {
    /// `ind` must be aligned with `candles`.
    pub fn new(key: SeriesKey, candles: &[Candle], ind: IndicatorValues) -> SeriesReport {
        SeriesReport {
            symbol: key.symbol,
            timeframe: key.timeframe,
            candles: candles
                .iter()
                .map(|c| CandleReport {
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
                })
                .collect(),
            indicators: IndicatorReport {
                rsi14: ind.rsi,
                momentum10: ind.momentum,
                macd: MacdReport {
                    macd: ind.macd,
                    signal: ind.signal,
                    hist: ind.hist,
                },
                bollinger: BollingerReport {
                    upper: ind.bb_upper,
                    middle: ind.bb_middle,
                    lower: ind.bb_lower,
                },
            },
        }
    }
}

impl From<&NewsItem> for NewsReport {
    fn from(n: &NewsItem) -> NewsReport {
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

impl From<&LogEntry> for LogReport {
    fn from(e: &LogEntry) -> LogReport {
        LogReport {
            at: rfc3339(e.at),
            level: e.level.to_string(),
            message: e.message.clone(),
        }
    }
}

impl Report {
    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut s = serde_json::to_string_pretty(self)?;
        s.push('\n');
        Ok(s)
    }
}
