//! The REST history client of one venue: one page of candles (or trades) at a time, with the
//! discipline venues expect from a polite client. What differs per venue (paths, page sizes,
//! row formats, error codes inside a 200) comes from its [`RestApi`]; the discipline is here.
//!
//! - Weight: a [`WeightBudget`] per client, at our share of the venue's per-minute budget;
//!   where the venue reports the weight used (Binance's `X-MBX-USED-WEIGHT-1M`) it is believed.
//! - Rate limits (429, Bybit's 403, Kraken's `EGeneral:Too many requests`, OKX's 50011):
//!   nothing is sent before `Retry-After` (or the venue's known wait) expires, and the wait
//!   grows with the backoff.
//! - 418 (an IP ban): nothing is sent until the ban ends; the ban is logged and reported as
//!   "banned by <host> until <time>". Waits longer than `max_wait` fail the request instead of
//!   stalling the caller; the hold stays in force for the next call.
//! - 5xx, timeouts, truncated or garbled bodies: retried with the shared [`Backoff`]; the
//!   [`CircuitBreaker`] opens after repeated failures, which ends the retrying.
//! - Other 4xx and the venue's own refusals (bad symbol, firewall, region): a non-retryable
//!   error naming the URL.
//! - Ranges older than the venue's candles reach (Kraken keeps 720) are rebuilt from its REST
//!   trades by the same aggregator the live stream uses.
//!
//! Requests go out one at a time per client: the state sits behind a mutex that is never held
//! across an await.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::limiter::WeightBudget;
use super::rfc3339;
use crate::aggregate::Aggregator;
use crate::config::Config;
use crate::domain::{Listing, Millis, SeriesKey, Venue, now_ms};
use crate::exchange::rest::{ApiError, Page, RestApi, rest_api};
mod clients;
mod errors;
mod settings;

pub use clients::{KlinesClients, VenueClients};
use errors::NoticeSink;
pub use errors::{KlinesError, Notice, VenueNoticeSink};
pub use settings::KlinesConfig;

use crate::net::{
    Backoff, BackoffPolicy, BreakerPolicy, BreakerState, BreakerStatus, CircuitBreaker, error_chain,
};

/// 1000 klines are ~150 KB; anything near this is not a klines answer.
const MAX_BODY_BYTES: usize = 16 << 20;
/// The shortest ban (Binance's), assumed when a 418 comes without `Retry-After`.
const DEFAULT_BAN: Duration = Duration::from_secs(120);
/// Pages of one market list read at most (Bybit's linear list is two of 500).
const MAX_INSTRUMENT_PAGES: usize = 20;

/// Counters since the client was built, and the breaker's state.
#[derive(Clone, Debug, Serialize)]
pub struct KlinesStats {
    pub requests: u64,
    /// The venue's last report of weight used (our own count when it sent none).
    pub weight_used: u32,
    pub weight_limit: u32,
    pub retries: u64,
    /// 429 and 418 answers.
    pub rate_limited: u64,
    /// Pauses taken to stay under our share of the weight budget.
    pub budget_waits: u64,
    pub rejected_rows: u64,
    /// Answers (HTTP 200) whose body did not decode: skipped, never retried.
    pub rejected_pages: u64,
    pub candles: u64,
    pub banned_until: Option<Millis>,
    pub breaker: BreakerStatus,
}

/// Why one attempt did not produce a body.
enum Failure {
    Transient(String),
    /// Slow down: the status it came with and how long the venue asked us to wait.
    RateLimited {
        status: u16,
        wait: Option<Duration>,
    },
    Banned(Option<Duration>),
    Fatal {
        status: u16,
        message: String,
    },
    /// A whole answer whose body does not decode: the same body would not decode the next
    /// time either, so it is not retried.
    Undecodable(String),
}

/// Why requests are on hold.
#[derive(Clone, Copy)]
enum Hold {
    RetryAfter { status: u16 },
    Ban { until: Millis },
}

struct State {
    budget: WeightBudget,
    breaker: CircuitBreaker,
    backoff: Backoff,
    not_before: Option<(Instant, Hold)>,
    last_failure: String,
    banned_until: Option<Millis>,
    weight_seen: Option<u32>,
    requests: u64,
    retries: u64,
    rate_limited: u64,
    budget_waits: u64,
    rejected_rows: u64,
    rejected_pages: u64,
    candles: u64,
}

