//! The user's portfolio as the dashboard last valued it. It is asked for soon after the
//! dashboard starts, every [`REVALUE_MS`] after, soon after the store changed under it and
//! whenever the popup opens, so the chart can draw the shown market's average cost and the
//! status bar its unrealised P&L at the live price without opening anything.

use crate::domain::{Millis, Symbol};
use crate::portfolio::report::PortfolioReport;

/// How often the ledger is valued again unasked: quantities and costs change only with an
/// import, and the P&L on screen is worked out from the live price.
pub const REVALUE_MS: Millis = 300_000;

/// The dashboard's first valuation waits this long after it starts.
const START_DELAY_MS: Millis = 2_000;

/// After the store changed under the dashboard (history written, gaps repaired; each venue
/// that connects says so), at most one valuation this often.
const STALE_MS: Millis = 1_000;

#[derive(Clone, Debug, Default)]
pub struct Holdings {
    /// `None` before an answer, `Ok(None)` with no ledger stored, `Err` why it cannot be
    /// valued.
    pub valued: Option<Result<Option<PortfolioReport>, String>>,
    asked_at: Option<Millis>,
    /// The store changed since the last valuation was asked for.
    stale: bool,
}

/// What is held of a market's base asset, its cost per unit in the market's quote.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Position {
    pub qty: f64,
    pub avg_cost: f64,
}

impl Position {
    /// Unrealised P&L at `price`, in the quote, and in percent of the cost.
    pub fn pnl_at(&self, price: f64) -> (f64, Option<f64>) {
        let pnl = self.qty * (price - self.avg_cost);
        // A short's (a perp's, `qty` below zero) on its entry value too.
        let cost = (self.qty * self.avg_cost).abs();
        (pnl, (cost > 0.0).then(|| pnl / cost * 100.0))
    }
}

impl Holdings {
    /// Whether to ask for a valuation now (then it counts as asked). The first comes
    /// [`START_DELAY_MS`] after the first call: the store's one worker serves the first
    /// frame's history before a ledger's replay.
    pub fn due(&mut self, now: Millis) -> bool {
        if self.asked_at.is_none() {
            self.asked_at = Some(now - REVALUE_MS + START_DELAY_MS);
            return false;
        }
        let wait = if self.stale { STALE_MS } else { REVALUE_MS };
        if self.asked_at.is_some_and(|t| now - t < wait) {
            return false;
        }
        self.asked_at = Some(now);
        self.stale = false;
        true
    }

    /// The store changed under the dashboard: value again soon.
    pub fn store_changed(&mut self) {
        self.stale = true;
    }

    /// Asked for out of turn (the popup opened): the next unasked one waits its interval.
    pub fn asked(&mut self, now: Millis) {
        self.asked_at = Some(now);
    }

    pub fn report(&self) -> Option<&PortfolioReport> {
        self.valued.as_ref()?.as_ref().ok()?.as_ref()
    }

