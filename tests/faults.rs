//! Fault injection against the real `cryptoviz collect`, every peer a local server: the
//! WebSocket dropping every second while trades flow, 1% garbage frames, duplicated and
//! out-of-order trades, a server gone silent, REST 429/418/5xx during gap repair, `kill -9`
//! and SIGTERM mid-stream, news feeds that hang or answer HTML, and the database turning
//! read-only. After recovery the stored candles must equal the exchange's exactly, no process
//! may have panicked, and the metrics and probes must have reported each fault.
//!
//! The trades are dated 2024 so every candle is closed on arrival and the gap repair can
//! refetch at once; the klines server serves the candles `Aggregator` makes of all the
//! trades, as the exchange would. Each phase trades on its own day: a restarted collector
//! resumes the newest stored candle, and that must be one the stream built (a REST kline has
//! no trade ids to de-duplicate against).

mod support;

use support::faults;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cryptoviz::domain::{Millis, Symbol, Timeframe, Trade};
use faults::{
    Scrape, Spec, assert_no_panic, eventually, frame, free_port, klines, peek, probe, serve_klines,
    shape, stored,
};
use support::collector::{Collector, integrity};
use support::http::{Fault as HttpFault, HttpServer, Response};
use support::klines_server::{Fault, KlinesServer};
use support::ws_server::{Disconnect, WsServer};

/// 2024-01-01T00:00:00Z.
const DAY0: Millis = 1_704_067_200_000;
const DAY: Millis = 86_400_000;
const MIN: Millis = 60_000;

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

/// `minutes` of trades on day `day`, ids contiguous from `first_id`; every seventh minute is
/// quiet (the candle must come out flat).
fn day_trades(day: i64, first_id: i64, minutes: i64) -> Vec<Trade> {
    let mut out = Vec::new();
    let mut id = first_id;
    for m in 0..minutes {
        if m % 7 == 4 {
            continue;
        }
        let n = 8 + (m * 7) % 9;
        for k in 0..n {
            out.push(Trade {
                symbol: btc(),
                id,
                price: format!(
                    "{}.{:02}",
                    42_000 + day * 50 + m * 3 - k % 5,
                    (id * 7) % 100
                )
                .parse()
                .unwrap(),
                qty: format!("0.{:04}", (id * 37) % 10_000 + 1).parse().unwrap(),
                time: DAY0 + day * DAY + m * MIN + 500 + k * (59_000 / n),
                count: 1,
                micros: 0,
                buyer_is_maker: id % 2 == 0,
            });
            id += 1;
        }
    }
    out
}

