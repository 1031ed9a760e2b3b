//! `alerts test`: every rule replayed over stored history by the same engine the live path
//! runs. Price rules read each closed candle's high and low, indicator rules its close, news
//! rules the stored items, all in time order; firings carry the candle's close time (or the
//! item's publication time). Stale and spread rules need the trade-by-trade clock of a live
//! stream and are not replayed.

use super::{Condition, Decision, Engine, Firing, Rule};
use crate::config::Config;
use crate::domain::{Candle, Millis, SeriesKey, now_ms};
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

/// Replays `config`'s rules over what `store` holds between `from` and `to`.
pub async fn replay(
    config: &Config,
    store: &Store,
    from: Millis,
    to: Millis,
) -> Result<Replay, StoreError> {
    let rules = config.alert_rules().unwrap_or_default();
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
    let mut series = Vec::new();
    for key in keys {
        series.push((key, store.candles(key, from, to).await?));
    }
    let news = if rules
        .iter()
        .any(|r| matches!(r.condition, Condition::Sentiment { .. }))
    {
        let mut items = store.recent_news(usize::MAX >> 1, None).await?;
        items.retain(|n| n.published_at >= from && n.published_at <= to);
        items.sort_by_key(|n| n.published_at);
        items
    } else {
        Vec::new()
    };
    Ok(run(config, rules, &series, &news, from))
}

/// The pure part: candles of each series (ascending) and news, merged in time order.
pub fn run(
    config: &Config,
    rules: Vec<Rule>,
    series: &[(SeriesKey, Vec<Candle>)],
    news: &[crate::domain::NewsItem],
    start: Millis,
) -> Replay {
    let skipped = rules
        .iter()
        .filter(|r| {
            matches!(
                r.condition,
                Condition::Stale { .. } | Condition::Spread { .. }
            )
        })
        .map(|r| r.name.clone())
        .collect();
    let mut engine = Engine::new(
        rules,
        config.indicators,
        config.market.composites(),
        config.market.series_symbols(),
        start,
    );
    // (time, order, what): candles at their close time, news at publication.
    let mut events: Vec<(Millis, usize, usize)> = Vec::new();
    for (s, (key, candles)) in series.iter().enumerate() {
        for (i, c) in candles.iter().enumerate().filter(|(_, c)| c.closed) {
            events.push((c.close_time(key.timeframe), s, i));
        }
    }
    let news_tag = series.len();
    for (i, n) in news.iter().enumerate() {
        events.push((n.published_at, news_tag, i));
    }
    events.sort_unstable();
    let decided = now_ms();
    let mut out = Vec::new();
    let mut replay = Replay {
        skipped,
        ..Replay::default()
    };
    for (_, s, i) in events {
        if s == news_tag {
            engine.on_news(&news[i], decided, &mut out);
            replay.news += 1;
        } else {
            let (key, candles) = &series[s];
            engine.on_candle_extremes(*key, &candles[i], decided, &mut out);
            engine.on_candle(*key, &candles[i], decided, &mut out);
            replay.candles += 1;
        }
    }
    replay.firings = out
        .into_iter()
        .filter_map(|d| match d {
            Decision::Fired(f, _) => Some(f),
            Decision::State(..) => None,
        })
        .collect();
    replay
}
