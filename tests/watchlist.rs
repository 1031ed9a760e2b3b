//! Any market at run time, end to end: the real dashboard in tmux against a local Binance
//! (WebSocket streams, `exchangeInfo` and klines over HTTP). `/` finds a market the venue
//! lists but the config does not name; Enter adds it, and without a restart its history is
//! fetched and its trades and book streamed (and shown). The watchlist survives a restart (and the venue's
//! list is not fetched again that day); `D` removes the market and its stream.

mod support;

use std::time::{Duration, Instant};

use cryptoviz::domain::now_ms;
use support::binance_rest::binance_rest;
use support::collector::write_config;
use support::tmux::{Tmux, dashboard};
use support::ws_server::{WsServer, trade_frame};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_market_found_by_the_search_is_added_streamed_kept_and_removed() {
    if Tmux::require("a_market_found_by_the_search_is_added").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ws = WsServer::start().await;
    let rest = binance_rest();
    let cfg = write_config(dir.path(), &ws.url(), &rest.url(), &["BTCUSDT"]);
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let lists = || {
        rest.requests()
            .iter()
            .filter(|r| r.path() == "/api/v3/exchangeInfo")
            .count()
    };

    let t = dashboard(dir.path(), &cfg, &data, "", 200, 50);
    ws.wait_accepted(1).await;
    assert!(!ws.requests()[0].contains("solusdt"), "{:?}", ws.requests());
    let deadline = Instant::now() + Duration::from_secs(20);
    while lists() == 0 {
        assert!(
            Instant::now() < deadline,
            "the market list was never asked for"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The venue's list arrives in the search: SOLUSDT is offered to add, SOLBTC (halted) is
    // not.
    tokio::time::sleep(Duration::from_millis(500)).await;
    t.send_keys(&["/"]);
    t.send_keys(&["s", "o", "l"]);
    let popup = t.wait_for("the search", Duration::from_secs(10), |s| {
        s.contains("+ binance:SOLUSDT")
    });
    assert!(!popup.contains("SOLBTC"), "{popup}");
    t.send_keys(&["Enter"]);

    // Streamed at once: the stream reconnects with the new market (and its book).
    ws.wait_accepted(2).await;
    let url = ws.requests()[1].clone();
    assert!(
        url.contains("solusdt@trade") && url.contains("solusdt@depth20@100ms"),
        "{url}"
    );
    // Its history comes from the venue's klines, its trades from the stream.
    t.wait_for("SOLUSDT's history", Duration::from_secs(30), |s| {
        s.contains("SOLUSDT 1m") && s.contains("150.25")
    });
    ws.push(trade_frame("SOLUSDT", 1, "151.55", "3", now_ms()));
    ws.push(
        r#"{"stream":"solusdt@depth20@100ms","data":{"lastUpdateId":9,"bids":[["151.50","12"]],"asks":[["151.60","7"]]}}"#,
    );
    t.wait_for("SOLUSDT's trade and book", Duration::from_secs(10), |s| {
        s.contains("▲ 151.55") && s.contains("Book SOLUSDT") && s.contains("spread 0.1 (")
    });
    t.quit_dashboard(&data);

    // Kept across a restart, the venue's list cached for the day.
    let t = dashboard(dir.path(), &cfg, &data, "", 200, 50);
    ws.wait_accepted(3).await;
    assert!(
        ws.requests()[2].contains("solusdt@trade"),
        "{:?}",
        ws.requests()
    );
    t.wait_for("the kept market", Duration::from_secs(20), |s| {
        s.contains("SOLUSDT") && s.contains("BTCUSDT")
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(lists(), 1, "the list is fetched once a day");

    // D on a configured market refuses; on the added one it removes it and its stream.
    t.send_keys(&["D"]);
    t.wait_for("the refusal", Duration::from_secs(10), |s| {
        s.contains("BTCUSDT is in the config file")
    });
    t.send_keys(&["Down"]);
    t.wait_for("SOLUSDT shown", Duration::from_secs(10), |s| {
        s.contains("SOLUSDT 1m")
    });
    t.send_keys(&["D"]);
    t.wait_for("the removal", Duration::from_secs(10), |s| {
        s.contains("SOLUSDT removed from the watchlist")
    });
    ws.wait_accepted(4).await;
    assert!(!ws.requests()[3].contains("solusdt"), "{:?}", ws.requests());
    t.quit_dashboard(&data);
}
