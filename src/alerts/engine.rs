//! The alert engine: rules in, decisions out. Pure and synchronous: ingestion feeds it trades,
//! closed candles and the clock, the news path feeds it scored items, `alerts test` feeds it
//! stored candles; none of them does any I/O here.
//!
//! A rule fires when its condition holds while it is armed; firing disarms it. `rearm` rules
//! arm again once the condition has been false continuously for `rearm_secs`, measured in the
//! inputs' own times (trade and candle times), so a replay decides exactly as live did.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use super::rule::{Cmp, Condition, Operand, Repeat, Rule};
use super::{ArmState, Firing};
use crate::domain::Composite;
use crate::domain::{Candle, Millis, NewsItem, SeriesKey, Symbol, Trade};
use crate::indicators::live::{Bar, Live};
use crate::indicators::{Incremental, IndicatorParams, Latest, Which};

/// FNV-1a: the engine looks a series up per candle, and SipHash's protection against
/// crafted keys buys nothing for keys from the config.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// What the caller must persist: a firing (with the rule's state after it, to be stored in
/// the same transaction) or a change of a rule's state alone.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    Fired(Firing, ArmState),
    State(String, ArmState),
}

struct Slot {
    rule: Rule,
    state: ArmState,
}

/// An evaluated value, formatted only when it fires (formatting on every trade would cost
/// more than the rules themselves).
#[derive(Clone, Copy)]
enum Val {
    Price(crate::domain::Price),
    Num(f64),
    /// A spread in basis points, two decimals.
    Bps(f64),
}

impl Val {
    fn text(self) -> String {
        match self {
            Val::Price(p) => p.to_string(),
            Val::Num(v) => decimal(v),
            Val::Bps(v) => format!("{v:.2}"),
        }
    }
}

/// What the closed-candle rules of one series need.
struct Watch {
    /// v2's four, while a rule of this series reads them (one added later starts cold, as a
    /// named indicator does): a series watched for prices or changes steps none.
    indicators: Option<Incremental>,
    /// Indicator values at the previous closed candle (MACD crosses).
    before: Latest,
    /// The SPEC §8 indicators this series' rules name.
    named: Live,
    /// Closes by open time, as far back as the longest `change` window.
    closes: VecDeque<(Millis, f64)>,
    keep_closes: usize,
    /// Volumes of the last candles, for `volume > K x avg(N)`.
    volumes: VecDeque<f64>,
    keep_volumes: usize,
    last_open: Millis,
}

pub struct Engine {
    params: IndicatorParams,
    slots: Vec<Slot>,
    /// The slots reading each series' candles (price and closed-candle rules), so a candle
    /// visits only its own rules.
    of_series: FastMap<SeriesKey, Vec<usize>>,
    series: FastMap<SeriesKey, Watch>,
    /// Last trade price and time per market (stale and spread rules).
    last: HashMap<Symbol, (f64, Millis)>,
    composites: Vec<Composite>,
    /// Markets whose coin a news rule without a symbol watches.
    watched: Vec<Symbol>,
    started: Millis,
    /// Reused for each closed candle's evaluations.
    evals: Vec<(usize, bool, Val)>,
    /// Perps' recent open interest and liquidations, for the windowed perp rules.
    derivs: derivs::Windows,
}

impl Engine {
    /// `watched`: the markets on screen or collected (news rules without a symbol fire for
    /// the first of them whose coin an item mentions).
    pub fn new(
        rules: Vec<Rule>,
        params: IndicatorParams,
        composites: Vec<Composite>,
        watched: Vec<Symbol>,
        now: Millis,
    ) -> Engine {
        let mut engine = Engine {
            params,
            slots: Vec::new(),
            of_series: FastMap::default(),
            series: FastMap::default(),
            last: HashMap::new(),
            composites,
            watched,
            started: now,
            evals: Vec::new(),
            derivs: derivs::Windows::default(),
        };
        for rule in rules {
            engine.add_rule(rule);
        }
        engine
    }

