//! `[ui]`, `[freshness]` and `[metrics]`: how the program shows itself, how old is too old, and
//! where it is watched from.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::check::{Invalid, in_range, invalid};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// Upper bound on redraws per second; nothing is drawn when nothing changed.
    pub fps: u32,
    pub up_color: String,
    pub down_color: String,
    /// "dark" (for dark backgrounds, the default) or "light".
    pub theme: String,
    /// Key remapping: action name -> list of keys, e.g. `quit = ["q", "ctrl-c"]`.
    pub keys: BTreeMap<String, Vec<String>>,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            fps: 30,
            up_color: "green".into(),
            down_color: "red".into(),
            theme: "dark".into(),
            keys: BTreeMap::new(),
        }
    }
}

impl UiConfig {
    /// `[ui]` as far as the config knows it (the keys and colours are checked by the
    /// dashboard's settings, which own the keymap and the theme).
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.fps == 0 || self.fps > 240 {
            return invalid("ui.fps", "must be between 1 and 240");
        }
        Ok(())
    }
}

/// Age thresholds in seconds: younger than `warning` is good, older than `critical` is critical.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Freshness {
    pub warning: u64,
    pub critical: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FreshnessConfig {
    pub trades: Freshness,
    pub candles: Freshness,
    pub news: Freshness,
}

impl Default for FreshnessConfig {
    fn default() -> Self {
        FreshnessConfig {
            trades: Freshness {
                warning: 10,
                critical: 60,
            },
            candles: Freshness {
                warning: 120,
                critical: 600,
            },
            news: Freshness {
                warning: 600,
                critical: 3600,
            },
        }
    }
}

impl FreshnessConfig {
    /// `[freshness]`: bounded thresholds, warning before critical.
    pub fn validate(&self) -> Result<(), Invalid> {
        for (name, f) in [
            ("trades", self.trades),
            ("candles", self.candles),
            ("news", self.news),
        ] {
            in_range(
                &format!("freshness.{name}.critical"),
                f.critical,
                1,
                2_592_000,
            )?;
            if f.warning > f.critical {
                return Err((
                    format!("freshness.{name}"),
                    "warning must be <= critical".into(),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Loopback address for /metrics and the health probes; empty = off.
    pub listen: String,
}

impl MetricsConfig {
    /// `[metrics]`: off, or a loopback address.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.listen.is_empty() {
            return Ok(());
        }
        match self.listen.parse::<std::net::SocketAddr>() {
            Ok(a) if a.ip().is_loopback() => Ok(()),
            Ok(_) => invalid("metrics.listen", "must be a loopback address"),
            Err(_) => invalid("metrics.listen", "must be an address like 127.0.0.1:9187"),
        }
    }
}
