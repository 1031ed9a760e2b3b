//! Each venue's keep-alive and control messages through the one stream loop, against local
//! servers that answer the way the venues do: pings that keep quiet connections open, a
//! refused subscription that leaves the connection up, OKX's upgrade notice, and a Coinbase
//! trade-id gap repaired from Coinbase's own REST candles by the real collector, and Bybit's
//! order book kept from a snapshot and its changes.

mod support;

use std::sync::Arc;
use std::time::Duration;

use cryptoviz::domain::{Symbol, Venue};
use cryptoviz::exchange::{Books, StreamSettings, StreamStats, connector, run};
use cryptoviz::net::{BackoffPolicy, BreakerPolicy};
use cryptoviz::source::{MarketEvent, StreamStatus};
use support::venues::{T, message, responder};
use support::ws_server::WsServer;
use tokio::sync::{mpsc, watch};

fn settings(venue: Venue, url: String, symbols: &[&str], idle: Duration) -> StreamSettings {
    StreamSettings {
        venue,
        ws_url: url,
        rest_url: "http://127.0.0.1:9".into(),
        symbols: symbols.iter().map(|s| Symbol::new(s).unwrap()).collect(),
        books: Books::Off,
        backoff: BackoffPolicy {
            initial_ms: 20,
            max_ms: 200,
            multiplier: 2.0,
            jitter: 0.0,
        },
        breaker: BreakerPolicy {
            failure_threshold: 100,
            open_secs: 1,
        },
        idle_timeout: idle,
        max_lifetime: Duration::from_secs(3600),
        stable_after: Duration::ZERO,
    }
}

struct Client {
    rx: mpsc::Receiver<MarketEvent>,
    stop: watch::Sender<bool>,
}

fn start(s: StreamSettings) -> Client {
    let (tx, rx) = mpsc::channel(1024);
    let (stop, stop_rx) = watch::channel(false);
    let c = connector(s.venue).unwrap();
    tokio::spawn(run(c, s, tx, stop_rx, Arc::new(StreamStats::new())));
    Client { rx, stop }
}

