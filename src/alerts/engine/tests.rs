use super::*;
use crate::alerts::rule::{Condition, Repeat, Rule};
use crate::domain::Channel;
use crate::domain::{Price, Qty, Timeframe};

const T0: Millis = 1_700_000_040_000 - 1_700_000_040_000 % 3_600_000;

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

fn rule(name: &str, symbol: &str, when: &str, repeat: Repeat, rearm_secs: u64) -> Rule {
    Rule {
        name: name.into(),
        symbol: (!symbol.is_empty()).then(|| sym(symbol)),
        timeframe: Timeframe::M1,
        when: when.into(),
        condition: Condition::parse(when).unwrap(),
        repeat,
        rearm_secs,
        notify: vec![Channel::Bell],
    }
}

fn engine(rules: Vec<Rule>) -> Engine {
    Engine::new(
        rules,
        IndicatorParams::default(),
        Vec::new(),
        vec![sym("BTCUSDT")],
        T0,
    )
}

fn trade(symbol: &str, id: i64, price: &str, time: Millis) -> Trade {
    Trade {
        symbol: sym(symbol),
        id,
        price: Price::parse(price).unwrap(),
        qty: Qty::parse("1").unwrap(),
        time,
        micros: 0,
        count: 1,
        buyer_is_maker: false,
    }
}

fn fired(out: &[Decision]) -> Vec<&Firing> {
    out.iter()
        .filter_map(|d| match d {
            Decision::Fired(f, _) => Some(f),
            _ => None,
        })
        .collect()
}

#[test]
fn a_price_level_fires_once_on_the_crossing_trade() {
    let mut e = engine(vec![rule(
        "up",
        "BTCUSDT",
        "price > 100000",
        Repeat::Once,
        0,
    )]);
    let mut out = Vec::new();
    for (i, p) in ["99990", "100000", "100000.01", "100500", "99000", "100200"]
        .iter()
        .enumerate()
    {
        e.on_trade(
            &trade("BTCUSDT", i as i64, p, T0 + i as i64),
            T0 + 10,
            &mut out,
        );
    }
    let f = fired(&out);
    assert_eq!(f.len(), 1, "strict, and once: {out:?}");
    assert_eq!(f[0].value, "100000.01");
    assert_eq!(f[0].trigger_time, T0 + 2);
    assert_eq!(f[0].symbol, "binance:BTCUSDT");
    assert_eq!(f[0].condition, "price > 100000");
    // Other markets do not count.
    let mut out = Vec::new();
    let mut e = engine(vec![rule("up", "BTCUSDT", "price > 1", Repeat::Once, 0)]);
    e.on_trade(&trade("okx:BTC-USDT", 1, "5", T0), T0, &mut out);
    assert!(out.is_empty());
}

#[test]
fn rearm_needs_the_condition_false_for_rearm_secs_without_a_break() {
    let mut e = engine(vec![rule(
        "up",
        "BTCUSDT",
        "price > 100",
        Repeat::Rearm,
        60,
    )]);
    let mut out = Vec::new();
    let at = |e: &mut Engine, s: i64, p: &str, out: &mut Vec<Decision>| {
        e.on_trade(&trade("BTCUSDT", s, p, T0 + s * 1000), T0, out)
    };
    at(&mut e, 0, "101", &mut out); // fires
    at(&mut e, 10, "99", &mut out); // false since 10 s
    at(&mut e, 40, "101", &mut out); // true again before 60 s: no fire, the clock restarts
    at(&mut e, 50, "99", &mut out); // false since 50 s
    at(&mut e, 100, "99", &mut out); // 50 s false: not yet
    at(&mut e, 111, "99", &mut out); // 61 s false: armed
    at(&mut e, 112, "101.5", &mut out); // fires again
    let f = fired(&out);
    assert_eq!(f.len(), 2, "{out:?}");
    assert_eq!(f[1].trigger_time, T0 + 112_000);
    // Every state change is reported for the store.
    assert!(
        out.iter()
            .any(|d| matches!(d, Decision::State(_, s) if s.armed))
    );
}

