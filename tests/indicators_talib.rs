//! Indicators versus TA-Lib reference vectors (tests/fixtures/talib, written
//! by tools/gen_talib_vectors.py), and the live engine versus full recompute.

use cryptoviz::indicators::kernel::Columns;
use cryptoviz::indicators::spec::Spec;
use cryptoviz::indicators::{Incremental, IndicatorParams, IndicatorSet, Latest, compute};
use serde::Deserialize;

/// Fixtures are compiled in, so the test needs neither Python nor a working
/// directory; `include_str!` resolves next to this file.
const FIXTURES: &[(&str, &str)] = &[
    (
        "xrpeth_1m.json",
        include_str!("fixtures/talib/xrpeth_1m.json"),
    ),
    ("flat.json", include_str!("fixtures/talib/flat.json")),
    ("gaps.json", include_str!("fixtures/talib/gaps.json")),
    (
        "random_walk_10k.json",
        include_str!("fixtures/talib/random_walk_10k.json"),
    ),
    ("tiny.json", include_str!("fixtures/talib/tiny.json")),
    ("short.json", include_str!("fixtures/talib/short.json")),
];

type Series = Vec<Option<f64>>;

#[derive(Deserialize)]
struct Fixture {
    series: Vec<FixtureSeries>,
}

#[derive(Deserialize)]
struct FixtureSeries {
    name: String,
    closes: Vec<f64>,
    cases: Vec<Case>,
    #[serde(default)]
    ema: Vec<PeriodSeries>,
    #[serde(default)]
    sma: Vec<PeriodSeries>,
}

#[derive(Deserialize)]
struct Case {
    params: IndicatorParams,
    expected: Expected,
}

/// Same shape as `IndicatorSet`'s serialization, minus `params`.
#[derive(Deserialize)]
struct Expected {
    rsi14: Series,
    momentum10: Series,
    macd: ExpectedMacd,
    bollinger: ExpectedBollinger,
}

#[derive(Deserialize)]
struct ExpectedMacd {
    macd: Series,
    signal: Series,
    hist: Series,
}

#[derive(Deserialize)]
struct ExpectedBollinger {
    upper: Series,
    middle: Series,
    lower: Series,
}

#[derive(Deserialize)]
struct PeriodSeries {
    period: usize,
    values: Series,
}

fn fixtures() -> Vec<(String, FixtureSeries)> {
    FIXTURES
        .iter()
        .flat_map(|(file, text)| {
            let fixture: Fixture =
                serde_json::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
            fixture
                .series
                .into_iter()
                .map(move |s| (format!("{file}/{}", s.name), s))
        })
        .collect()
}

/// Relative tolerance, absolute near zero: |a - b| <= 1e-9 * max(1, |b|).
fn close_enough(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0)
}

/// Same length, `None` exactly where TA-Lib has NaN, values within tolerance.
fn assert_series(what: &str, actual: &[Option<f64>], expected: &[Option<f64>]) {
    assert_eq!(actual.len(), expected.len(), "{what}: length");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        match (a, e) {
            (None, None) => {}
            (Some(a), Some(e)) => assert!(
                close_enough(*a, *e),
                "{what}[{i}]: got {a:e}, TA-Lib {e:e} (diff {:e})",
                a - e
            ),
            _ => panic!("{what}[{i}]: got {a:?}, TA-Lib {e:?} (alignment)"),
        }
    }
}

fn assert_matches_talib(what: &str, set: &IndicatorSet, e: &Expected) {
    assert_series(&format!("{what} rsi"), &set.rsi, &e.rsi14);
    assert_series(&format!("{what} momentum"), &set.momentum, &e.momentum10);
    assert_series(&format!("{what} macd"), &set.macd.macd, &e.macd.macd);
    assert_series(&format!("{what} signal"), &set.macd.signal, &e.macd.signal);
    assert_series(&format!("{what} hist"), &set.macd.hist, &e.macd.hist);
    assert_series(
        &format!("{what} bb upper"),
        &set.bollinger.upper,
        &e.bollinger.upper,
    );
    assert_series(
        &format!("{what} bb middle"),
        &set.bollinger.middle,
        &e.bollinger.middle,
    );
    assert_series(
        &format!("{what} bb lower"),
        &set.bollinger.lower,
        &e.bollinger.lower,
    );
}

