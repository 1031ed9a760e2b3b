//! `cryptoviz backfill` as a user runs it: the real binary, a temp data dir, a config pointing
//! at a local klines server.

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use cryptoviz::domain::{SeriesKey, Symbol, Timeframe};
use cryptoviz::store::{Store, StoreOptions};
use support::klines_server::{Fault, KlinesServer, SourceCandle, assert_stored_exactly, generate};

const BIN: &str = env!("CARGO_BIN_EXE_cryptoviz");
/// 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200_000;
const M: i64 = 60_000;
const H: i64 = 3_600_000;

struct Setup {
    server: KlinesServer,
    dir: tempfile::TempDir,
    m1: Vec<SourceCandle>,
    h1: Vec<SourceCandle>,
}

impl Setup {
    fn new() -> Setup {
        let server = KlinesServer::start();
        let m1 = server.add_series("BTCUSDT", "1m", generate(21, M, T0, 3 * 1_440));
        let h1 = server.add_series("BTCUSDT", "1h", generate(22, H, T0, 72));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            format!(
                "[market]\nrest_url = \"{}\"\n\n[net]\n\
                 backoff = {{ initial_ms = 10, max_ms = 100, multiplier = 2.0, jitter = 0.1 }}\n\
                 breaker = {{ failure_threshold = 3, open_secs = 1 }}\n",
                server.url()
            ),
        )
        .unwrap();
        Setup {
            server,
            dir,
            m1,
            h1,
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::new(BIN);
        cmd.arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(args)
            .env_remove("CRYPTOVIZ_CONFIG")
            .env_remove("CRYPTOVIZ_DATA_DIR")
            .timeout(Duration::from_secs(20));
        cmd
    }

    fn starts(&self, interval: &str) -> Vec<i64> {
        self.server
            .served()
            .iter()
            .filter(|s| s.interval == interval)
            .filter_map(|s| s.start)
            .collect()
    }
}

fn key(tf: Timeframe) -> SeriesKey {
    SeriesKey {
        symbol: Symbol::new("BTCUSDT").unwrap(),
        timeframe: tf,
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn open_store(data_dir: &Path) -> Store {
    Store::open(
        &cryptoviz::paths::database_file(data_dir),
        StoreOptions::default(),
    )
    .unwrap()
}

const ONE_DAY: [&str; 9] = [
    "backfill",
    "--symbols",
    "btcusdt",
    "--timeframes",
    "1m,1h",
    "--from",
    "2024-01-01",
    "--to",
    "2024-01-02",
];

#[tokio::test]
async fn fills_the_window_prints_a_summary_and_a_rerun_asks_nothing() {
    let s = Setup::new();
    let out = s.cmd(&ONE_DAY).output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stdout.contains("backfill: 2 ranges (2 done, 0 failed), 1464 candles written, 3 requests"),
        "{stdout}"
    );
    // Plain progress lines: stderr is not a terminal here.
    assert!(
        stderr.contains("backfill binance:BTCUSDT 1m: 0/1440 candles"),
        "{stderr}"
    );
    assert!(
        stderr.contains("backfill binance:BTCUSDT 1m: 1440/1440 candles"),
        "{stderr}"
    );
    assert!(
        stderr.contains("backfill binance:BTCUSDT 1h: 24/24 candles"),
        "{stderr}"
    );
    assert_eq!(s.starts("1m"), vec![T0, T0 + 1_000 * M]);

    // The flag spelling, and nothing left to fetch.
    let mut again: Vec<&str> = ONE_DAY.to_vec();
    again[0] = "--backfill";
    let out = s.cmd(&again).output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("backfill: 0 ranges (0 done, 0 failed), 0 candles written, 0 requests"),
        "{stdout}"
    );
    assert!(
        stderr.contains("backfill binance:BTCUSDT 1h: up to date"),
        "{stderr}"
    );
    assert_eq!(
        s.server.served().len(),
        3,
        "no request for completed ranges"
    );

    let store = open_store(&s.data_dir()).await;
    assert_stored_exactly(&store, key(Timeframe::M1), &s.m1[..1_440]).await;
    assert_stored_exactly(&store, key(Timeframe::H1), &s.h1[..24]).await;
    store.close().await.unwrap();
}

#[test]
fn a_server_that_always_fails_exits_1_with_one_line_per_range() {
    let s = Setup::new();
    s.server.set_always(Some(Fault::ServerError));
    let started = Instant::now();
    let out = s.cmd(&ONE_DAY).output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("cryptoviz: backfill "))
        .collect();
    assert_eq!(errors.len(), 2, "{stderr}");
    assert!(
        errors[0].starts_with(
            "cryptoviz: backfill binance:BTCUSDT 1m 2024-01-01T00:00:00Z..2024-01-01T23:59:00Z failed: circuit breaker open"
        ),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("HTTP 500"), "{}", errors[0]);
    assert!(
        errors[1].starts_with(
            "cryptoviz: backfill binance:BTCUSDT 1h 2024-01-01T00:00:00Z..2024-01-01T23:00:00Z failed:"
        ),
        "{}",
        errors[1]
    );
    // The run ends here: it promises no next try, it says how to resume.
    assert!(!stderr.contains("next try"), "{stderr}");
    assert!(
        stderr.trim_end().ends_with(
            "cryptoviz: 2 ranges incomplete; their progress is saved: run the same backfill again to resume them"
        ),
        "{stderr}"
    );
    // Three tries (the breaker's threshold), then the breaker stops the rest.
    assert_eq!(s.server.served().len(), 3);
    assert!(text(&out.stdout).contains("2 ranges (0 done, 2 failed)"));
}

