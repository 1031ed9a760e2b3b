//! The book and the trade tape, end to end: the real dashboard in a real terminal (tmux)
//! against a local WebSocket server speaking Binance's combined streams. The dashboard asks
//! for `btcusdt@depth20@100ms` beside the trades (a collector does not), draws the book with
//! its spread and the tape, marks the book STALE when its stream stops and fresh again when
//! it resumes.

mod support;

use std::time::Duration;

use cryptoviz::domain::now_ms;
use support::collector::{Collector, write_config};
use support::tmux::{Tmux, dashboard};
use support::ws_server::{WsServer, trade_frame};

fn depth(symbol: &str, bid: &str, ask: &str) -> String {
    format!(
        r#"{{"stream":"{symbol}@depth20@100ms","data":{{"lastUpdateId":42,"bids":[["{bid}","1.5"],["41999.95","2.25"]],"asks":[["{ask}","0.75"],["42000.25","3"]]}}}}"#
    )
}

/// The line of the screen holding `needle`.
fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen.lines().find(|l| l.contains(needle)).unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_follows_the_book_and_the_tape_and_marks_a_silent_book_stale() {
    if Tmux::require("the_dashboard_follows_the_book_and_the_tape").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ws = WsServer::start().await;
    let cfg = write_config(dir.path(), &ws.url(), "http://127.0.0.1:9", &["BTCUSDT"]);
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str("\n[freshness]\ntrades = { warning = 2, critical = 60 }\n");
    std::fs::write(&cfg, text).unwrap();

    let data = dir.path().join("dash");
    std::fs::create_dir_all(&data).unwrap();
    let t = dashboard(dir.path(), &cfg, &data, "", 200, 50);
    ws.wait_accepted(1).await;
    assert!(
        ws.requests()[0].contains("streams=btcusdt@trade/btcusdt@depth20@100ms"),
        "{:?}",
        ws.requests()
    );

    ws.push(depth("btcusdt", "42000.10", "42000.20"));
    let t0 = now_ms();
    ws.push(trade_frame("BTCUSDT", 1, "42000.2", "0.01", t0 - 20));
    ws.push(trade_frame("BTCUSDT", 2, "42000.1", "0.02", t0 - 10));
    ws.push(trade_frame("BTCUSDT", 3, "42001.55", "0.5", t0));
    // The whole of both panels (a capture may catch the terminal mid-frame).
    let screen = t.wait_for("the book and the tape", Duration::from_secs(30), |s| {
        s.contains("Book BTCUSDT")
            && s.contains("spread 0.10")
            && s.contains("41999.95      2.25 ")
            && s.contains("▲ 42001.55")
            && s.contains("▲ 42000.20")
    });
    // Asks above the spread, best nearest it; bids below; every price and every size with the
    // decimals the shown levels need (two here: no market list gave the market's own), so
    // each column lines up.
    let rows: Vec<&str> = screen.lines().collect();
    let at = |needle: &str| {
        rows.iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in\n{screen}"))
    };
    let level = |price: &str, size: &str| format!("{price} {size:>9} ");
    let book = [
        level("42000.25", "3.00"),
        level("42000.20", "0.75"),
        "spread 0.10".to_string(),
        level("42000.10", "1.50"),
        level("41999.95", "2.25"),
    ];
    for pair in book.windows(2) {
        assert_eq!(at(&pair[0]) + 1, at(&pair[1]), "{pair:?} in\n{screen}");
    }
    // The tape: newest first, the taker's side marked, each with its size.
    let tape = ["▲ 42001.55", "▼ 42000.10", "▲ 42000.20"];
    for pair in tape.windows(2) {
        assert_eq!(at(pair[0]) + 1, at(pair[1]), "{pair:?} in\n{screen}");
    }
    assert!(
        line_with(&screen, "▲ 42001.55").contains(" 0.50│"),
        "{screen}"
    );
    // Both panels name their columns.
    let book_head = rows[at("Book BTCUSDT") + 1];
    assert!(book_head.contains("│price         size cum."), "{screen}");
    let tape_head = rows[at("Trades BTCUSDT") + 1];
    let tape_head = tape_head
        .split("│")
        .find(|c| c.starts_with("time"))
        .unwrap_or("");
    let words: Vec<&str> = tape_head.split_whitespace().collect();
    assert_eq!(words, ["time", "price", "size"], "{screen}");

    // A book that cannot be true (crossed) is dropped: the last good one stays.
    ws.push(depth("btcusdt", "42005.00", "42000.20"));
    ws.push(trade_frame("BTCUSDT", 4, "42001.65", "0.3", now_ms()));
    let screen = t.wait_for("the next trade", Duration::from_secs(10), |s| {
        s.contains("42001.65")
    });
    assert!(screen.contains("spread 0.10"), "{screen}");

    // The book's stream goes quiet (trades go on): after the 2 s warning the book says STALE.
    let stale = t.wait_for("a stale book", Duration::from_secs(15), |s| {
        line_with(s, "Book BTCUSDT").contains("STALE")
    });
    assert!(stale.contains("Trades BTCUSDT"), "{stale}");
    // A new snapshot brings it back, with its new prices.
    ws.push(depth("btcusdt", "42000.00", "42000.20"));
    t.wait_for("a fresh book", Duration::from_secs(10), |s| {
        !line_with(s, "Book BTCUSDT").contains("STALE") && s.contains("spread 0.20")
    });

    t.quit_dashboard(&data);

    // A collector records trades only: it never asks for the book.
    let collect_dir = dir.path().join("collect");
    std::fs::create_dir_all(&collect_dir).unwrap();
    let collector = Collector::start(&cfg, &collect_dir, &[]);
    ws.wait_accepted(2).await;
    let last = ws.requests().last().cloned().unwrap();
    assert!(last.ends_with("streams=btcusdt@trade"), "{last}");
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(15));
    assert!(status.success(), "{stderr}");
}

