//! The portfolio conditions (SPEC §6): total P&L, the fall from the peak and the largest
//! position's share, read from each valuation of the user's ledger. A firing names
//! `portfolio` (or `portfolio:ASSET` for a position's share) where others name a market.

use super::{Decision, Engine, Val};
use crate::alerts::rule::{Cmp, Condition};
use crate::domain::{Millis, PortfolioFigures};

impl Engine {
    pub fn on_portfolio(&mut self, f: &PortfolioFigures, now: Millis, out: &mut Vec<Decision>) {
        for i in 0..self.slots.len() {
            let (holds, value, name) = match &self.slots[i].rule.condition {
                Condition::Pnl { cmp, amount } => {
                    let holds = match cmp {
                        Cmp::Above => f.pnl > *amount,
                        Cmp::Below => f.pnl < *amount,
                    };
                    (holds, f.pnl, "portfolio".to_string())
                }
                Condition::Drawdown { pct } => {
                    let Some(d) = f.drawdown_pct else { continue };
                    (d > *pct, d, "portfolio".to_string())
                }
                Condition::PositionPct { pct } => {
                    let Some((asset, share)) = &f.largest else {
                        continue;
                    };
                    (*share > *pct, *share, format!("portfolio:{asset}"))
                }
                _ => continue,
            };
            self.decide_on(i, holds, Val::Num(value), name, f.time, now, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::rule::{Repeat, Rule};
    use crate::domain::{Channel, Timeframe};

    fn rule(name: &str, when: &str, repeat: Repeat) -> Rule {
        Rule {
            name: name.into(),
            symbol: None,
            timeframe: Timeframe::M1,
            when: when.into(),
            condition: Condition::parse(when).unwrap(),
            repeat,
            rearm_secs: 0,
            notify: vec![Channel::Bell],
        }
    }

    /// Each condition on its figure: P&L below a level, the fall from the peak, the largest
    /// share (named by its asset); a rearming rule fires again only after being false.
    #[test]
    fn pnl_drawdown_and_position_share() {
        let rules = vec![
            rule("loss", "pnl < -1000", Repeat::Rearm),
            rule("dd", "drawdown > 10", Repeat::Once),
            rule("heavy", "position_pct > 60", Repeat::Once),
        ];
        let mut e = Engine::new(rules, Default::default(), Vec::new(), Vec::new(), 0);
        let mut out = Vec::new();
        let figures = |t, pnl, dd, share| PortfolioFigures {
            time: t,
            pnl,
            drawdown_pct: dd,
            largest: Some(("BTC".to_string(), share)),
        };
        let fired = |out: &mut Vec<Decision>| -> Vec<(String, String, String)> {
            out.drain(..)
                .filter_map(|d| match d {
                    Decision::Fired(f, _) => Some((f.alert, f.symbol, f.value)),
                    _ => None,
                })
                .collect()
        };
        e.on_portfolio(&figures(1, -500.0, None, 55.0), 1, &mut out);
        assert!(fired(&mut out).is_empty());
        e.on_portfolio(&figures(2, -1500.0, Some(12.5), 61.0), 2, &mut out);
        let names = fired(&mut out);
        assert_eq!(
            names,
            vec![
                ("loss".into(), "portfolio".into(), "-1500".into()),
                ("dd".into(), "portfolio".into(), "12.5".into()),
                ("heavy".into(), "portfolio:BTC".into(), "61".into()),
            ]
        );
        e.on_portfolio(&figures(3, -1600.0, Some(13.0), 62.0), 3, &mut out);
        assert!(fired(&mut out).is_empty(), "still true: no second firing");
        e.on_portfolio(&figures(4, 0.0, Some(1.0), 40.0), 4, &mut out);
        e.on_portfolio(&figures(5, -2000.0, Some(20.0), 70.0), 5, &mut out);
        let again: Vec<String> = fired(&mut out).into_iter().map(|f| f.0).collect();
        assert_eq!(again, vec!["loss"], "only the rearming rule fires again");
    }
}
