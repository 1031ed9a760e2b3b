//! The user's portfolio (SPEC §6): their own ledger imported from the venues' exports
//! ([`import`]), replayed into lots by a cost method ([`lots`]), valued from stored candles
//! ([`prices`]) and reported ([`report`]).

pub mod import;
pub mod lots;
pub mod prices;
pub mod report;

#[cfg(test)]
mod tests;
