//! The portfolio over time: the ledger replayed step by step and valued at each step's end
//! (`portfolio history`, the report's `snapshots`), and the risk figures read from it. Returns
//! are the holdings' own: each step's change in value of what was held at the step before,
//! so deposits and withdrawals are not gains.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use super::lots::{Book, LotError, Method, Prices};
use super::report::text;
use crate::domain::{Entry, Millis};

const DAY: Millis = 86_400_000;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    pub time: Millis,
    /// The valued holdings (cash included) at `time`.
    pub equity: String,
    pub realized: String,
    pub unrealized: String,
    /// Holdings without a price then (not in `equity`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unvalued: Vec<String>,
}

impl Snapshot {
    /// As the store keeps it.
    pub fn row(&self) -> crate::store::ledger::SnapshotRow {
        crate::store::ledger::SnapshotRow {
            time: self.time,
            equity: self.equity.clone(),
            realized: self.realized.clone(),
            unrealized: self.unrealized.clone(),
            unvalued: self.unvalued.join(","),
        }
    }

    /// A kept one.
    pub fn of_row(r: &crate::store::ledger::SnapshotRow) -> Snapshot {
        Snapshot {
            time: r.time,
            equity: r.equity.clone(),
            realized: r.realized.clone(),
            unrealized: r.unrealized.clone(),
            unvalued: r
                .unvalued
                .split(',')
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }
}

/// What the risk figures are read from: each step's return and the BTC return beside it.
#[derive(Clone, Debug, Default)]
pub struct Series {
    pub snapshots: Vec<Snapshot>,
    /// (return of the holdings, BTC's return) per step after the first, where both are known.
    pub returns: Vec<(f64, Option<f64>)>,
    pub last_equity: f64,
}

/// The holdings' value at `at`: (valued total, cost of the valued, the unvalued).
fn value(book: &Book, prices: &mut dyn Prices, at: Millis) -> (Decimal, Decimal, Vec<String>) {
    let (mut total, mut cost, mut unvalued) = (Decimal::ZERO, Decimal::ZERO, Vec::new());
    for (asset, h) in &book.holdings {
        if h.qty().is_zero() {
            continue;
        }
        match h.worth(asset, prices, at) {
            Some((v, c)) => {
                total += v;
                cost += c;
            }
            None => unvalued.push(asset.clone()),
        }
    }
    (total, cost, unvalued)
}

/// The ledger at each of `from`, `from + step`, … and at `to`, and the book as it stands at
/// `to` (every row up to then applied).
pub fn replay(
    method: Method,
    mut entries: Vec<Entry>,
    prices: &mut dyn Prices,
    from: Millis,
    to: Millis,
    step: Millis,
) -> Result<(Series, Book), LotError> {
    super::lots::replay_order(&mut entries);
    let mut book = Book::new(method);
    let mut next = entries.iter().peekable();
    let mut out = Series::default();
    let mut prev: Option<Millis> = None;
    let mut t = from;
    loop {
        if let Some(r) = prev.and_then(|pt| step_return(&book, prices, pt, t)) {
            out.returns.push(r);
        }
        while let Some(e) = next.next_if(|e| e.time <= t) {
            book.apply(e, prices)?;
        }
        let (equity, cost, unvalued) = value(&book, prices, t);
        let realized: Decimal = book.holdings.values().map(|h| h.realized).sum();
        out.snapshots.push(Snapshot {
            time: t,
            equity: text(equity),
            realized: text(realized),
            unrealized: text(equity - cost),
            unvalued,
        });
        out.last_equity = equity.to_f64().unwrap_or(0.0);
        prev = Some(t);
        if t >= to {
            break;
        }
        // The last step ends at `to` itself.
        t = (t + step).min(to);
    }
    Ok((out, book))
}

/// The return from `pt` to `t` of what `book` holds, over the assets priced at both, and
/// BTC's beside it (`None`: nothing valued at `pt`).
fn step_return(
    book: &Book,
    prices: &mut dyn Prices,
    pt: Millis,
    t: Millis,
) -> Option<(f64, Option<f64>)> {
    let (mut then, mut now) = (Decimal::ZERO, Decimal::ZERO);
    for (asset, h) in &book.holdings {
        if h.qty().is_zero() {
            continue;
        }
        if let (Some(a), Some(b)) = (h.worth(asset, prices, pt), h.worth(asset, prices, t)) {
            then += a.0;
            now += b.0;
        }
    }
    if then <= Decimal::ZERO {
        return None;
    }
    let r = (now / then - Decimal::ONE).to_f64().unwrap_or(0.0);
    let btc = match (prices.value("BTC", pt), prices.value("BTC", t)) {
        (Some(a), Some(b)) if a > Decimal::ZERO => (b / a - Decimal::ONE).to_f64(),
        _ => None,
    };
    Some((r, btc))
}

/// What the portfolio rules read at each of `times` (ascending), as a valuation at that
/// time gives it ([`super::report::PortfolioReport::figures`] of
/// [`super::value_ledger`]), in one pass: the book valued then, and the drawdown of the
/// holdings' daily return index from the ledger's first day end to the last before then,
/// and on to then.
pub fn figures(
    method: Method,
    mut entries: Vec<Entry>,
    currency: &str,
    cash: &[String],
    prices: &mut dyn Prices,
    times: &[Millis],
) -> Result<Vec<crate::domain::PortfolioFigures>, LotError> {
    super::lots::replay_order(&mut entries);
    let Some(&last) = times.last() else {
        return Ok(Vec::new());
    };
    let Some((first_day, _)) = daily(&entries, last) else {
        return Ok(Vec::new());
    };
    let mut book = Book::new(method);
    let mut next = entries.iter().peekable();
    // The index at the last day end, its peak, the returns in it, and the book then.
    let (mut index, mut peak, mut returns) = (1.0f64, 1.0f64, 0usize);
    let mut day_end: Option<(Millis, Book)> = None;
    let mut day = first_day;
    let mut out = Vec::with_capacity(times.len());
    for &t in times {
        // Every day end up to `t`, as a valuation's daily steps see them.
        while day <= t {
            if let Some((pd, held)) = &day_end
                && let Some((r, _)) = step_return(held, prices, *pd, day)
            {
                index *= 1.0 + r;
                peak = peak.max(index);
                returns += 1;
            }
            while let Some(e) = next.next_if(|e| e.time <= day) {
                book.apply(e, prices)?;
            }
            day_end = Some((day, book.clone()));
            day += DAY;
        }
        while let Some(e) = next.next_if(|e| e.time <= t) {
            book.apply(e, prices)?;
        }
        // The part of the day since its last end, unless `t` is one.
        let (mut i, mut p, mut n) = (index, peak, returns);
        if let Some((pd, held)) = &day_end
            && *pd < t
            && let Some((r, _)) = step_return(held, prices, *pd, t)
        {
            i *= 1.0 + r;
            p = p.max(i);
            n += 1;
        }
        let mut r = super::report::PortfolioReport::of(&book, currency, t, prices);
        r.cash = cash.to_vec();
        let mut f = r.figures();
        f.drawdown_pct = (n > 0).then(|| round((p - i) / p * 100.0, 2));
        out.push(f);
    }
    Ok(out)
}

/// Risk over the stored history (SPEC §6), from daily steps; a figure needs enough returns
/// (`null` otherwise).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Risk {
    /// Daily returns the figures read.
    pub days: usize,
    /// Of the last 30 daily returns, annualised (x sqrt 365), in percent.
    pub volatility_30d_pct: Option<f64>,
    /// The deepest fall of the holdings' value index from a peak, in percent.
    pub max_drawdown_pct: Option<f64>,
    /// Its fall from its peak now, in percent.
    pub drawdown_pct: Option<f64>,
    /// The one-day loss exceeded on 5 % of days (historical), in the currency.
    pub var_95_1d: Option<f64>,
    pub beta_btc: Option<f64>,
    pub correlation_btc: Option<f64>,
    /// The largest position's share of the valued total, in percent.
    pub largest_position_pct: Option<f64>,
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn stdev(v: &[f64]) -> Option<f64> {
    (v.len() >= 2).then(|| {
        let m = mean(v);
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
    })
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

impl Risk {
    /// From a daily [`Series`] and the largest position's share.
    pub fn of(s: &Series, largest_position_pct: Option<f64>) -> Risk {
        let r: Vec<f64> = s.returns.iter().map(|(r, _)| *r).collect();
        let last30 = &r[r.len().saturating_sub(30)..];
        let volatility = (last30.len() >= 10)
            .then(|| stdev(last30))
            .flatten()
            .map(|sd| round(sd * 365f64.sqrt() * 100.0, 2));
        let mut index: f64 = 1.0;
        let (mut peak, mut deepest) = (1.0f64, 0.0f64);
        for x in &r {
            index *= 1.0 + x;
            peak = peak.max(index);
            deepest = deepest.max((peak - index) / peak);
        }
        let var = (r.len() >= 20).then(|| {
            let mut sorted = r.clone();
            sorted.sort_by(f64::total_cmp);
            let q = sorted[((sorted.len() as f64) * 0.05).floor() as usize];
            round((-q).max(0.0) * s.last_equity, 2)
        });
        let pairs: Vec<(f64, f64)> = s
            .returns
            .iter()
            .filter_map(|(p, b)| Some((*p, (*b)?)))
            .collect();
        let (beta, corr) = if pairs.len() >= 10 {
            let (ps, bs): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
            let (mp, mb) = (mean(&ps), mean(&bs));
            let cov = pairs.iter().map(|(p, b)| (p - mp) * (b - mb)).sum::<f64>()
                / (pairs.len() - 1) as f64;
            let (sp, sb) = (stdev(&ps).unwrap_or(0.0), stdev(&bs).unwrap_or(0.0));
            (
                (sb > 0.0).then(|| round(cov / (sb * sb), 3)),
                (sp > 0.0 && sb > 0.0).then(|| round(cov / (sp * sb), 3)),
            )
        } else {
            (None, None)
        };
        Risk {
            days: r.len(),
            volatility_30d_pct: volatility,
            max_drawdown_pct: (!r.is_empty()).then(|| round(deepest * 100.0, 2)),
            drawdown_pct: (!r.is_empty()).then(|| round((peak - index) / peak * 100.0, 2)),
            var_95_1d: var,
            beta_btc: beta,
            correlation_btc: corr,
            largest_position_pct,
        }
    }
}

/// Daily steps from the first ledger day to `at`'s day.
pub fn daily(entries: &[Entry], at: Millis) -> Option<(Millis, Millis)> {
    let first = entries.iter().map(|e| e.time).min()?;
    let start = first.div_euclid(DAY) * DAY + DAY - 1;
    Some((start.min(at), at))
}

#[cfg(test)]
mod tests {
    use super::super::report::PortfolioReport;
    use super::*;
    use crate::domain::EntryKind;
    use std::str::FromStr;

    /// BTC at 100, 110, 99 on three days; USD is cash.
    struct Days;

    impl Prices for Days {
        fn is_cash(&self, asset: &str) -> bool {
            asset == "USD"
        }
        fn value(&mut self, asset: &str, at: Millis) -> Option<Decimal> {
            (asset == "BTC").then(|| Decimal::from([100, 110, 99][(at / DAY).min(2) as usize]))
        }
        fn mark(&mut self, _market: &str, _at: Millis) -> Option<Decimal> {
            None
        }
    }

    /// A deposit of cash on day 1 is not a gain; the coin's moves are the returns.
    #[test]
    fn returns_are_the_holdings_own_not_the_deposits() {
        let e = |t: Millis, kind, asset: &str, qty: &str, price: Option<&str>| Entry {
            time: t,
            venue: "x".into(),
            account: String::new(),
            kind,
            asset: asset.into(),
            quote: None,
            qty: Decimal::from_str(qty).unwrap(),
            price: price.map(|p| Decimal::from_str(p).unwrap()),
            fee: None,
            id: None,
        };
        let ledger = vec![
            e(0, EntryKind::Deposit, "BTC", "1", Some("100")),
            e(DAY + 1, EntryKind::Deposit, "USD", "1000", None),
        ];
        let (s, _) = replay(Method::Fifo, ledger, &mut Days, DAY - 1, 3 * DAY - 1, DAY).unwrap();
        let eq: Vec<&str> = s.snapshots.iter().map(|x| x.equity.as_str()).collect();
        assert_eq!(eq, ["100", "1110", "1099"]);
        let r: Vec<f64> = s.returns.iter().map(|x| x.0).collect();
        assert_eq!(r.len(), 2);
        assert!((r[0] - 0.1).abs() < 1e-12, "{r:?}");
        // Day 3: 1 BTC from 110 to 99 and 1000 of cash: -11 on 1110.
        assert!((r[1] - (-11.0 / 1110.0)).abs() < 1e-12, "{r:?}");
    }

    #[test]
    fn risk_figures_by_hand() {
        // Up 10 %, down 20 %, up 25 %: the index goes 1.1, 0.88, 1.1; the deepest fall is 20 %.
        let s = Series {
            snapshots: Vec::new(),
            returns: vec![(0.1, Some(0.05)), (-0.2, Some(-0.1)), (0.25, Some(0.125))],
            last_equity: 1000.0,
        };
        let r = Risk::of(&s, Some(60.0));
        assert_eq!(r.max_drawdown_pct, Some(20.0));
        assert_eq!(r.drawdown_pct, Some(0.0), "back at the peak");
        assert_eq!(r.days, 3);
        assert_eq!(r.volatility_30d_pct, None, "too few days");
        assert_eq!(r.var_95_1d, None);
        // Exactly twice BTC's moves: beta 2, correlation 1 (once there are ten days).
        let s = Series {
            returns: (0..20)
                .map(|i| {
                    let b = ((i * 7 % 11) as f64 - 5.0) / 100.0;
                    (2.0 * b, Some(b))
                })
                .collect(),
            ..s
        };
        let r = Risk::of(&s, None);
        assert_eq!((r.beta_btc, r.correlation_btc), (Some(2.0), Some(1.0)));
        // The worst of 20 days (5 % of them) is -10 %: 100 of 1000 at risk.
        assert_eq!(r.var_95_1d, Some(100.0));
        assert!(r.volatility_30d_pct.unwrap() > 0.0);
    }

    /// BTC moving hour by hour (up, a fall through days 3 and 4, up again), a perp marked
    /// beside it; USD is cash.
    struct Hours;

    impl Prices for Hours {
        fn is_cash(&self, asset: &str) -> bool {
            asset == "USD"
        }
        fn value(&mut self, asset: &str, at: Millis) -> Option<Decimal> {
            let h = at.div_euclid(3_600_000);
            let trend = match h / 24 {
                0 | 1 => h * 3,
                2 | 3 => 144 - (h - 48) * 4,
                _ => (h - 96) * 2 - 48,
            };
            (asset == "BTC").then(|| Decimal::from(1000 + trend + (h * 7 % 5)))
        }
        fn mark(&mut self, market: &str, at: Millis) -> Option<Decimal> {
            (market == "bybit-perp:BTCUSDT").then(|| self.value("BTC", at).unwrap() + Decimal::TWO)
        }
    }

    /// The one-pass figures equal, at every time, what a valuation then gives (the ledger up
    /// to then replayed by day, valued, its risk read): mid-day, on day ends, before the
    /// first row, with rows between the times.
    #[test]
    fn the_replayed_figures_are_each_times_valuation() {
        use crate::domain::EntryKind::*;
        let e =
            |t: Millis, kind, asset: &str, quote: Option<&str>, qty: &str, price: Option<&str>| {
                Entry {
                    time: t,
                    venue: "x".into(),
                    account: String::new(),
                    kind,
                    asset: asset.into(),
                    quote: quote.map(Into::into),
                    qty: Decimal::from_str(qty).unwrap(),
                    price: price.map(|p| Decimal::from_str(p).unwrap()),
                    fee: None,
                    id: None,
                }
            };
        let hour = 3_600_000;
        let ledger = vec![
            e(5 * hour, Deposit, "USD", None, "5000", None),
            e(6 * hour, Buy, "BTC", Some("USD"), "2", Some("1010")),
            e(
                30 * hour,
                Buy,
                "bybit-perp:BTCUSDT",
                Some("USD"),
                "1",
                Some("1090"),
            ),
            e(70 * hour, Sell, "BTC", Some("USD"), "0.5", Some("1040")),
            e(
                90 * hour + 1,
                Sell,
                "bybit-perp:BTCUSDT",
                Some("USD"),
                "1",
                Some("980"),
            ),
        ];
        let times: Vec<Millis> = (0..130)
            .map(|i| i * hour + (i % 3) * 1_000)
            .chain([DAY - 1, 4 * DAY - 1])
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let cash = ["USD".to_string()];
        let fast = figures(
            Method::Fifo,
            ledger.clone(),
            "USD",
            &cash,
            &mut Hours,
            &times,
        )
        .unwrap();
        for (t, got) in times.iter().zip(&fast) {
            let mut upto = ledger.clone();
            upto.retain(|x| x.time <= *t);
            let want = match daily(&upto, *t) {
                None => PortfolioReport::of(&Book::new(Method::Fifo), "USD", *t, &mut Hours),
                Some((from, to)) => {
                    let (days, book) =
                        replay(Method::Fifo, upto, &mut Hours, from, to, DAY).unwrap();
                    let mut r = PortfolioReport::of(&book, "USD", *t, &mut Hours);
                    r.risk = Some(Risk::of(&days, None));
                    r
                }
            };
            let want = PortfolioReport {
                cash: cash.to_vec(),
                ..want
            }
            .figures();
            assert_eq!(*got, want, "at hour {}", t / hour);
        }
        // The fall is seen: days 3 and 4 go below the peak.
        assert!(fast.iter().any(|f| f.drawdown_pct.is_some_and(|d| d > 5.0)));
        assert!(
            fast.iter()
                .all(|f| f.largest.is_some() == (f.time >= 6 * hour))
        );
        // The largest position is a coin's or the perp's, never the cash's.
        assert!(
            fast.iter()
                .any(|f| f.largest.as_ref().is_some_and(|l| l.0 == "BTC"))
        );
    }
}
