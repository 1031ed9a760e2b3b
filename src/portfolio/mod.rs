//! The user's portfolio (SPEC §6): their own ledger imported from the venues' exports
//! ([`import`]), replayed into lots by a cost method ([`lots`]), valued from stored candles
//! ([`prices`]) and reported ([`report`]).

pub mod history;
pub mod import;
pub mod lots;
pub mod prices;
pub mod report;

use crate::domain::Millis;
use crate::store::ledger::SnapshotRow;
use crate::store::{Backend, StoreError};

/// What a valuation needs of `[portfolio]`.
#[derive(Clone, Debug)]
pub struct Settings {
    pub currency: String,
    pub stablecoins_at_par: bool,
    pub method: lots::Method,
}

impl Settings {
    /// How a kept snapshot was valued (`USD/fifo/par`): one valued otherwise is not this
    /// setting's history.
    pub fn basis(&self) -> String {
        format!(
            "{}/{}/{}",
            self.currency.to_ascii_uppercase(),
            self.method.as_str(),
            if self.stablecoins_at_par {
                "par"
            } else {
                "market"
            }
        )
    }

    /// The assets counted as cash, the currency first.
    pub fn cash(&self) -> Vec<String> {
        let currency = self.currency.to_ascii_uppercase();
        let mut cash = vec![currency.clone()];
        cash.extend(
            STABLECOINS
                .iter()
                .filter(|s| is_cash(s, &currency, self.stablecoins_at_par))
                .map(|s| s.to_string()),
        );
        cash
    }
}

/// The dollar stablecoins counted at par with USD when `stablecoins_at_par` is set.
const STABLECOINS: [&str; 2] = ["USDT", "USDC"];

/// Whether `asset` is cash to a portfolio in `currency` (upper case).
pub(crate) fn is_cash(asset: &str, currency: &str, at_par: bool) -> bool {
    asset == currency || (at_par && currency == "USD" && STABLECOINS.contains(&asset))
}

/// The stored ledger replayed up to `at` and valued then: `None` when no ledger is stored,
/// `Err` inside when it cannot be replayed (a row selling what is not held, a price it needs
/// missing), naming the row. One replay gives both the daily snapshots (for risk) and the
/// book at `at`, the last of its steps.
pub fn value_ledger(
    b: &mut dyn Backend,
    s: &Settings,
    at: Millis,
) -> Result<Option<Result<report::PortfolioReport, lots::LotError>>, StoreError> {
    let mut entries = b.ledger()?;
    if entries.is_empty() {
        return Ok(None);
    }
    entries.retain(|e| e.time <= at);
    let first = entries.iter().map(|e| e.time).min().unwrap_or(at);
    let mut prices =
        prices::StorePrices::new(b, &s.currency, s.stablecoins_at_par)?.over(first, at);
    let Some((from, to)) = history::daily(&entries, at) else {
        // Nothing held yet at `at`.
        let book = lots::Book::new(s.method);
        let mut r = report::PortfolioReport::of(&book, &s.currency, at, &mut prices);
        r.cash = s.cash();
        return Ok(Some(Ok(r)));
    };
    let (days, book) = match history::replay(s.method, entries, &mut prices, from, to, DAY) {
        Ok(replayed) => replayed,
        Err(e) => return Ok(Some(Err(e))),
    };
    let mut r =
        report::PortfolioReport::of(&book, &s.currency, at, &mut prices).with_paths(&prices.paths);
    r.cash = s.cash();
    let largest = r.largest().map(|l| l.1);
    r.risk = Some(history::Risk::of(&days, largest));
    r.snapshots = days.snapshots;
    Ok(Some(Ok(r)))
}

const DAY: Millis = 86_400_000;

/// The stored ledger's rows up to `to`, and the first one's time (`None`: no row by then).
fn ledger_until(
    b: &mut dyn Backend,
    to: Millis,
) -> Result<Option<(Vec<crate::domain::Entry>, Millis)>, StoreError> {
    let mut entries = b.ledger()?;
    entries.retain(|e| e.time <= to);
    Ok(entries
        .iter()
        .map(|e| e.time)
        .min()
        .map(|first| (entries, first)))
}

/// The ledger's snapshots every `step` over `from..=to` (at most [`MAX_SNAPSHOTS`]: a longer
/// range gets a longer step, in whole minutes).
pub fn snapshots(
    b: &mut dyn Backend,
    s: &Settings,
    from: Option<Millis>,
    to: Millis,
    step: Millis,
) -> Result<Result<Vec<history::Snapshot>, lots::LotError>, StoreError> {
    let Some((entries, first)) = ledger_until(b, to)? else {
        return Ok(Ok(Vec::new()));
    };
    let from = from.unwrap_or(first);
    let step = widened(from, to, step);
    let mut prices =
        prices::StorePrices::new(b, &s.currency, s.stablecoins_at_par)?.over(from.min(first), to);
    Ok(history::replay(s.method, entries, &mut prices, from, to, step).map(|h| h.0.snapshots))
}

