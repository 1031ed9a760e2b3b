//! What market data sources say. Each source (a venue's stream in `exchange`, the simulated
//! market in `demo`) runs as a task and sends [`MarketEvent`]s over a channel: they look the
//! same to the rest of the program.

use std::time::{Duration, Instant};

use crate::domain::{Trade, Venue};

/// What a market source tells its consumer. Connection changes are events too, so the
/// health panel and the gap repair react to them like to data.
#[derive(Clone, Debug, PartialEq)]
pub enum MarketEvent {
    /// A trade and the instant its frame arrived (for ingest latency).
    Trade(Trade, Instant),
    /// A venue's connection changed.
    Status(Venue, StreamStatus),
    /// The top of a book (live only; a dashboard asked for it).
    Book(crate::domain::Book),
    /// A perp's derivatives state or a liquidation, checked, sizes in coins.
    Deriv(crate::domain::DerivEvent),
    /// A frame that could not be understood: counted and logged, never fatal.
    Malformed(String),
    /// Scored news, for the alert rules that read it (no market source sends this).
    News(Vec<crate::domain::NewsItem>),
    /// A rule made, changed, disabled or deleted from the dashboard.
    Rule(RuleChange),
    /// The user's portfolio valued, for the rules that read it (a minute apart).
    Portfolio(crate::domain::PortfolioFigures),
    /// A market added while running: its series resume from the store before its first
    /// trade (which would otherwise start them afresh).
    Watch(crate::domain::Symbol),
}

#[derive(Clone, Debug, PartialEq)]
pub enum RuleChange {
    Add(crate::alerts::Rule),
    Remove(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamStatus {
    Connecting {
        attempt: u32,
    },
    Connected,
    /// Lost the connection; the next try is `attempt` (1-based) after `delay`.
    Reconnecting {
        attempt: u32,
        delay: Duration,
        reason: String,
    },
    /// Stopped for good (shutdown requested).
    Stopped,
}
