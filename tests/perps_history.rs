//! A perp's funding and open-interest history repaired from REST by the real
//! `cryptoviz collect --once`, from local servers speaking Binance USDⓈ-M's, Bybit linear's
//! and OKX's history formats (their paging, their order, a refused row each): every settled
//! rate of the lookback and every 5-minute open-interest point land in the store once, and
//! a second run asks only for what is newer than what is stored.

mod support;

use std::path::Path;
use std::sync::Arc;

use cryptoviz::domain::{Millis, Rate, Symbol, now_ms};
use cryptoviz::store::{Store, StoreOptions};
use support::http::{HttpServer, Request, Response};

const HOUR: i64 = 3_600_000;
const FIVE_MIN: i64 = 300_000;

/// What every venue's history holds: a settlement every 8 h with rate `k / 100_000`, and an
/// open-interest point every 5 minutes of `50_000 + k` coins (quote `x 90_000`), for the last
/// three days; `bad` is one impossible row each answer carries beside the good ones.
#[derive(Clone, Copy)]
struct History {
    now: Millis,
}

impl History {
    fn settlements(&self, from: Millis, to: Millis) -> Vec<(Millis, String)> {
        let last = self.now / (8 * HOUR) * (8 * HOUR);
        (0..9)
            .map(|k| last - k * 8 * HOUR)
            .filter(|t| (from..=to).contains(t))
            .map(|t| (t, format!("0.0000{}", t / (8 * HOUR) % 90 + 10)))
            .collect()
    }

    fn oi(&self, from: Millis, to: Millis, limit: usize) -> Vec<(Millis, String)> {
        let first = (self.now - 3 * 24 * HOUR) / FIVE_MIN * FIVE_MIN;
        (0..)
            .map(|k| first + k * FIVE_MIN)
            .take_while(|t| *t <= to.min(self.now))
            .filter(|t| *t >= from)
            .map(|t| (t, format!("{}", 50_000 + (t / FIVE_MIN) % 1000)))
            .take(limit)
            .collect()
    }
}

fn q(r: &Request, k: &str) -> i64 {
    r.query(k)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{k} in {}", r.target))
}

