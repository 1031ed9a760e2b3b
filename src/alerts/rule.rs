//! Alert rules: what the user wrote (`[[alerts]]`, SPEC §2) checked and parsed once, so the
//! engine only ever sees well-formed conditions.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::{Channel, Millis, Price, Symbol, Timeframe};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("{0:?}: not a condition cryptoviz knows (see README, Alerts)")]
    Unknown(String),
    #[error("{when:?}: {why}")]
    Bad { when: String, why: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cmp {
    Above,
    Below,
}

impl Cmp {
    /// Comparisons are strict (SPEC §2).
    pub fn holds(self, value: f64, level: f64) -> bool {
        match self {
            Cmp::Above => value > level,
            Cmp::Below => value < level,
        }
    }

    fn sign(self) -> &'static str {
        match self {
            Cmp::Above => ">",
            Cmp::Below => "<",
        }
    }
}

/// A parsed `when`.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// Every trade's price (the live open candle); in backtests each candle's high or low.
    Price {
        cmp: Cmp,
        level: Price,
    },
    /// Percent change of the close over `window` (closed candles).
    Change {
        cmp: Cmp,
        window: Millis,
        pct: f64,
    },
    Rsi {
        cmp: Cmp,
        level: f64,
    },
    /// MACD crossing its signal line between two closed candles.
    MacdCross {
        above: bool,
    },
    /// The close outside a Bollinger band.
    Bollinger {
        above: bool,
    },
    /// A closed candle's volume above `k` times the average of the `n` before it.
    Volume {
        k: f64,
        n: usize,
    },
    /// A news item mentioning the coin, scored below or above `level` (compound).
    Sentiment {
        cmp: Cmp,
        level: f64,
    },
    /// No trade for longer than this.
    Stale {
        secs: u64,
    },
    /// A composite's widest gap between members' last prices.
    Spread {
        bps: f64,
    },
    /// A perp's funding rate, in percent per funding interval (`funding > 0.05`).
    Funding {
        cmp: Cmp,
        pct: f64,
    },
    /// A perp's mark against its index, in basis points.
    Basis {
        cmp: Cmp,
        bps: f64,
    },
    /// A perp's mark against its `[market] basis` spot market or composite (that market's
    /// latest one-minute close), in basis points.
    SpotBasis {
        cmp: Cmp,
        bps: f64,
    },
    /// A perp's open interest change over `window`, in percent.
    OiChange {
        cmp: Cmp,
        pct: f64,
        window: Millis,
    },
    /// The quote value liquidated over `window`, either side.
    Liquidations {
        quote: f64,
        window: Millis,
    },
    /// The portfolio's total P&L (realised and unrealised) in its currency.
    Pnl {
        cmp: Cmp,
        amount: f64,
    },
    /// The portfolio's fall from its peak (on its holdings' own returns), in percent.
    Drawdown {
        pct: f64,
    },
    /// Any asset's share of the valued portfolio, in percent.
    PositionPct {
        pct: f64,
    },
    /// Any indicator of SPEC §8 against a level (`atr:14 > 500`, a state like `rsi > 70`) or
    /// against another indicator (`ema:20 > ema:50`: true on the closed candle where it
    /// crosses, like `macd crosses above signal`).
    Indicator {
        left: Box<Operand>,
        cmp: Cmp,
        right: Box<Operand>,
    },
}

/// One side of an indicator condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// Output `output` of an indicator (`stoch:14,3,3.k` is output 0 of stoch).
    Series {
        spec: crate::indicators::spec::Spec,
        output: usize,
    },
    Level(f64),
}

impl Operand {
    /// `name[:params][.output]`, or a number.
    fn parse(text: &str) -> Result<Operand, String> {
        if let Ok(v) = text.parse::<f64>() {
            return if v.is_finite() {
                Ok(Operand::Level(v))
            } else {
                Err(format!("{text:?} is not a number"))
            };
        }
        use crate::indicators::spec::Spec;
        // The output, if any, follows the last dot (`sar:0.02,0.2` has none).
        let (name, output) = match text.rsplit_once('.') {
            Some((n, o)) if o.chars().all(|c| c.is_ascii_alphabetic()) && !o.is_empty() => {
                (n, Some(o))
            }
            _ => (text, None),
        };
        let spec = Spec::parse(name).map_err(|e| e.to_string())?;
        let outputs = spec.def().outputs;
        let output = match output {
            None if outputs.len() == 1 => 0,
            None => {
                return Err(format!(
                    "{spec} has outputs {}: name one ({spec}.{})",
                    outputs.join(", "),
                    outputs[0]
                ));
            }
            Some(o) => outputs.iter().position(|x| *x == o).ok_or_else(|| {
                format!("{spec} has no output {o:?} (it has {})", outputs.join(", "))
            })?,
        };
        Ok(Operand::Series { spec, output })
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Level(v) => write!(f, "{v}"),
            Operand::Series { spec, output } => {
                let outputs = spec.def().outputs;
                if outputs.len() == 1 {
                    write!(f, "{spec}")
                } else {
                    write!(f, "{spec}.{}", outputs[*output])
                }
            }
        }
    }
}

