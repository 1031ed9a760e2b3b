//! Polls every configured feed, concurrently, and turns what comes back into stored,
//! deduplicated, enriched news plus one [`FeedReport`] per feed.
//!
//! Each feed has its own backoff and circuit breaker, so a feed that fails (HTML instead of
//! XML, a timeout, a 503) is retried later and eventually left alone for a while, without
//! ever delaying the others. Validators are saved only after a feed's items are stored: a
//! crash between the two costs one re-download, never a lost item.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{mpsc, watch};

use super::feed::parse_feed;
use super::fetch::{FeedClient, FetchError, Fetched};
use super::settings::NewsConfig;
use crate::domain::{Millis, NewsItem, now_ms};
use crate::net::settings::NetConfig;
use crate::net::{Backoff, BreakerStatus, CircuitBreaker};
use crate::store::{FeedState, Store, StoreError};

/// Fills in what parsing cannot: sentiment scores and coin tickers. Injected so the pipeline
/// does not depend on how scoring is done (and tests can run without it).
pub trait Enricher: Send + Sync {
    fn enrich(&self, item: &mut NewsItem);
}

impl<F: Fn(&mut NewsItem) + Send + Sync> Enricher for F {
    fn enrich(&self, item: &mut NewsItem) {
        self(item)
    }
}

/// Leaves items as parsed: neutral scores, no coins.
pub struct NoEnrichment;

impl Enricher for NoEnrichment {
    fn enrich(&self, _item: &mut NewsItem) {}
}

/// How one feed fared in one poll.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FeedStatus {
    /// `items` parsed from the feed; `new` of them were not stored before.
    Ok { items: usize, new: usize },
    /// 304: unchanged since the last poll; nothing was parsed.
    NotModified,
    /// `error` is one line that names the feed URL.
    Failed { error: String },
    /// Not polled: the breaker is open (too many failures, or the server asked us to wait).
    Skipped { retry_in_secs: u64 },
}

#[derive(Clone, Debug, Serialize)]
pub struct FeedReport {
    pub url: String,
    pub status: FeedStatus,
    pub breaker: BreakerStatus,
    /// Failed polls of this feed since the poller started.
    pub errors: u64,
    pub fetched_at: Millis,
    /// Items past `[news] max_items_per_feed` in this poll, not taken.
    pub dropped: u64,
}

/// What one poll produced.
#[derive(Clone, Debug, Default)]
pub struct PollRound {
    /// One per polled feed, in configuration order.
    pub reports: Vec<FeedReport>,
    /// Every item fetched (new and already known), one per story, newest first.
    pub items: Vec<NewsItem>,
    /// The subset stored for the first time by this poll, newest first.
    pub new_items: Vec<NewsItem>,
}

/// What [`Poller::run`] tells its listener (the dashboard or the collector).
#[derive(Clone, Debug)]
pub enum NewsEvent {
    /// Newly stored items, newest first (never empty).
    Items(Vec<NewsItem>),
    Feed(FeedReport),
}

#[derive(Debug, thiserror::Error)]
enum FeedFailure {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Parse(#[from] super::feed::FeedError),
}

/// Per-feed retry state.
struct Slot {
    url: String,
    backoff: Backoff,
    breaker: CircuitBreaker,
    next_due: Instant,
    errors: u64,
}

/// One feed's fetch result before dedup and storage.
enum Outcome {
    Items(Vec<NewsItem>, FeedState),
    NotModified(FeedState),
    Failed(FeedFailure),
    Skipped(u64),
}

/// Seed the cross-feed link index from this many recent stored items.
const KNOWN_LINKS_SEED: usize = 2_000;
/// Past this many remembered links the index is rebuilt from the store.
const KNOWN_LINKS_MAX: usize = 50_000;

pub struct Poller {
    client: FeedClient,
    store: Store,
    enricher: Arc<dyn Enricher>,
    slots: Vec<Slot>,
    interval: Duration,
    /// Items taken from one feed per poll (the newest).
    max_items: usize,
    /// News published longer ago than this is deleted after each poll.
    retention: Duration,
    /// Canonical link -> (id, feed) of the story first seen with it, so the same story
    /// reached through a second feed (with its own guid) is recognised.
    known_links: Option<HashMap<String, (String, String)>>,
}

impl Poller {
    /// A poller for `feeds` (duplicates ignored) with `news`' timeouts and limits and `net`'s
    /// retry policy.
    pub fn new(
        news: &NewsConfig,
        net: &NetConfig,
        feeds: &[String],
        store: Store,
        enricher: Arc<dyn Enricher>,
    ) -> Result<Poller, FetchError> {
        let client = FeedClient::new(news)?;
        let now = Instant::now();
        let mut seen = HashSet::new();
        let slots = feeds
            .iter()
            .filter(|f| seen.insert(f.as_str()))
            .map(|url| Slot {
                url: url.clone(),
                backoff: Backoff::new(net.backoff.clone()),
                breaker: CircuitBreaker::new(net.breaker.clone()),
                next_due: now,
                errors: 0,
            })
            .collect();
        Ok(Poller {
            client,
            store,
            enricher,
            slots,
            interval: Duration::from_secs(news.interval_secs.max(1)),
            max_items: news.max_items_per_feed,
            retention: Duration::from_secs(u64::from(news.retention_days) * 86_400),
            known_links: None,
        })
    }