    /// The position in `symbol`'s base asset, when its quote is cash to the portfolio (its
    /// currency, or a stablecoin counted at par): a cost in USD is never drawn on a chart in
    /// BTC. On a perp, that perp's own position (a short's `qty` below zero) at its entry.
    pub fn position(&self, symbol: Symbol) -> Option<Position> {
        let r = self.report()?;
        let (base, quote) = crate::portfolio::import::split_market(symbol.as_str())?;
        if !r.cash.contains(&quote) {
            return None;
        }
        let p = match symbol.is_perp() {
            true => {
                let market = symbol.canonical();
                r.positions
                    .iter()
                    .find(|p| p.perp.is_some() && p.asset == market)?
            }
            false => r.positions.iter().find(|p| p.asset == base)?,
        };
        let qty: f64 = p.qty.parse().ok()?;
        let avg_cost: f64 = p.avg_cost.as_deref()?.parse().ok()?;
        let held = qty > 0.0 || (qty < 0.0 && symbol.is_perp());
        held.then_some(Position { qty, avg_cost })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portfolio::report::PositionReport;

    fn report(cash: &[&str]) -> PortfolioReport {
        let pos = |asset: &str, qty: &str, avg: Option<&str>| PositionReport {
            asset: asset.into(),
            qty: qty.into(),
            avg_cost: avg.map(Into::into),
            cost: "0".into(),
            value: None,
            unrealized: None,
            realized: "0".into(),
            fees: "0".into(),
            funding: "0".into(),
            share_pct: None,
            price_path: None,
            perp: None,
        };
        PortfolioReport {
            positions: vec![
                pos("BTC", "0.5", Some("20000")),
                pos("ETH", "0", None),
                pos("SOL", "3", Some("100")),
            ],
            cash: cash.iter().map(|c| c.to_string()).collect(),
            ..PortfolioReport::empty("USD", crate::portfolio::lots::Method::Fifo, 0)
        }
    }

    fn sym(s: &str) -> Symbol {
        Symbol::new(s).unwrap()
    }

    #[test]
    fn a_position_only_where_the_quote_is_cash_and_something_is_held() {
        let h = Holdings {
            valued: Some(Ok(Some(report(&["USD", "USDT"])))),
            ..Default::default()
        };
        let btc = Position {
            qty: 0.5,
            avg_cost: 20000.0,
        };
        assert_eq!(h.position(sym("binance:BTCUSDT")), Some(btc));
        assert_eq!(h.position(sym("coinbase:BTC-USD")), Some(btc));
        assert_eq!(h.position(sym("composite:BTC-USD")), Some(btc));
        assert_eq!(
            h.position(sym("kraken:BTC/EUR")),
            None,
            "EUR is not cash here"
        );
        assert_eq!(
            h.position(sym("binance:SOLBTC")),
            None,
            "a cost in USD on BTC"
        );
        assert_eq!(h.position(sym("binance:ETHUSDT")), None, "nothing held");
        assert_eq!(h.position(sym("binance-perp:BTCUSDT")), None, "a perp");
        assert_eq!(h.position(sym("binance:DOGEUSDT")), None, "never held");
        let at_par_off = Holdings {
            valued: Some(Ok(Some(report(&["USD"])))),
            ..Default::default()
        };
        assert_eq!(at_par_off.position(sym("binance:BTCUSDT")), None);
        assert_eq!(Holdings::default().position(sym("coinbase:BTC-USD")), None);
    }

    #[test]
    fn pnl_at_the_live_price() {
        let p = Position {
            qty: 0.5,
            avg_cost: 20000.0,
        };
        assert_eq!(p.pnl_at(30000.0), (5000.0, Some(50.0)));
        assert_eq!(p.pnl_at(15000.0), (-2500.0, Some(-25.0)));
        let short = Position {
            qty: -0.5,
            avg_cost: 20000.0,
        };
        assert_eq!(short.pnl_at(15000.0), (2500.0, Some(25.0)));
    }

    /// On a perp's chart, that perp's position (short too), not the coin's; never another
    /// venue's perp.
    #[test]
    fn a_perp_chart_shows_its_own_position() {
        let mut r = report(&["USD", "USDT"]);
        r.positions.push(PositionReport {
            asset: "bybit-perp:BTCUSDT".into(),
            qty: "-0.2".into(),
            avg_cost: Some("90000".into()),
            perp: Some(crate::portfolio::report::PerpReport {
                side: "short",
                settle: "USDT".into(),
                mark: None,
            }),
            ..r.positions[0].clone()
        });
        let h = Holdings {
            valued: Some(Ok(Some(r))),
            ..Default::default()
        };
        assert_eq!(
            h.position(sym("bybit-perp:BTCUSDT")),
            Some(Position {
                qty: -0.2,
                avg_cost: 90000.0
            })
        );
        assert_eq!(h.position(sym("binance-perp:BTCUSDT")), None);
        assert_eq!(h.position(sym("binance:BTCUSDT")).map(|p| p.qty), Some(0.5));
    }

    #[test]
    fn asked_at_start_then_every_interval() {
        let mut h = Holdings::default();
        assert!(!h.due(1_000), "not before the first frame's history");
        assert!(!h.due(1_000 + START_DELAY_MS - 1));
        assert!(h.due(1_000 + START_DELAY_MS));
        assert!(!h.due(1_000 + START_DELAY_MS + REVALUE_MS - 1));
        assert!(h.due(1_000 + START_DELAY_MS + REVALUE_MS));
        h.asked(2 * REVALUE_MS);
        assert!(!h.due(2 * REVALUE_MS + 1));
        // Seven venues connecting say the store changed seven times: one valuation.
        for _ in 0..7 {
            h.store_changed();
        }
        assert!(h.due(2 * REVALUE_MS + STALE_MS));
        h.store_changed();
        assert!(!h.due(2 * REVALUE_MS + STALE_MS + 10));
        assert!(h.due(2 * REVALUE_MS + 2 * STALE_MS));
        assert!(
            !h.due(2 * REVALUE_MS + 3 * STALE_MS),
            "not stale: the interval again"
        );
    }
}
