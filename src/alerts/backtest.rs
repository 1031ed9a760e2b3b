//! `alerts test`: every rule replayed over stored history by the same engine the live path
//! runs. Price rules read each closed candle's high and low, indicator rules its close, news
//! rules the stored items, all in time order; firings carry the candle's close time (or the
//! item's publication time). Perp rules read the stored derivatives: each minute's state as it
//! stood at the minute's end (so a funding or basis excursion that reverted within a minute is
//! not seen) and every stored liquidation, decided at their own times. Portfolio rules read
//! the ledger valued at every `[portfolio] snapshot_minutes` (a collector values it every
//! minute), each valuation as the collector's at that time would be. Stale and spread rules
//! need the trade-by-trade clock of a live stream and are not replayed.

use super::AlertSetup;
use super::{Condition, Decision, Engine, Firing, Rule};
use crate::domain::{Candle, DerivEvent, DerivSample, DerivState, Liquidation, Millis, SeriesKey};
use crate::store::{Store, StoreError};

/// What a replay covered.
#[derive(Debug, Default)]
pub struct Replay {
    pub firings: Vec<Firing>,
    pub candles: u64,
    pub news: u64,
    /// Stored minute states and liquidations of perps read for their rules.
    pub deriv_samples: u64,
    pub liquidations: u64,
    /// Valuations of the ledger read for the portfolio rules.
    pub valuations: u64,
    /// Why the portfolio rules were not replayed (a ledger that cannot be valued).
    pub portfolio_error: Option<String>,
    /// Rules that cannot be replayed (stale, spread), by name.
    pub skipped: Vec<String>,
}

/// Candles read per store call: memory stays flat however long the history.
const CHUNK_CANDLES: i64 = 50_000;
/// Derivatives read per store call: a span of this many minutes.
const CHUNK_MINUTES: i64 = 50_000;

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
    let portfolio = setup
        .portfolio
        .clone()
        .filter(|_| rules.iter().any(|r| r.condition.on_portfolio()));
    let mut perps: Vec<_> = rules
        .iter()
        .filter(|r| r.condition.on_derivatives())
        .filter_map(|r| r.symbol)
        .collect();
    perps.sort();
    perps.dedup();
    let stored = store.call(|b| b.series_keys()).await?;
    let perps: Vec<_> = perps
        .into_iter()
        .map(|p| (p, spot_reference(setup, &rules, p, &stored)))
        .collect();
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
    for (symbol, reference) in perps {
        let mut state = None;
        let step = CHUNK_MINUTES * 60_000;
        let mut at = from;
        while at <= to {
            let end = at.saturating_add(step - 1).min(to);
            let samples = store
                .call(move |b| b.deriv_samples(symbol, at, end))
                .await?;
            let liquidations = store.call(move |b| b.liquidations(symbol, at, end)).await?;
            let spot = match reference {
                // From the candle under the chunk's first minute on.
                Some(key) => {
                    let first = at.saturating_sub(key.timeframe.millis());
                    Some((key, store.candles(key, first, end).await?))
                }
                None => None,
            };
            let spot = spot.as_ref().map(|(k, c)| (*k, c.as_slice()));
            r.derivs(&samples, &liquidations, spot, &mut state);
            at = match end.checked_add(1) {
                Some(next) => next,
                None => break,
            };
        }
    }
    if let Some((settings, step)) = portfolio {
        let figures = store
            .call(move |b| crate::portfolio::figures_over(b, &settings, from, to, step))
            .await?;
        match figures {
            Ok(figures) => r.portfolio(&figures),
            Err(e) => r.replay.portfolio_error = Some(e.to_string()),
        }
    }
    if news_rules {
        let mut items = store.recent_news(usize::MAX >> 1, None).await?;
        items.retain(|n| n.published_at >= from && n.published_at <= to);
        items.sort_by_key(|n| n.published_at);
        r.news(&items);
    }
    Ok(r.finish())
}

