//! A loopback `GET /api/v3/klines` server for the backfill benchmark: it answers from a
//! pre-rendered candle series with Binance's row format and paging rules, so the benchmark
//! measures cryptoviz's client, parser and store, not the network.

use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::domain::{Candle, Millis, Timeframe};

pub struct BenchServer {
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for BenchServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binance always gives both; the bench's candles always have them.
fn or_zero<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "0".into(), |v| v.to_string())
}

/// Serves `candles` (one series, `tf`) for any symbol on 127.0.0.1.
pub async fn start(candles: Vec<Candle>, tf: Timeframe) -> std::io::Result<BenchServer> {
    let rows: Arc<Vec<(Millis, String)>> = Arc::new(
        candles
            .iter()
            .map(|c| {
                let row = format!(
                    r#"[{},"{}","{}","{}","{}","{}",{},"{}",{},"0","0","0"]"#,
                    c.open_time,
                    c.open,
                    c.high,
                    c.low,
                    c.close,
                    c.volume,
                    c.close_time(tf),
                    or_zero(c.quote_volume),
                    or_zero(c.trades)
                );
                (c.open_time, row)
            })
            .collect(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let task = tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let rows = rows.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                // Keep-alive: answer requests on this connection until the client closes it.
                while let Ok(Some(request_line)) = lines.next_line().await {
                    while let Ok(Some(h)) = lines.next_line().await {
                        if h.is_empty() {
                            break;
                        }
                    }
                    let body = page(&rows, &request_line);
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-MBX-USED-WEIGHT-1M: 2\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    if w.write_all(head.as_bytes()).await.is_err()
                        || w.write_all(body.as_bytes()).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    Ok(BenchServer { url, task })
}

fn param(line: &str, key: &str) -> Option<i64> {
    let query = line.split_whitespace().nth(1)?.split_once('?')?.1;
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| v.parse().ok())?
    })
}

/// Rows with `startTime <= open <= endTime`, at most `limit` (max 1000), as a JSON array.
fn page(rows: &[(Millis, String)], request_line: &str) -> String {
    let start = param(request_line, "startTime").unwrap_or(Millis::MIN);
    let end = param(request_line, "endTime").unwrap_or(Millis::MAX);
    let limit = param(request_line, "limit").unwrap_or(500).clamp(1, 1000) as usize;
    let first = rows.partition_point(|(t, _)| *t < start);
    let mut body = String::from("[");
    for (i, (_, row)) in rows[first..]
        .iter()
        .take_while(|(t, _)| *t <= end)
        .take(limit)
        .enumerate()
    {
        if i > 0 {
            body.push(',');
        }
        body.push_str(row);
    }
    body.push(']');
    body
}
