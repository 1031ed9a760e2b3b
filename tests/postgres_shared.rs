//! Two collectors on one PostgreSQL database, on the same symbol (redundancy): the candles
//! stay exact whoever writes first, each firing is recorded and delivered once, one collector
//! at a time polls the news; `kill -9` the one holding the jobs and the survivor takes them
//! over within 30 s.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cryptoviz::domain::{Millis, SeriesKey, Symbol, Timeframe, Trade};
use cryptoviz::store::{Store, StoreOptions, StoreUrl};
use support::collector::Collector;
use support::faults::{frame, klines, serve_klines, shape};
use support::http::{HttpServer, Request, Response};
use support::klines_server::KlinesServer;
use support::postgres::TestDb;
use support::ws_server::WsServer;

const MIN: Millis = 60_000;

fn config(
    dir: &std::path::Path,
    who: &str,
    ws: &str,
    rest: &str,
    feed: &str,
    hook: &str,
) -> std::path::PathBuf {
    let path = dir.join(format!("{who}.toml"));
    std::fs::write(
        &path,
        format!(
            r#"[market]
symbols = ["BTCUSDT"]
timeframes = ["1m", "5m"]
[venues.binance]
ws_url = "{ws}"
rest_url = "{rest}"
[news]
feeds = ["{feed}?collector={who}"]
interval_secs = 1
[net]
ws_idle_timeout_secs = 5
backoff = {{ initial_ms = 100, max_ms = 300, multiplier = 2.0, jitter = 0.0 }}
[notify]
webhook_url = "{hook}"

[[alerts]]
name = "BTC above 100k"
symbol = "binance:BTCUSDT"
when = "price > 100000"
repeat = "rearm"
rearm_secs = 0
notify = ["webhook"]
"#
        ),
    )
    .unwrap();
    path
}

fn trade(id: i64, price: &str, time: Millis) -> Trade {
    Trade {
        symbol: Symbol::new("BTCUSDT").unwrap(),
        id,
        price: price.parse().unwrap(),
        qty: format!("0.{:03}", id % 1000 + 1).parse().unwrap(),
        time,
        count: 1,
        micros: 0,
        buyer_is_maker: id % 2 == 0,
    }
}

fn polls_by(feed: &HttpServer, who: &str) -> usize {
    feed.requests()
        .iter()
        .filter(|r| r.query("collector").as_deref() == Some(who))
        .count()
}

