//! The user's portfolio (SPEC §6): their own ledger imported from the venues' exports
//! ([`import`]), replayed into lots by a cost method ([`lots`]), valued from stored candles
//! ([`prices`]) and reported ([`report`]).

pub mod history;
pub mod import;
pub mod lots;
pub mod prices;
pub mod report;

use crate::domain::Millis;
use crate::store::{Backend, StoreError};

/// What a valuation needs of `[portfolio]`.
#[derive(Clone, Debug)]
pub struct Settings {
    pub currency: String,
    pub stablecoins_at_par: bool,
    pub method: lots::Method,
}

impl Settings {
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

/// The ledger's snapshots every `step` over `from..=to` (at most [`MAX_SNAPSHOTS`]: a longer
/// range gets a longer step, in whole minutes).
pub fn snapshots(
    b: &mut dyn Backend,
    s: &Settings,
    from: Option<Millis>,
    to: Millis,
    step: Millis,
) -> Result<Result<Vec<history::Snapshot>, lots::LotError>, StoreError> {
    let mut entries = b.ledger()?;
    entries.retain(|e| e.time <= to);
    let Some(first) = entries.iter().map(|e| e.time).min() else {
        return Ok(Ok(Vec::new()));
    };
    let from = from.unwrap_or(first);
    let step = step
        .max((to - from) / MAX_SNAPSHOTS as Millis + 1)
        .max(60_000);
    let step = (step + 59_999) / 60_000 * 60_000;
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
    let mut entries = b.ledger()?;
    entries.retain(|e| e.time <= to);
    let Some(first) = entries.iter().map(|e| e.time).min() else {
        return Ok(Ok(Vec::new()));
    };
    let from = from.max(first);
    let step = step
        .max((to - from) / MAX_SNAPSHOTS as Millis + 1)
        .max(60_000);
    let step = (step + 59_999) / 60_000 * 60_000;
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

/// Most snapshots one `portfolio history` prints.
pub const MAX_SNAPSHOTS: usize = 20_000;

#[cfg(test)]
mod tests;
