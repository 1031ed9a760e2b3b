//! Helpers for running the real collector with its metrics endpoint through faults: a config
//! with every knob the fault tests turn, an HTTP client for the endpoint, an exposition parser,
//! and the exchange's view of a list of trades (the candles `Aggregator` makes of them, served
//! by the klines server so the gap repair can fill what the stream missed).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cryptoviz::aggregate::Aggregator;
use cryptoviz::domain::{Candle, Millis, SeriesKey, Symbol, Timeframe, Trade};
use cryptoviz::store::{Store, StoreOptions};

use crate::support::klines_server::{KlinesServer, SourceCandle};
use crate::support::ws_server::{WsServer, trade_frame};

/// Everything the fault tests set in the config; the defaults retry fast and never open a
/// breaker by accident.
#[derive(Clone, Debug)]
pub struct Spec {
    pub ws_url: String,
    pub rest_url: String,
    pub symbols: Vec<String>,
    pub feeds: Vec<String>,
    pub metrics_port: Option<u16>,
    pub idle_timeout_secs: u64,
    pub breaker_threshold: u32,
    pub breaker_open_secs: u64,
    pub news_timeout_secs: u64,
    pub news_interval_secs: u64,
    pub trades_warning_secs: u64,
    pub trades_critical_secs: u64,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            ws_url: "ws://127.0.0.1:9".into(),
            rest_url: "http://127.0.0.1:9".into(),
            symbols: vec!["BTCUSDT".into()],
            feeds: Vec::new(),
            metrics_port: None,
            idle_timeout_secs: 5,
            breaker_threshold: 50,
            breaker_open_secs: 1,
            news_timeout_secs: 1,
            news_interval_secs: 60,
            trades_warning_secs: 1,
            trades_critical_secs: 3,
        }
    }
}