#[test]
fn fixtures_cover_the_required_series() {
    let all = fixtures();
    let names: Vec<&str> = all.iter().map(|(_, s)| s.name.as_str()).collect();
    for required in ["xrpeth_1m", "flat", "gaps", "random_walk_10k", "tiny"] {
        assert!(names.contains(&required), "missing fixture {required}");
    }
    let short: Vec<usize> = all
        .iter()
        .filter(|(_, s)| s.name.starts_with("short_"))
        .map(|(_, s)| s.closes.len())
        .collect();
    for len in [0, 1, 13, 14, 15, 33, 34] {
        assert!(short.contains(&len), "missing short series of length {len}");
    }
    let rw = all
        .iter()
        .find(|(_, s)| s.name == "random_walk_10k")
        .unwrap();
    assert_eq!(rw.1.closes.len(), 10_000);
    assert!(all.iter().any(|(_, s)| {
        s.cases
            .iter()
            .any(|c| c.params != IndicatorParams::default())
    }));
}

#[test]
fn compute_matches_talib_on_every_fixture() {
    for (name, series) in fixtures() {
        for case in &series.cases {
            let set = compute(&series.closes, &case.params);
            assert_eq!(set.params, case.params);
            assert_eq!(set.len(), series.closes.len());
            let what = format!("{name} {:?}", case.params);
            assert_matches_talib(&what, &set, &case.expected);
        }
    }
}

/// `name` (`ema:20`) over `closes` alone, through its kernel, `None` where it has no value.
fn over_closes(name: &str, closes: &[f64]) -> Vec<Option<f64>> {
    let times = vec![0; closes.len()];
    let columns = Columns {
        time: &times,
        high: closes,
        low: closes,
        close: closes,
        volume: closes,
    };
    let spec = Spec::parse(name).unwrap();
    cryptoviz::indicators::registry::compute(&spec, &columns)[0]
        .iter()
        .map(|&v| (!v.is_nan()).then_some(v))
        .collect()
}

#[test]
fn ema_and_sma_match_talib() {
    let mut checked = 0;
    for (name, series) in fixtures() {
        for e in &series.ema {
            let what = format!("{name} ema{}", e.period);
            let ema = over_closes(&format!("ema:{}", e.period), &series.closes);
            assert_series(&what, &ema, &e.values);
            checked += 1;
        }
        for s in &series.sma {
            let what = format!("{name} sma{}", s.period);
            let sma = over_closes(&format!("sma:{}", s.period), &series.closes);
            assert_series(&what, &sma, &s.values);
            checked += 1;
        }
    }
    assert!(checked >= 2, "no EMA/SMA vectors in the fixtures");
}

/// Exact equality (not tolerance): the live engine runs the batch code's
/// float operations, so any difference is a bug, not rounding.
fn assert_latest(what: &str, live: Latest, full: Latest) {
    assert_eq!(live, full, "{what}");
}

/// Drives the live engine bar by bar, moving the open candle several times per
/// bar before closing it, and checks it against full recomputes.
fn check_incremental(name: &str, closes: &[f64], p: &IndicatorParams) {
    let full = compute(closes, p);
    let mut live = Incremental::new(*p);
    assert_eq!(live.latest(), Latest::default());
    // Re-running `compute` over a prefix for every trade is O(N^2); do it on
    // a spread of bars (all of the warm-up, then every 997th) and compare the
    // rest against the single full recompute.
    let sampled = |i: usize| i < 40 || i.is_multiple_of(997) || i + 1 == closes.len();
    let mut prefix = Vec::with_capacity(closes.len());
    for (i, &x) in closes.iter().enumerate() {
        let prev = if i == 0 { x } else { closes[i - 1] };
        for open in [prev, x * 1.003, (prev + x) / 2.0, x * 0.996] {
            live.set_open(open);
            if sampled(i) {
                prefix.push(open);
                let expect = compute(&prefix, p).at(i);
                prefix.pop();
                assert_latest(
                    &format!("{name} bar {i} open {open}"),
                    live.latest(),
                    expect,
                );
            }
        }
        live.set_open(x);
        assert_latest(
            &format!("{name} bar {i} open=close"),
            live.latest(),
            full.at(i),
        );
        live.push_closed(x);
        prefix.push(x);
        assert_latest(&format!("{name} bar {i} closed"), live.latest(), full.at(i));
    }
    assert_eq!(live.closed_len(), closes.len());
}

#[test]
fn incremental_equals_full_recompute_on_random_walk() {
    let all = fixtures();
    let rw = &all
        .iter()
        .find(|(_, s)| s.name == "random_walk_10k")
        .unwrap()
        .1;
    check_incremental("random_walk_10k", &rw.closes, &IndicatorParams::default());
}

#[test]
fn incremental_equals_full_recompute_on_other_fixtures() {
    for (name, series) in fixtures() {
        if series.name == "random_walk_10k" {
            continue;
        }
        for case in &series.cases {
            check_incremental(&name, &series.closes, &case.params);
        }
    }
}

