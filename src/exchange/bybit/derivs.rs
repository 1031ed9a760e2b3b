//! Bybit linear's derivatives topics (read here, beside the wire format they share with
//! spot; `bybit_perp` is the venue's entry): `tickers.<SYMBOL>` (a snapshot, then deltas carrying
//! only what changed: mark, index, funding rate, its interval and cap, next funding time,
//! open interest) and `allLiquidation.<SYMBOL>` (every liquidation, pushed each 500 ms).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::domain::{DerivEvent, DerivUpdate, Liquidation, PositionSide, Quote, Rate, Venue};
use crate::exchange::wire::{WireError, opt_str, price, qty, symbol};

/// The fields of a `tickers` push this reads; every one may be missing from a delta.
/// Doc example (trimmed): `{"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":
/// "BTCUSDT","markPrice":"66666.60","indexPrice":"115418.19","openInterest":"492373.72",
/// "openInterestValue":"32824881841.75","fundingIntervalHour":"8","fundingCap":"0.005",
/// "nextFundingTime":"1760342400000","fundingRate":"-0.005",…},"cs":9532239429,"ts":1760325052630}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Ticker<'a> {
    #[serde(borrow)]
    symbol: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    mark_price: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    index_price: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    funding_rate: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    next_funding_time: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    funding_interval_hour: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    funding_cap: Option<Cow<'a, str>>,
    /// Both sides summed ("BTCUSDT(linear) is BTC").
    #[serde(borrow, default, deserialize_with = "opt_str")]
    open_interest: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    open_interest_value: Option<Cow<'a, str>>,
}

/// `{"T":1739502302929,"s":"ROSEUSDT","S":"Sell","v":"20000","p":"0.04499"}`: `S` is the
/// liquidated position's side ("a `Buy` update means a long position has been liquidated"),
/// `p` the bankruptcy price.
#[derive(Deserialize)]
struct Liq<'a> {
    #[serde(rename = "T")]
    time: i64,
    #[serde(rename = "s", borrow)]
    symbol: Cow<'a, str>,
    #[serde(rename = "S", borrow)]
    side: Cow<'a, str>,
    #[serde(rename = "v", borrow)]
    size: Cow<'a, str>,
    #[serde(rename = "p", borrow)]
    price: Cow<'a, str>,
}

/// A field that must be a decimal when present (an empty string is absent).
fn decimal<T>(
    v: &Option<Cow<'_, str>>,
    field: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, WireError> {
    match v.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse(s).map(Some).ok_or_else(|| WireError::field(field, s)),
    }
}