async fn until(limit: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collectors_one_database_and_one_killed() {
    let Some(db) = TestDb::create("shared") else {
        return;
    };
    let rss = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/rss/coindesk_small.xml"),
    )
    .unwrap();
    let feed = HttpServer::start(move |_| Response::ok(rss.clone()));
    let delivered: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = delivered.clone();
    let hook = HttpServer::start(move |r: &Request| {
        log.lock()
            .unwrap()
            .push(r.header("Idempotency-Key").unwrap_or("").to_string());
        Response::ok("")
    });
    let t0 = (chrono::Utc::now().timestamp_millis() / MIN - 20) * MIN;
    // Below, across (firing 1), below again; after the kill: across again (firing 2).
    let first: Vec<Trade> = [
        (1, "99000"),
        (2, "99500.5"),
        (3, "100250"),
        (4, "99800"),
        (5, "99700.25"),
    ]
    .iter()
    .map(|&(id, p)| trade(id, p, t0 + id * 20_000))
    .collect();
    // Trade 6 never reaches either collector; the exchange's klines have it.
    let six = trade(6, "99650", t0 + 2 * MIN + 10_000);
    let missed: Vec<Trade> = vec![trade(7, "99600", t0 + 2 * MIN + 40_000)];
    let second: Vec<Trade> = [(8, "99900"), (9, "100600.75"), (10, "99100"), (11, "99050")]
        .iter()
        .map(|&(id, p)| trade(id, p, t0 + 4 * MIN + id * 5_000))
        .collect();
    let all: Vec<Trade> = first
        .iter()
        .chain([&six])
        .chain(&missed)
        .chain(&second)
        .cloned()
        .collect();
    // Each collector has an exchange endpoint of its own, serving the same klines, so the
    // test can tell who asked.
    let rests = [KlinesServer::start(), KlinesServer::start()];
    for r in &rests {
        serve_klines(r, &all);
    }
    let ws = WsServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (hook_url, feed_url) = (
        format!("{}/hook", hook.url()),
        format!("{}/rss", feed.url()),
    );
    let start = |who: &str| {
        let rest = &rests[usize::from(who == "b")];
        let cfg = config(
            dir.path(),
            who,
            &ws.url(),
            &rest.url(),
            &feed_url,
            &hook_url,
        );
        let data = dir.path().join(who);
        std::fs::create_dir_all(&data).unwrap();
        Collector::start(&cfg, &data, &["--store", &db.url])
    };

    let a = start("a");
    ws.wait_accepted(1).await;
    assert!(
        until(Duration::from_secs(15), || polls_by(&feed, "a") >= 1).await,
        "the first collector polls the news"
    );
    let b = start("b");
    ws.wait_accepted(2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for t in &first {
        ws.push(frame(t));
    }
    assert!(
        until(Duration::from_secs(15), || delivered.lock().unwrap().len()
            == 1)
        .await,
        "firing 1 delivered: {:?}",
        delivered.lock().unwrap()
    );
    // While both run, only the holder polls; the other never does.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        polls_by(&feed, "b"),
        0,
        "the second collector polled while the first held the job"
    );
    assert!(polls_by(&feed, "a") >= 3);
    // Both streams skip trade 6: both see the same missed span, only one asks the exchange.
    for r in &rests {
        r.clear_log();
    }
    for t in &missed {
        ws.push(frame(t));
    }
    let span_asked = |rest: &KlinesServer| {
        rest.served()
            .iter()
            .filter(|s| s.start.is_some_and(|st| st <= missed[0].time))
            .count()
    };
    assert!(
        until(Duration::from_secs(20), || span_asked(&rests[0]) >= 2).await,
        "the missed span is repaired in 1m and 5m by the job's holder: {:?}",
        rests[0].served()
    );
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(
        span_asked(&rests[1]),
        0,
        "the second collector fetched a span the first one repairs"
    );

    // The holder dies without a word.
    a.signal("KILL");
    let killed = Instant::now();
    let _ = a.wait(Duration::from_secs(10));
    for t in &second {
        ws.push(frame(t));
    }
    assert!(
        until(Duration::from_secs(30), || polls_by(&feed, "b") >= 1).await,
        "the survivor took the news over"
    );
    assert!(
        until(Duration::from_secs(30), || delivered.lock().unwrap().len()
            >= 2)
        .await,
        "firing 2 delivered by the survivor"
    );
    assert!(
        killed.elapsed() < Duration::from_secs(35),
        "took over within 30 s"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    b.signal("TERM");
    let (status, stderr) = b.wait(Duration::from_secs(30));
    assert!(status.success(), "{stderr}");

    let keys = delivered.lock().unwrap().clone();
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        (keys.len(), unique.len()),
        (2, 2),
        "each firing delivered once: {keys:?}"
    );
    let firings: i64 = {
        let url = db.url.clone();
        std::thread::spawn(move || {
            postgres::Client::connect(&url, postgres::NoTls)
                .unwrap()
                .query_one("SELECT count(*) FROM alert_firings", &[])
                .unwrap()
                .get(0)
        })
        .join()
        .unwrap()
    };
    assert_eq!(firings, 2, "each crossing recorded once");

    let store = Store::open_url(
        &StoreUrl::parse(&db.url).unwrap(),
        dir.path(),
        StoreOptions::default(),
    )
    .unwrap();
    for tf in [Timeframe::M1, Timeframe::M5] {
        let key = SeriesKey {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            timeframe: tf,
        };
        let got: Vec<_> = store
            .candles(key, Millis::MIN, Millis::MAX)
            .await
            .unwrap()
            .iter()
            .map(shape)
            .collect();
        let want: Vec<_> = klines(&all, tf).iter().map(shape).collect();
        assert_eq!(got, want, "{tf}");
    }
    store.close().await.unwrap();
}
