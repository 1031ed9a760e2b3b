//! Perpetual futures through the real `cryptoviz collect`: Binance USDⓈ-M on its `/market`
//! route, Bybit linear with UUID trade ids, and an OKX swap whose sizes arrive in contracts,
//! each from a local server speaking the venue's perp format. Every series is compared,
//! candle by candle, with a reference built here by hand (sizes in coins), and so is a
//! composite of the three. A USD-M connection on the wrong route is reported by name, and a
//! trade-id gap is repaired from the venue's perp klines.

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cryptoviz::domain::now_ms;
use support::cli::run;
use support::collector::Collector;
use support::faults::{SAFETY_NET, Scrape, assert_no_panic, eventually, free_port, keep_alive};
use support::http::{HttpServer, Request, Response};
use support::venues::{Expected, OKX_CONTRACT, T, message, minutes, responder};
use support::ws_server::WsServer;

const PERPS: [(&str, &str, &str); 3] = [
    ("binance-perp", "BTCUSDT", "binance-perp:BTCUSDT"),
    ("bybit-perp", "BTCUSDT", "bybit-perp:BTCUSDT"),
    ("okx", "BTC-USDT-SWAP", "okx:BTC-USDT-SWAP"),
];

/// OKX's swap list as `GET /api/v5/public/instruments?instType=SWAP` answers it (trimmed):
/// BTC-USDT-SWAP's contract is 0.01 BTC.
fn okx_rest() -> HttpServer {
    HttpServer::start(|r: &Request| {
        if r.path() == "/api/v5/public/instruments"
            && r.query("instType").as_deref() == Some("SWAP")
        {
            return Response::ok(format!(
                r#"{{"code":"0","msg":"","data":[
                {{"instType":"SWAP","instId":"BTC-USDT-SWAP","uly":"BTC-USDT","settleCcy":"USDT","ctVal":"{OKX_CONTRACT}","ctMult":"1","ctValCcy":"BTC","ctType":"linear","lotSz":"0.001","tickSz":"0.01","state":"live"}},
                {{"instType":"SWAP","instId":"ETH-USDT-SWAP","uly":"ETH-USDT","settleCcy":"USDT","ctVal":"0.1","ctMult":"1","ctValCcy":"ETH","ctType":"linear","lotSz":"0.01","tickSz":"0.01","state":"live"}}]}}"#
            ));
        }
        Response::new(404, r#"{"code":"51000","msg":"Parameter error"}"#)
    })
}

/// Each venue's section: name, `ws_url`, `rest_url` and, for OKX's public endpoint,
/// `book_ws_url`.
type Section<'a> = (&'a str, String, String, Option<String>);

