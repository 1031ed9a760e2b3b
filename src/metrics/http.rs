//! The loopback HTTP endpoint: `GET /metrics` and the three `/health/*` probes, one request
//! per connection (`Connection: close`). Deliberately tiny: a scraper and a probe are the only
//! clients, so there is no keep-alive, no body parsing and no routing beyond four paths. Every
//! connection is bounded in size, time and number, and garbage gets a 400, never a panic.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use super::Monitor;
use super::health::ProbeKind;

/// A request line and a few headers; anything larger is not one of our clients.
pub const MAX_REQUEST_BYTES: usize = 8 << 10;
/// Reading the request and writing the answer must both finish within this.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections served at once; more are closed unanswered until one finishes.
pub const MAX_CONNECTIONS: usize = 64;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const JSON: &str = "application/json";
const TEXT: &str = "text/plain; charset=utf-8";

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("[metrics] listen = \"{addr}\": {detail}")]
    Bind { addr: String, detail: String },
}

/// Binds `[metrics] listen` (validated as a loopback address by the config).
pub async fn bind(addr: &str) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr).await.map_err(|e| ServeError::Bind {
        addr: addr.to_string(),
        detail: format!("cannot listen: {e}"),
    })
}

/// Answers requests until `shutdown` turns true.
pub async fn serve(listener: TcpListener, monitor: Monitor, mut shutdown: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "metrics and health endpoint listening");
    }
    loop {
        let accepted = tokio::select! {
            _ = crate::net::shutdown_requested(&mut shutdown) => break,
            a = listener.accept() => a,
        };
        let (conn, peer) = match accepted {
            Ok(c) => c,
            Err(e) => {
                // Out of descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "metrics endpoint: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "metrics endpoint busy; connection closed");
            continue;
        };
        let monitor = monitor.clone();
        tokio::spawn(async move {
            if tokio::time::timeout(REQUEST_TIMEOUT, answer(conn, &monitor))
                .await
                .is_err()
            {
                tracing::debug!(%peer, "metrics endpoint: request timed out");
            }
            drop(permit);
        });
    }
    tracing::info!("metrics endpoint stopped");
}

/// What a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Metrics,
    Probe(ProbeKind),
    NotFound,
    MethodNotAllowed,
    BadRequest,
}

/// Routes a request head (the bytes up to the blank line, or what arrived of it).
fn route(head: &[u8]) -> (Route, bool) {
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let Ok(line) = std::str::from_utf8(&head[..line_end]) else {
        return (Route::BadRequest, false);
    };
    let mut parts = line.trim_end_matches('\r').split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return (Route::BadRequest, false);
    };
    if !version.starts_with("HTTP/1.") || !target.starts_with('/') {
        return (Route::BadRequest, false);
    }
    let head_only = method == "HEAD";
    let path = target.split(['?', '#']).next().unwrap_or(target);
    let found = match path {
        "/metrics" => Route::Metrics,
        "/health/live" => Route::Probe(ProbeKind::Live),
        "/health/ready" => Route::Probe(ProbeKind::Ready),
        "/health/startup" => Route::Probe(ProbeKind::Startup),
        _ => Route::NotFound,
    };
    if found != Route::NotFound && method != "GET" && !head_only {
        return (Route::MethodNotAllowed, false);
    }
    (found, head_only)
}

async fn answer(mut conn: TcpStream, monitor: &Monitor) {
    let head = match read_head(&mut conn).await {
        Ok(h) => h,
        Err(Oversized) => {
            respond(&mut conn, 431, TEXT, b"request too large\n", false).await;
            return;
        }
    };
    if head.is_empty() {
        return;
    }
    let (route, head_only) = route(&head);
    match route {
        Route::Metrics => {
            let text = monitor.encode();
            respond(&mut conn, 200, OPENMETRICS, text.as_bytes(), head_only).await;
        }
        Route::Probe(kind) => {
            let probe = monitor.probe(kind);
            let mut body = probe.body.to_string();
            body.push('\n');
            respond(&mut conn, probe.status, JSON, body.as_bytes(), head_only).await;
        }
        Route::NotFound => respond(&mut conn, 404, TEXT, b"not found\n", head_only).await,
        Route::MethodNotAllowed => {
            respond(&mut conn, 405, TEXT, b"only GET is served\n", false).await
        }
        Route::BadRequest => respond(&mut conn, 400, TEXT, b"bad request\n", false).await,
    }
}

struct Oversized;

/// Reads until the blank line ending the head (or the peer stops sending).
async fn read_head(conn: &mut TcpStream) -> Result<Vec<u8>, Oversized> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return Ok(buf),
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n") {
            return Ok(buf);
        }
        if buf.len() > MAX_REQUEST_BYTES {
            return Err(Oversized);
        }
    }
}

async fn respond(
    conn: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
    head_only: bool,
) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "",
    };
    let allow = if status == 405 {
        "Allow: GET, HEAD\r\n"
    } else {
        ""
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n{allow}Connection: close\r\n\r\n",
        body.len()
    );
    let mut out = head.into_bytes();
    if !head_only {
        out.extend_from_slice(body);
    }
    // A client that went away is not our problem.
    let _ = conn.write_all(&out).await;
    let _ = conn.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let r = |s: &str| route(s.as_bytes());
        assert_eq!(r("GET /metrics HTTP/1.1\r\n\r\n"), (Route::Metrics, false));
        assert_eq!(
            r("GET /health/ready?verbose=1 HTTP/1.0\r\nHost: x\r\n\r\n"),
            (Route::Probe(ProbeKind::Ready), false)
        );
        assert_eq!(
            r("HEAD /health/live HTTP/1.1\r\n\r\n"),
            (Route::Probe(ProbeKind::Live), true)
        );
        assert_eq!(r("GET /nope HTTP/1.1\r\n\r\n").0, Route::NotFound);
        assert_eq!(
            r("POST /metrics HTTP/1.1\r\n\r\n").0,
            Route::MethodNotAllowed
        );
        assert_eq!(r("GET /metrics\r\n\r\n").0, Route::BadRequest);
        assert_eq!(r("GET metrics HTTP/1.1\r\n\r\n").0, Route::BadRequest);
        assert_eq!(r("\u{0}\u{1}garbage").0, Route::BadRequest);
        assert_eq!(route(&[0xff, 0xfe, b'\n']).0, Route::BadRequest);
        assert_eq!(r("").0, Route::BadRequest);
    }
}
