//! Alerts through the real `cryptoviz collect`: a local market drives the price across a level
//! and back, a local webhook answers 500 and then recovers, a command channel appends its
//! stdin to a file, and the collector is killed with SIGKILL between recording a firing and
//! delivering it. Every firing is recorded once and reaches each channel; the webhook sees one
//! idempotency key per firing, however many attempts it took.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use support::collector::Collector;
use support::faults::{SAFETY_NET, assert_no_panic, empty_klines, eventually, keep_alive};
use support::http::{HttpServer, Request, Response};
use support::ws_server::{WsServer, trade_frame};

fn config(dir: &Path, ws: &str, rest: &str, hook: &str, out: &Path) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            r#"[market]
symbols = ["BTCUSDT"]
timeframes = ["1m"]
[venues.binance]
ws_url = "{ws}"
rest_url = "{rest}"
[news]
feeds = []
[net]
ws_idle_timeout_secs = 5
backoff = {{ initial_ms = 100, max_ms = 300, multiplier = 2.0, jitter = 0.0 }}
breaker = {{ failure_threshold = 100, open_secs = 1 }}
[storage]
retention = {{ "1m" = [0, 0] }}
[notify]
webhook_url = "{hook}"
command = ["sh", "-c", "cat >> '{out}'"]
timeout_secs = 2

[[alerts]]
name = "BTC above 100k"
symbol = "binance:BTCUSDT"
when = "price > 100000"
repeat = "rearm"
rearm_secs = 0
notify = ["webhook", "command", "bell"]
"#,
            out = out.display()
        ),
    )
    .unwrap();
    path
}

fn firings_in(db: &Path) -> Vec<(String, String, i64)> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut st = conn
        .prepare("SELECT id, value, trigger_time FROM alert_firings ORDER BY trigger_time")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The idempotency keys of every webhook attempt so far.
fn keys_tried(hook: &HttpServer) -> Vec<String> {
    hook.requests()
        .iter()
        .filter_map(|r| r.header("Idempotency-Key").map(str::to_string))
        .collect()
}

