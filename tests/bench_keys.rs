//! `cryptoviz bench` reports every key of SPEC §4 (figures themselves are for release builds;
//! this only checks that each one is measured and sane).

mod support;

use cryptoviz::bench::{Plan, run_all};
use cryptoviz::store::StoreUrl;
use support::postgres::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_spec_key_is_measured() {
    let plan = Plan {
        frames: 5_000,
        candles: 2_000,
        reps: 1,
        history_days: 2,
        process_secs: 0,
        fills: 2_000,
    };
    // With a server, `bench --store postgres://…` adds its keys (measured in a scratch
    // database the bench makes on that server).
    let db = TestDb::create("bench");
    let store = db.as_ref().map(|d| StoreUrl::parse(&d.url).unwrap());
    // With nats-server, `bench --bus nats://…` adds the bus's keys (a private server here).
    let dir = tempfile::tempdir().unwrap();
    let nats = support::nats::available("every_spec_key_is_measured")
        .then(|| support::nats::NatsServer::start(dir.path(), &[]));
    let bus_url = nats
        .as_ref()
        .map(|n| cryptoviz::config::BusUrl::parse(&n.url()).unwrap());
    let bus_cfg = cryptoviz::config::BusConfig::default();
    let v = run_all(
        plan,
        store.as_ref(),
        bus_url.as_ref().map(|u| (u, &bus_cfg)),
    )
    .await
    .unwrap();
    let mut keys = vec![];
    if nats.is_some() {
        keys.push("bus_publish_events_per_sec");
        let p99 = v["bus_follow_latency_ms"]["p99"].as_f64().unwrap();
        assert!(p99 > 0.0 && p99 < 5000.0, "{v}");
    }
    if db.is_some() {
        keys.extend([
            "postgres_raw_upsert_rows_per_sec",
            "postgres_upsert_candles_per_sec",
            "postgres_query_10k_candles_ms",
        ]);
        assert_eq!(v["postgres_follow_latency_ms"]["store"], "postgres");
        let p99 = v["postgres_follow_latency_ms"]["p99"].as_f64().unwrap();
        assert!(p99 > 0.0 && p99 < 5000.0, "{v}");
    }
    assert_eq!(v["follow_latency_ms"]["store"], "sqlite");
    assert!(v["follow_latency_ms"]["p50"].as_f64().unwrap() > 0.0, "{v}");
    for key in [
        "parse_only_trades_per_sec",
        "ingest_trades_per_sec",
        "sqlite_raw_upsert_rows_per_sec",
        "store_upsert_candles_per_sec",
        "query_10k_candles_ms",
        "indicators_10k_candles_ms",
        "sentiment_items_per_sec",
        "backfill_candles_per_sec",
        "peak_rss_mb",
        "startup_first_frame_ms",
        "parse_venues_trades_per_sec",
        "alerts_backtest_candles_per_sec",
        "ingest_venues_trades_per_sec",
        "portfolio_replay_fills_per_sec",
    ]
    .into_iter()
    .chain(keys)
    {
        let x = v[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing in {v}"));
        assert!(x > 0.0 && x.is_finite(), "{key} = {x}");
    }
    for part in ["p50", "p99", "max"] {
        assert!(v["ingest_latency_us"][part].as_f64().unwrap() >= 0.0);
    }
    assert!(v["ingest_latency_us"]["max"].as_f64() >= v["ingest_latency_us"]["p99"].as_f64());
    assert!(v["render_frame_ms"]["p99"].as_f64().unwrap() > 0.0);
    // The same frame with the portfolio popup open and the cost line drawn.
    assert!(v["render_frame_portfolio_ms"]["p99"].as_f64().unwrap() > 0.0);
    assert!(v["alert_latency_us"]["p99"].as_f64().unwrap() >= 0.0);
    for venue in ["binance", "coinbase", "kraken", "bybit", "okx"] {
        let x = v["venue_parse_trades_per_sec"][venue].as_f64();
        assert!(x.is_some_and(|x| x > 0.0), "{venue}: {v}");
    }
    // SPEC §4 v3: each perp stream on its own, spot keys unchanged beside it.
    let perps = v["perp_parse_trades_per_sec"].as_object().unwrap();
    let names: Vec<&str> = perps.keys().map(String::as_str).collect();
    assert_eq!(names, ["binance-perp", "bybit-perp", "okx-swap"], "{v}");
    assert!(
        perps.values().all(|x| x.as_f64().is_some_and(|x| x > 0.0)),
        "{v}"
    );
    assert_eq!(
        v["venue_parse_trades_per_sec"].as_object().unwrap().len(),
        5
    );
    // SPEC §8: every indicator by its canonical name, in bars per second.
    let bars = v["indicators_bars_per_sec"].as_object().unwrap();
    let names: Vec<&str> = bars.keys().map(String::as_str).collect();
    for name in [
        "ema:20",
        "atr:14",
        "stoch:14,3,3",
        "sar:0.02,0.2",
        "obv",
        "vwap",
    ] {
        assert!(names.contains(&name), "{name} missing in {names:?}");
    }
    assert_eq!(bars.len(), 21, "{names:?}");
    assert!(
        bars.values().all(|x| x.as_f64().is_some_and(|x| x > 0.0)),
        "{v}"
    );
}

/// A process the benchmark started (here the real collector) ends when the benchmark is
/// killed, instead of running on with its temp files.
#[test]
fn a_benchmarks_child_dies_with_it() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[market]\nws_url = \"ws://127.0.0.1:9\"\nrest_url = \"http://127.0.0.1:9\"\n[news]\nfeeds = []\n",
    )
    .unwrap();
    // Stands in for the benchmark: the child is told its pid, as `bench` tells its children.
    let mut bench = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cryptoviz"))
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["collect", "--duration", "60"])
        .env(cryptoviz::bench::orphan::PARENT_ENV, bench.id().to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        child.try_wait().unwrap().is_none(),
        "runs while the benchmark does"
    );
    bench.kill().unwrap();
    bench.wait().unwrap();
    let gone = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            gone.elapsed() < Duration::from_secs(5),
            "outlived its benchmark"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