impl Condition {
    /// Conditions read from closed candles of the rule's timeframe (the others read trades,
    /// news or the clock).
    pub fn on_closed_candles(&self) -> bool {
        matches!(
            self,
            Condition::Change { .. }
                | Condition::Rsi { .. }
                | Condition::MacdCross { .. }
                | Condition::Bollinger { .. }
                | Condition::Volume { .. }
                | Condition::Indicator { .. }
        )
    }

    /// Conditions on a perp's derivatives (funding, basis, open interest, liquidations).
    pub fn on_derivatives(&self) -> bool {
        matches!(
            self,
            Condition::Funding { .. }
                | Condition::Basis { .. }
                | Condition::SpotBasis { .. }
                | Condition::OiChange { .. }
                | Condition::Liquidations { .. }
        )
    }

    /// Conditions on the user's portfolio (P&L, drawdown, position share): no symbol.
    pub fn on_portfolio(&self) -> bool {
        matches!(
            self,
            Condition::Pnl { .. } | Condition::Drawdown { .. } | Condition::PositionPct { .. }
        )
    }

    pub fn parse(when: &str) -> Result<Condition, RuleError> {
        let text = when.trim().to_ascii_lowercase();
        // Spaces around operators, so `price>5` and `price > 5` read alike.
        let spaced = text.replace('>', " > ").replace('<', " < ");
        let t: Vec<&str> = spaced.split_whitespace().collect();
        let bad = |why: &str| RuleError::Bad {
            when: when.to_string(),
            why: why.to_string(),
        };
        let number = |s: &str| -> Result<f64, RuleError> {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(&format!("{s:?} is not a number")))
        };
        let cmp = |s: &str| match s {
            ">" => Ok(Cmp::Above),
            "<" => Ok(Cmp::Below),
            _ => Err(bad("expected > or <")),
        };
        match t.as_slice() {
            ["price", op, x] => {
                let level = Price::parse(x).map_err(|e| bad(&e.to_string()))?;
                if level.raw() <= 0 {
                    return Err(bad("a price level must be positive"));
                }
                Ok(Condition::Price {
                    cmp: cmp(op)?,
                    level,
                })
            }
            [change, op, pct] if change.starts_with("change(") && change.ends_with(')') => {
                let w = &change["change(".len()..change.len() - 1];
                let window = duration_ms(w)
                    .ok_or_else(|| bad(&format!("{w:?} is not a window such as 5m or 1h")))?;
                let pct = pct
                    .strip_suffix('%')
                    .ok_or_else(|| bad("the change needs a % sign"))?;
                Ok(Condition::Change {
                    cmp: cmp(op)?,
                    window,
                    pct: number(pct)?,
                })
            }
            ["rsi", op, x] => Ok(Condition::Rsi {
                cmp: cmp(op)?,
                level: number(x)?,
            }),
            ["macd", "crosses", dir, "signal"] => match *dir {
                "above" => Ok(Condition::MacdCross { above: true }),
                "below" => Ok(Condition::MacdCross { above: false }),
                _ => Err(bad("expected `crosses above` or `crosses below`")),
            },
            ["close", ">", "bollinger.upper"] => Ok(Condition::Bollinger { above: true }),
            ["close", "<", "bollinger.lower"] => Ok(Condition::Bollinger { above: false }),
            ["volume", ">", k, rest @ ..] => {
                // `3 x avg(20)`, `3x avg(20)`.
                let (k, avg) = match (k.strip_suffix('x'), rest) {
                    (Some(k), [avg]) => (k, *avg),
                    (None, ["x", avg]) => (*k, *avg),
                    _ => return Err(bad("expected `volume > K x avg(N)`")),
                };
                let n = avg
                    .strip_prefix("avg(")
                    .and_then(|a| a.strip_suffix(')'))
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|n| (1..=10_000).contains(n))
                    .ok_or_else(|| bad("expected avg(N), N from 1 to 10000"))?;
                Ok(Condition::Volume { k: number(k)?, n })
            }
            ["sentiment", op, x] => {
                let level = number(x)?;
                if !(-1.0..=1.0).contains(&level) {
                    return Err(bad("sentiment runs from -1 to 1"));
                }
                Ok(Condition::Sentiment {
                    cmp: cmp(op)?,
                    level,
                })
            }
            ["stale", ">", s, rest @ ..] => {
                let secs = match (s.strip_suffix('s'), rest) {
                    (Some(n), []) => n,
                    (None, ["s"]) => *s,
                    _ => return Err(bad("expected `stale > S s`")),
                };
                let secs = secs
                    .parse::<u64>()
                    .ok()
                    .filter(|s| (1..=30 * 86_400).contains(s))
                    .ok_or_else(|| bad("seconds from 1 to 2592000"))?;
                Ok(Condition::Stale { secs })
            }
            ["spread_bps", ">", n] => Ok(Condition::Spread { bps: number(n)? }),
            ["funding", op, x] => Ok(Condition::Funding {
                cmp: cmp(op)?,
                pct: number(x)?,
            }),
            ["basis_bps", op, x] => Ok(Condition::Basis {
                cmp: cmp(op)?,
                bps: number(x)?,
            }),
            ["basis_spot_bps", op, x] => Ok(Condition::SpotBasis {
                cmp: cmp(op)?,
                bps: number(x)?,
            }),
            ["oi_change_pct", op, x, "in", rest @ ..] => Ok(Condition::OiChange {
                cmp: cmp(op)?,
                pct: number(x)?,
                window: window_of(rest).ok_or_else(|| bad("expected `in M m`"))?,
            }),
            ["liquidations", ">", q, "in", rest @ ..] => {
                let quote = number(q)?;
                if quote < 0.0 {
                    return Err(bad("a liquidated value is not negative"));
                }
                Ok(Condition::Liquidations {
                    quote,
                    window: window_of(rest).ok_or_else(|| bad("expected `in M m`"))?,
                })
            }
            ["pnl", op, x] => Ok(Condition::Pnl {
                cmp: cmp(op)?,
                amount: number(x)?,
            }),
            ["drawdown", ">", x] => Ok(Condition::Drawdown { pct: number(x)? }),
            ["position_pct", ">", x] => Ok(Condition::PositionPct { pct: number(x)? }),
            [l, op @ (">" | "<"), r] if l.contains(':') || r.contains(':') || is_named(l) => {
                let left = Operand::parse(l).map_err(|e| bad(&e))?;
                let right = Operand::parse(r).map_err(|e| bad(&e))?;
                if matches!(left, Operand::Level(_)) {
                    return Err(bad("put the indicator on the left (`atr:14 > 500`)"));
                }
                Ok(Condition::Indicator {
                    left: Box::new(left),
                    cmp: cmp(op)?,
                    right: Box::new(right),
                })
            }
            _ => Err(RuleError::Unknown(when.to_string())),
        }
    }
}

