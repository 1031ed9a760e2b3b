//! Coinbase Exchange feed messages as they arrive.

use std::borrow::Cow;

use serde::Deserialize;

use crate::domain::{Trade, Venue};
use crate::exchange::Parsed;
use crate::exchange::wire::{WireError, opt_str, price, qty, required, rfc3339_micros, symbol};

/// Every message of the subscribed channels, told apart by `type`. A match (and the
/// `last_match` sent once per product after subscribing):
/// `{"type":"match","trade_id":1568268,"maker_order_id":"…","taker_order_id":"…","side":"sell",
/// "size":"450","price":"0.791","product_id":"SKL-USD","sequence":201390075,
/// "time":"2021-04-17T16:43:37.121358Z"}`; the others: `subscriptions` (the ack),
/// `heartbeat` (`last_trade_id`, once a second per product) and
/// `error` (`{"type":"error","message":"Failed to subscribe","reason":"… is not a valid product"}`).
///
/// The books' Advanced Trade feed names a `channel` instead (`l2_data`, `heartbeats`,
/// `subscriptions`); what a message is follows from those fields' values, wherever they stand.
#[derive(Deserialize)]
pub struct Message<'a> {
    #[serde(rename = "type", default, borrow, deserialize_with = "opt_str")]
    pub kind: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub channel: Option<Cow<'a, str>>,
    pub trade_id: Option<i64>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub side: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub size: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub price: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub product_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub time: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub message: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub reason: Option<Cow<'a, str>>,
}

pub fn parse(frame: &[u8], out: &mut Vec<Trade>) -> Result<Parsed, WireError> {
    let m: Message<'_> = serde_json::from_slice(frame).map_err(WireError::json)?;
    if let Some(channel) = &m.channel {
        return match channel.as_ref() {
            "l2_data" => super::depth::parse_book(frame).map(Parsed::Book),
            "heartbeats" | "subscriptions" => Ok(Parsed::Heartbeat),
            _ => Ok(Parsed::Other),
        };
    }
    let Some(kind) = &m.kind else {
        return Err(WireError::field("type", "missing"));
    };
    Ok(match kind.as_ref() {
        "match" | "last_match" => {
            out.push(m.to_trade()?);
            Parsed::Trades
        }
        "subscriptions" => Parsed::Ack,
        "heartbeat" => Parsed::Heartbeat,
        "error" => Parsed::Refused(format!(
            "{}{}",
            m.message.as_deref().unwrap_or("error"),
            m.reason.map(|r| format!(": {r}")).unwrap_or_default()
        )),
        _ => Parsed::Other,
    })
}

impl Message<'_> {
    fn to_trade(&self) -> Result<Trade, WireError> {
        let id = self
            .trade_id
            .ok_or_else(|| WireError::field("trade_id", "missing"))?;
        let (time, micros) = rfc3339_micros(required(&self.time, "time")?)?;
        let side = required(&self.side, "side")?;
        Ok(Trade {
            symbol: symbol(Venue::Coinbase, required(&self.product_id, "product_id")?)?,
            id,
            price: price(required(&self.price, "price")?)?,
            qty: qty(required(&self.size, "size")?)?,
            time,
            micros,
            count: 1,
            // The maker's side: a maker who bought means the taker sold into it.
            buyer_is_maker: match side {
                "buy" => true,
                "sell" => false,
                _ => return Err(WireError::field("side", side)),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_match_gives_the_taker_side() {
        let frame = br#"{"type":"match","trade_id":1568268,"maker_order_id":"a","taker_order_id":"b","side":"sell","size":"450","price":"0.791","product_id":"SKL-USD","sequence":201390075,"time":"2021-04-17T16:43:37.121358Z"}"#;
        let mut out = Vec::new();
        assert_eq!(parse(frame, &mut out).unwrap(), Parsed::Trades);
        let t = out[0];
        assert_eq!(t.symbol.to_string(), "coinbase:SKL-USD");
        assert_eq!(
            (t.id, t.time, t.micros),
            (1_568_268, 1_618_677_817_121, 358)
        );
        assert_eq!(t.price.to_string(), "0.791");
        assert_eq!(t.qty.to_string(), "450");
        // The maker sold: the taker bought, so the buyer is not the maker.
        assert!(!t.buyer_is_maker);
    }

    #[test]
    fn control_messages() {
        let mut out = Vec::new();
        assert_eq!(
            parse(br#"{"type":"subscriptions","channels":[]}"#, &mut out).unwrap(),
            Parsed::Ack
        );
        assert_eq!(
            parse(br#"{"type":"heartbeat","last_trade_id":5,"product_id":"BTC-USD","sequence":1,"time":"2021-04-17T16:43:37Z"}"#, &mut out).unwrap(),
            Parsed::Heartbeat
        );
        assert_eq!(
            parse(br#"{"type":"error","message":"Failed to subscribe","reason":"XXX-USD is not a valid product"}"#, &mut out).unwrap(),
            Parsed::Refused("Failed to subscribe: XXX-USD is not a valid product".into())
        );
        assert!(out.is_empty());
        assert!(parse(br#"{"type":"match","trade_id":1}"#, &mut out).is_err());
        assert!(parse(b"garbage", &mut out).is_err());
    }
}
