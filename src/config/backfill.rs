//! `[backfill]`: how far back history is repaired and how much of a venue's budget it takes.

use serde::{Deserialize, Serialize};

use crate::domain::check::{Invalid, in_range, invalid};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackfillConfig {
    pub days: u32,
    pub gap_threshold_secs: u64,
    /// Share of each venue's request budget (Binance: 6,000 weight a minute) cryptoviz allows itself.
    pub weight_share: f64,
}

impl Default for BackfillConfig {
    fn default() -> Self {
        BackfillConfig {
            days: 30,
            gap_threshold_secs: 120,
            weight_share: 0.5,
        }
    }
}

impl BackfillConfig {
    /// `[backfill]`: bounded history and gap, a share of the venue's budget.
    pub fn validate(&self) -> Result<(), Invalid> {
        in_range("backfill.days", self.days.into(), 1, 5_000)?;
        in_range(
            "backfill.gap_threshold_secs",
            self.gap_threshold_secs,
            1,
            604_800,
        )?;
        if !(self.weight_share > 0.0 && self.weight_share <= 1.0) {
            return invalid("backfill.weight_share", "must be in (0, 1]");
        }
        Ok(())
    }
}
