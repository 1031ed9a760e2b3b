//! `[indicators]`: the chart's overlays and panes by name (SPEC §8), and
//! v2's period keys, which still shape the default chart.

use serde::{Deserialize, Serialize};

use super::Invalid;
use crate::indicators::IndicatorParams;
use crate::indicators::spec::Spec;

/// At most this many overlays and this many panes: more would not fit a
/// terminal's chart and is almost certainly a mistake.
pub const MAX_CHOSEN: usize = 8;

/// v2's seven keys are spelled out here rather than flattened in from
/// [`IndicatorParams`]: serde's `flatten` turns `deny_unknown_fields` off, and a
/// misspelt key must stay an error. [`Self::params`] is the one mapping.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndicatorsConfig {
    pub rsi: usize,
    pub macd_fast: usize,
    pub macd_slow: usize,
    pub macd_signal: usize,
    pub bollinger: usize,
    pub bollinger_k: f64,
    pub momentum: usize,
    /// Drawn on the price chart, in this order. `None`: v2's Bollinger Bands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlays: Option<Vec<String>>,
    /// Stacked under the chart, in this order. `None`: v2's RSI, MACD, momentum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panes: Option<Vec<String>>,
}

impl Default for IndicatorsConfig {
    fn default() -> Self {
        let p = IndicatorParams::default();
        Self {
            rsi: p.rsi,
            macd_fast: p.macd_fast,
            macd_slow: p.macd_slow,
            macd_signal: p.macd_signal,
            bollinger: p.bollinger,
            bollinger_k: p.bollinger_k,
            momentum: p.momentum,
            overlays: None,
            panes: None,
        }
    }
}

impl IndicatorsConfig {
    /// v2's four periods.
    pub fn params(&self) -> IndicatorParams {
        IndicatorParams {
            rsi: self.rsi,
            macd_fast: self.macd_fast,
            macd_slow: self.macd_slow,
            macd_signal: self.macd_signal,
            bollinger: self.bollinger,
            bollinger_k: self.bollinger_k,
            momentum: self.momentum,
        }
    }

    /// The overlays' names as configured, or v2's from its periods.
    fn overlay_names(&self) -> Vec<String> {
        self.overlays
            .clone()
            .unwrap_or_else(|| vec![format!("bbands:{},{}", self.bollinger, self.bollinger_k)])
    }

    fn pane_names(&self) -> Vec<String> {
        self.panes.clone().unwrap_or_else(|| {
            vec![
                format!("rsi:{}", self.rsi),
                format!(
                    "macd:{},{},{}",
                    self.macd_fast, self.macd_slow, self.macd_signal
                ),
                format!("mom:{}", self.momentum),
            ]
        })
    }

    /// The overlays, parsed ([`Self::validate`] has refused a config where one does not parse).
    pub fn overlay_specs(&self) -> Vec<Spec> {
        parse_list("overlays", &self.overlay_names(), true).unwrap_or_default()
    }

    pub fn pane_specs(&self) -> Vec<Spec> {
        parse_list("panes", &self.pane_names(), false).unwrap_or_default()
    }

    /// Overlays then panes: every indicator the chart and the report show.
    pub fn chosen(&self) -> Vec<Spec> {
        let mut all = self.overlay_specs();
        all.extend(self.pane_specs());
        all
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        if let Err(e) = self.params().validate() {
            return Err((format!("indicators.{}", e.field()), e.to_string()));
        }
        parse_list("overlays", &self.overlay_names(), true)?;
        parse_list("panes", &self.pane_names(), false)?;
        Ok(())
    }
}

/// Parses `indicators.<key>`; the error names the entry, what is wrong and what is valid.
pub fn parse_list(key: &str, names: &[String], overlays: bool) -> Result<Vec<Spec>, Invalid> {
    if names.len() > MAX_CHOSEN {
        return Err((
            format!("indicators.{key}"),
            format!("{} entries; at most {MAX_CHOSEN}", names.len()),
        ));
    }
    let mut specs: Vec<Spec> = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let at = format!("indicators.{key}[{i}]");
        let spec = Spec::parse(name).map_err(|e| (at.clone(), e.to_string()))?;
        if spec.def().overlay != overlays {
            let (is, other) = if overlays {
                ("drawn in a pane", "panes")
            } else {
                ("drawn on the price chart", "overlays")
            };
            return Err((at, format!("{spec} is {is}; list it under {other}")));
        }
        if specs.contains(&spec) {
            return Err((at, format!("{spec} is listed twice")));
        }
        specs.push(spec);
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_keep_v2s_chart_and_follow_its_periods() {
        let c = IndicatorsConfig::default();
        let names = |v: Vec<Spec>| v.iter().map(Spec::name).collect::<Vec<_>>();
        assert_eq!(names(c.overlay_specs()), ["bbands:20,2"]);
        assert_eq!(names(c.pane_specs()), ["rsi:14", "macd:12,26,9", "mom:10"]);
        let v2 = IndicatorsConfig {
            rsi: 21,
            bollinger_k: 2.5,
            ..Default::default()
        };
        assert_eq!(names(v2.overlay_specs()), ["bbands:20,2.5"]);
        assert_eq!(names(v2.pane_specs())[0], "rsi:21");
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn errors_name_the_entry_and_the_valid_range() {
        let with = |overlays: &[&str], panes: &[&str]| IndicatorsConfig {
            overlays: Some(overlays.iter().map(|s| s.to_string()).collect()),
            panes: Some(panes.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        };
        let err = with(&["ema:20", "ema:0"], &[]).validate().unwrap_err();
        assert_eq!(err.0, "indicators.overlays[1]");
        assert!(err.1.contains("from 2 to 100000"), "{}", err.1);
        let err = with(&[], &["rsi:14", "sma:1000000000"])
            .validate()
            .unwrap_err();
        assert_eq!(err.0, "indicators.panes[1]");
        let err = with(&["rsi:14"], &[]).validate().unwrap_err();
        assert_eq!(err.1, "rsi:14 is drawn in a pane; list it under panes");
        let err = with(&[], &["ema:20"]).validate().unwrap_err();
        assert_eq!(
            err.1,
            "ema:20 is drawn on the price chart; list it under overlays"
        );
        let err = with(&["ema:20", "ema:20.0"], &[]).validate().unwrap_err();
        assert_eq!(err.1, "ema:20 is listed twice");
        let err = with(&[], &["nope"]).validate().unwrap_err();
        assert!(err.1.starts_with("unknown indicator \"nope\""));
        let many: Vec<String> = (2..12).map(|n| format!("ema:{n}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(
            with(&many, &[])
                .validate()
                .unwrap_err()
                .1
                .contains("at most 8")
        );
        assert_eq!(
            with(&["ema:20", "vwap", "sar"], &["atr:14", "stoch:14,3,3"]).validate(),
            Ok(())
        );
    }
}
