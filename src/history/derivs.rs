//! Repairing a perp's derivatives history from REST after an outage, as candles are: settled
//! funding rates since the newest one stored, and open interest wherever the stored minutes
//! have a hole longer than [`OI_HOLE`] (the venue's 5-minute points go into it; a minute the
//! stream did record keeps its other fields). Venue pages are `exchange::deriv_rest`.

use std::collections::BTreeSet;

use serde::Serialize;

use super::KlinesClients;
use crate::domain::{DerivSample, DerivUpdate, Millis, Symbol, Timeframe};
use crate::exchange::deriv_rest::DerivRest;
use crate::store::Store;

/// A gap between stored open-interest minutes longer than this is a hole to fill: the stream
/// records one a minute, the venues' history has one per 5 minutes.
pub const OI_HOLE: Millis = 10 * 60_000;
/// How far back open interest is repaired: the venues keep their 5-minute points only days.
pub const OI_LOOKBACK: Millis = 2 * 86_400_000;
/// Open-interest points younger than this are the stream's to write.
const OI_SETTLE: Millis = 5 * 60_000;
const HOUR: Millis = 3_600_000;
const FIVE_MIN: Millis = 5 * 60_000;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DerivRepair {
    pub funding_written: u64,
    pub oi_written: u64,
    /// Rows the venue sent that were refused (the first of each answer is logged).
    pub rejected: u64,
    /// One line per perp whose repair stopped (its venue and what failed).
    pub failures: Vec<String>,
}

/// Repairs each perp of `symbols` with a history endpoint and a client: funding over
/// `lookback`, open interest over the venue's depth (at most [`OI_LOOKBACK`]).
pub async fn repair_derivs(
    store: &Store,
    clients: &KlinesClients,
    symbols: &[Symbol],
    lookback: Millis,
    now: Millis,
) -> DerivRepair {
    let mut out = DerivRepair::default();
    for &symbol in symbols.iter().filter(|s| s.is_perp()) {
        let api = crate::exchange::registry::entry(symbol.venue()).and_then(|e| e.derivs_rest);
        let (Some(api), Some(client)) = (api, clients.get(symbol.venue())) else {
            continue;
        };
        let one = Perp {
            store,
            client,
            api,
            symbol,
        };
        let done = async {
            one.funding(now - lookback, now, &mut out).await?;
            let depth = api.oi_depth().min(OI_LOOKBACK).min(lookback);
            one.open_interest(now - depth, now - OI_SETTLE, &mut out)
                .await
        };
        if let Err(e) = done.await {
            out.failures.push(format!("{symbol} derivatives: {e}"));
        }
    }
    out
}

struct Perp<'a> {
    store: &'a Store,
    client: &'a super::KlinesClient,
    api: &'static dyn DerivRest,
    symbol: Symbol,
}

impl Perp<'_> {
    /// Settled rates after the newest stored one, window by window: a window of `page` hours
    /// holds at most `page` settlements, since none comes oftener than hourly.
    async fn funding(&self, from: Millis, to: Millis, out: &mut DerivRepair) -> Result<(), String> {
        let symbol = self.symbol;
        let stored = self
            .store
            .call(move |b| b.funding(symbol, from, to))
            .await
            .map_err(|e| e.to_string())?;
        let mut t = stored
            .iter()
            .filter(|f| f.settled)
            .map(|f| f.time + 1)
            .max()
            .unwrap_or(from);
        let window = self.api.funding_page() as Millis * HOUR;
        while t <= to {
            let end = (t + window - 1).min(to);
            let what = format!("{symbol} funding history");
            let rows = self
                .client
                .get(&self.api.funding_path(symbol, t, end), &what, |b| {
                    self.api.decode_funding(b, symbol)
                })
                .await
                .map_err(|e| e.to_string())?;
            out.rejected += self.rejected(&what, &rows.rejected);
            let rates: Vec<_> = rows
                .rows
                .into_iter()
                .filter(|r| (t..=end).contains(&r.time))
                .collect();
            out.funding_written += rates.len() as u64;
            self.store
                .call(move |b| b.put_funding(&rates))
                .await
                .map_err(|e| e.to_string())?;
            t = end + 1;
        }
        Ok(())
    }

    /// The venue's 5-minute points inside each hole of the stored minutes.
    async fn open_interest(
        &self,
        from: Millis,
        to: Millis,
        out: &mut DerivRepair,
    ) -> Result<(), String> {
        let symbol = self.symbol;
        let (from, to) = (Timeframe::M1.bucket(from), Timeframe::M1.bucket(to));
        let stored = self
            .store
            .call(move |b| b.deriv_samples(symbol, from, to))
            .await
            .map_err(|e| e.to_string())?;
        let have: BTreeSet<Millis> = stored
            .iter()
            .filter(|s| s.update.open_interest.is_some())
            .map(|s| s.minute)
            .collect();
        for (first, last) in holes(&have, from, to) {
            let window = self.api.oi_page() as Millis * FIVE_MIN;
            let mut t = first;
            while t <= last {
                let end = (t + window - 1).min(last);
                let what = format!("{symbol} open interest history");
                let rows = self
                    .client
                    .get(&self.api.oi_path(symbol, t, end), &what, |b| {
                        self.api.decode_oi(b, symbol)
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                out.rejected += self.rejected(&what, &rows.rejected);
                let samples: Vec<DerivSample> = rows
                    .rows
                    .iter()
                    .map(|p| (Timeframe::M1.bucket(p.time), p))
                    .filter(|(m, _)| (t..=end).contains(m) && !have.contains(m))
                    .map(|(minute, p)| {
                        let mut u = DerivUpdate::new(symbol, p.time);
                        u.open_interest = Some(p.coins);
                        u.open_interest_quote = p.quote;
                        DerivSample { minute, update: u }
                    })
                    .collect();
                out.oi_written += samples.len() as u64;
                self.store
                    .call(move |b| b.put_deriv_samples(&samples))
                    .await
                    .map_err(|e| e.to_string())?;
                t = end + 1;
            }
        }
        Ok(())
    }

    fn rejected(&self, what: &str, reasons: &[String]) -> u64 {
        if let Some(first) = reasons.first() {
            tracing::warn!(
                venue = %self.symbol.venue(),
                "{what}: {} rows refused, first {first}",
                reasons.len()
            );
        }
        reasons.len() as u64
    }
}

/// The spans of `from..=to` (minutes) more than [`OI_HOLE`] from any minute in `have`.
fn holes(have: &BTreeSet<Millis>, from: Millis, to: Millis) -> Vec<(Millis, Millis)> {
    let mut out = Vec::new();
    let mut start = from;
    for &m in have.range(from..=to) {
        if m - start >= OI_HOLE {
            out.push((start, m - 60_000));
        }
        start = m + 60_000;
    }
    if to - start >= OI_HOLE {
        out.push((start, to));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_are_the_long_gaps_between_stored_minutes() {
        let m = |i: i64| i * 60_000;
        let have: BTreeSet<Millis> = [3, 4, 5, 30, 31, 33].map(m).into_iter().collect();
        assert_eq!(
            holes(&have, m(0), m(60)),
            vec![(m(6), m(29)), (m(34), m(60))]
        );
        assert_eq!(holes(&have, m(0), m(35)), vec![(m(6), m(29))]);
        assert_eq!(holes(&BTreeSet::new(), m(0), m(5)), vec![]);
        assert_eq!(holes(&BTreeSet::new(), m(0), m(60)), vec![(m(0), m(60))]);
    }
}
