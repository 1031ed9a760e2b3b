use super::Millis;
pub use super::sentiment::Sentiment;

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
