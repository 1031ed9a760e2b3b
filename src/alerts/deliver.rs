//! The I/O around the pure engine: building it from the config and the store, recording its
//! decisions (a firing is in the store before anything is sent), and delivering recorded
//! firings to their channels, at least once, until each says it is done.
//!
//! Delivery never holds anything else up: it runs on its own task, each channel call has a
//! timeout, a failing webhook backs off (and its breaker opens) while the other channels go
//! on, and a firing recorded before a crash is delivered after the restart.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::sync::{Notify, mpsc, watch};

use super::{AlertSetup, NotifyConfig};
use super::{Channel, Decision, Engine, Firing};
use crate::domain::{Millis, SeriesKey};
use crate::net::{Backoff, BackoffPolicy, BreakerPolicy, CircuitBreaker};
use crate::store::{PendingDelivery, Store, StoreError};

/// Closed candles read back per series so indicator rules start warm.
const WARM_CANDLES: usize = 1_000;
/// Pending deliveries taken per round.
const BATCH: usize = 100;
/// The longest wait between two attempts of one delivery.
const MAX_RETRY: Duration = Duration::from_secs(300);

/// Every rule to evaluate: the config's, then the enabled ones made from the dashboard
/// ([`listed`] says which are left out and why).
pub async fn rules(
    configured: &[super::Rule],
    store: &Store,
) -> Result<Vec<super::Rule>, StoreError> {
    let listed = listed(configured, store).await?;
    Ok(listed
        .into_iter()
        .filter(|l| l.enabled)
        .map(|l| l.rule)
        .collect())
}

/// A rule as `alerts list` shows it: where it was made and whether it runs.
pub struct ListedRule {
    pub rule: super::Rule,
    /// `config` (an `[[alerts]]` table) or `dashboard` (made with `!`, kept in the store).
    pub origin: &'static str,
    pub enabled: bool,
}

/// Every rule wherever it was made: the config's, then the dashboard's (disabled ones too,
/// and marked so). A stored rule that no longer parses, or whose name a config rule took, is
/// left out with a warning in the log.
pub async fn listed(
    configured: &[super::Rule],
    store: &Store,
) -> Result<Vec<ListedRule>, StoreError> {
    let mut out: Vec<ListedRule> = configured
        .iter()
        .cloned()
        .map(|rule| ListedRule {
            rule,
            origin: "config",
            enabled: true,
        })
        .collect();
    for stored in store.call(|b| b.stored_rules()).await? {
        match super::Rule::from_stored(&stored) {
            Ok(rule) if out.iter().all(|l| l.rule.name != rule.name) => out.push(ListedRule {
                rule,
                origin: "dashboard",
                enabled: stored.enabled,
            }),
            Ok(rule) => tracing::warn!(
                name = %rule.name,
                "a dashboard rule has a config rule's name; the config's wins"
            ),
            Err(e) => tracing::warn!(name = %stored.name, error = %e, "stored alert rule skipped"),
        }
    }
    Ok(out)
}

/// The engine for every rule ([`rules`]), their states restored from the store and their
/// series' indicators warmed from stored candles. It runs even without rules, so rules made
/// from the dashboard can join.
pub async fn engine(setup: &AlertSetup, store: &Store, now: Millis) -> Result<Engine, StoreError> {
    let rules = rules(&setup.rules, store).await?;
    let mut engine = Engine::new(
        rules,
        setup.indicators,
        setup.composites.clone(),
        setup.series.clone(),
        now,
    )
    .with_spot_basis(setup.basis.iter().copied());
    for (name, state) in store.call(|b| b.alert_states()).await? {
        engine.restore(&name, state);
    }
    for key in engine.candle_series() {
        let candles = warm_candles(store, key, now).await?;
        engine.warm(key, &candles);
    }
    Ok(engine)
}

async fn warm_candles(
    store: &Store,
    key: SeriesKey,
    now: Millis,
) -> Result<Vec<crate::domain::Candle>, StoreError> {
    let from = now - key.timeframe.millis() * WARM_CANDLES as Millis;
    let mut c = store.candles(key, from, now).await?;
    c.retain(|c| c.closed);
    Ok(c)
}

/// Counters for `/metrics` and the health panel.
#[derive(Debug, Default)]
pub struct AlertStats {
    pub firings: AtomicU64,
    /// Per channel (bell, desktop, webhook, command): delivered, failed attempts.
    pub delivered: [AtomicU64; 4],
    pub failed: [AtomicU64; 4],
    pub last_error: std::sync::Mutex<Option<String>>,
}

