//! A local Binance REST API listing three markets (`exchangeInfo`: BTCUSDT and SOLUSDT
//! trading, SOLBTC halted) and serving SOLUSDT's last five closed minutes at 150.25 as
//! klines: a market a config does not name, for the tests that add one at run time.

use super::http::{HttpServer, Response};
use cryptoviz::domain::now_ms;

const MIN: i64 = 60_000;

/// SOLUSDT's last five closed minutes at 150.25, in Binance's klines format; nothing else.
fn klines(symbol: &str, interval: &str, start: i64, end: i64) -> String {
    let this_minute = now_ms() / MIN * MIN;
    let rows: Vec<String> = (1..=5)
        .map(|k| this_minute - k * MIN)
        .rev()
        .filter(|t| symbol == "SOLUSDT" && interval == "1m" && *t >= start && *t <= end)
        .map(|t| {
            format!(
                r#"[{t},"150.25000000","150.30000000","150.20000000","150.25000000","2.00000000",{},"300.50000000",4,"1.00000000","150.25000000","0"]"#,
                t + MIN - 1
            )
        })
        .collect();
    format!("[{}]", rows.join(","))
}

pub fn binance_rest() -> HttpServer {
    HttpServer::start(|req| match req.path() {
        "/api/v3/exchangeInfo" => Response::ok(
            r#"{"timezone":"UTC","serverTime":1,"rateLimits":[],"symbols":[
            {"symbol":"BTCUSDT","status":"TRADING"},{"symbol":"SOLUSDT","status":"TRADING"},
            {"symbol":"SOLBTC","status":"BREAK"}]}"#,
        ),
        "/api/v3/klines" => {
            let q = |k: &str| req.query(k).unwrap_or_default();
            let start = q("startTime").parse().unwrap_or(0);
            let end = q("endTime").parse().unwrap_or(i64::MAX);
            Response::ok(klines(&q("symbol"), &q("interval"), start, end))
        }
        _ => Response::new(404, "{}"),
    })
}
