//! The demo's made-up ledger: a deposit of USDT, a few trades of BTC and ETH and a short on
//! Binance's BTC perp (with a funding payment) at the simulated market's own prices during its
//! history, so `P`, `portfolio` and a perp's chart have something to show offline. No one's
//! real history.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::domain::{Entry, EntryKind, Millis, Symbol};

/// The perp the demo trader shorts.
const PERP: &str = "binance-perp:BTCUSDT";

/// (hours into the history, side, asset or perp market, quantity): what the demo trader did.
const TRADES: [(i64, EntryKind, &str, &str); 8] = [
    (2, EntryKind::Buy, "BTC", "0.5"),
    (6, EntryKind::Buy, "ETH", "4"),
    (8, EntryKind::Sell, PERP, "0.3"),
    (12, EntryKind::Sell, "BTC", "0.2"),
    (14, EntryKind::Buy, PERP, "0.1"),
    (16, EntryKind::Buy, "BTC", "0.15"),
    (17, EntryKind::Funding, PERP, "-3.5"),
    (20, EntryKind::Sell, "ETH", "1.5"),
];

/// The hours at which the demo needs its market's prices.
pub fn hours() -> impl Iterator<Item = i64> {
    TRADES.iter().map(|t| t.0)
}

/// The ledger, from the prices the simulated market had at each hour after `start`.
pub fn made_up(start: Millis, prices: &[(i64, Vec<(Symbol, f64)>)]) -> Vec<Entry> {
    let d = |s: &str| Decimal::from_str(s).unwrap_or_default();
    let entry = |time, kind, asset: &str, quote: Option<&str>, qty, price, id: String| Entry {
        time,
        venue: "demo".into(),
        account: String::new(),
        kind,
        asset: asset.into(),
        quote: quote.map(Into::into),
        qty,
        price,
        fee: None,
        id: Some(id),
    };
    let mut out = vec![entry(
        start,
        EntryKind::Deposit,
        "USDT",
        None,
        d("100000"),
        None,
        "deposit".into(),
    )];
    for (i, (hour, kind, asset, qty)) in TRADES.iter().enumerate() {
        let time = start + hour * 3_600_000 + 60_000;
        if *kind == EntryKind::Funding {
            // Only on a position the demo opened (its perp simulated).
            if out.iter().any(|e| e.asset == *asset) {
                let id = format!("funding{i}");
                out.push(entry(time, *kind, asset, None, d(qty), None, id));
            }
            continue;
        }
        // A coin at its Binance spot market's price, a perp at its own.
        let market = match asset.contains(':') {
            true => asset.to_string(),
            false => format!("binance:{asset}USDT"),
        };
        let price = prices
            .iter()
            .find(|(h, _)| h == hour)
            .and_then(|(_, ps)| ps.iter().find(|(s, _)| s.canonical() == market))
            .and_then(|(_, p)| Decimal::from_f64_retain(*p))
            .map(|p| p.round_dp(2));
        let Some(price) = price else { continue };
        let mut e = entry(
            time,
            *kind,
            asset,
            Some("USDT"),
            d(qty),
            Some(price),
            format!("trade{i}"),
        );
        // A tenth of a percent in fees, in USDT.
        e.fee = Some((
            (d(qty) * price / Decimal::from(1000)).round_dp(2),
            "USDT".into(),
        ));
        out.push(e);
    }
    out
}
