//! The news list: newest first, deduplicated by id, filtered to the selected coin or not.

use super::component::{Component, Effect, Outcome};
use super::keymap::Action;
use super::model::Model;
use super::popup::Popup;
use super::theme::Level;
use crate::domain::{Millis, NewsItem, Symbol};

/// Items kept in memory; older ones are still in the store.
pub const NEWS_CAPACITY: usize = 300;

/// The coin of an exchange symbol (BTCUSDT -> BTC); the symbol itself when no quote asset
/// is recognised.
pub fn base_asset(symbol: &Symbol) -> &str {
    crate::news::coins::base_asset(symbol.as_str()).unwrap_or(symbol.as_str())
}

fn mentions(n: &NewsItem, coin: &str) -> bool {
    n.symbols.iter().any(|s| s.eq_ignore_ascii_case(coin))
}

#[derive(Clone, Debug, Default)]
pub struct NewsState {
    /// Newest first.
    items: Vec<NewsItem>,
    /// Show every item instead of only the selected coin's.
    pub all: bool,
    /// Index into the filtered list.
    pub selected: usize,
    /// When items last arrived.
    pub received_at: Option<Millis>,
}

impl Component for NewsState {
    /// Keys while the panel has the focus: Up/Down move the selection, Open opens the
    /// selected item.
    fn on_action(&mut self, a: Action, m: &Model) -> Outcome {
        let coin = m.coin();
        match a {
            Action::Up => self.move_selection(-1, coin),
            Action::Down => self.move_selection(1, coin),
            Action::Open => {
                return match self.selected_item(coin) {
                    Some(n) => Outcome::Then(Effect::Open(Popup::News(n.id.clone()))),
                    None => Outcome::Done,
                };
            }
            _ => return Outcome::Ignored,
        }
        Outcome::Done
    }
}

impl NewsState {
    /// When items last arrived, rated by `freshness.news`.
    pub fn age(&self, m: &Model) -> Option<(i64, Level)> {
        Some(m.age(self.received_at?, m.settings.freshness.news))
    }

    pub fn add(&mut self, items: Vec<NewsItem>, now: Millis) {
        self.received_at = Some(now);
        for item in items {
            match self.items.iter_mut().find(|x| x.id == item.id) {
                Some(existing) => *existing = item,
                None => self.items.push(item),
            }
        }
        self.items
            .sort_by(|a, b| b.published_at.cmp(&a.published_at).then(a.id.cmp(&b.id)));
        self.items.truncate(NEWS_CAPACITY);
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether the panel lists every item: asked for, or nothing mentions `coin` (an empty
    /// panel next to a list of headlines would only hide them).
    pub fn showing_all(&self, coin: &str) -> bool {
        self.all || !self.items.iter().any(|n| mentions(n, coin))
    }

    /// The list as the panel shows it, newest first.
    pub fn visible<'a>(&'a self, coin: &'a str) -> impl Iterator<Item = &'a NewsItem> + 'a {
        let all = self.showing_all(coin);
        self.items.iter().filter(move |n| all || mentions(n, coin))
    }

    pub fn by_id(&self, id: &str) -> Option<&NewsItem> {
        self.items.iter().find(|n| n.id == id)
    }

    pub fn selected_item<'a>(&'a self, coin: &'a str) -> Option<&'a NewsItem> {
        let n = self.visible(coin).count();
        self.visible(coin)
            .nth(self.selected.min(n.saturating_sub(1)))
    }

    pub fn move_selection(&mut self, delta: isize, coin: &str) {
        let n = self.visible(coin).count();
        let cur = self.selected.min(n.saturating_sub(1)) as isize;
        self.selected = (cur + delta).clamp(0, n.saturating_sub(1) as isize) as usize;
    }

    pub fn toggle_all(&mut self) {
        self.all = !self.all;
        self.selected = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Sentiment;

    fn item(id: &str, t: Millis, coins: &[&str]) -> NewsItem {
        NewsItem {
            id: id.into(),
            source: "S".into(),
            feed: "https://f".into(),
            title: id.into(),
            link: "https://l".into(),
            published_at: t,
            fetched_at: t,
            summary: String::new(),
            symbols: coins.iter().map(|c| c.to_string()).collect(),
            title_sentiment: Sentiment::default(),
            summary_sentiment: None,
        }
    }

    #[test]
    fn base_assets() {
        assert_eq!(base_asset(&Symbol::new("BTCUSDT").unwrap()), "BTC");
        assert_eq!(base_asset(&Symbol::new("ethbtc").unwrap()), "ETH");
        assert_eq!(base_asset(&Symbol::new("USDT").unwrap()), "USDT");
        assert_eq!(base_asset(&Symbol::new("BNBFDUSD").unwrap()), "BNB");
    }

    #[test]
    fn dedups_sorts_and_filters() {
        let mut n = NewsState::default();
        n.add(vec![item("a", 1, &["BTC"]), item("b", 3, &["ETH"])], 10);
        n.add(
            vec![item("a", 2, &["BTC"]), item("c", 5, &["BTC", "ETH"])],
            11,
        );
        assert_eq!(n.len(), 3);
        let btc: Vec<_> = n.visible("BTC").map(|x| x.id.as_str()).collect();
        assert_eq!(btc, ["c", "a"]);
        n.move_selection(5, "BTC");
        assert_eq!(n.selected_item("BTC").unwrap().id, "a");
        n.toggle_all();
        let all: Vec<_> = n.visible("BTC").map(|x| x.id.as_str()).collect();
        assert_eq!(all, ["c", "b", "a"]);
        assert_eq!(n.selected_item("BTC").unwrap().id, "c");
        assert_eq!(n.received_at, Some(11));
        n.toggle_all();
        assert!(!n.showing_all("BTC"));
        // Nothing about XRP: the panel falls back to everything rather than going blank.
        assert!(n.showing_all("XRP"));
        assert_eq!(n.visible("XRP").count(), 3);
    }
}
