//! One HTTP GET of one feed, done the way a polite and careful client does it: a User-Agent
//! naming cryptoviz, conditional GET from stored validators, one deadline for the whole
//! exchange (a body that trickles forever still ends), and a size cap enforced while reading
//! so an enormous body is never buffered.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{
    ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER,
};

use super::settings::NewsConfig;
use crate::store::FeedState;

/// Validators longer than this are not worth remembering (and not worth sending back).
const MAX_VALIDATOR_LEN: usize = 512;
/// A Retry-After beyond this is treated as this: a typo in a header must not silence a feed
/// for days.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(6 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    #[error("feed {url}: request failed: {detail}")]
    Request { url: String, detail: String },
    #[error("feed {url}: no complete answer within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("feed {url}: body larger than {limit} bytes, refused")]
    TooLarge { url: String, limit: u64 },
    #[error("feed {url}: HTTP {status}{}", retry_note(*.retry_after))]
    Status {
        url: String,
        status: u16,
        retry_after: Option<Duration>,
    },
}

fn retry_note(retry_after: Option<Duration>) -> String {
    retry_after.map_or(String::new(), |d| {
        format!(" (retry after {} s)", d.as_secs())
    })
}

impl FetchError {
    /// How long the server asked us to stay away (429/503 with Retry-After).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// What a GET produced. Validators are the ones to remember for the next request.
#[derive(Debug)]
pub enum Fetched {
    Body {
        bytes: Vec<u8>,
        validators: FeedState,
    },
    /// 304: nothing changed since the validators we sent; no body to parse.
    NotModified { validators: FeedState },
}

/// A shared HTTP client for feeds; cheap to clone.
#[derive(Clone, Debug)]
pub struct FeedClient {
    http: reqwest::Client,
    timeout: Duration,
    max_body_bytes: u64,
}

impl FeedClient {
    /// Needs a rustls crypto provider installed (`net::install_crypto_provider`).
    pub fn new(news: &NewsConfig) -> Result<FeedClient, FetchError> {
        let timeout = Duration::from_secs(news.timeout_secs.max(1));
        let http = reqwest::Client::builder()
            .user_agent(crate::net::USER_AGENT)
            // The whole-exchange deadline is `fetch`'s own, so its error reads the same
            // whichever phase was slow.
            .connect_timeout(timeout)
            .build()
            .map_err(|e| FetchError::Client(error_chain(&e)))?;
        Ok(FeedClient {
            http,
            timeout,
            max_body_bytes: news.max_body_bytes,
        })
    }

    /// GETs `url`, sending `state`'s validators. The whole exchange (connect, headers, every
    /// body chunk) must finish within the configured timeout.
    pub async fn fetch(&self, url: &str, state: &FeedState) -> Result<Fetched, FetchError> {
        match tokio::time::timeout(self.timeout, self.fetch_unbounded(url, state)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout {
                url: url.to_string(),
                secs: self.timeout.as_secs(),
            }),
        }
    }

    async fn fetch_unbounded(&self, url: &str, state: &FeedState) -> Result<Fetched, FetchError> {
        let request_error = |e: reqwest::Error| {
            if e.is_timeout() {
                FetchError::Timeout {
                    url: url.to_string(),
                    secs: self.timeout.as_secs(),
                }
            } else {
                FetchError::Request {
                    url: url.to_string(),
                    detail: error_chain(&e),
                }
            }
        };
        let mut req = self.http.get(url);
        if let Some(etag) = &state.etag {
            req = req.header(IF_NONE_MATCH, etag);
        }
        if let Some(since) = &state.last_modified {
            req = req.header(IF_MODIFIED_SINCE, since);
        }
        let mut resp = req.send().await.map_err(request_error)?;
        let status = resp.status();
        let validators = validators(resp.headers(), state);
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified { validators });
        }
        if !status.is_success() {
            let retry_after = match status {
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                    retry_after(resp.headers())
                }
                _ => None,
            };
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                retry_after,
            });
        }
        let too_large = || FetchError::TooLarge {
            url: url.to_string(),
            limit: self.max_body_bytes,
        };
        if resp
            .content_length()
            .is_some_and(|n| n > self.max_body_bytes)
        {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(request_error)? {
            if (bytes.len() + chunk.len()) as u64 > self.max_body_bytes {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body { bytes, validators })
    }
}

/// The response's validators, keeping the previous ones a 304 did not repeat.
fn validators(headers: &HeaderMap, previous: &FeedState) -> FeedState {
    let get = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.len() <= MAX_VALIDATOR_LEN)
            .map(str::to_string)
    };
    FeedState {
        etag: get(ETAG).or_else(|| previous.etag.clone()),
        last_modified: get(LAST_MODIFIED).or_else(|| previous.last_modified.clone()),
    }
}

/// Retry-After as delta-seconds or an HTTP date, capped.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let d = match v.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
            let ms = at.timestamp_millis() - crate::domain::now_ms();
            Duration::from_millis(ms.max(0) as u64)
        }
    };
    Some(d.min(MAX_RETRY_AFTER))
}

/// reqwest's error and its causes on one line ("error sending request: ... Connection
/// refused"), without reqwest's own copy of the URL (the caller names it once).
fn error_chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = vec![strip_url(e)];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let msg = s.to_string();
        if !parts.iter().any(|p| p.contains(&msg)) {
            parts.push(msg);
        }
        source = s.source();
    }
    super::clean::clean_text(&parts.join(": "), 400)
}

fn strip_url(e: &reqwest::Error) -> String {
    let msg = e.to_string();
    match e.url() {
        Some(u) => msg.replace(&format!(" for url ({u})"), ""),
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn validators_keep_previous_when_absent() {
        let prev = FeedState {
            etag: Some("\"a\"".into()),
            last_modified: Some("Mon, 01 Jan 2024 00:00:00 GMT".into()),
        };
        let mut h = HeaderMap::new();
        h.insert(ETAG, HeaderValue::from_static("\"b\""));
        let v = validators(&h, &prev);
        assert_eq!(v.etag.as_deref(), Some("\"b\""));
        assert_eq!(v.last_modified, prev.last_modified);
    }

    #[test]
    fn retry_after_seconds_dates_and_cap() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("30"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(30)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("99999999"));
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