impl AlertStats {
    fn slot(c: Channel) -> usize {
        match c {
            Channel::Bell => 0,
            Channel::Desktop => 1,
            Channel::Webhook => 2,
            Channel::Command => 3,
        }
    }

    pub fn delivered(&self, c: Channel) -> u64 {
        self.delivered[Self::slot(c)].load(Ordering::Relaxed)
    }

    pub fn failed(&self, c: Channel) -> u64 {
        self.failed[Self::slot(c)].load(Ordering::Relaxed)
    }
}

/// Records the engine's decisions; each rule's channels come with the rule.
#[derive(Clone)]
pub struct Recorder {
    store: Store,
    channels: Arc<std::sync::Mutex<HashMap<String, Vec<Channel>>>>,
    wake: Arc<Notify>,
    stats: Arc<AlertStats>,
}

impl Recorder {
    pub fn new(rules: &[super::Rule], store: Store, stats: Arc<AlertStats>) -> Recorder {
        let channels = rules
            .iter()
            .map(|r| (r.name.clone(), r.notify.clone()))
            .collect();
        Recorder {
            store,
            channels: Arc::new(std::sync::Mutex::new(channels)),
            wake: Arc::new(Notify::new()),
            stats,
        }
    }

    /// A rule joined (or changed its channels) while running.
    pub fn set_channels(&self, name: &str, channels: Vec<Channel>) {
        if let Ok(mut c) = self.channels.lock() {
            c.insert(name.to_string(), channels);
        }
    }