/// One frame the server sends.
#[derive(Clone, Debug)]
enum Out {
    Trade(Trade),
    Garbage(&'static str),
}

const GARBAGE: [&str; 3] = [
    "{not json",
    "\u{1b}[31m\u{0}\u{7f}",
    r#"{"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT","t":"x"}}"#,
];

/// The delivery of `trades` with faults: a garbage frame per 100 frames, some trades sent
/// twice, pairs swapped within a candle, and at some minute boundaries the first trade of
/// the next minute sent before the last of this one.
fn faulty_delivery(trades: &[Trade]) -> Vec<Out> {
    let mut out = Vec::new();
    let mut i = 0;
    let emit = |out: &mut Vec<Out>, s: Out| {
        if out.len() % 100 == 50 {
            out.push(Out::Garbage(GARBAGE[(out.len() / 100) % GARBAGE.len()]));
        }
        out.push(s);
    };
    while i < trades.len() {
        let t = &trades[i];
        let next = trades.get(i + 1);
        let minute = |t: &Trade| t.time / MIN;
        match next {
            Some(n) if minute(n) != minute(t) && minute(t) % 3 == 1 => {
                emit(&mut out, Out::Trade(*n));
                emit(&mut out, Out::Trade(*t));
                i += 2;
            }
            Some(n) if minute(n) == minute(t) && i % 19 == 5 => {
                emit(&mut out, Out::Trade(*n));
                emit(&mut out, Out::Trade(*t));
                i += 2;
            }
            _ => {
                emit(&mut out, Out::Trade(*t));
                if i % 23 == 7 {
                    emit(&mut out, Out::Trade(*t));
                }
                i += 1;
            }
        }
    }
    out
}

fn clean(trades: &[Trade]) -> Vec<Out> {
    trades.iter().copied().map(Out::Trade).collect()
}

/// Sends `sends` one every `pace`; `between` runs before each send with its index.
async fn stream(ws: &WsServer, sends: &[Out], pace: Duration, mut between: impl FnMut(usize)) {
    for (i, s) in sends.iter().enumerate() {
        between(i);
        match s {
            Out::Trade(t) => ws.push(frame(t)),
            Out::Garbage(g) => ws.push(*g),
        }
        tokio::time::sleep(pace).await;
    }
}

/// (open_time, trades, closed) of every expected candle, to watch the database converge.
fn expected_rows(all: &[Trade], tf: Timeframe) -> Vec<(i64, i64, bool)> {
    klines(all, tf)
        .iter()
        .map(|c| {
            (
                c.open_time,
                c.trades.expect("counted from trades") as i64,
                c.closed,
            )
        })
        .collect()
}

/// A collector with its metrics endpoint on a free port, pointed at `ws` and `klines`;
/// returns once it is connected and started: (process, metrics port, config file).
async fn launch(ws: &WsServer, klines: &KlinesServer, dir: &Path) -> (Collector, u16, PathBuf) {
    launch_quiet_for(ws, klines, dir, Spec::default().trades_critical_secs).await
}

/// [`launch`] with trades critical after `critical` seconds (a test about the store, not the
/// stream, lets the market be quiet between its bursts).
async fn launch_quiet_for(
    ws: &WsServer,
    klines: &KlinesServer,
    dir: &Path,
    critical: u64,
) -> (Collector, u16, PathBuf) {
    let port = free_port();
    let cfg = Spec {
        ws_url: ws.url(),
        rest_url: klines.url(),
        metrics_port: Some(port),
        idle_timeout_secs: 2,
        trades_critical_secs: critical,
        ..Spec::default()
    }
    .write(dir);
    let collector = Collector::start(&cfg, dir, &faults::SAFETY_NET);
    ws.wait_accepted(1).await;
    faults::wait_started(port).await;
    (collector, port, cfg)
}

async fn converged(db: &Path, all: &[Trade], limit: Duration) -> bool {
    eventually(limit, || {
        Timeframe::ALL
            .iter()
            .all(|tf| peek(db, "BTCUSDT", tf.as_str()) == expected_rows(all, *tf))
    })
    .await
}

/// Where the stored series first differs from the exchange's, for failure messages.
fn first_mismatch(db: &Path, all: &[Trade]) -> String {
    for tf in Timeframe::ALL {
        let got = peek(db, "BTCUSDT", tf.as_str());
        let want = expected_rows(all, tf);
        if let Some(i) = (0..got.len().max(want.len())).find(|&i| got.get(i) != want.get(i)) {
            return format!(
                "{tf} row {i}: stored {:?}, expected {:?}",
                got.get(i),
                want.get(i)
            );
        }
    }
    "none".into()
}

async fn assert_stored_exactly(db: &Path, all: &[Trade]) {
    assert_eq!(integrity(db), "ok");
    for tf in Timeframe::ALL {
        let want: Vec<_> = klines(all, tf).iter().map(shape).collect();
        let got: Vec<_> = stored(db, btc(), tf).await.iter().map(shape).collect();
        assert_eq!(got.len(), want.len(), "{tf}: candle count");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w, "{tf}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_survives_every_fault_and_the_candles_match_the_exchange() {
    let day_a = day_trades(0, 1_000_000, 20);
    let first_b = day_a.last().unwrap().id + 1;
    let day_b = day_trades(1, first_b, 6);
    let day_c = day_trades(2, day_b.last().unwrap().id + 1, 8);
    let day_d = day_trades(3, day_c.last().unwrap().id + 1, 8);
    let day_e = day_trades(4, day_d.last().unwrap().id + 1, 6);
    let all: Vec<Trade> = [&day_a, &day_b, &day_c, &day_d, &day_e]
        .iter()
        .flat_map(|d| d.iter().copied())
        .collect();

    let klines_server = KlinesServer::start();
    serve_klines(&klines_server, &all);
    let ws = Arc::new(WsServer::start().await);
    let pinger = faults::keep_alive(&ws);
    let dir = tempfile::tempdir().unwrap();
    let (collector, port, cfg) = launch(&ws, &klines_server, dir.path()).await;
    let db = dir.path().join("cryptoviz.db");

    // Phase A: the connection drops every second while trades flow, with garbage, duplicates
    // and out-of-order trades, and the exchange's REST answers misbehave for the repairs.
    klines_server.push_faults([
        Fault::RateLimited { retry_after: 1 },
        Fault::ServerError,
        Fault::Banned { retry_after: 1 },
        Fault::Status(502, "Bad Gateway"),
        Fault::Status(503, "Service Unavailable"),
    ]);
    let sends = faulty_delivery(&day_a);
    let garbage = sends
        .iter()
        .filter(|s| matches!(s, Out::Garbage(_)))
        .count();
    assert!(garbage >= 2, "{garbage} garbage frames");
    let mut last_cut = Instant::now();
    let mut cuts = 0;
    stream(&ws, &sends, Duration::from_millis(12), |_| {
        if last_cut.elapsed() >= Duration::from_secs(1) {
            let how = if cuts % 2 == 0 {
                Disconnect::Drop
            } else {
                Disconnect::Close
            };
            ws.disconnect_all(how);
            cuts += 1;
            last_cut = Instant::now();
        }
    })
    .await;
    assert!(cuts >= 2, "only {cuts} disconnects while streaming");

    // Silence: the server keeps accepting but says nothing; the idle timeout reconnects and
    // readiness fails on the stale stream.
    ws.set_silent(true);
    let mut silent_reason = serde_json::Value::Null;
    assert!(
        eventually(Duration::from_secs(6), || {
            let (status, body) = probe(port, "ready");
            silent_reason = body;
            status == 503
        })
        .await,
        "ready while the server is silent"
    );
    let accepted_before = ws.accepted();
    assert!(
        eventually(Duration::from_secs(5), || ws.accepted() > accepted_before).await,
        "no reconnect after the idle timeout"
    );
    ws.set_silent(false);
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Phase B: a clean day; its first trade also reveals whatever phase A lost at its end.
    stream(&ws, &clean(&day_b), Duration::from_millis(2), |_| {}).await;
    // Ready again while trades flow (ready means trades accepted within the critical age).
    assert!(
        eventually(Duration::from_secs(2), || probe(port, "ready").0 == 200).await,
        "not ready after recovering: {:?}",
        probe(port, "ready")
    );
    assert!(
        converged(
            &db,
            &[day_a.clone(), day_b.clone()].concat(),
            Duration::from_secs(25)
        )
        .await,
        "days A and B never matched the exchange; 1m rows: {} stored, {} expected; klines served: {:?}",
        peek(&db, "BTCUSDT", "1m").len(),
        expected_rows(&all, Timeframe::M1).len(),
        klines_server
            .served()
            .iter()
            .map(|s| s.status)
            .collect::<Vec<_>>()
    );
    // Every fault so far shows in the first process's metrics.
    // The sampler copies counters once a second: give it a moment to catch up.
    let mut s = Scrape::default();
    eventually(Duration::from_secs(3), || {
        s = Scrape::take(port);
        s.value("cryptoviz_candles_written_total", &[("path", "repair")]) > Some(0.0)
    })
    .await;
    assert!(
        s.get("cryptoviz_stream_reconnects_total") >= cuts as f64,
        "{}",
        s.text
    );
    // Garbage sent while the connection was down never arrived; what arrived was counted.
    let malformed = s.get("cryptoviz_stream_malformed_frames_total");
    assert!(
        (1.0..=garbage as f64).contains(&malformed),
        "{malformed} malformed of {garbage} sent"
    );
    assert!(
        s.value("cryptoviz_ingest_trades_total", &[("outcome", "duplicate")])
            .unwrap()
            >= 1.0
    );
    let notices = |kind| {
        s.value("cryptoviz_klines_notices_total", &[("kind", kind)])
            .unwrap()
    };
    assert!(notices("rate_limited") >= 1.0, "{}", s.text);
    assert!(notices("banned") >= 1.0, "{}", s.text);
    assert!(
        s.value("cryptoviz_candles_written_total", &[("path", "repair")])
            .unwrap()
            > 0.0,
        "{}",
        s.text
    );
    assert!(s.get("cryptoviz_repair_runs_total") >= 1.0);
    let statuses: Vec<u16> = klines_server.served().iter().map(|s| s.status).collect();
    for code in [429, 418, 500, 502, 503] {
        assert!(
            statuses.contains(&code),
            "{code} never served: {statuses:?}"
        );
    }
    let reasons = silent_reason["reasons"].to_string();
    assert!(reasons.contains("stream:"), "{silent_reason}");

    // Phase C: kill -9 in the middle of a day; what is sent while it is down is lost to the
    // stream. Each restart then trades on a new day (see the module doc).
    let (c1, c2) = day_c.split_at(day_c.len() / 2);
    stream(&ws, &clean(c1), Duration::from_millis(2), |_| {}).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    collector.signal("KILL");
    let (status, stderr) = collector.wait(Duration::from_secs(5));
    assert!(!status.success());
    assert_no_panic(&stderr, dir.path());
    stream(&ws, &clean(c2), Duration::ZERO, |_| {}).await;

    // Restart, trade on, and SIGTERM in the middle of that day too.
    let (d1, d2) = day_d.split_at(day_d.len() / 2);
    let accepted = ws.accepted();
    let collector = Collector::start(&cfg, dir.path(), &faults::SAFETY_NET);
    ws.wait_accepted(accepted + 1).await;
    faults::wait_started(port).await;
    stream(&ws, &clean(d1), Duration::from_millis(2), |_| {}).await;
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(30));
    assert!(status.success(), "SIGTERM: {status:?}\n{stderr}");
    assert_no_panic(&stderr, dir.path());
    stream(&ws, &clean(d2), Duration::ZERO, |_| {}).await;

    // Restart again; what was sent while it was stopped comes back through the repair.
    let accepted = ws.accepted();
    let collector = Collector::start(&cfg, dir.path(), &faults::SAFETY_NET);
    ws.wait_accepted(accepted + 1).await;
    faults::wait_started(port).await;
    stream(&ws, &clean(&day_e), Duration::from_millis(2), |_| {}).await;
    assert!(
        converged(&db, &all, Duration::from_secs(60)).await,
        "never matched the exchange after the restarts; 1m rows: {} stored, {} expected; first difference: {}\n{}",
        peek(&db, "BTCUSDT", "1m").len(),
        expected_rows(&all, Timeframe::M1).len(),
        first_mismatch(&db, &all),
        faults::log_tail(dir.path(), 60)
    );
    // This process filled what was sent while the last one was stopped.
    assert!(
        eventually(Duration::from_secs(3), || {
            Scrape::take(port).value("cryptoviz_candles_written_total", &[("path", "repair")])
                > Some(0.0)
        })
        .await
    );
    assert_eq!(probe(port, "ready").0, 200);

    pinger.abort();
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(30));
    assert!(status.success(), "{stderr}");
    assert_no_panic(&stderr, dir.path());
    assert_stored_exactly(&db, &all).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn news_feeds_that_hang_or_answer_html_are_reported_per_feed() {
    let rss = std::fs::read("tests/fixtures/rss/coindesk_small.xml").unwrap();
    let feeds = HttpServer::start(move |req| match req.path() {
        "/good.xml" => Response::ok(rss.clone()).header("Content-Type", "application/rss+xml"),
        "/html" => Response::ok("<!doctype html><html><body>Just a moment...</body></html>")
            .header("Content-Type", "text/html"),
        "/hang" => Response::ok("").fault(HttpFault::Hang),
        _ => Response::new(404, "no"),
    });
    let (good, html, hang) = (
        format!("{}/good.xml", feeds.url()),
        format!("{}/html", feeds.url()),
        format!("{}/hang", feeds.url()),
    );
    let ws = Arc::new(WsServer::start().await);
    let pinger = faults::keep_alive(&ws);
    let klines_server = faults::empty_klines();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = Spec {
        ws_url: ws.url(),
        rest_url: klines_server.url(),
        feeds: vec![good.clone(), html.clone(), hang.clone()],
        metrics_port: Some(port),
        news_timeout_secs: 1,
        news_interval_secs: 1,
        breaker_threshold: 2,
        breaker_open_secs: 1,
        ..Spec::default()
    }
    .write(dir.path());
    let collector = Collector::start(&cfg, dir.path(), &faults::SAFETY_NET);
    ws.wait_accepted(1).await;

    let polls = |s: &Scrape, feed: &str, outcome: &str| {
        s.value(
            "cryptoviz_news_polls_total",
            &[("feed", feed), ("outcome", outcome)],
        )
        .unwrap_or(0.0)
    };
    let breaker = |s: &Scrape, feed: &str| {
        s.value(
            "cryptoviz_breaker_state",
            &[("client", "news"), ("target", feed)],
        )
    };
    // Declared from the start, breakers closed.
    let s = Scrape::take(port);
    assert_eq!(breaker(&s, &hang), Some(0.0), "{}", s.text);
    let mut opened = (false, false);
    let mut last = Scrape::default();
    let reported = eventually(Duration::from_secs(30), || {
        let s = Scrape::take(port);
        opened.0 |= breaker(&s, &html) == Some(2.0);
        opened.1 |= breaker(&s, &hang) == Some(2.0);
        let done = polls(&s, &html, "failed") >= 2.0
            && polls(&s, &hang, "failed") >= 2.0
            && polls(&s, &good, "ok") >= 1.0
            && opened == (true, true);
        last = s;
        done
    })
    .await;
    assert!(reported, "opened {opened:?}\n{}", last.text);
    let fetched = last
        .value("cryptoviz_news_items_fetched_total", &[("feed", &good)])
        .unwrap();
    assert!(fetched >= 3.0, "{}", last.text);
    assert_eq!(breaker(&last, &good), Some(0.0));
    // Bad feeds do not make the collector unready: the market data is what readiness means.
    let (status, body) = probe(port, "ready");
    assert_eq!(status, 200, "{body}");

    // Stopping does not wait for the hanging feed.
    let asked = Instant::now();
    pinger.abort();
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(30));
    assert!(status.success(), "{stderr}");
    assert!(asked.elapsed() < Duration::from_secs(10));
    assert_no_panic(&stderr, dir.path());
    let conn = rusqlite::Connection::open(dir.path().join("cryptoviz.db")).unwrap();
    let news: i64 = conn
        .query_row("SELECT count(*) FROM news", [], |r| r.get(0))
        .unwrap();
    assert!(news >= 3, "{news} news items stored");
}