#[test]
fn rearm_secs_zero_rearms_on_any_false_evaluation() {
    let mut e = engine(vec![rule("dn", "BTCUSDT", "price < 100", Repeat::Rearm, 0)]);
    let mut out = Vec::new();
    for (i, p) in ["99", "101", "99", "99", "101", "98"].iter().enumerate() {
        e.on_trade(&trade("BTCUSDT", i as i64, p, T0 + i as i64), T0, &mut out);
    }
    assert_eq!(fired(&out).len(), 3);
}

fn candle(i: i64, close: f64, volume: f64) -> Candle {
    let p = Price::from_f64(close);
    Candle {
        open_time: T0 + i * 60_000,
        open: p,
        high: p,
        low: p,
        close: p,
        volume: Qty::from_f64(volume),
        quote_volume: Default::default(),
        trades: Some(1),
        closed: true,
        first_trade_id: None,
        last_trade_id: None,
    }
}

fn key() -> SeriesKey {
    SeriesKey {
        symbol: sym("BTCUSDT"),
        timeframe: Timeframe::M1,
    }
}

#[test]
fn indicator_rules_read_closed_candles_as_the_batch_indicators_do() {
    let closes: Vec<f64> = (0..120)
        .map(|i| 100.0 + 10.0 * ((i as f64) / 9.0).sin() + i as f64 * 0.05)
        .collect();
    let mut e = engine(vec![
        rule("rsi", "BTCUSDT", "rsi > 70", Repeat::Rearm, 0),
        rule(
            "up",
            "BTCUSDT",
            "macd crosses above signal",
            Repeat::Rearm,
            0,
        ),
        rule("bb", "BTCUSDT", "close < bollinger.lower", Repeat::Rearm, 0),
    ]);
    let mut out = Vec::new();
    for (i, c) in closes.iter().enumerate() {
        e.on_candle(key(), &candle(i as i64, *c, 1.0), T0, &mut out);
    }
    // The same decisions from the batch indicators over the same closes.
    let set = crate::indicators::compute(&closes, &IndicatorParams::default());
    let mut want_rsi = Vec::new();
    let mut armed = true;
    for (i, r) in set.rsi.iter().enumerate() {
        match r {
            Some(v) if *v > 70.0 && armed => {
                want_rsi.push(i);
                armed = false;
            }
            Some(v) if *v <= 70.0 => armed = true,
            _ => {}
        }
    }
    let got_rsi: Vec<i64> = fired(&out)
        .iter()
        .filter(|f| f.alert == "rsi")
        .map(|f| (f.trigger_time + 1 - T0) / 60_000 - 1)
        .collect();
    assert!(!want_rsi.is_empty());
    assert_eq!(
        got_rsi,
        want_rsi.iter().map(|i| *i as i64).collect::<Vec<_>>()
    );
    let crosses: Vec<usize> = (1..closes.len())
        .filter(|&i| {
            match (
                set.macd.macd[i - 1],
                set.macd.signal[i - 1],
                set.macd.macd[i],
                set.macd.signal[i],
            ) {
                (Some(pm), Some(ps), Some(m), Some(s)) => pm - ps <= 0.0 && m - s > 0.0,
                _ => false,
            }
        })
        .collect();
    let got: Vec<usize> = fired(&out)
        .iter()
        .filter(|f| f.alert == "up")
        .map(|f| ((f.trigger_time + 1 - T0) / 60_000 - 1) as usize)
        .collect();
    assert!(!crosses.is_empty());
    assert_eq!(got, crosses);
    // A candle seen twice (an amendment) is read once.
    let n = out.len();
    e.on_candle(key(), &candle(119, 500.0, 1.0), T0, &mut out);
    assert_eq!(out.len(), n);
}

