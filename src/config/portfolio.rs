//! `[portfolio]` (SPEC §6): the currency holdings are valued in, the cost method, accounts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::check::{Invalid, in_range, invalid};
use crate::portfolio::lots::Method;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PortfolioConfig {
    /// What everything is valued in (`USD`).
    pub currency: String,
    /// `fifo`, `lifo`, `hifo` or `average`.
    pub method: String,
    /// USDT and USDC count as USD (when the currency is USD).
    pub stablecoins_at_par: bool,
    /// Account names to the venue each is at.
    pub accounts: BTreeMap<String, String>,
    pub snapshot_minutes: u32,
}

impl Default for PortfolioConfig {
    fn default() -> Self {
        PortfolioConfig {
            currency: "USD".into(),
            method: "fifo".into(),
            stablecoins_at_par: true,
            accounts: BTreeMap::new(),
            snapshot_minutes: 60,
        }
    }
}

impl PortfolioConfig {
    pub fn method(&self) -> Method {
        Method::parse(&self.method).unwrap_or(Method::Fifo)
    }

    pub fn settings(&self) -> crate::portfolio::Settings {
        crate::portfolio::Settings {
            currency: self.currency.to_ascii_uppercase(),
            stablecoins_at_par: self.stablecoins_at_par,
            method: self.method(),
        }
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        if Method::parse(&self.method).is_none() {
            return invalid(
                "portfolio.method",
                "must be \"fifo\", \"lifo\", \"hifo\" or \"average\"",
            );
        }
        let c = &self.currency;
        if c.is_empty() || c.len() > 10 || !c.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return invalid(
                "portfolio.currency",
                "must be an asset code such as \"USD\"",
            );
        }
        in_range(
            "portfolio.snapshot_minutes",
            self.snapshot_minutes.into(),
            1,
            10_080,
        )
    }
}
