//! `[news]`: which feeds, how often, how much, and which scorer.

use serde::{Deserialize, Serialize};

use crate::domain::check::{Invalid, in_range, is_http_url};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewsConfig {
    pub feeds: Vec<String>,
    pub interval_secs: u64,
    /// Whole-request timeout for one feed.
    pub timeout_secs: u64,
    /// Bodies larger than this are refused (a feed is text; megabytes mean something is wrong).
    pub max_body_bytes: u64,
    /// At most this many items are taken from one feed per poll (the newest): a feed that
    /// invents new items on every poll cannot flood the store.
    pub max_items_per_feed: usize,
    /// Stored news older than this many days is deleted after each poll.
    pub retention_days: u32,
    /// The headline scorer: "model" (trained on labelled crypto headlines) or "vader".
    pub sentiment: String,
}

impl Default for NewsConfig {
    fn default() -> Self {
        NewsConfig {
            feeds: vec![
                "https://www.coindesk.com/arc/outboundfeeds/rss/".into(),
                "https://cointelegraph.com/rss".into(),
            ],
            interval_secs: 120,
            timeout_secs: 15,
            max_body_bytes: 5 * 1024 * 1024,
            max_items_per_feed: 100,
            retention_days: 90,
            sentiment: "model".into(),
        }
    }
}

impl NewsConfig {
    /// `[news]`: web feeds, bounds, a known scorer.
    pub fn validate(&self) -> Result<(), Invalid> {
        if let Some(f) = self.feeds.iter().find(|f| !is_http_url(f)) {
            return Err((
                "news.feeds".into(),
                format!("{f:?} must start with http:// or https://"),
            ));
        }
        in_range("news.interval_secs", self.interval_secs, 1, 86_400)?;
        in_range("news.timeout_secs", self.timeout_secs, 1, 600)?;
        in_range("news.max_body_bytes", self.max_body_bytes, 1024, 64 << 20)?;
        in_range(
            "news.max_items_per_feed",
            self.max_items_per_feed as u64,
            1,
            10_000,
        )?;
        in_range("news.retention_days", self.retention_days.into(), 1, 36_500)?;
        if !matches!(self.sentiment.as_str(), "model" | "vader") {
            return Err((
                "news.sentiment".into(),
                format!("{:?}: expected \"model\" or \"vader\"", self.sentiment),
            ));
        }
        Ok(())
    }
}
