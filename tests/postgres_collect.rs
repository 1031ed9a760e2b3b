//! A collector writing to PostgreSQL loses its connection mid-run (the server drops it, as a
//! restart does, and refuses new ones for a while): the live candles wait in memory, the
//! store reconnects by itself, and in the end every candle equals the exchange's.

mod support;

use std::time::Duration;

use cryptoviz::domain::{Millis, SeriesKey, Symbol, Timeframe, Trade};
use cryptoviz::store::{Store, StoreOptions, StoreUrl};
use support::collector::{Collector, write_config};
use support::faults::{frame, klines, serve_klines, shape};
use support::klines_server::KlinesServer;
use support::postgres::TestDb;
use support::ws_server::WsServer;

const M0: Millis = 1_704_067_200_000; // 2024-01-01T00:00:00Z
const MIN: Millis = 60_000;

fn trades() -> Vec<Trade> {
    let sym = Symbol::new("BTCUSDT").unwrap();
    let mut out = Vec::new();
    let mut id = 5000;
    for m in 0..8 {
        for k in 0..(2 + m % 4) {
            id += 1;
            out.push(Trade {
                symbol: sym,
                id,
                price: format!("{}.{:02}", 43_000 + m * 11 - k * 2, (id * 13) % 100)
                    .parse()
                    .unwrap(),
                qty: format!("0.{:05}", (id * 31) % 100_000 + 1).parse().unwrap(),
                time: M0 + m * MIN + 2_000 + k * 7_000,
                count: 1,
                micros: 0,
                buyer_is_maker: id % 3 == 0,
            });
        }
    }
    out
}

async fn stored(url: &str, tf: Timeframe) -> Vec<cryptoviz::domain::Candle> {
    let url = StoreUrl::parse(url).unwrap();
    let store = Store::open_url(&url, std::path::Path::new("."), StoreOptions::default()).unwrap();
    let key = SeriesKey {
        symbol: Symbol::new("BTCUSDT").unwrap(),
        timeframe: tf,
    };
    let v = store.candles(key, Millis::MIN, Millis::MAX).await.unwrap();
    store.close().await.unwrap();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_collector_keeps_its_candles_through_a_lost_database() {
    let Some(db) = TestDb::create("collect_outage") else {
        return;
    };
    // Trust authentication takes any password; this one must never be printed.
    let url = db.url.replacen("://postgres@", "://postgres:pg-s3cret@", 1);
    assert_ne!(url, db.url);
    let all = trades();
    let rest = KlinesServer::start();
    serve_klines(&rest, &all);
    let ws = WsServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), &ws.url(), &rest.url(), &["BTCUSDT"]);
    let collector = Collector::start(&cfg, dir.path(), &["--store", &url]);
    ws.wait_accepted(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (first, rest_trades): (Vec<&Trade>, Vec<&Trade>) =
        all.iter().partition(|t| t.time < M0 + 3 * MIN);
    for t in &first {
        ws.push(frame(t));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The outage: the server drops the collector's connection and takes no new ones.
    db.admin(&format!(
        "ALTER DATABASE {0} ALLOW_CONNECTIONS false; \
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{0}'",
        db.name
    ));
    for t in &rest_trades {
        ws.push(frame(t));
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    db.admin(&format!(
        "ALTER DATABASE {} ALLOW_CONNECTIONS true",
        db.name
    ));
    // Retries back off to at most 5 s; give the store time to write what it held.
    tokio::time::sleep(Duration::from_secs(7)).await;
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(30));
    assert!(status.success(), "{stderr}");
    assert!(!stderr.contains("pg-s3cret"), "{stderr}");
    assert!(
        stderr.contains("cannot write to the database postgres 127.0.0.1:5432/")
            && stderr.contains("takes writes again; nothing held was lost"),
        "the collector says the store failed and recovered: {stderr}"
    );
    let log = std::fs::read_to_string(dir.path().join("cryptoviz.log")).unwrap_or_default();
    assert!(!log.contains("pg-s3cret"), "the log shows the password");
    for tf in Timeframe::ALL {
        let want: Vec<_> = klines(&all, tf).iter().map(shape).collect();
        let got: Vec<_> = stored(&db.url, tf).await.iter().map(shape).collect();
        assert_eq!(got, want, "{tf}");
    }
}
