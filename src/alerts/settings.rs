//! `[notify]`: where firings go besides the bell.

use serde::{Deserialize, Serialize};

use crate::domain::check::{Invalid, in_range, invalid, is_http_url};
use crate::domain::{Composite, Symbol};
use crate::indicators::IndicatorParams;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    /// Each firing is POSTed here as JSON (`Idempotency-Key: <id>`); empty = no webhook.
    pub webhook_url: String,
    /// argv run for each firing (no shell), the firing as JSON on stdin; empty = none.
    pub command: Vec<String>,
    /// A webhook call or a command longer than this fails (the command is killed).
    pub timeout_secs: u64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            webhook_url: String::new(),
            command: Vec::new(),
            timeout_secs: 10,
        }
    }
}

impl NotifyConfig {
    /// `[notify]`: a web URL for the webhook, a bounded timeout.
    pub fn validate(&self) -> Result<(), Invalid> {
        in_range("notify.timeout_secs", self.timeout_secs, 1, 600)?;
        if !self.webhook_url.is_empty() && !is_http_url(&self.webhook_url) {
            return invalid("notify.webhook_url", "must start with http:// or https://");
        }
        Ok(())
    }
}

/// What the engine needs of the configuration, built by it (`Config::alert_setup`): the
/// `[[alerts]]` rules, the indicators' periods, the composites, every series kept, the
/// perps' spot references (`[market] basis`, perp first) and, for `alerts test`, how the
/// portfolio is valued and the step its rules are replayed at (`[portfolio]`).
#[derive(Clone, Debug, Default)]
pub struct AlertSetup {
    pub rules: Vec<super::Rule>,
    pub indicators: IndicatorParams,
    pub composites: Vec<Composite>,
    pub series: Vec<Symbol>,
    pub basis: Vec<(Symbol, Symbol)>,
    pub portfolio: Option<(crate::portfolio::Settings, crate::domain::Millis)>,
}