#[test]
fn change_and_volume_rules() {
    let mut e = engine(vec![
        rule("jump", "BTCUSDT", "change(5m) > 2%", Repeat::Once, 0),
        rule("vol", "BTCUSDT", "volume > 3 x avg(4)", Repeat::Once, 0),
    ]);
    let mut out = Vec::new();
    let closes = [100.0, 100.0, 100.5, 101.0, 101.5, 101.9, 102.6, 103.0];
    let vols = [1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 8.0, 1.0];
    for i in 0..closes.len() {
        e.on_candle(key(), &candle(i as i64, closes[i], vols[i]), T0, &mut out);
    }
    let f = fired(&out);
    // Candle 5: 101.9 / 100 = +1.9 % (no); candle 6: 102.6 / 100 = +2.6 % (yes).
    let jump = f.iter().find(|f| f.alert == "jump").unwrap();
    assert_eq!(jump.trigger_time, T0 + 7 * 60_000 - 1);
    // Candle 6: 8 > 3 x avg(1, 1, 2, 1) = 3.75.
    let vol = f.iter().find(|f| f.alert == "vol").unwrap();
    assert_eq!(
        (vol.trigger_time, vol.value.as_str()),
        (T0 + 7 * 60_000 - 1, "8")
    );
}

fn news(symbols: &[&str], compound: f64, published_at: Millis) -> NewsItem {
    NewsItem {
        id: format!("n{published_at}"),
        source: "Test".into(),
        feed: "http://127.0.0.1/feed".into(),
        title: "headline".into(),
        link: "http://127.0.0.1/a".into(),
        published_at,
        fetched_at: published_at,
        summary: String::new(),
        symbols: symbols.iter().map(|s| s.to_string()).collect(),
        title_sentiment: crate::domain::Sentiment {
            compound,
            ..Default::default()
        },
        summary_sentiment: None,
    }
}

#[test]
fn news_stale_and_spread() {
    let members = vec![sym("BTCUSDT"), sym("coinbase:BTC-USD")];
    let comp = Composite {
        symbol: sym("composite:BTC-USD"),
        members,
    };
    let mut e = Engine::new(
        vec![
            rule("fear", "", "sentiment < -0.5", Repeat::Once, 0),
            rule("eth", "ETHUSDT", "sentiment > 0.5", Repeat::Once, 0),
            rule("quiet", "coinbase:BTC-USD", "stale > 30 s", Repeat::Once, 0),
            rule(
                "gap",
                "composite:BTC-USD",
                "spread_bps > 20",
                Repeat::Once,
                0,
            ),
        ],
        IndicatorParams::default(),
        vec![comp],
        vec![sym("ETHUSDT"), sym("BTCUSDT")],
        T0,
    );
    let mut out = Vec::new();
    e.on_news(&news(&["SOL"], -0.9, T0 + 1), T0, &mut out);
    e.on_news(&news(&["BTC"], 0.9, T0 + 2), T0, &mut out);
    e.on_news(&news(&["BTC"], -0.7, T0 + 5), T0, &mut out);
    e.on_trade(&trade("BTCUSDT", 1, "100000", T0 + 1_000), T0, &mut out);
    // 10 bp apart: under the level.
    e.on_trade(
        &trade("coinbase:BTC-USD", 1, "100100", T0 + 2_000),
        T0,
        &mut out,
    );
    assert!(fired(&out).iter().all(|f| f.alert != "gap"));
    e.on_trade(
        &trade("coinbase:BTC-USD", 2, "100300", T0 + 3_000),
        T0,
        &mut out,
    );
    e.on_tick(T0 + 20_000, &mut out);
    e.on_tick(T0 + 40_000, &mut out);
    let f = fired(&out);
    let by = |n: &str| f.iter().find(|f| f.alert == n).copied();
    let fear = by("fear").unwrap();
    assert_eq!(
        fear.symbol, "binance:BTCUSDT",
        "the watched market whose coin it names"
    );
    assert_eq!((fear.trigger_time, fear.value.as_str()), (T0 + 5, "-0.7"));
    assert!(by("eth").is_none(), "no ETH news");
    let gap = by("gap").unwrap();
    assert_eq!(
        (gap.value.as_str(), gap.trigger_time),
        ("30.00", T0 + 3_000)
    );
    assert_eq!(gap.symbol, "composite:BTC-USD");
    let quiet = by("quiet").unwrap();
    assert_eq!(quiet.trigger_time, T0 + 3_000 + 30_000);
}

