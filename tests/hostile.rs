//! Hostile and impossible input against the real binary (issue: never crash, never lose data,
//! never lie). Each test reproduced a failure of an earlier release before its fix: a trade
//! frame stamped ten years ahead that grew `collect` to 24 GB, a full disk that went unnoticed
//! until exit, and `export` refused beside a running collector.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use support::collector::Collector;
use support::faults::{self, Scrape, Spec, eventually, free_port, peek};
use support::ws_server::{WsServer, trade_frame};

/// 2024-01-01T00:00:00Z.
const DAY0: i64 = 1_704_067_200_000;
const MIN: i64 = 60_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Peak resident memory of a running process, in MB (`VmHWM` only ever grows).
fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A memory bound for one collector on one symbol: measured at about 30 MB.
const RSS_LIMIT_MB: f64 = 150.0;

async fn launch(ws: &WsServer, dir: &Path) -> (Collector, u16) {
    let port = free_port();
    let cfg = Spec {
        ws_url: ws.url(),
        metrics_port: Some(port),
        ..Spec::default()
    }
    .write(dir);
    let collector = Collector::start(&cfg, dir, &faults::SAFETY_NET);
    ws.wait_accepted(1).await;
    faults::wait_started(port).await;
    (collector, port)
}

fn rejected(port: u16) -> f64 {
    Scrape::take(port)
        .value("cryptoviz_ingest_trades_total", &[("outcome", "rejected")])
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn far_future_trades_are_rejected_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Arc::new(WsServer::start().await);
    let pinger = faults::keep_alive(&ws);
    let (collector, port) = launch(&ws, dir.path()).await;

    let year = 365 * 86_400_000;
    ws.push(trade_frame("BTCUSDT", 1, "42000", "0.5", DAY0 + 1_000));
    ws.push(trade_frame("BTCUSDT", 2, "42010", "0.5", DAY0 + 2_000));
    // Contiguous ids: before the fix these filled every minute up to the stamp with flat candles.
    ws.push(trade_frame(
        "BTCUSDT",
        3,
        "42020",
        "0.5",
        now_ms() + 10 * year,
    ));
    ws.push(trade_frame(
        "BTCUSDT",
        4,
        "42030",
        "0.5",
        now_ms() + 86_400_000,
    ));
    // 1916: before any market.
    ws.push(trade_frame(
        "BTCUSDT",
        5,
        "42040",
        "0.5",
        -1_704_067_200_000,
    ));
    ws.push(trade_frame(
        "BTCUSDT",
        6,
        "42050",
        "0.5",
        DAY0 + MIN + 1_000,
    ));
    assert!(
        eventually(Duration::from_secs(10), || rejected(port) == 3.0).await,
        "rejected: {}",
        rejected(port)
    );
    assert!(
        eventually(Duration::from_secs(5), || {
            peek(&dir.path().join("cryptoviz.db"), "BTCUSDT", "1m").len() == 2
        })
        .await,
        "1m rows: {:?}",
        peek(&dir.path().join("cryptoviz.db"), "BTCUSDT", "1m")
    );
    let rss = peak_rss_mb(collector.child.id());
    assert!(rss < RSS_LIMIT_MB, "peak RSS {rss:.0} MB");
    let rows = peek(&dir.path().join("cryptoviz.db"), "BTCUSDT", "1m");
    assert_eq!(
        rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![DAY0, DAY0 + MIN],
        "only the real minutes are stored"
    );

    pinger.abort();
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(30));
    assert!(status.success(), "{stderr}");
    faults::assert_no_panic(&stderr, dir.path());
    let log = std::fs::read_to_string(dir.path().join("cryptoviz.log")).unwrap();
    assert!(
        log.contains("impossible trade rejected"),
        "the log says why"
    );
}
