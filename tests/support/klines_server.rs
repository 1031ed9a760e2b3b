//! A Binance-like `GET /api/v3/klines` server on 127.0.0.1 for tests.
//!
//! It serves a deterministic generated candle series per (symbol, interval), with Binance's
//! parameter semantics (startTime, endTime, limit up to 1000, newest rows when only endTime is
//! given), reports `X-MBX-USED-WEIGHT-1M`, and can be scripted to misbehave: 429 and 418 with
//! `Retry-After`, 500s, truncated bodies, malformed rows, slow or hanging answers. Every request
//! is logged with its arrival time and parameters.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cryptoviz::domain::SeriesKey;
use cryptoviz::store::Store;

use crate::support::http::{self, HttpServer, Request, Response};
use cryptoviz::domain::now_ms;

/// One candle of the source series, every decimal as the exact string Binance would send
/// (8 decimal places, trailing zeros included).
#[derive(Clone, Debug, PartialEq)]
pub struct SourceCandle {
    pub open_time: i64,
    pub close_time: i64,
    pub open: String,
    pub high: String,
    pub low: String,
    pub close: String,
    pub volume: String,
    pub quote_volume: String,
    pub trades: u64,
    pub taker_buy_base: String,
    pub taker_buy_quote: String,
}

impl SourceCandle {
    pub fn row_json(&self) -> String {
        format!(
            r#"[{},"{}","{}","{}","{}","{}",{},"{}",{},"{}","{}","0"]"#,
            self.open_time,
            self.open,
            self.high,
            self.low,
            self.close,
            self.volume,
            self.close_time,
            self.quote_volume,
            self.trades,
            self.taker_buy_base,
            self.taker_buy_quote
        )
    }
}

/// `units` of 1e-8 as Binance prints them: "42100.50000000".
pub fn fmt8(units: i128) -> String {
    format!("{}.{:08}", units / 100_000_000, units % 100_000_000)
}

/// The canonical form cryptoviz prints (no trailing zeros, no trailing dot).
pub fn canonical(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A deterministic series of `n` candles from `start` (aligned) every `interval_ms`. Every
/// seventh candle is an empty interval (volume 0, flat at the previous close), as Binance
/// sends them.
pub fn generate(seed: u64, interval_ms: i64, start: i64, n: usize) -> Vec<SourceCandle> {
    let mut rng = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    let mut next = move |bound: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % bound.max(1)
    };
    const ONE: i128 = 100_000_000; // 1.0 in units of 1e-8
    let mut close: i128 = 42_000 * ONE + (seed % 1000) as i128 * ONE;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let open_time = start + i as i64 * interval_ms;
        let open = close;
        let (high, low, volume, trades);
        if i % 7 == 3 {
            (high, low, volume, trades) = (open, open, 0i128, 0u64);
        } else {
            // A few cents to a few dollars of movement, exact to the satoshi.
            let step = |r: u64| r as i128 - 250_000_000;
            close = (open + step(next(500_000_001))).max(ONE);
            let top = open.max(close);
            let bottom = open.min(close);
            high = top + next(90_000_000) as i128;
            low = (bottom - next(90_000_000) as i128).max(1);
            volume = next(5_000_000_000) as i128 + 1;
            trades = next(3000) + 1;
        }
        let quote = volume * close / 100_000_000;
        let taker_base = volume / 2 + (next(2) as i128).min(volume / 2);
        let taker_quote = taker_base * close / 100_000_000;
        out.push(SourceCandle {
            open_time,
            close_time: open_time + interval_ms - 1,
            open: fmt8(open),
            high: fmt8(high),
            low: fmt8(low),
            close: fmt8(close),
            volume: fmt8(volume),
            quote_volume: fmt8(quote),
            trades,
            taker_buy_base: fmt8(taker_base),
            taker_buy_quote: fmt8(taker_quote),
        });
    }
    out
}

/// Every stored candle of `key` over the source's span equals the source, field by field,
/// decimals compared as exact text; REST klines are closed and carry no trade ids.
pub async fn assert_stored_exactly(store: &Store, key: SeriesKey, source: &[SourceCandle]) {
    let (first, last) = (source[0].open_time, source[source.len() - 1].open_time);
    let got = store.candles(key, first, last).await.unwrap();
    assert_eq!(got.len(), source.len(), "{key:?}: candle count");
    for (c, s) in got.iter().zip(source) {
        let ctx = format!("{key:?} at {}", s.open_time);
        assert_eq!(c.open_time, s.open_time, "{ctx}");
        assert_eq!(c.open.to_string(), canonical(&s.open), "{ctx} open");
        assert_eq!(c.high.to_string(), canonical(&s.high), "{ctx} high");
        assert_eq!(c.low.to_string(), canonical(&s.low), "{ctx} low");
        assert_eq!(c.close.to_string(), canonical(&s.close), "{ctx} close");
        assert_eq!(c.volume.to_string(), canonical(&s.volume), "{ctx} volume");
        let qv = canonical(&s.quote_volume);
        assert_eq!(
            c.quote_volume.map(|q| q.to_string()),
            Some(qv),
            "{ctx} quote volume"
        );
        assert_eq!(c.trades, Some(s.trades), "{ctx} trades");
        assert!(c.closed, "{ctx} closed");
        assert_eq!((c.first_trade_id, c.last_trade_id), (None, None), "{ctx}");
    }
}