    /// Polls every feed now (feeds with an open breaker report `Skipped`).
    pub async fn poll_once(&mut self) -> PollRound {
        let all: Vec<usize> = (0..self.slots.len()).collect();
        self.poll(&all).await
    }

    /// Polls each feed every `news.interval_secs` (sooner after a failure, following the
    /// backoff) until `shutdown` turns true or the listener goes away.
    pub async fn run(
        mut self,
        mut shutdown: watch::Receiver<bool>,
        mut refresh: watch::Receiver<u64>,
        events: mpsc::Sender<NewsEvent>,
    ) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let now = Instant::now();
            let due: Vec<usize> = (0..self.slots.len())
                .filter(|&i| self.slots[i].next_due <= now)
                .collect();
            // On a shared store one process polls the feeds; the others ask again later.
            if !due.is_empty() && !self.store.lease("news").await {
                for &i in &due {
                    self.slots[i].next_due = now + crate::store::LEASE_RETRY;
                }
            } else if !due.is_empty() {
                let round = tokio::select! {
                    round = self.poll(&due) => round,
                    _ = shutdown.changed() => return,
                };
                if send_round(&events, round).await.is_err() {
                    return;
                }
            }
            let wake = self.slots.iter().map(|s| s.next_due).min();
            let wake = wake.unwrap_or_else(|| Instant::now() + self.interval);
            tokio::select! {
                _ = tokio::time::sleep_until(wake.into()) => {}
                changed = shutdown.changed() => if changed.is_err() { return },
                // Asked to poll now: every feed is due (a feed backing off too, once).
                Ok(()) = refresh.changed() => {
                    let now = Instant::now();
                    for s in &mut self.slots {
                        s.next_due = now;
                    }
                }
            }
        }
    }

    async fn poll(&mut self, which: &[usize]) -> PollRound {
        let fetched_at = now_ms();
        let urls: Vec<String> = which.iter().map(|&i| self.slots[i].url.clone()).collect();
        let prepared = match self.ensure_known_links().await {
            Ok(()) => self.load_states(&urls).await,
            Err(e) => Err(e),
        };
        let states = match prepared {
            Ok(s) => s,
            Err(e) => return self.store_failure(which, &e, fetched_at),
        };
        let now = Instant::now();
        let allowed: Vec<bool> = which
            .iter()
            .map(|&i| self.slots[i].breaker.allow(now))
            .collect();
        let client = &self.client;
        let fetches =
            urls.iter()
                .zip(&states)
                .zip(allowed)
                .map(|((url, st), allowed)| async move {
                    if allowed {
                        Some(fetch_and_parse(client, url, st, fetched_at).await)
                    } else {
                        None
                    }
                });
        let results = futures_util::future::join_all(fetches).await;
        let now = Instant::now();
        let outcomes: Vec<Outcome> = results
            .into_iter()
            .zip(which)
            .map(|(r, &i)| {
                r.unwrap_or_else(|| Outcome::Skipped(skip_secs(&self.slots[i].breaker, now)))
            })
            .collect();
        self.finish(which, outcomes, fetched_at, now).await
    }

    async fn load_states(&self, urls: &[String]) -> Result<Vec<FeedState>, StoreError> {
        let urls = urls.to_vec();
        self.store
            .call(move |b| urls.iter().map(|u| b.feed_state(u)).collect())
            .await
    }

    /// Updates each feed's retry state from its fetch, dedupes and enriches the items, and
    /// stores the new ones together with the feeds' validators.
    async fn finish(
        &mut self,
        which: &[usize],
        outcomes: Vec<Outcome>,
        fetched_at: Millis,
        now: Instant,
    ) -> PollRound {
        let mut round_ids = HashSet::new();
        let mut to_save = Vec::new();
        let mut reports = Vec::with_capacity(which.len());
        let mut fetched: Vec<Vec<NewsItem>> = Vec::with_capacity(which.len());
        for (outcome, &i) in outcomes.into_iter().zip(which) {
            let url = self.slots[i].url.clone();
            let mut kept = Vec::new();
            let mut dropped = 0;
            let (status, retry_after) = match outcome {
                Outcome::Items(mut items, st) => {
                    let status = FeedStatus::Ok {
                        items: items.len(),
                        new: 0,
                    };
                    if items.len() > self.max_items {
                        tracing::warn!(feed = %url, items = items.len(), kept = self.max_items, "feed sent more items than [news] max_items_per_feed; keeping the newest");
                        items.sort_by_key(|it| std::cmp::Reverse(it.published_at));
                        dropped = (items.len() - self.max_items) as u64;
                        items.truncate(self.max_items);
                    }
                    for mut item in items {
                        self.adopt_known_id(&mut item);
                        if round_ids.insert(item.id.clone()) {
                            self.enricher.enrich(&mut item);
                            kept.push(item);
                        }
                    }
                    to_save.push((url, st));
                    (status, None)
                }
                Outcome::NotModified(st) => {
                    to_save.push((url, st));
                    (FeedStatus::NotModified, None)
                }
                Outcome::Failed(e) => {
                    let retry_after = match &e {
                        FeedFailure::Fetch(f) => f.retry_after(),
                        FeedFailure::Parse(_) => None,
                    };
                    let error = e.to_string();
                    (FeedStatus::Failed { error }, retry_after)
                }
                Outcome::Skipped(retry_in_secs) => (FeedStatus::Skipped { retry_in_secs }, None),
            };
            let mut report = self.settle(i, status, retry_after, fetched_at, now);
            report.dropped = dropped;
            reports.push(report);
            fetched.push(kept);
        }
        let all: Vec<NewsItem> = fetched.iter().flatten().cloned().collect();
        let before = fetched_at - self.retention.as_millis() as Millis;
        let new_ids = match store_items(&self.store, all.clone(), to_save, before).await {
            Ok(ids) => ids,
            Err(e) => {
                let error = format!("cannot store news: {e}");
                tracing::error!(%error, "news poll");
                for r in &mut reports {
                    if matches!(r.status, FeedStatus::Ok { .. } | FeedStatus::NotModified) {
                        r.status = FeedStatus::Failed {
                            error: format!("feed {}: {error}", r.url),
                        };
                    }
                }
                return PollRound {
                    reports,
                    ..PollRound::default()
                };
            }
        };
        for (r, kept) in reports.iter_mut().zip(&fetched) {
            if let FeedStatus::Ok { new, .. } = &mut r.status {
                *new = kept.iter().filter(|it| new_ids.contains(&it.id)).count();
            }
        }
        let mut items = all;
        items.sort_by(|a, b| b.published_at.cmp(&a.published_at).then(a.id.cmp(&b.id)));
        let new_items = items
            .iter()
            .filter(|it| new_ids.contains(&it.id))
            .cloned()
            .collect();
        PollRound {
            reports,
            items,
            new_items,
        }
    }

    /// Records the fetch's effect on the feed's backoff, breaker and schedule, logs it, and
    /// builds its report.
    fn settle(
        &mut self,
        i: usize,
        status: FeedStatus,
        retry_after: Option<Duration>,
        fetched_at: Millis,
        now: Instant,
    ) -> FeedReport {
        let interval = self.interval;
        let slot = &mut self.slots[i];
        match &status {
            FeedStatus::Ok { items, .. } => {
                tracing::debug!(feed = %slot.url, items, "news feed fetched");
                slot.backoff.reset();
                slot.breaker.on_success();
                slot.next_due = now + interval;
            }
            FeedStatus::NotModified => {
                tracing::debug!(feed = %slot.url, "news feed not modified");
                slot.backoff.reset();
                slot.breaker.on_success();
                slot.next_due = now + interval;
            }
            FeedStatus::Failed { error } => {
                slot.errors += 1;
                slot.breaker.on_failure(now);
                let mut delay = slot.backoff.next_delay().min(interval);
                if let Some(wait) = retry_after {
                    slot.breaker.hold_open_until(now + wait);
                    delay = delay.max(wait);
                }
                slot.next_due = now + delay;
                tracing::warn!(feed = %slot.url, errors = slot.errors, %error, "news feed failed");
            }
            FeedStatus::Skipped { retry_in_secs } => {
                slot.next_due = now + Duration::from_secs((*retry_in_secs).max(1));
                tracing::debug!(feed = %slot.url, retry_in_secs, "news feed skipped: breaker open");
            }
        }
        FeedReport {
            url: slot.url.clone(),
            status,
            breaker: slot.breaker.status(now),
            errors: slot.errors,
            fetched_at,
            dropped: 0,
        }
    }

    /// The store could not be read before fetching: nothing was fetched, and no feed is
    /// blamed for it.
    fn store_failure(&self, which: &[usize], e: &StoreError, fetched_at: Millis) -> PollRound {
        let error = format!("cannot read the store: {e}");
        tracing::error!(%error, "news poll");
        let now = Instant::now();
        let reports = which
            .iter()
            .map(|&i| FeedReport {
                url: self.slots[i].url.clone(),
                status: FeedStatus::Failed {
                    error: format!("feed {}: {error}", self.slots[i].url),
                },
                breaker: self.slots[i].breaker.status(now),
                errors: self.slots[i].errors,
                fetched_at,
                dropped: 0,
            })
            .collect();
        PollRound {
            reports,
            ..PollRound::default()
        }
    }

    /// Loads (or, once it has grown large, reloads) the link index from the store.
    async fn ensure_known_links(&mut self) -> Result<(), StoreError> {
        if self
            .known_links
            .as_ref()
            .is_some_and(|m| m.len() <= KNOWN_LINKS_MAX)
        {
            return Ok(());
        }
        let recent = self.store.recent_news(KNOWN_LINKS_SEED, None).await?;
        let mut map = HashMap::with_capacity(recent.len());
        for it in recent.into_iter().filter(|it| !it.link.is_empty()) {
            map.entry(it.link).or_insert((it.id, it.feed));
        }
        self.known_links = Some(map);
        Ok(())
    }

    /// A story whose link is already known from another feed takes that story's id, so it
    /// is stored once. Within one feed, a shared link (some feeds link every item to their
    /// home page) does not merge distinct items.
    fn adopt_known_id(&mut self, item: &mut NewsItem) {
        if item.link.is_empty() {
            return;
        }
        let known = self.known_links.get_or_insert_with(HashMap::new);
        let (id, feed) = known
            .entry(item.link.clone())
            .or_insert_with(|| (item.id.clone(), item.feed.clone()));
        if *feed != item.feed {
            item.id = id.clone();
        }
    }
}

