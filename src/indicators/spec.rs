//! Indicator names as users write them (`ema:20`, `bbands:20,2`,
//! `vwap:anchor=2024-01-01`), checked against one table of what each
//! indicator takes.

use std::fmt;

use super::params::MAX_PERIOD;

/// The indicators of SPEC §8.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Sma,
    Ema,
    Wma,
    Dema,
    Tema,
    Bbands,
    Rsi,
    Macd,
    Mom,
    Roc,
    Stoch,
    StochRsi,
    Atr,
    Natr,
    Adx,
    Cci,
    Willr,
    Mfi,
    Obv,
    Sar,
    Vwap,
}

/// One parameter: its label in messages, its range, and whether it is a count of bars.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub label: &'static str,
    pub min: f64,
    pub max: f64,
    pub integer: bool,
    pub default: f64,
}

const fn bars(label: &'static str, min: usize, default: usize) -> Param {
    Param {
        label,
        min: min as f64,
        max: MAX_PERIOD as f64,
        integer: true,
        default: default as f64,
    }
}

const fn real(label: &'static str, min: f64, max: f64, default: f64) -> Param {
    Param {
        label,
        min,
        max,
        integer: false,
        default,
    }
}

/// What the registry knows of an indicator.
#[derive(Clone, Copy, Debug)]
pub struct Def {
    pub kind: Kind,
    pub name: &'static str,
    pub params: &'static [Param],
    /// Output names; a single output is reported as a plain list.
    pub outputs: &'static [&'static str],
    /// Drawn on the price chart (same scale as price) rather than in a pane.
    pub overlay: bool,
    pub title: &'static str,
}

const PERIOD_2: &[Param] = &[bars("period", 2, 14)];
const PERIOD_1: &[Param] = &[bars("period", 1, 14)];
const VALUE: &[&str] = &["value"];

