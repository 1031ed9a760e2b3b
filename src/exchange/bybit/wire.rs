//! Bybit v5 public WebSocket messages as they arrive.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::domain::{Trade, Venue};
use crate::exchange::Parsed;
use crate::exchange::wire::{
    WireError, each_trade, int_str, opaque_id, opt_str, price, qty, symbol, trades_of,
};

/// A topic push or an operation's answer. Real (spot):
/// `{"topic":"publicTrade.BTCUSDT","ts":1735689653900,"type":"snapshot","data":[{"i":"2290000000587387108",
/// "T":1735689653898,"p":"93611.04","v":"0.000725","S":"Buy","s":"BTCUSDT","BT":false},…]}`;
/// answers: `{"success":true,"ret_msg":"subscribe","conn_id":"…","op":"subscribe"}`,
/// `{"success":false,"ret_msg":"Invalid symbol :[publicTrade.XXX]","op":"subscribe"}`, and
/// the pong to `{"op":"ping"}`.
#[derive(Deserialize)]
pub struct Message<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub topic: Option<Cow<'a, str>>,
    /// `snapshot` or `delta` on a topic push, and its time.
    #[serde(rename = "type", default, borrow, deserialize_with = "opt_str")]
    pub kind: Option<Cow<'a, str>>,
    pub ts: Option<i64>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub op: Option<Cow<'a, str>>,
    pub success: Option<bool>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub ret_msg: Option<Cow<'a, str>>,
    /// Kept raw: each trade is judged on its own.
    #[serde(borrow)]
    pub data: Option<&'a RawValue>,
}

/// `S` is the taker's side; `T` the trade time in ms; `BT` a block trade.
#[derive(Deserialize)]
pub struct WsTrade<'a> {
    #[serde(rename = "i", borrow)]
    pub id: Cow<'a, str>,
    #[serde(rename = "T")]
    pub time: i64,
    #[serde(rename = "p", borrow)]
    pub price: Cow<'a, str>,
    #[serde(rename = "v", borrow)]
    pub size: Cow<'a, str>,
    #[serde(rename = "S", borrow)]
    pub side: Cow<'a, str>,
    #[serde(rename = "s", borrow)]
    pub symbol: Cow<'a, str>,
}

/// A trade push read in one pass (the usual frame); anything else takes [`Message`].
#[derive(Deserialize)]
struct TradePush<'a> {
    #[serde(borrow)]
    topic: Cow<'a, str>,
    #[serde(borrow)]
    data: Vec<WsTrade<'a>>,
}

/// A frame of Bybit's spot stream.
pub fn parse(frame: &[u8], out: &mut Vec<Trade>) -> Result<Parsed, WireError> {
    parse_on(Venue::Bybit, frame, out)
}

/// A frame of `venue`'s stream: spot and `linear` speak the same messages, but linear trade
/// ids are UUIDs (see [`WsTrade::to_trade`]).
pub fn parse_on(venue: Venue, frame: &[u8], out: &mut Vec<Trade>) -> Result<Parsed, WireError> {
    let convert = |t: &WsTrade<'_>| t.to_trade(venue);
    if let Ok(push) = serde_json::from_slice::<TradePush<'_>>(frame)
        && push.topic.starts_with("publicTrade.")
    {
        return Ok(trades_of(&push.data, convert, out));
    }
    let m: Message<'_> = serde_json::from_slice(frame).map_err(WireError::json)?;
    if let Some(topic) = m.topic.as_deref() {
        if topic.starts_with("orderbook.") {
            let data = m.data.ok_or_else(|| WireError::field("data", "missing"))?;
            let kind = m.kind.as_deref().unwrap_or_default();
            return super::depth::parse_book(kind, m.ts, data).map(|u| Parsed::Book(vec![u]));
        }
        if venue.is_perp()
            && let Some(data) = m.data
            && let Some(events) = super::derivs::read(topic, m.ts, data)?
        {
            return Ok(Parsed::Derivs(events));
        }
        if !topic.starts_with("publicTrade.") {
            return Ok(Parsed::Other);
        }
        return match m.data {
            Some(data) => each_trade(data, convert, out),
            None => Ok(Parsed::Trades),
        };
    }
    Ok(match (m.op.as_deref(), m.success) {
        (Some(_), Some(false)) => Parsed::Refused(
            m.ret_msg
                .map(|r| r.into_owned())
                .unwrap_or_else(|| "refused".into()),
        ),
        (Some("pong" | "ping"), _) => Parsed::Heartbeat,
        (Some(_), _) => Parsed::Ack,
        _ => Parsed::Other,
    })
}

