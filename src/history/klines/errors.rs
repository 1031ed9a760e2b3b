//! What a REST history request can end in, and the notices a client gives while it waits.

use super::*;

#[derive(Debug, thiserror::Error)]
pub enum KlinesError {
    #[error("{url}: HTTP {status} for {what}: {message}")]
    Rejected {
        /// The symbol asked for, or what else was.
        what: String,
        url: String,
        status: u16,
        message: String,
    },
    #[error("banned by {venue} until {} (HTTP 418 from {base})", rfc3339(*.until))]
    Banned {
        venue: Venue,
        base: String,
        until: Millis,
    },
    #[error(
        "rate limited by {base} (HTTP {status}): must wait {wait_secs} s, longer than the {max_wait_secs} s allowed"
    )]
    RateLimited {
        base: String,
        status: u16,
        wait_secs: u64,
        max_wait_secs: u64,
    },
    #[error("circuit breaker open for {base} after {failures} consecutive failures (last: {last})")]
    /// Says nothing of a next try: a one-shot `backfill` ends here, and a collector's repair
    /// says when it tries again.
    BreakerOpen {
        base: String,
        failures: u32,
        last: String,
        retry_in_secs: u64,
    },
    #[error("{venue} {path}: the answer (HTTP 200) for {what} does not decode: {detail}; skipped")]
    Undecodable {
        venue: Venue,
        path: String,
        what: String,
        detail: String,
    },
    #[error("cannot build the HTTP client for {base}: {detail}")]
    Client { base: String, detail: String },
}

/// Something worth telling a user while it happens (the CLI prints these).
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    RateLimited {
        status: u16,
        wait: Duration,
    },
    Banned {
        venue: Venue,
        until: Millis,
    },
    BudgetPause {
        wait: Duration,
        used: u32,
        limit: u32,
    },
    BreakerOpened {
        failures: u32,
        last: String,
    },
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::RateLimited { status, wait } => {
                write!(
                    f,
                    "rate limited (HTTP {status}), waiting {:.1} s",
                    wait.as_secs_f64()
                )
            }
            Notice::Banned { venue, until } => {
                write!(f, "banned by {venue} until {}", rfc3339(*until))
            }
            Notice::BudgetPause { wait, used, limit } => write!(
                f,
                "request weight {used}/{limit} this minute, pausing {:.1} s",
                wait.as_secs_f64()
            ),
            Notice::BreakerOpened { failures, last } => {
                write!(
                    f,
                    "circuit breaker opened after {failures} failures (last: {last})"
                )
            }
        }
    }
}

/// Told every notice of one client.
pub(super) type NoticeSink = Arc<dyn Fn(&Notice) + Send + Sync>;

/// Told every notice of every venue's client, with the venue.
pub type VenueNoticeSink = Arc<dyn Fn(Venue, &Notice) + Send + Sync>;