pub struct KlinesClient {
    http: reqwest::Client,
    cfg: KlinesConfig,
    api: &'static dyn RestApi,
    state: Mutex<State>,
    notify: Option<NoticeSink>,
}

impl KlinesClient {
    pub fn new(cfg: KlinesConfig) -> Result<Self, KlinesError> {
        crate::net::install_crypto_provider();
        let api = rest_api(cfg.venue).ok_or_else(|| KlinesError::Client {
            base: cfg.base_url.clone(),
            detail: format!("{} has no REST API", cfg.venue),
        })?;
        let budget = api.budget();
        let http = reqwest::Client::builder()
            .user_agent(crate::net::USER_AGENT)
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.timeout)
            .build()
            .map_err(|e| KlinesError::Client {
                base: cfg.base_url.clone(),
                detail: error_chain(&e),
            })?;
        let state = State {
            budget: WeightBudget::new(
                cfg.weight_share,
                budget.per_minute,
                cfg.weight_window,
                budget.request_weight,
            ),
            breaker: CircuitBreaker::new(cfg.breaker.clone()),
            backoff: Backoff::new(cfg.backoff.clone()),
            not_before: None,
            last_failure: String::new(),
            banned_until: None,
            weight_seen: None,
            requests: 0,
            retries: 0,
            rate_limited: 0,
            budget_waits: 0,
            rejected_rows: 0,
            rejected_pages: 0,
            candles: 0,
        };
        Ok(KlinesClient {
            http,
            cfg,
            api,
            state: Mutex::new(state),
            notify: None,
        })
    }

    /// Calls `f` for every [`Notice`] (from whichever task is fetching).
    pub fn on_notice(mut self, f: impl Fn(&Notice) + Send + Sync + 'static) -> Self {
        self.notify = Some(Arc::new(f));
        self
    }

    pub fn config(&self) -> &KlinesConfig {
        &self.cfg
    }

    pub fn venue(&self) -> Venue {
        self.cfg.venue
    }

    /// Most candles one page holds on this venue.
    pub fn page_size(&self) -> usize {
        self.api.page_size()
    }

    pub fn stats(&self) -> KlinesStats {
        let st = self.lock();
        KlinesStats {
            requests: st.requests,
            weight_used: st.weight_seen.unwrap_or_else(|| st.budget.used()),
            weight_limit: st.budget.limit(),
            retries: st.retries,
            rate_limited: st.rate_limited,
            budget_waits: st.budget_waits,
            rejected_rows: st.rejected_rows,
            rejected_pages: st.rejected_pages,
            candles: st.candles,
            banned_until: st.banned_until.filter(|u| *u > now_ms()),
            breaker: st.breaker.status(Instant::now()),
        }
    }

    /// The candles with open times `first..=last` (at most [`KlinesClient::page_size`] of
    /// them), retried until they arrive or the breaker, a ban or a non-retryable answer says
    /// stop. Ranges older than the venue's candles reach are rebuilt from its trades.
    pub async fn fetch(
        &self,
        key: SeriesKey,
        first: Millis,
        last: Millis,
    ) -> Result<Page, KlinesError> {
        let tf = key.timeframe;
        let now = now_ms();
        // One page's worth of intervals at most, unless the venue serves the oldest candles
        // of any range: venues that page newest first (Bybit, OKX) would otherwise answer
        // with the end of a longer range.
        let whole_range = self.api.pages_from_start();
        let last = if whole_range {
            last
        } else {
            last.min(first + (self.page_size() as Millis - 1) * tf.millis())
        };
        if let Some(depth) = self.api.candle_depth() {
            let oldest = tf.bucket(now) - (depth as Millis - 1) * tf.millis();
            if first < oldest && self.api.trades_path(key.symbol, "0").is_some() {
                return self.fetch_from_trades(key, first, last).await;
            }
        }
        let url = format!(
            "{}{}",
            self.cfg.base_url,
            self.api.candles_path(key.symbol, tf, first, last)
        );
        let mut page = self
            .request(&url, &key.symbol.to_string(), |body| {
                self.api
                    .decode_candles(body, key.symbol, tf, first, last, now_ms())
            })
            .await?;
        // A full page from a whole-range venue goes on after its last row; anything else
        // covered its window.
        page.window_end = (!whole_range || page.rows < self.page_size()).then_some(last);
        self.succeeded(key, &page);
        Ok(page)
    }

    /// The venue's markets open for trading, with the same retries and politeness as candles.
    pub async fn instruments(&self) -> Result<Vec<Listing>, KlinesError> {
        let what = format!("{}'s market list", self.venue());
        let mut all = Vec::new();
        let paths = [self.api.instruments_path()];
        for &first in paths.iter().chain(self.api.more_instruments_paths()) {
            let mut path = first.to_string();
            // Paged lists: a bounded number of pages, and never the same one twice.
            for _ in 0..MAX_INSTRUMENT_PAGES {
                let url = format!("{}{path}", self.cfg.base_url);
                let (list, next) = self
                    .request(&url, &what, |body| {
                        let list = self.api.decode_instruments(body)?;
                        Ok((list, self.api.next_instruments_path(&path, body)))
                    })
                    .await?;
                all.extend(list);
                match next {
                    Some(n) if n != path => path = n,
                    _ => break,
                }
            }
        }
        Ok(all)
    }

    /// Any other page of the venue's REST API (`path` appended to its base URL), with the same
    /// budget, retries, breaker and error reading as candles; `what` names it in messages.
    pub async fn get<T>(
        &self,
        path: &str,
        what: &str,
        decode: impl Fn(&[u8]) -> Result<T, String>,
    ) -> Result<T, KlinesError> {
        let url = format!("{}{path}", self.cfg.base_url);
        self.request(&url, what, decode).await
    }

    /// Candles of `first..` rebuilt from the venue's REST trades, exactly as live trades
    /// build them; at most a page's worth of intervals per call, like a candles page.
    async fn fetch_from_trades(
        &self,
        key: SeriesKey,
        first: Millis,
        last: Millis,
    ) -> Result<Page, KlinesError> {
        let tf = key.timeframe;
        let iv = tf.millis();
        let span_last = last;
        let end = span_last + iv;
        let mut agg = Aggregator::new(key.symbol, &[tf]);
        let mut cursor = self.api.trades_cursor(first);
        while let Some(path) = self.api.trades_path(key.symbol, &cursor) {
            let url = format!("{}{path}", self.cfg.base_url);
            let page = self
                .request(&url, &key.symbol.to_string(), |body| {
                    self.api.decode_trades(body, key.symbol)
                })
                .await?;
            let mut past_end = page.trades.is_empty();
            for t in &page.trades {
                if t.time >= end {
                    past_end = true;
                    break;
                }
                if t.time >= first {
                    agg.push(t);
                }
            }
            if past_end || page.next == cursor {
                break;
            }
            cursor = page.next;
        }
        let now = now_ms();
        agg.close_due(end.min(now));
        let mut drained = Vec::new();
        agg.drain(&mut drained);
        let rows = drained
            .into_iter()
            .map(|(_, c)| (Some(c.open_time), Ok(c)))
            .collect();
        let mut page = Page::assemble(rows, tf, first, span_last, now);
        // Paging goes on from the end of this span whatever it held.
        page.last_open = Some(span_last);
        page.rows = if span_last < last {
            self.page_size()
        } else {
            0
        };
        self.succeeded(key, &page);
        Ok(page)
    }

    /// One GET, retried as the discipline says, until `decode` accepts a body.
    async fn request<T>(
        &self,
        url: &str,
        what: &str,
        decode: impl Fn(&[u8]) -> Result<T, String>,
    ) -> Result<T, KlinesError> {
        loop {
            while let Some(wait) = self.admit()? {
                tokio::time::sleep(wait).await;
            }
            let mut flight = InFlight {
                client: self,
                settled: false,
            };
            let failure = match self.attempt(url).await {
                Ok(body) => match decode(&body) {
                    Ok(value) => {
                        flight.settled = true;
                        let mut st = self.lock();
                        st.breaker.on_success();
                        st.backoff.reset();
                        return Ok(value);
                    }
                    Err(e) => Failure::Undecodable(e),
                },
                Err(f) => f,
            };
            flight.settled = true;
            let pause = self.failed(failure, what, url)?;
            tokio::time::sleep(pause).await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain counters behind: still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn notice(&self, n: Notice) {
        tracing::warn!(base = %self.cfg.base_url, "{n}");
        if let Some(f) = &self.notify {
            f(&n);
        }
    }

    /// Decides whether a request may go out now: Ok(None) counts it as sent, Ok(Some(wait))
    /// says how long to sleep before asking again.
    fn admit(&self) -> Result<Option<Duration>, KlinesError> {
        let mut st = self.lock();
        let now = Instant::now();
        if let Some((until, hold)) = st.not_before.filter(|(u, _)| *u > now) {
            let wait = until - now;
            if wait > self.cfg.max_wait {
                return Err(self.hold_error(hold, wait));
            }
            return Ok(Some(wait));
        }
        let wall = now_ms();
        let weight = self.api.budget().request_weight;
        if let Some(wait) = st.budget.delay_for(weight, wall) {
            st.budget_waits += 1;
            let (used, limit) = (st.budget.used(), st.budget.limit());
            drop(st);
            self.notice(Notice::BudgetPause { wait, used, limit });
            return Ok(Some(wait));
        }
        if !st.breaker.allow(now) {
            return Err(self.breaker_error(&st, now));
        }
        st.budget.on_sent(weight, wall);
        st.requests += 1;
        Ok(None)
    }

    /// One HTTP exchange: the body of a 2xx answer, or why there is none.
    async fn attempt(&self, url: &str) -> Result<Vec<u8>, Failure> {
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| Failure::Transient(error_chain(&e)))?;
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let retry_after = header("retry-after").map(Duration::from_secs);
        if let Some(used) = self.api.budget().used_header.and_then(header) {
            let used = u32::try_from(used).unwrap_or(u32::MAX);
            let mut st = self.lock();
            st.budget.on_reported(used, now_ms());
            st.weight_seen = Some(used);
        }
        let body = match status {
            200..=299 => crate::net::read_body(resp, MAX_BODY_BYTES)
                .await
                .map_err(Failure::Transient)?,
            _ => crate::net::read_body(resp, MAX_BODY_BYTES)
                .await
                .unwrap_or_default(),
        };
        // The venue's own words first: errors inside a 200, its rate-limit statuses.
        match self.api.answer_error(status, &body) {
            Some(ApiError::RateLimited(wait)) => {
                return Err(Failure::RateLimited {
                    status,
                    wait: retry_after.or(wait),
                });
            }
            Some(ApiError::Transient(m)) => return Err(Failure::Transient(m)),
            Some(ApiError::Fatal(message)) => return Err(Failure::Fatal { status, message }),
            None => {}
        }
        match status {
            200..=299 => Ok(body),
            429 => Err(Failure::RateLimited {
                status,
                wait: retry_after,
            }),
            418 => Err(Failure::Banned(retry_after)),
            408 | 500..=599 => Err(Failure::Transient(format!("HTTP {status}"))),
            _ => Err(Failure::Fatal {
                status,
                message: error_message(&body),
            }),
        }
    }

    fn succeeded(&self, key: SeriesKey, page: &Page) {
        let mut st = self.lock();
        st.candles += page.candles.len() as u64;
        st.rejected_rows += page.rejected.len() as u64;
        drop(st);
        for r in &page.rejected {
            tracing::warn!(symbol = %key.symbol, timeframe = %key.timeframe, "rejected kline {r}");
        }
    }

    /// Books a failed attempt. Ok(pause) means try again after the pause (a hold set here
    /// is honoured by the next `admit`); Err means give up on this request.
    fn failed(&self, f: Failure, what: &str, url: &str) -> Result<Duration, KlinesError> {
        let now = Instant::now();
        let mut st = self.lock();
        match f {
            Failure::Fatal { status, message } => {
                // The server is up and answering; only the request is wrong.
                st.breaker.on_success();
                Err(KlinesError::Rejected {
                    what: what.to_string(),
                    url: url.to_string(),
                    status,
                    message,
                })
            }
            Failure::Undecodable(detail) => {
                // The server answered; only this answer is unusable.
                st.breaker.on_success();
                st.rejected_pages += 1;
                let path = url.split('?').next().unwrap_or(url);
                let detail = crate::exchange::wire::clip_long(&detail);
                tracing::warn!(venue = %self.cfg.venue, %path, "answer does not decode: {detail}");
                Err(KlinesError::Undecodable {
                    venue: self.cfg.venue,
                    path: path.to_string(),
                    what: what.to_string(),
                    detail,
                })
            }
            Failure::Transient(detail) => {
                tracing::warn!(%url, "klines request failed: {detail}");
                st.retries += 1;
                st.last_failure = detail;
                let mut st = self.trip(st, now)?;
                Ok(st.backoff.next_delay())
            }
            Failure::RateLimited {
                status,
                wait: retry_after,
            } => {
                st.rate_limited += 1;
                st.retries += 1;
                // Never before Retry-After, and later still when refusals keep coming.
                let wait = retry_after.unwrap_or_default().max(st.backoff.next_delay());
                st.not_before = Some((now + wait, Hold::RetryAfter { status }));
                st.last_failure = match retry_after {
                    Some(d) => format!("HTTP {status}, wait {} s", d.as_secs()),
                    None => format!("HTTP {status}, rate limited"),
                };
                drop(self.trip(st, now)?);
                self.notice(Notice::RateLimited { status, wait });
                // `admit` sleeps out the hold (or refuses one longer than `max_wait`).
                Ok(Duration::ZERO)
            }
            Failure::Banned(retry_after) => {
                st.rate_limited += 1;
                st.retries += 1;
                let wait = retry_after.unwrap_or(DEFAULT_BAN);
                let until = now_ms() + wait.as_millis() as Millis;
                st.banned_until = Some(until);
                st.not_before = Some((now + wait, Hold::Ban { until }));
                st.breaker.hold_open_until(now + wait);
                st.last_failure = format!("HTTP 418, banned until {}", rfc3339(until));
                drop(st);
                self.notice(Notice::Banned {
                    venue: self.cfg.venue,
                    until,
                });
                if wait > self.cfg.max_wait {
                    return Err(self.hold_error(Hold::Ban { until }, wait));
                }
                Ok(Duration::ZERO)
            }
        }
    }

    /// Tells the breaker about a failure; Err once that opens it (a peer that keeps failing or
    /// refusing us is left alone for a while).
    fn trip<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
        now: Instant,
    ) -> Result<MutexGuard<'a, State>, KlinesError> {
        st.breaker.on_failure(now);
        if st.breaker.state(now) != BreakerState::Open {
            return Ok(st);
        }
        let err = self.breaker_error(&st, now);
        let failures = st.breaker.status(now).consecutive_failures;
        let last = st.last_failure.clone();
        drop(st);
        self.notice(Notice::BreakerOpened { failures, last });
        Err(err)
    }

    fn breaker_error(&self, st: &State, now: Instant) -> KlinesError {
        let status = st.breaker.status(now);
        KlinesError::BreakerOpen {
            base: self.cfg.base_url.clone(),
            failures: status.consecutive_failures,
            last: st.last_failure.clone(),
            // Whole seconds rounded up: "0 s" would read as "now" while it is still open.
            retry_in_secs: status.retry_in_secs.unwrap_or(0).max(1),
        }
    }

    fn hold_error(&self, hold: Hold, wait: Duration) -> KlinesError {
        match hold {
            Hold::Ban { until } => KlinesError::Banned {
                venue: self.cfg.venue,
                base: self.cfg.base_url.clone(),
                until,
            },
            Hold::RetryAfter { status } => KlinesError::RateLimited {
                base: self.cfg.base_url.clone(),
                status,
                wait_secs: wait.as_secs_f64().ceil() as u64,
                max_wait_secs: self.cfg.max_wait.as_secs(),
            },
        }
    }
}

/// Settles a half-open probe whose future was dropped mid-request (the task was aborted), so
/// the breaker is not left waiting for an answer that will never come.
struct InFlight<'a> {
    client: &'a KlinesClient,
    settled: bool,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.settled {
            let now = Instant::now();
            let mut st = self.client.lock();
            if st.breaker.state(now) == BreakerState::HalfOpen {
                st.breaker.on_failure(now);
            }
        }
    }
}

/// An error body the venue's API did not recognise, shown as (the start of) its text.
fn error_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(200) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None if text.is_empty() => "(empty body)".into(),
        None => text,
    }
}
