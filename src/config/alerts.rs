//! `[[alerts]]`: rules as written, checked and parsed into the engine's rules.

use serde::{Deserialize, Serialize};

use super::Config;
use crate::domain::check::{Invalid, in_range};
use crate::domain::{Symbol, Timeframe};

/// One `[[alerts]]` table as written; [`Config::alert_rules`] checks and parses it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertConfig {
    pub name: String,
    #[serde(default)]
    pub symbol: Option<Symbol>,
    #[serde(default = "default_alert_timeframe")]
    pub timeframe: Timeframe,
    pub when: String,
    #[serde(default = "default_repeat")]
    pub repeat: crate::alerts::Repeat,
    #[serde(default)]
    pub rearm_secs: u64,
    #[serde(default = "default_notify")]
    pub notify: Vec<crate::alerts::Channel>,
}

fn default_alert_timeframe() -> Timeframe {
    Timeframe::M1
}

fn default_repeat() -> crate::alerts::Repeat {
    crate::alerts::Repeat::Once
}

fn default_notify() -> Vec<crate::alerts::Channel> {
    vec![crate::alerts::Channel::Bell]
}

impl Config {
    /// What the alert engine needs of this configuration (its own rules: the `[[alerts]]` that
    /// check; `validate` has refused a config whose rules do not).
    pub fn alert_setup(&self) -> crate::alerts::AlertSetup {
        crate::alerts::AlertSetup {
            rules: self.alert_rules().unwrap_or_default(),
            indicators: self.indicators.params(),
            composites: self.market.composites(),
            series: self.market.series_symbols(),
            basis: self.market.basis.iter().map(|(p, s)| (*p, *s)).collect(),
            portfolio: Some((
                self.portfolio.settings(),
                self.portfolio.snapshot_minutes as crate::domain::Millis * 60_000,
            )),
        }
    }

    /// The `[[alerts]]` rules, checked: unique names, conditions that parse, a series where
    /// the condition needs one, channels that are configured. The error is (key, message).
    pub fn alert_rules(&self) -> Result<Vec<crate::alerts::Rule>, Invalid> {
        use crate::alerts::{Channel, Condition, Rule};
        let mut rules: Vec<Rule> = Vec::new();
        for (i, a) in self.alerts.iter().enumerate() {
            let key = |k: &str| format!("alerts[{i}].{k}");
            let name = a.name.trim();
            if name.is_empty() || name.chars().count() > 100 {
                return Err((key("name"), "needs 1 to 100 characters".into()));
            }
            if rules.iter().any(|r| r.name == name) {
                return Err((key("name"), format!("{name:?} is used twice")));
            }
            let condition = Condition::parse(&a.when).map_err(|e| (key("when"), e.to_string()))?;
            let needs_symbol =
                !matches!(condition, Condition::Sentiment { .. }) && !condition.on_portfolio();
            if condition.on_portfolio() && a.symbol.is_some() {
                return Err((
                    key("symbol"),
                    format!("{:?} is on the whole portfolio: no symbol", a.when),
                ));
            }
            if needs_symbol && a.symbol.is_none() {
                return Err((key("symbol"), format!("{:?} needs a symbol", a.when)));
            }
            if let Condition::Spread { .. } = condition
                && !a
                    .symbol
                    .is_some_and(|s| self.market.composites().iter().any(|c| c.symbol == s))
            {
                return Err((
                    key("symbol"),
                    "spread_bps needs a composite of [market] composites".into(),
                ));
            }
            if condition.on_derivatives() && !a.symbol.is_some_and(|s| s.is_perp()) {
                return Err((
                    key("symbol"),
                    format!(
                        "{:?} needs a perp (binance-perp:, bybit-perp: or okx:…-SWAP)",
                        a.when
                    ),
                ));
            }
            if let (Condition::SpotBasis { .. }, Some(perp)) = (&condition, a.symbol)
                && perp.is_perp()
                && !self.market.basis.contains_key(&perp)
            {
                return Err((
                    key("symbol"),
                    format!(
                        "basis_spot_bps needs a spot market or composite for {perp} in [market] basis"
                    ),
                ));
            }
            in_range(&key("rearm_secs"), a.rearm_secs, 0, 30 * 86_400)?;
            if a.notify.contains(&Channel::Webhook) && self.notify.webhook_url.is_empty() {
                return Err((key("notify"), "webhook needs [notify] webhook_url".into()));
            }
            if a.notify.contains(&Channel::Command) && self.notify.command.is_empty() {
                return Err((key("notify"), "command needs [notify] command".into()));
            }
            let mut notify = a.notify.clone();
            notify.sort();
            notify.dedup();
            rules.push(Rule {
                name: name.to_string(),
                symbol: a.symbol,
                timeframe: a.timeframe,
                when: a.when.trim().to_string(),
                condition,
                repeat: a.repeat,
                rearm_secs: a.rearm_secs,
                notify,
            });
        }
        Ok(rules)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn check(text: &str) -> Result<(), String> {
        Config::parse(text, std::path::Path::new("c.toml"))
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// A basis against spot needs the perp's reference; the perp conditions need a perp.
    #[test]
    fn perp_rules_name_what_they_lack() {
        let market = "[market]\nsymbols = [\"binance-perp:BTCUSDT\", \"coinbase:BTC-USD\"]\n";
        let rule = |symbol: &str, when: &str| {
            format!("\n[[alerts]]\nname = \"r\"\nsymbol = \"{symbol}\"\nwhen = \"{when}\"\n")
        };
        let basis = "basis = { \"binance-perp:BTCUSDT\" = \"coinbase:BTC-USD\" }\n";
        check(&format!(
            "{market}{basis}{}",
            rule("binance-perp:BTCUSDT", "basis_spot_bps > 20")
        ))
        .unwrap();
        let e = check(&format!(
            "{market}{}",
            rule("binance-perp:BTCUSDT", "basis_spot_bps > 20")
        ))
        .unwrap_err();
        assert!(
            e.contains("alerts[0].symbol")
                && e.contains("[market] basis")
                && e.contains("binance-perp:BTCUSDT"),
            "{e}"
        );
        let e = check(&format!(
            "{market}{basis}{}",
            rule("coinbase:BTC-USD", "basis_spot_bps > 20")
        ))
        .unwrap_err();
        assert!(
            e.contains("alerts[0].symbol") && e.contains("needs a perp"),
            "{e}"
        );
    }
}