/// Fetches and parses one feed; every problem becomes that feed's `Failed` outcome.
async fn fetch_and_parse(
    client: &FeedClient,
    url: &str,
    state: &FeedState,
    fetched_at: Millis,
) -> Outcome {
    match client.fetch(url, state).await {
        Ok(Fetched::NotModified { validators }) => Outcome::NotModified(validators),
        Ok(Fetched::Body { bytes, validators }) => match parse_feed(url, &bytes, fetched_at) {
            Ok(items) => Outcome::Items(items, validators),
            Err(e) => Outcome::Failed(e.into()),
        },
        Err(e) => Outcome::Failed(e.into()),
    }
}

/// The most news items kept in the store, whatever their dates: the bound on a feed that
/// invents new items on every poll.
pub const MAX_STORED_NEWS: usize = 20_000;

/// Inserts the items the store does not have yet, saves the feeds' validators and prunes news
/// older than `before` (and past [`MAX_STORED_NEWS`]); returns the ids that were new.
async fn store_items(
    store: &Store,
    items: Vec<NewsItem>,
    validators: Vec<(String, FeedState)>,
    before: Millis,
) -> Result<HashSet<String>, StoreError> {
    store
        .call(move |b| {
            let ids: Vec<String> = items.iter().map(|it| it.id.clone()).collect();
            let existing: HashSet<String> = b.news_ids(&ids)?.into_iter().collect();
            let new: Vec<NewsItem> = items
                .into_iter()
                .filter(|it| !existing.contains(&it.id))
                .collect();
            b.insert_news(&new)?;
            for (url, st) in &validators {
                b.save_feed_state(url, st)?;
            }
            let pruned = b.prune_news(before, MAX_STORED_NEWS)?;
            if pruned > 0 {
                tracing::info!(
                    pruned,
                    "news past [news] retention_days or the store's cap deleted"
                );
            }
            Ok(new.into_iter().map(|it| it.id).collect())
        })
        .await
}

fn skip_secs(breaker: &CircuitBreaker, now: Instant) -> u64 {
    breaker.status(now).retry_in_secs.unwrap_or(0)
}

async fn send_round(events: &mpsc::Sender<NewsEvent>, round: PollRound) -> Result<(), ()> {
    for r in round.reports {
        events.send(NewsEvent::Feed(r)).await.map_err(|_| ())?;
    }
    if !round.new_items.is_empty() {
        events
            .send(NewsEvent::Items(round.new_items))
            .await
            .map_err(|_| ())?;
    }
    Ok(())
}
