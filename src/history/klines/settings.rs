//! One venue's REST client settings: its base, page sizes and budget, our share of it, and
//! the retry policy.

use super::*;

#[derive(Clone)]
pub struct KlinesConfig {
    pub venue: Venue,
    /// The venue's REST base URL; its API's paths are appended.
    pub base_url: String,
    /// Share of the venue's per-minute request budget this client allows itself.
    pub weight_share: f64,
    /// Length of the weight window (a minute on Binance; tests shorten it).
    pub weight_window: Duration,
    pub backoff: BackoffPolicy,
    pub breaker: BreakerPolicy,
    pub connect_timeout: Duration,
    /// Whole-request timeout, body included.
    pub timeout: Duration,
    /// The longest the client sleeps out one `Retry-After` or ban. A longer one fails the
    /// request with a clear error and a later run picks the work up.
    pub max_wait: Duration,
}

impl std::fmt::Debug for KlinesConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KlinesConfig")
            .field("venue", &self.venue)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl KlinesConfig {
    /// Defaults for the default venue at `base_url`: half the weight budget, the default
    /// retry policy.
    pub fn new(base_url: &str) -> Self {
        Self::for_venue(Venue::DEFAULT, base_url)
    }

    pub fn for_venue(venue: Venue, base_url: &str) -> Self {
        KlinesConfig {
            venue,
            base_url: base_url.trim_end_matches('/').to_string(),
            weight_share: 0.5,
            weight_window: Duration::from_secs(60),
            backoff: BackoffPolicy::default(),
            breaker: BreakerPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_wait: Duration::from_secs(180),
        }
    }

    /// `venue`'s client as configured; `None` for a composite (no REST of its own).
    pub fn from_config(cfg: &Config, venue: Venue) -> Option<Self> {
        let endpoints = cfg.venues.get(venue)?;
        Some(KlinesConfig {
            weight_share: cfg.backfill.weight_share,
            backoff: cfg.net.backoff.clone(),
            breaker: cfg.net.breaker.clone(),
            ..KlinesConfig::for_venue(venue, &endpoints.rest_url)
        })
    }
}