/// The real binary with this config and data dir; its stdout, after asserting it succeeded.
fn cli(config: &Path, data: &Path, args: &[&str]) -> String {
    let out = support::cli::run(config, data, args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {err}");
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_crossing_is_recorded_once_and_delivered_through_500s_and_a_kill() {
    let healthy = Arc::new(AtomicBool::new(false));
    let answers = healthy.clone();
    let delivered: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let log = delivered.clone();
    let hook = HttpServer::start(move |r: &Request| {
        assert_eq!(r.method, "POST");
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        if !answers.load(Ordering::SeqCst) {
            return Response::new(500, "down");
        }
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["id"].as_str(), r.header("Idempotency-Key"));
        log.lock()
            .unwrap()
            .push(body["id"].as_str().unwrap().to_string());
        Response::ok("")
    });
    let klines = empty_klines();
    let ws = Arc::new(WsServer::start().await);
    let pinger = keep_alive(&ws);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("command-out.jsonl");
    let cfg = config(
        dir.path(),
        &ws.url(),
        &klines.url(),
        &format!("{}/hook", hook.url()),
        &out,
    );
    let db = dir.path().join("cryptoviz.db");

    let collector = Collector::start(&cfg, dir.path(), &SAFETY_NET);
    ws.wait_accepted(1).await;
    // Across the level, back below (rearm_secs = 0 rearms at once), and across again.
    let t0 = chrono::Utc::now().timestamp_millis() - 120_000;
    for (id, price) in [
        (1, "99990"),
        (2, "100010.5"),
        (3, "100020"),
        (4, "99000"),
        (5, "100500"),
    ] {
        ws.push(trade_frame("BTCUSDT", id, price, "0.1", t0 + id * 1000));
    }
    assert!(
        eventually(Duration::from_secs(10), || firings_in(&db).len() == 2).await,
        "{:?}",
        firings_in(&db)
    );
    let recorded = firings_in(&db);
    assert_eq!(
        recorded
            .iter()
            .map(|f| (f.1.as_str(), f.2))
            .collect::<Vec<_>>(),
        [("100010.5", t0 + 2000), ("100500", t0 + 5000)],
        "each crossing's trade and time"
    );
    // The webhook keeps failing: attempts repeat with the same key...
    assert!(
        eventually(Duration::from_secs(10), || {
            let keys = keys_tried(&hook);
            keys.iter().filter(|k| **k == recorded[0].0).count() >= 2
        })
        .await
    );
    // ...while the command channel has its two lines already.
    assert!(
        eventually(Duration::from_secs(5), || std::fs::read_to_string(&out)
            .is_ok_and(|t| t.lines().count() == 2))
        .await
    );
    // Killed before the webhook ever succeeded.
    collector.signal("KILL");
    let (_, first_stderr) = collector.wait(Duration::from_secs(5));
    // Headless, the bell is a line on stderr.
    assert_eq!(
        first_stderr
            .matches("cryptoviz: alert BTC above 100k: price > 100000")
            .count(),
        2,
        "{first_stderr}"
    );
    assert!(delivered.lock().unwrap().is_empty());

    // The next run delivers what was owed, and fires nothing twice: the stream repeats the
    // same trades (ids already counted), the rule's state says it is disarmed.
    healthy.store(true, Ordering::SeqCst);
    let collector = Collector::start(&cfg, dir.path(), &SAFETY_NET);
    ws.wait_accepted(2).await;
    for (id, price) in [(4, "99000"), (5, "100500")] {
        ws.push(trade_frame("BTCUSDT", id, price, "0.1", t0 + id * 1000));
    }
    assert!(
        eventually(Duration::from_secs(15), || delivered.lock().unwrap().len()
            >= 2)
        .await,
        "webhook deliveries: {:?}",
        delivered.lock().unwrap()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(15));
    assert!(status.success(), "{stderr}");
    assert_no_panic(&stderr, dir.path());
    drop(pinger);

    let got: Vec<String> = delivered.lock().unwrap().clone();
    let unique: BTreeSet<&String> = got.iter().collect();
    let want: BTreeSet<&String> = recorded.iter().map(|f| &f.0).collect();
    assert_eq!(unique, want, "one key per firing");
    assert_eq!(got.len(), 2, "each firing answered 2xx once: {got:?}");
    assert_eq!(firings_in(&db).len(), 2, "nothing recorded twice");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "the command ran once per firing");
    assert_eq!(lines[0]["alert"], "BTC above 100k");
    assert_eq!(lines[0]["symbol"], "binance:BTCUSDT");
    assert_eq!(lines[0]["condition"], "price > 100000");
    assert_eq!(lines[0]["trigger_time"], t0 + 2000);
    assert!(
        !stderr.contains("cryptoviz: alert"),
        "the bell rang in the first run only"
    );
}

/// `alerts test` over imported real XRPETH history decides exactly what the live path decides
/// when fed the same trades: the same indicator firings (rule, close time, value) and the
/// price rule in the same minute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_test_on_real_history_matches_the_live_path() {
    use cryptoviz::alerts::{Decision, deliver};
    use cryptoviz::config::Config;
    use cryptoviz::domain::{Price, Qty, Symbol, Timeframe, Trade};
    use cryptoviz::ingest::Ingest;
    use cryptoviz::store::{CandleSource, Store, StoreOptions};

    let csv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/binance/XRPETH-aggTrades-2019-10-11_to_13.csv");
    let text = r#"[market]
