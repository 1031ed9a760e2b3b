//! `cryptoviz bench` reports every key of SPEC §4 (figures themselves are for release builds;
//! this only checks that each one is measured and sane).

use cryptoviz::bench::{Plan, run_all};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_spec_key_is_measured() {
    let plan = Plan {
        frames: 5_000,
        candles: 2_000,
        reps: 1,
        history_days: 2,
        process_secs: 0,
    };
    let v = run_all(plan).await.unwrap();
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
    ] {
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
    assert!(v["alert_latency_us"]["p99"].as_f64().unwrap() >= 0.0);
    for venue in ["binance", "coinbase", "kraken", "bybit", "okx"] {
        let x = v["venue_parse_trades_per_sec"][venue].as_f64();
        assert!(x.is_some_and(|x| x > 0.0), "{venue}: {v}");
    }
}
