//! The live bus (SPEC §7) against real NATS servers of the tests' own (`nats-server -js` on
//! a free port): the real `cryptoviz collect` publishes each accepted trade once, with the
//! venue's id as `Nats-Msg-Id`, on `cryptoviz.<venue>.<symbol>.trade`; a second collector on
//! the same market adds no duplicate; a server down at start is said once and waited for,
//! what was accepted meanwhile is published when it comes, and the store misses nothing; a
//! password never shows.

mod support;

use std::time::Duration;

use cryptoviz::domain::now_ms;
use support::collector::{Collector, stored_candles, write_config};
use support::faults::{Scrape, keep_alive, probe};
use support::nats::{NatsServer, available, stream_messages};
use support::ws_server::{WsServer, trade_frame};

/// 2024-01-01T00:00:00Z.
const M0: i64 = 1_704_067_200_000;

/// Whether a tape on `screen` shows the trade: the tape writes prices to the market's
/// decimals (42122.50), so the integer part and the size, unique to each test trade, name it.
fn on_tape(screen: &str, price: &str, qty: &str) -> bool {
    let whole = price.split('.').next().unwrap();
    screen
        .lines()
        .any(|l| l.contains(&format!(" {whole}.")) && l.contains(qty))
}

async fn settle() {
    tokio::time::sleep(Duration::from_millis(600)).await;
}

