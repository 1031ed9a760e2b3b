//! OKX's swap channels on the public endpoint, one field each: `mark-price`, `index-tickers`
//! (by index, `BTC-USDT` for `BTC-USDT-SWAP`), `funding-rate` (the predicted rate of the
//! settlement at `fundingTime`, the interval from `nextFundingTime`), `open-interest` and
//! `liquidation-orders` (by instrument type: every swap's, "not the total number"; sizes in
//! contracts, turned into coins by the stream like trades).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::domain::{
    DerivEvent, DerivUpdate, Liquidation, PositionSide, Quote, Rate, Symbol, Venue,
};
use crate::exchange::wire::{WireError, int_str, opt_str, price, qty, symbol};

/// The channels read here (besides trades and books).
pub const CHANNELS: [&str; 5] = [
    "mark-price",
    "index-tickers",
    "funding-rate",
    "open-interest",
    "liquidation-orders",
];

/// Every field any of the five channels' items carries; each channel fills its own.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item<'a> {
    #[serde(borrow)]
    inst_id: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    ts: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    mark_px: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    idx_px: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    funding_rate: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    funding_time: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    next_funding_time: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    max_funding_rate: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    min_funding_rate: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    oi_ccy: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    oi_usd: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    details: Vec<Detail<'a>>,
}

/// One liquidation: `side` the order's, `posSide` the position's (`long`/`short`, or `net`
/// in one-way mode, where a `sell` closes a long); `bkPx` the bankruptcy price; `sz`
/// contracts.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detail<'a> {
    #[serde(borrow)]
    side: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pos_side: Option<Cow<'a, str>>,
    #[serde(borrow)]
    bk_px: Cow<'a, str>,
    #[serde(borrow)]
    sz: Cow<'a, str>,
    #[serde(borrow)]
    ts: Cow<'a, str>,
}

/// A text field that holds a decimal when present and not empty.
fn opt<T>(
    v: &Option<Cow<'_, str>>,
    parse: impl Fn(&str) -> Result<T, WireError>,
) -> Result<Option<T>, WireError> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .map(parse)
        .transpose()
}

fn rate(field: &'static str) -> impl Fn(&str) -> Result<Rate, WireError> {
    move |s| Rate::parse(s).map_err(|_| WireError::field(field, s))
}

fn quote(field: &'static str) -> impl Fn(&str) -> Result<Quote, WireError> {
    move |s| Quote::parse(s).map_err(|_| WireError::field(field, s))
}

/// The swap an item is about: index pushes name the index (`BTC-USDT`), the rest the swap.
fn swap(channel: &str, inst_id: &str) -> Result<Symbol, WireError> {
    match channel {
        "index-tickers" => symbol(Venue::Okx, &format!("{inst_id}-SWAP")),
        _ => symbol(Venue::Okx, inst_id),
    }
}

