//! Scoring and coin tagging for every news item, live or demo, through one [`Enricher`].

use crate::domain::NewsItem;
use crate::news::coins::CoinDetector;
use crate::news::poller::Enricher;
use crate::news::sentiment::{Analyzer, Scorer};

/// The configured sentiment scorer (the headline model by default, or VADER with the crypto
/// lexicon), plus the bundled coin list.
pub struct Scoring {
    analyzer: Analyzer,
    coins: CoinDetector,
    scorer: Scorer,
}

impl Scoring {
    /// The default scorer, the headline model.
    pub fn bundled() -> Self {
        Self::with(Scorer::Headlines)
    }

    pub fn with(scorer: Scorer) -> Self {
        Scoring {
            analyzer: Analyzer::crypto(),
            coins: CoinDetector::bundled(),
            scorer,
        }
    }

    /// The scorer `[news] sentiment` names (validated with the config).
    pub fn from_config(news: &super::settings::NewsConfig) -> Self {
        Self::with(Scorer::parse(&news.sentiment).unwrap_or(Scorer::Headlines))
    }
}

impl Enricher for Scoring {
    fn enrich(&self, item: &mut NewsItem) {
        item.title_sentiment = self.analyzer.score_with(self.scorer, &item.title);
        item.summary_sentiment = (!item.summary.is_empty())
            .then(|| self.analyzer.score_with(self.scorer, &item.summary));
        // Title and summary are judged apart: the shouted-text rule for ambiguous tickers
        // looks at a whole text, and a summary's case says nothing about the title's.
        let mut coins = self.coins.detect(&item.title);
        for c in self.coins.detect(&item.summary) {
            if !coins.contains(&c) {
                coins.push(c);
            }
        }
        coins.sort();
        item.symbols = coins;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn market_words_score_and_coins_are_tagged() {
        let mut item = NewsItem {
            id: "x".into(),
            source: "T".into(),
            feed: "f".into(),
            title: "Bitcoin surges past $100K as ETF inflows hit record".into(),
            link: String::new(),
            published_at: 0,
            fetched_at: 0,
            summary: "Ether and Solana follow.".into(),
            symbols: vec![],
            title_sentiment: Default::default(),
            summary_sentiment: None,
        };
        Scoring::bundled().enrich(&mut item);
        assert!(
            item.title_sentiment.compound > 0.3,
            "{:?}",
            item.title_sentiment
        );
        assert_eq!(item.symbols, ["BTC", "ETH", "SOL"]);
        assert!(item.summary_sentiment.is_some());
    }
}