#[test]
fn rules_join_and_leave_a_running_engine() {
    let mut e = engine(Vec::new());
    let mut out = Vec::new();
    e.on_trade(&trade("BTCUSDT", 1, "101", T0), T0, &mut out);
    assert!(out.is_empty());
    e.add_rule(rule("new", "BTCUSDT", "price > 100", Repeat::Rearm, 0));
    e.add_rule(rule("rsi", "BTCUSDT", "rsi > 99", Repeat::Once, 0));
    e.on_trade(&trade("BTCUSDT", 2, "102", T0 + 1), T0, &mut out);
    assert_eq!(fired(&out).len(), 1);
    e.remove_rule("new");
    out.clear();
    e.on_trade(&trade("BTCUSDT", 3, "99", T0 + 2), T0, &mut out);
    e.on_trade(&trade("BTCUSDT", 4, "103", T0 + 3), T0, &mut out);
    assert!(fired(&out).is_empty(), "removed: {out:?}");
    // The candle rule that stayed still reads its series.
    assert_eq!(e.candle_series(), vec![key()]);
    assert_eq!(e.rules().count(), 1);
}

/// The perp conditions: funding crossing a level fires once (and again only after it went
/// back), basis from the merged state, open interest change once its window is covered, and
/// liquidated value summed over its window, either side.
#[test]
fn perp_conditions_fire_from_derivatives() {
    use crate::domain::{
        DerivEvent, DerivState, DerivUpdate, Liquidation, PositionSide, Quote, Rate,
    };
    let perp = sym("bybit-perp:BTCUSDT");
    let p = "bybit-perp:BTCUSDT";
    let mut e = engine(vec![
        rule("fund", p, "funding > 0.05", Repeat::Rearm, 0),
        rule("basis", p, "basis_bps < -20", Repeat::Once, 0),
        rule("oi", p, "oi_change_pct > 5 in 10 m", Repeat::Once, 0),
        rule("liq", p, "liquidations > 100000 in 5 m", Repeat::Once, 0),
    ]);
    let mut state: Option<DerivState> = None;
    let mut fired = Vec::new();
    let mut push = |e: &mut Engine, ev: DerivEvent| {
        if let DerivEvent::Update(u) = ev {
            match &mut state {
                Some(s) => s.apply(&u),
                None => state = Some(DerivState::new(u)),
            }
        }
        let mut out = Vec::new();
        e.on_deriv(&ev, state.as_ref(), T0, &mut out);
        for d in out {
            if let Decision::Fired(f, _) = d {
                fired.push((f.alert.clone(), f.value.clone()));
            }
        }
    };
    let update = |min: i64, f: &dyn Fn(&mut DerivUpdate)| {
        let mut u = DerivUpdate::new(perp, T0 + min * 60_000);
        f(&mut u);
        DerivEvent::Update(u)
    };
    let rate = |r: &str| Some(Rate::parse(r).unwrap());
    push(&mut e, update(0, &|u| u.funding_rate = rate("0.0004")));
    push(&mut e, update(1, &|u| u.funding_rate = rate("0.0006")));
    push(&mut e, update(2, &|u| u.funding_rate = rate("0.0007")));
    push(&mut e, update(3, &|u| u.funding_rate = rate("0.0001")));
    push(&mut e, update(4, &|u| u.funding_rate = rate("0.0008")));
    // Basis: the index arrives, then a mark 25 bp under it.
    push(
        &mut e,
        update(5, &|u| u.index = Some(Price::parse("1000").unwrap())),
    );
    push(
        &mut e,
        update(6, &|u| u.mark = Some(Price::parse("997.5").unwrap())),
    );
    // Open interest: +6 % over 10 minutes, once the window is covered.
    let oi = |v: &str| Some(Quote::parse(v).unwrap());
    push(&mut e, update(0, &|u| u.open_interest = oi("1000")));
    push(&mut e, update(8, &|u| u.open_interest = oi("1100")));
    push(&mut e, update(10, &|u| u.open_interest = oi("1060")));
    // Liquidations: 60k then 50k within five minutes.
    let liq = |min: i64, price: &str| {
        DerivEvent::Liquidation(Liquidation {
            symbol: perp,
            time: T0 + min * 60_000,
            side: if min % 2 == 0 {
                PositionSide::Long
            } else {
                PositionSide::Short
            },
            price: Price::parse(price).unwrap(),
            qty: Qty::parse("1").unwrap(),
            sampled: false,
        })
    };
    push(&mut e, liq(0, "60000"));
    push(&mut e, liq(7, "50000"));
    push(&mut e, liq(9, "60000"));
    let names: Vec<&str> = fired.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["fund", "fund", "basis", "oi", "liq"], "{fired:?}");
    assert_eq!(fired[0].1, "0.06");
    assert_eq!(fired[2].1, "-25.00");
    assert_eq!(fired[3].1, "6");
    assert_eq!(fired[4].1, "110000");
}