/// The events of a `tickers.*` or `allLiquidation.*` push; `None` for other topics.
pub fn read(
    topic: &str,
    ts: Option<i64>,
    data: &RawValue,
) -> Result<Option<Vec<DerivEvent>>, WireError> {
    if topic.starts_with("tickers.") {
        let t: Ticker<'_> = serde_json::from_str(data.get()).map_err(WireError::json)?;
        let mut u = DerivUpdate::new(symbol(Venue::BybitPerp, &t.symbol)?, ts.unwrap_or(0));
        u.mark = t
            .mark_price
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(price)
            .transpose()?;
        u.index = t
            .index_price
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(price)
            .transpose()?;
        u.funding_rate = decimal(&t.funding_rate, "fundingRate", |s| Rate::parse(s).ok())?;
        u.funding_cap = decimal(&t.funding_cap, "fundingCap", |s| Rate::parse(s).ok())?;
        u.next_funding = decimal(&t.next_funding_time, "nextFundingTime", |s| s.parse().ok())?;
        u.funding_interval_hours = decimal(&t.funding_interval_hour, "fundingIntervalHour", |s| {
            s.parse().ok()
        })?;
        u.open_interest = decimal(&t.open_interest, "openInterest", |s| Quote::parse(s).ok())?;
        u.open_interest_quote = decimal(&t.open_interest_value, "openInterestValue", |s| {
            Quote::parse(s).ok()
        })?;
        return Ok(Some(vec![DerivEvent::Update(u)]));
    }
    if topic.starts_with("allLiquidation.") {
        let items: Vec<Liq<'_>> = serde_json::from_str(data.get()).map_err(WireError::json)?;
        let events = items
            .iter()
            .map(|l| {
                Ok(DerivEvent::Liquidation(Liquidation {
                    symbol: symbol(Venue::BybitPerp, &l.symbol)?,
                    time: l.time,
                    side: match l.side.as_ref() {
                        "Buy" => PositionSide::Long,
                        "Sell" => PositionSide::Short,
                        other => return Err(WireError::field("side", other)),
                    },
                    price: price(&l.price)?,
                    qty: qty(&l.size)?,
                    sampled: false,
                }))
            })
            .collect::<Result<Vec<_>, WireError>>()?;
        return Ok(Some(events));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use crate::domain::{DerivEvent, PositionSide};
    use crate::exchange::Parsed;
    use crate::exchange::bybit::{Bybit, LINEAR, SPOT};
    use crate::exchange::connector::Connector;

    fn read(frame: &str) -> Vec<DerivEvent> {
        match Bybit(LINEAR).parse(frame.as_bytes(), &mut Vec::new()) {
            Ok(Parsed::Derivs(events)) => events,
            other => panic!("{other:?}: {frame}"),
        }
    }

    /// The documented snapshot, then a delta that carries only what changed.
    #[test]
    fn the_documented_tickers_snapshot_and_a_delta() {
        let snapshot = r#"{"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":"BTCUSDT","tickDirection":"PlusTick","price24hPcnt":"0.017103","lastPrice":"66666.60","prevPrice24h":"65535.80","highPrice24h":"66666.60","lowPrice24h":"65535.80","prevPrice1h":"65535.80","markPrice":"66666.60","indexPrice":"115418.19","openInterest":"492373.72","openInterestValue":"32824881841.75","turnover24h":"1.2","volume24h":"0.1","nextFundingTime":"1760342400000","fundingRate":"-0.005","bid1Price":"66666.60","bid1Size":"23789.165","ask1Price":"66666.70","ask1Size":"23775.469","preOpenPrice":"","preQty":"","curPreListingPhase":"","fundingIntervalHour":"8","fundingCap":"0.005","basisRate":"","deliveryFeeRate":"","predictedDeliveryPrice":"","basis":"","deliveryTime":"0"},"cs":9532239429,"ts":1760325052630}"#;
        let [DerivEvent::Update(u)] = read(snapshot)[..] else {
            panic!()
        };
        assert_eq!(u.symbol.to_string(), "bybit-perp:BTCUSDT");
        assert_eq!(u.time, 1_760_325_052_630);
        assert_eq!(u.funding_rate.unwrap().to_string(), "-0.005");
        assert_eq!(u.funding_cap.unwrap().to_string(), "0.005");
        assert_eq!(
            (u.funding_interval_hours, u.next_funding),
            (Some(8), Some(1_760_342_400_000))
        );
        assert_eq!(u.open_interest.unwrap().to_string(), "492373.72");
        assert_eq!(u.open_interest_quote.unwrap().to_string(), "32824881841.75");
        // The doc's own numbers put the mark 42 % under the index: illustrative, but inside
        // the 50 % bound, so it passes the check.
        assert!(u.check().is_ok());
        let delta = r#"{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","markPrice":"66670.10","openInterest":"492380.00"},"cs":9532239430,"ts":1760325052730}"#;
        let [DerivEvent::Update(d)] = read(delta)[..] else {
            panic!()
        };
        assert_eq!(d.mark.unwrap().to_string(), "66670.1");
        assert_eq!(
            (d.index, d.funding_rate),
            (None, None),
            "not in the delta: unchanged"
        );
    }

    /// The documented `allLiquidation` push: `Sell` is a short position closed.
    #[test]
    fn the_documented_all_liquidation() {
        let frame = r#"{"topic":"allLiquidation.ROSEUSDT","type":"snapshot","ts":1739502303204,"data":[{"T":1739502302929,"s":"ROSEUSDT","S":"Sell","v":"20000","p":"0.04499"}]}"#;
        let [DerivEvent::Liquidation(l)] = read(frame)[..] else {
            panic!()
        };
        assert_eq!(l.symbol.to_string(), "bybit-perp:ROSEUSDT");
        assert_eq!((l.side, l.sampled), (PositionSide::Short, false));
        assert_eq!(l.quote().to_string(), "899.8");
    }

    /// Spot has no derivatives: its tickers stay what they were (not read).
    #[test]
    fn spot_tickers_are_not_derivatives() {
        let frame = br#"{"topic":"tickers.BTCUSDT","ts":1673853746003,"type":"snapshot","cs":2588407389,"data":{"symbol":"BTCUSDT","lastPrice":"21109.77"}}"#;
        assert_eq!(
            Bybit(SPOT).parse(frame, &mut Vec::new()).unwrap(),
            Parsed::Other
        );
    }
}
