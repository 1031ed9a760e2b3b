//! One data dir, two processes: while `cryptoviz collect` holds the write lock, the dashboard
//! attaches read-only, says so, and follows what the collector writes.

mod support;

use std::time::Duration;

use cryptoviz::domain::now_ms;
use support::collector::{Collector, write_config};
use support::tmux::{Tmux, dashboard};
use support::ws_server::{WsServer, trade_frame};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_follows_a_running_collector_read_only() {
    if Tmux::require("dashboard_follows_a_running_collector_read_only").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ws = WsServer::start().await;
    let cfg = write_config(dir.path(), &ws.url(), "http://127.0.0.1:9", &["BTCUSDT"]);
    // The collector evaluates this rule; the attached dashboard only shows its firing.
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(
        "\n[[alerts]]\nname = \"above 42100\"\nsymbol = \"BTCUSDT\"\nwhen = \"price > 42100\"\n",
    );
    std::fs::write(&cfg, text).unwrap();
    let collector = Collector::start(&cfg, dir.path(), &[]);
    ws.wait_accepted(1).await;

    let t0 = now_ms() - 5_000;
    for id in 1..=5 {
        ws.push(trade_frame("BTCUSDT", id, "42000.5", "0.1", t0 + id));
    }
    tokio::time::sleep(Duration::from_millis(600)).await;

    let t = dashboard(dir.path(), &cfg, dir.path(), "", 140, 40);
    let screen = t.wait_for("the attached dashboard", Duration::from_secs(30), |s| {
        s.contains("read-only (collector)") && s.contains("42000.5")
    });
    assert!(screen.contains("BTCUSDT"), "{screen}");

    // A new trade reaches the collector; the dashboard picks it up from the store.
    ws.push(trade_frame("BTCUSDT", 6, "42123.75", "0.2", now_ms()));
    t.wait_for("the new price", Duration::from_secs(15), |s| {
        s.contains("42123.75")
    });
    // That trade crossed the rule's level: the collector fired it, the dashboard says so.
    t.wait_for("the collector's firing", Duration::from_secs(15), |s| {
        s.contains("🔔 above 42100: price > 42100 (42123.75)")
    });

    t.quit_dashboard(dir.path());

    // The collector was never disturbed and still owns the database.
    collector.signal("TERM");
    let (status, stderr) = collector.wait(Duration::from_secs(15));
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stderr.matches("cryptoviz: alert above 42100").count(),
        1,
        "fired once, by the collector: {stderr}"
    );
}
