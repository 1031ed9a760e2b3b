//! Five venues at once through the real `cryptoviz collect`: a local WebSocket server per
//! venue speaking its own format (acks, pongs, Kraken's JSON numbers and snapshot after a
//! reconnect, Coinbase's maker side, Bybit's batches, OKX's string fields), one venue down
//! while the others go on, duplicates and out-of-order trades, and a composite of three.
//! Every series is compared, candle by candle, with a reference built here by hand.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use support::collector::Collector;
use support::faults::{SAFETY_NET, Scrape, assert_no_panic, eventually, free_port, keep_alive};
use support::venues::{Expected, T, message, minutes, responder};
use support::ws_server::{Disconnect, WsServer};

const VENUES: [(&str, &str); 5] = [
    ("binance", "BTCUSDT"),
    ("coinbase", "BTC-USD"),
    ("kraken", "BTC/USD"),
    ("bybit", "BTCUSDT"),
    ("okx", "BTC-USDT"),
];

fn write_config(dir: &Path, servers: &[(&str, String)], metrics_port: u16) -> PathBuf {
    let mut venues = String::new();
    for (venue, url) in servers {
        venues.push_str(&format!(
            "[venues.{venue}]\nws_url = \"{url}\"\nrest_url = \"http://127.0.0.1:9\"\n\n"
        ));
    }
    let text = format!(
        r#"[market]
symbols = ["binance:BTCUSDT", "coinbase:BTC-USD", "kraken:BTC/USD", "bybit:BTCUSDT", "okx:BTC-USDT"]
timeframes = ["1m"]
composites = {{ "BTC-USD" = ["binance:BTCUSDT", "coinbase:BTC-USD", "kraken:BTC/USD"] }}

{venues}[news]
feeds = []

[net]
ws_idle_timeout_secs = 5
backoff = {{ initial_ms = 50, max_ms = 400, multiplier = 2.0, jitter = 0.1 }}
breaker = {{ failure_threshold = 50, open_secs = 1 }}

[storage]
retention = {{ "1m" = [0, 0] }}

[metrics]
listen = "127.0.0.1:{metrics_port}"
"#
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        ((self.0 >> 33) % n) as i64
    }
}

/// Trades in minutes 0, 1 and 3 after `m0` (minute 2 is quiet), ids contiguous per venue.
/// Microsecond venues get sub-millisecond times; the edges of the composite's minutes are
/// placed by hand to test its ordering.
fn trades(m0: i64) -> Vec<T> {
    let mut rng = Lcg(7);
    let mut out = Vec::new();
    for (v, (venue, symbol)) in VENUES.iter().enumerate() {
        let micro = matches!(*venue, "coinbase" | "kraken");
        let mut id = 1_000 * (v as i64 + 1);
        for (minute, n) in [(0, 5), (1, 4), (3, 3)] {
            let mut offsets: Vec<i64> = (0..n)
                .map(|_| 1_000_000 + rng.next(57_000_000))
                .map(|us| if micro { us } else { us / 1000 * 1000 })
                .collect();
            offsets.sort();
            for off in offsets {
                out.push(T {
                    venue,
                    symbol,
                    id,
                    ticks: 9_000_000 + rng.next(20_000),
                    lots: 1 + rng.next(90_000),
                    time_us: (m0 + minute * 60_000) * 1000 + off,
                    taker_buys: rng.next(2) == 0,
                });
                id += 1;
            }
        }
    }
    // The composite's first minute opens with a three-way tie at its very first microsecond
    // (member order decides: Binance), and its last minute closes with trades one
    // millisecond apart from which only microseconds pick the last (Coinbase).
    let first_of = |out: &mut Vec<T>, venue: &str| {
        let t = out
            .iter_mut()
            .filter(|t| t.venue == venue)
            .min_by_key(|t| t.id)
            .unwrap();
        t.time_us = m0 * 1000;
    };
    for venue in ["binance", "coinbase", "kraken"] {
        first_of(&mut out, venue);
    }
    let end = (m0 + 3 * 60_000 + 59_999) * 1000;
    for (venue, at) in [("binance", end), ("kraken", end), ("coinbase", end + 700)] {
        let t = out
            .iter_mut()
            .filter(|t| t.venue == venue)
            .max_by_key(|t| t.id)
            .unwrap();
        t.time_us = at;
    }
    out
}