/// The stored series a `basis_spot_bps` rule on `perp` reads: its `[market] basis`
/// reference in the shortest timeframe the store holds (`None`: no such rule, or nothing
/// stored).
fn spot_reference(
    setup: &AlertSetup,
    rules: &[Rule],
    perp: crate::domain::Symbol,
    stored: &[SeriesKey],
) -> Option<SeriesKey> {
    rules
        .iter()
        .any(|r| r.symbol == Some(perp) && matches!(r.condition, Condition::SpotBasis { .. }))
        .then_some(())?;
    let (_, spot) = setup.basis.iter().find(|(p, _)| *p == perp)?;
    stored
        .iter()
        .filter(|k| k.symbol == *spot)
        .min_by_key(|k| k.timeframe.millis())
        .copied()
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
            .filter(|r| {
                matches!(
                    r.condition,
                    Condition::Stale { .. } | Condition::Spread { .. }
                ) || (r.condition.on_portfolio() && setup.portfolio.is_none())
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
            )
            .with_spot_basis(setup.basis.iter().copied()),
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

    /// One perp's stored minute states and liquidations (each ascending), in time order;
    /// `state` carries its merged state from one call to the next. `spot`: its basis
    /// reference's candles (ascending), each noted before the states of its own interval.
    pub fn derivs(
        &mut self,
        samples: &[DerivSample],
        liquidations: &[Liquidation],
        spot: Option<(SeriesKey, &[Candle])>,
        state: &mut Option<DerivState>,
    ) {
        let (spot_key, mut spot) = match spot {
            Some((k, c)) => (Some(k), c),
            None => (None, &[][..]),
        };
        let mut events: Vec<DerivEvent> = samples
            .iter()
            .map(|s| DerivEvent::Update(s.update))
            .chain(liquidations.iter().map(|l| DerivEvent::Liquidation(*l)))
            .collect();
        events.sort_by_key(|e| match e {
            DerivEvent::Update(u) => u.time,
            DerivEvent::Liquidation(l) => l.time,
        });
        for ev in &events {
            let at = match ev {
                DerivEvent::Update(u) => {
                    while let (Some(key), Some((c, rest))) = (spot_key, spot.split_first())
                        && c.open_time <= u.time
                    {
                        self.engine.note_reference(key, c);
                        spot = rest;
                    }
                    match state {
                        Some(s) => s.apply(u),
                        None => *state = Some(DerivState::new(*u)),
                    }
                    self.replay.deriv_samples += 1;
                    u.time
                }
                DerivEvent::Liquidation(l) => {
                    self.replay.liquidations += 1;
                    l.time
                }
            };
            self.engine.on_deriv(ev, state.as_ref(), at, &mut self.out);
        }
        self.collect();
    }

    /// The ledger's valuations (ascending), each decided at its own time.
    pub fn portfolio(&mut self, figures: &[crate::domain::PortfolioFigures]) {
        for f in figures {
            self.engine.on_portfolio(f, f.time, &mut self.out);
            self.replay.valuations += 1;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::rule::Repeat;
    use crate::domain::{Channel, DerivUpdate, PositionSide, Price, Qty, Quote, Symbol, Timeframe};

    fn rule(name: &str, when: &str) -> Rule {
        Rule {
            name: name.into(),
            symbol: Symbol::new("bybit-perp:BTCUSDT").ok(),
            timeframe: Timeframe::M1,
            when: when.into(),
            condition: Condition::parse(when).unwrap(),
            repeat: Repeat::Once,
            rearm_secs: 0,
            notify: vec![Channel::Bell],
        }
    }

    /// Liquidations summed over their window and open interest's change, across two chunks
    /// of stored history (the state and windows carry over), each fired once at its time.
    #[test]
    fn stored_derivatives_replay_across_chunks() {
        let perp = Symbol::new("bybit-perp:BTCUSDT").unwrap();
        let rules = vec![
            rule("liq", "liquidations > 100000 in 5 m"),
            rule("oi", "oi_change_pct > 2 in 10 m"),
        ];
        let mut r = Replayer::new(&AlertSetup::default(), rules, 0);
        let minute = |m: i64, oi: i64| {
            let mut u = DerivUpdate::new(perp, m * 60_000 + 59_000);
            u.open_interest = Some(Quote::from_int(oi));
            DerivSample {
                minute: m * 60_000,
                update: u,
            }
        };
        let liq = |m: i64, qty: &str| Liquidation {
            symbol: perp,
            time: m * 60_000 + 30_000,
            side: PositionSide::Long,
            price: Price::from_int(60_000),
            qty: Qty::parse(qty).unwrap(),
            sampled: false,
        };
        let mut state = None;
        let first: Vec<_> = (0..10).map(|m| minute(m, 1000)).collect();
        r.derivs(&first, &[liq(8, "1")], None, &mut state);
        let second: Vec<_> = (10..20).map(|m| minute(m, 1000 + (m - 9) * 5)).collect();
        r.derivs(&second, &[liq(11, "0.5"), liq(12, "0.4")], None, &mut state);
        let done = r.finish();
        let fired: Vec<_> = done
            .firings
            .iter()
            .map(|f| (f.alert.as_str(), f.trigger_time / 1000))
            .collect();
        // 60k + 30k + 24k over 5 minutes passes 100k at the third; open interest is up 2.5 %
        // on ten minutes before at minute 14 (1025 against 1000; 2.0 % at 13 is not over).
        assert_eq!(fired, vec![("liq", 12 * 60 + 30), ("oi", 14 * 60 + 59)]);
        assert_eq!((done.deriv_samples, done.liquidations), (20, 3));
        assert!(done.skipped.is_empty());
    }
}