/// A Binance USDⓈ-M perp's book: the dashboard opens a second connection on fstream's
/// `/public` route (`book_ws_url`) and subscribes to `depth20@100ms` there, beside the
/// trades on `/market`; the event (bids lowest first, as Binance's own example has them) is
/// drawn best first with its spread. A collector opens no book connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binance_perps_book_comes_from_the_public_route() {
    if Tmux::require("a_binance_perps_book_comes_from_the_public_route").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let market = WsServer::start().await;
    market.set_route("/market");
    let public = WsServer::start().await;
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"[market]
symbols = ["binance-perp:BTCUSDT"]

[venues.binance-perp]
ws_url = "{}"
rest_url = "http://127.0.0.1:9"
book_ws_url = "{}/public/ws"

[news]
feeds = []
"#,
            market.url(),
            public.url()
        ),
    )
    .unwrap();
    let data = dir.path().join("dash");
    std::fs::create_dir_all(&data).unwrap();
    let t = dashboard(dir.path(), &cfg, &data, "", 200, 50);
    market.wait_accepted(1).await;
    public.wait_accepted(1).await;
    t.wait_for("the book subscription", Duration::from_secs(10), |_| {
        !public.received().is_empty()
    });
    assert_eq!(
        public.received()[0],
        r#"{"method":"SUBSCRIBE","params":["btcusdt@depth20@100ms"],"id":1}"#
    );
    assert!(
        public.requests()[0].ends_with("/public/ws"),
        "{:?}",
        public.requests()
    );
    public.push(r#"{"result":null,"id":1}"#.to_string());
    public.push(format!(
        r#"{{"e":"depthUpdate","E":{t},"T":{t},"s":"BTCUSDT","U":1,"u":2,"pu":0,"b":[["89999.80","2.5"],["89999.90","1.25"]],"a":[["90000.00","0.5"],["90000.10","4"]]}}"#,
        t = now_ms()
    ));
    let screen = t.wait_for("the perp's book", Duration::from_secs(30), |s| {
        s.contains("spread 0.1 ")
    });
    let rows: Vec<&str> = screen.lines().collect();
    let at = |needle: &str| {
        rows.iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in\n{screen}"))
    };
    // The levels' own decimals (one: no market list gave the market's tick).
    for pair in [
        ["90000.1      4.00", "90000.0      0.50"],
        ["90000.0      0.50", "spread 0.1 "],
        ["spread 0.1 ", "89999.9      1.25"],
        ["89999.9      1.25", "89999.8      2.50"],
    ] {
        assert_eq!(at(pair[0]) + 1, at(pair[1]), "{pair:?} in\n{screen}");
    }
    assert!(!screen.contains("book is not followed"), "{screen}");
    t.quit_dashboard(&data);
}
