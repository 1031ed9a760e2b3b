//! Alerts (SPEC §2): rules checked once at start ([`rule`]), a pure engine that turns trades,
//! closed candles, news and the clock into firings ([`engine`]), and the firing itself with its
//! stable id ([`firing`]). Recording a firing in the store before anything is sent is what
//! makes it exactly once; delivery (at least once) is [`deliver`].

pub mod backtest;
pub mod deliver;
pub mod engine;
pub mod firing;
pub mod rule;

pub use engine::{Decision, Engine};
pub use firing::{ArmState, Firing};
pub use rule::{Channel, Condition, Repeat, Rule, RuleError};
