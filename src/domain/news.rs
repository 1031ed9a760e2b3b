use serde::{Deserialize, Serialize};

use super::Millis;

/// VADER scores: `compound` in [-1, 1]; `pos`, `neu`, `neg` are shares summing to about 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    pub compound: f64,
    pub pos: f64,
    pub neu: f64,
    pub neg: f64,
}

/// A stored news item. Title and summary are already cleaned of markup and control sequences.
#[derive(Clone, Debug, PartialEq)]
pub struct NewsItem {
    /// Stable identity for deduplication: the guid, else the canonical link, else a title hash.
    pub id: String,
    /// Human name of the source ("CoinDesk").
    pub source: String,
    /// The feed URL it came from.
    pub feed: String,
    pub title: String,
    pub link: String,
    pub published_at: Millis,
    pub fetched_at: Millis,
    pub summary: String,
    /// Coin tickers mentioned ("BTC", "ETH").
    pub symbols: Vec<String>,
    pub title_sentiment: Sentiment,
    pub summary_sentiment: Option<Sentiment>,
}