fn of<'a>(all: &'a [T], venue: &str) -> Vec<&'a T> {
    all.iter().filter(|t| t.venue == venue).collect()
}

fn owned(ts: &[&T]) -> Vec<T> {
    ts.iter().map(|t| (*t).clone()).collect()
}

fn export(cfg: &Path, dir: &Path, symbol: &str, m0: i64) -> serde_json::Value {
    let rfc = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cryptoviz"))
        .arg("--config")
        .arg(cfg)
        .arg("--data-dir")
        .arg(dir)
        .args(["export", "--symbol", symbol, "--timeframe", "1m"])
        .args(["--from", &rfc(m0 - 3_600_000), "--to", &rfc(m0 + 3_600_000)])
        .args(["--out", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "export {symbol}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn candles(report: &serde_json::Value) -> Vec<Expected> {
    report["series"][0]["candles"]
        .as_array()
        .unwrap()
        .iter()
        .map(Expected::from_report)
        .collect()
}

async fn started(servers: &[Arc<WsServer>]) {
    for s in servers {
        s.wait_accepted(1).await;
        assert!(
            eventually(Duration::from_secs(5), || !s.received().is_empty()
                || s.requests().iter().any(|r| r.contains("streams=")))
            .await,
            "no subscription arrived"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_venues_stream_at_once_into_exact_candles_and_one_composite() {
    let dir = tempfile::tempdir().unwrap();
    let mut servers = Vec::new();
    for (venue, _) in VENUES {
        servers.push(Arc::new(if venue == "binance" {
            WsServer::start().await
        } else {
            WsServer::start_with(responder(venue)).await
        }));
    }
    let pingers: Vec<_> = servers.iter().map(keep_alive).collect();
    let [binance, coinbase, kraken, bybit, okx] = [0, 1, 2, 3, 4].map(|i| servers[i].clone());
    let urls: Vec<(&str, String)> = VENUES
        .iter()
        .zip(&servers)
        .map(|((v, _), s)| (*v, s.url()))
        .collect();
    let port = free_port();
    let cfg = write_config(dir.path(), &urls, port);
    let collector = Collector::start(&cfg, dir.path(), &SAFETY_NET);
    started(&servers).await;

    // Each venue subscribed the way its docs ask.
    assert!(binance.requests()[0].contains("/stream?streams=btcusdt@trade"));
    assert!(coinbase.received()[0].contains(r#""channels":["matches","heartbeat"]"#));
    assert!(kraken.received()[0].contains(r#""channel":"trade""#));
    assert!(bybit.received()[0].contains("publicTrade.BTCUSDT"));
    assert!(okx.received()[0].contains(r#""channel":"trades-all""#));

    let m0 = (support_now() - 40 * 60_000) / 60_000 * 60_000;
    let all = trades(m0);

    // Binance: one trade a frame, two of minute 1 swapped in delivery.
    let mut b = of(&all, "binance");
    b.swap(6, 7);
    for t in &b {
        binance.push(message(&[(*t).clone()]));
    }
    // Coinbase: one match a message, two of them delivered twice.
    let c = of(&all, "coinbase");
    for t in c.iter().chain(&c[3..5]) {
        coinbase.push(message(&[(*t).clone()]));
    }
    // OKX: pushes of up to three fills.
    for chunk in of(&all, "okx").chunks(3) {
        okx.push(message(&owned(chunk)));
    }
    // Kraken: the first half, then the connection drops; the new connection's snapshot
    // repeats the last three trades already seen before the new ones.
    let k = of(&all, "kraken");
    kraken.push(message(&owned(&k[..6])));
    assert!(
        eventually(Duration::from_secs(10), || Scrape::take(port)
            .value("cryptoviz_stream_trades_total", &[("venue", "kraken")])
            == Some(6.0))
        .await
    );
    kraken.disconnect_all(Disconnect::Drop);
    kraken.wait_accepted(2).await;
    assert!(
        eventually(Duration::from_secs(5), || kraken.received().len() >= 2).await,
        "kraken resubscribes"
    );
    kraken.push(message(&owned(&k[3..])).replace(r#""type":"update""#, r#""type":"snapshot""#));

    // Bybit is down (refusing connections) while the others trade on.
    bybit.refuse_for(Duration::from_secs(3));
    bybit.disconnect_all(Disconnect::Drop);
    assert!(
        eventually(Duration::from_secs(5), || Scrape::take(port)
            .value("cryptoviz_stream_connected", &[("venue", "bybit")])
            == Some(0.0))
        .await
    );
    let s = Scrape::take(port);
    for venue in ["binance", "coinbase", "kraken", "okx"] {
        assert_eq!(
            s.value("cryptoviz_stream_connected", &[("venue", venue)]),
            Some(1.0),
            "{venue} stays up while bybit is down"
        );
    }
    bybit.wait_accepted(2).await;
    assert!(eventually(Duration::from_secs(5), || bybit.received().len() >= 2).await);
    for chunk in of(&all, "bybit").chunks(4) {
        bybit.push(message(&owned(chunk)));
    }

    let unique = all.len() as f64;
    let applied = eventually(Duration::from_secs(15), || {
        Scrape::take(port).value("cryptoviz_ingest_trades_total", &[("outcome", "applied")])
            == Some(unique)
    })
    .await;
    let s = Scrape::take(port);
    assert!(
        applied,
        "applied {:?} of {unique}",
        s.value("cryptoviz_ingest_trades_total", &[("outcome", "applied")])
    );
    assert_eq!(
        s.value("cryptoviz_ingest_trades_total", &[("outcome", "duplicate")]),
        Some(5.0),
        "two Coinbase repeats and Kraken's three-trade overlap"
    );
    assert_eq!(
        s.value("cryptoviz_stream_trades_total", &[("venue", "kraken")]),
        Some(15.0)
    );
    assert!(s.value("cryptoviz_stream_reconnects_total", &[("venue", "bybit")]) >= Some(1.0));
    assert_eq!(
        s.value("cryptoviz_stream_reconnects_total", &[("venue", "okx")]),
        Some(0.0)
    );

    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(15));
    assert!(status.success(), "{stderr}");
    assert_no_panic(&stderr, dir.path());
    drop(pingers);

    // Each venue by its own rules: flat quiet minutes where ids prove nothing was missed
    // and the venue's candles show them; none on Coinbase (omitted) or Bybit (ids unproven).
    let by_id = |t: &T| (t.id, 0, 0);
    for (venue, symbol, flat) in [
        ("binance", "binance:BTCUSDT", true),
        ("coinbase", "coinbase:BTC-USD", false),
        ("kraken", "kraken:BTC/USD", true),
        ("bybit", "bybit:BTCUSDT", false),
        ("okx", "okx:BTC-USDT", true),
    ] {
        let report = export(&cfg, dir.path(), symbol, m0);
        assert_eq!(report["series"][0]["venue"], venue);
        let want = minutes(&owned(&of(&all, venue)), by_id, flat);
        assert_eq!(want.len(), if flat { 4 } else { 3 });
        assert_eq!(candles(&report), want, "{symbol}");
    }

    // The composite: merged trades by time to the microsecond, then member order.
    let place = |t: &T| {
        ["binance", "coinbase", "kraken"]
            .iter()
            .position(|v| *v == t.venue)
            .unwrap() as i64
    };
    let merged: Vec<T> = all
        .iter()
        .filter(|t| t.venue != "bybit" && t.venue != "okx")
        .cloned()
        .collect();
    let want = minutes(&merged, |t| (t.time_us, place(t), t.id), false);
    let report = export(&cfg, dir.path(), "composite:BTC-USD", m0);
    assert_eq!(report["series"][0]["venue"], "composite");
    assert_eq!(report["series"][0]["symbol"], "BTC-USD");
    let got = candles(&report);
    assert_eq!(got, want);
    let first_binance = of(&all, "binance")[0].price();
    let last_coinbase = of(&all, "coinbase").last().unwrap().price();
    assert_eq!(got[0].open, first_binance, "a tie goes to the first member");
    assert_eq!(
        got.last().unwrap().close,
        last_coinbase,
        "microseconds decide"
    );
}

fn support_now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
