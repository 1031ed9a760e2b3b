//! The REST requests a stream makes beside its socket: the contract list read before each
//! connection (OKX swaps) and derivatives a venue serves over REST only (Binance USDⓈ-M's open
//! interest), polled while the connection lives.

use std::time::Duration;

use tokio::sync::mpsc;

use super::connector::Connector;
use crate::domain::DerivEvent;

/// Asks the venue's REST API for `paths` every `every` and passes what it reads on; a failed
/// request is logged (once per streak) and tried again next time.
pub(super) async fn poll(
    connector: &'static dyn Connector,
    base: String,
    paths: Vec<String>,
    every: Duration,
    limit: Duration,
    tx: mpsc::Sender<Vec<DerivEvent>>,
) {
    let mut failing = false;
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for path in &paths {
            let url = format!("{base}{path}");
            let read = fetch(&url, limit)
                .await
                .and_then(|body| connector.decode_polled(&body));
            match read {
                Ok(events) => {
                    failing = false;
                    if tx.send(events).await.is_err() {
                        return;
                    }
                }
                Err(error) => {
                    if !failing {
                        let venue = connector.venue();
                        tracing::warn!(%venue, %url, %error, "polled derivatives not read");
                    }
                    failing = true;
                }
            }
        }
    }
}

/// Biggest list of contracts we read (OKX's swap list is a few hundred KB).
const MAX_CONTRACTS_BYTES: usize = 8 << 20;

/// One GET of a contracts list, within `limit`.
pub(super) async fn fetch(url: &str, limit: Duration) -> Result<Vec<u8>, String> {
    let client = reqwest::Client::builder()
        .user_agent(crate::net::USER_AGENT)
        .timeout(limit)
        .build()
        .map_err(|e| crate::net::error_chain(&e))?;
    let resp = client
        .get(url)
        .send()
        .await
        .map_err(|e| crate::net::error_chain(&e))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    crate::net::read_body(resp, MAX_CONTRACTS_BYTES).await
}
