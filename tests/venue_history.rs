//! History per venue: Kraken's real trades rebuild Kraken's real one-minute OHLC, through the
//! real `backfill` when the range is older than Kraken's 720 candles; Coinbase, Bybit and OKX
//! candles are paged by each venue's own rules (page size, order, bounds, error codes) from
//! local servers with their faults, and stored exactly.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use cryptoviz::aggregate::Aggregator;
use cryptoviz::domain::{Symbol, Timeframe};
use cryptoviz::exchange::kraken::rest::KrakenRest;
use cryptoviz::exchange::rest::RestApi;
use serde_json::{Value, json};
use support::http::{HttpServer, Request, Response};

fn kraken_fixture(name: &str) -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kraken");
    std::fs::read(dir.join(name)).unwrap()
}

/// 2025-11-10T17:24:00Z and 2025-11-11T00:13:00Z: every minute the trade file covers whole.
const FIRST: i64 = 1_762_795_440_000;
const LAST: i64 = FIRST + 409 * 60_000;

fn kraken_symbol() -> Symbol {
    Symbol::new("kraken:BTC/USDT").unwrap()
}

/// Kraken's own candles of the covered minutes, by open time.
fn kraken_ohlc() -> BTreeMap<i64, Value> {
    let v: Value =
        serde_json::from_slice(&kraken_fixture("XBTUSDT-rest-ohlc-1m-2025-11-10.json")).unwrap();
    v["result"]["XBTUSDT"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_i64().unwrap() * 1000, r.clone()))
        .filter(|(t, _)| (FIRST..=LAST).contains(t))
        .collect()
}

#[test]
fn kraken_trades_rebuild_all_410_covered_minutes_of_krakens_ohlc() {
    let body = kraken_fixture("XBTUSDT-rest-trades-2025-11-10.json");
    let page = KrakenRest.decode_trades(&body, kraken_symbol()).unwrap();
    assert_eq!(page.trades.len(), 1000);
    assert_eq!(page.next, "1762820035982277754");
    let mut agg = Aggregator::new(kraken_symbol(), &[Timeframe::M1]);
    for t in &page.trades {
        agg.push(t);
    }
    agg.close_due(i64::MAX);
    let mut built = Vec::new();
    agg.drain(&mut built);
    let built: BTreeMap<i64, _> = built.into_iter().map(|(_, c)| (c.open_time, c)).collect();
    let ohlc = kraken_ohlc();
    assert_eq!(ohlc.len(), 410);
    let flat = ohlc.values().filter(|r| r[7] == 0).count();
    assert!(flat > 50, "quiet minutes are part of the test: {flat}");
    for (t, row) in &ohlc {
        let c = built
            .get(t)
            .unwrap_or_else(|| panic!("minute {t} not built"));
        let got = [c.open, c.high, c.low, c.close].map(|p| p.to_string());
        let want = [1, 2, 3, 4].map(|i| trim(row[i].as_str().unwrap()));
        assert_eq!(got, want, "OHLC of minute {t}");
        assert_eq!(
            c.volume.to_string(),
            trim(row[6].as_str().unwrap()),
            "volume {t}"
        );
        assert_eq!(c.trades, row[7].as_u64(), "count {t}");
    }
}

/// Kraken writes `105433.60000`; reports write `105433.6`.
fn trim(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn config(dir: &Path, symbol: &str, rest: &str) -> PathBuf {
    let venue = symbol.split(':').next().unwrap();
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            r#"[market]
symbols = ["{symbol}"]
timeframes = ["1m", "1h"]

[venues.{venue}]
ws_url = "ws://127.0.0.1:9"
rest_url = "{rest}"

[net]
backoff = {{ initial_ms = 20, max_ms = 200, multiplier = 2.0, jitter = 0.0 }}
breaker = {{ failure_threshold = 20, open_secs = 1 }}

[storage]
retention = {{ "1m" = [0, 0], "1h" = [0, 0] }}
"#
        ),
    )
    .unwrap();
    path
}

