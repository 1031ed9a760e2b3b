//! The five venues as tests meet them: a trade in each venue's own wire format, the answers
//! a venue's WebSocket gives to subscriptions and pings, and a reference aggregation written
//! independently of cryptoviz's aggregator (integer ticks and lots, sorted by hand).
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::json;

/// Prices are ticks of 0.01, sizes lots of 0.00001: sums stay exact integers.
pub const PRICE_SCALE: u32 = 2;
pub const QTY_SCALE: u32 = 5;
/// What one OKX swap contract is worth in the tests' swap list: 0.01 coin (BTC-USDT-SWAP's
/// real `ctVal`), so contracts are lots / 10^3.
pub const OKX_CONTRACT: &str = "0.01";
const OKX_CONTRACT_DECIMALS: u32 = 2;

/// A UUID carrying `id` (Bybit linear's trade ids look like these).
pub fn uuid(id: i64) -> String {
    format!(
        "{:08x}-d8dd-5b31-9112-{:012x}",
        id as u32,
        (id as u64).wrapping_mul(0x9e37_79b9)
    )
}

#[derive(Clone, Debug, PartialEq)]
pub struct T {
    pub venue: &'static str,
    pub symbol: &'static str,
    pub id: i64,
    pub ticks: i64,
    pub lots: i64,
    /// Unix microseconds (ms venues send `time_us / 1000`, so keep those whole ms).
    pub time_us: i64,
    pub taker_buys: bool,
}

impl T {
    pub fn ms(&self) -> i64 {
        self.time_us.div_euclid(1000)
    }
    pub fn price(&self) -> String {
        decimal(self.ticks as i128, PRICE_SCALE)
    }
    pub fn qty(&self) -> String {
        decimal(self.lots as i128, QTY_SCALE)
    }
    /// OKX's `sz`: coins on spot, contracts of [`OKX_CONTRACT`] coins on a swap.
    pub fn okx_size(&self) -> String {
        match self.symbol.ends_with("-SWAP") {
            true => decimal(self.lots as i128, QTY_SCALE - OKX_CONTRACT_DECIMALS),
            false => self.qty(),
        }
    }
    fn rfc3339(&self) -> String {
        chrono::DateTime::from_timestamp_micros(self.time_us)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    }
}