    /// Starts evaluating `rule`, replacing one of the same name (rules made from the
    /// dashboard arrive while the engine runs).
    pub fn add_rule(&mut self, rule: Rule) {
        self.remove_rule(&rule.name);
        let i = self.slots.len();
        if let Some(symbol) = rule.symbol {
            let key = SeriesKey {
                symbol,
                timeframe: rule.timeframe,
            };
            if rule.condition.on_closed_candles() {
                // Indicators start cold for a series no rule watched before.
                self.series.entry(key).or_insert_with(|| Watch {
                    indicators: None,
                    before: Latest::default(),
                    named: Live::new(&[]),
                    closes: VecDeque::new(),
                    keep_closes: 1,
                    volumes: VecDeque::new(),
                    keep_volumes: 0,
                    last_open: Millis::MIN,
                });
                let params = self.params;
                if let Some(w) = self.series.get_mut(&key) {
                    match rule.condition {
                        Condition::Rsi { .. } => w.watch_v2(params, Which::Rsi),
                        Condition::MacdCross { .. } => w.watch_v2(params, Which::Macd),
                        Condition::Bollinger { .. } => w.watch_v2(params, Which::Bands),
                        Condition::Change { window, .. } => {
                            let n = (window / rule.timeframe.millis()).max(1) as usize + 1;
                            w.keep_closes = w.keep_closes.max(n);
                        }
                        Condition::Volume { n, .. } => w.keep_volumes = w.keep_volumes.max(n),
                        Condition::Indicator {
                            ref left,
                            ref right,
                            ..
                        } => w.watch_indicators([&**left, &**right]),
                        _ => {}
                    }
                }
            }
            if rule.condition.on_closed_candles()
                || matches!(rule.condition, Condition::Price { .. })
            {
                self.of_series.entry(key).or_default().push(i);
            }
        }
        self.slots.push(Slot {
            rule,
            state: ArmState::default(),
        });
    }

    /// Stops evaluating the rule named `name` (deleted or disabled).
    pub fn remove_rule(&mut self, name: &str) {
        let Some(i) = self.slots.iter().position(|s| s.rule.name == name) else {
            return;
        };
        self.slots.remove(i);
        for idx in self.of_series.values_mut() {
            idx.retain(|&j| j != i);
            for j in idx.iter_mut() {
                if *j > i {
                    *j -= 1;
                }
            }
        }
    }

    pub fn rules(&self) -> impl Iterator<Item = (&Rule, ArmState)> {
        self.slots.iter().map(|s| (&s.rule, s.state))
    }

    /// The series whose closed candles the rules read, to warm them up from the store.
    pub fn candle_series(&self) -> Vec<SeriesKey> {
        self.series.keys().copied().collect()
    }

    /// Puts back a rule's state saved by an earlier run.
    pub fn restore(&mut self, name: &str, state: ArmState) {
        if let Some(s) = self.slots.iter_mut().find(|s| s.rule.name == name) {
            s.state = state;
        }
    }

    /// Folds in stored closed candles (oldest first) without evaluating anything, so
    /// indicators are warm when live candles arrive.
    pub fn warm(&mut self, key: SeriesKey, candles: &[Candle]) {
        if let Some(w) = self.series.get_mut(&key) {
            for c in candles.iter().filter(|c| c.closed) {
                w.fold(c);
            }
        }
    }

    /// A trade applied by ingestion (duplicates are filtered before).
    #[inline]
    pub fn on_trade(&mut self, t: &Trade, now: Millis, out: &mut Vec<Decision>) {
        let price = t.price.to_f64();
        self.last.insert(t.symbol, (price, t.time));
        for i in 0..self.slots.len() {
            let slot = &self.slots[i];
            let (holds, value) = match &slot.rule.condition {
                Condition::Price { cmp, level } if slot.rule.symbol == Some(t.symbol) => {
                    let holds = match cmp {
                        super::rule::Cmp::Above => t.price > *level,
                        super::rule::Cmp::Below => t.price < *level,
                    };
                    (holds, Val::Price(t.price))
                }
                // A trade is the proof a market is not stale.
                Condition::Stale { .. } if slot.rule.symbol == Some(t.symbol) => {
                    (false, Val::Num(0.0))
                }
                Condition::Spread { bps } => {
                    let Some(c) = self
                        .composites
                        .iter()
                        .find(|c| Some(c.symbol) == slot.rule.symbol)
                    else {
                        continue;
                    };
                    if !c.members.contains(&t.symbol) {
                        continue;
                    }
                    let Some(spread) = spread_bps(c, &self.last, t.time) else {
                        continue;
                    };
                    (spread > *bps, Val::Bps(spread))
                }
                _ => continue,
            };
            let symbol = slot.rule.symbol.unwrap_or(t.symbol);
            self.decide(i, holds, value, symbol, t.time, now, out);
        }
    }