/// An indicator written without parameters (`obv`, `vwap`, `stoch.k`); v2's `rsi > 70` never
/// gets here, its own arm comes first.
fn is_named(token: &str) -> bool {
    let name = token.split('.').next().unwrap_or(token);
    crate::indicators::spec::DEFS.iter().any(|d| d.name == name)
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Price { cmp, level } => write!(f, "price {} {level}", cmp.sign()),
            Condition::Change { cmp, window, pct } => {
                write!(f, "change({}m) {} {pct}%", window / 60_000, cmp.sign())
            }
            Condition::Rsi { cmp, level } => write!(f, "rsi {} {level}", cmp.sign()),
            Condition::MacdCross { above } => write!(
                f,
                "macd crosses {} signal",
                if *above { "above" } else { "below" }
            ),
            Condition::Bollinger { above: true } => f.write_str("close > bollinger.upper"),
            Condition::Bollinger { above: false } => f.write_str("close < bollinger.lower"),
            Condition::Volume { k, n } => write!(f, "volume > {k} x avg({n})"),
            Condition::Sentiment { cmp, level } => write!(f, "sentiment {} {level}", cmp.sign()),
            Condition::Stale { secs } => write!(f, "stale > {secs} s"),
            Condition::Spread { bps } => write!(f, "spread_bps > {bps}"),
            Condition::Indicator { left, cmp, right } => {
                write!(f, "{left} {} {right}", cmp.sign())
            }
            Condition::Funding { cmp, pct } => write!(f, "funding {} {pct}", cmp.sign()),
            Condition::Basis { cmp, bps } => write!(f, "basis_bps {} {bps}", cmp.sign()),
            Condition::SpotBasis { cmp, bps } => {
                write!(f, "basis_spot_bps {} {bps}", cmp.sign())
            }
            Condition::OiChange { cmp, pct, window } => write!(
                f,
                "oi_change_pct {} {pct} in {} m",
                cmp.sign(),
                window / 60_000
            ),
            Condition::Liquidations { quote, window } => {
                write!(f, "liquidations > {quote} in {} m", window / 60_000)
            }
            Condition::Pnl { cmp, amount } => write!(f, "pnl {} {amount}", cmp.sign()),
            Condition::Drawdown { pct } => write!(f, "drawdown > {pct}"),
            Condition::PositionPct { pct } => write!(f, "position_pct > {pct}"),
        }
    }
}

