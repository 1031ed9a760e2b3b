//! USDⓈ-M's derivatives pushes on the `/market` route: `<s>@markPrice@1s` (mark, index,
//! funding rate, next funding time) and `<s>@forceOrder` (liquidations, at most the latest one
//! per symbol each second: a sample). Open interest has no stream: the stream polls
//! `GET /fapi/v1/openInterest` ([`decode_open_interest`]).

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{DerivEvent, DerivUpdate, Liquidation, PositionSide, Rate, Symbol, Venue};
use crate::exchange::wire::{WireError, clip, price, qty, symbol};

/// `{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000",
/// "i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}`: `p` mark,
/// `i` index, `P` estimated settle price, `r` funding rate, `T` next funding time.
#[derive(Deserialize)]
struct MarkPrice<'a> {
    #[serde(rename = "E")]
    time: i64,
    #[serde(rename = "s", borrow)]
    symbol: Cow<'a, str>,
    #[serde(rename = "p", borrow)]
    mark: Cow<'a, str>,
    #[serde(rename = "i", borrow, default)]
    index: Option<Cow<'a, str>>,
    #[serde(rename = "r", borrow, default)]
    rate: Option<Cow<'a, str>>,
    #[serde(rename = "T", default)]
    next_funding: Option<i64>,
}

/// `{"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC",
/// "q":"0.014","p":"9910","ap":"9910","X":"FILLED","l":"0.014","z":"0.014","T":1568014460893}}`.
#[derive(Deserialize)]
struct ForceOrder<'a> {
    #[serde(rename = "o", borrow)]
    order: Order<'a>,
}

/// `S` is the liquidation order's side: a `SELL` closes a long. `ap` the average fill price,
/// `z` the filled size, `T` the time.
#[derive(Deserialize)]
struct Order<'a> {
    #[serde(rename = "s", borrow)]
    symbol: Cow<'a, str>,
    #[serde(rename = "S", borrow)]
    side: Cow<'a, str>,
    #[serde(rename = "ap", borrow)]
    avg_price: Cow<'a, str>,
    #[serde(rename = "z", borrow)]
    filled: Cow<'a, str>,
    #[serde(rename = "T")]
    time: i64,
}

fn perp(s: &str) -> Result<Symbol, WireError> {
    symbol(Venue::BinancePerp, s)
}

fn rate(s: &str) -> Result<Rate, WireError> {
    Rate::parse(s).map_err(|_| WireError::field("funding rate", s))
}

/// The derivatives event of a `markPriceUpdate` or `forceOrder` payload; `None` for other
/// events.
pub fn read(event: &str, payload: &str) -> Result<Option<DerivEvent>, WireError> {
    Ok(Some(match event {
        "markPriceUpdate" => {
            let m: MarkPrice<'_> = serde_json::from_str(payload).map_err(WireError::json)?;
            let mut u = DerivUpdate::new(perp(&m.symbol)?, m.time);
            u.mark = Some(price(&m.mark)?);
            u.index = m.index.as_deref().map(price).transpose()?;
            u.funding_rate = m
                .rate
                .as_deref()
                .filter(|r| !r.is_empty())
                .map(rate)
                .transpose()?;
            u.next_funding = m.next_funding.filter(|t| *t > 0);
            DerivEvent::Update(u)
        }
        "forceOrder" => {
            let f: ForceOrder<'_> = serde_json::from_str(payload).map_err(WireError::json)?;
            let o = f.order;
            DerivEvent::Liquidation(Liquidation {
                symbol: perp(&o.symbol)?,
                time: o.time,
                side: match o.side.as_ref() {
                    "SELL" => PositionSide::Long,
                    "BUY" => PositionSide::Short,
                    other => return Err(WireError::field("side", other)),
                },
                price: price(&o.avg_price)?,
                qty: qty(&o.filled)?,
                sampled: true,
            })
        }
        _ => return Ok(None),
    }))
}

/// `GET /fapi/v1/openInterest?symbol=BTCUSDT` →
/// `{"openInterest":"10659.509","symbol":"BTCUSDT","time":1589437530011}` (base asset).
pub fn decode_open_interest(body: &[u8]) -> Result<DerivUpdate, String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer<'a> {
        #[serde(borrow)]
        open_interest: Cow<'a, str>,
        #[serde(borrow)]
        symbol: Cow<'a, str>,
        time: i64,
    }
    let a: Answer<'_> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let mut u = DerivUpdate::new(perp(&a.symbol).map_err(|e| e.to_string())?, a.time);
    u.open_interest = Some(
        crate::domain::Quote::parse(&a.open_interest)
            .map_err(|_| format!("openInterest {:?} is not a decimal", clip(&a.open_interest)))?,
    );
    Ok(u)
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

    /// The documented `markPriceUpdate`, in its combined-stream envelope and bare.
    #[test]
    fn the_documented_mark_price_update() {
        let doc = r#"{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}"#;
        for frame in [
            doc.to_string(),
            format!(r#"{{"stream":"btcusdt@markPrice@1s","data":{doc}}}"#),
        ] {
            let [DerivEvent::Update(u)] = read(&frame)[..] else {
                panic!("{frame}")
            };
            assert_eq!(u.symbol.to_string(), "binance-perp:BTCUSDT");
            assert_eq!(u.time, 1_562_305_380_000);
            assert_eq!(u.mark.unwrap().to_string(), "11794.15");
            assert_eq!(u.index.unwrap().to_string(), "11784.62659091");
            assert_eq!(u.funding_rate.unwrap().to_string(), "0.00038167");
            assert_eq!(u.next_funding, Some(1_562_306_400_000));
            assert_eq!(u.open_interest, None, "USD-M streams no open interest");
        }
    }

    /// The documented `forceOrder`: a SELL liquidation order closed a long; Binance's tape is
    /// a sample (the latest per symbol each second).
    #[test]
    fn the_documented_force_order() {
        let frame = r#"{"stream":"btcusdt@forceOrder","data":{"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.014","p":"9910","ap":"9910","X":"FILLED","l":"0.014","z":"0.014","T":1568014460893}}}"#;
        let [DerivEvent::Liquidation(l)] = read(frame)[..] else {
            panic!()
        };
        assert_eq!(
            (l.side, l.time, l.sampled),
            (PositionSide::Long, 1_568_014_460_893, true)
        );
        assert_eq!(
            (l.price.to_string(), l.qty.to_string()),
            ("9910".into(), "0.014".into())
        );
        assert_eq!(l.quote().to_string(), "138.74");
    }

    #[test]
    fn the_documented_open_interest_answer() {
        let u = super::decode_open_interest(
            br#"{"openInterest":"10659.509","symbol":"BTCUSDT","time":1589437530011}"#,
        )
        .unwrap();
        assert_eq!(u.symbol.to_string(), "binance-perp:BTCUSDT");
        assert_eq!(u.open_interest.unwrap().to_string(), "10659.509");
        assert_eq!(u.time, 1_589_437_530_011);
        assert!(super::decode_open_interest(b"{}").is_err());
    }
}