fn binance(h: History) -> HttpServer {
    HttpServer::start(move |r: &Request| match r.path() {
        "/fapi/v1/fundingRate" => {
            assert_eq!(r.query("symbol").as_deref(), Some("BTCUSDT"));
            let mut rows: Vec<String> = h
                .settlements(q(r, "startTime"), q(r, "endTime"))
                .iter()
                .rev()
                .map(|(t, rate)| format!(r#"{{"symbol":"BTCUSDT","fundingRate":"{rate}","fundingTime":{t},"markPrice":"90000.1"}}"#))
                .collect();
            rows.push(r#"{"symbol":"BTCUSDT","fundingRate":"0.9","fundingTime":1570608000000,"markPrice":"1"}"#.into());
            Response::ok(format!("[{}]", rows.join(",")))
        }
        "/futures/data/openInterestHist" => {
            assert_eq!(r.query("period").as_deref(), Some("5m"));
            let limit = q(r, "limit") as usize;
            let mut rows: Vec<String> = h
                .oi(q(r, "startTime"), q(r, "endTime"), limit)
                .iter()
                .map(|(t, oi)| format!(r#"{{"symbol":"BTCUSDT","sumOpenInterest":"{oi}","sumOpenInterestValue":"{oi}0000","timestamp":"{t}"}}"#))
                .collect();
            rows.push(r#"{"symbol":"BTCUSDT","sumOpenInterest":"-5","sumOpenInterestValue":"1","timestamp":1583127900000}"#.into());
            Response::ok(format!("[{}]", rows.join(",")))
        }
        _ => Response::ok("[]"),
    })
}

fn bybit(h: History) -> HttpServer {
    let answer = |list: Vec<String>| {
        Response::ok(format!(
            r#"{{"retCode":0,"retMsg":"OK","result":{{"category":"linear","list":[{}],"nextPageCursor":""}},"time":1}}"#,
            list.join(",")
        ))
    };
    HttpServer::start(move |r: &Request| match r.path() {
        "/v5/market/funding/history" => {
            assert_eq!(r.query("category").as_deref(), Some("linear"));
            answer(
                h.settlements(q(r, "startTime"), q(r, "endTime"))
                    .iter()
                    .map(|(t, rate)| format!(r#"{{"symbol":"BTCUSDT","fundingRate":"{rate}","fundingRateTimestamp":"{t}"}}"#))
                    .collect(),
            )
        }
        "/v5/market/open-interest" => {
            assert_eq!(r.query("intervalTime").as_deref(), Some("5min"));
            let mut rows: Vec<String> = h
                .oi(q(r, "startTime"), q(r, "endTime"), q(r, "limit") as usize)
                .iter()
                .rev()
                .map(|(t, oi)| format!(r#"{{"openInterest":"{oi}","timestamp":"{t}"}}"#))
                .collect();
            rows.push(r#"{"openInterest":"lots","timestamp":"1"}"#.into());
            answer(rows)
        }
        _ => answer(Vec::new()),
    })
}

fn okx(h: History) -> HttpServer {
    let answer = |data: Vec<String>| {
        Response::ok(format!(
            r#"{{"code":"0","msg":"","data":[{}]}}"#,
            data.join(",")
        ))
    };
    HttpServer::start(move |r: &Request| match r.path() {
        "/api/v5/public/funding-rate-history" => {
            // Exclusive bounds: newer than `before`, older than `after`.
            let rows = h.settlements(q(r, "before") + 1, q(r, "after") - 1);
            answer(
                rows.iter()
                    .map(|(t, rate)| format!(r#"{{"formulaType":"noRate","fundingRate":"0.00099","fundingTime":"{t}","instId":"BTC-USDT-SWAP","instType":"SWAP","method":"current_period","realizedRate":"{rate}"}}"#))
                    .collect(),
            )
        }
        "/api/v5/rubik/stat/contracts/open-interest-history" => {
            assert_eq!(r.query("period").as_deref(), Some("5m"));
            let mut rows: Vec<String> = h
                .oi(q(r, "begin"), q(r, "end"), q(r, "limit") as usize)
                .iter()
                .rev()
                .map(|(t, oi)| format!(r#"["{t}","{oi}00","{oi}","{oi}0000"]"#))
                .collect();
            rows.push(r#"["1","2"]"#.into());
            answer(rows)
        }
        _ => answer(Vec::new()),
    })
}

fn config(dir: &Path, servers: &[(&str, &HttpServer)]) -> std::path::PathBuf {
    let mut text = String::from(
        "[market]\nsymbols = [\"binance-perp:BTCUSDT\", \"bybit-perp:BTCUSDT\", \"okx:BTC-USDT-SWAP\"]\ntimeframes = [\"1h\"]\n\n[backfill]\ndays = 2\n\n[news]\nfeeds = []\n\n",
    );
    for (venue, s) in servers {
        text.push_str(&format!(
            "[venues.{venue}]\nws_url = \"ws://127.0.0.1:9\"\nrest_url = \"{}\"\n\n",
            s.url()
        ));
    }
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn collect_once(cfg: &Path, dir: &Path) -> String {
    let out = support::cli::run(cfg, dir, &["collect", "--once"]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn funding_and_open_interest_history_are_repaired_from_rest() {
    let h = History { now: now_ms() };
    let (b, y, o) = (binance(h), bybit(h), okx(h));
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &[("binance-perp", &b), ("bybit-perp", &y), ("okx", &o)],
    );
    let out = collect_once(&cfg, dir.path());
    let line = out
        .lines()
        .find(|l| l.starts_with("derivatives repair:"))
        .unwrap_or_else(|| panic!("{out}"));

    let store = Arc::new(
        Store::open_read_only(&dir.path().join("cryptoviz.db"), StoreOptions::default()).unwrap(),
    );
    let now = now_ms();
    let from = h.now - 2 * 24 * HOUR;
    let want_funding = h.settlements(from, h.now);
    let mut oi_points = 0;
    for name in [
        "binance-perp:BTCUSDT",
        "bybit-perp:BTCUSDT",
        "okx:BTC-USDT-SWAP",
    ] {
        let symbol = Symbol::new(name).unwrap();
        let funding = store
            .call(move |b| b.funding(symbol, 0, now))
            .await
            .unwrap();
        let got: Vec<(Millis, String)> = funding
            .iter()
            .map(|f| {
                assert!(f.settled, "{name}");
                (f.time, f.rate.to_string())
            })
            .collect();
        // As decimals: the store keeps the number, not the venue's trailing zeros.
        let mut want: Vec<(Millis, String)> = want_funding
            .iter()
            .map(|(t, r)| (*t, Rate::parse(r).unwrap().to_string()))
            .collect();
        want.reverse();
        assert_eq!(
            got, want,
            "{name}: every settlement of the lookback, once, in order"
        );

        let samples = store
            .call(move |b| b.deriv_samples(symbol, 0, now))
            .await
            .unwrap();
        // Every 5-minute point of the two days' lookback up to five minutes ago (the
        // collector's clock, a moment after ours), in order, and nothing else.
        let got: Vec<(Millis, String)> = samples
            .iter()
            .map(|s| (s.minute, s.update.open_interest.unwrap().to_string()))
            .collect();
        let (first, last) = (got[0].0, got[got.len() - 1].0);
        // The lookback starts at the minute two days back.
        let back = (h.now - 2 * 24 * HOUR) / 60_000 * 60_000;
        assert!(
            (back..back + FIVE_MIN + 60_000).contains(&first),
            "{name}: starts at the lookback ({first} from {back})"
        );
        assert!(
            (h.now - 2 * FIVE_MIN..=h.now).contains(&last),
            "{name}: ends five minutes before now"
        );
        let want = h.oi(first, last, usize::MAX);
        assert_eq!(got, want, "{name}");
        if !name.starts_with("bybit") {
            let quote = samples[0].update.open_interest_quote.unwrap().to_string();
            assert_eq!(
                quote,
                format!("{}0000", want[0].1),
                "{name}: its quote value"
            );
        }
        oi_points += want.len();
    }
    assert_eq!(
        line,
        format!(
            "derivatives repair: {} funding rates, {oi_points} open-interest points written",
            3 * want_funding.len()
        )
    );
    let log = support::faults::log_tail(dir.path(), 200);
    for refused in [
        "funding history: 1 rows refused, first row",
        "open interest history: 1 rows refused",
    ] {
        assert!(log.contains(refused), "{refused} in\n{log}");
    }
    drop(store);

    // Again: nothing new is written, and funding is asked only after the newest stored.
    let before = b.requests().len();
    let out = collect_once(&cfg, dir.path());
    assert!(
        out.contains("derivatives repair: 0 funding rates, 0 open-interest points written"),
        "{out}"
    );
    let newest = want_funding[0].0;
    let asked: Vec<_> = b.requests()[before..]
        .iter()
        .filter(|r| r.path() == "/fapi/v1/fundingRate")
        .map(|r| q(r, "startTime"))
        .collect();
    assert_eq!(
        asked,
        vec![newest + 1],
        "from the newest stored settlement on"
    );
}