fn write_config(
    dir: &Path,
    venues: &[Section<'_>],
    symbols: &[&str],
    extra: &str,
    port: u16,
) -> PathBuf {
    let mut sections = String::new();
    for (venue, ws, rest, public) in venues {
        sections.push_str(&format!(
            "[venues.{venue}]\nws_url = \"{ws}\"\nrest_url = \"{rest}\"\n"
        ));
        if let Some(url) = public {
            sections.push_str(&format!("book_ws_url = \"{url}\"\n"));
        }
        sections.push('\n');
    }
    let symbols: Vec<String> = symbols.iter().map(|s| format!("\"{s}\"")).collect();
    let text = format!(
        r#"[market]
symbols = [{}]
timeframes = ["1m"]
{extra}

{sections}[news]
feeds = []

[net]
ws_idle_timeout_secs = 5
backoff = {{ initial_ms = 50, max_ms = 400, multiplier = 2.0, jitter = 0.1 }}
breaker = {{ failure_threshold = 50, open_secs = 1 }}

[storage]
retention = {{ "1m" = [0, 0] }}

[metrics]
listen = "127.0.0.1:{port}"
"#,
        symbols.join(", ")
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

/// Trades in minutes 0, 1 and 3 after `m0` (minute 2 is quiet), ids contiguous per venue,
/// whole milliseconds (the three venues stamp trades to the millisecond), no two of one venue
/// in the same millisecond.
fn trades(m0: i64) -> Vec<T> {
    let mut rng = Lcg(11);
    let mut out = Vec::new();
    for (v, (venue, symbol, _)) in PERPS.iter().enumerate() {
        let mut id = 5_000 * (v as i64 + 1);
        for (minute, n) in [(0, 6), (1, 5), (3, 4)] {
            let mut offsets: Vec<i64> = (0..n).map(|_| 1_000 + rng.next(57_000)).collect();
            offsets.sort();
            offsets.dedup();
            for off in offsets {
                out.push(T {
                    venue,
                    symbol,
                    id,
                    ticks: 9_000_000 + rng.next(20_000),
                    lots: 1 + rng.next(90_000),
                    time_us: (m0 + minute * 60_000 + off) * 1000,
                    taker_buys: rng.next(2) == 0,
                });
                id += 1;
            }
        }
    }
    out
}

fn of(all: &[T], venue: &str) -> Vec<T> {
    all.iter().filter(|t| t.venue == venue).cloned().collect()
}

fn export(cfg: &Path, dir: &Path, symbol: &str) -> serde_json::Value {
    try_export(cfg, dir, symbol).unwrap_or_else(|e| panic!("export {symbol}: {e}"))
}

/// The report of `symbol`'s minutes, or the export's complaint (nothing stored yet).
fn try_export(cfg: &Path, dir: &Path, symbol: &str) -> Result<serde_json::Value, String> {
    support::cli::report(cfg, dir, symbol, "1m")
}

fn candles(report: &serde_json::Value) -> Vec<Expected> {
    report["series"][0]["candles"]
        .as_array()
        .unwrap()
        .iter()
        .map(Expected::from_report)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_perps_stream_into_exact_candles_with_okx_contracts_in_coins() {
    let dir = tempfile::tempdir().unwrap();
    let binance = Arc::new(WsServer::start().await);
    // fstream: only the /market route carries trades.
    binance.set_route("/market");
    let bybit = Arc::new(WsServer::start_with(responder("bybit-perp")).await);
    let okx = Arc::new(WsServer::start_with(responder("okx")).await);
    // OKX's public endpoint: the swap's mark, index, funding, open interest, liquidations.
    let okx_public = Arc::new(WsServer::start_with(responder("okx")).await);
    let servers = [
        binance.clone(),
        bybit.clone(),
        okx.clone(),
        okx_public.clone(),
    ];
    let pingers: Vec<_> = servers.iter().map(keep_alive).collect();
    let okx_rest = okx_rest();
    // USD-M's open interest is REST only: polled.
    let binance_rest = HttpServer::start(|r: &Request| match r.path() {
        "/fapi/v1/openInterest" => {
            assert_eq!(r.query("symbol").as_deref(), Some("BTCUSDT"));
            Response::ok(format!(
                r#"{{"openInterest":"81234.567","symbol":"BTCUSDT","time":{}}}"#,
                now_ms()
            ))
        }
        _ => Response::ok("[]"),
    });
    let port = free_port();
    let cfg = write_config(
        dir.path(),
        &[
            ("binance-perp", binance.url(), binance_rest.url(), None),
            ("bybit-perp", bybit.url(), "http://127.0.0.1:9".into(), None),
            ("okx", okx.url(), okx_rest.url(), Some(okx_public.url())),
        ],
        &PERPS.map(|p| p.2),
        r#"composites = { "BTC-PERP" = ["binance-perp:BTCUSDT", "bybit-perp:BTCUSDT", "okx:BTC-USDT-SWAP"] }"#,
        port,
    );
    // A funding rule: Bybit's rate goes from -0.025 % to +0.03 % per interval, over 0.02.
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(
        "\n[[alerts]]\nname = \"funding hot\"\nsymbol = \"bybit-perp:BTCUSDT\"\nwhen = \"funding > 0.02\"\nnotify = [\"bell\"]\n",
    );
    std::fs::write(&cfg, text).unwrap();
    let collector = Collector::start(&cfg, dir.path(), &SAFETY_NET);
    for s in &servers {
        s.wait_accepted(1).await;
    }
    assert!(
        eventually(Duration::from_secs(5), || !bybit.received().is_empty()
            && !okx.received().is_empty()
            && !okx_public.received().is_empty())
        .await,
        "no subscription arrived"
    );
    // Derivatives: Bybit's tickers and liquidations beside the trades; OKX's five channels
    // on its public endpoint (liquidations by instrument type).
    assert!(bybit.received()[0].contains("tickers.BTCUSDT"));
    assert!(bybit.received()[0].contains("allLiquidation.BTCUSDT"));
    let public = &okx_public.received()[0];
    for channel in [
        "mark-price",
        "index-tickers",
        "funding-rate",
        "open-interest",
    ] {
        assert!(
            public.contains(&format!(r#""channel":"{channel}""#)),
            "{public}"
        );
    }
    assert!(
        public.contains(r#""instId":"BTC-USDT""#),
        "the index by its name: {public}"
    );
    assert!(
        public.contains(r#"{"channel":"liquidation-orders","instType":"SWAP"}"#),
        "{public}"
    );
    // Each on its venue's perp channel: USD-M aggTrade and markPrice on the /market route,
    // Bybit's linear topic, OKX's trades-all for the swap, after reading its contract size.
    assert_eq!(
        binance.requests()[0],
        "/market/stream?streams=btcusdt@aggTrade/btcusdt@markPrice@1s/btcusdt@forceOrder"
    );
    assert!(bybit.received()[0].contains("publicTrade.BTCUSDT"));
    assert!(okx.received()[0].contains(r#""instId":"BTC-USDT-SWAP""#));
    assert!(
        okx_rest
            .requests()
            .iter()
            .any(|r| r.target == "/api/v5/public/instruments?instType=SWAP"),
        "the swap list is read before OKX's trades"
    );

    let m0 = (now_ms() - 40 * 60_000) / 60_000 * 60_000;
    let all = trades(m0);
    // Binance: one aggTrade a frame, two of minute 1 swapped in delivery.
    let mut b = of(&all, "binance-perp");
    b.swap(7, 8);
    for t in &b {
        binance.push(message(std::slice::from_ref(t)));
    }
    // Bybit: pushes of four, the second one delivered twice (same UUIDs: counted once).
    let y = of(&all, "bybit-perp");
    let chunks: Vec<&[T]> = y.chunks(4).collect();
    for chunk in chunks.iter().chain([&chunks[1]]) {
        bybit.push(message(chunk));
    }
    // OKX: pushes of up to three fills, sizes in contracts of 0.01 BTC.
    for chunk in of(&all, "okx").chunks(3) {
        okx.push(message(chunk));
    }

    let t = m0 + 30 * 60_000;
    push_derivatives(&binance, &bybit, &okx_public, t);

    let unique = all.len() as f64;
    let applied = eventually(Duration::from_secs(15), || {
        Scrape::take(port).value("cryptoviz_ingest_trades_total", &[("outcome", "applied")])
            == Some(unique)
    })
    .await;
    let s = Scrape::take(port);
    let counts: Vec<String> = ["binance-perp", "bybit-perp", "okx"]
        .iter()
        .map(|v| {
            format!(
                "{v}: {:?} trades, {:?} malformed",
                s.value("cryptoviz_stream_trades_total", &[("venue", v)]),
                s.value("cryptoviz_stream_malformed_total", &[("venue", v)])
            )
        })
        .collect();
    assert!(
        applied,
        "applied {:?} of {unique} ({counts:?})\n{}",
        s.value("cryptoviz_ingest_trades_total", &[("outcome", "applied")]),
        support::faults::log_tail(dir.path(), 30)
            .lines()
            .filter(|l| !l.contains("klines request failed"))
            .collect::<Vec<_>>()
            .join("\n")
            + &format!(
                "{:?}",
                ["applied", "duplicate", "too_late", "void", "rejected"]
                    .map(|o| s.value("cryptoviz_ingest_trades_total", &[("outcome", o)]))
            )
    );
    assert_eq!(
        s.value("cryptoviz_ingest_trades_total", &[("outcome", "duplicate")]),
        Some(chunks[1].len() as f64),
        "Bybit's repeated push, told apart by its UUIDs"
    );

    // The derivatives are stored: wait for the last of them (OKX's liquidation) to land.
    let stored = eventually(Duration::from_secs(10), || {
        try_export(&cfg, dir.path(), "okx:BTC-USDT-SWAP").is_ok_and(|r| {
            r["series"][0]["derivatives"]["liquidations"]
                .as_array()
                .is_some_and(|l| !l.is_empty())
        })
    })
    .await;
    assert!(stored, "{}", support::faults::log_tail(dir.path(), 20));
    let s = Scrape::take(port);
    assert_eq!(
        s.value("cryptoviz_ingest_malformed_events_total", &[]),
        Some(1.0),
        "the negative open interest, and only it (another swap's liquidation is not ours)"
    );

    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(15));
    assert!(status.success(), "{stderr}");
    assert_no_panic(&stderr, dir.path());
    drop(pingers);
    check_derivatives(&cfg, dir.path(), t);

    // Binance by aggregate id with flat quiet minutes (ids prove nothing was missed); Bybit
    // in the order pushed, nothing filled (its ids prove nothing); OKX by id, flat.
    let by_id = |t: &T| (t.id, 0, 0);
    for ((venue, _, symbol), flat) in PERPS.iter().zip([true, false, true]) {
        let report = export(&cfg, dir.path(), symbol);
        let want = minutes(&of(&all, venue), by_id, flat);
        assert_eq!(want.len(), if flat { 4 } else { 3 });
        assert_eq!(candles(&report), want, "{symbol}");
    }

    // The composite: by time, then member order, then each member's own order.
    let place = |t: &T| PERPS.iter().position(|p| p.0 == t.venue).unwrap() as i64;
    let report = export(&cfg, dir.path(), "composite:BTC-PERP");
    let want = minutes(&all, |t| (t.time_us, place(t), t.id), false);
    assert_eq!(candles(&report), want, "composite:BTC-PERP");
}

/// Each venue's derivatives messages at `t`, in its own format (PERPS.md's examples with our
/// values), and two that must not count: another swap's liquidation and a negative open
/// interest.
fn push_derivatives(binance: &WsServer, bybit: &WsServer, okx: &WsServer, t: i64) {
    binance.push(format!(
        r#"{{"stream":"btcusdt@markPrice@1s","data":{{"e":"markPriceUpdate","E":{t},"s":"BTCUSDT","p":"90045.00000000","i":"90000.00000000","P":"90001.2","r":"0.00010000","T":{}}}}}"#,
        t + 3_600_000
    ));
    binance.push(format!(
        r#"{{"stream":"btcusdt@forceOrder","data":{{"e":"forceOrder","E":{t},"o":{{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.5","p":"89000","ap":"89010.5","X":"FILLED","l":"0.5","z":"0.5","T":{t}}}}}}}"#
    ));
    bybit.push(format!(
        r#"{{"topic":"tickers.BTCUSDT","type":"snapshot","data":{{"symbol":"BTCUSDT","markPrice":"90010.00","indexPrice":"90000.00","openInterest":"50000.125","openInterestValue":"4500500000","fundingIntervalHour":"8","fundingCap":"0.005","nextFundingTime":"{}","fundingRate":"-0.00025"}},"cs":1,"ts":{t}}}"#,
        t + 7_200_000
    ));
    bybit.push(format!(
        r#"{{"topic":"tickers.BTCUSDT","type":"delta","data":{{"symbol":"BTCUSDT","openInterest":"50100"}},"cs":2,"ts":{}}}"#,
        t + 60_000
    ));
    bybit.push(format!(
        r#"{{"topic":"tickers.BTCUSDT","type":"delta","data":{{"symbol":"BTCUSDT","fundingRate":"0.0003"}},"cs":3,"ts":{}}}"#,
        t + 90_000
    ));
    bybit.push(format!(
        r#"{{"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":{t},"data":[{{"T":{t},"s":"BTCUSDT","S":"Buy","v":"0.2","p":"89500"}},{{"T":{},"s":"BTCUSDT","S":"Sell","v":"0.1","p":"90500"}}]}}"#,
        t + 1
    ));
    let push = |channel: &str, inst: &str, item: String| {
        okx.push(format!(
            r#"{{"arg":{{"channel":"{channel}","instId":"{inst}"}},"data":[{item}]}}"#
        ));
    };
    push(
        "mark-price",
        "BTC-USDT-SWAP",
        format!(r#"{{"instType":"SWAP","instId":"BTC-USDT-SWAP","markPx":"90020.5","ts":"{t}"}}"#),
    );
    push(
        "index-tickers",
        "BTC-USDT",
        format!(r#"{{"instId":"BTC-USDT","idxPx":"90000","ts":"{t}"}}"#),
    );
    push(
        "funding-rate",
        "BTC-USDT-SWAP",
        format!(
            r#"{{"instId":"BTC-USDT-SWAP","instType":"SWAP","fundingRate":"0.0000746604960499","fundingTime":"{}","nextFundingTime":"{}","maxFundingRate":"0.0075","minFundingRate":"-0.0075","ts":"{t}"}}"#,
            t + 3_600_000,
            t + 3_600_000 + 4 * 3_600_000
        ),
    );
    push(
        "open-interest",
        "BTC-USDT-SWAP",
        format!(
            r#"{{"instId":"BTC-USDT-SWAP","instType":"SWAP","oi":"2216113.01","oiCcy":"22161.1301","oiUsd":"1994501709.6","ts":"{t}"}}"#
        ),
    );
    // Impossible: refused and counted, the state keeps the last good value.
    push(
        "open-interest",
        "BTC-USDT-SWAP",
        format!(
            r#"{{"instId":"BTC-USDT-SWAP","instType":"SWAP","oi":"-1","oiCcy":"-0.01","oiUsd":"-900","ts":"{}"}}"#,
            t + 1
        ),
    );
    // Every swap's liquidations come: only BTC-USDT-SWAP's are ours; 13 contracts of 0.01.
    okx.push(format!(
        r#"{{"arg":{{"channel":"liquidation-orders","instType":"SWAP"}},"data":[{{"details":[{{"bkLoss":"0","bkPx":"1.5","ccy":"","posSide":"short","side":"buy","sz":"40","ts":"{t}"}}],"instId":"ETH-USDT-SWAP","instType":"SWAP"}},{{"details":[{{"bkLoss":"0","bkPx":"91000","ccy":"","posSide":"net","side":"buy","sz":"13","ts":"{}"}}],"instId":"BTC-USDT-SWAP","instType":"SWAP"}}]}}"#,
        t + 2
    ));
}

/// The report's `derivatives` section of each perp, as pushed (OKX sized in coins).
fn check_derivatives(cfg: &Path, dir: &Path, t: i64) {
    let d = |symbol: &str| export(cfg, dir, symbol)["series"][0]["derivatives"].clone();
    let b = d("binance-perp:BTCUSDT");
    assert_eq!(
        (b["mark"].as_str(), b["index"].as_str()),
        (Some("90045"), Some("90000")),
        "{b}"
    );
    assert_eq!(b["funding_rate"], "0.0001");
    assert_eq!(b["next_funding_time"], t + 3_600_000);
    assert_eq!(b["basis_bps"], "5.00");
    assert_eq!(b["open_interest"], "81234.567", "polled over REST: {b}");
    assert_eq!(
        b["liquidations"],
        serde_json::json!([{"time": t, "side": "long", "price": "89010.5", "qty": "0.5", "quote": "44505.25", "sampled": true}])
    );
    let report = export(cfg, dir, "bybit-perp:BTCUSDT");
    let fired = report["alerts"]["fired"].as_array().unwrap();
    assert_eq!(fired.len(), 1, "the rate crossed 0.02 % once: {fired:?}");
    assert_eq!(
        (fired[0]["alert"].as_str(), fired[0]["value"].as_str()),
        (Some("funding hot"), Some("0.03"))
    );
    // Replayed over what was stored: the same crossing, from the minute's state.
    let out = run(cfg, dir, &["alerts", "test", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let replayed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let replayed = replayed["firings"].as_array().unwrap();
    assert_eq!(replayed.len(), 1, "{replayed:?}");
    assert_eq!(
        (replayed[0]["alert"].as_str(), replayed[0]["value"].as_str()),
        (Some("funding hot"), Some("0.03"))
    );
    let y = d("bybit-perp:BTCUSDT");
    assert_eq!(
        y["open_interest"], "50100",
        "the delta's, the rest kept: {y}"
    );
    assert_eq!(
        (
            y["funding_rate"].as_str(),
            y["funding_interval_hours"].as_u64()
        ),
        (Some("0.0003"), Some(8))
    );
    assert_eq!(y["basis_bps"], "1.11");
    assert_eq!(
        y["open_interest_history"],
        serde_json::json!([{"time": t / 60_000 * 60_000, "oi": "50000.125"}, {"time": (t + 60_000) / 60_000 * 60_000, "oi": "50100"}])
    );
    assert_eq!(
        y["funding"],
        serde_json::json!([{"time": t + 7_200_000, "rate": "0.0003", "settled": false}])
    );
    let sides: Vec<&str> = y["liquidations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["side"].as_str().unwrap())
        .collect();
    assert_eq!(sides, ["long", "short"], "Bybit's Buy is a long closed");
    let o = d("okx:BTC-USDT-SWAP");
    assert_eq!(
        (o["mark"].as_str(), o["index"].as_str()),
        (Some("90020.5"), Some("90000")),
        "{o}"
    );
    assert_eq!(o["open_interest"], "22161.1301", "the negative one refused");
    assert_eq!(
        (
            o["funding_interval_hours"].as_u64(),
            o["funding_rate"].as_str()
        ),
        (Some(4), Some("0.0000746604960499"))
    );
    assert_eq!(
        o["liquidations"],
        serde_json::json!([{"time": t + 2, "side": "short", "price": "91000", "qty": "0.13", "quote": "11830", "sampled": true}])
    );
}

/// fstream accepts a connection on a route that does not carry the asked streams and keeps
/// it open, silent (Binance: "this fails silently"). The collector says which address and
/// what to check instead of sitting on an empty feed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binance_perp_on_the_wrong_route_is_reported_not_silently_empty() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Arc::new(WsServer::start().await);
    ws.set_route("/market");
    let pinger = keep_alive(&ws);
    let port = free_port();
    // A legacy-style base: the streams end up under /ws/market/..., not the /market route.
    let cfg = write_config(
        dir.path(),
        &[(
            "binance-perp",
            format!("{}/ws", ws.url()),
            "http://127.0.0.1:9".into(),
            None,
        )],
        &["binance-perp:BTCUSDT"],
        "",
        port,
    );
    let collector = Collector::start(&cfg, dir.path(), &SAFETY_NET);
    ws.wait_accepted(1).await;
    // Pushed, but never delivered on this route.
    ws.push(message(&[T {
        venue: "binance-perp",
        symbol: "BTCUSDT",
        id: 1,
        ticks: 9_000_000,
        lots: 100,
        time_us: now_ms() * 1000,
        taker_buys: true,
    }]));
    let reported = eventually(Duration::from_secs(25), || {
        Scrape::take(port).value(
            "cryptoviz_stream_reconnects_total",
            &[("venue", "binance-perp")],
        ) >= Some(1.0)
    })
    .await;
    assert!(reported, "the silent connection is given up");
    collector.signal("TERM");
    let (_, stderr) = collector.wait(Duration::from_secs(15));
    assert_no_panic(&stderr, dir.path());
    drop(pinger);
    let log = support::faults::log_tail(dir.path(), 400);
    let text = format!("{stderr}\n{log}");
    assert!(
        text.contains("but no data in 10s") && text.contains("/ws/market/stream"),
        "the address is named:\n{text}"
    );
    assert!(
        text.contains("/market route only"),
        "and what to check:\n{text}"
    );
}

/// `basis_spot_bps` through the real collector: a USD-M mark against Binance spot's close
/// (the perp's `[market] basis`) fires once when it passes 4 bp, with the value the collector
/// measured, and `alerts test` replays the same firing from the stored minute and candle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_basis_against_spot_fires_live_and_again_in_alerts_test() {
    let dir = tempfile::tempdir().unwrap();
    let perp = Arc::new(WsServer::start().await);
    perp.set_route("/market");
    let spot = Arc::new(WsServer::start().await);
    let pingers = [keep_alive(&perp), keep_alive(&spot)];
    let port = free_port();
    let refused = "http://127.0.0.1:9".to_string();
    let cfg = write_config(
        dir.path(),
        &[
            ("binance-perp", perp.url(), refused.clone(), None),
            ("binance", spot.url(), refused, None),
        ],
        &["binance-perp:BTCUSDT", "binance:BTCUSDT"],
        r#"basis = { "binance-perp:BTCUSDT" = "binance:BTCUSDT" }

[[alerts]]
name = "rich perp"
symbol = "binance-perp:BTCUSDT"
when = "basis_spot_bps > 4"
notify = ["bell"]"#,
        port,
    );
    let collector = Collector::start(&cfg, dir.path(), &SAFETY_NET);
    perp.wait_accepted(1).await;
    spot.wait_accepted(1).await;
    // Spot trades at 90,000 in a minute two minutes ago; the perp's marks come once the
    // collector has folded them into a candle.
    let m = (now_ms() - 2 * 60_000) / 60_000 * 60_000;
    for (id, off) in [(1, 5_000), (2, 9_000)] {
        spot.push(message(&[T {
            venue: "binance",
            symbol: "BTCUSDT",
            id,
            ticks: 9_000_000,
            lots: 100,
            time_us: (m + off) * 1000,
            taker_buys: true,
        }]));
    }
    // And a perp trade, so the perp has a series to report.
    perp.push(message(&[T {
        venue: "binance-perp",
        symbol: "BTCUSDT",
        id: 1,
        ticks: 9_004_000,
        lots: 100,
        time_us: (m + 7_000) * 1000,
        taker_buys: true,
    }]));
    let folded = eventually(Duration::from_secs(10), || {
        ["binance:BTCUSDT", "binance-perp:BTCUSDT"]
            .iter()
            .all(|s| try_export(&cfg, dir.path(), s).is_ok_and(|r| !candles(&r).is_empty()))
    })
    .await;
    assert!(folded, "{}", support::faults::log_tail(dir.path(), 20));
    // 3.33 bp, then 5.00 bp, then 5.56 bp: one firing, at the second mark.
    for (e, mark) in [(20_000, "90030"), (30_000, "90045"), (40_000, "90050")] {
        perp.push(format!(
            r#"{{"stream":"btcusdt@markPrice@1s","data":{{"e":"markPriceUpdate","E":{},"s":"BTCUSDT","p":"{mark}","i":"90010","P":"90001.2","r":"0.00010000","T":{}}}}}"#,
            m + e,
            m + 3_600_000
        ));
    }
    let fired_of = |report: &serde_json::Value| firings(&report["alerts"]["fired"]);
    let fired = eventually(Duration::from_secs(10), || {
        try_export(&cfg, dir.path(), "binance-perp:BTCUSDT").is_ok_and(|r| !fired_of(&r).is_empty())
    })
    .await;
    assert!(fired, "{}", support::faults::log_tail(dir.path(), 20));
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(15));
    assert!(status.success(), "{stderr}");
    assert_no_panic(&stderr, dir.path());
    drop(pingers);
    let want = vec![("rich perp".to_string(), "5.00".to_string(), m + 30_000)];
    let report = export(&cfg, dir.path(), "binance-perp:BTCUSDT");
    assert_eq!(fired_of(&report), want, "{}", report["alerts"]);
    // The basis in the report is the minute's last state against the same close.
    assert_eq!(
        report["series"][0]["derivatives"]["basis_spot"],
        serde_json::json!({"market": "binance:BTCUSDT", "close": "90000", "bps": "5.56"})
    );
    // Replayed from the store: the minute ended at 5.56 bp, so the replay, which reads each
    // minute's state as it stood at the minute's end, fires there once with that value.
    let out = run(&cfg, dir.path(), &["alerts", "test", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let replayed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        firings(&replayed["firings"]),
        [("rich perp".to_string(), "5.56".to_string(), m + 40_000)]
    );
}

/// Each firing's rule, value and trigger time (none where `list` is not a list).
fn firings(list: &serde_json::Value) -> Vec<(String, String, i64)> {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    list.as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let time = f["trigger_time"].as_i64().unwrap_or_default();
            (text(&f["alert"]), text(&f["value"]), time)
        })
        .collect()
}

/// USD-M kline rows as `/fapi/v1/klines` answers them, for the open times asked.
fn usdm_klines(rows: &Mutex<Vec<(i64, String)>>, r: &Request) -> Response {
    assert_eq!(r.path(), "/fapi/v1/klines", "{}", r.target);
    let q = |k: &str| r.query(k).and_then(|v| v.parse::<i64>().ok()).unwrap();
    let (start, end) = (q("startTime"), q("endTime"));
    let body: Vec<String> = rows
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _)| (start..=end).contains(t))
        .map(|(_, row)| row.clone())
        .collect();
    Response::ok(format!("[{}]", body.join(",")))
}

/// An aggregate id missing from the USD-M stream makes the collector refetch its minute from
/// `/fapi/v1/klines`, whose closed candle replaces the partial one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binance_perp_id_gap_is_repaired_from_usdm_klines() {
    let m0 = (now_ms() - 30 * 60_000) / 60_000 * 60_000;
    let trade = |id: i64, minute: i64, ticks: i64| T {
        venue: "binance-perp",
        symbol: "BTCUSDT",
        id,
        ticks,
        lots: 100_000,
        time_us: (m0 + minute * 60_000 + id * 1_000) * 1000,
        taker_buys: id % 2 == 0,
    };
    // Id 4 (minute 0's high) never reaches the stream.
    let all: Vec<T> = [
        (1, 0, 100),
        (2, 0, 101),
        (3, 0, 99),
        (4, 0, 130),
        (5, 0, 100),
    ]
    .into_iter()
    .chain([(6, 1, 102), (7, 1, 103)])
    .map(|(id, minute, p)| trade(id, minute, p * 100_000))
    .collect();
    // Binance's own kline of minute 0: the five trades (its taker-buy side included).
    let kline = format!(
        r#"[{m0},"100000.00","130000.00","99000.00","100000.00","5.000",{},"530000.00000",5,"3.000","330000.00000","0"]"#,
        m0 + 59_999
    );
    let rows = Arc::new(Mutex::new(Vec::new()));
    let serving = Arc::new(AtomicBool::new(false));
    let (r2, on) = (rows.clone(), serving.clone());
    let rest = HttpServer::start(move |r: &Request| {
        if !on.load(Ordering::SeqCst) {
            return Response::ok("[]");
        }
        usdm_klines(&r2, r)
    });
    rows.lock().unwrap().push((m0, kline));
    let ws = Arc::new(WsServer::start().await);
    ws.set_route("/market");
    let pinger = keep_alive(&ws);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = write_config(
        dir.path(),
        &[("binance-perp", ws.url(), rest.url(), None)],
        &["binance-perp:BTCUSDT"],
        "",
        port,
    );
    let collector = Collector::start(&cfg, dir.path(), &SAFETY_NET);
    // The start-up repair is over (it found nothing to fetch): what is fetched from now on
    // is the gap's.
    assert!(
        eventually(Duration::from_secs(30), || support::faults::probe(
            port, "startup"
        )
        .0 == 200)
        .await
    );
    ws.wait_accepted(1).await;
    serving.store(true, Ordering::SeqCst);
    for t in all.iter().filter(|t| t.id != 4) {
        ws.push(message(std::slice::from_ref(t)));
    }
    let minute0 = || {
        let r = try_export(&cfg, dir.path(), "binance-perp:BTCUSDT").ok()?;
        r["series"][0]["candles"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["open_time"] == m0).cloned())
    };
    let repaired = eventually(Duration::from_secs(30), || {
        minute0().is_some_and(|c| c["high"] == "130000" && c["trades"] == 5)
    })
    .await;
    assert!(repaired, "{:?}", minute0());
    let c = minute0().unwrap();
    assert_eq!(
        (
            c["open"].as_str(),
            c["low"].as_str(),
            c["close"].as_str(),
            c["volume"].as_str()
        ),
        (Some("100000"), Some("99000"), Some("100000"), Some("5"))
    );
    assert!(
        rest.requests().iter().any(|r| r
            .target
            .starts_with("/fapi/v1/klines?symbol=BTCUSDT&interval=1m&")),
        "{:?}",
        rest.requests()
    );
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(15));
    assert!(status.success(), "{stderr}");
    drop(pinger);
}