#[test]
fn incremental_tracks_talib_within_tolerance() {
    // Transitively implied by the two checks above, but stated directly: the
    // live value for the last bar of a long series is TA-Lib's value.
    for (name, series) in fixtures() {
        for case in &series.cases {
            let live = Incremental::from_closes(case.params, &series.closes);
            let got = live.latest();
            let e = &case.expected;
            let last = |v: &[Option<f64>]| v.last().copied().flatten();
            let pairs = [
                ("rsi", got.rsi, last(&e.rsi14)),
                ("momentum", got.momentum, last(&e.momentum10)),
                ("macd", got.macd, last(&e.macd.macd)),
                ("signal", got.signal, last(&e.macd.signal)),
                ("hist", got.hist, last(&e.macd.hist)),
                ("bb upper", got.bb_upper, last(&e.bollinger.upper)),
                ("bb middle", got.bb_middle, last(&e.bollinger.middle)),
                ("bb lower", got.bb_lower, last(&e.bollinger.lower)),
            ];
            for (what, a, b) in pairs {
                match (a, b) {
                    (None, None) => {}
                    (Some(a), Some(b)) => assert!(close_enough(a, b), "{name} {what}: {a} vs {b}"),
                    _ => panic!("{name} {what}: {a:?} vs {b:?}"),
                }
            }
        }
    }
}

#[test]
fn edge_lengths_do_not_panic() {
    let p = IndicatorParams::default();
    for len in 0..=40 {
        let closes: Vec<f64> = (0..len).map(|i| 1.0 + f64::from(i) * 0.01).collect();
        let set = compute(&closes, &p);
        assert_eq!(set.len(), len as usize);
        assert_eq!(set.macd.hist.len(), len as usize);
        assert_eq!(set.bollinger.lower.len(), len as usize);
        let mut live = Incremental::from_closes(p, &closes);
        assert_eq!(live.latest(), set.at((len as usize).saturating_sub(1)));
        live.set_open(2.0);
        let _ = live.latest();
    }
    let nothing = compute(&[], &p);
    assert!(nothing.is_empty());
    assert!(nothing.macd.macd.is_empty() && nothing.bollinger.upper.is_empty());
    let one = compute(&[0.0014], &p);
    assert_eq!(one.at(0), Latest::default());
}

#[test]
fn invalid_params_yield_none_not_panic() {
    let zero = IndicatorParams {
        rsi: 0,
        macd_fast: 0,
        macd_slow: 0,
        macd_signal: 0,
        bollinger: 0,
        bollinger_k: 0.0,
        momentum: 0,
    };
    assert!(zero.validate().is_err());
    let closes: Vec<f64> = (0..50).map(f64::from).collect();
    let set = compute(&closes, &zero);
    assert_eq!(set.len(), 50);
    assert!((0..50).all(|i| set.at(i) == Latest::default()));
}

#[test]
fn indicator_set_serializes_to_report_shape() {
    let p = IndicatorParams {
        rsi: 7,
        momentum: 3,
        ..Default::default()
    };
    let closes: Vec<f64> = (0..40).map(|i| 1.0 + f64::from(i % 5)).collect();
    let v = serde_json::to_value(compute(&closes, &p)).unwrap();
    let obj = v.as_object().unwrap();
    let mut keys: Vec<&String> = obj.keys().collect();
    keys.sort();
    assert_eq!(keys, ["bollinger", "macd", "momentum10", "params", "rsi14"]);
    assert_eq!(v["params"]["rsi"], 7);
    assert_eq!(v["params"]["momentum"], 3);
    assert_eq!(v["rsi14"].as_array().unwrap().len(), 40);
    assert!(v["rsi14"][6].is_null() && v["rsi14"][7].is_number());
    let mut m: Vec<&String> = v["macd"].as_object().unwrap().keys().collect();
    m.sort();
    assert_eq!(m, ["hist", "macd", "signal"]);
    let mut b: Vec<&String> = v["bollinger"].as_object().unwrap().keys().collect();
    b.sort();
    assert_eq!(b, ["lower", "middle", "upper"]);
}

#[test]
fn params_deserialize_with_defaults_and_reject_unknown_keys() {
    let p: IndicatorParams = serde_json::from_str(r#"{"rsi": 21}"#).unwrap();
    assert_eq!(
        p,
        IndicatorParams {
            rsi: 21,
            ..Default::default()
        }
    );
    assert!(serde_json::from_str::<IndicatorParams>(r#"{"rsi_period": 21}"#).is_err());
    let bad = IndicatorParams {
        bollinger: 1,
        ..Default::default()
    };
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "indicators.bollinger must be >= 2 (got 1)"
    );
}