fn cryptoviz(cfg: &Path, dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = support::cli::run(cfg, dir, args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn exported(cfg: &Path, dir: &Path, symbol: &str, tf: &str, from: &str, to: &str) -> Vec<Value> {
    let (ok, stdout, stderr) = cryptoviz(
        cfg,
        dir,
        &[
            "export",
            "--symbol",
            symbol,
            "--timeframe",
            tf,
            "--from",
            from,
            "--to",
            to,
            "--out",
            "-",
        ],
    );
    assert!(ok, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    v["series"][0]["candles"].as_array().unwrap().clone()
}

#[test]
fn backfill_rebuilds_kraken_history_older_than_its_720_candles_from_trades() {
    let trades: Value =
        serde_json::from_slice(&kraken_fixture("XBTUSDT-rest-trades-2025-11-10.json")).unwrap();
    let rows = trades["result"]["XBTUSDT"].as_array().unwrap().clone();
    let last = trades["result"]["last"].as_str().unwrap().to_string();
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let server = HttpServer::start(move |r: &Request| {
        assert_eq!(r.query("pair").as_deref(), Some("XBTUSDT"), "{}", r.target);
        match r.path() {
            "/0/public/Trades" => {
                // The first call is refused the way Kraken refuses: an error inside a 200.
                if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                    return Response::ok(r#"{"error":["EGeneral:Too many requests"]}"#);
                }
                let since: i128 = r.query("since").unwrap().parse().unwrap();
                let page: Vec<&Value> = rows
                    .iter()
                    .filter(|row| {
                        let ns = (row[2].as_f64().unwrap() * 1e9) as i128;
                        ns > since
                    })
                    .collect();
                let next = if page.is_empty() {
                    since.to_string()
                } else {
                    last.clone()
                };
                Response::ok(
                    json!({"error": [], "result": {"XBTUSDT": page, "last": next}}).to_string(),
                )
            }
            // Kraken's OHLC only reaches its last 720 candles: nothing this old.
            "/0/public/OHLC" => Response::ok(r#"{"error":[],"result":{"XBTUSDT":[],"last":0}}"#),
            _ => Response::new(404, r#"{"error":["EGeneral:Unknown method"]}"#),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "kraken:BTC/USDT", &server.url());
    let (ok, stdout, stderr) = cryptoviz(
        &cfg,
        dir.path(),
        &[
            "backfill",
            "--symbols",
            "kraken:BTC/USDT",
            "--timeframes",
            "1m",
            "--from",
            "2025-11-10T17:24:00Z",
            "--to",
            "2025-11-11T00:14:00Z",
        ],
    );
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("1 done, 0 failed"), "{stdout}");
    assert!(
        calls.load(Ordering::SeqCst) >= 2,
        "the rate limit was retried"
    );
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.path() != "/0/public/OHLC"),
        "candles this old are not asked of OHLC"
    );
    let got = exported(
        &cfg,
        dir.path(),
        "kraken:BTC/USDT",
        "1m",
        "2025-11-10T17:24:00Z",
        "2025-11-11T00:14:00Z",
    );
    let ohlc = kraken_ohlc();
    let got: BTreeMap<i64, &Value> = got
        .iter()
        .map(|c| (c["open_time"].as_i64().unwrap(), c))
        .collect();
    assert_eq!(got.len(), 410, "every covered minute, quiet ones included");
    for (t, row) in &ohlc {
        let c = got[t];
        for (k, i) in [
            ("open", 1),
            ("high", 2),
            ("low", 3),
            ("close", 4),
            ("volume", 6),
        ] {
            assert_eq!(
                c[k].as_str().unwrap(),
                trim(row[i].as_str().unwrap()),
                "{k} at {t}"
            );
        }
        assert_eq!(c["trades"], row[7], "count at {t}");
    }
}

/// A venue's candles for a test: one a minute from `start`, some minutes without trades.
fn source(start: i64, n: i64) -> Vec<(i64, [String; 5], bool)> {
    (0..n)
        .map(|i| {
            let base = 50_000 + (i * 37) % 400;
            let p = |d: i64| format!("{}.{:02}", base + d, (i * 13) % 100);
            let quiet = i % 17 == 5;
            let vol = if quiet {
                "0".to_string()
            } else {
                format!("{}.{:05}", i % 9, i * 7 % 100_000)
            };
            (start + i * 60_000, [p(0), p(9), p(-9), p(3), vol], quiet)
        })
        .collect()
}

struct Venue {
    name: &'static str,
    symbol: &'static str,
    page: usize,
}

#[test]
fn coinbase_bybit_and_okx_candles_are_paged_by_their_own_rules() {
    let start = 1_704_067_200_000; // 2024-01-01
    let n = 700;
    for v in [
        Venue {
            name: "coinbase",
            symbol: "coinbase:BTC-USD",
            page: 300,
        },
        Venue {
            name: "bybit",
            symbol: "bybit:BTCUSDT",
            page: 1000,
        },
        Venue {
            name: "okx",
            symbol: "okx:BTC-USDT",
            page: 100,
        },
    ] {
        let candles = source(start, n);
        let faults = Arc::new(Mutex::new(1));
        let served = candles.clone();
        let name = v.name;
        let server = HttpServer::start(move |r: &Request| {
            let mut pending = faults.lock().unwrap();
            answer(name, r, &served, &mut pending)
        });
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path(), v.symbol, &server.url());
        let backfill = [
            "backfill",
            "--symbols",
            v.symbol,
            "--timeframes",
            "1m",
            "--from",
            "2024-01-01T00:00:00Z",
            "--to",
            "2024-01-01T11:40:00Z",
        ];
        let (mut ok, mut stdout, mut stderr) = cryptoviz(&cfg, dir.path(), &backfill);
        if v.name == "bybit" {
            // Bybit's 403 means "wait at least ten minutes": the run says so and stops,
            // and the next run (after the wait) goes on from where it was.
            assert!(!ok, "{stdout}");
            assert!(stderr.contains("(HTTP 403): must wait 600 s"), "{stderr}");
            (ok, stdout, stderr) = cryptoviz(&cfg, dir.path(), &backfill);
        }
        assert!(ok, "{}: {stdout}\n{stderr}", v.name);
        let got = exported(&cfg, dir.path(), v.symbol, "1m", "2024-01-01", "2024-01-02");
        // Coinbase omits quiet intervals; the others serve them flat.
        let want: Vec<&(i64, [String; 5], bool)> = candles
            .iter()
            .filter(|c| !(v.name == "coinbase" && c.2))
            .collect();
        assert_eq!(got.len(), want.len(), "{}", v.name);
        for (c, (t, f, _)) in got.iter().zip(want) {
            assert_eq!(c["open_time"].as_i64(), Some(*t), "{}", v.name);
            let fields = ["open", "high", "low", "close", "volume"]
                .map(|k| c[k].as_str().unwrap().to_string());
            let want = f.clone().map(|s| trim(&s));
            assert_eq!(fields, want, "{} at {t}", v.name);
            // What the venue does not give is absent (`null`), never a 0 that reads as real:
            // none of the three counts trades; Coinbase gives no quote volume either.
            assert_eq!(c["trades"], Value::Null, "{} at {t}: {c}", v.name);
            let quote = if v.name == "coinbase" {
                Value::Null
            } else {
                json!("123.5")
            };
            assert_eq!(c["quote_volume"], quote, "{} at {t}: {c}", v.name);
        }
        let reqs = server.requests();
        let pages = (n as usize).div_ceil(v.page);
        assert!(
            reqs.len() > pages,
            "{}: {} requests for {pages} pages and one refusal",
            v.name,
            reqs.len()
        );
    }
}

/// One answer in the venue's own format, after one rate-limit refusal in its own words.
fn answer(
    venue: &str,
    r: &Request,
    candles: &[(i64, [String; 5], bool)],
    pending_faults: &mut usize,
) -> Response {
    let in_range = |lo: i64, hi: i64| -> Vec<&(i64, [String; 5], bool)> {
        candles.iter().filter(|c| c.0 >= lo && c.0 <= hi).collect()
    };
    let q = |k: &str| {
        r.query(k)
            .unwrap_or_else(|| panic!("{venue}: no {k} in {}", r.target))
    };
    let refuse = std::mem::replace(pending_faults, 0) > 0;
    match venue {
        "coinbase" => {
            assert_eq!(r.path(), "/products/BTC-USD/candles");
            assert_eq!(q("granularity"), "60");
            if refuse {
                return Response::new(429, r#"{"message":"Public rate limit exceeded"}"#);
            }
            let ms = |s: String| {
                chrono::DateTime::parse_from_rfc3339(&s)
                    .unwrap()
                    .timestamp_millis()
            };
            let (lo, hi) = (ms(q("start")), ms(q("end")));
            if (hi - lo) / 60_000 + 1 > 300 {
                return Response::new(
                    400,
                    r#"{"message":"granularity too small for the requested time range"}"#,
                );
            }
            // Newest first; JSON numbers; quiet minutes omitted.
            let rows: Vec<String> = in_range(lo, hi)
                .into_iter()
                .rev()
                .filter(|c| !c.2)
                .map(|(t, f, _)| {
                    format!(
                        "[{},{},{},{},{},{}]",
                        t / 1000,
                        f[2],
                        f[1],
                        f[0],
                        f[3],
                        f[4]
                    )
                })
                .collect();
            Response::ok(format!("[{}]", rows.join(",")))
        }
        "bybit" => {
            assert_eq!(r.path(), "/v5/market/kline");
            assert_eq!(q("category"), "spot", "spot, not the linear default");
            if refuse {
                return Response::new(403, "access too frequent");
            }
            let (lo, hi): (i64, i64) = (q("start").parse().unwrap(), q("end").parse().unwrap());
            let limit: usize = q("limit").parse().unwrap();
            assert!(limit <= 1000);
            let rows: Vec<Value> = in_range(lo, hi)
                .into_iter()
                .take(limit)
                .rev()
                .map(|(t, f, _)| json!([t.to_string(), f[0], f[1], f[2], f[3], f[4], "123.5"]))
                .collect();
            Response::ok(json!({"retCode": 0, "retMsg": "OK", "result": {"category": "spot", "symbol": "BTCUSDT", "list": rows}}).to_string())
        }
        "okx" => {
            assert_eq!(r.path(), "/api/v5/market/history-candles");
            assert_eq!(q("bar"), "1m");
            if refuse {
                return Response::new(
                    429,
                    r#"{"code":"50011","msg":"Too Many Requests","data":[]}"#,
                );
            }
            // `after`: older than; `before`: newer than; newest first, at most `limit`.
            let (after, before): (i64, i64) =
                (q("after").parse().unwrap(), q("before").parse().unwrap());
            let limit: usize = q("limit").parse().unwrap();
            assert!(limit <= 100);
            let mut rows: Vec<&(i64, [String; 5], bool)> = in_range(before + 1, after - 1);
            rows.reverse();
            rows.truncate(limit);
            let data: Vec<Value> = rows
                .into_iter()
                .map(|(t, f, _)| {
                    json!([
                        t.to_string(),
                        f[0],
                        f[1],
                        f[2],
                        f[3],
                        f[4],
                        "0",
                        "123.5",
                        "1"
                    ])
                })
                .collect();
            Response::ok(json!({"code": "0", "msg": "", "data": data}).to_string())
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_store_written_by_the_previous_release_opens_and_its_series_are_binance_series() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v0.1");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture.join("cryptoviz.db"),
        dir.path().join("cryptoviz.db"),
    )
    .unwrap();
    let before: Value =
        serde_json::from_slice(&std::fs::read(fixture.join("candles.json")).unwrap()).unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        "[market]\nsymbols = [\"BTCUSDT\"]\n[storage]\nretention = { \"1m\" = [0, 0], \"5m\" = [0, 0], \"1h\" = [0, 0] }\n",
    )
    .unwrap();
    for tf in ["1m", "5m", "1h"] {
        // The bare symbol and the canonical one name the same series.
        for symbol in ["BTCUSDT", "binance:BTCUSDT"] {
            let got = exported(&cfg, dir.path(), symbol, tf, "2024-01-01", "2024-01-02");
            assert_eq!(&Value::Array(got), &before[tf], "{symbol} {tf}");
        }
    }
    let (ok, stdout, _) = cryptoviz(
        &cfg,
        dir.path(),
        &[
            "export",
            "--symbol",
            "BTCUSDT",
            "--timeframe",
            "1m",
            "--from",
            "2024-01-01",
            "--to",
            "2024-01-02",
            "--out",
            "-",
        ],
    );
    assert!(ok);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["series"][0]["venue"], "binance");
    assert_eq!(report["series"][0]["symbol"], "BTCUSDT");

    // Its backfill checkpoint (keyed by the bare symbol then) still resumes.
    let store = cryptoviz::store::Store::open(
        &dir.path().join("cryptoviz.db"),
        cryptoviz::store::StoreOptions::default(),
    )
    .unwrap();
    let key = cryptoviz::domain::SeriesKey {
        symbol: Symbol::new("binance:BTCUSDT").unwrap(),
        timeframe: Timeframe::M1,
    };
    let rows = store.call(move |b| b.progress(key)).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].position, 1_704_067_800_000);
    assert_eq!(rows[0].error.as_deref(), Some("HTTP 500"));
    store.close().await.unwrap();
}

/// Kraken's OHLC answer says which rows are committed (`last`, the open time of its last
/// committed interval): the row after it is the live minute and stays open however late
/// this machine's clock runs; without `last` the clock decides.
#[test]
fn kraken_says_which_candles_are_closed() {
    let body = kraken_fixture("XBTUSDT-rest-ohlc-1m-2025-11-10.json");
    let (first, last) = (1_762_777_020_000, 1_762_820_220_000);
    let far_future = 4_102_444_800_000;
    let page = KrakenRest
        .decode_candles(
            &body,
            kraken_symbol(),
            Timeframe::M1,
            first,
            last,
            far_future,
        )
        .unwrap();
    assert_eq!(page.candles.len(), 721);
    let open: Vec<i64> = page
        .candles
        .iter()
        .filter(|c| !c.closed)
        .map(|c| c.open_time)
        .collect();
    assert_eq!(open, vec![last], "only the row after `last` is open");
    // The same answer without `last`: the clock says every minute has ended.
    let mut v: Value = serde_json::from_slice(&body).unwrap();
    v["result"].as_object_mut().unwrap().remove("last");
    let body = serde_json::to_vec(&v).unwrap();
    let page = KrakenRest
        .decode_candles(
            &body,
            kraken_symbol(),
            Timeframe::M1,
            first,
            last,
            far_future,
        )
        .unwrap();
    assert!(page.candles.iter().all(|c| c.closed));
}

/// Bybit's linear list comes in pages: `nextPageCursor` is sent back as `cursor` (as given,
/// already encoded) until it comes empty, and every page's perpetuals are listed; a server
/// that hands the same cursor back forever is read once per distinct page, not forever.
#[tokio::test(flavor = "multi_thread")]
async fn bybit_linear_instruments_are_read_page_by_page() {
    use cryptoviz::domain::Venue;
    use cryptoviz::history::{KlinesClient, KlinesConfig};
    let page = |symbols: &[&str], next: &str| {
        let list: Vec<String> = symbols
            .iter()
            .map(|s| format!(r#"{{"symbol":"{s}","contractType":"LinearPerpetual","status":"Trading","priceFilter":{{"tickSize":"0.10"}},"lotSizeFilter":{{"qtyStep":"0.001"}}}}"#))
            .collect();
        Response::ok(format!(
            r#"{{"retCode":0,"retMsg":"OK","result":{{"category":"linear","list":[{}],"nextPageCursor":"{next}"}}}}"#,
            list.join(",")
        ))
    };
    let server = HttpServer::start(move |r: &Request| {
        assert_eq!(r.path(), "/v5/market/instruments-info");
        match r.query("cursor").as_deref() {
            None => page(&["BTCUSDT", "ETHUSDT"], "first%3DBTCUSDT%26last%3DETHUSDT"),
            Some("first%3DBTCUSDT%26last%3DETHUSDT") => page(&["SOLUSDT"], ""),
            Some(other) => panic!("unexpected cursor {other}"),
        }
    });
    let client =
        KlinesClient::new(KlinesConfig::for_venue(Venue::BybitPerp, &server.url())).unwrap();
    let names: Vec<String> = client
        .instruments()
        .await
        .unwrap()
        .iter()
        .map(|l| l.symbol.to_string())
        .collect();
    assert_eq!(
        names,
        [
            "bybit-perp:BTCUSDT",
            "bybit-perp:ETHUSDT",
            "bybit-perp:SOLUSDT"
        ]
    );
    let targets: Vec<String> = server.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(
        targets,
        [
            "/v5/market/instruments-info?category=linear&limit=1000",
            "/v5/market/instruments-info?category=linear&limit=1000&cursor=first%3DBTCUSDT%26last%3DETHUSDT"
        ]
    );

    // The same cursor again and again: one more request, then the list as it stands.
    let stuck = HttpServer::start(move |_: &Request| page(&["BTCUSDT"], "again"));
    let client =
        KlinesClient::new(KlinesConfig::for_venue(Venue::BybitPerp, &stuck.url())).unwrap();
    let listed = client.instruments().await.unwrap();
    assert_eq!(stuck.requests().len(), 2, "stops at a repeated page");
    assert_eq!(listed.len(), 2);
}
