//! A live-stream outage: the WebSocket server goes away while trading goes on. After the
//! reconnect, gap repair from the REST klines must leave no hole, and no partial candle, in
//! any timeframe.

mod support;

use std::time::{Duration, Instant};

use cryptoviz::domain::{Millis, Symbol, Timeframe, Trade};
use support::collector::{Collector, write_config};
use support::faults::{frame, klines, serve_klines, shape, stored};
use support::klines_server::KlinesServer;
use support::ws_server::{Disconnect, WsServer};

const M0: Millis = 1_704_067_200_000; // 2024-01-01T00:00:00Z
const MIN: Millis = 60_000;

/// Ten minutes of BTCUSDT trades with contiguous ids; minute 4 is quiet.
fn trades() -> Vec<Trade> {
    let sym = Symbol::new("BTCUSDT").unwrap();
    let mut out = Vec::new();
    let mut id = 1000;
    for m in 0..10 {
        if m == 4 {
            continue;
        }
        for k in 0..(3 + m % 3) {
            id += 1;
            out.push(Trade {
                symbol: sym,
                id,
                price: format!("{}.{}", 42_000 + m * 7 - k * 3, (id * 7) % 100)
                    .parse()
                    .unwrap(),
                qty: format!("0.{:04}", (id * 37) % 10_000 + 1).parse().unwrap(),
                time: M0 + m * MIN + 1_000 + k * 5_000,
                count: 1,
                micros: 0,
                buyer_is_maker: id % 2 == 0,
            });
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_hole_in_any_timeframe_after_an_outage() {
    let all = trades();
    let klines_server = KlinesServer::start();
    serve_klines(&klines_server, &all);
    let ws = WsServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), &ws.url(), &klines_server.url(), &["BTCUSDT"]);
    let collector = Collector::start(&cfg, dir.path(), &[]);
    ws.wait_accepted(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let before: Vec<&Trade> = all
        .iter()
        .filter(|t| t.time < M0 + 2 * MIN + 6_000)
        .collect();
    let after: Vec<&Trade> = all.iter().filter(|t| t.time >= M0 + 7 * MIN).collect();
    for t in &before {
        ws.push(frame(t));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The outage: connections dropped and refused for a while; minutes 2..7 trade unseen.
    ws.refuse_for(Duration::from_millis(1500));
    ws.disconnect_all(Disconnect::Drop);
    ws.wait_accepted(2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for t in &after {
        ws.push(frame(t));
    }

    // Repair runs on its own; wait until the 1m series is whole, then stop the collector.
    let want_1m: Vec<_> = klines(&all, Timeframe::M1).iter().map(shape).collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let db = dir.path().join("cryptoviz.db");
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let conn = rusqlite::Connection::open(&db).unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM candles c JOIN series s ON s.id = c.series_id \
                 WHERE s.timeframe = '1m' AND c.source = 'rest'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        if n >= 6 || Instant::now() > deadline {
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(20));
    assert!(status.success(), "{stderr}");

    assert!(
        klines_server.served().len() >= 2,
        "the repair asked the exchange"
    );
    let sym = Symbol::new("BTCUSDT").unwrap();
    for tf in Timeframe::ALL {
        let want: Vec<_> = klines(&all, tf).iter().map(shape).collect();
        let got: Vec<_> = stored(&db, sym, tf).await.iter().map(shape).collect();
        assert_eq!(got, want, "{tf}");
    }
    assert_eq!(want_1m.len(), 10);
}