impl WsTrade<'_> {
    /// Spot ids are numbers; linear ones UUIDs, which become [`opaque_id`]s.
    fn to_trade(&self, venue: Venue) -> Result<Trade, WireError> {
        Ok(Trade {
            symbol: symbol(venue, &self.symbol)?,
            id: match venue.continuity() {
                crate::domain::Continuity::Opaque => opaque_id(&self.id)?,
                _ => int_str(&self.id, "trade id")?,
            },
            price: price(&self.price)?,
            qty: qty(&self.size)?,
            time: self.time,
            micros: 0,
            count: 1,
            buyer_is_maker: match self.side.as_ref() {
                "Sell" => true,
                "Buy" => false,
                other => return Err(WireError::field("side", other)),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_spot_message() {
        let frame = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/venues/bybit-publicTrade-spot.json"
        ))
        .unwrap();
        let mut out = Vec::new();
        assert_eq!(parse(&frame, &mut out).unwrap(), Parsed::Trades);
        assert_eq!(out.len(), 5);
        let ids: Vec<i64> = out.iter().map(|t| t.id).collect();
        assert_eq!(
            ids,
            (2_290_000_000_587_387_108..=2_290_000_000_587_387_112).collect::<Vec<_>>()
        );
        assert_eq!(out[0].price.to_string(), "93611.04");
        assert_eq!(out[0].qty.to_string(), "0.000725");
        assert_eq!(out[0].time, 1_735_689_653_898);
        assert!(!out[0].buyer_is_maker);
        assert_eq!(out[0].symbol.to_string(), "bybit:BTCUSDT");
    }

    #[test]
    fn answers() {
        let mut out = Vec::new();
        assert_eq!(
            parse(
                br#"{"success":true,"ret_msg":"subscribe","conn_id":"x","op":"subscribe"}"#,
                &mut out
            )
            .unwrap(),
            Parsed::Ack
        );
        assert_eq!(
            parse(br#"{"success":false,"ret_msg":"Invalid symbol :[publicTrade.XXX]","conn_id":"x","op":"subscribe"}"#, &mut out).unwrap(),
            Parsed::Refused("Invalid symbol :[publicTrade.XXX]".into())
        );
        assert_eq!(
            parse(
                br#"{"success":true,"ret_msg":"pong","conn_id":"x","op":"ping"}"#,
                &mut out
            )
            .unwrap(),
            Parsed::Heartbeat
        );
        // A bad trade is rejected on its own, with its reason (the frame is not an error).
        out.clear();
        assert!(
            matches!(parse(br#"{"topic":"publicTrade.BTCUSDT","data":[{"i":"abc","T":1,"p":"1","v":"1","S":"Buy","s":"BTCUSDT"}]}"#, &mut out).unwrap(), Parsed::Partial(r) if r.len() == 1),
        );
        assert!(out.is_empty());
    }

    /// One bad trade (a price that is no number, a trade without an id) is rejected alone;
    /// the frame's good trades are kept.
    #[test]
    fn one_bad_trade_costs_only_itself() {
        let good = |id: i64| {
            format!(
                r#"{{"i":"{id}","T":1672304486865,"p":"16578.50","v":"0.006","S":"Buy","s":"BTCUSDT","BT":false}}"#
            )
        };
        let nan = r#"{"i":"2","T":1672304486865,"p":"NaN","v":"0.006","S":"Buy","s":"BTCUSDT","BT":false}"#;
        let no_id = r#"{"T":1672304486865,"p":"1","v":"0.006","S":"Buy","s":"BTCUSDT","BT":false}"#;
        crate::exchange::wire::assert_bad_trades_cost_only_themselves(
            parse,
            good,
            |trades| {
                format!(
                    r#"{{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{trades}]}}"#
                )
            },
            &[nan, no_id],
        );
    }
}