#[test]
fn a_bad_symbol_exits_1_naming_it() {
    let s = Setup::new();
    let out = s
        .cmd(&[
            "backfill",
            "--symbols",
            "NOPE",
            "--timeframes",
            "1h",
            "--days",
            "1",
        ])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("cryptoviz: backfill binance:NOPE 1h"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        line.contains("HTTP 400 for binance:NOPE: Invalid symbol."),
        "{line}"
    );
    assert_eq!(s.server.served().len(), 1);
}

#[test]
fn a_backwards_window_is_a_usage_error() {
    let s = Setup::new();
    let out = s
        .cmd(&["backfill", "--from", "2024-01-02", "--to", "2024-01-01"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("must be before --to"), "{stderr}");
    assert!(s.server.served().is_empty());
}

#[tokio::test]
async fn killed_midway_then_rerun_resumes_without_refetching() {
    let s = Setup::new();
    s.server
        .set_always(Some(Fault::Slow(Duration::from_millis(300))));
    let args = [
        "backfill",
        "--symbols",
        "BTCUSDT",
        "--timeframes",
        "1m",
        "--from",
        "2024-01-01",
        "--to",
        "2024-01-04",
    ];
    let mut child = std::process::Command::new(BIN)
        .arg("--config")
        .arg(s.dir.path().join("config.toml"))
        .arg("--data-dir")
        .arg(s.data_dir())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Pages are written while the next one is fetched: once the third request arrives, the
    // first page and its checkpoint are surely committed.
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.server.served().len() < 3 {
        assert!(Instant::now() < deadline, "the run stalled");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let store = open_store(&s.data_dir()).await;
    let k = key(Timeframe::M1);
    let rows = store.call(move |b| b.progress(k)).await.unwrap();
    store.close().await.unwrap();
    drop(store);
    assert_eq!(rows.len(), 1);
    let checkpoint = rows[0].position;
    assert!(checkpoint >= T0 + 1_000 * M, "checkpoint {checkpoint}");

    s.server.set_always(None);
    s.server.clear_log();
    let out = s.cmd(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let end = T0 + 3 * 1_440 * M;
    let expected: Vec<i64> = (checkpoint..end).step_by(1_000 * M as usize).collect();
    assert_eq!(
        s.starts("1m"),
        expected,
        "resumed at the checkpoint; committed pages were not fetched again"
    );
    let store = open_store(&s.data_dir()).await;
    assert_stored_exactly(&store, k, &s.m1[..3 * 1_440]).await;
    store.close().await.unwrap();
}

/// An exchange's error text is untrusted: what it says reaches stderr and the log with its
/// escape sequences (a clipboard write, a screen clear), bidi override and line break shown
/// as text, never as bytes a terminal would act on.
#[test]
fn an_exchanges_error_text_reaches_stderr_and_the_log_escaped() {
    let s = Setup::new();
    s.server.set_always(Some(Fault::Status(
        400,
        "bad \u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{202e}gnp.exe\nfake: all done",
    )));
    let out = s.cmd(&ONE_DAY).output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let log = std::fs::read_to_string(s.data_dir().join("cryptoviz.log")).unwrap();
    for (name, text) in [("stderr", &stderr), ("log", &log)] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'),
            "raw control bytes in the {name}: {text:?}"
        );
        assert!(
            !text.contains("\nfake: all done"),
            "a forged line in the {name}"
        );
    }
    assert!(stderr.contains("\\u{1b}]52;c;"), "{stderr}");
}

/// A 200 answer whose body does not decode is not retried (the same body would not decode
/// the sixth time): one request per range, one line naming the venue and the path, the
/// breaker left closed, and the run moves on to the next range.
#[test]
fn an_answer_that_does_not_decode_is_skipped_not_retried() {
    let s = Setup::new();
    s.server.set_always(Some(Fault::Body(
        r#"{"unexpected":"shape","rows":[[1,2,3]]}"#,
    )));
    let out = s.cmd(&ONE_DAY).output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        s.server.served().len(),
        2,
        "one request per range, no retries: {stderr}"
    );
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("cryptoviz: backfill "))
        .collect();
    assert_eq!(errors.len(), 2, "{stderr}");
    for e in errors {
        assert!(
            e.contains("binance http://")
                && e.contains("/api/v3/klines: the answer (HTTP 200)")
                && e.contains("does not decode"),
            "{e}"
        );
        assert!(!e.contains("circuit breaker"), "{e}");
    }
}
