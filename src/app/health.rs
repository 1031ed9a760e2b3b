//! The health panel's state: the producers' latest snapshot and the activity log, which the
//! panel scrolls while focused.

use super::component::{Component, Outcome};
use super::event::HealthSnapshot;
use super::keymap::Action;
use super::log::ActivityLog;
use super::model::Model;
use super::theme::Level;
use crate::domain::Millis;

#[derive(Default)]
pub struct HealthPanel {
    /// The latest snapshot and when it arrived.
    pub snapshot: Option<(HealthSnapshot, Millis)>,
    pub log: ActivityLog,
    /// Log lines scrolled back from the newest.
    pub log_scroll: usize,
}

impl Component for HealthPanel {
    /// Keys while the panel has the focus: Up/Down scroll the log.
    fn on_action(&mut self, a: Action, _: &Model) -> Outcome {
        let d: isize = match a {
            Action::Up => -1,
            Action::Down => 1,
            _ => return Outcome::Ignored,
        };
        let max = self.log.len().saturating_sub(1) as isize;
        self.log_scroll = (self.log_scroll as isize - d).clamp(0, max) as usize;
        Outcome::Done
    }
}

impl HealthPanel {
    /// The snapshot's age, rated like trades (the producers send one every second or so).
    pub fn age(&self, m: &Model) -> Option<(i64, Level)> {
        let (_, at) = self.snapshot.as_ref()?;
        Some(m.age(*at, m.settings.freshness.trades))
    }

    /// The store's write path as the last snapshot saw it.
    pub fn store_writes(&self) -> Option<&crate::store::WriteStats> {
        self.snapshot.as_ref().map(|(h, _)| &h.store_writes)
    }
}
