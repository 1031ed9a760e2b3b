//! The one retry policy every outbound client shares: exponential backoff with jitter, and a
//! circuit breaker. Both are plain data from the config plus small state machines, so the
//! WebSocket, klines and news clients behave (and report) alike.

mod backoff;
mod breaker;
pub mod settings;

pub use backoff::{Backoff, BackoffPolicy};
pub use breaker::{BreakerPolicy, BreakerState, BreakerStatus, CircuitBreaker};

/// The User-Agent every HTTP request carries, so server operators can tell who is asking.
pub const USER_AGENT: &str = concat!("cryptoviz/", env!("CARGO_PKG_VERSION"));

/// Resolves once shutdown is requested (or the sender is gone, which means the same): how
/// every task of the program is told to stop.
pub async fn shutdown_requested(rx: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// rustls needs one process-wide crypto provider; cryptoviz uses ring for both HTTP and
/// WebSocket TLS. Safe to call more than once.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A response body of at most `limit` bytes, read as it arrives (a server cannot make us
/// hold more than that).
pub async fn read_body(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, String> {
    let hint = resp.content_length().unwrap_or(0).min(limit as u64) as usize;
    let mut body = Vec::with_capacity(hint);
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("reading the body: {}", error_chain(&e)))?
    {
        if body.len() + chunk.len() > limit {
            return Err(format!("the body is larger than {limit} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An error and its sources on one line (reqwest's top-level message hides the cause), each
/// cause once.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        src = s.source();
    }
    out
}