/// The trades' (id, price, qty, side, time) as the bus carries them.
fn carried(msgs: &[(serde_json::Value, String)]) -> Vec<(String, String, String, String, i64)> {
    msgs.iter()
        .map(|(v, _)| {
            (
                v["id"].as_str().unwrap().to_string(),
                v["price"].as_str().unwrap().to_string(),
                v["qty"].as_str().unwrap().to_string(),
                v["side"].as_str().unwrap().to_string(),
                v["time"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn sent(ids: std::ops::Range<i64>) -> Vec<(String, String, String, String, i64)> {
    ids.map(|i| {
        (
            i.to_string(),
            format!("42{:03}.5", i),
            "0.25".to_string(),
            // trade_frame makes even ids buyer-maker trades: the taker sold.
            if i % 2 == 0 { "sell" } else { "buy" }.to_string(),
            M0 + i * 1_000,
        )
    })
    .collect()
}

/// A local Binance-format market (pinged, so quiet seconds are not taken for a dead
/// connection) and a config pointing a collector of BTCUSDT at it.
async fn market(
    dir: &std::path::Path,
) -> (
    std::sync::Arc<WsServer>,
    tokio::task::JoinHandle<()>,
    std::path::PathBuf,
) {
    let ws = std::sync::Arc::new(WsServer::start().await);
    let alive = keep_alive(&ws);
    let cfg = write_config(dir, &ws.url(), "http://127.0.0.1:9", &["BTCUSDT"]);
    (ws, alive, cfg)
}

/// Until the stream holds `n` BTCUSDT trades (at most 20 s: a reconnect is within a second
/// or two of the server's return).
async fn wait_for_trades(url: &str, user: Option<(&str, &str)>, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let got = stream_messages(url, user, "cryptoviz", "cryptoviz.binance.BTCUSDT.trade")
            .await
            .len();
        if got >= n || std::time::Instant::now() > deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn push(ws: &WsServer, ids: std::ops::Range<i64>) {
    for i in ids {
        ws.push(trade_frame(
            "BTCUSDT",
            i,
            &format!("42{:03}.5", i),
            "0.25",
            M0 + i * 1_000,
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_trade_once_on_its_subject_even_from_two_collectors() {
    if !available("every_trade_once_on_its_subject_even_from_two_collectors") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let nats = NatsServer::start(dir.path(), &[]);
    let (ws, _alive, cfg) = market(dir.path()).await;
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let first = Collector::start(&cfg, &a, &["--bus", &nats.url()]);
    ws.wait_accepted(1).await;
    settle().await;
    push(&ws, 1..21);
    settle().await;
    // A second collector on the same market: both receive trades 21..40 and publish them.
    let second = Collector::start(&cfg, &b, &["--bus", &nats.url()]);
    ws.wait_accepted(2).await;
    settle().await;
    push(&ws, 21..41);
    settle().await;
    for c in [first, second] {
        c.signal("TERM");
        let (status, stderr) = c.wait(Duration::from_secs(20));
        assert!(status.success(), "{stderr}");
        assert!(!stderr.contains("unreachable"), "{stderr}");
    }
    let msgs = stream_messages(
        &nats.url(),
        None,
        "cryptoviz",
        "cryptoviz.binance.BTCUSDT.trade",
    )
    .await;
    assert_eq!(carried(&msgs), sent(1..41), "each trade once, in order");
    for (v, id) in &msgs {
        assert_eq!(
            id,
            &format!("binance:BTCUSDT:{}", v["id"].as_str().unwrap())
        );
        assert_eq!(
            (v["venue"].as_str(), v["symbol"].as_str()),
            (Some("binance"), Some("BTCUSDT"))
        );
        assert!(v["seq"].as_u64().unwrap() > 0);
    }
    // Candles too: the first collector's last update of the first minute is its stored
    // candle. (The second, started late, published its own partial view of that minute.)
    let candles = stream_messages(
        &nats.url(),
        None,
        "cryptoviz",
        "cryptoviz.binance.BTCUSDT.candle.1m",
    )
    .await;
    let stored = stored_candles(&a.join("cryptoviz.db"), "BTCUSDT", "1m");
    assert_eq!(stored[0].7, 40);
    assert!(
        candles
            .iter()
            .any(|(v, _)| v["open_time"].as_i64() == Some(M0)
                && v["trades"].as_u64() == Some(40)
                && v["volume"].as_str() == Some(stored[0].5.as_str())
                && v["close"].as_str() == Some("42040.5")),
        "{candles:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bus_down_at_start_is_waited_for_and_nothing_is_lost() {
    if !available("a_bus_down_at_start_is_waited_for_and_nothing_is_lost") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let password = "hunter2-not-shown";
    let mut nats = NatsServer::later(dir.path(), &["--user", "feed", "--pass", password]);
    let url = format!("nats://feed:{password}@127.0.0.1:{}", nats.port);
    let (ws, _alive, cfg) = market(dir.path()).await;
    let data = dir.path().join("data");
    // The URL (and its password) through the environment, as an operator would.
    let collector = {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cryptoviz"));
        cmd.env("CRYPTOVIZ_BUS", &url);
        let child = cmd
            .arg("--config")
            .arg(&cfg)
            .arg("--data-dir")
            .arg(&data)
            .arg("collect")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        Collector {
            child,
            data_dir: data.clone(),
        }
    };
    ws.wait_accepted(1).await;
    settle().await;
    push(&ws, 1..11);
    // Past the grace before the collector says the bus is unreachable.
    tokio::time::sleep(Duration::from_secs(4)).await;
    nats.up();
    tokio::time::sleep(Duration::from_secs(1)).await;
    push(&ws, 11..21);
    wait_for_trades(&nats.url(), Some(("feed", password)), 20).await;
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(20));
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stderr.matches("unreachable").count(),
        1,
        "said once: {stderr}"
    );
    assert!(stderr.contains("publishing resumed"), "{stderr}");
    assert!(stderr.contains("nats://feed:***@127.0.0.1"), "{stderr}");
    let log = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect::<String>();
    assert!(!stderr.contains(password) && !log.contains(password));
    // Every trade, those before the server came included, once.
    let msgs = stream_messages(
        &nats.url(),
        Some(("feed", password)),
        "cryptoviz",
        "cryptoviz.binance.BTCUSDT.trade",
    )
    .await;
    assert_eq!(carried(&msgs), sent(1..21));
    // And the store has them all: 20 trades in the first minute.
    let stored = stored_candles(&data.join("cryptoviz.db"), "BTCUSDT", "1m");
    assert_eq!(stored[0].7, 20, "{stored:?}");
}

/// The server killed mid-run and started again on the same store: the collector goes on
/// storing, says so once, and the stream ends up with every trade once (those accepted
/// while it was away sent when it is back).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bus_killed_mid_run_loses_nothing() {
    if !available("a_bus_killed_mid_run_loses_nothing") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut nats = NatsServer::start(dir.path(), &[]);
    let (ws, _alive, cfg) = market(dir.path()).await;
    // /metrics and the probes, to see the bus's figures and readiness through the outage.
    let metrics = support::nats::free_port();
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(&format!("\n[metrics]\nlisten = \"127.0.0.1:{metrics}\"\n"));
    std::fs::write(&cfg, text).unwrap();
    let data = dir.path().join("data");
    let collector = Collector::start(&cfg, &data, &["--bus", &nats.url()]);
    ws.wait_accepted(1).await;
    settle().await;
    push(&ws, 1..11);
    settle().await;
    let scrape = Scrape::take(metrics);
    assert_eq!(scrape.get("cryptoviz_bus_connected"), 1.0);
    assert!(scrape.get("cryptoviz_bus_published_messages_total") >= 10.0);
    nats.down();
    push(&ws, 11..21);
    tokio::time::sleep(Duration::from_secs(4)).await;
    // Away: said on /metrics, and the collector stays ready (the store is the record).
    assert_eq!(Scrape::take(metrics).get("cryptoviz_bus_connected"), 0.0);
    assert_eq!(probe(metrics, "ready").0, 200);
    nats.up();
    tokio::time::sleep(Duration::from_secs(1)).await;
    push(&ws, 21..31);
    wait_for_trades(&nats.url(), None, 30).await;
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(20));
    assert!(status.success(), "{stderr}");
    assert_eq!(stderr.matches("unreachable").count(), 1, "{stderr}");
    let msgs = stream_messages(
        &nats.url(),
        None,
        "cryptoviz",
        "cryptoviz.binance.BTCUSDT.trade",
    )
    .await;
    assert_eq!(carried(&msgs), sent(1..31));
    let stored = stored_candles(&data.join("cryptoviz.db"), "BTCUSDT", "1m");
    assert_eq!(stored[0].7, 30, "{stored:?}");
    // Its health, every 5 s while the bus was there: ingestion's counters and the bus's.
    let subjects = support::nats::stream_subjects(&nats.url(), "cryptoviz").await;
    let health = subjects
        .iter()
        .find(|s| s.starts_with("cryptoviz.health."))
        .unwrap_or_else(|| panic!("no health on the bus: {subjects:?}"));
    let reports = stream_messages(&nats.url(), None, "cryptoviz", health).await;
    let (last, _) = reports.last().unwrap();
    assert!(last["ingest"]["trades"].as_u64().unwrap() >= 10, "{last}");
    assert!(last["bus"]["published"].as_u64().unwrap() >= 10, "{last}");
    assert!(
        health.ends_with(&format!(
            "-{}",
            last["collector"]
                .as_str()
                .unwrap()
                .rsplit('-')
                .next()
                .unwrap()
        )),
        "{health} {last}"
    );
}

/// A URL that is not a bus is refused before anything starts, without repeating it.
#[test]
fn a_bad_bus_url_is_a_usage_error_that_does_not_repeat_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cryptoviz"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "--bus",
            "redis://u:secret@host",
            "collect",
            "--duration",
            "1",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--bus must start with nats:// or tls://"),
        "{err}"
    );
    assert!(!err.contains("secret"), "{err}");
    // A good URL with a password on the command line: warned, as `--store`'s is, and the
    // password still never shown.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cryptoviz"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--bus", "nats://feed:pw-secret@127.0.0.1:9", "export"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: the password in --bus is visible to every user of this machine (ps); put it in CRYPTOVIZ_BUS, [bus] url or [bus] credentials instead"),
        "{err}"
    );
    assert!(!err.contains("pw-secret"), "{err}");
}

/// A collector publishing and two dashboards attached to its store with `--bus`, in real
/// terminals: each says it is live over the bus and its trade tape shows the trades the venue
/// sent, the one published before the dashboards started replayed from the stream (an
/// attached dashboard without a bus has no tape at all). The collector follows no book until
/// the dashboards ask for the one they show; then it opens a books-only connection, and both
/// draw the venue's book. The trades that connection also carries are not counted twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_dashboards_show_the_collectors_trades_and_book_over_the_bus() {
    use support::tmux::{Tmux, dashboard};
    let name = "two_dashboards_show_the_collectors_trades_and_book_over_the_bus";
    if !available(name) || Tmux::require(name).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let nats = NatsServer::start(dir.path(), &[]);
    let (ws, _alive, cfg) = market(dir.path()).await;
    let data = dir.path().join("data");
    let collector = Collector::start(&cfg, &data, &["--bus", &nats.url()]);
    ws.wait_accepted(1).await;
    // Published before either dashboard exists: they replay it from the stream.
    ws.push(trade_frame("BTCUSDT", 1, "41999.25", "0.4444", now_ms()));
    settle().await;
    assert_eq!(ws.requests().len(), 1, "a collector alone follows no book");
    assert!(!ws.requests()[0].contains("depth"), "{:?}", ws.requests());
    let bus = format!("--bus {}", nats.url());
    let a = dashboard(dir.path(), &cfg, &data, &bus, 160, 48);
    // The second writes its exit code elsewhere: its own folder, the same store.
    let b_dir = dir.path().join("b");
    std::fs::create_dir_all(&b_dir).unwrap();
    let b = Tmux::start(
        &b_dir,
        160,
        48,
        &format!(
            "'{}' --config '{}' --data-dir '{}' {bus}",
            env!("CARGO_BIN_EXE_cryptoviz"),
            cfg.display(),
            data.display()
        ),
    );
    for t in [&a, &b] {
        t.wait_for("live over the bus", Duration::from_secs(30), |s| {
            s.contains("read-only (collector)") && s.contains("live over the bus")
        });
    }
    // Asked (by both; one connection serves them), the collector dials the book.
    ws.wait_accepted(2).await;
    let book_url = ws.requests()[1].clone();
    assert!(
        book_url.ends_with("streams=btcusdt@trade/btcusdt@depth20@100ms"),
        "{book_url}"
    );
    settle().await;
    ws.push(
        r#"{"stream":"btcusdt@depth20@100ms","data":{"lastUpdateId":42,"bids":[["42000.10","1.5"],["41999.95","2.25"]],"asks":[["42000.20","0.75"],["42000.25","3"]]}}"#,
    );
    for t in [&a, &b] {
        t.wait_for("the book over the bus", Duration::from_secs(15), |s| {
            s.contains("spread 0.10") && s.contains("41999.95") && s.contains("42000.25")
        });
    }
    let sent = [
        (1, "41999.25", "0.4444"),
        (2, "42111.25", "0.1111"),
        (3, "42122.5", "0.2222"),
        (4, "42133.75", "0.3333"),
    ];
    for (id, price, qty) in &sent[1..] {
        ws.push(trade_frame("BTCUSDT", *id, price, qty, now_ms()));
    }
    for t in [&a, &b] {
        let screen = t.wait_for("the trades on the tape", Duration::from_secs(15), |s| {
            sent.iter().all(|(_, p, q)| on_tape(s, p, q))
        });
        assert!(screen.contains("live over the bus"), "{screen}");
    }
    a.quit_dashboard(&data);
    b.send_keys(&["q"]);
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(20));
    assert!(status.success(), "{stderr}");
    // Four trades, each once, though the book's connection carried them too.
    let rows = stored_candles(&data.join("cryptoviz.db"), "BTCUSDT", "1m");
    let trades: i64 = rows.iter().map(|r| r.7).sum();
    assert_eq!(trades, 4, "{rows:?}");
}

/// The account layout the README shows: the collectors' user publishes (and manages its
/// stream), a dashboard's user may subscribe and ask for books and markets, nothing else. The collector
/// works as the first (narrowing a stream an earlier version made); a client as the second
/// reads the market, gets the book it asks for, and a trade it forges never reaches the
/// stream, which keeps no book.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_user_reads_asks_for_books_and_cannot_publish_the_market() {
    use futures_util::StreamExt;
    if !available("a_dashboard_user_reads_asks_for_books_and_cannot_publish_the_market") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("accounts.conf");
    // The README's example, word for word.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let example = readme
        .split("```conf\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("the README's NATS accounts example");
    std::fs::write(&conf, example).unwrap();
    let nats = NatsServer::start(dir.path(), &["-c", conf.to_str().unwrap()]);
    let (ws, _alive, cfg) = market(dir.path()).await;
    // A stream as an earlier version made it (everything under `cryptoviz.>`): the collector
    // narrows it, so books and asks stay out of it.
    {
        let c = async_nats::ConnectOptions::with_user_and_password(
            "collector".into(),
            "collector-secret".into(),
        )
        .connect(nats.url())
        .await
        .unwrap();
        async_nats::jetstream::new(c)
            .create_stream(async_nats::jetstream::stream::Config {
                name: "cryptoviz".into(),
                subjects: vec!["cryptoviz.>".into()],
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let feed = format!("nats://collector:collector-secret@127.0.0.1:{}", nats.port);
    let collector = Collector::start(&cfg, &dir.path().join("data"), &["--bus", &feed]);
    ws.wait_accepted(1).await;
    // The viewer subscribes before the trades come.
    let viewer = async_nats::ConnectOptions::with_user_and_password(
        "dashboard".into(),
        "dashboard-secret".into(),
    )
    .connect(nats.url())
    .await
    .unwrap();
    let mut sub = viewer.subscribe("cryptoviz.>").await.unwrap();
    viewer.flush().await.unwrap();
    settle().await;
    push(&ws, 1..4);
    let mut read = Vec::new();
    while read.len() < 3 {
        let m = tokio::time::timeout(Duration::from_secs(10), sub.next())
            .await
            .expect("the viewer reads the market")
            .unwrap();
        if m.subject.as_str() == "cryptoviz.binance.BTCUSDT.trade" {
            read.push(m);
        }
    }
    // Its own message is refused by the server: the stream never has it.
    viewer
        .publish("cryptoviz.binance.BTCUSDT.trade", "forged".into())
        .await
        .unwrap();
    let _ = viewer.flush().await;
    settle().await;
    // The one thing it may publish: an ask for a book, which the collector (allowed to hear
    // asks) serves from a connection of its own while asked.
    viewer
        .publish("cryptoviz.ask.book", r#"{"market":"BTCUSDT"}"#.into())
        .await
        .unwrap();
    ws.wait_accepted(2).await;
    settle().await;
    ws.push(
        r#"{"stream":"btcusdt@depth20@100ms","data":{"lastUpdateId":7,"bids":[["42000.1","1"]],"asks":[["42000.2","2"]]}}"#,
    );
    let book = loop {
        let m = tokio::time::timeout(Duration::from_secs(10), sub.next())
            .await
            .expect("the asked book")
            .unwrap();
        if m.subject.as_str() == "cryptoviz.binance.BTCUSDT.book" {
            break serde_json::from_slice::<serde_json::Value>(&m.payload).unwrap();
        }
    };
    assert_eq!(
        book["bids"],
        serde_json::json!([["42000.1", "1"]]),
        "{book}"
    );
    assert_eq!(
        book["asks"],
        serde_json::json!([["42000.2", "2"]]),
        "{book}"
    );
    // And it may ask for a market, and hear the answer.
    let answer = viewer
        .request("cryptoviz.ask.market", r#"{"market":"ETHUSDT"}"#.into())
        .await
        .expect("an answer the dashboard's user may hear");
    let answer: serde_json::Value = serde_json::from_slice(&answer.payload).unwrap();
    assert_eq!(answer["status"], "added", "{answer}");
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(20));
    assert!(status.success(), "{stderr}");
    let msgs = stream_messages(
        &nats.url(),
        Some(("collector", "collector-secret")),
        "cryptoviz",
        "cryptoviz.binance.BTCUSDT.trade",
    )
    .await;
    assert_eq!(
        carried(&msgs),
        sent(1..4),
        "no forged message on the stream"
    );
    // Books are not kept: the stream has none.
    let books = stream_messages(
        &nats.url(),
        Some(("collector", "collector-secret")),
        "cryptoviz",
        "cryptoviz.binance.BTCUSDT.book",
    )
    .await;
    assert!(books.is_empty(), "{books:?}");
}

/// The demo's perps through the real collector: derivatives and trades on their subjects,
/// each accepted by the checks an attached dashboard applies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_publishes_derivatives_a_dashboard_accepts() {
    use cryptoviz::bus::inbound::{Inbound, parse};
    if !available("the_demo_publishes_derivatives_a_dashboard_accepts") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let nats = NatsServer::start(dir.path(), &[]);
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "[news]\nfeeds = []\n").unwrap();
    let collector = Collector::start(
        &cfg,
        &dir.path().join("data"),
        &["--demo", "--bus", &nats.url()],
    );
    // The demo writes hours of history first (tens of seconds in a debug build), then runs
    // live: until a perp's derivatives are on the bus.
    let deadline = std::time::Instant::now() + Duration::from_secs(150);
    while stream_messages(
        &nats.url(),
        None,
        "cryptoviz",
        "cryptoviz.binance-perp.BTCUSDT.deriv",
    )
    .await
    .is_empty()
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    settle().await;
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(30));
    assert!(status.success(), "{stderr}");
    let now = now_ms();
    for (subject, what) in [
        ("cryptoviz.binance-perp.BTCUSDT.deriv", "deriv"),
        ("cryptoviz.binance.BTCUSDT.trade", "trade"),
        ("cryptoviz.binance.BTCUSDT.candle.1m", "candle"),
    ] {
        let msgs = stream_messages(&nats.url(), None, "cryptoviz", subject).await;
        if msgs.is_empty() {
            let subjects = support::nats::stream_subjects(&nats.url(), "cryptoviz").await;
            panic!("no {what} on {subject}; the stream has {subjects:?}");
        }
        for (v, _) in &msgs {
            let got = parse(subject, v.to_string().as_bytes(), now);
            match (what, got) {
                ("deriv", Ok(Inbound::Deriv(u))) => assert!(u.mark.is_some(), "{v}"),
                ("trade", Ok(Inbound::Trade(_))) | ("candle", Ok(Inbound::Candle(..))) => {}
                (_, other) => panic!("{subject}: {v} read as {other:?}"),
            }
        }
    }
}

/// A dashboard attached with `--bus` adds a market the collector's config does not name: `/`
/// offers it from the venue's list (fetched by the dashboard, not stored), Enter asks the
/// collectors, the one streaming that venue takes it on a connection of its own (the running
/// one untouched), fetches its history and answers; the dashboard shows it, history and
/// trades. A market on a venue no collector streams gets no answer. The collector keeps the
/// market for its next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_asks_the_collectors_for_a_market_over_the_bus() {
    use support::binance_rest::binance_rest;
    use support::tmux::{Tmux, dashboard};
    let name = "a_dashboard_asks_the_collectors_for_a_market_over_the_bus";
    if !available(name) || Tmux::require(name).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let nats = NatsServer::start(dir.path(), &[]);
    let ws = std::sync::Arc::new(WsServer::start().await);
    let _alive = keep_alive(&ws);
    let rest = binance_rest();
    let cfg = write_config(dir.path(), &ws.url(), &rest.url(), &["BTCUSDT"]);
    let data = dir.path().join("data");
    let collector = Collector::start(&cfg, &data, &["--bus", &nats.url()]);
    ws.wait_accepted(1).await;
    let bus = format!("--bus {}", nats.url());
    let t = dashboard(dir.path(), &cfg, &data, &bus, 200, 50);
    t.wait_for("live over the bus", Duration::from_secs(30), |s| {
        s.contains("live over the bus")
    });
    t.send_keys(&["/"]);
    t.send_keys(&["s", "o", "l"]);
    t.wait_for("the search", Duration::from_secs(10), |s| {
        s.contains("+ binance:SOLUSDT")
    });
    t.send_keys(&["Enter"]);
    t.wait_for("the collector's answer", Duration::from_secs(15), |s| {
        s.contains("SOLUSDT added by collector")
    });
    // Its own connection, trades only; the first stays as it was.
    let urls = || ws.requests();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !urls().iter().any(|u| u.ends_with("streams=solusdt@trade")) {
        assert!(std::time::Instant::now() < deadline, "{:?}", urls());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(urls()[0].ends_with("streams=btcusdt@trade"), "{:?}", urls());
    // Its history from the venue's klines (the collector backfills it), its trades over the
    // bus.
    t.wait_for("SOLUSDT's history", Duration::from_secs(30), |s| {
        s.contains("SOLUSDT 1m") && s.contains("150.25")
    });
    ws.push(trade_frame("SOLUSDT", 1, "151.55", "3", now_ms()));
    t.wait_for("SOLUSDT's trade", Duration::from_secs(10), |s| {
        s.contains("▲ 151.55")
    });
    // Kraken is not this collector's venue: it stays silent, and the asker hears no answer.
    let client = async_nats::connect(nats.url()).await.unwrap();
    let asked = tokio::time::timeout(
        Duration::from_secs(2),
        client.request(
            "cryptoviz.ask.market",
            r#"{"market":"kraken:ETH/USD"}"#.into(),
        ),
    )
    .await;
    assert!(asked.is_err(), "no answer for a venue not owned");
    let again = client
        .request("cryptoviz.ask.market", r#"{"market":"SOLUSDT"}"#.into())
        .await
        .unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&again.payload).unwrap();
    assert_eq!(answer["status"], "already", "{answer}");
    assert_eq!(answer["market"], "binance:SOLUSDT", "{answer}");
    t.quit_dashboard(&data);
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(20));
    assert!(status.success(), "{stderr}");
    let stored = stored_candles(&data.join("cryptoviz.db"), "SOLUSDT", "1m");
    assert!(stored.len() >= 5, "{stored:?}");
    assert!(
        stored.iter().any(|r| r.7 == 1),
        "the live trade: {stored:?}"
    );

    // The next start collects it too, and says why.
    let before = ws.requests().len();
    let collector = Collector::start(&cfg, &data, &["--bus", &nats.url()]);
    ws.wait_accepted(before + 1).await;
    let url = ws.requests()[before].clone();
    assert!(url.contains("solusdt@trade"), "{url}");
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(20));
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "also collecting binance:SOLUSDT (added at run time; kept in the store's watchlist)"
        ),
        "{stderr}"
    );
}