pub fn interval_ms(interval: &str) -> i64 {
    match interval {
        "1m" => 60_000,
        "5m" => 300_000,
        "15m" => 900_000,
        "1h" => 3_600_000,
        "1d" => 86_400_000,
        other => panic!("test interval {other}"),
    }
}

/// What to do to one request instead of answering it well.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer well (a placeholder in a queue: "fail only from the third request on").
    Pass,
    /// 429 with `Retry-After: secs`.
    RateLimited {
        retry_after: u64,
    },
    /// 418 with `Retry-After: secs`.
    Banned {
        retry_after: u64,
    },
    ServerError,
    /// Any status with Binance's error body.
    Status(u16, &'static str),
    /// The right answer with its body cut in half.
    Truncated,
    /// The right answer with these rows (page indexes) corrupted, in rotating ways.
    Malformed(Vec<usize>),
    /// The right answer after a delay.
    Slow(Duration),
    /// The right answer, reporting this used weight.
    UsedWeight(u32),
    /// Never answer.
    Hang,
    /// HTTP 200 with this body, whatever was asked.
    Body(&'static str),
}

/// One request as the server understood it.
#[derive(Clone, Debug)]
pub struct Served {
    pub at: Instant,
    /// Wall-clock arrival, Unix ms.
    pub wall_ms: i64,
    pub symbol: String,
    pub interval: String,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub limit: usize,
    pub status: u16,
    pub user_agent: Option<String>,
}

struct State {
    series: HashMap<(String, String), Vec<SourceCandle>>,
    faults: VecDeque<Fault>,
    always: Option<Fault>,
    weight_window_ms: i64,
    weight: (i64, u32),
    log: Vec<Served>,
}

pub struct KlinesServer {
    pub http: HttpServer,
    state: Arc<Mutex<State>>,
}

impl KlinesServer {
    pub fn start() -> KlinesServer {
        let state = Arc::new(Mutex::new(State {
            series: HashMap::new(),
            faults: VecDeque::new(),
            always: None,
            weight_window_ms: 60_000,
            weight: (0, 0),
            log: Vec::new(),
        }));
        let s = state.clone();
        let http = HttpServer::start(move |req| answer(&s, req));
        KlinesServer { http, state }
    }

    pub fn url(&self) -> String {
        self.http.url()
    }

    /// Serves `candles` for (symbol, interval); returns them for comparisons.
    pub fn add_series(
        &self,
        symbol: &str,
        interval: &str,
        candles: Vec<SourceCandle>,
    ) -> Vec<SourceCandle> {
        self.state
            .lock()
            .unwrap()
            .series
            .insert((symbol.to_string(), interval.to_string()), candles.clone());
        candles
    }

    /// Removes the candles with open times in `from..=to` (a halted market).
    pub fn remove_range(&self, symbol: &str, interval: &str, from: i64, to: i64) {
        let mut st = self.state.lock().unwrap();
        if let Some(v) = st
            .series
            .get_mut(&(symbol.to_string(), interval.to_string()))
        {
            v.retain(|c| c.open_time < from || c.open_time > to);
        }
    }

    /// Faults applied to the next requests, one each, in order.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.state.lock().unwrap().faults.extend(faults);
    }

    /// A fault applied to every request once the queue is empty (None: behave).
    pub fn set_always(&self, fault: Option<Fault>) {
        self.state.lock().unwrap().always = fault;
    }

    /// The length of the server's weight window (a minute on Binance).
    pub fn set_weight_window(&self, window: Duration) {
        self.state.lock().unwrap().weight_window_ms = window.as_millis() as i64;
    }

    pub fn served(&self) -> Vec<Served> {
        self.state.lock().unwrap().log.clone()
    }

    /// startTime of every request so far.
    pub fn starts(&self) -> Vec<i64> {
        self.served().iter().filter_map(|s| s.start).collect()
    }

    pub fn clear_log(&self) {
        self.state.lock().unwrap().log.clear();
    }
}

