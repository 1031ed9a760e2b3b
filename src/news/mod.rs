//! News: feed fetching and parsing, cleaning of untrusted text, sentiment and coin detection.

pub mod clean;
pub mod coins;
pub mod demo;
pub mod enrich;
pub mod feed;
pub mod fetch;
pub mod poller;
pub mod sentiment;
pub mod settings;