impl Spec {
    pub fn write(&self, dir: &Path) -> PathBuf {
        let quote = |v: &[String]| {
            v.iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let listen = self
            .metrics_port
            .map(|p| format!("127.0.0.1:{p}"))
            .unwrap_or_default();
        let text = format!(
            r#"[market]
ws_url = "{ws}"
rest_url = "{rest}"
symbols = [{symbols}]

[news]
feeds = [{feeds}]
timeout_secs = {news_timeout}
interval_secs = {news_interval}

[net]
ws_idle_timeout_secs = {idle}
backoff = {{ initial_ms = 50, max_ms = 400, multiplier = 2.0, jitter = 0.1 }}
breaker = {{ failure_threshold = {threshold}, open_secs = {open} }}

[freshness]
trades = {{ warning = {warn}, critical = {crit} }}

[storage]
# The tests trade in 2024: keep every candle hot, or start-up tiering would delete them.
retention = {{ "1m" = [0, 0], "5m" = [0, 0], "15m" = [0, 0], "1h" = [0, 0], "1d" = [0, 0] }}

[metrics]
listen = "{listen}"
"#,
            ws = self.ws_url,
            rest = self.rest_url,
            symbols = quote(&self.symbols),
            feeds = quote(&self.feeds),
            news_timeout = self.news_timeout_secs,
            news_interval = self.news_interval_secs,
            idle = self.idle_timeout_secs,
            threshold = self.breaker_threshold,
            open = self.breaker_open_secs,
            warn = self.trades_warning_secs,
            crit = self.trades_critical_secs,
        );
        let path = dir.join("config.toml");
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// Arguments for `collect` in these tests: a collector left behind by a failed test (its
/// `Child` is never killed then) stops on its own after this long.
pub const SAFETY_NET: [&str; 2] = ["--duration", "120"];

/// A port nothing listens on right now (the collector binds it moments later).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Sends `request` as is and returns the whole answer ("" when the connection failed).
pub fn raw(port: u16, request: &[u8]) -> String {
    let Ok(mut c) = TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    if c.write_all(request).is_err() {
        return String::new();
    }
    let _ = c.shutdown(Shutdown::Write);
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// `GET path`: (status, body); status 0 when nothing answered.
pub fn get(port: u16, path: &str) -> (u16, String) {
    let answer = raw(
        port,
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes(),
    );
    split(&answer)
}

pub fn split(answer: &str) -> (u16, String) {
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// A probe's status and JSON body (Null when it did not answer).
pub fn probe(port: u16, which: &str) -> (u16, serde_json::Value) {
    let (status, body) = get(port, &format!("/health/{which}"));
    (status, serde_json::from_str(&body).unwrap_or_default())
}

/// One scrape of `/metrics`, parsed.
#[derive(Clone, Debug, Default)]
pub struct Scrape {
    pub text: String,
    pub samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Scrape {
    pub fn take(port: u16) -> Scrape {
        let (status, text) = get(port, "/metrics");
        assert_eq!(status, 200, "GET /metrics: {text}");
        Scrape::parse(&text)
    }

    /// Parses the text exposition: `name{k="v",...} value` lines; `#` lines are metadata.
    pub fn parse(text: &str) -> Scrape {
        let mut samples = Vec::new();
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let (series, value) = line.rsplit_once(' ').expect("sample line");
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("value in {line}"));
            let (name, labels) = match series.split_once('{') {
                None => (series.to_string(), BTreeMap::new()),
                Some((name, rest)) => {
                    let inner = rest.strip_suffix('}').expect("closing brace");
                    let labels = inner
                        .split("\",")
                        .filter(|kv| !kv.is_empty())
                        .map(|kv| {
                            let (k, v) = kv.split_once("=\"").expect("label");
                            (k.to_string(), v.trim_end_matches('"').to_string())
                        })
                        .collect();
                    (name.to_string(), labels)
                }
            };
            samples.push((name, labels, value));
        }
        Scrape {
            text: text.to_string(),
            samples,
        }
    }

    /// The sample of `name` whose labels include all of `labels`.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples
            .iter()
            .find(|(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.get(*k).is_some_and(|x| x == v))
            })
            .map(|s| s.2)
    }

    pub fn get(&self, name: &str) -> f64 {
        self.value(name, &[])
            .unwrap_or_else(|| panic!("{name} missing from\n{}", self.text))
    }

    /// Metric family names declared by `# TYPE` lines.
    pub fn families(&self) -> Vec<String> {
        self.text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split(' ').next())
            .map(str::to_string)
            .collect()
    }
}

/// A klines server that knows BTCUSDT but has no candles: repairs finish at once.
pub fn empty_klines() -> KlinesServer {
    let k = KlinesServer::start();
    for tf in Timeframe::ALL {
        k.add_series("BTCUSDT", tf.as_str(), Vec::new());
    }
    k
}

/// Pings every open connection twice a second, as Binance's keep-alive would, so a quiet
/// test market is not mistaken for a dead connection.
pub fn keep_alive(ws: &std::sync::Arc<WsServer>) -> tokio::task::JoinHandle<()> {
    let ws = ws.clone();
    tokio::spawn(async move {
        loop {
            ws.ping(b"keepalive");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    })
}

/// Waits until the startup probe says the collector has started (at most 15 s).
pub async fn wait_started(port: u16) {
    assert!(
        eventually(Duration::from_secs(30), || probe(port, "startup").0 == 200).await,
        "startup: {:?}",
        probe(port, "startup")
    );
}

/// Polls `ok` every 50 ms for at most `limit`; returns whether it held.
pub async fn eventually(limit: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if ok() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The frame Binance would send for `t`.
pub fn frame(t: &Trade) -> String {
    trade_frame(
        t.symbol.as_str(),
        t.id,
        &t.price.to_string(),
        &t.qty.to_string(),
        t.time,
    )
}

/// The exchange's klines for these trades, every interval closed (quiet intervals between
/// trades flat, as Binance makes them).
pub fn klines(trades: &[Trade], tf: Timeframe) -> Vec<Candle> {
    let mut agg = Aggregator::new(trades[0].symbol, &[tf]);
    let mut sorted = trades.to_vec();
    sorted.sort_by_key(|t| t.id);
    sorted.dedup_by_key(|t| t.id);
    for t in &sorted {
        agg.push(t);
    }
    agg.close_due(Millis::MAX / 2);
    let mut out = Vec::new();
    agg.drain(&mut out);
    out.into_iter().map(|(_, c)| c).collect()
}

pub fn source_candle(c: &Candle, tf: Timeframe) -> SourceCandle {
    SourceCandle {
        open_time: c.open_time,
        close_time: c.close_time(tf),
        open: c.open.to_string(),
        high: c.high.to_string(),
        low: c.low.to_string(),
        close: c.close.to_string(),
        volume: c.volume.to_string(),
        // Binance's klines carry both.
        quote_volume: c.quote_volume.expect("a quote volume").to_string(),
        trades: c.trades.expect("a trade count"),
        taker_buy_base: "0".into(),
        taker_buy_quote: "0".into(),
    }
}

/// Serves the exchange's klines of `trades` in every timeframe.
pub fn serve_klines(server: &KlinesServer, trades: &[Trade]) {
    for tf in Timeframe::ALL {
        let rows = klines(trades, tf)
            .iter()
            .map(|c| source_candle(c, tf))
            .collect();
        server.add_series(trades[0].symbol.as_str(), tf.as_str(), rows);
    }
}

/// What must match the exchange (trade ids are ours only).
pub type Shape = (
    Millis,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<u64>,
    bool,
);

pub fn shape(c: &Candle) -> Shape {
    (
        c.open_time,
        c.open.to_string(),
        c.high.to_string(),
        c.low.to_string(),
        c.close.to_string(),
        c.volume.to_string(),
        c.quote_volume.map(|q| q.to_string()),
        c.trades,
        c.closed,
    )
}

/// The stored candles of one series, through cryptoviz's own store (the collector must have
/// stopped: the store takes the data dir's write lock).
pub async fn stored(db: &Path, symbol: Symbol, tf: Timeframe) -> Vec<Candle> {
    let store = Store::open(db, StoreOptions::default()).unwrap();
    let key = SeriesKey {
        symbol,
        timeframe: tf,
    };
    let v = store.candles(key, Millis::MIN, Millis::MAX).await.unwrap();
    store.close().await.unwrap();
    v
}

/// Rows of one series straight from the SQLite file, read-only, while a collector runs:
/// (open_time, trades, closed).
pub fn peek(db: &Path, symbol: &str, tf: &str) -> Vec<(i64, i64, bool)> {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return Vec::new();
    };
    let Ok(mut st) = conn.prepare(
        "SELECT c.open_time, c.trades, c.closed FROM candles c JOIN series s ON s.id = c.series_id \
         WHERE s.symbol = ?1 AND s.timeframe = ?2 ORDER BY c.open_time",
    ) else {
        return Vec::new();
    };
    st.query_map([symbol, tf], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map(|rows| rows.filter_map(Result::ok).collect())
        .unwrap_or_default()
}

/// Asserts that no process panicked: not on stderr, not in the data dir's logs.
pub fn assert_no_panic(stderr: &str, data_dir: &Path) {
    assert!(!stderr.contains("panicked"), "a panic on stderr:\n{stderr}");
    for entry in std::fs::read_dir(data_dir).unwrap().flatten() {
        let path = entry.path();
        let is_log = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.contains("log"));
        if is_log && path.is_file() {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(!text.contains("panicked"), "a panic in {}", path.display());
        }
    }
}

/// The last `n` lines of the collector's log, for failure messages.
pub fn log_tail(data_dir: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(data_dir.join("cryptoviz.log")).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