    /// A candle of `key` changed; closed ones are read once each by the closed-candle rules.
    pub fn on_candle(&mut self, key: SeriesKey, c: &Candle, now: Millis, out: &mut Vec<Decision>) {
        self.note_reference(key, c);
        if !c.closed {
            return;
        }
        let Some(w) = self.series.get_mut(&key) else {
            return;
        };
        if c.open_time <= w.last_open {
            return;
        }
        w.fold(c);
        let now_ind = w.indicators.as_ref().map(Incremental::latest);
        let (before, now_ind) = (w.before, now_ind.unwrap_or_default());
        let close = c.close.to_f64();
        let trigger = c.close_time(key.timeframe);
        let mut evals = std::mem::take(&mut self.evals);
        evals.clear();
        let mine = self.of_series.get(&key).map_or(&[][..], |v| v.as_slice());
        for &i in mine {
            let rule = &self.slots[i].rule;
            let eval = match &rule.condition {
                Condition::Rsi { cmp, level } => now_ind.rsi.map(|r| (cmp.holds(r, *level), r)),
                Condition::MacdCross { above } => {
                    match (before.macd, before.signal, now_ind.macd, now_ind.signal) {
                        (Some(pm), Some(ps), Some(m), Some(s)) => {
                            Some((crossed(*above, (pm, ps), (m, s)), m))
                        }
                        _ => None,
                    }
                }
                Condition::Bollinger { above } => {
                    let band = if *above {
                        now_ind.bb_upper
                    } else {
                        now_ind.bb_lower
                    };
                    band.map(|b| (if *above { close > b } else { close < b }, close))
                }
                Condition::Indicator { left, cmp, right } => {
                    let (l, r) = (w.operand(left, false), w.operand(right, false));
                    match &**right {
                        Operand::Level(level) => l.map(|l| (cmp.holds(l, *level), l)),
                        Operand::Series { .. } => {
                            let was = (w.operand(left, true), w.operand(right, true));
                            match (was, l, r) {
                                ((Some(pl), Some(pr)), Some(l), Some(r)) => {
                                    Some((crossed(*cmp == Cmp::Above, (pl, pr), (l, r)), l))
                                }
                                _ => None,
                            }
                        }
                    }
                }
                Condition::Change { cmp, window, pct } => w
                    .closes
                    .iter()
                    .find(|(t, _)| *t == c.open_time - window)
                    .filter(|(_, base)| *base > 0.0)
                    .map(|(_, base)| {
                        let change = (close / base - 1.0) * 100.0;
                        (cmp.holds(change, *pct), change)
                    }),
                Condition::Volume { k, n } => {
                    // The volumes before this candle: all but the newest (this one).
                    let earlier = w.volumes.len().saturating_sub(1);
                    (earlier >= *n).then(|| {
                        let avg =
                            w.volumes.iter().skip(earlier - n).take(*n).sum::<f64>() / *n as f64;
                        let v = c.volume.to_f64();
                        (avg > 0.0 && v > k * avg, v)
                    })
                }
                _ => continue,
            };
            if let Some((holds, value)) = eval {
                evals.push((i, holds, Val::Num(value)));
            }
        }
        for &(i, holds, value) in &evals {
            self.decide(i, holds, value, key.symbol, trigger, now, out);
        }
        self.evals = evals;
    }