fn binance_error(status: u16, code: i64, msg: &str) -> Response {
    Response::new(status, format!(r#"{{"code":{code},"msg":"{msg}"}}"#))
}

fn answer(state: &Mutex<State>, req: &Request) -> Response {
    let q = |k: &str| req.query(k);
    let symbol = q("symbol").unwrap_or_default();
    let interval = q("interval").unwrap_or_default();
    let start = q("startTime").and_then(|v| v.parse::<i64>().ok());
    let end = q("endTime").and_then(|v| v.parse::<i64>().ok());
    let limit = q("limit")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(500);
    let wall = now_ms();

    let mut st = state.lock().unwrap();
    let window = wall.div_euclid(st.weight_window_ms);
    if st.weight.0 != window {
        st.weight = (window, 0);
    }
    st.weight.1 += 2;
    let mut used = st.weight.1;
    let fault = st.faults.pop_front().or_else(|| st.always.clone());
    let rows = st
        .series
        .get(&(symbol.clone(), interval.clone()))
        .map(|all| select(all, start, end, limit.min(1000)));

    let mut resp = if req.path() != "/api/v3/klines" {
        binance_error(404, -1, "Not found.")
    } else if !(1..=1000).contains(&limit) {
        binance_error(400, -1130, "Invalid limit.")
    } else {
        match rows {
            None => binance_error(400, -1121, "Invalid symbol."),
            Some(rows) => Response::ok(page_json(&rows, None)),
        }
    };
    let mut delay = None;
    match fault {
        None => {}
        Some(Fault::RateLimited { retry_after }) => {
            resp =
                binance_error(429, -1003, "Too many requests.").header("Retry-After", retry_after)
        }
        Some(Fault::Banned { retry_after }) => {
            resp = binance_error(418, -1003, "Way too many requests; IP banned.")
                .header("Retry-After", retry_after)
        }
        Some(Fault::ServerError) => resp = binance_error(500, -1000, "An unknown error occurred."),
        Some(Fault::Status(code, msg)) => resp = binance_error(code, -1000, msg),
        Some(Fault::Body(body)) => resp = Response::new(200, body),
        Some(Fault::Truncated) if resp.status == 200 => {
            let n = resp.body.len() / 2;
            resp = resp.fault(http::Fault::Truncate(n));
        }
        Some(Fault::Malformed(indexes)) if resp.status == 200 => {
            let rows = st
                .series
                .get(&(symbol.clone(), interval.clone()))
                .map(|all| select(all, start, end, limit.min(1000)))
                .unwrap_or_default();
            resp = Response::ok(page_json(&rows, Some(&indexes)));
        }
        Some(Fault::Slow(d)) => delay = Some(d),
        Some(Fault::UsedWeight(w)) => used = w,
        Some(Fault::Hang) => resp = resp.fault(http::Fault::Hang),
        Some(_) => {}
    }
    st.log.push(Served {
        at: req.at,
        wall_ms: wall,
        symbol,
        interval,
        start,
        end,
        limit,
        status: resp.status,
        user_agent: req.header("user-agent").map(str::to_string),
    });
    drop(st);
    if let Some(d) = delay {
        std::thread::sleep(d);
    }
    resp.header("Content-Type", "application/json;charset=UTF-8")
        .header("X-MBX-USED-WEIGHT-1M", used)
}

/// Binance's selection: from startTime (or the newest `limit` up to endTime without one).
/// `all` is ascending, so the bounds are binary searches.
fn select(
    all: &[SourceCandle],
    start: Option<i64>,
    end: Option<i64>,
    limit: usize,
) -> Vec<SourceCandle> {
    let lo = start.map_or(0, |s| all.partition_point(|c| c.open_time < s));
    let hi = end.map_or(all.len(), |e| all.partition_point(|c| c.open_time <= e));
    let matching = &all[lo..hi.max(lo)];
    let picked = if start.is_none() && end.is_some() {
        &matching[matching.len().saturating_sub(limit)..]
    } else {
        &matching[..matching.len().min(limit)]
    };
    picked.to_vec()
}

/// The JSON page; rows at `corrupt` indexes are damaged in one of several ways.
fn page_json(rows: &[SourceCandle], corrupt: Option<&[usize]>) -> String {
    let mut out = String::with_capacity(rows.len() * 160 + 2);
    out.push('[');
    for (i, c) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let bad = corrupt.and_then(|idx| idx.iter().position(|&j| j == i));
        let row = match bad {
            None => c.row_json(),
            Some(k) => match k % 5 {
                0 => c
                    .row_json()
                    .replacen(&format!(",\"{}\"", c.open), ",\"12.3.4\"", 1),
                1 => c.row_json().replace(",\"0\"]", "]"),
                2 => c.row_json().replacen(
                    &format!(",{},", c.close_time),
                    &format!(",{},", c.close_time - 1),
                    1,
                ),
                3 => SourceCandle {
                    high: "0.00000001".into(),
                    ..c.clone()
                }
                .row_json(),
                _ => c.row_json().replacen(
                    &format!("[{},", c.open_time),
                    &format!("[{},", c.open_time + 1),
                    1,
                ),
            },
        };
        out.push_str(&row);
    }
    out.push(']');
    out
}
