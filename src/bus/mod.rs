//! The live bus (SPEC §7): collectors publish what they accept on NATS subjects
//! (`cryptoviz.<venue>.<symbol>.<kind>`), kept for `max_age_secs` by a JetStream stream, so
//! any NATS client, and a dashboard on any machine, sees the market as it happens. The bus is
//! one more subscriber of the runtime's events and never the store of record.

pub mod books;
pub mod follow;
pub mod gate;
pub mod inbound;
pub mod message;
pub mod publisher;

pub use publisher::{BusStats, run as publish};

use std::time::Duration;

use crate::config::{Auth, BusConfig, BusUrl};

/// A client of `url` that connects in the background (a server down now is waited for) and
/// comes back within a second of the server; the error (a bad credentials file, a client
/// that cannot start) never holds a secret.
pub async fn connect(
    url: &BusUrl,
    cfg: &BusConfig,
    name: &str,
) -> Result<async_nats::Client, String> {
    let mut opts = async_nats::ConnectOptions::new()
        .name(name)
        .retry_on_initial_connect()
        .connection_timeout(Duration::from_secs(5))
        // Back within a second of the server: a reconnect costs one connection attempt, and
        // a collector waits with its messages while it is away.
        .reconnect_delay_callback(|attempts| {
            Duration::from_millis(50u64.saturating_mul(1 << attempts.min(5)).min(1_000))
        });
    opts = match &url.auth {
        Auth::None => opts,
        Auth::UserPassword { user, password } => {
            opts.user_and_password(user.clone(), password.expose().to_string())
        }
        Auth::Token(t) => opts.token(t.expose().to_string()),
    };
    if !cfg.credentials.is_empty() {
        opts = opts
            .credentials_file(&cfg.credentials)
            .await
            .map_err(|e| format!("credentials file {}: {e}", cfg.credentials))?;
    }
    if url.tls {
        opts = opts.require_tls(true);
    }
    opts.connect(url.address())
        .await
        .map_err(|e| e.kind().to_string())
}
