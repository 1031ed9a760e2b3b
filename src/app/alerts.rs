//! The dashboard's side of alerts: the rules made here (stored) and the firings seen this run.

use std::collections::VecDeque;

use crate::alerts::{Firing, Rule};

/// Firings kept for the report and the popup.
pub const MAX_FIRINGS: usize = 50;

#[derive(Clone, Debug, Default)]
pub struct AlertsState {
    /// Rules made from the dashboard (stored), each enabled or not.
    pub user_rules: Vec<(Rule, bool)>,
    /// Alert firings seen this run, newest first (at most [`MAX_FIRINGS`]).
    pub firings: VecDeque<Firing>,
    /// The terminal bell is owed (an alert fired since the last frame).
    pub bell: bool,
}

impl AlertsState {
    /// A firing arrived: keep it, newest first, and owe the bell.
    pub fn fired(&mut self, f: Firing) {
        self.bell = true;
        self.firings.push_front(f);
        self.firings.truncate(MAX_FIRINGS);
    }
}