/// The portfolio rules' figures over `from..=to` (`alerts test`): at every whole `step` from
/// the ledger's first row (at most [`MAX_SNAPSHOTS`] of them: a longer range, a longer step,
/// in whole minutes), each as a valuation at that time would give it.
pub fn figures_over(
    b: &mut dyn Backend,
    s: &Settings,
    from: Millis,
    to: Millis,
    step: Millis,
) -> Result<Result<Vec<crate::domain::PortfolioFigures>, lots::LotError>, StoreError> {
    let Some((entries, first)) = ledger_until(b, to)? else {
        return Ok(Ok(Vec::new()));
    };
    let from = from.max(first);
    let step = widened(from, to, step);
    let start = (from + step - 1).div_euclid(step) * step;
    let times: Vec<Millis> = (0..)
        .map(|i| start + i * step)
        .take_while(|t| *t <= to)
        .collect();
    let mut prices =
        prices::StorePrices::new(b, &s.currency, s.stablecoins_at_par)?.over(first, to);
    Ok(history::figures(
        s.method,
        entries,
        &s.currency,
        &s.cash(),
        &mut prices,
        &times,
    ))
}

/// Values the ledger at every whole `step` (of the Unix epoch) from `from` to `to` and keeps
/// each snapshot in the store, replacing the kept ones from `from` on: what a collector does
/// as time passes, and an import for the past its rows change. At most [`MAX_KEPT`] steps, the
/// latest. Returns how many were kept.
pub fn keep_snapshots(
    b: &mut dyn Backend,
    s: &Settings,
    from: Millis,
    to: Millis,
    step: Millis,
) -> Result<Result<usize, lots::LotError>, StoreError> {
    let Some((entries, first)) = ledger_until(b, to)? else {
        return Ok(Ok(0));
    };
    let step = step.max(60_000);
    let end = to.div_euclid(step) * step;
    let start = (from.max(first) + step - 1).div_euclid(step) * step;
    let start = start.max(end - (MAX_KEPT as Millis - 1) * step);
    if start > end {
        return Ok(Ok(0));
    }
    let mut prices =
        prices::StorePrices::new(b, &s.currency, s.stablecoins_at_par)?.over(first, end);
    let series = match history::replay(s.method, entries, &mut prices, start, end, step) {
        Ok((series, _)) => series,
        Err(e) => return Ok(Err(e)),
    };
    drop(prices);
    let rows: Vec<SnapshotRow> = series
        .snapshots
        .iter()
        .map(history::Snapshot::row)
        .collect();
    b.put_snapshots(&s.basis(), start, &rows)?;
    Ok(Ok(rows.len()))
}

/// Most snapshots one rebuild keeps (eleven years of hours).
pub const MAX_KEPT: usize = 100_000;

/// `portfolio history`: the snapshots every `step` over `from..=to` ([`snapshots`]), each
/// kept one as it was valued then (its candles may be gone since), the others worked out from
/// the ledger and stored candles; nothing is worked out when every one is kept.
pub fn history(
    b: &mut dyn Backend,
    s: &Settings,
    from: Option<Millis>,
    to: Millis,
    step: Millis,
) -> Result<Result<Vec<history::Snapshot>, lots::LotError>, StoreError> {
    let kept: std::collections::HashMap<Millis, SnapshotRow> = b
        .stored_snapshots(&s.basis(), from.unwrap_or(Millis::MIN), to)?
        .into_iter()
        .map(|r| (r.time, r))
        .collect();
    let times = from.map(|from| grid(from, to, step));
    if let Some(times) = times
        && times.iter().all(|t| kept.contains_key(t))
    {
        return Ok(Ok(times
            .iter()
            .map(|t| history::Snapshot::of_row(&kept[t]))
            .collect()));
    }
    Ok(snapshots(b, s, from, to, step)?.map(|computed| {
        computed
            .into_iter()
            .map(|c| match kept.get(&c.time) {
                Some(k) => history::Snapshot::of_row(k),
                None => c,
            })
            .collect()
    }))
}

/// `step` for a range of `from..=to`: at most [`MAX_SNAPSHOTS`] of them (a longer range, a
/// longer step), in whole minutes.
fn widened(from: Millis, to: Millis, step: Millis) -> Millis {
    let step = step
        .max((to - from) / MAX_SNAPSHOTS as Millis + 1)
        .max(60_000);
    (step + 59_999) / 60_000 * 60_000
}

/// The times [`snapshots`] values at over `from..=to`: every step from `from`, and `to`.
fn grid(from: Millis, to: Millis, step: Millis) -> Vec<Millis> {
    let step = widened(from, to, step);
    let mut times: Vec<Millis> = (0..)
        .map(|i| from + i * step)
        .take_while(|t| *t < to)
        .collect();
    times.push(to);
    times
}

/// Most snapshots one `portfolio history` prints.
pub const MAX_SNAPSHOTS: usize = 20_000;

#[cfg(test)]
mod tests;
