//! Delivery against hostile peers: a webhook that redirects elsewhere, a command that starts
//! processes of its own and hangs. The real delivery task over a real store, local servers.

mod support;

use std::sync::Arc;
use std::time::Duration;

use cryptoviz::alerts::deliver::{AlertStats, deliver};
use cryptoviz::alerts::{ArmState, Channel, Firing};
use cryptoviz::config::NotifyConfig;
use cryptoviz::net::{BackoffPolicy, BreakerPolicy};
use cryptoviz::store::{Store, StoreOptions};
use support::faults::eventually;
use support::http::{HttpServer, Response};

/// A store holding one firing owed to `channels`, and the delivery task running on it.
struct Delivery {
    store: Store,
    stats: Arc<AlertStats>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

fn firing(n: i64) -> Firing {
    Firing::new(
        "hostile",
        "binance:BTCUSDT".into(),
        "price > 1",
        "2".into(),
        1_700_000_000_000 + n,
        1_700_000_000_100 + n,
    )
}

impl Delivery {
    async fn start(notify: NotifyConfig, channels: &'static [Channel]) -> Delivery {
        Delivery::start_with(notify, channels, 1, None).await
    }

    /// `firings` owed to `channels`, delivered with `bell` as the bell's receiver.
    async fn start_with(
        notify: NotifyConfig,
        channels: &'static [Channel],
        firings: i64,
        bell: Option<tokio::sync::mpsc::Sender<Firing>>,
    ) -> Delivery {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("cryptoviz.db"), StoreOptions::default()).unwrap();
        let state = ArmState {
            armed: false,
            false_since: None,
        };
        for n in 0..firings {
            let f = firing(n);
            let fresh = store
                .call(move |b| b.record_firing(&f, channels, state))
                .await
                .unwrap();
            assert!(fresh);
        }
        let stats = Arc::new(AlertStats::default());
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(deliver(
            notify,
            (BackoffPolicy::default(), BreakerPolicy::default()),
            store.clone(),
            Arc::new(tokio::sync::Notify::new()),
            bell,
            stats.clone(),
            stop_rx,
        ));
        Delivery {
            store,
            stats,
            stop,
            task,
            _dir: dir,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        self.store.close().await.unwrap();
    }
}

/// A webhook answering `307 Location: <another host>` does not get the firing re-POSTed
/// there (with its body and idempotency key): a redirect is a failed delivery, retried later
/// at the configured URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_redirect_to_another_host_is_not_followed() {
    let elsewhere = HttpServer::start(|_| Response::ok(""));
    // Another origin: the same address, another port.
    let target = format!("{}/steal", elsewhere.url());
    let hook = HttpServer::start(move |_| Response::new(307, "").header("Location", &target));
    let notify = NotifyConfig {
        webhook_url: format!("{}/hook", hook.url()),
        command: Vec::new(),
        timeout_secs: 2,
    };
    let d = Delivery::start(notify, &[Channel::Webhook]).await;
    assert!(
        eventually(Duration::from_secs(5), || d.stats.failed(Channel::Webhook)
            >= 1)
        .await,
        "the redirect counts as a failure"
    );
    assert_eq!(d.stats.delivered(Channel::Webhook), 0);
    assert!(!hook.requests().is_empty());
    assert!(
        elsewhere.requests().is_empty(),
        "the firing went to the redirect's host: {:?}",
        elsewhere
            .requests()
            .iter()
            .map(|r| r.path())
            .collect::<Vec<_>>()
    );
    let owed = d
        .store
        .call(|b| b.pending_deliveries(None, 10))
        .await
        .unwrap();
    assert_eq!(owed.len(), 1, "still owed to the configured webhook");
    d.stop().await;
}

/// The processes a timed-out command started are ended with it: it runs in a process group
/// of its own and the whole group is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_command_leaves_no_grandchildren() {
    // A duration no other test uses, to find its processes by.
    let marker = "sleep 347";
    let notify = NotifyConfig {
        webhook_url: String::new(),
        command: vec![
            "sh".into(),
            "-c".into(),
            format!("{marker} & {marker} & {marker}"),
        ],
        timeout_secs: 1,
    };
    let d = Delivery::start(notify, &[Channel::Command]).await;
    let running = || {
        let out = std::process::Command::new("pgrep")
            .args(["-f", marker])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).lines().count()
    };
    assert!(
        eventually(Duration::from_secs(5), || running() >= 2).await,
        "the command starts its sleeps"
    );
    assert!(
        eventually(Duration::from_secs(5), || d.stats.failed(Channel::Command)
            >= 1)
        .await,
        "the command times out"
    );
    assert!(
        eventually(Duration::from_secs(3), || running() == 0).await,
        "{} of its processes outlived the timeout",
        running()
    );
    d.stop().await;
}

/// A webhook that never answers delays only the webhook: every bell of a backlog is rung at
/// once, not one per webhook timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_webhook_never_holds_up_the_bell() {
    let hook = HttpServer::start(|_| Response::ok("").fault(support::http::Fault::Hang));
    let notify = NotifyConfig {
        webhook_url: format!("{}/hook", hook.url()),
        command: Vec::new(),
        timeout_secs: 20,
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let started = std::time::Instant::now();
    let d = Delivery::start_with(notify, &[Channel::Webhook, Channel::Bell], 10, Some(tx)).await;
    let mut rung = Vec::new();
    while rung.len() < 10 {
        let f = tokio::time::timeout(Duration::from_secs(3), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("{} bells after 3 s", rung.len()))
            .unwrap();
        rung.push(f.id);
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the bells waited for the webhook"
    );
    // Counted once its outcome is recorded, just after the ring.
    assert!(
        eventually(Duration::from_secs(2), || d.stats.delivered(Channel::Bell)
            == 10)
        .await
    );
    assert_eq!(d.stats.delivered(Channel::Webhook), 0, "still hanging");
    d.stop().await;
}
