//! Hostile and impossible input against the real binary (issue: never crash, never lose data,
//! never lie). Each test reproduced a failure of an earlier release before its fix: a trade
//! frame stamped ten years ahead that grew `collect` to 24 GB, a full disk that went unnoticed
//! until exit, and `export` refused beside a running collector.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cryptoviz::domain::now_ms;
use support::collector::Collector;
use support::faults::{self, Scrape, Spec, eventually, free_port, peek};
use support::klines_server::KlinesServer;
use support::ws_server::{WsServer, trade_frame};

/// 2024-01-01T00:00:00Z.
const DAY0: i64 = 1_704_067_200_000;
const MIN: i64 = 60_000;

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

/// A config for a collector on `ws` with a klines server that has nothing to repair (so
/// start-up is quick): (config file, metrics port, the klines server to keep alive).
fn config(ws: &WsServer, dir: &Path) -> (std::path::PathBuf, u16, KlinesServer) {
    let port = free_port();
    let klines = faults::empty_klines();
    let cfg = Spec {
        ws_url: ws.url(),
        rest_url: klines.url(),
        metrics_port: Some(port),
        ..Spec::default()
    }
    .write(dir);
    (cfg, port, klines)
}

/// A collector started with [`config`]; returns once it has started.
async fn launch(ws: &WsServer, dir: &Path) -> (Collector, u16, KlinesServer) {
    let (cfg, port, klines) = config(ws, dir);
    let collector = Collector::start(&cfg, dir, &faults::SAFETY_NET);
    ws.wait_accepted(1).await;
    faults::wait_started(port).await;
    (collector, port, klines)
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
    let (collector, port, _klines) = launch(&ws, dir.path()).await;

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

/// A full disk, as SQLite meets it: every file the collector writes is capped at 400 KB
/// (`ulimit -f`, with SIGXFSZ ignored so the write fails with EFBIG instead of killing the
/// process). The collector must say so at once (stderr, `/metrics`, `/health/ready`), keep the
/// candles it cannot write, not flood stderr with log-write errors, and fail at exit with one
/// line naming the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_reported_at_once_and_never_floods_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Arc::new(WsServer::start().await);
    let pinger = faults::keep_alive(&ws);
    let (cfg, port, _klines) = config(&ws, dir.path());
    // The log is already at the cap too: every log line fails to write from the start.
    std::fs::write(dir.path().join("cryptoviz.log"), vec![b'\n'; 400 * 1024]).unwrap();
    let child = std::process::Command::new("bash")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 400 && exec \"$0\" --config \"$1\" --data-dir \"$2\" collect --duration 120")
        .arg(env!("CARGO_BIN_EXE_cryptoviz"))
        .arg(&cfg)
        .arg(dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let collector = Collector {
        child,
        data_dir: dir.path().to_path_buf(),
    };
    ws.wait_accepted(1).await;
    faults::wait_started(port).await;

    // One trade a minute: every trade closes candles, and the WAL outgrows the cap quickly.
    let mut id = 1;
    let failing = eventually(Duration::from_secs(60), || {
        for _ in 0..50 {
            ws.push(trade_frame("BTCUSDT", id, "42000", "0.5", DAY0 + id * MIN));
            id += 1;
        }
        std::thread::sleep(Duration::from_millis(100));
        faults::probe(port, "ready").1["checks"]["store"] == "failing"
    })
    .await;
    assert!(
        failing,
        "never reported: {}",
        Scrape::take(port).get("cryptoviz_store_failed_commits_total")
    );
    assert_eq!(faults::probe(port, "ready").0, 503);
    assert!(
        eventually(Duration::from_secs(5), || {
            let s = Scrape::take(port);
            s.get("cryptoviz_store_writable") == 0.0
                && s.get("cryptoviz_store_pending_rows") > 0.0
                && s.get("cryptoviz_store_failed_commits_total") >= 1.0
                // The log is full too: its lost lines are counted where they can be seen.
                && s.get("cryptoviz_log_lines_lost_total") >= 1.0
        })
        .await
    );
    let rss = peak_rss_mb(collector.child.id());
    assert!(rss < RSS_LIMIT_MB, "peak RSS {rss:.0} MB");
    // Keep the stream going a while: every retry fails, none may reach stderr.
    for _ in 0..20 {
        for _ in 0..50 {
            ws.push(trade_frame("BTCUSDT", id, "42000", "0.5", DAY0 + id * MIN));
            id += 1;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    pinger.abort();
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(30));
    faults::assert_no_panic(&stderr, dir.path());
    assert!(
        !stderr.contains("Unable to write"),
        "stderr flooded:\n{stderr}"
    );
    assert!(
        stderr.contains("cannot write to the database") && stderr.contains("cryptoviz.db"),
        "said at once:\n{stderr}\n{}",
        faults::log_tail(dir.path(), 30)
    );
    assert!(
        stderr.lines().count() < 10,
        "a few lines, not a flood:\n{stderr}"
    );
    assert_eq!(status.code(), Some(1), "the final flush failed:\n{stderr}");
}

/// The README promises `export` beside a running collector; it used to be refused as "in use
/// by another cryptoviz process". It reads what the collector has committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_runs_beside_a_collector() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Arc::new(WsServer::start().await);
    let pinger = faults::keep_alive(&ws);
    let (collector, _port, _klines) = launch(&ws, dir.path()).await;
    ws.push(trade_frame("BTCUSDT", 1, "42000", "0.5", DAY0 + 1_000));
    ws.push(trade_frame(
        "BTCUSDT",
        2,
        "42100",
        "0.25",
        DAY0 + MIN + 1_000,
    ));
    let db = dir.path().join("cryptoviz.db");
    assert!(
        eventually(Duration::from_secs(10), || peek(&db, "BTCUSDT", "1m").len()
            == 2)
        .await
    );

    let cfg = dir.path().join("config.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cryptoviz"))
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "export",
            "--symbol",
            "BTCUSDT",
            "--timeframe",
            "1m",
            "--out",
            "-",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let candles = report["series"][0]["candles"].as_array().unwrap();
    assert_eq!(candles.len(), 2, "{report}");
    assert_eq!(candles[0]["open"], "42000");

    pinger.abort();
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(30));
    assert!(status.success(), "the collector is undisturbed: {stderr}");
}

/// A stream that connects and sends only frames nobody can read is not a market: once the
/// trades' critical age has passed without a trade, `/health/ready` says so (it used to
/// answer ready for as long as the garbage kept coming).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_of_garbage_is_not_ready() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Arc::new(WsServer::start().await);
    let (collector, port, _klines) = launch(&ws, dir.path()).await;
    // Spec's trades are critical after 3 s; garbage keeps coming for longer than that.
    let mut verdict = None;
    for i in 0..60 {
        ws.push(format!("{{\"e\":\"trade\",\"garbage\":{i}"));
        ws.push("not json at all".to_string());
        tokio::time::sleep(Duration::from_millis(100)).await;
        if i >= 45 {
            verdict = Some(faults::probe(port, "ready"));
        }
    }
    let (status, body) = verdict.unwrap();
    assert_eq!(status, 503, "{body}");
    let reasons = body["reasons"].to_string();
    assert!(
        reasons.contains("no trade accepted") && reasons.contains("could not be read"),
        "{body}"
    );
    collector.signal("TERM");
    let (_, stderr) = collector.wait(Duration::from_secs(30));
    faults::assert_no_panic(&stderr, dir.path());
}