/// A dashboard attached over the bus while the server dies and comes back: it says the bus
/// is unreachable (following the store alone), and once the server is back its tape has the
/// trades the venue sent during the outage: the collector kept them and published them on
/// its return, and the dashboard's consumer resumed after the last message it had, with
/// nothing missed and nothing twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_rides_out_a_bus_restart_without_a_gap() {
    use support::tmux::{Tmux, dashboard};
    let name = "a_dashboard_rides_out_a_bus_restart_without_a_gap";
    if !available(name) || Tmux::require(name).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut nats = NatsServer::start(dir.path(), &[]);
    let (ws, _alive, cfg) = market(dir.path()).await;
    let data = dir.path().join("data");
    let collector = Collector::start(&cfg, &data, &["--bus", &nats.url()]);
    ws.wait_accepted(1).await;
    // The collector makes the stream before the dashboard attaches.
    ws.push(trade_frame("BTCUSDT", 1, "41001.25", "0.1111", now_ms()));
    wait_for_trades(&nats.url(), None, 1).await;
    let t = dashboard(
        dir.path(),
        &cfg,
        &data,
        &format!("--bus {}", nats.url()),
        160,
        48,
    );
    t.wait_for("the first trade, live", Duration::from_secs(30), |s| {
        s.contains("live over the bus") && on_tape(s, "41001.25", "0.1111")
    });
    nats.down();
    t.wait_for("the bus said away", Duration::from_secs(20), |s| {
        s.contains("bus unreachable")
    });
    let during = [
        (2, "42002.25", "0.2222"),
        (3, "43003.25", "0.3333"),
        (4, "44004.25", "0.4444"),
    ];
    for (id, price, qty) in during {
        ws.push(trade_frame("BTCUSDT", id, price, qty, now_ms()));
    }
    settle().await;
    nats.up();
    let screen = t.wait_for("the outage's trades", Duration::from_secs(30), |s| {
        s.contains("live over the bus") && during.iter().all(|(_, p, q)| on_tape(s, p, q))
    });
    // Each once.
    for (_, p, q) in during {
        let whole = p.split('.').next().unwrap();
        let n = screen
            .lines()
            .filter(|l| l.contains(&format!(" {whole}.")) && l.contains(q))
            .count();
        assert_eq!(n, 1, "{p} on the tape {n} times:\n{screen}");
    }
    t.quit_dashboard(&data);
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(20));
    assert!(status.success(), "{stderr}");
}
