//! The live path end to end: a local WebSocket server speaking Binance's combined-stream
//! format feeds the real `cryptoviz collect`; the candles in the database and in `export`
//! must be exactly what the trades make, through malformed frames, a forced disconnect with
//! replayed duplicates, and quiet minutes.

mod support;

use std::time::Duration;

use support::collector::{Collector, integrity, stored_candles, write_config};
use support::ws_server::{Disconnect, WsServer, trade_frame};

/// 2024-01-01T00:00:00Z: every timeframe's bucket starts here.
const M0: i64 = 1_704_067_200_000;
const MIN: i64 = 60_000;

/// Price as stored: an integer of 1e-8 units.
fn p(s: &str) -> i64 {
    let d: cryptoviz::domain::Price = s.parse().unwrap();
    d.raw() as i64
}

async fn settle() {
    tokio::time::sleep(Duration::from_millis(400)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_trades_become_exact_candles() {
    let dir = tempfile::tempdir().unwrap();
    let ws = WsServer::start().await;
    let cfg = write_config(
        dir.path(),
        &ws.url(),
        "http://127.0.0.1:9",
        &["BTCUSDT", "ETHUSDT"],
    );
    let collector = Collector::start(&cfg, dir.path(), &[]);
    ws.wait_accepted(1).await;
    settle().await;
    assert!(
        ws.requests()[0].contains("/stream?streams=btcusdt@trade/ethusdt@trade"),
        "{:?}",
        ws.requests()
    );

    // Minute 0: five BTC trades, one ETH trade, and garbage between them.
    ws.push(trade_frame("BTCUSDT", 1, "42000.5", "0.1", M0 + 1_000));
    ws.push(trade_frame("BTCUSDT", 2, "42010", "0.25", M0 + 2_000));
    ws.push("{not json");
    ws.push("\u{1b}[31m\u{0}");
    ws.push(r#"{"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT","t":99}}"#);
    ws.push(trade_frame("BTCUSDT", 3, "41990.25", "1", M0 + 3_000));
    ws.push(trade_frame("ETHUSDT", 500, "2250.1", "3", M0 + 4_000));
    ws.push(trade_frame("BTCUSDT", 4, "42005", "0.05", M0 + 30_000));
    ws.push(trade_frame("BTCUSDT", 5, "42001", "0.5", M0 + 59_999));
    settle().await;

    // The connection drops; after reconnecting the server replays the last two trades.
    ws.disconnect_all(Disconnect::Drop);
    ws.wait_accepted(2).await;
    settle().await;
    ws.push(trade_frame("BTCUSDT", 4, "42005", "0.05", M0 + 30_000));
    ws.push(trade_frame("BTCUSDT", 5, "42001", "0.5", M0 + 59_999));
    // Minute 1, then two quiet minutes, then minute 4 (ids stay contiguous: no trade missing).
    ws.push(trade_frame("BTCUSDT", 6, "42100", "0.2", M0 + MIN + 10));
    ws.push(trade_frame("BTCUSDT", 7, "42200", "0.3", M0 + MIN + 20));
    ws.push(trade_frame("BTCUSDT", 8, "42150", "0.4", M0 + MIN + 30));
    ws.push(trade_frame("BTCUSDT", 9, "42300", "0.01", M0 + 4 * MIN + 5));
    settle().await;

    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(15));
    assert!(status.success(), "exit {status:?}: {stderr}");

    let db = dir.path().join("cryptoviz.db");
    assert_eq!(integrity(&db), "ok");
    let m1 = stored_candles(&db, "BTCUSDT", "1m");
    let got: Vec<_> = m1
        .iter()
        .map(|c| (c.0, c.1, c.2, c.3, c.4, c.5.as_str(), c.6.as_str(), c.7))
        .collect();
    let flat = p("42150");
    assert_eq!(
        got,
        vec![
            (
                M0,
                p("42000.5"),
                p("42010"),
                p("41990.25"),
                p("42001"),
                "1.9",
                "79793.55",
                5
            ),
            (
                M0 + MIN,
                p("42100"),
                p("42200"),
                p("42100"),
                p("42150"),
                "0.9",
                "37940",
                3
            ),
            (M0 + 2 * MIN, flat, flat, flat, flat, "0", "0", 0),
            (M0 + 3 * MIN, flat, flat, flat, flat, "0", "0", 0),
            (
                M0 + 4 * MIN,
                p("42300"),
                p("42300"),
                p("42300"),
                p("42300"),
                "0.01",
                "423",
                1
            ),
        ]
    );
    // Every finished candle is marked closed.
    assert!(m1[..4].iter().all(|c| c.8));

    let m5 = stored_candles(&db, "BTCUSDT", "5m");
    assert_eq!(m5.len(), 1);
    assert_eq!(
        (
            m5[0].0,
            m5[0].1,
            m5[0].2,
            m5[0].3,
            m5[0].4,
            m5[0].5.as_str(),
            m5[0].7
        ),
        (
            M0,
            p("42000.5"),
            p("42300"),
            p("41990.25"),
            p("42300"),
            "2.81",
            9
        )
    );
    let eth = stored_candles(&db, "ETHUSDT", "1d");
    assert_eq!(
        (eth[0].0, eth[0].5.as_str(), eth[0].6.as_str()),
        (M0, "3", "6750.3")
    );

    // The same candles through the user's door.
    let report = support::cli::report(&cfg, dir.path(), "BTCUSDT", "1m").unwrap();
    let candles = report["series"][0]["candles"].as_array().unwrap();
    assert_eq!(candles.len(), 5);
    assert_eq!(
        candles[0],
        serde_json::json!({"open_time": M0, "close_time": M0 + 59_999, "open": "42000.5",
            "high": "42010", "low": "41990.25", "close": "42001", "volume": "1.9",
            "quote_volume": "79793.55", "trades": 5, "closed": true})
    );
    assert_eq!(candles[2]["volume"], "0");
    assert_eq!(candles[2]["open"], "42150");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_nothing_closed_and_restart_continues_the_candle() {
    let dir = tempfile::tempdir().unwrap();
    let ws = WsServer::start().await;
    let cfg = write_config(dir.path(), &ws.url(), "http://127.0.0.1:9", &["BTCUSDT"]);
    let collector = Collector::start(&cfg, dir.path(), &[]);
    ws.wait_accepted(1).await;
    settle().await;

    // Twenty minutes of trades, three per minute, ids contiguous.
    let mut id = 0;
    for m in 0..20 {
        for s in [1, 20, 40] {
            id += 1;
            let price = format!("{}.{}", 40_000 + m * 10 + s, id % 10);
            ws.push(trade_frame(
                "BTCUSDT",
                id,
                &price,
                "0.5",
                M0 + m * MIN + s * 1000,
            ));
        }
    }
    // Closed well over a second before the kill: minutes 0..=18 (minute 19 is still open).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Keep trading into minute 19 while the process is killed.
    for s in 41..50 {
        id += 1;
        ws.push(trade_frame(
            "BTCUSDT",
            id,
            "40300",
            "0.1",
            M0 + 19 * MIN + s * 1000,
        ));
    }
    collector.signal("KILL");
    let (status, _) = collector.wait(Duration::from_secs(5));
    assert!(!status.success());

    let db = dir.path().join("cryptoviz.db");
    assert_eq!(integrity(&db), "ok");
    let m1 = stored_candles(&db, "BTCUSDT", "1m");
    assert!(m1.len() >= 19, "only {} minutes survived", m1.len());
    for (m, c) in m1.iter().take(19).enumerate() {
        let m = m as i64;
        assert_eq!(c.0, M0 + m * MIN);
        assert_eq!((c.5.as_str(), c.7), ("1.5", 3), "minute {m}");
        assert_eq!(
            c.2,
            p(&format!("{}.{}", 40_000 + m * 10 + 40, (3 * m + 3) % 10))
        );
    }

    // Restart: the candle open at the kill goes on collecting instead of starting over.
    let collector = Collector::start(&cfg, dir.path(), &[]);
    ws.wait_accepted(2).await;
    settle().await;
    id += 1;
    ws.push(trade_frame(
        "BTCUSDT",
        id,
        "40400",
        "0.2",
        M0 + 19 * MIN + 55_000,
    ));
    settle().await;
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(15));
    assert!(status.success(), "{stderr}");
    let m1 = stored_candles(&db, "BTCUSDT", "1m");
    let last = m1.last().unwrap();
    assert_eq!(last.0, M0 + 19 * MIN);
    assert_eq!(last.4, p("40400"), "the resumed candle got the new trade");
    assert!(
        last.7 >= 4,
        "kept the trades from before the kill: {}",
        last.7
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let ws = WsServer::start().await;
    let cfg = write_config(dir.path(), &ws.url(), "http://127.0.0.1:9", &["BTCUSDT"]);
    let first = Collector::start(&cfg, dir.path(), &[]);
    ws.wait_accepted(1).await;
    let second = Collector::start(&cfg, dir.path(), &[]);
    let (status, stderr) = second.wait(Duration::from_secs(10));
    assert_eq!(status.code(), Some(1));
    assert!(
        stderr.contains("in use by another cryptoviz process"),
        "{stderr}"
    );
    assert!(stderr.contains("cryptoviz.db"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    first.signal("TERM");
    assert!(first.wait(Duration::from_secs(15)).0.success());
}

/// The single-writer lock is the database file's own: a second collector reaching the same
/// file through a symlink or a hard link (another name, another directory) is refused as
/// well, or SQLite would keep two WALs for one database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_writer_through_a_link_is_refused_too() {
    let dir = tempfile::tempdir().unwrap();
    let ws = WsServer::start().await;
    let cfg = write_config(dir.path(), &ws.url(), "http://127.0.0.1:9", &["BTCUSDT"]);
    let first = Collector::start(&cfg, dir.path(), &[]);
    ws.wait_accepted(1).await;
    let db = dir.path().join("cryptoviz.db");
    let other = tempfile::tempdir().unwrap();
    let soft = other.path().join("soft.db");
    let hard = other.path().join("hard.db");
    std::os::unix::fs::symlink(&db, &soft).unwrap();
    std::fs::hard_link(&db, &hard).unwrap();
    for link in [&soft, &hard] {
        let second = std::process::Command::new(env!("CARGO_BIN_EXE_cryptoviz"))
            .arg("--config")
            .arg(&cfg)
            .arg("--data-dir")
            .arg(other.path())
            .arg("--store")
            .arg(format!("sqlite:{}", link.display()))
            .args(["collect", "--duration", "5"])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&second.stderr);
        assert_eq!(
            second.status.code(),
            Some(1),
            "{}: {stderr}",
            link.display()
        );
        assert!(
            stderr.contains("in use by another cryptoviz process"),
            "{}: {stderr}",
            link.display()
        );
    }
    first.signal("TERM");
    assert!(first.wait(Duration::from_secs(15)).0.success());
}

#[test]
fn a_corrupt_database_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cryptoviz.db"), vec![0x42u8; 8192]).unwrap();
    std::fs::write(dir.path().join("config.toml"), "").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cryptoviz"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["export", "--out", "-"])
        .env("CRYPTOVIZ_CONFIG", dir.path().join("config.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("corrupt") && stderr.contains("cryptoviz.db"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1);
}

/// Every venue unreachable: the collector says so on stderr once per venue and state (not
/// once per retry), and a `--duration` run in which no venue delivered ends with exit 1 and a
/// summary naming each venue and why.
#[test]
fn a_collector_whose_venues_never_connect_says_so_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let cfg = write_config(
        dir.path(),
        &format!("ws://{dead}"),
        "http://127.0.0.1:9",
        &["BTCUSDT", "kraken:BTC/USD"],
    );
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(&format!(
        "[venues.kraken]\nws_url = \"ws://{dead}/v2\"\nrest_url = \"http://127.0.0.1:9\"\n"
    ));
    std::fs::write(&cfg, text).unwrap();
    let collector = Collector::start(&cfg, dir.path(), &["--duration", "3"]);
    let (status, err) = collector.wait(Duration::from_secs(30));
    assert_eq!(status.code(), Some(1), "{err}");
    for venue in ["binance", "kraken"] {
        let said: Vec<&str> = err
            .lines()
            .filter(|l| {
                l.starts_with(&format!(
                    "cryptoviz: {venue}: cannot stream from ws://{dead}"
                ))
            })
            .collect();
        assert_eq!(said.len(), 1, "once per venue, not per retry:\n{err}");
        assert!(said[0].contains("the connection is refused"), "{err}");
        assert!(
            err.contains(&format!("cryptoviz: {venue} (ws://{dead}")) && err.contains("attempts)"),
            "the summary names {venue}:\n{err}"
        );
    }
    assert!(err.contains("cryptoviz: summary after 3 s:"), "{err}");
    assert!(
        err.lines().last().unwrap() == "cryptoviz: no venue delivered a trade in this run",
        "{err}"
    );
}

/// `collect --once` with every feed failing says they failed, not "0 items", and exits 1.
#[test]
fn collect_once_says_which_feeds_failed() {
    let dir = tempfile::tempdir().unwrap();
    let dead = |path: &str| {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/{path}", l.local_addr().unwrap())
    };
    let (a, b) = (dead("a.xml"), dead("b.xml"));
    let cfg = write_config(
        dir.path(),
        "ws://127.0.0.1:9",
        "http://127.0.0.1:9",
        &["BTCUSDT"],
    );
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        "feeds = []",
        &format!("feeds = [\"{a}\", \"{b}\"]\ntimeout_secs = 2"),
    );
    std::fs::write(&cfg, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cryptoviz"))
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["collect", "--once"])
        .output()
        .unwrap();
    let (said, err) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{said}{err}");
    assert!(
        said.contains("news: 2 feeds (0 answered, 2 failed), 0 items, 0 new"),
        "{said}"
    );
    for feed in [&a, &b] {
        assert!(
            err.lines()
                .any(|l| l.starts_with("cryptoviz: ") && l.contains(feed.as_str())),
            "{err}"
        );
    }
}
