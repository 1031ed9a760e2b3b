//! A dashboard on another machine follows collectors through the database: attached to
//! PostgreSQL with a role that may only SELECT (and LISTEN, which needs no grant), it says
//! `attached (postgres host:port/db)` and shows what the collector commits, pushed by
//! notifications.

mod support;

use std::time::Duration;

use cryptoviz::domain::now_ms;
use support::collector::{Collector, write_config};
use support::postgres::TestDb;
use support::tmux::{Tmux, dashboard};
use support::ws_server::{WsServer, trade_frame};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_dashboard_follows_the_collector_through_postgres() {
    if Tmux::require("a_read_only_dashboard_follows_the_collector_through_postgres").is_none() {
        return;
    }
    let Some(db) = TestDb::create("attach") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ws = WsServer::start().await;
    let cfg = write_config(dir.path(), &ws.url(), "http://127.0.0.1:9", &["BTCUSDT"]);
    let collector_dir = dir.path().join("collector");
    std::fs::create_dir_all(&collector_dir).unwrap();
    let collector = Collector::start(&cfg, &collector_dir, &["--store", &db.url]);
    ws.wait_accepted(1).await;
    let t0 = now_ms() - 5_000;
    for id in 1..=5 {
        ws.push(trade_frame("BTCUSDT", id, "42000.5", "0.1", t0 + id));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;

    // A viewer's role: it may read, nothing else.
    let role = format!("{}_viewer", db.name);
    db.admin(&format!(
        "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN"
    ));
    let grant = format!(
        "GRANT USAGE ON SCHEMA public TO {role}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"
    );
    support::postgres::run(&db.url, &grant);
    let (server, _) = db.url.rsplit_once('/').unwrap();
    let host = server.rsplit_once('@').unwrap().1;
    let viewer = format!("postgres://{role}@{host}/{}", db.name);

    let view_dir = dir.path().join("viewer");
    std::fs::create_dir_all(&view_dir).unwrap();
    let t = dashboard(
        dir.path(),
        &cfg,
        &view_dir,
        &format!("--store '{viewer}'"),
        160,
        40,
    );
    let shown = format!("attached (postgres {host}/{})", db.name);
    let screen = t.wait_for("the attached dashboard", Duration::from_secs(30), |s| {
        s.contains(&shown) && s.contains("42000.5")
    });
    assert!(screen.contains("BTCUSDT"), "{screen}");

    // A new trade reaches the collector; the notification brings it to the dashboard.
    ws.push(trade_frame("BTCUSDT", 6, "42123.75", "0.2", now_ms()));
    let screen = t.wait_for("the new price", Duration::from_secs(10), |s| {
        s.contains("42123.75")
    });
    assert!(screen.contains("● LIVE "), "{screen}");

    // The collector goes: the dashboard cannot see its streams, only that writes stopped.
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(15));
    assert!(status.success(), "{stderr}");
    let screen = t.wait_for("the collector's silence", Duration::from_secs(30), |s| {
        s.contains("◌ STALE") && s.contains("· attached")
    });
    assert!(!screen.contains("LIVE"), "{screen}");

    t.quit_dashboard(&view_dir);
    let admin = db.admin_url();
    drop(db);
    support::postgres::run(&admin, &format!("DROP ROLE IF EXISTS {role}"));
}