/// `basis_spot_bps`: the mark against the reference's latest close in its shortest
/// timeframe (a coarser or older candle arriving later does not replace it), not at all
/// while the reference's close is over five minutes old, and not for a perp without one.
#[test]
fn the_basis_against_spot_reads_the_references_freshest_close() {
    use crate::domain::{DerivEvent, DerivState, DerivUpdate};
    let (perp, spot) = (sym("binance-perp:BTCUSDT"), sym("composite:BTC-USD"));
    let mut e = engine(vec![
        rule(
            "spot",
            "binance-perp:BTCUSDT",
            "basis_spot_bps > 20",
            Repeat::Rearm,
            0,
        ),
        rule(
            "none",
            "bybit-perp:BTCUSDT",
            "basis_spot_bps > 20",
            Repeat::Once,
            0,
        ),
    ])
    .with_spot_basis([(perp, spot)]);
    let mut states: HashMap<Symbol, DerivState> = HashMap::new();
    let fired = std::cell::RefCell::new(Vec::new());
    let mut mark = |e: &mut Engine, symbol: Symbol, min: i64, price: &str| {
        let mut u = DerivUpdate::new(symbol, T0 + min * 60_000 + 30_000);
        u.mark = Some(Price::parse(price).unwrap());
        let state = states
            .entry(symbol)
            .and_modify(|s| s.apply(&u))
            .or_insert_with(|| DerivState::new(u));
        let mut out = Vec::new();
        e.on_deriv(&DerivEvent::Update(u), Some(state), u.time, &mut out);
        for d in out {
            if let Decision::Fired(f, _) = d {
                let minute = (f.trigger_time - T0) / 60_000;
                fired
                    .borrow_mut()
                    .push((f.alert.clone(), f.value.clone(), minute));
            }
        }
    };
    let reference = |e: &mut Engine, timeframe: Timeframe, min: i64, close: f64, closed: bool| {
        let mut c = candle(min, close, 1.0);
        c.open_time = timeframe.bucket(c.open_time);
        c.closed = closed;
        let mut out = Vec::new();
        e.on_candle(
            SeriesKey {
                symbol: spot,
                timeframe,
            },
            &c,
            T0,
            &mut out,
        );
        assert!(out.is_empty());
    };
    mark(&mut e, perp, 0, "1003");
    assert!(fired.borrow().is_empty(), "no reference price yet");
    reference(&mut e, Timeframe::H1, 0, 1000.0, false);
    mark(&mut e, perp, 0, "1003");
    mark(&mut e, perp, 0, "1003");
    mark(&mut e, perp, 0, "1003");
    // The minute's candle wins over the hour's, and a late hour or minute-0 candle does not
    // take its place.
    reference(&mut e, Timeframe::M1, 1, 1001.0, false);
    reference(&mut e, Timeframe::H1, 1, 990.0, false);
    reference(&mut e, Timeframe::M1, 0, 990.0, true);
    mark(&mut e, perp, 1, "1003");
    mark(&mut e, perp, 1, "1004");
    mark(&mut e, perp, 1, "1000");
    // Five minutes after the reference's candle ended, its close no longer measures.
    mark(&mut e, perp, 7, "1010");
    reference(&mut e, Timeframe::M1, 7, 1000.0, false);
    mark(&mut e, perp, 7, "1010");
    mark(&mut e, sym("bybit-perp:BTCUSDT"), 7, "2000");
    assert_eq!(
        *fired.borrow(),
        [
            ("spot".to_string(), "30.00".to_string(), 0),
            ("spot".to_string(), "29.97".to_string(), 1),
            ("spot".to_string(), "100.00".to_string(), 7),
        ]
    );
}