/// Every indicator, in the order the menu lists them. Adding one is a
/// kernel plus an entry here and in [`super::registry`].
pub const DEFS: &[Def] = &[
    Def {
        kind: Kind::Sma,
        name: "sma",
        params: &[bars("period", 2, 20)],
        outputs: VALUE,
        overlay: true,
        title: "simple moving average",
    },
    Def {
        kind: Kind::Ema,
        name: "ema",
        params: &[bars("period", 2, 20)],
        outputs: VALUE,
        overlay: true,
        title: "exponential moving average",
    },
    Def {
        kind: Kind::Wma,
        name: "wma",
        params: &[bars("period", 2, 20)],
        outputs: VALUE,
        overlay: true,
        title: "weighted moving average",
    },
    Def {
        kind: Kind::Dema,
        name: "dema",
        params: &[bars("period", 2, 20)],
        outputs: VALUE,
        overlay: true,
        title: "double EMA",
    },
    Def {
        kind: Kind::Tema,
        name: "tema",
        params: &[bars("period", 2, 20)],
        outputs: VALUE,
        overlay: true,
        title: "triple EMA",
    },
    Def {
        kind: Kind::Bbands,
        name: "bbands",
        params: &[bars("period", 2, 20), real("deviations", 0.01, 100.0, 2.0)],
        outputs: &["upper", "middle", "lower"],
        overlay: true,
        title: "Bollinger Bands",
    },
    Def {
        kind: Kind::Rsi,
        name: "rsi",
        params: PERIOD_2,
        outputs: VALUE,
        overlay: false,
        title: "relative strength index",
    },
    Def {
        kind: Kind::Macd,
        name: "macd",
        params: &[
            bars("fast", 2, 12),
            bars("slow", 2, 26),
            bars("signal", 1, 9),
        ],
        outputs: &["macd", "signal", "hist"],
        overlay: false,
        title: "MACD",
    },
    Def {
        kind: Kind::Mom,
        name: "mom",
        params: &[bars("period", 1, 10)],
        outputs: VALUE,
        overlay: false,
        title: "momentum",
    },
    Def {
        kind: Kind::Roc,
        name: "roc",
        params: &[bars("period", 1, 10)],
        outputs: VALUE,
        overlay: false,
        title: "rate of change %",
    },
    Def {
        kind: Kind::Stoch,
        name: "stoch",
        params: &[bars("k", 1, 14), bars("k smoothing", 1, 3), bars("d", 1, 3)],
        outputs: &["k", "d"],
        overlay: false,
        title: "stochastic",
    },
    Def {
        kind: Kind::StochRsi,
        name: "stochrsi",
        params: &[bars("rsi period", 2, 14), bars("k", 1, 14), bars("d", 1, 3)],
        outputs: &["k", "d"],
        overlay: false,
        title: "stochastic RSI",
    },
    Def {
        kind: Kind::Atr,
        name: "atr",
        params: PERIOD_1,
        outputs: VALUE,
        overlay: false,
        title: "average true range",
    },
    Def {
        kind: Kind::Natr,
        name: "natr",
        params: PERIOD_2,
        outputs: VALUE,
        overlay: false,
        title: "normalised ATR %",
    },
    Def {
        kind: Kind::Adx,
        name: "adx",
        params: PERIOD_2,
        outputs: VALUE,
        overlay: false,
        title: "average directional index",
    },
    Def {
        kind: Kind::Cci,
        name: "cci",
        params: PERIOD_2,
        outputs: VALUE,
        overlay: false,
        title: "commodity channel index",
    },
    Def {
        kind: Kind::Willr,
        name: "willr",
        params: PERIOD_2,
        outputs: VALUE,
        overlay: false,
        title: "Williams %R",
    },
    Def {
        kind: Kind::Mfi,
        name: "mfi",
        params: PERIOD_2,
        outputs: VALUE,
        overlay: false,
        title: "money flow index",
    },
    Def {
        kind: Kind::Obv,
        name: "obv",
        params: &[],
        outputs: VALUE,
        overlay: false,
        title: "on-balance volume",
    },
    Def {
        kind: Kind::Sar,
        name: "sar",
        params: &[
            real("acceleration", 0.0001, 1.0, 0.02),
            real("maximum", 0.0001, 1.0, 0.2),
        ],
        outputs: VALUE,
        overlay: true,
        title: "parabolic SAR",
    },
    Def {
        kind: Kind::Vwap,
        name: "vwap",
        params: &[],
        outputs: VALUE,
        overlay: true,
        title: "VWAP (UTC day, or anchor=DATE)",
    },
];

/// A parsed, valid indicator with its parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub kind: Kind,
    /// Parameters in the table's order, defaults filled in.
    pub args: Vec<f64>,
    /// `vwap:anchor=…` as epoch milliseconds.
    pub anchor_ms: Option<i64>,
}

/// Why a name is not an indicator; the message says what would be.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SpecError {
    #[error("unknown indicator {name:?} (known: {known})")]
    Unknown { name: String, known: String },
    #[error("{name} takes {expected} parameter(s) ({labels}), got {got} in {text:?}")]
    Count {
        name: &'static str,
        expected: usize,
        labels: String,
        got: usize,
        text: String,
    },
    #[error("{name} {label} must be {range}, got {value:?}")]
    Range {
        name: &'static str,
        label: &'static str,
        range: String,
        value: String,
    },
    #[error("macd fast period ({fast}) must be below its slow period ({slow})")]
    MacdOrder { fast: usize, slow: usize },
    #[error("sar acceleration ({acceleration}) must not exceed its maximum ({maximum})")]
    SarOrder { acceleration: f64, maximum: f64 },
    #[error("vwap anchor must be a UTC date YYYY-MM-DD or an RFC 3339 time, got {0:?}")]
    Anchor(String),
}

