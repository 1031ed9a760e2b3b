//! The user's portfolio (SPEC §6): their own ledger imported from the venues' exports
//! ([`import`]), replayed into lots by a cost method ([`lots`]), valued from stored candles
//! ([`prices`]) and reported ([`report`]).

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

/// The stored ledger replayed up to `at` and valued then; `Err` inside when the ledger cannot
/// be replayed (a row selling what is not held, a price it needs missing), naming the row.
pub fn value_ledger(
    b: &mut dyn Backend,
    s: &Settings,
    at: Millis,
) -> Result<Result<report::PortfolioReport, lots::LotError>, StoreError> {
    let mut entries = b.ledger()?;
    entries.retain(|e| e.time <= at);
    let mut prices = prices::StorePrices::new(b, &s.currency, s.stablecoins_at_par)?;
    Ok(
        lots::Book::replay(s.method, entries, &mut prices).map(|book| {
            report::PortfolioReport::of(&book, &s.currency, at, &mut prices)
                .with_paths(&prices.paths)
        }),
    )
}

#[cfg(test)]
mod tests;