    /// Wakes the deliverer when something new is owed.
    pub fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Stores every decision; returns the firings that were new (a firing already recorded,
    /// by an earlier run or another collector, is neither new nor owed again).
    pub async fn record(&self, decisions: Vec<Decision>) -> Result<Vec<Firing>, StoreError> {
        let mut new = Vec::new();
        for d in decisions {
            match d {
                Decision::Fired(f, state) => {
                    let channels = self
                        .channels
                        .lock()
                        .ok()
                        .and_then(|c| c.get(&f.alert).cloned())
                        .unwrap_or_default();
                    let firing = f.clone();
                    let fresh = self
                        .store
                        .call(move |b| b.record_firing(&firing, &channels, state))
                        .await?;
                    if fresh {
                        self.stats.firings.fetch_add(1, Ordering::Relaxed);
                        tracing::info!(alert = %f.alert, symbol = %f.symbol, value = %f.value, id = %f.id, "alert fired");
                        new.push(f);
                    }
                }
                Decision::State(name, state) => {
                    self.store
                        .call(move |b| b.save_alert_state(&name, state))
                        .await?;
                }
            }
        }
        if !new.is_empty() {
            self.wake.notify_one();
        }
        Ok(new)
    }
}

/// Delivers owed firings until shutdown. `bell` receives the firings owed to the bell (the
/// dashboard rings and shows them; `collect` prints a line); without it the bell is a log
/// line. Every firing owed at start (recorded before a crash) is delivered first.
///
/// Each channel delivers on its own, concurrently with the others: a webhook that hangs for
/// its whole timeout delays only the webhook, never a bell or a desktop notice, and a backlog
/// drains at each channel's own speed.
pub async fn deliver(
    notify: NotifyConfig,
    net: (BackoffPolicy, BreakerPolicy),
    store: Store,
    wake: Arc<Notify>,
    bell: Option<mpsc::Sender<Firing>>,
    stats: Arc<AlertStats>,
    shutdown: watch::Receiver<bool>,
) {
    crate::net::install_crypto_provider();
    let channels = [
        Channel::Bell,
        Channel::Desktop,
        Channel::Webhook,
        Channel::Command,
    ];
    // One wake for the recorder, passed on to every channel (each keeps its own permit, so a
    // channel busy delivering still sees it when it next waits).
    let wakes: Vec<Arc<Notify>> = channels.iter().map(|_| Arc::new(Notify::new())).collect();
    let fan_out = {
        let wakes = wakes.clone();
        tokio::spawn(async move {
            loop {
                wake.notified().await;
                wakes.iter().for_each(|w| w.notify_one());
            }
        })
    };
    let mut tasks = tokio::task::JoinSet::new();
    for (channel, wake) in channels.into_iter().zip(wakes) {
        let http = (channel == Channel::Webhook)
            .then(|| webhook_client(&notify))
            .flatten();
        let d = Deliverer::new(
            notify.clone(),
            net.clone(),
            bell.clone(),
            stats.clone(),
            http,
        );
        tasks.spawn(deliver_on(
            channel,
            d,
            store.clone(),
            wake,
            shutdown.clone(),
        ));
    }
    while tasks.join_next().await.is_some() {}
    fan_out.abort();
}

/// One channel's deliveries, oldest firing first, until shutdown.
async fn deliver_on(
    channel: Channel,
    mut d: Deliverer,
    store: Store,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        // On a shared store one process delivers; the others ask again later.
        let pending = if store.lease("alert delivery").await {
            store
                .call(move |b| b.pending_deliveries(Some(channel), BATCH))
                .await
        } else {
            Ok(Vec::new())
        };
        let mut next = Duration::from_secs(5);
        match pending {
            Ok(list) => {
                for p in list {
                    if *shutdown.borrow() {
                        return;
                    }
                    if let Some(wait) = d.not_yet(&p) {
                        next = next.min(wait);
                        continue;
                    }
                    let outcome = tokio::select! {
                        o = d.send(&p) => o,
                        _ = crate::net::shutdown_requested(&mut shutdown) => return,
                    };
                    let err = outcome.as_ref().err().cloned();
                    let (id, channel) = (p.firing.id.clone(), p.channel);
                    let saved = store
                        .call(move |b| b.delivery_result(&id, channel, err.as_deref()))
                        .await;
                    if let Err(e) = saved {
                        tracing::warn!(error = %e, "delivery outcome not recorded");
                    }
                    d.settle(&p, outcome);
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read owed alert deliveries"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(next) => {}
            _ = crate::net::shutdown_requested(&mut shutdown) => return,
        }
    }
}

struct Deliverer {
    notify: NotifyConfig,
    http: Option<reqwest::Client>,
    bell: Option<mpsc::Sender<Firing>>,
    stats: Arc<AlertStats>,
    webhook: CircuitBreaker,
    backoff: BackoffPolicy,
    /// Earliest next attempt per (firing, channel) after a failure.
    retry_at: HashMap<(String, Channel), Instant>,
    desktop_missing_warned: bool,
}

/// The webhook's HTTP client. Redirects are not followed: a 3xx would re-POST the firing,
/// its body and its idempotency key to wherever the answer points. It is a failed delivery
/// instead, retried at the configured URL.
fn webhook_client(notify: &NotifyConfig) -> Option<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(crate::net::USER_AGENT)
        .timeout(Duration::from_secs(notify.timeout_secs.max(1)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .ok()
}

impl Deliverer {
    /// One channel's deliverer; `http` is the webhook's client (only the webhook channel
    /// needs one: a client holds its TLS roots, so it is not built per channel).
    fn new(
        notify: NotifyConfig,
        (backoff, breaker): (BackoffPolicy, BreakerPolicy),
        bell: Option<mpsc::Sender<Firing>>,
        stats: Arc<AlertStats>,
        http: Option<reqwest::Client>,
    ) -> Self {
        Deliverer {
            notify,
            http,
            bell,
            stats,
            webhook: CircuitBreaker::new(breaker),
            backoff,
            retry_at: HashMap::new(),
            desktop_missing_warned: false,
        }
    }

    fn not_yet(&self, p: &PendingDelivery) -> Option<Duration> {
        let at = self.retry_at.get(&(p.firing.id.clone(), p.channel))?;
        let now = Instant::now();
        (*at > now).then(|| *at - now)
    }

    fn settle(&mut self, p: &PendingDelivery, outcome: Result<(), String>) {
        let key = (p.firing.id.clone(), p.channel);
        let slot = AlertStats::slot(p.channel);
        match outcome {
            Ok(()) => {
                self.retry_at.remove(&key);
                self.stats.delivered[slot].fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                self.stats.failed[slot].fetch_add(1, Ordering::Relaxed);
                if let Ok(mut last) = self.stats.last_error.lock() {
                    *last = Some(format!("{}: {e}", p.channel.as_str()));
                }
                let mut b = Backoff::new(self.backoff.clone());
                let mut wait = Duration::ZERO;
                for _ in 0..=p.attempts.min(20) {
                    wait = b.next_delay();
                }
                let wait = wait.min(MAX_RETRY);
                tracing::warn!(alert = %p.firing.alert, channel = p.channel.as_str(), error = %e, ?wait, "alert delivery failed; retrying");
                self.retry_at.insert(key, Instant::now() + wait);
            }
        }
    }

    async fn send(&mut self, p: &PendingDelivery) -> Result<(), String> {
        match p.channel {
            Channel::Bell => {
                match &self.bell {
                    Some(tx) => {
                        let _ = tx.send(p.firing.clone()).await;
                    }
                    None => {
                        tracing::warn!(alert = %p.firing.alert, "alert (bell): {}", line(&p.firing))
                    }
                }
                Ok(())
            }
            Channel::Desktop => self.desktop(&p.firing).await,
            Channel::Webhook => self.webhook(&p.firing).await,
            Channel::Command => self.command(&p.firing).await,
        }
    }

    async fn webhook(&mut self, f: &Firing) -> Result<(), String> {
        let url = self.notify.webhook_url.clone();
        if url.is_empty() {
            return Err("no [notify] webhook_url".into());
        }
        let now = Instant::now();
        if !self.webhook.allow(now) {
            return Err(format!("circuit breaker open for {}", host(&url)));
        }
        let Some(http) = &self.http else {
            return Err("no HTTP client".into());
        };
        let sent = http
            .post(&url)
            .header("Idempotency-Key", &f.id)
            .header("Content-Type", "application/json")
            .body(serde_json::to_vec(f).unwrap_or_default())
            .send()
            .await;
        let result = match sent {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) if r.status().is_redirection() => Err(format!(
                "{} answered HTTP {}: redirects are not followed (set [notify] webhook_url to where it points)",
                host(&url),
                r.status().as_u16()
            )),
            Ok(r) => Err(format!(
                "{} answered HTTP {}",
                host(&url),
                r.status().as_u16()
            )),
            // Without the URL: it may carry credentials.
            Err(e) => Err(format!(
                "{}: {}",
                host(&url),
                crate::net::error_chain(&e.without_url())
            )),
        };
        match &result {
            Ok(()) => self.webhook.on_success(),
            Err(_) => self.webhook.on_failure(Instant::now()),
        }
        result
    }

    async fn command(&mut self, f: &Firing) -> Result<(), String> {
        let Some((prog, args)) = self.notify.command.split_first() else {
            return Err("no [notify] command".into());
        };
        let mut command = tokio::process::Command::new(prog);
        command
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        // A group of its own, so a timeout ends what it started too (`sh -c 'a & b'`).
        #[cfg(unix)]
        command.process_group(0);
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot run {prog:?}: {e}"))?;
        let json = serde_json::to_vec(f).unwrap_or_default();
        let limit = Duration::from_secs(self.notify.timeout_secs.max(1));
        let run = async {
            if let Some(mut stdin) = child.stdin.take() {
                // A command that does not read its stdin still runs.
                let _ = stdin.write_all(&json).await;
                let _ = stdin.write_all(b"\n").await;
            }
            child.wait().await
        };
        match tokio::time::timeout(limit, run).await {
            Ok(Ok(status)) if status.success() => Ok(()),
            Ok(Ok(status)) => Err(format!("{prog:?} exited with {status}")),
            Ok(Err(e)) => Err(format!("{prog:?}: {e}")),
            Err(_) => {
                kill_group(&mut child).await;
                Err(format!("{prog:?} killed after {} s", limit.as_secs()))
            }
        }
    }

    /// `notify-send` where there is one; without a notification service the firing is
    /// logged instead (a warning, once), which counts as delivered.
    async fn desktop(&mut self, f: &Firing) -> Result<(), String> {
        let title = format!(
            "cryptoviz: {}",
            crate::news::clean::strip_controls(&f.alert)
        );
        let body = line(f);
        let run = tokio::process::Command::new("notify-send")
            .args(["--app-name=cryptoviz", &title, &body])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        match tokio::time::timeout(Duration::from_secs(5), run).await {
            Ok(Ok(s)) if s.success() => Ok(()),
            _ => {
                if !self.desktop_missing_warned {
                    self.desktop_missing_warned = true;
                    tracing::warn!(
                        "no desktop notification service (notify-send); desktop alerts are logged instead"
                    );
                }
                tracing::warn!(alert = %f.alert, "alert (desktop): {body}");
                Ok(())
            }
        }
    }
}

/// Ends a command and every process in its group (it was started as the group's leader).
async fn kill_group(child: &mut tokio::process::Child) {
    #[cfg(unix)]
    if let Some(pid) = child.id().and_then(|p| libc::pid_t::try_from(p).ok()) {
        // SAFETY: killpg only sends a signal, to the group this child leads (process_group(0)
        // made its id the group's); no memory is touched.
        unsafe {
            libc::killpg(pid, libc::SIGKILL);
        }
    }
    let _ = child.kill().await;
}

/// `BTC above 100k: price > 100000 (100012.5) on binance:BTCUSDT at 2026-11-22T14:00:00Z`.
pub fn line(f: &Firing) -> String {
    format!(
        "{}: {} ({}) on {} at {}",
        f.alert,
        f.condition,
        f.value,
        f.symbol,
        crate::domain::rfc3339(f.trigger_time)
    )
}

fn host(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_else(|| "the webhook".into())
}