impl Def {
    pub fn of(kind: Kind) -> &'static Def {
        DEFS.iter()
            .find(|d| d.kind == kind)
            .expect("every kind has a definition")
    }

    fn labels(&self) -> String {
        self.params
            .iter()
            .map(|p| p.label)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Param {
    fn range(&self) -> String {
        if self.integer {
            format!("a whole number from {} to {}", self.min, self.max)
        } else {
            format!("a number from {} to {}", self.min, self.max)
        }
    }
}

impl Spec {
    /// Parses `name[:a,b,c]`; missing trailing parameters take TA-Lib's defaults.
    pub fn parse(text: &str) -> Result<Spec, SpecError> {
        let text = text.trim();
        let (name, args) = match text.split_once(':') {
            Some((n, a)) => (n.trim(), Some(a.trim())),
            None => (text, None),
        };
        let lower = name.to_ascii_lowercase();
        let Some(def) = DEFS.iter().find(|d| d.name == lower) else {
            return Err(SpecError::Unknown {
                name: shown(name, 40),
                known: DEFS.iter().map(|d| d.name).collect::<Vec<_>>().join(", "),
            });
        };
        if def.kind == Kind::Vwap {
            return Self::parse_vwap(args);
        }
        let given: Vec<&str> = match args {
            None | Some("") => Vec::new(),
            Some(a) => a.split(',').map(str::trim).collect(),
        };
        if given.len() > def.params.len() {
            return Err(SpecError::Count {
                name: def.name,
                expected: def.params.len(),
                labels: def.labels(),
                got: given.len(),
                text: shown(text, 60),
            });
        }
        let mut values = Vec::with_capacity(def.params.len());
        for (i, param) in def.params.iter().enumerate() {
            let value = match given.get(i) {
                None => param.default,
                Some(raw) => parse_param(def, param, raw)?,
            };
            values.push(value);
        }
        let spec = Spec {
            kind: def.kind,
            args: values,
            anchor_ms: None,
        };
        spec.check_pairs()?;
        Ok(spec)
    }

    fn parse_vwap(args: Option<&str>) -> Result<Spec, SpecError> {
        let anchor_ms = match args {
            None | Some("") => None,
            Some(a) => {
                let Some(date) = a.strip_prefix("anchor=") else {
                    return Err(SpecError::Anchor(shown(a, 40)));
                };
                Some(parse_anchor(date.trim()).ok_or_else(|| SpecError::Anchor(shown(date, 40)))?)
            }
        };
        Ok(Spec {
            kind: Kind::Vwap,
            args: Vec::new(),
            anchor_ms,
        })
    }

    fn check_pairs(&self) -> Result<(), SpecError> {
        match self.kind {
            Kind::Macd if self.period(0) >= self.period(1) => Err(SpecError::MacdOrder {
                fast: self.period(0),
                slow: self.period(1),
            }),
            Kind::Sar if self.args[0] > self.args[1] => Err(SpecError::SarOrder {
                acceleration: self.args[0],
                maximum: self.args[1],
            }),
            _ => Ok(()),
        }
    }

    pub fn def(&self) -> &'static Def {
        Def::of(self.kind)
    }

    /// Parameter `i` as a bar count (the table says which are).
    pub fn period(&self, i: usize) -> usize {
        self.args[i] as usize
    }

    /// The canonical name, which keys the report and the config.
    pub fn name(&self) -> String {
        self.to_string()
    }

    /// How the chart names it: `EMA(20)`, `BB(20,2)`, `MACD(12,26,9)`, `OBV`,
    /// `VWAP(2024-01-01)`.
    pub fn label(&self) -> String {
        let short = match self.kind {
            Kind::Bbands => "BB".to_string(),
            _ => self.def().name.to_ascii_uppercase(),
        };
        let name = self.name();
        match name.split_once(':') {
            Some((_, args)) => {
                let args = args.strip_prefix("anchor=").unwrap_or(args);
                format!("{short}({args})")
            }
            None => short,
        }
    }

    /// The longest of its periods in bars (0 for OBV and VWAP), which bounds
    /// how many earlier candles settle it.
    pub fn longest_period(&self) -> usize {
        self.def()
            .params
            .iter()
            .zip(&self.args)
            .filter(|(p, _)| p.integer)
            .map(|(_, v)| *v as usize)
            .max()
            .unwrap_or(0)
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let def = self.def();
        f.write_str(def.name)?;
        if let Some(ms) = self.anchor_ms {
            let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
            if ms % 86_400_000 == 0 {
                return write!(f, ":anchor={}", t.format("%Y-%m-%d"));
            }
            return write!(f, ":anchor={}", t.format("%Y-%m-%dT%H:%M:%SZ"));
        }
        for (i, v) in self.args.iter().enumerate() {
            f.write_str(if i == 0 { ":" } else { "," })?;
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

/// Untrusted text (a config value) as it may appear in a message.
fn shown(s: &str, max: usize) -> String {
    use crate::domain::text::{clip_bytes, escape_invisible};
    escape_invisible(&clip_bytes(s, max)).into_owned()
}

fn parse_param(def: &Def, p: &Param, raw: &str) -> Result<f64, SpecError> {
    let bad = || SpecError::Range {
        name: def.name,
        label: p.label,
        range: p.range(),
        value: shown(raw, 30),
    };
    let v: f64 = raw.parse().map_err(|_| bad())?;
    let whole = !p.integer || v.fract() == 0.0;
    if !(v.is_finite() && whole && v >= p.min && v <= p.max) {
        return Err(bad());
    }
    Ok(v)
}

fn parse_anchor(s: &str) -> Option<i64> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_labels_and_longest_periods() {
        for (text, label, longest) in [
            ("bbands:20,2", "BB(20,2)", 20),
            ("macd:12,26,9", "MACD(12,26,9)", 26),
            ("obv", "OBV", 0),
            ("sar", "SAR(0.02,0.2)", 0),
            ("vwap:anchor=2024-01-01", "VWAP(2024-01-01)", 0),
            ("stoch:14,3,5", "STOCH(14,3,5)", 14),
        ] {
            let spec = Spec::parse(text).unwrap();
            assert_eq!(
                (spec.label().as_str(), spec.longest_period()),
                (label, longest)
            );
        }
    }

    #[test]
    fn names_round_trip_with_defaults() {
        for (text, canonical) in [
            ("ema:20", "ema:20"),
            ("EMA: 20", "ema:20"),
            ("rsi", "rsi:14"),
            ("bbands:20,2.0", "bbands:20,2"),
            ("bbands:10", "bbands:10,2"),
            ("macd", "macd:12,26,9"),
            ("stoch:14,3,3", "stoch:14,3,3"),
            ("sar", "sar:0.02,0.2"),
            ("obv", "obv"),
            ("vwap", "vwap"),
            ("vwap:anchor=2024-01-01", "vwap:anchor=2024-01-01"),
            (
                "vwap:anchor=2024-01-01T12:00:00Z",
                "vwap:anchor=2024-01-01T12:00:00Z",
            ),
        ] {
            let spec = Spec::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(spec.name(), canonical, "{text}");
            assert_eq!(Spec::parse(canonical).unwrap(), spec);
        }
    }

    #[test]
    fn bad_names_say_what_is_valid() {
        let err = |t: &str| Spec::parse(t).unwrap_err().to_string();
        assert_eq!(
            err("ema:0"),
            "ema period must be a whole number from 2 to 100000, got \"0\""
        );
        assert!(err("sma:1000000000").contains("from 2 to 100000"));
        assert!(err("ema:-5").contains("got \"-5\""));
        assert!(err("ema:2.5").contains("whole number"));
        assert!(err("ema:abc").contains("got \"abc\""));
        assert!(err("ema:NaN").contains("got \"NaN\""));
        assert!(err("foo:3").starts_with("unknown indicator \"foo\" (known: sma, ema"));
        assert!(err("ema:1,2").contains("ema takes 1 parameter(s) (period), got 2"));
        assert!(err("macd:26,12,9").contains("fast period (26) must be below"));
        assert!(err("sar:0.5,0.2").contains("must not exceed"));
        assert!(err("bbands:20,0").contains("deviations must be a number from 0.01"));
        assert!(err("vwap:anchor=yesterday").contains("vwap anchor"));
        assert!(err("vwap:7").contains("vwap anchor"));
        assert!(err("").starts_with("unknown indicator \"\""));
    }
}
