//! The health panel's state: the producers' latest snapshot and the activity log, which the
//! panel scrolls while focused.

use super::event::HealthSnapshot;
use super::keymap::Action;
use super::log::ActivityLog;
use crate::domain::Millis;

#[derive(Default)]
pub struct HealthPanel {
    /// The latest snapshot and when it arrived.
    pub snapshot: Option<(HealthSnapshot, Millis)>,
    pub log: ActivityLog,
    /// Log lines scrolled back from the newest.
    pub log_scroll: usize,
}

impl HealthPanel {
    /// Keys while the panel has the focus: Up/Down scroll the log. False when not its key.
    pub fn on_action(&mut self, a: Action) -> bool {
        let d: isize = match a {
            Action::Up => -1,
            Action::Down => 1,
            _ => return false,
        };
        let max = self.log.len().saturating_sub(1) as isize;
        self.log_scroll = (self.log_scroll as isize - d).clamp(0, max) as usize;
        true
    }
}
