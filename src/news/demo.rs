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

/// The simulated market's prices the headlines speak of (`{btc_past}` and the like in the
/// bundled text), so the demo's news fits its chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DemoLevels {
    pub btc: f64,
    pub eth: f64,
}

impl Default for DemoLevels {
    /// Where the simulated market starts.
    fn default() -> Self {
        DemoLevels {
            btc: 100_900.0,
            eth: 3_375.0,
        }
    }
}

impl DemoLevels {
    /// The bundled text with its price placeholders filled in.
    fn fill(&self, text: &str) -> String {
        let dollars = |v: f64| {
            let v = v.round() as i64;
            let (th, rest) = (v / 1000, v % 1000);
            if th > 0 {
                format!("${th},{rest:03}")
            } else {
                format!("${rest}")
            }
        };
        let thousands = |v: f64| format!("${}K", (v / 1000.0).round() as i64);
        let step = |v: f64, s: f64, up: bool| {
            let n = v / s;
            (if up { n.ceil() } else { n.floor() }) * s
        };
        text.replace("{btc_past}", &thousands(step(self.btc, 1000.0, false)))
            .replace("{btc_near}", &dollars(step(self.btc * 0.98, 500.0, false)))
            .replace(
                "{btc_calls}",
                &thousands(step(self.btc * 1.2, 5000.0, false)),
            )
            .replace("{eth_below}", &dollars(step(self.eth, 100.0, true)))
    }
}

/// The sample items as of `now_ms`, newest first, enriched, speaking of `levels`.
pub fn demo_items(now_ms: Millis, levels: DemoLevels, enricher: &dyn Enricher) -> Vec<NewsItem> {
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
                title: clean_title(&levels.fill(&e.title)),
                link,
                published_at: now_ms - Millis::from(e.age_min) * 60_000,
                fetched_at: now_ms,
                summary: clean_summary(&levels.fill(&e.summary)),
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
        let items = demo_items(NOW, DemoLevels::default(), &NoEnrichment);
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
        let items = demo_items(NOW, DemoLevels::default(), &mark);
        assert!(items.iter().all(|i| i.symbols == ["BTC"]));
    }

    #[test]
    fn headlines_speak_of_the_markets_prices() {
        let at = |btc, eth| {
            let items = demo_items(NOW, DemoLevels { btc, eth }, &NoEnrichment);
            let text: Vec<String> = items
                .iter()
                .map(|i| format!("{} {}", i.title, i.summary))
                .collect();
            assert!(text.iter().all(|t| !t.contains('{')), "{text:?}");
            text.join("\n")
        };
        let high = at(100_873.5, 3_321.0);
        assert!(high.contains("Bitcoin Surges Past $100K as"), "{high}");
        assert!(high.contains("Ether Slips Below $3,400 as"), "{high}");
        assert!(high.contains("Near $98,500 Ahead"), "{high}");
        assert!(high.contains("Pile Into $120K Calls"), "{high}");
        let low = at(88_120.0, 2_950.0);
        assert!(low.contains("Bitcoin Surges Past $88K as"), "{low}");
        assert!(low.contains("Ether Slips Below $3,000 as"), "{low}");
        assert!(!low.contains("$100K"), "{low}");
    }
}
