//! Exchange adapters, one folder per venue (wire types, subscription, parser, REST pages)
//! behind two small seams: [`Connector`] for the live feed and [`rest::RestApi`] for history.
//! The reconnect, backoff, breaker and stats loop ([`stream`]) is written once for all of them.
//!
//! Adding a venue: a folder here, a variant in [`Venue`] and its entry in
//! [`registry::VENUES`]. A perpetual-futures venue whose wire format is its spot sibling's
//! (`binance_perp`, `bybit_perp`) reuses that folder's readers with its own parameters.

pub mod binance;
pub mod binance_perp;
pub mod bybit;
pub mod bybit_perp;
pub mod coinbase;
pub mod connector;
pub mod contracts;
pub mod deriv_rest;
pub mod kraken;
#[cfg(test)]
pub mod layout;
pub mod okx;
pub mod registry;
pub mod rest;
pub mod settings;
mod side_rest;
pub mod stats;
pub mod stream;
pub mod wire;

pub use crate::domain::{Continuity, EmptyIntervals, Venue};
pub use connector::{Connector, Parsed, connector};
pub use settings::{Books, StreamSettings};
pub use stats::{StreamStats, StreamStatsSnapshot};
pub use stream::run;
pub use wire::WireError;