    /// A closed candle read as its extremes, for price rules in a backtest: `price > X` holds
    /// when the high is above, `price < X` when the low is below, at the candle's close time.
    pub fn on_candle_extremes(
        &mut self,
        key: SeriesKey,
        c: &Candle,
        now: Millis,
        out: &mut Vec<Decision>,
    ) {
        let trigger = c.close_time(key.timeframe);
        let mut evals = std::mem::take(&mut self.evals);
        evals.clear();
        let mine = self.of_series.get(&key).map_or(&[][..], |v| v.as_slice());
        for &i in mine {
            if let Condition::Price { cmp, level } = &self.slots[i].rule.condition {
                let (holds, value) = match cmp {
                    super::rule::Cmp::Above => (c.high > *level, c.high),
                    super::rule::Cmp::Below => (c.low < *level, c.low),
                };
                evals.push((i, holds, Val::Price(value)));
            }
        }
        for &(i, holds, value) in &evals {
            self.decide(i, holds, value, key.symbol, trigger, now, out);
        }
        self.evals = evals;
    }

    /// A scored news item.
    pub fn on_news(&mut self, item: &NewsItem, now: Millis, out: &mut Vec<Decision>) {
        let mentions = |s: Symbol| {
            crate::news::coins::base_asset(s.as_str())
                .is_some_and(|coin| item.symbols.iter().any(|m| m.eq_ignore_ascii_case(coin)))
        };
        let compound = item.title_sentiment.compound;
        for i in 0..self.slots.len() {
            let rule = &self.slots[i].rule;
            let Condition::Sentiment { cmp, level } = &rule.condition else {
                continue;
            };
            let symbol = match rule.symbol {
                Some(s) if mentions(s) => s,
                Some(_) => continue,
                None => match self.watched.iter().copied().find(|s| mentions(*s)) {
                    Some(s) => s,
                    None => continue,
                },
            };
            let holds = cmp.holds(compound, *level);
            self.decide(
                i,
                holds,
                Val::Num(compound),
                symbol,
                item.published_at,
                now,
                out,
            );
        }
    }

    /// The clock moved on: stale rules.
    pub fn on_tick(&mut self, now: Millis, out: &mut Vec<Decision>) {
        for i in 0..self.slots.len() {
            let rule = &self.slots[i].rule;
            let (Condition::Stale { secs }, Some(symbol)) = (&rule.condition, rule.symbol) else {
                continue;
            };
            let since = self.last.get(&symbol).map_or(self.started, |(_, t)| *t);
            let limit = *secs as Millis * 1000;
            let age = now - since;
            if age > limit {
                let value = Val::Num(age as f64 / 1000.0);
                self.decide(i, true, value, symbol, since + limit, now, out);
            }
        }
    }

    /// Applies one evaluation to rule `i`.
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &mut self,
        i: usize,
        holds: bool,
        value: Val,
        symbol: Symbol,
        at: Millis,
        now: Millis,
        out: &mut Vec<Decision>,
    ) {
        self.decide_on(i, holds, value, symbol.to_string(), at, now, out)
    }

    /// [`Engine::decide`] for a firing named by other than a market (`portfolio`).
    #[allow(clippy::too_many_arguments)]
    fn decide_on(
        &mut self,
        i: usize,
        holds: bool,
        value: Val,
        symbol: String,
        at: Millis,
        now: Millis,
        out: &mut Vec<Decision>,
    ) {
        let slot = &mut self.slots[i];
        let before = slot.state;
        let s = &mut slot.state;
        if holds {
            if s.armed {
                *s = ArmState {
                    armed: false,
                    false_since: None,
                };
                let r = &slot.rule;
                let f = Firing::new(&r.name, symbol, &r.when, value.text(), at, now);
                out.push(Decision::Fired(f, *s));
                return;
            }
            // Rearming needs the condition false *continuously*.
            s.false_since = None;
        } else if !s.armed && slot.rule.repeat == Repeat::Rearm {
            let since = *s.false_since.get_or_insert(at);
            if at - since >= slot.rule.rearm_secs as Millis * 1000 {
                *s = ArmState::default();
            }
        }
        if *s != before {
            out.push(Decision::State(slot.rule.name.clone(), *s));
        }
    }
}