impl Client {
    /// Everything the client reported within `d`.
    async fn collect(&mut self, d: Duration) -> Vec<MarketEvent> {
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + d;
        while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, self.rx.recv()).await {
            out.push(ev);
        }
        out
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn reconnects(evs: &[MarketEvent]) -> usize {
    evs.iter()
        .filter(|e| matches!(e, MarketEvent::Status(_, StreamStatus::Reconnecting { .. })))
        .count()
}

#[tokio::test]
async fn quiet_connections_stay_open_on_each_venues_own_ping() {
    for (venue, name, symbol, ping) in [
        (Venue::Okx, "okx", "okx:BTC-USDT", "ping"),
        (Venue::Bybit, "bybit", "bybit:BTCUSDT", r#"{"op":"ping"}"#),
        (
            Venue::Kraken,
            "kraken",
            "kraken:BTC/USD",
            r#"{"method":"ping"}"#,
        ),
    ] {
        // The server says nothing but its answers: without pings the client would call the
        // connection dead after its one-second idle limit.
        let server = WsServer::start_with(responder(name)).await;
        let mut client = start(settings(
            venue,
            server.url(),
            &[symbol],
            Duration::from_secs(1),
        ));
        let evs = client.collect(Duration::from_millis(3_500)).await;
        assert_eq!(reconnects(&evs), 0, "{name}: {evs:?}");
        assert_eq!(server.accepted(), 1, "{name}");
        let pings = server.received().iter().filter(|m| *m == ping).count();
        assert!(
            pings >= 4,
            "{name}: {pings} pings in {:?}",
            server.received()
        );
    }
}

#[tokio::test]
async fn without_a_ping_or_data_the_connection_is_called_dead() {
    // Coinbase has no application ping: its heartbeats are the proof of life, and here
    // the server sends none.
    let server = WsServer::start_with(responder("coinbase")).await;
    let mut client = start(settings(
        Venue::Coinbase,
        server.url(),
        &["coinbase:BTC-USD"],
        Duration::from_millis(500),
    ));
    let evs = client.collect(Duration::from_millis(2_000)).await;
    assert!(reconnects(&evs) >= 1, "{evs:?}");
    assert!(server.accepted() >= 2);
}

#[tokio::test]
async fn a_refused_subscription_is_reported_and_the_connection_stays_up() {
    let server = WsServer::start_with(|text: &str| {
        if text.contains("subscribe") {
            vec![
                r#"{"type":"error","message":"Failed to subscribe","reason":"XXX-USD is not a valid product"}"#.to_string(),
            ]
        } else {
            Vec::new()
        }
    })
    .await;
    let mut client = start(settings(
        Venue::Coinbase,
        server.url(),
        &["coinbase:BTC-USD", "coinbase:XXX-USD"],
        Duration::from_secs(5),
    ));
    let first = client.collect(Duration::from_millis(500)).await;
    assert!(
        first.iter().any(|e| matches!(e, MarketEvent::Malformed(m)
            if m.contains("XXX-USD is not a valid product"))),
        "{first:?}"
    );
    let t = T {
        venue: "coinbase",
        symbol: "BTC-USD",
        id: 9,
        ticks: 6_000_000,
        lots: 100_000,
        time_us: 1_700_000_000_123_456,
        taker_buys: true,
    };
    server.push(message(&[t]));
    let evs = client.collect(Duration::from_millis(500)).await;
    let trade = evs.iter().find_map(|e| match e {
        MarketEvent::Trade(t, _) => Some(*t),
        _ => None,
    });
    let trade = trade.unwrap_or_else(|| panic!("{evs:?}"));
    assert_eq!((trade.id, trade.micros), (9, 456));
    assert!(!trade.buyer_is_maker, "the taker bought");
    assert_eq!(reconnects(&evs) + reconnects(&first), 0);
}

#[tokio::test]
async fn okx_announces_an_upgrade_and_the_client_moves_at_once() {
    let server = WsServer::start_with(responder("okx")).await;
    let mut client = start(settings(
        Venue::Okx,
        server.url(),
        &["okx:BTC-USDT"],
        Duration::from_secs(5),
    ));
    server.wait_accepted(1).await;
    client.collect(Duration::from_millis(200)).await;
    server.push(
        r#"{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade. Please reconnect.","connId":"a"}"#,
    );
    let evs = client.collect(Duration::from_millis(800)).await;
    let reason = evs.iter().find_map(|e| match e {
        MarketEvent::Status(Venue::Okx, StreamStatus::Reconnecting { reason, .. }) => {
            Some(reason.clone())
        }
        _ => None,
    });
    assert!(
        reason.as_deref().is_some_and(|r| r.contains("64008")),
        "{evs:?}"
    );
    server.wait_accepted(2).await;
}

/// The real collector on one Coinbase market: a trade id missing from the stream makes it
/// refetch the two minutes around the hole from Coinbase's REST candles, which replace the
/// partial ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coinbase_trade_id_gap_is_repaired_from_coinbase_candles() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use support::collector::Collector;
    use support::faults::{SAFETY_NET, eventually, free_port, keep_alive, probe};
    use support::http::{HttpServer, Request, Response};

    let m0 = (chrono::Utc::now().timestamp_millis() - 30 * 60_000) / 60_000 * 60_000;
    let trade = |id: i64, minute: i64, ticks: i64| T {
        venue: "coinbase",
        symbol: "BTC-USD",
        id,
        ticks,
        lots: 100_000,
        time_us: (m0 + minute * 60_000 + id * 1_000) * 1000 + 250,
        taker_buys: id % 2 == 0,
    };
    // Id 5 (minute 0, the highest price of it) never reaches the stream.
    let all: Vec<T> = [
        (1, 0, 100),
        (2, 0, 101),
        (3, 0, 99),
        (4, 0, 100),
        (5, 0, 130),
    ]
    .into_iter()
    .chain([(6, 1, 102), (7, 1, 103), (8, 1, 101)])
    .map(|(id, minute, p)| trade(id, minute, p * 100_000))
    .collect();
    let serving = Arc::new(AtomicBool::new(false));
    let on = serving.clone();
    let rest = HttpServer::start(move |r: &Request| {
        assert_eq!(r.path(), "/products/BTC-USD/candles", "{}", r.target);
        let ms = |k: &str| {
            chrono::DateTime::parse_from_rfc3339(&r.query(k).unwrap())
                .unwrap()
                .timestamp_millis()
        };
        let (lo, hi) = (ms("start"), ms("end"));
        let mut rows = Vec::new();
        if on.load(Ordering::SeqCst) {
            // Coinbase's own candles, newest first: [time, low, high, open, close, volume].
            for (t, row) in [
                (m0 + 60_000, "[T,1010,1030,1020,1010,3]"),
                (m0, "[T,990,1300,1000,1300,5]"),
            ] {
                if (lo..=hi).contains(&t) {
                    rows.push(row.replace('T', &(t / 1000).to_string()));
                }
            }
        }
        Response::ok(format!("[{}]", rows.join(",")))
    });
    let ws = Arc::new(WsServer::start_with(responder("coinbase")).await);
    let pinger = keep_alive(&ws);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"[market]
symbols = ["coinbase:BTC-USD"]
timeframes = ["1m"]
[venues.coinbase]
ws_url = "{ws}"
rest_url = "{rest}"
[news]
feeds = []
[backfill]
days = 1
[net]
backoff = {{ initial_ms = 20, max_ms = 200, multiplier = 2.0, jitter = 0.0 }}
[storage]
retention = {{ "1m" = [0, 0] }}
[metrics]
listen = "127.0.0.1:{port}"
"#,
            ws = ws.url(),
            rest = rest.url()
        ),
    )
    .unwrap();
    let collector = Collector::start(&cfg, dir.path(), &SAFETY_NET);
    assert!(
        eventually(Duration::from_secs(30), || probe(port, "startup").0 == 200).await,
        "{:?}",
        probe(port, "startup")
    );
    ws.wait_accepted(1).await;
    serving.store(true, Ordering::SeqCst);
    for t in all.iter().filter(|t| t.id != 5) {
        ws.push(message(std::slice::from_ref(t)));
    }
    let export =
        || support::cli::report(&cfg, dir.path(), "coinbase:BTC-USD", "1m").unwrap_or_default();
    let repaired = eventually(Duration::from_secs(20), || {
        let r = export();
        let c = &r["series"][0]["candles"];
        c.as_array().is_some_and(|c| {
            c.iter()
                .any(|c| c["open_time"] == m0 && c["high"] == "1300" && c["volume"] == "5")
        })
    })
    .await;
    assert!(repaired, "{}", export());
    let r = export();
    let c: Vec<&serde_json::Value> = r["series"][0]["candles"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let minute1 = c.iter().find(|c| c["open_time"] == m0 + 60_000).unwrap();
    assert_eq!(
        (
            minute1["open"].as_str(),
            minute1["close"].as_str(),
            minute1["volume"].as_str()
        ),
        (Some("1020"), Some("1010"), Some("3"))
    );
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(15));
    assert!(status.success(), "{stderr}");
    drop(pinger);
}

