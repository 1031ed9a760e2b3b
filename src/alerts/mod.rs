//! Alerts (SPEC §2): rules checked once at start ([`rule`]), a pure engine that turns trades,
//! closed candles, news and the clock into firings ([`engine`]), and the firing itself with its
//! stable id ([`firing`]). Recording a firing in the store before anything is sent is what
//! makes it exactly once; delivery (at least once) is [`deliver`].

pub mod backtest;
pub mod deliver;
pub mod engine;
pub mod rule;
pub mod settings;

pub use crate::domain::{ArmState, Channel, Firing, firing_id};
pub use engine::{Decision, Engine};
pub use rule::{Condition, Repeat, Rule, RuleError};
pub use settings::{AlertSetup, NotifyConfig};