impl Watch {
    /// Computes `w` of v2's four too (the ones computed so far start again, cold, as the
    /// named indicators do when one is added).
    fn watch_v2(&mut self, params: IndicatorParams, w: Which) {
        if self.indicators.as_ref().is_some_and(|i| i.computes(w)) {
            return;
        }
        let mut wanted = vec![w];
        for other in [Which::Rsi, Which::Macd, Which::Bands] {
            if self.indicators.as_ref().is_some_and(|i| i.computes(other)) {
                wanted.push(other);
            }
        }
        self.indicators = Some(Incremental::of(params, &wanted));
    }

    /// Adds the indicators `operands` name to those computed (before the first candle; one
    /// added later starts cold, as a new series does).
    fn watch_indicators<'a>(&mut self, operands: impl IntoIterator<Item = &'a Operand>) {
        let mut specs = self.named.specs().to_vec();
        for o in operands {
            if let Operand::Series { spec, .. } = o
                && !specs.contains(spec)
            {
                specs.push(spec.clone());
            }
        }
        if specs.len() != self.named.specs().len() {
            self.named = Live::new(&specs);
        }
    }

    /// An operand's value at the last closed candle, or the one before (`before`).
    fn operand(&self, o: &Operand, before: bool) -> Option<f64> {
        let (spec, output) = match o {
            Operand::Level(v) => return Some(*v),
            Operand::Series { spec, output } => (spec, *output),
        };
        let k = self.named.specs().iter().position(|s| s == spec)?;
        let out = if before {
            self.named.previous(k)
        } else {
            self.named.latest(k)
        };
        Some(out[output]).filter(|v| !v.is_nan())
    }

    fn fold(&mut self, c: &Candle) {
        if c.open_time <= self.last_open {
            return;
        }
        self.last_open = c.open_time;
        let close = c.close.to_f64();
        if let Some(indicators) = &mut self.indicators {
            self.before = indicators.latest();
            indicators.push_closed(close);
        }
        if !self.named.specs().is_empty() {
            self.named.push_closed(Bar {
                time: c.open_time,
                high: c.high.to_f64(),
                low: c.low.to_f64(),
                close,
                volume: c.volume.to_f64(),
            });
        }
        self.closes.push_back((c.open_time, close));
        while self.closes.len() > self.keep_closes {
            self.closes.pop_front();
        }
        if self.keep_volumes > 0 {
            self.volumes.push_back(c.volume.to_f64());
            // The last `keep_volumes` before a candle, and the candle itself.
            while self.volumes.len() > self.keep_volumes + 1 {
                self.volumes.pop_front();
            }
        }
    }
}

/// Whether the first of two lines crossed the second between two closed candles: from at or
/// below it to above (`above`), or from at or above it to below.
fn crossed(above: bool, (was_a, was_b): (f64, f64), (a, b): (f64, f64)) -> bool {
    if above {
        was_a <= was_b && a > b
    } else {
        was_a >= was_b && a < b
    }
}

/// The widest gap between a composite's members' last prices, in basis points of the
/// lowest; members without a trade in the last minute before `at` are left out.
fn spread_bps(c: &Composite, last: &HashMap<Symbol, (f64, Millis)>, at: Millis) -> Option<f64> {
    let prices: Vec<f64> = c
        .members
        .iter()
        .filter_map(|m| last.get(m))
        .filter(|(_, t)| at - t <= 60_000)
        .map(|(p, _)| *p)
        .collect();
    if prices.len() < 2 {
        return None;
    }
    let lo = prices.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = prices.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo > 0.0).then(|| (hi - lo) / lo * 10_000.0)
}

/// An indicator value as a decimal string: at most 8 decimals, no trailing zeros.
fn decimal(v: f64) -> String {
    let s = format!("{v:.8}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

mod derivs;
mod portfolio;
pub use crate::domain::PortfolioFigures;
#[cfg(test)]
mod tests;