symbols = ["XRPETH"]
timeframes = ["1m", "5m"]
[storage]
retention = { "1m" = [0, 0], "5m" = [0, 0] }
[[alerts]]
name = "rsi hot"
symbol = "XRPETH"
when = "rsi > 70"
repeat = "rearm"
[[alerts]]
name = "rsi cold 5m"
symbol = "XRPETH"
timeframe = "5m"
when = "rsi < 40"
repeat = "rearm"
rearm_secs = 600
[[alerts]]
name = "macd up"
symbol = "XRPETH"
when = "macd crosses above signal"
repeat = "rearm"
[[alerts]]
name = "bands"
symbol = "XRPETH"
when = "close > bollinger.upper"
repeat = "rearm"
rearm_secs = 300
[[alerts]]
name = "volume"
symbol = "XRPETH"
timeframe = "5m"
when = "volume > 4 x avg(12)"
repeat = "rearm"
[[alerts]]
name = "moves"
symbol = "XRPETH"
when = "change(15m) < -1%"
repeat = "rearm"
rearm_secs = 900
[[alerts]]
name = "level"
symbol = "XRPETH"
when = "price > 0.00139"
"#;
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("config.toml");
    std::fs::write(&cfg_path, text).unwrap();
    let run = |args: &[&str]| cli(&cfg_path, &dir.path().join("data"), args);
    run(&["import", "--symbol", "XRPETH", csv.to_str().unwrap()]);
    let replay_text = run(&["alerts", "test", "--json"]);
    let replayed: serde_json::Value = serde_json::from_str(&replay_text).unwrap();
    // A replay reads as the history it reconstructs: each firing is stamped with the close of
    // the candle that decided it (within its timeframe of the trigger, never this run's
    // clock), so a second replay is the same to the byte.
    for f in replayed["firings"].as_array().unwrap() {
        let at = chrono::DateTime::parse_from_rfc3339(f["at"].as_str().unwrap())
            .unwrap()
            .timestamp_millis();
        let trigger = f["trigger_time"].as_i64().unwrap();
        assert!(
            at > trigger && at - trigger <= 300_000,
            "{f}: decided at {at}, not at its candle's close"
        );
    }
    let again = run(&["alerts", "test", "--json"]);
    let without_clock = |t: &str| -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_str(t).unwrap();
        v.as_object_mut().unwrap().remove("generated_at");
        v
    };
    assert_eq!(without_clock(&replay_text), without_clock(&again));
    let replayed: Vec<(String, i64, String)> = replayed["firings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["alert"].as_str().unwrap().to_string(),
                f["trigger_time"].as_i64().unwrap(),
                f["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();

    // The live path: the same trades through ingestion with the engine attached.
    let config = Config::parse(text, Path::new("c.toml")).unwrap();
    let live_dir = tempfile::tempdir().unwrap();
    let store = Store::open(&live_dir.path().join("live.db"), StoreOptions::default()).unwrap();
    let engine = deliver::engine(&config.alert_setup(), &store, 0)
        .await
        .unwrap();
    let symbol = Symbol::new("XRPETH").unwrap();
    let mut ingest = Ingest::new(
        store.clone(),
        &[symbol],
        &[Timeframe::M1, Timeframe::M5],
        CandleSource::Live,
    )
    .await
    .unwrap()
    .with_alerts(engine);
    let mut decisions = Vec::new();
    for line in std::fs::read_to_string(&csv).unwrap().lines() {
        let f: Vec<&str> = line.split(',').collect();
        let (first, last): (i64, i64) = (f[3].parse().unwrap(), f[4].parse().unwrap());
        let t = Trade {
            symbol,
            id: f[0].parse().unwrap(),
            price: Price::parse(f[1]).unwrap(),
            qty: Qty::parse(f[2]).unwrap(),
            time: f[5].parse().unwrap(),
            micros: 0,
            count: (last - first + 1) as u32,
            buyer_is_maker: f[6] == "True",
        };
        ingest.replay(&t);
        // The live clock closes candles as time passes.
        ingest.flush(Some(t.time)).unwrap();
        decisions.extend(ingest.take_decisions());
    }
    // The file's last minute stays open, as `import` leaves it: nothing decided on it.
    ingest.flush(None).unwrap();
    decisions.extend(ingest.take_decisions());
    store.close().await.unwrap();
    let live: Vec<(String, i64, String)> = decisions
        .into_iter()
        .filter_map(|d| match d {
            Decision::Fired(f, _) => Some((f.alert, f.trigger_time, f.value)),
            Decision::State(..) => None,
        })
        .collect();

    let candle_rules = |v: &[(String, i64, String)]| -> Vec<(String, i64, String)> {
        let mut v: Vec<_> = v.iter().filter(|f| f.0 != "level").cloned().collect();
        v.sort();
        v
    };
    let (a, b) = (candle_rules(&replayed), candle_rules(&live));
    for name in [
        "rsi hot",
        "rsi cold 5m",
        "macd up",
        "bands",
        "volume",
        "moves",
    ] {
        assert!(
            a.iter().any(|f| f.0 == name),
            "{name} never fired: the data must exercise it"
        );
    }
    assert_eq!(a, b, "replayed vs live");
    // The price level: live at the trade, replayed at the close of that trade's minute.
    let level = |v: &[(String, i64, String)]| -> Vec<i64> {
        v.iter()
            .filter(|f| f.0 == "level")
            .map(|f| f.1 / 60_000)
            .collect()
    };
    assert_eq!(level(&replayed).len(), 1);
    assert_eq!(level(&replayed), level(&live));
}

/// Rules made from the dashboard are stored, come back after a restart with the config's,
/// and a disabled one is kept but not evaluated.
#[tokio::test]
async fn dashboard_rules_survive_restarts_and_disabled_ones_rest() {
    use cryptoviz::alerts::{Rule, deliver};
    use cryptoviz::config::Config;
    use cryptoviz::store::{Store, StoreOptions, StoredRule};

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cryptoviz.db");
    let config = Config::parse(
        "[[alerts]]\nname = \"cfg\"\nsymbol = \"BTCUSDT\"\nwhen = \"rsi > 70\"\n",
        Path::new("c.toml"),
    )
    .unwrap();
    let store = Store::open(&db, StoreOptions::default()).unwrap();
    let stored = |name: &str, when: &str, enabled: bool| StoredRule {
        name: name.into(),
        symbol: Some("binance:BTCUSDT".into()),
        timeframe: "1m".into(),
        when: when.into(),
        repeat: "once".into(),
        rearm_secs: 0,
        notify: "bell".into(),
        enabled,
    };
    for r in [
        stored("up", "price > 100000", true),
        stored("down", "price < 50000", false),
        stored("broken", "moon > 1", true),
        stored("cfg", "price > 1", true),
    ] {
        store.call(move |b| b.save_rule(&r)).await.unwrap();
    }
    store.close().await.unwrap();

    let store = Store::open(&db, StoreOptions::default()).unwrap();
    let names = |rules: Vec<Rule>| rules.into_iter().map(|r| r.name).collect::<Vec<_>>();
    let rules = deliver::rules(&config.alert_setup().rules, &store)
        .await
        .unwrap();
    assert_eq!(
        names(rules),
        ["cfg", "up"],
        "disabled, unreadable and clashing ones left out"
    );
    store.call(|b| b.delete_rule("up")).await.unwrap();
    let rules = deliver::rules(&config.alert_setup().rules, &store)
        .await
        .unwrap();
    assert_eq!(names(rules), ["cfg"]);
    let left: Vec<String> = store
        .call(|b| b.stored_rules())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    let mut left = left;
    left.sort();
    assert_eq!(
        left,
        ["broken", "cfg", "down"],
        "kept, though not evaluated"
    );
    store.close().await.unwrap();
}

/// A hung command is killed after `timeout_secs` and retried later, while the webhook of the
/// same firing is delivered at once; the report lists the rule and its firing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_command_is_killed_and_never_holds_up_the_webhook() {
    use cryptoviz::alerts::deliver::{AlertStats, deliver};
    use cryptoviz::alerts::{ArmState, Channel, Firing};
    use cryptoviz::net::{BackoffPolicy, BreakerPolicy};
    use cryptoviz::store::{Store, StoreOptions};

    let hits = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = hits.clone();
    let hook = HttpServer::start(move |r: &Request| {
        seen.lock()
            .unwrap()
            .push(r.header("Idempotency-Key").unwrap_or("").to_string());
        Response::ok("")
    });
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("cryptoviz.db"), StoreOptions::default()).unwrap();
    let f = Firing::new(
        "slow",
        "binance:BTCUSDT".into(),
        "price > 1",
        "2".into(),
        1_700_000_000_000,
        1_700_000_000_100,
    );
    let record = f.clone();
    let fresh = store
        .call(move |b| {
            b.record_firing(
                &record,
                &[Channel::Command, Channel::Webhook],
                ArmState {
                    armed: false,
                    false_since: None,
                },
            )
        })
        .await
        .unwrap();
    assert!(fresh);
    let notify = cryptoviz::config::NotifyConfig {
        webhook_url: format!("{}/hook", hook.url()),
        command: vec!["sleep".into(), "30".into()],
        timeout_secs: 1,
    };
    let stats = Arc::new(AlertStats::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let started = std::time::Instant::now();
    let task = tokio::spawn(deliver(
        notify,
        (BackoffPolicy::default(), BreakerPolicy::default()),
        store.clone(),
        Arc::new(tokio::sync::Notify::new()),
        None,
        stats.clone(),
        stop_rx,
    ));
    assert!(
        eventually(Duration::from_secs(5), || hits.lock().unwrap().len() == 1
            && stats.failed(Channel::Command) >= 1)
        .await
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the command was killed after 1 s"
    );
    assert_eq!(hits.lock().unwrap()[0], f.id);
    assert_eq!(stats.delivered(Channel::Webhook), 1);
    let owed = store
        .call(|b| b.pending_deliveries(None, 10))
        .await
        .unwrap();
    assert_eq!(
        owed.len(),
        1,
        "the command is still owed and will be retried"
    );
    assert_eq!(owed[0].channel, Channel::Command);
    assert_eq!(owed[0].attempts, 1);
    let _ = stop_tx.send(true);
    let _ = task.await;
    store.close().await.unwrap();
}

