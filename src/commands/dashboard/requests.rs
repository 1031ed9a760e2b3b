//! Answers the App's requests: history pages from the store, report files, refreshes; rule and
//! watchlist changes go on to the producers.

use std::path::Path;

use tokio::sync::{mpsc, watch};

use super::log;
use crate::app::event::{DataEvent, Request};
use crate::domain::{Candle, SeriesKey};
use crate::report::Report;
use crate::store::Store;

/// What the requests are answered with besides the store and the channels.
pub(super) struct Served {
    pub portfolio: crate::portfolio::Settings,
    /// The collectors asked over the bus (attached).
    pub asking: super::bus::Asking,
    /// Where the indicator menu's choice is kept.
    pub indicators: super::chart_choice::Keeper,
}

/// Answers the App's requests: history pages from the store, report files, refreshes.
/// Store errors go to the activity log; the series then stays as it is rather than retrying
/// in a loop.
pub(super) async fn serve_requests(
    store: Store,
    mut requests: mpsc::UnboundedReceiver<Request>,
    data: mpsc::Sender<DataEvent>,
    refresh: watch::Sender<u64>,
    producers: mpsc::Sender<Request>,
    Served {
        portfolio,
        asking,
        indicators,
    }: Served,
) {
    while let Some(req) = requests.recv().await {
        let ev = match req {
            r @ (Request::SaveRule { .. } | Request::DeleteRule(_) | Request::Watch(_)) => {
                // Attached to a collector there are no producers here to take it.
                let what = if matches!(r, Request::Watch(_)) {
                    "markets are added to the collector that owns this store (its config)"
                } else {
                    "alerts are set on the collector that owns this store"
                };
                if producers.send(r).await.is_err() {
                    log(tracing::Level::WARN, what.into())
                } else {
                    continue;
                }
            }
            Request::LoadHistory { key, before, limit } => {
                match store.candles_before(key, before, limit).await {
                    Ok(candles) => {
                        // A perp's derivatives over the same span go first, for its panes.
                        if let Some(samples) = deriv_history(&store, key, &candles).await
                            && data.send(samples).await.is_err()
                        {
                            return;
                        }
                        DataEvent::History {
                            key,
                            complete: candles.len() < limit,
                            candles,
                        }
                    }
                    Err(e) => log(
                        tracing::Level::ERROR,
                        format!("loading {} {} history: {e}", key.symbol, key.timeframe),
                    ),
                }
            }
            Request::Shown(symbol) => {
                asking
                    .shown
                    .send_if_modified(|s| s.replace(symbol) != Some(symbol));
                continue;
            }
            Request::Collect(symbol) => {
                if asking.collect.send(symbol).is_ok() {
                    continue;
                }
                log(
                    tracing::Level::WARN,
                    "markets are added to the collector that owns this store (its config)".into(),
                )
            }
            Request::Portfolio => {
                let s = portfolio.clone();
                let valued = store
                    .call(move |b| crate::portfolio::value_ledger(b, &s, crate::domain::now_ms()))
                    .await;
                DataEvent::Portfolio(match valued {
                    Ok(None) => Ok(None),
                    Ok(Some(Ok(r))) => Ok(Some(r)),
                    Ok(Some(Err(e))) => Err(e.to_string()),
                    Err(e) => Err(e.to_string()),
                })
            }
            Request::SaveIndicators(names) => match indicators.keep(names).await {
                Ok(()) => continue,
                Err(e) => log(tracing::Level::ERROR, format!("indicators not kept: {e}")),
            },
            Request::Refresh => {
                refresh.send_modify(|n| *n += 1);
                log(tracing::Level::INFO, "news refresh requested".into())
            }
            Request::Export { path, report } => {
                let p = path.clone();
                let result = tokio::task::spawn_blocking(move || write_report(&p, &report))
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                DataEvent::Exported { path, result }
            }
        };
        if data.send(ev).await.is_err() {
            return;
        }
    }
}

/// The stored derivatives of a perp series over `candles`' span, one sample per candle (the
/// last in it), so a page of daily candles does not bring months of minutes along; `None`
/// for a spot series, an empty page or a store error (the panes then show what is live).
async fn deriv_history(store: &Store, key: SeriesKey, candles: &[Candle]) -> Option<DataEvent> {
    if !key.symbol.is_perp() {
        return None;
    }
    let (first, last) = (candles.first()?.open_time, candles.last()?.open_time);
    let tf = key.timeframe;
    let symbol = key.symbol;
    let mut samples = store
        .call(move |b| b.deriv_samples(symbol, first, last + tf.millis() - 1))
        .await
        .ok()?;
    // Ascending: keep the last of each candle's bucket.
    samples.dedup_by(|later, earlier| {
        let same = tf.bucket(later.minute) == tf.bucket(earlier.minute);
        if same {
            *earlier = *later;
        }
        same
    });
    Some(DataEvent::DerivHistory { symbol, samples })
}

/// The rules made from the dashboard, each enabled or not (unreadable ones left out).
pub(super) async fn user_rules(store: &Store) -> Vec<(crate::alerts::Rule, bool)> {
    store
        .call(|b| b.stored_rules())
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| Some((crate::alerts::Rule::from_stored(r).ok()?, r.enabled)))
        .collect()
}

/// Writes through a temporary file and a rename, so a report is never seen half-written.
fn write_report(path: &Path, report: &Report) -> Result<(), String> {
    let mut json = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
    json.push('\n');
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, json)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            e.to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DerivSample, DerivUpdate, Price, Rate, Symbol, Timeframe};
    use crate::store::StoreOptions;

    /// A page of 5-minute candles brings the perp's stored minutes along, one per candle (the
    /// last of it); a spot page brings none.
    #[tokio::test]
    async fn a_perps_page_brings_its_samples_one_per_candle() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), StoreOptions::default()).unwrap();
        let perp = Symbol::new("bybit-perp:BTCUSDT").unwrap();
        let samples: Vec<DerivSample> = (0..20)
            .map(|m| {
                let mut u = DerivUpdate::new(perp, m * 60_000 + 1);
                u.funding_rate = Some(Rate::parse(&format!("0.0000{m:02}")).unwrap());
                DerivSample {
                    minute: m * 60_000,
                    update: u,
                }
            })
            .collect();
        store
            .call(move |b| b.put_deriv_samples(&samples))
            .await
            .unwrap();
        let tf = Timeframe::M5;
        let candles: Vec<Candle> = [0, 5, 10]
            .map(|m| Candle::flat(m * 60_000, Price::from_int(1)))
            .to_vec();
        let key = SeriesKey {
            symbol: perp,
            timeframe: tf,
        };
        let Some(DataEvent::DerivHistory { symbol, samples }) =
            deriv_history(&store, key, &candles).await
        else {
            panic!("no samples");
        };
        assert_eq!(symbol, perp);
        let minutes: Vec<_> = samples.iter().map(|s| s.minute / 60_000).collect();
        assert_eq!(
            minutes,
            vec![4, 9, 14],
            "the last of each candle, none past the page"
        );
        let spot = SeriesKey {
            symbol: Symbol::new("binance:BTCUSDT").unwrap(),
            timeframe: tf,
        };
        assert!(deriv_history(&store, spot, &candles).await.is_none());
    }
}