/// A window written `M m`, `Mm` or `1h` after `in`.
fn window_of(rest: &[&str]) -> Option<Millis> {
    match rest {
        [w] => duration_ms(w),
        [n, unit] => duration_ms(&format!("{n}{unit}")),
        _ => None,
    }
}

/// `5m`, `1h`, `90s`, `2d` in milliseconds.
fn duration_ms(s: &str) -> Option<Millis> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(unit_ms).filter(|ms| *ms <= 366 * 86_400_000)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Repeat {
    Once,
    Rearm,
}

impl Repeat {
    /// The config's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Repeat::Once => "once",
            Repeat::Rearm => "rearm",
        }
    }
}

/// One rule, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub name: String,
    /// The series it watches; `None` for a news rule on any watched coin.
    pub symbol: Option<Symbol>,
    pub timeframe: Timeframe,
    /// As the user wrote it: the firing's `condition`.
    pub when: String,
    pub condition: Condition,
    pub repeat: Repeat,
    pub rearm_secs: u64,
    pub notify: Vec<Channel>,
}

impl Rule {
    /// A rule made from the dashboard, read back from the store and checked again.
    pub fn from_stored(r: &crate::store::StoredRule) -> Result<Rule, RuleError> {
        let bad = |why: String| RuleError::Bad {
            when: r.when.clone(),
            why,
        };
        let symbol = match &r.symbol {
            Some(s) => Some(Symbol::new(s).map_err(|e| bad(e.to_string()))?),
            None => None,
        };
        let repeat = match r.repeat.as_str() {
            "once" => Repeat::Once,
            "rearm" => Repeat::Rearm,
            other => return Err(bad(format!("repeat {other:?}"))),
        };
        let notify = r
            .notify
            .split(',')
            .filter(|c| !c.is_empty())
            .map(|c| Channel::parse(c).ok_or_else(|| bad(format!("channel {c:?}"))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Rule {
            name: r.name.clone(),
            symbol,
            timeframe: Timeframe::parse(&r.timeframe).map_err(|e| bad(e.to_string()))?,
            when: r.when.clone(),
            condition: Condition::parse(&r.when)?,
            repeat,
            rearm_secs: r.rearm_secs,
            notify,
        })
    }

    pub fn to_stored(&self, enabled: bool) -> crate::store::StoredRule {
        crate::store::StoredRule {
            name: self.name.clone(),
            symbol: self.symbol.map(|s| s.to_string()),
            timeframe: self.timeframe.as_str().to_string(),
            when: self.when.clone(),
            repeat: match self.repeat {
                Repeat::Once => "once".into(),
                Repeat::Rearm => "rearm".into(),
            },
            rearm_secs: self.rearm_secs,
            notify: self
                .notify
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(","),
            enabled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Condition {
        Condition::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn every_spec_condition_parses() {
        assert_eq!(
            p("price > 100000"),
            Condition::Price {
                cmp: Cmp::Above,
                level: Price::from_int(100_000)
            }
        );
        assert_eq!(
            p("price<0.5"),
            Condition::Price {
                cmp: Cmp::Below,
                level: Price::parse("0.5").unwrap()
            }
        );
        assert_eq!(
            p("change(5m) > 2%"),
            Condition::Change {
                cmp: Cmp::Above,
                window: 300_000,
                pct: 2.0
            }
        );
        assert_eq!(
            p("change(1h) < -3.5%"),
            Condition::Change {
                cmp: Cmp::Below,
                window: 3_600_000,
                pct: -3.5
            }
        );
        assert_eq!(
            p("RSI > 70"),
            Condition::Rsi {
                cmp: Cmp::Above,
                level: 70.0
            }
        );
        assert_eq!(
            p("macd crosses above signal"),
            Condition::MacdCross { above: true }
        );
        assert_eq!(
            p("macd crosses below signal"),
            Condition::MacdCross { above: false }
        );
        assert_eq!(
            p("close > bollinger.upper"),
            Condition::Bollinger { above: true }
        );
        assert_eq!(
            p("close < bollinger.lower"),
            Condition::Bollinger { above: false }
        );
        assert_eq!(
            p("volume > 3 x avg(20)"),
            Condition::Volume { k: 3.0, n: 20 }
        );
        assert_eq!(
            p("volume > 2.5x avg(10)"),
            Condition::Volume { k: 2.5, n: 10 }
        );
        assert_eq!(
            p("sentiment < -0.5"),
            Condition::Sentiment {
                cmp: Cmp::Below,
                level: -0.5
            }
        );
        assert_eq!(p("stale > 30 s"), Condition::Stale { secs: 30 });
        assert_eq!(p("stale > 30s"), Condition::Stale { secs: 30 });
        assert_eq!(p("spread_bps > 25"), Condition::Spread { bps: 25.0 });
        // The perp conditions, ours beside SPEC §5's, each shown as written.
        for (when, want) in [
            (
                "basis_bps < -30",
                Condition::Basis {
                    cmp: Cmp::Below,
                    bps: -30.0,
                },
            ),
            (
                "basis_spot_bps > 20",
                Condition::SpotBasis {
                    cmp: Cmp::Above,
                    bps: 20.0,
                },
            ),
        ] {
            let c = p(when);
            assert_eq!(c, want);
            assert!(c.on_derivatives());
            assert_eq!(c.to_string(), when);
        }
    }

    #[test]
    fn nonsense_is_refused_with_the_reason() {
        for bad in [
            "price >= 5",
            "price > abc",
            "price > -1",
            "change(5x) > 2%",
            "change(5m) > 2",
            "rsi > nan",
            "macd crosses sideways signal",
            "volume > 3 x avg(0)",
            "sentiment > 2",
            "stale > 0 s",
            "moon > 1",
            "",
        ] {
            assert!(Condition::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn named_indicator_conditions_parse_and_explain_their_mistakes() {
        for (when, shown) in [
            ("ema:20 > ema:50", "ema:20 > ema:50"),
            ("EMA:20<EMA:50", "ema:20 < ema:50"),
            ("atr:14 > 500", "atr:14 > 500"),
            ("stoch:14,3,3.k < 20", "stoch:14,3,3.k < 20"),
            ("obv > 1000", "obv > 1000"),
            ("sar:0.02,0.2 < 5", "sar:0.02,0.2 < 5"),
            ("bbands:20,2.upper < 3", "bbands:20,2.upper < 3"),
        ] {
            let c = Condition::parse(when).unwrap_or_else(|e| panic!("{when}: {e}"));
            assert!(c.on_closed_candles());
            assert_eq!(c.to_string(), shown);
            assert_eq!(Condition::parse(shown).unwrap(), c);
        }
        // v2's own words keep their meaning.
        assert!(matches!(
            Condition::parse("rsi > 70").unwrap(),
            Condition::Rsi { .. }
        ));
        let err = |w: &str| Condition::parse(w).unwrap_err().to_string();
        assert!(err("stoch:14,3,3 < 20").contains("name one (stoch:14,3,3.k)"));
        assert!(err("stoch:14,3,3.x < 20").contains("no output \"x\""));
        assert!(err("ema:0 > 5").contains("from 2 to 100000"));
        assert!(err("500 < atr:14").contains("indicator on the left"));
        assert!(
            err("ema:20 > nan").contains("not a number") || err("ema:20 > nan").contains("unknown")
        );
    }
}