/// A rule made with `!` in the dashboard is one of the rules everywhere: `alerts list` shows
/// it (a disabled one marked off), `alerts test` replays it and the report lists it.
#[tokio::test]
async fn rules_made_in_the_dashboard_are_listed_replayed_and_reported() {
    use cryptoviz::store::{Store, StoreOptions, StoredRule};

    let csv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/binance/XRPETH-aggTrades-2019-10-11_to_13.csv");
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("config.toml");
    std::fs::write(&cfg_path, "[market]\nsymbols = [\"XRPETH\"]\n").unwrap();
    let run = |args: &[&str]| cli(&cfg_path, &dir.path().join("data"), args);
    run(&["import", "--symbol", "XRPETH", csv.to_str().unwrap()]);
    let store = Store::open(
        &dir.path().join("data/cryptoviz.db"),
        StoreOptions::default(),
    )
    .unwrap();
    for (name, enabled) in [("level", true), ("resting", false)] {
        let r = StoredRule {
            name: name.into(),
            symbol: Some("binance:XRPETH".into()),
            timeframe: "1m".into(),
            when: "price > 0.00139".into(),
            repeat: "once".into(),
            rearm_secs: 0,
            notify: "bell".into(),
            enabled,
        };
        store.call(move |b| b.save_rule(&r)).await.unwrap();
    }
    store.close().await.unwrap();

    let listed: serde_json::Value =
        serde_json::from_str(&run(&["alerts", "list", "--json"])).unwrap();
    let rules = listed["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2, "{listed}");
    assert_eq!(rules[0]["name"], "level");
    assert_eq!(rules[0]["origin"], "dashboard");
    assert_eq!(rules[0]["enabled"], true);
    assert_eq!(rules[1]["enabled"], false);
    let text = run(&["alerts", "list"]);
    assert!(
        text.contains(
            "level: price > 0.00139 on binance:XRPETH 1m (once, notify bell; from the dashboard)"
        ),
        "{text}"
    );
    assert!(text.contains("from the dashboard, off"), "{text}");

    let replayed: serde_json::Value =
        serde_json::from_str(&run(&["alerts", "test", "--json"])).unwrap();
    let fired: Vec<&str> = replayed["firings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["alert"].as_str().unwrap())
        .collect();
    assert_eq!(fired, ["level"], "the enabled one, once");

    let report: serde_json::Value = serde_json::from_str(&run(&[
        "export",
        "--symbol",
        "XRPETH",
        "--from",
        "2019-10-11",
        "--to",
        "2019-10-14",
        "--out",
        "-",
    ]))
    .unwrap();
    let names: Vec<&str> = report["alerts"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["level"], "{}", report["alerts"]);
}

/// SPEC §8 in `alerts test` over real XRPETH trades: `ema:5 > ema:20` fires on each closed
/// candle where the fast EMA crosses above the slow one, `<` where it crosses below, and a
/// level on `atr:14` once per run above it; the expected bars come from the same candles'
/// indicators in `export`'s report, so the live engine, the rule and the batch path agree.
#[test]
fn indicator_crosses_over_xrpeth_fire_where_the_reported_indicators_cross() {
    let csv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/binance/XRPETH-aggTrades-2019-10-11_to_13.csv");
    let text = r#"[market]
symbols = ["XRPETH"]
[indicators]
overlays = ["ema:5", "ema:20"]
panes = ["atr:14"]
[[alerts]]
name = "ema up"
symbol = "XRPETH"
when = "ema:5 > ema:20"
repeat = "rearm"
rearm_secs = 0
[[alerts]]
name = "ema down"
symbol = "XRPETH"
when = "ema:5 < ema:20"
repeat = "rearm"
rearm_secs = 0
[[alerts]]
name = "atr"
symbol = "XRPETH"
when = "atr:14 > 0.000004"
repeat = "rearm"
rearm_secs = 0
"#;
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("config.toml");
    std::fs::write(&cfg_path, text).unwrap();
    let run = |args: &[&str]| cli(&cfg_path, &dir.path().join("data"), args);
    run(&["import", "--symbol", "XRPETH", csv.to_str().unwrap()]);
    let replayed: serde_json::Value =
        serde_json::from_str(&run(&["alerts", "test", "--json"])).unwrap();
    let report: serde_json::Value = serde_json::from_str(&run(&[
        "export",
        "--symbol",
        "XRPETH",
        "--timeframe",
        "1m",
        "--out",
        "-",
    ]))
    .unwrap();
    let series = &report["series"][0];
    let closes: Vec<i64> = series["candles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["close_time"].as_i64().unwrap())
        .collect();
    let values = |name: &str| -> Vec<Option<f64>> {
        series["indicators"][name]
            .as_array()
            .unwrap_or_else(|| panic!("{name} not in the report"))
            .iter()
            .map(serde_json::Value::as_f64)
            .collect()
    };
    let (fast, slow, atr) = (values("ema:5"), values("ema:20"), values("atr:14"));
    assert_eq!(fast.len(), closes.len());
    let crosses = |above: bool| -> Vec<i64> {
        (1..closes.len())
            .filter(|&i| match (fast[i - 1], slow[i - 1], fast[i], slow[i]) {
                (Some(pf), Some(ps), Some(f), Some(s)) => {
                    if above {
                        pf <= ps && f > s
                    } else {
                        pf >= ps && f < s
                    }
                }
                _ => false,
            })
            .map(|i| closes[i])
            .collect()
    };
    let mut armed = true;
    let mut want_atr = Vec::new();
    for (i, v) in atr.iter().enumerate() {
        match v {
            Some(v) if *v > 0.000004 && armed => {
                want_atr.push(closes[i]);
                armed = false;
            }
            Some(v) if *v <= 0.000004 => armed = true,
            _ => {}
        }
    }
    let fired = |name: &str| -> Vec<i64> {
        replayed["firings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["alert"] == name)
            .map(|f| f["trigger_time"].as_i64().unwrap())
            .collect()
    };
    let (up, down) = (crosses(true), crosses(false));
    assert!(up.len() >= 10 && down.len() >= 10, "{up:?} {down:?}");
    assert!(
        !want_atr.is_empty() && want_atr.len() < atr.len() / 10,
        "{want_atr:?}"
    );
    assert_eq!(fired("ema up"), up);
    assert_eq!(fired("ema down"), down);
    assert_eq!(fired("atr"), want_atr);
}
