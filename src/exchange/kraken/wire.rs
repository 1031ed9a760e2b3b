//! Kraken WebSocket v2 messages as they arrive.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::domain::{Trade, Venue};
use crate::exchange::Parsed;
use crate::exchange::wire::{
    WireError, each_trade, number_literal, opt_str, rfc3339_micros, symbol,
};

/// Channel pushes and method answers. A trade push:
/// `{"channel":"trade","type":"update","data":[{"symbol":"MATIC/USD","side":"buy",
/// "price":0.5147,"qty":6423.46326,"ord_type":"limit","trade_id":4665846,
/// "timestamp":"2023-09-25T07:48:36.925533Z"}]}` (`type` `snapshot` right after subscribing:
/// the last 50 trades). Also `{"channel":"heartbeat"}`, `{"channel":"status",…}` and answers
/// `{"method":"subscribe","success":true|false,"error":"…",…}`, `{"method":"pong",…}`.
#[derive(Deserialize)]
pub struct Message<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub channel: Option<Cow<'a, str>>,
    /// `snapshot` or `update` on a channel push.
    #[serde(rename = "type", default, borrow, deserialize_with = "opt_str")]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub method: Option<Cow<'a, str>>,
    pub success: Option<bool>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub error: Option<Cow<'a, str>>,
    /// Kept raw: its shape depends on the channel.
    #[serde(borrow)]
    pub data: Option<&'a RawValue>,
}

/// One trade of a `trade` push; `side` is the taker's.
#[derive(Deserialize)]
pub struct WsTrade<'a> {
    #[serde(borrow)]
    pub symbol: Cow<'a, str>,
    #[serde(borrow)]
    pub side: Cow<'a, str>,
    #[serde(borrow)]
    pub price: &'a RawValue,
    #[serde(borrow)]
    pub qty: &'a RawValue,
    pub trade_id: i64,
    #[serde(borrow)]
    pub timestamp: Cow<'a, str>,
}

pub fn parse(frame: &[u8], out: &mut Vec<Trade>) -> Result<Parsed, WireError> {
    let m: Message<'_> = serde_json::from_slice(frame).map_err(WireError::json)?;
    match (m.channel.as_deref(), m.method.as_deref()) {
        (Some("trade"), _) => {
            let data = m.data.ok_or_else(|| WireError::field("data", "missing"))?;
            each_trade(data, WsTrade::to_trade, out)
        }
        (Some("book"), _) => {
            let data = m.data.ok_or_else(|| WireError::field("data", "missing"))?;
            super::depth::parse_book(m.kind.as_deref().unwrap_or_default(), data).map(Parsed::Book)
        }
        (Some("heartbeat"), _) => Ok(Parsed::Heartbeat),
        (None, Some(_)) if m.success == Some(false) => Ok(Parsed::Refused(
            m.error
                .map(|e| e.into_owned())
                .unwrap_or_else(|| "refused".into()),
        )),
        (None, Some(_)) => Ok(Parsed::Ack),
        _ => Ok(Parsed::Other),
    }
}

impl WsTrade<'_> {
    fn to_trade(&self) -> Result<Trade, WireError> {
        let (time, micros) = rfc3339_micros(&self.timestamp)?;
        Ok(Trade {
            symbol: symbol(Venue::Kraken, &self.symbol)?,
            id: self.trade_id,
            price: number_literal(self.price.get(), "price")?,
            qty: number_literal(self.qty.get(), "quantity")?,
            time,
            micros,
            count: 1,
            buyer_is_maker: taker_sold(&self.side)?,
        })
    }
}

/// `side` is the taker's: a taker who sold hit a buyer's resting order.
pub fn taker_sold(side: &str) -> Result<bool, WireError> {
    match side {
        "sell" | "s" => Ok(true),
        "buy" | "b" => Ok(false),
        _ => Err(WireError::field("side", side)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_from_their_digits() {
        let frame = br#"{"channel":"trade","type":"update","data":[{"symbol":"MATIC/USD","side":"buy","price":0.5147,"qty":6423.46326,"ord_type":"limit","trade_id":4665846,"timestamp":"2023-09-25T07:48:36.925533Z"},{"symbol":"MATIC/USD","side":"sell","price":0.1,"qty":1e-05,"ord_type":"market","trade_id":4665847,"timestamp":"2023-09-25T07:48:36.925534Z"}]}"#;
        let mut out = Vec::new();
        assert_eq!(parse(frame, &mut out).unwrap(), Parsed::Trades);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].symbol.to_string(), "kraken:MATIC/USD");
        assert_eq!(out[0].price.to_string(), "0.5147");
        assert_eq!(out[0].qty.to_string(), "6423.46326");
        assert_eq!((out[0].time, out[0].micros), (1_695_628_116_925, 533));
        assert!(!out[0].buyer_is_maker);
        // 0.1 is not exact in binary; read from its digits it is.
        assert_eq!(out[1].price.to_string(), "0.1");
        assert_eq!(out[1].qty.to_string(), "0.00001");
        assert!(out[1].buyer_is_maker);
    }

    #[test]
    fn control_messages() {
        let mut out = Vec::new();
        let p = |f: &[u8], out: &mut Vec<Trade>| parse(f, out).unwrap();
        assert_eq!(
            p(br#"{"channel":"heartbeat"}"#, &mut out),
            Parsed::Heartbeat
        );
        assert_eq!(
            p(br#"{"channel":"status","type":"update","data":[{"api_version":"v2","system":"online"}]}"#, &mut out),
            Parsed::Other
        );
        assert_eq!(
            p(br#"{"method":"subscribe","result":{"channel":"trade","symbol":"BTC/USD"},"success":true,"time_in":"x","time_out":"y"}"#, &mut out),
            Parsed::Ack
        );
        assert_eq!(
            p(br#"{"method":"subscribe","error":"Currency pair not supported XXX/USD","success":false}"#, &mut out),
            Parsed::Refused("Currency pair not supported XXX/USD".into())
        );
        assert_eq!(p(br#"{"method":"pong","req_id":1}"#, &mut out), Parsed::Ack);
        assert!(out.is_empty());
        // A bad trade is rejected on its own, with its reason (the frame is not an error).
        out.clear();
        assert!(
            matches!(parse(br#"{"channel":"trade","data":[{"symbol":"A/B","side":"buy","price":"1","qty":1,"trade_id":1,"timestamp":"2023-09-25T07:48:36Z"}]}"#, &mut out).unwrap(), Parsed::Partial(r) if r.len() == 1),
        );
        assert!(out.is_empty());
    }

    /// One bad trade (a price that is no number, a trade without an id) is rejected alone;
    /// the frame's good trades are kept.
    #[test]
    fn one_bad_trade_costs_only_itself() {
        let good = |id: i64| {
            format!(
                r#"{{"symbol":"BTC/USD","side":"buy","price":42000.5,"qty":0.1,"ord_type":"limit","trade_id":{id},"timestamp":"2023-09-25T07:48:36.925533Z"}}"#
            )
        };
        let nan = r#"{"symbol":"BTC/USD","side":"buy","price":"NaN","qty":0.1,"ord_type":"limit","trade_id":2,"timestamp":"2023-09-25T07:48:36.925533Z"}"#;
        let no_id = r#"{"symbol":"BTC/USD","side":"buy","price":1,"qty":0.1,"timestamp":"2023-09-25T07:48:36.925533Z"}"#;
        crate::exchange::wire::assert_bad_trades_cost_only_themselves(
            parse,
            good,
            |trades| format!(r#"{{"channel":"trade","type":"update","data":[{trades}]}}"#),
            &[nan, no_id],
        );
    }
}
