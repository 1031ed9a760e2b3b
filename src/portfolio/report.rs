//! The `portfolio` section (SPEC §6): each asset's quantity, cost, value and P&L at a time,
//! and the totals, as decimal strings in the portfolio's currency. A holding without a
//! stored price has no value (`null`), never 0, and is named in the totals.

use rust_decimal::Decimal;
use serde::Serialize;

use super::lots::{Book, Holding, Prices};
use crate::domain::Millis;

/// Places amounts are shown to (costs carry at most 12 after a split lot).
const SHOWN_DP: u32 = 12;

/// An amount as the report writes it: to [`SHOWN_DP`] places, no trailing zeros.
pub(super) fn text(d: Decimal) -> String {
    d.round_dp(SHOWN_DP).normalize().to_string()
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PositionReport {
    pub asset: String,
    pub qty: String,
    /// Cost per unit held (`null` with nothing held).
    pub avg_cost: Option<String>,
    pub cost: String,
    /// At the asset's last stored close at or before `at` (`null`: no price stored).
    pub value: Option<String>,
    pub unrealized: Option<String>,
    pub realized: String,
    pub fees: String,
    pub funding: String,
    /// Share of the valued total, in percent.
    pub share_pct: Option<String>,
    /// How the price was found (`ETH -> BTC -> USD`).
    pub price_path: Option<String>,
    /// A perp position: `qty` is signed (a short below zero), `avg_cost` its average entry
    /// price and `cost` its entry value (signed alike) in its quote, `value` and `unrealized`
    /// its open P&L (what it adds to the total), `share_pct` its notional's share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perp: Option<PerpReport>,
}

/// What a perp position adds to its row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PerpReport {
    /// `long`, `short` or `flat`.
    pub side: &'static str,
    /// The quote asset it settles in.
    pub settle: String,
    /// Its last stored close at or before `at`, in the quote (`null`: none stored).
    pub mark: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Totals {
    pub cost: String,
    /// Of the valued holdings only; `unvalued` names the others.
    pub value: String,
    pub unrealized: String,
    pub realized: String,
    pub fees: String,
    pub funding: String,
    pub unvalued: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PortfolioReport {
    pub currency: String,
    pub method: &'static str,
    pub at: Millis,
    pub positions: Vec<PositionReport>,
    pub totals: Totals,
    /// Over the stored history, from daily steps (each figure `null` without enough days).
    pub risk: Option<super::history::Risk>,
    /// The holdings at the end of each day since the ledger's first.
    pub snapshots: Vec<super::history::Snapshot>,
    /// The assets counted as cash (the currency, stablecoins at par): a market quoted in one
    /// of them is priced in the report's currency.
    #[serde(skip)]
    pub cash: Vec<String>,
}

impl PortfolioReport {
    /// The book's holdings valued at `at` (say how each price was found with
    /// [`PortfolioReport::with_paths`]).
    pub fn of(book: &Book, currency: &str, at: Millis, prices: &mut dyn Prices) -> PortfolioReport {
        struct Row<'a> {
            asset: &'a str,
            h: &'a Holding,
            /// Its worth and the cost its P&L is measured from ([`Holding::worth`]).
            worth: Option<(Decimal, Decimal)>,
            value: Option<Decimal>,
            /// A perp's mark and notional in the currency.
            mark: Option<(Decimal, Decimal)>,
        }
        let mut rows: Vec<Row<'_>> = book
            .holdings
            .iter()
            .filter(|(_, h)| {
                !(h.qty().is_zero()
                    && h.realized.is_zero()
                    && h.fees.is_zero()
                    && h.funding.is_zero())
            })
            .map(|(asset, h)| {
                let worth = h.worth(asset, prices, at);
                let mark = h.settle.as_ref().and_then(|settle| {
                    let mark = prices.mark(asset, at)?;
                    let unit = match prices.is_cash(settle) {
                        true => Decimal::ONE,
                        false => prices.value(settle, at)?,
                    };
                    Some((mark, mark.checked_mul(h.qty())?.checked_mul(unit)?.abs()))
                });
                Row {
                    asset,
                    h,
                    worth,
                    value: worth.map(|w| w.0),
                    mark,
                }
            })
            .collect();
        let valued: Decimal = rows.iter().filter_map(|r| r.value).sum();
        // Largest first, the unvalued last.
        rows.sort_by(|a, b| b.value.cmp(&a.value).then(a.asset.cmp(b.asset)));
        let positions = rows
            .iter()
            .map(|r| {
                let (qty, cost) = (r.h.qty(), r.h.cost());
                // A perp's share is its notional's: over 100 % with leverage.
                let exposure = match &r.h.settle {
                    Some(_) => r.mark.map(|m| m.1),
                    None => r.value,
                };
                PositionReport {
                    asset: r.asset.to_string(),
                    qty: text(qty),
                    avg_cost: (!qty.is_zero()).then(|| text(cost / qty)),
                    cost: text(cost),
                    value: r.value.map(text),
                    unrealized: r.worth.map(|(v, c)| text(v - c)),
                    realized: text(r.h.realized),
                    fees: text(r.h.fees),
                    funding: text(r.h.funding),
                    share_pct: exposure
                        .filter(|_| valued > Decimal::ZERO)
                        .map(|v| text((v / valued * Decimal::ONE_HUNDRED).round_dp(2))),
                    price_path: None,
                    perp: r.h.settle.as_ref().map(|settle| PerpReport {
                        side: match qty {
                            q if q > Decimal::ZERO => "long",
                            q if q < Decimal::ZERO => "short",
                            _ => "flat",
                        },
                        settle: settle.clone(),
                        mark: r.mark.map(|m| text(m.0)),
                    }),
                }
            })
            .collect();
        let sum = |f: fn(&Holding) -> Decimal| text(rows.iter().map(|r| f(r.h)).sum());
        let valued_cost: Decimal = rows.iter().filter_map(|r| r.worth).map(|w| w.1).sum();
        PortfolioReport {
            currency: currency.to_string(),
            method: book.method().as_str(),
            at,
            positions,
            totals: Totals {
                // What was paid for what is held: a perp's entry value is not money spent.
                cost: sum(|h| match h.settle {
                    Some(_) => Decimal::ZERO,
                    None => h.cost(),
                }),
                value: text(valued),
                unrealized: text(valued - valued_cost),
                realized: sum(|h| h.realized),
                fees: sum(|h| h.fees),
                funding: sum(|h| h.funding),
                unvalued: rows
                    .iter()
                    .filter(|r| r.value.is_none())
                    .map(|r| r.asset.to_string())
                    .collect(),
            },
            risk: None,
            snapshots: Vec::new(),
            cash: Vec::new(),
        }
    }

    /// The report of a store holding no ledger: nothing held, every total 0.
    pub fn empty(currency: &str, method: super::lots::Method, at: Millis) -> PortfolioReport {
        let zero = || "0".to_string();
        PortfolioReport {
            currency: currency.to_string(),
            method: method.as_str(),
            at,
            positions: Vec::new(),
            totals: Totals {
                cost: zero(),
                value: zero(),
                unrealized: zero(),
                realized: zero(),
                fees: zero(),
                funding: zero(),
                unvalued: Vec::new(),
            },
            risk: None,
            snapshots: Vec::new(),
            cash: Vec::new(),
        }
    }

    /// What the portfolio rules read of it: P&L (realised, unrealised and funding), the
    /// current drawdown (from its risk figures) and the largest position's share.
    pub fn figures(&self) -> crate::domain::PortfolioFigures {
        let num = |s: &str| s.parse::<f64>().unwrap_or(0.0);
        let t = &self.totals;
        crate::domain::PortfolioFigures {
            time: self.at,
            pnl: num(&t.realized) + num(&t.unrealized) + num(&t.funding),
            drawdown_pct: self.risk.as_ref().and_then(|k| k.drawdown_pct),
            largest: self.largest(),
        }
    }

    /// The largest position other than cash, and its share of the valued total in percent
    /// (a portfolio all in cash has none).
    pub fn largest(&self) -> Option<(String, f64)> {
        self.positions
            .iter()
            .filter(|p| !self.cash.contains(&p.asset))
            .filter_map(|p| Some((p.asset.clone(), p.share_pct.as_deref()?.parse().ok()?)))
            .max_by(|a: &(String, f64), b| a.1.total_cmp(&b.1))
    }

    /// Each valued position's price path, from the prices' record.
    pub fn with_paths(mut self, paths: &std::collections::BTreeMap<String, String>) -> Self {
        for p in &mut self.positions {
            if p.value.is_some() {
                p.price_path = paths.get(&p.asset).cloned();
            }
        }
        self
    }

    /// The table `portfolio` prints.
    pub fn table(&self) -> String {
        // As wide as the longest name (a perp's is its market: `binance-perp:BTCUSDT`).
        let w = self
            .positions
            .iter()
            .map(|p| p.asset.chars().count())
            .fold(8, usize::max);
        let mut out = format!(
            "{:<w$} {:>18} {:>14} {:>16} {:>16} {:>16} {:>14} {:>7}\n",
            "asset", "qty", "avg cost", "cost", "value", "unrealized", "realized", "share"
        );
        let dash = "–".to_string();
        for p in &self.positions {
            out.push_str(&format!(
                "{:<w$} {:>18} {:>14} {:>16} {:>16} {:>16} {:>14} {:>7}\n",
                p.asset,
                p.qty,
                p.avg_cost.as_deref().map(short).unwrap_or(dash.clone()),
                short(&p.cost),
                p.value.as_deref().map(short).unwrap_or(dash.clone()),
                p.unrealized.as_deref().map(short).unwrap_or(dash.clone()),
                short(&p.realized),
                p.share_pct
                    .as_ref()
                    .map(|s| format!("{s}%"))
                    .unwrap_or(dash.clone()),
            ));
        }
        let t = &self.totals;
        out.push_str(&format!(
            "total ({}, {}): cost {}, value {}, unrealized {}, realized {}, fees {}, funding {}\n",
            self.currency,
            self.method,
            short(&t.cost),
            short(&t.value),
            short(&t.unrealized),
            short(&t.realized),
            short(&t.fees),
            short(&t.funding)
        ));
        if !t.unvalued.is_empty() {
            out.push_str(&format!(
                "no stored price (not in the value): {} (run `cryptoviz backfill` for a market of each)\n",
                t.unvalued.join(", ")
            ));
        }
        out
    }
}

/// An amount to two places for tables (the JSON keeps every digit).
pub fn short(s: &str) -> String {
    s.parse::<Decimal>()
        .map(|d| d.round_dp(2).to_string())
        .unwrap_or_else(|_| s.to_string())
}