#[tokio::test]
async fn bybit_books_are_kept_from_a_snapshot_and_its_changes() {
    let server = WsServer::start_with(responder("bybit")).await;
    let mut s = settings(
        Venue::Bybit,
        server.url(),
        &["bybit:BTCUSDT"],
        Duration::from_secs(5),
    );
    s.books = Books::WithTrades;
    let mut client = start(s);
    server.wait_accepted(1).await;
    let push = |kind: &str, b: &str, a: &str| {
        format!(
            r#"{{"topic":"orderbook.50.BTCUSDT","type":"{kind}","ts":1672304484978,"data":{{"s":"BTCUSDT","b":{b},"a":{a},"u":1,"seq":1}},"cts":1672304484976}}"#
        )
    };
    // A change before any snapshot is nothing; then the snapshot; then changes to it; then a
    // change that crosses the book (one was missed) is refused and the next waits for a
    // snapshot.
    server.push(push("delta", r#"[["1.0","1"]]"#, "[]"));
    server.push(push(
        "snapshot",
        r#"[["100.0","1"],["99.0","2"]]"#,
        r#"[["101.0","3"]]"#,
    ));
    server.push(push(
        "delta",
        r#"[["100.0","0"],["98.5","4"]]"#,
        r#"[["101.0","2.5"]]"#,
    ));
    server.push(push("delta", r#"[["105.0","1"]]"#, "[]"));
    server.push(push("delta", r#"[["97.0","1"]]"#, "[]"));
    let evs = client.collect(Duration::from_millis(1_500)).await;
    let books: Vec<String> = evs
        .iter()
        .filter_map(|e| match e {
            MarketEvent::Book(b) => Some(format!(
                "{:?} / {:?}",
                b.bids
                    .iter()
                    .map(|l| (l.price.to_string(), l.qty.to_string()))
                    .collect::<Vec<_>>(),
                b.asks
                    .iter()
                    .map(|l| (l.price.to_string(), l.qty.to_string()))
                    .collect::<Vec<_>>(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        books,
        [
            r#"[("100", "1"), ("99", "2")] / [("101", "3")]"#,
            r#"[("99", "2"), ("98.5", "4")] / [("101", "2.5")]"#,
        ],
        "{evs:?}"
    );
    let refused = evs
        .iter()
        .filter(|e| matches!(e, MarketEvent::Malformed(m) if m.contains("crossed")))
        .count();
    assert_eq!(refused, 1, "{evs:?}");
    let subscribed = server.received().join(" ");
    assert!(subscribed.contains("orderbook.50.BTCUSDT"), "{subscribed}");
    assert_eq!(reconnects(&evs), 0);
}

#[tokio::test]
async fn kraken_books_are_kept_at_their_depth_from_a_snapshot_and_its_updates() {
    let server = WsServer::start_with(responder("kraken")).await;
    let mut s = settings(
        Venue::Kraken,
        server.url(),
        &["kraken:BTC/USD"],
        Duration::from_secs(5),
    );
    s.books = Books::WithTrades;
    let mut client = start(s);
    server.wait_accepted(1).await;
    // Ten bids from 100 down to 91, two asks; then 100 goes and 100.5 and 100.25 come: eleven,
    // so the lowest, 91, is out of Kraken's ten and dropped.
    let bids: Vec<String> = (0..10)
        .map(|i| format!(r#"{{"price":{},"qty":1.5}}"#, 100 - i))
        .collect();
    server.push(format!(
        r#"{{"channel":"book","type":"snapshot","data":[{{"symbol":"BTC/USD","bids":[{}],"asks":[{{"price":101.25,"qty":2}},{{"price":102,"qty":0.5}}],"checksum":1}}]}}"#,
        bids.join(",")
    ));
    server.push(
        r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":100,"qty":0},{"price":100.5,"qty":3},{"price":100.25,"qty":1}],"asks":[],"checksum":2,"timestamp":"2023-10-06T17:35:55.440295Z"}]}"#,
    );
    let evs = client.collect(Duration::from_millis(1_500)).await;
    let books: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            MarketEvent::Book(b) => Some(b.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(books.len(), 2, "{evs:?}");
    let bids =
        |i: usize| -> Vec<String> { books[i].bids.iter().map(|l| l.price.to_string()).collect() };
    assert_eq!(bids(0).first().map(String::as_str), Some("100"));
    assert_eq!(bids(1).len(), 10);
    assert_eq!(bids(1)[0], "100.5");
    assert_eq!(bids(1)[9], "92", "91 fell out of the ten");
    assert_eq!(books[1].asks[0].price.to_string(), "101.25");
    let subscribed = server.received().join(" ");
    assert!(subscribed.contains(r#""channel":"book""#), "{subscribed}");
    assert_eq!(reconnects(&evs), 0);
}

/// OKX's books are on its public endpoint, its `trades-all` on the business one; Coinbase's
/// on the Advanced Trade feed, its `matches` on the Exchange feed. A dashboard's runtime opens
/// a second, books-only connection there, which says nothing about the venue's state (the
/// trades' connection does), and its books reach the subscribers.
async fn books_on_their_own_connection(
    venue: &'static str,
    symbol: &str,
    trades_channel: &str,
    books_channel: &str,
    push: &str,
) -> (cryptoviz::domain::Book, u64) {
    use cryptoviz::config::Config;
    use cryptoviz::ingest::IngestEvent;
    use cryptoviz::runtime::{Event, Options, Runtime};
    use cryptoviz::store::{Store, StoreOptions};

    let trades = WsServer::start_with(responder(venue)).await;
    let books = WsServer::start_with(responder(venue)).await;
    let text = format!(
        r#"[market]
symbols = ["{symbol}"]
timeframes = ["1m"]
[venues.{venue}]
ws_url = "{}"
rest_url = "http://127.0.0.1:9"
book_ws_url = "{}"
[news]
feeds = []
"#,
        trades.url(),
        books.url()
    );
    let config = Config::parse(&text, std::path::Path::new("c.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.db"), StoreOptions::default()).unwrap();
    let opts = Options {
        live_view: true,
        ..Options::default()
    };
    let rt = Runtime::start(&config, store.clone(), opts).await.unwrap();
    let mut events = rt.subscribe();
    trades.wait_accepted(1).await;
    books.wait_accepted(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let to_trades = trades.received().join(" ");
    let to_books = books.received().join(" ");
    assert!(
        to_trades.contains(trades_channel) && !to_trades.contains(books_channel),
        "{to_trades}"
    );
    assert!(
        to_books.contains(books_channel) && !to_books.contains(trades_channel),
        "{to_books}"
    );
    books.push(push.to_string());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut connected = 0;
    let book = loop {
        let ev = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("no book in time")
            .unwrap();
        match ev {
            Event::Market(IngestEvent::Book(b)) => break b,
            Event::Market(IngestEvent::Stream(_, StreamStatus::Connected)) => connected += 1,
            _ => {}
        }
    };
    assert!(
        connected <= 1,
        "only the trades' connection reports the venue"
    );
    // What the books-only connection dropped past the books' bound is counted where the
    // health panel reads it, and not in the trades' counters.
    let dropped = |s: &cryptoviz::pipeline::Streams| -> u64 {
        s.iter()
            .map(|(_, s)| s.snapshot().book_levels_dropped)
            .sum()
    };
    assert_eq!(dropped(&rt.streams), 0);
    let book_dropped = dropped(&rt.book_streams);
    rt.stop(Duration::from_secs(5)).await.unwrap();
    store.close().await.unwrap();
    (book, book_dropped)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okx_books_come_from_their_own_endpoint_on_a_second_connection() {
    let (book, dropped) = books_on_their_own_connection(
        "okx",
        "okx:BTC-USDT",
        "trades-all",
        "books5",
        r#"{"arg":{"channel":"books5","instId":"BTC-USDT"},"data":[{"asks":[["42000.5","1.5","0","2"]],"bids":[["42000.1","2","0","3"]],"instId":"BTC-USDT","ts":"1670324386802","seqId":1}]}"#,
    )
    .await;
    assert_eq!(book.symbol.to_string(), "okx:BTC-USDT");
    assert_eq!(book.spread().unwrap().to_string(), "0.4");
    assert_eq!(dropped, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_books_come_from_the_advanced_trade_feed() {
    // The whole book, as Coinbase sends it: 1,200 bids, of which the 200 farthest are past
    // the bound.
    let far: Vec<String> = (1..1200)
        .map(|i| {
            format!(
                r#"{{"side":"bid","event_time":"1970-01-01T00:00:00Z","price_level":"{}","new_quantity":"1"}}"#,
                20000 - i
            )
        })
        .collect();
    let push = format!(
        r#"{{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z","sequence_num":0,"events":[{{"type":"snapshot","product_id":"BTC-USD","updates":[{{"side":"bid","event_time":"1970-01-01T00:00:00Z","price_level":"21921.73","new_quantity":"0.06317902"}},{},{{"side":"offer","event_time":"1970-01-01T00:00:00Z","price_level":"21921.75","new_quantity":"0.5"}}]}}]}}"#,
        far.join(",")
    );
    let (book, dropped) =
        books_on_their_own_connection("coinbase", "coinbase:BTC-USD", "matches", "level2", &push)
            .await;
    assert_eq!(book.symbol.to_string(), "coinbase:BTC-USD");
    assert_eq!(book.spread().unwrap().to_string(), "0.02");
    assert_eq!(dropped, 200, "1,200 bids, 1,000 kept");
}