#[test]
fn named_indicators_fire_on_crosses_and_levels_as_the_batch_kernels_say() {
    use crate::indicators::Table;
    use crate::indicators::registry::compute;
    use crate::indicators::spec::Spec;
    let closes: Vec<f64> = (0..300)
        .map(|i| 100.0 + 10.0 * ((i as f64) / 13.0).sin() + i as f64 * 0.02)
        .collect();
    let mut e = engine(vec![
        rule("up", "BTCUSDT", "ema:5 > ema:20", Repeat::Rearm, 0),
        rule("down", "BTCUSDT", "ema:5 < ema:20", Repeat::Rearm, 0),
        rule("k", "BTCUSDT", "stoch:14,3,3.k < 20", Repeat::Rearm, 0),
    ]);
    let mut out = Vec::new();
    let candles: Vec<Candle> = closes
        .iter()
        .enumerate()
        .map(|(i, c)| candle(i as i64, *c, 1.0))
        .collect();
    for c in &candles {
        e.on_candle(key(), c, T0, &mut out);
    }
    let table = Table::of(&candles);
    let series = |s: &str| compute(&Spec::parse(s).unwrap(), &table.columns()).remove(0);
    let (fast, slow, k) = (series("ema:5"), series("ema:20"), series("stoch:14,3,3"));
    let crosses = |above: bool| -> Vec<i64> {
        (1..closes.len())
            .filter(|&i| {
                let (pf, ps, f, s) = (fast[i - 1], slow[i - 1], fast[i], slow[i]);
                !(pf.is_nan() || ps.is_nan())
                    && if above {
                        pf <= ps && f > s
                    } else {
                        pf >= ps && f < s
                    }
            })
            .map(|i| i as i64)
            .collect()
    };
    let got = |name: &str| -> Vec<i64> {
        fired(&out)
            .iter()
            .filter(|f| f.alert == name)
            .map(|f| (f.trigger_time + 1 - T0) / 60_000 - 1)
            .collect()
    };
    let (up, down) = (crosses(true), crosses(false));
    assert!(up.len() >= 3 && down.len() >= 3, "{up:?} {down:?}");
    assert_eq!(got("up"), up);
    assert_eq!(got("down"), down);
    // A level rearms once false: the first bar of each run below 20.
    let mut want_k = Vec::new();
    let mut armed = true;
    for (i, v) in k.iter().enumerate() {
        if v.is_nan() {
            continue;
        }
        if *v < 20.0 && armed {
            want_k.push(i as i64);
            armed = false;
        } else if *v >= 20.0 {
            armed = true;
        }
    }
    assert!(!want_k.is_empty());
    assert_eq!(got("k"), want_k);
}