/// `raw / 10^scale` without trailing zeros, as reports write decimals.
pub fn decimal(raw: i128, scale: u32) -> String {
    let neg = raw < 0;
    let raw = raw.unsigned_abs();
    let div = 10u128.pow(scale);
    let (int, frac) = (raw / div, raw % div);
    let mut s = format!("{}{int}", if neg { "-" } else { "" });
    if frac > 0 {
        let f = format!("{frac:0width$}", width = scale as usize);
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s
}

/// One WebSocket message carrying `trades` (all of one venue and symbol), as that venue
/// writes it. Binance sends one trade per frame: only the first is used.
pub fn message(trades: &[T]) -> String {
    let t0 = &trades[0];
    match t0.venue {
        "binance" => format!(
            r#"{{"stream":"{l}@trade","data":{{"e":"trade","E":{e},"s":"{s}","t":{id},"p":"{p}","q":"{q}","T":{t},"m":{m},"M":true}}}}"#,
            l = t0.symbol.to_ascii_lowercase(),
            s = t0.symbol,
            e = t0.ms() + 1,
            id = t0.id,
            p = t0.price(),
            q = t0.qty(),
            t = t0.ms(),
            m = !t0.taker_buys,
        ),
        // The maker's side: a taker who bought lifted a resting sell.
        "coinbase" => json!({
            "type": "match", "trade_id": t0.id, "maker_order_id": "m", "taker_order_id": "t",
            "side": if t0.taker_buys { "sell" } else { "buy" },
            "size": t0.qty(), "price": t0.price(), "product_id": t0.symbol,
            "sequence": t0.id * 7, "time": t0.rfc3339(),
        })
        .to_string(),
        // Prices and sizes as JSON numbers, written the way Kraken writes them.
        "kraken" => {
            let data: Vec<String> = trades
                .iter()
                .map(|t| {
                    format!(
                        r#"{{"symbol":"{s}","side":"{side}","price":{p},"qty":{q},"ord_type":"limit","trade_id":{id},"timestamp":"{ts}"}}"#,
                        s = t.symbol,
                        side = if t.taker_buys { "buy" } else { "sell" },
                        p = t.price(),
                        q = t.qty(),
                        id = t.id,
                        ts = t.rfc3339(),
                    )
                })
                .collect();
            format!(
                r#"{{"channel":"trade","type":"update","data":[{}]}}"#,
                data.join(",")
            )
        }
        "bybit" => json!({
            "topic": format!("publicTrade.{}", t0.symbol), "ts": t0.ms() + 2, "type": "snapshot",
            "data": trades.iter().map(|t| json!({
                "i": t.id.to_string(), "T": t.ms(), "p": t.price(), "v": t.qty(),
                "S": if t.taker_buys { "Buy" } else { "Sell" }, "s": t.symbol, "BT": false,
            })).collect::<Vec<_>>(),
        })
        .to_string(),
        // USDⓈ-M's aggregate trade (one fill here), on the /market route.
        "binance-perp" => format!(
            r#"{{"stream":"{l}@aggTrade","data":{{"e":"aggTrade","E":{e},"s":"{s}","a":{id},"p":"{p}","q":"{q}","nq":"{q}","f":{f},"l":{f},"T":{t},"m":{m}}}}}"#,
            l = t0.symbol.to_ascii_lowercase(),
            s = t0.symbol,
            e = t0.ms() + 1,
            id = t0.id,
            f = t0.id * 10,
            p = t0.price(),
            q = t0.qty(),
            t = t0.ms(),
            m = !t0.taker_buys,
        ),
        // Linear: ids are UUIDs, and `L` the tick direction.
        "bybit-perp" => json!({
            "topic": format!("publicTrade.{}", t0.symbol), "ts": t0.ms() + 2, "type": "snapshot",
            "data": trades.iter().map(|t| json!({
                "T": t.ms(), "s": t.symbol, "S": if t.taker_buys { "Buy" } else { "Sell" },
                "v": t.qty(), "p": t.price(), "L": "PlusTick", "i": uuid(t.id), "BT": false,
            })).collect::<Vec<_>>(),
        })
        .to_string(),
        "okx" => json!({
            "arg": {"channel": "trades-all", "instId": t0.symbol},
            "data": trades.iter().map(|t| json!({
                "instId": t.symbol, "tradeId": t.id.to_string(), "px": t.price(), "sz": t.okx_size(),
                "side": if t.taker_buys { "buy" } else { "sell" }, "ts": t.ms().to_string(),
            })).collect::<Vec<_>>(),
        })
        .to_string(),
        other => panic!("unknown venue {other}"),
    }
}

/// What each venue's server answers: subscription acks and pongs, as documented.
pub fn responder(venue: &'static str) -> impl Fn(&str) -> Vec<String> + Send + Sync + 'static {
    move |text: &str| {
        let v: serde_json::Value = serde_json::from_str(text).unwrap_or(json!(text));
        match venue {
            "coinbase" if v["type"] == "subscribe" => vec![
                json!({"type": "subscriptions", "channels": [{"name": "matches", "product_ids": v["product_ids"]}]})
                    .to_string(),
            ],
            "kraken" if v["method"] == "subscribe" => vec![
                json!({"method": "subscribe", "result": {"channel": "trade", "snapshot": true}, "success": true, "time_in": "x", "time_out": "y"})
                    .to_string(),
            ],
            "kraken" if v["method"] == "ping" => vec![json!({"method": "pong"}).to_string()],
            "bybit" | "bybit-perp" if v["op"] == "subscribe" => vec![
                json!({"success": true, "ret_msg": "subscribe", "conn_id": "c", "op": "subscribe"})
                    .to_string(),
            ],
            "bybit" | "bybit-perp" if v["op"] == "ping" => vec![
                json!({"success": true, "ret_msg": "pong", "conn_id": "c", "op": "ping"}).to_string(),
            ],
            "okx" if text == "ping" => vec!["pong".to_string()],
            "okx" if v["op"] == "subscribe" => v["args"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| json!({"event": "subscribe", "arg": a, "connId": "c"}).to_string())
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A candle as the report writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    pub open_time: i64,
    pub open: String,
    pub high: String,
    pub low: String,
    pub close: String,
    pub volume: String,
    pub quote_volume: String,
    pub trades: u64,
}

impl Expected {
    pub fn from_report(c: &serde_json::Value) -> Expected {
        let s = |k: &str| c[k].as_str().unwrap().to_string();
        Expected {
            open_time: c["open_time"].as_i64().unwrap(),
            open: s("open"),
            high: s("high"),
            low: s("low"),
            close: s("close"),
            volume: s("volume"),
            quote_volume: s("quote_volume"),
            trades: c["trades"].as_u64().unwrap(),
        }
    }
}

/// Reference 1-minute candles: trades bucketed by minute, open and close by `order` (the
/// smallest and largest key), volumes summed as integers. `flat` fills each empty minute
/// between two traded ones at the previous close, as venues that emit empty candles do.
pub fn minutes(trades: &[T], order: impl Fn(&T) -> (i64, i64, i64), flat: bool) -> Vec<Expected> {
    let mut by_minute: BTreeMap<i64, Vec<&T>> = BTreeMap::new();
    for t in trades {
        by_minute
            .entry(t.ms().div_euclid(60_000) * 60_000)
            .or_default()
            .push(t);
    }
    let mut out: Vec<Expected> = Vec::new();
    for (open_time, mut ts) in by_minute {
        ts.sort_by_key(|t| order(t));
        if flat && let Some(prev) = out.last().cloned() {
            let mut t = prev.open_time + 60_000;
            while t < open_time {
                out.push(Expected {
                    open_time: t,
                    open: prev.close.clone(),
                    high: prev.close.clone(),
                    low: prev.close.clone(),
                    close: prev.close.clone(),
                    volume: "0".into(),
                    quote_volume: "0".into(),
                    trades: 0,
                });
                t += 60_000;
            }
        }
        let hi = ts.iter().map(|t| t.ticks).max().unwrap();
        let lo = ts.iter().map(|t| t.ticks).min().unwrap();
        out.push(Expected {
            open_time,
            open: ts[0].price(),
            high: decimal(hi as i128, PRICE_SCALE),
            low: decimal(lo as i128, PRICE_SCALE),
            close: ts[ts.len() - 1].price(),
            volume: decimal(ts.iter().map(|t| t.lots as i128).sum(), QTY_SCALE),
            quote_volume: decimal(
                ts.iter().map(|t| t.ticks as i128 * t.lots as i128).sum(),
                PRICE_SCALE + QTY_SCALE,
            ),
            trades: ts.len() as u64,
        });
    }
    out
}
