//! The live bus (SPEC §7): collectors publish what they accept on NATS subjects
//! (`cryptoviz.<venue>.<symbol>.<kind>`), kept for `max_age_secs` by a JetStream stream, so
//! any NATS client, and a dashboard on any machine, sees the market as it happens. The bus is
//! one more subscriber of the runtime's events and never the store of record.

pub mod message;
pub mod publisher;

pub use publisher::{BusStats, run as publish};
