//! Bundled sample news for `--demo`: real-looking headlines (written for cryptoviz, not copied
//! from any outlet) re-timed so they read as the last ~12 hours, and scored by the same
//! enricher as live news so the news panel behaves exactly as it does online.

use serde::Deserialize;

use super::clean::{clean_summary, clean_title};
use super::feed::{canonical_link, fnv1a64};
use super::poller::Enricher;
use crate::domain::{Millis, NewsItem};

/// The `feed` of demo items, so they can never be mistaken for fetched ones.
pub const DEMO_FEED: &str = "demo";

const DEMO_JSON: &str = include_str!("../../assets/demo_news.json");

/// One sample headline; `age_min` places it relative to "now".
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoEntry {
    age_min: u32,
    source: String,
    title: String,
    summary: String,
    link: String,
}

/// The sample items as of `now_ms`, newest first, enriched.
pub fn demo_items(now_ms: Millis, enricher: &dyn Enricher) -> Vec<NewsItem> {
    let entries: Vec<DemoEntry> = match serde_json::from_str(DEMO_JSON) {
        Ok(e) => e,
        Err(e) => {
            // Built into the binary and checked by a test; reaching this is a packaging bug.
            tracing::error!(error = %e, "assets/demo_news.json is invalid");
            return Vec::new();
        }
    };
    let mut items: Vec<NewsItem> = entries
        .into_iter()
        .map(|e| {
            let link = canonical_link(&e.link).unwrap_or_default();
            let mut item = NewsItem {
                id: format!("demo:{:016x}", fnv1a64(e.link.as_bytes())),
                source: clean_title(&e.source),
                feed: DEMO_FEED.to_string(),
                title: clean_title(&e.title),
                link,
                published_at: now_ms - Millis::from(e.age_min) * 60_000,
                fetched_at: now_ms,
                summary: clean_summary(&e.summary),
                symbols: Vec::new(),
                title_sentiment: Default::default(),
                summary_sentiment: None,
            };
            enricher.enrich(&mut item);
            item
        })
        .collect();
    items.sort_by_key(|it| std::cmp::Reverse(it.published_at));
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::news::poller::NoEnrichment;
    use std::collections::HashSet;

    const NOW: Millis = 1_900_000_000_000;

    #[test]
    fn sample_is_current_varied_and_unique() {
        let items = demo_items(NOW, &NoEnrichment);
        assert!(items.len() >= 40, "{}", items.len());
        assert!(items.iter().all(|i| i.published_at <= NOW));
        assert!(items.iter().all(|i| NOW - i.published_at <= 12 * 3_600_000));
        assert!(
            items
                .windows(2)
                .all(|w| w[0].published_at >= w[1].published_at)
        );
        let ids: HashSet<_> = items.iter().map(|i| &i.id).collect();
        assert_eq!(ids.len(), items.len());
        let sources: HashSet<_> = items.iter().map(|i| i.source.as_str()).collect();
        assert_eq!(sources.len(), 3);
        assert!(items.iter().all(|i| i.link.starts_with("https://")));
        assert!(
            items
                .iter()
                .all(|i| !i.summary.is_empty() && !i.title.is_empty())
        );
    }

    #[test]
    fn items_go_through_the_enricher() {
        let mark = |item: &mut NewsItem| item.symbols = vec!["BTC".into()];
        let items = demo_items(NOW, &mark);
        assert!(items.iter().all(|i| i.symbols == ["BTC"]));
    }
}
