//! A firing (SPEC §2's JSON, as POSTed, piped and reported), where it goes, and a rule's armed
//! state: what the store keeps of alerts. Rules and the engine are `alerts`'.

use serde::{Deserialize, Serialize};

use super::Millis;

/// One crossing of one rule: recorded once, delivered at least once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Firing {
    /// Stable and unique per firing: derived from the rule, the series and the trigger time,
    /// so whoever decides the same crossing (a restarted collector, a second one on the same
    /// store) names it the same and the store keeps it once.
    pub id: String,
    pub alert: String,
    /// Canonical (`binance:BTCUSDT`).
    pub symbol: String,
    pub condition: String,
    /// The triggering trade's price or the indicator's value, as a decimal string.
    pub value: String,
    /// When the engine decided, RFC 3339 UTC with milliseconds.
    pub at: String,
    /// The time of the trade that made the condition true, or the closed candle's close time.
    pub trigger_time: Millis,
}

impl Firing {
    pub fn new(
        alert: &str,
        symbol: String,
        condition: &str,
        value: String,
        trigger_time: Millis,
        decided_at: Millis,
    ) -> Firing {
        Firing {
            id: firing_id(alert, &symbol, trigger_time),
            alert: alert.to_string(),
            symbol,
            condition: condition.to_string(),
            value,
            at: chrono::DateTime::from_timestamp_millis(decided_at)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            trigger_time,
        }
    }
}

/// 128 bits of two FNV-1a passes, as 32 hex digits: collisions would need two firings of
/// the same rule at the same millisecond on the same series, which the engine never makes.
pub fn firing_id(alert: &str, symbol: &str, trigger_time: Millis) -> String {
    let text = format!("{alert}\u{1f}{symbol}\u{1f}{trigger_time}");
    let fnv = |seed: u64| {
        text.bytes()
            .fold(seed, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x6c62_272e_07bb_0142)
    )
}

/// Whether a rule may fire, and since when its condition has been false (for `rearm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmState {
    pub armed: bool,
    pub false_since: Option<Millis>,
}

impl Default for ArmState {
    /// A rule starts armed.
    fn default() -> Self {
        ArmState {
            armed: true,
            false_since: None,
        }
    }
}

/// Where a firing goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Bell,
    Desktop,
    Webhook,
    Command,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Bell => "bell",
            Channel::Desktop => "desktop",
            Channel::Webhook => "webhook",
            Channel::Command => "command",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        [
            Channel::Bell,
            Channel::Desktop,
            Channel::Webhook,
            Channel::Command,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = firing_id("BTC above 100k", "binance:BTCUSDT", 1_795_355_999_987);
        assert_eq!(
            a,
            firing_id("BTC above 100k", "binance:BTCUSDT", 1_795_355_999_987)
        );
        assert_eq!(a.len(), 32);
        assert_ne!(
            a,
            firing_id("BTC above 100k", "binance:BTCUSDT", 1_795_355_999_988)
        );
        assert_ne!(
            a,
            firing_id("BTC above 100k", "okx:BTC-USDT", 1_795_355_999_987)
        );
        let f = Firing::new(
            "x",
            "binance:BTCUSDT".into(),
            "price > 1",
            "2".into(),
            5,
            1_795_356_000_123,
        );
        assert_eq!(f.at, "2026-11-22T14:00:00.123Z");
        let json = serde_json::to_value(&f).unwrap();
        for k in [
            "id",
            "alert",
            "symbol",
            "condition",
            "value",
            "at",
            "trigger_time",
        ] {
            assert!(json.get(k).is_some(), "{k}");
        }
    }
}