/// Makes files immutable (`chattr +i`) until dropped: writes to them fail with EPERM even for
/// root and even through descriptors already open, which is how a disk turning read-only
/// looks to SQLite. A plain `chmod` cannot do this: permissions are checked at open time, the
/// store keeps its files open, and root ignores them anyway.
struct Immutable(Vec<PathBuf>);

impl Immutable {
    /// Whether `chattr +i` works here (needs CAP_LINUX_IMMUTABLE and a filesystem that has
    /// the attribute); the reason when it does not.
    fn check(dir: &Path) -> Result<(), String> {
        use std::io::Write;
        let probe = dir.join("immutable-probe");
        let mut f = std::fs::File::create(&probe).map_err(|e| e.to_string())?;
        let set = Immutable::set(std::slice::from_ref(&probe))?;
        let blocked = f.write_all(b"x").and_then(|_| f.sync_all()).is_err();
        drop(set);
        drop(f);
        let _ = std::fs::remove_file(&probe);
        if blocked {
            Ok(())
        } else {
            Err("chattr +i did not stop a write".into())
        }
    }

    fn set(paths: &[PathBuf]) -> Result<Immutable, String> {
        let mut guard = Immutable(Vec::new());
        for p in paths {
            let out = std::process::Command::new("chattr")
                .arg("+i")
                .arg(p)
                .output()
                .map_err(|e| format!("chattr: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "chattr +i {}: {}",
                    p.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            guard.0.push(p.clone());
        }
        Ok(guard)
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(p)
                .status();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_database_is_reported_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    if let Err(why) = Immutable::check(dir.path()) {
        eprintln!(
            "SKIPPED a_read_only_database_is_reported_and_loses_nothing: cannot make a file \
             read-only under a running process here ({why})"
        );
        return;
    }
    let trades = day_trades(9, 5_000_000, 9);
    let klines_server = KlinesServer::start();
    serve_klines(&klines_server, &trades);
    let ws = Arc::new(WsServer::start().await);
    let pinger = faults::keep_alive(&ws);
    let (collector, port, _) = launch_quiet_for(&ws, &klines_server, dir.path(), 120).await;
    let db = dir.path().join("cryptoviz.db");

    let third = trades.len() / 3;
    stream(
        &ws,
        &clean(&trades[..third]),
        Duration::from_millis(2),
        |_| {},
    )
    .await;
    assert!(
        eventually(Duration::from_secs(5), || {
            Scrape::take(port).get("cryptoviz_store_rows_committed_total") > 0.0
        })
        .await
    );
    let wal = dir.path().join("cryptoviz.db-wal");
    assert!(wal.exists(), "the store runs in WAL mode");

    let read_only = Immutable::set(&[db.clone(), wal]).unwrap();
    stream(
        &ws,
        &clean(&trades[third..2 * third]),
        Duration::from_millis(2),
        |_| {},
    )
    .await;
    let mut seen = serde_json::Value::Null;
    assert!(
        eventually(Duration::from_secs(5), || {
            let (status, body) = probe(port, "ready");
            seen = body;
            status == 503
        })
        .await,
        "ready with a read-only database"
    );
    assert_eq!(seen["checks"]["store"], "failing", "{seen}");
    assert!(seen["reasons"].to_string().contains("store:"), "{seen}");
    assert!(
        eventually(Duration::from_secs(3), || {
            let s = Scrape::take(port);
            s.get("cryptoviz_store_failed_commits_total") >= 1.0
                && s.get("cryptoviz_store_writable") == 0.0
                && s.get("cryptoviz_store_pending_rows") > 0.0
        })
        .await
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    drop(read_only);

    assert!(
        eventually(Duration::from_secs(30), || probe(port, "ready").0 == 200).await,
        "not ready once writable again: {:?}",
        probe(port, "ready")
    );
    stream(
        &ws,
        &clean(&trades[2 * third..]),
        Duration::from_millis(2),
        |_| {},
    )
    .await;
    assert!(
        converged(&db, &trades, Duration::from_secs(30)).await,
        "1m rows: {:?}",
        peek(&db, "BTCUSDT", "1m")
    );
    assert!(
        eventually(Duration::from_secs(3), || {
            let s = Scrape::take(port);
            s.get("cryptoviz_store_writable") == 1.0 && s.get("cryptoviz_store_pending_rows") == 0.0
        })
        .await
    );

    pinger.abort();
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(30));
    assert!(status.success(), "{stderr}");
    assert_no_panic(&stderr, dir.path());
    assert_stored_exactly(&db, &trades).await;
    // Nothing came from the repair: every candle was held and committed by the live path.
    assert!(
        klines_server
            .served()
            .iter()
            .all(|s| s.start.is_none_or(|t| t > DAY0 + 10 * DAY)),
        "the repair had to fill something"
    );
}
