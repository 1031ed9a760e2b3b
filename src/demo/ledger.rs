//! The demo's made-up ledger: a deposit of USDT and a few trades of BTC and ETH at the
//! simulated market's own prices during its history, so `P` and `portfolio` have something to
//! show offline. No one's real history.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::domain::{Entry, EntryKind, Millis, Symbol};

/// (hours into the history, side, asset, quantity): what the demo trader did.
const TRADES: [(i64, EntryKind, &str, &str); 5] = [
    (2, EntryKind::Buy, "BTC", "0.5"),
    (6, EntryKind::Buy, "ETH", "4"),
    (12, EntryKind::Sell, "BTC", "0.2"),
    (16, EntryKind::Buy, "BTC", "0.15"),
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
        let market = format!("{asset}USDT");
        let price = prices
            .iter()
            .find(|(h, _)| h == hour)
            .and_then(|(_, ps)| ps.iter().find(|(s, _)| s.as_str() == market))
            .and_then(|(_, p)| Decimal::from_f64_retain(*p))
            .map(|p| p.round_dp(2));
        let Some(price) = price else { continue };
        let mut e = entry(
            start + hour * 3_600_000 + 60_000,
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