/// The events of a push on one of [`CHANNELS`]; `None` for any other channel.
pub fn read(channel: &str, data: &RawValue) -> Result<Option<Vec<DerivEvent>>, WireError> {
    if !CHANNELS.contains(&channel) {
        return Ok(None);
    }
    let items: Vec<Item<'_>> = serde_json::from_str(data.get()).map_err(WireError::json)?;
    let mut out = Vec::with_capacity(items.len());
    for it in &items {
        let sym = swap(channel, &it.inst_id)?;
        if channel == "liquidation-orders" {
            for d in &it.details {
                let side = match (d.pos_side.as_deref(), d.side.as_ref()) {
                    (Some("long"), _) | (Some("net") | None, "sell") => PositionSide::Long,
                    (Some("short"), _) | (Some("net") | None, "buy") => PositionSide::Short,
                    (_, other) => return Err(WireError::field("side", other)),
                };
                out.push(DerivEvent::Liquidation(Liquidation {
                    symbol: sym,
                    time: int_str(&d.ts, "ts")?,
                    side,
                    price: price(&d.bk_px)?,
                    qty: qty(&d.sz)?,
                    sampled: true,
                }));
            }
            continue;
        }
        let time = opt(&it.ts, |s| int_str(s, "ts"))?.unwrap_or(0);
        let mut u = DerivUpdate::new(sym, time);
        match channel {
            "mark-price" => u.mark = opt(&it.mark_px, price)?,
            "index-tickers" => u.index = opt(&it.idx_px, price)?,
            "funding-rate" => {
                u.funding_rate = opt(&it.funding_rate, rate("fundingRate"))?;
                let at = opt(&it.funding_time, |s| int_str(s, "fundingTime"))?;
                let after = opt(&it.next_funding_time, |s| int_str(s, "nextFundingTime"))?;
                u.next_funding = at;
                // The interval is what separates the next two settlements (8, 4, 2 or 1 h).
                u.funding_interval_hours = at
                    .zip(after)
                    .map(|(a, b)| (b - a) / 3_600_000)
                    .and_then(|h| u16::try_from(h).ok())
                    .filter(|h| *h > 0);
                let max = opt(&it.max_funding_rate, rate("maxFundingRate"))?;
                let min = opt(&it.min_funding_rate, rate("minFundingRate"))?;
                u.funding_cap = match (max, min) {
                    (Some(a), Some(b)) => Some(a.max(-b)),
                    (a, b) => a.or(b.map(|b| -b)),
                };
            }
            _ => {
                u.open_interest = opt(&it.oi_ccy, quote("oiCcy"))?;
                u.open_interest_quote = opt(&it.oi_usd, quote("oiUsd"))?;
            }
        }
        out.push(DerivEvent::Update(u));
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use crate::domain::{DerivEvent, PositionSide};
    use crate::exchange::Parsed;

    fn read(frame: &str) -> Vec<DerivEvent> {
        match super::super::ENTRY
            .connector
            .parse(frame.as_bytes(), &mut Vec::new())
        {
            Ok(Parsed::Derivs(events)) => events,
            other => panic!("{other:?}: {frame}"),
        }
    }

    fn update(frame: &str) -> crate::domain::DerivUpdate {
        match read(frame)[..] {
            [DerivEvent::Update(u)] => u,
            ref other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_documented_mark_index_and_open_interest() {
        let u = update(
            r#"{"arg":{"channel":"mark-price","instId":"BTC-USDT-SWAP"},"data":[{"instType":"SWAP","instId":"BTC-USDT-SWAP","markPx":"42310.6","ts":"1630049139746"}]}"#,
        );
        assert_eq!(u.symbol.to_string(), "okx:BTC-USDT-SWAP");
        assert_eq!(
            (u.mark.unwrap().to_string(), u.time),
            ("42310.6".into(), 1_630_049_139_746)
        );
        // The index is named by its underlying; it is the swap's.
        let u = update(
            r#"{"arg":{"channel":"index-tickers","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","idxPx":"42300.1","open24h":"42000","high24h":"43000","low24h":"41000","sodUtc0":"42100","sodUtc8":"42050","ts":"1630049139746"}]}"#,
        );
        assert_eq!(u.symbol.to_string(), "okx:BTC-USDT-SWAP");
        assert_eq!(u.index.unwrap().to_string(), "42300.1");
        let u = update(
            r#"{"arg":{"channel":"open-interest","instId":"BTC-USDT-SWAP"},"data":[{"instId":"BTC-USDT-SWAP","instType":"SWAP","oi":"2216113.01000000309","oiCcy":"22161.1301000000309","oiUsd":"1939251795.54769270396321","ts":"1743041250440"}]}"#,
        );
        assert_eq!(u.open_interest.unwrap().to_string(), "22161.1301000000309");
        assert_eq!(
            u.open_interest_quote.unwrap().to_string(),
            "1939251795.54769270396321"
        );
    }

    /// The documented push: the rate is for the settlement at `fundingTime`; the interval is
    /// what separates it from `nextFundingTime` (8 h); the cap is the wider of max and min.
    #[test]
    fn the_documented_funding_rate() {
        let u = update(
            r#"{"arg":{"channel":"funding-rate","instId":"BTC-USD-SWAP"},"data":[{"formulaType":"noRate","fundingRate":"0.0001875391284828","fundingTime":"1700726400000","impactValue":"","instId":"BTC-USD-SWAP","instType":"SWAP","interestRate":"","method":"current_period","maxFundingRate":"0.00375","minFundingRate":"-0.00375","nextFundingRate":"","nextFundingTime":"1700755200000","premium":"0.0001233824646391","settFundingRate":"0.0001699799259033","settState":"settled","ts":"1700724675402"}]}"#,
        );
        assert_eq!(u.funding_rate.unwrap().to_string(), "0.0001875391284828");
        assert_eq!(u.next_funding, Some(1_700_726_400_000));
        assert_eq!(u.funding_interval_hours, Some(8));
        assert_eq!(u.funding_cap.unwrap().to_string(), "0.00375");
        assert!(u.check().is_ok());
    }

    /// The documented push (sizes in contracts, sized by the stream): `buy` with `posSide`
    /// short closes a short.
    #[test]
    fn the_documented_liquidation_orders() {
        let events = read(
            r#"{"arg":{"channel":"liquidation-orders","instType":"SWAP"},"data":[{"details":[{"bkLoss":"0","bkPx":"0.007831","ccy":"","posSide":"short","side":"buy","sz":"13","ts":"1692266434010"}],"instFamily":"IOST-USDT","instId":"IOST-USDT-SWAP","instType":"SWAP","uly":"IOST-USDT"}]}"#,
        );
        let [DerivEvent::Liquidation(l)] = events[..] else {
            panic!()
        };
        assert_eq!(l.symbol.to_string(), "okx:IOST-USDT-SWAP");
        assert_eq!(
            (l.side, l.sampled, l.time),
            (PositionSide::Short, true, 1_692_266_434_010)
        );
        assert_eq!(
            (l.price.to_string(), l.qty.to_string()),
            ("0.007831".into(), "13".into())
        );
        // One-way mode: the order's side tells the position's.
        let events = read(
            r#"{"arg":{"channel":"liquidation-orders","instType":"SWAP"},"data":[{"details":[{"bkLoss":"0","bkPx":"41000","ccy":"","posSide":"net","side":"sell","sz":"2","ts":"1692266434011"}],"instId":"BTC-USDT-SWAP","instType":"SWAP"}]}"#,
        );
        assert!(matches!(events[..], [DerivEvent::Liquidation(l)] if l.side == PositionSide::Long));
    }
}
