//! `alerts test`: every rule replayed over stored history by the same engine the live path
//! runs. Price rules read each closed candle's high and low, indicator rules its close, news
//! rules the stored items, all in time order; firings carry the candle's close time (or the
//! item's publication time). Stale and spread rules need the trade-by-trade clock of a live
//! stream and are not replayed.

use super::AlertSetup;
use super::{Condition, Decision, Engine, Firing, Rule};
use crate::domain::{Candle, Millis, SeriesKey};
use crate::store::{Store, StoreError};

/// What a replay covered.
#[derive(Debug, Default)]
pub struct Replay {
    pub firings: Vec<Firing>,
    pub candles: u64,
    pub news: u64,
    /// Rules that cannot be replayed (stale, spread), by name.
    pub skipped: Vec<String>,
}

/// Candles read per store call: memory stays flat however long the history.
const CHUNK_CANDLES: i64 = 50_000;

/// Replays every enabled rule (the config's and the dashboard's) over what `store` holds between `from` and `to`. Each rule reads
/// one series (or the news), so series are replayed one after the other, in chunks, and the
/// firings merged by time at the end.
pub async fn replay(
    setup: &AlertSetup,
    store: &Store,
    from: Millis,
    to: Millis,
) -> Result<Replay, StoreError> {
    // The same rules a collector evaluates: the config's and the dashboard's enabled ones.
    let rules = super::deliver::rules(&setup.rules, store).await?;
    let mut keys: Vec<SeriesKey> = rules
        .iter()
        .filter(|r| {
            r.condition.on_closed_candles() || matches!(r.condition, Condition::Price { .. })
        })
        .filter_map(|r| {
            Some(SeriesKey {
                symbol: r.symbol?,
                timeframe: r.timeframe,
            })
        })
        .collect();
    keys.sort();
    keys.dedup();
    let news_rules = rules
        .iter()
        .any(|r| matches!(r.condition, Condition::Sentiment { .. }));
    let mut r = Replayer::new(setup, rules, from);
    for key in keys {
        let step = key.timeframe.millis() * CHUNK_CANDLES;
        let chunks: Vec<(Millis, Millis)> = std::iter::successors(Some(from), |&at| {
            let next = at.saturating_add(step);
            (next <= to && next > at).then_some(next)
        })
        .map(|at| (at, at.saturating_add(step - 1).min(to)))
        .collect();
        // The store thread reads the next chunk while this task replays the current one.
        let mut current = match chunks.first() {
            Some(&(a, b)) => store.candles(key, a, b).await?,
            None => continue,
        };
        for &(a, b) in chunks.iter().skip(1) {
            let (next, ()) =
                tokio::join!(store.candles(key, a, b), async { r.candles(key, &current) });
            current = next?;
        }
        r.candles(key, &current);
    }
    if news_rules {
        let mut items = store.recent_news(usize::MAX >> 1, None).await?;
        items.retain(|n| n.published_at >= from && n.published_at <= to);
        items.sort_by_key(|n| n.published_at);
        r.news(&items);
    }
    Ok(r.finish())
}

/// The pure part: the engine fed stored candles (ascending, one series at a time) and news.
pub struct Replayer {
    engine: Engine,
    out: Vec<Decision>,
    replay: Replay,
}

impl Replayer {
    pub fn new(setup: &AlertSetup, rules: Vec<Rule>, start: Millis) -> Replayer {
        let skipped = rules
            .iter()
            // Stored derivatives are not replayed yet: those rules are reported skipped.
            .filter(|r| {
                matches!(
                    r.condition,
                    Condition::Stale { .. } | Condition::Spread { .. }
                ) || r.condition.on_derivatives()
            })
            .map(|r| r.name.clone())
            .collect();
        Replayer {
            engine: Engine::new(
                rules,
                setup.indicators,
                setup.composites.clone(),
                setup.series.clone(),
                start,
            ),
            out: Vec::new(),
            replay: Replay {
                skipped,
                ..Replay::default()
            },
        }
    }

    /// Closed candles of `key`, in ascending order (open ones are skipped). Each is decided
    /// when it closed, as a live collector would have (a firing's `at` is then the history
    /// the replay reconstructs, the same on every run).
    pub fn candles(&mut self, key: SeriesKey, candles: &[Candle]) {
        for c in candles.iter().filter(|c| c.closed) {
            let decided = c.close_time(key.timeframe) + 1;
            self.engine
                .on_candle_extremes(key, c, decided, &mut self.out);
            self.engine.on_candle(key, c, decided, &mut self.out);
            self.replay.candles += 1;
        }
        self.collect();
    }

    pub fn news(&mut self, items: &[crate::domain::NewsItem]) {
        for n in items {
            // A headline is decided when it was published.
            self.engine.on_news(n, n.published_at, &mut self.out);
            self.replay.news += 1;
        }
        self.collect();
    }

    fn collect(&mut self) {
        self.replay
            .firings
            .extend(self.out.drain(..).filter_map(|d| match d {
                Decision::Fired(f, _) => Some(f),
                Decision::State(..) => None,
            }));
    }

    /// Every firing, by trigger time.
    pub fn finish(mut self) -> Replay {
        self.replay
            .firings
            .sort_by(|a, b| (a.trigger_time, &a.alert).cmp(&(b.trigger_time, &b.alert)));
        self.replay
    }
}
