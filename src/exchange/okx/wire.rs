//! OKX v5 public WebSocket messages as they arrive.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::domain::{Trade, Venue};
use crate::exchange::Parsed;
use crate::exchange::wire::{
    WireError, each_trade, int_str, opt_str, price, qty, symbol, trades_of,
};

/// A push or an event. A push (doc example):
/// `{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"130639474",
/// "px":"42219.9","sz":"0.12060306","side":"buy","ts":"1630048897897","count":"3","source":"0","seqId":1234}]}`;
/// events: `{"event":"subscribe","arg":{…},"connId":"…"}`, `{"event":"error","code":"60012","msg":"…"}`,
/// `{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade…"}`.
/// The answer to the text `ping` is the text `pong`.
#[derive(Deserialize)]
pub struct Message<'a> {
    /// The channel a push or an event is about.
    #[serde(borrow)]
    pub arg: Option<Arg<'a>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub event: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub code: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub msg: Option<Cow<'a, str>>,
    /// Kept raw: each trade is judged on its own.
    #[serde(borrow)]
    pub data: Option<&'a RawValue>,
}

#[derive(Deserialize)]
pub struct Arg<'a> {
    #[serde(borrow)]
    pub channel: Cow<'a, str>,
}

/// The channels whose pushes are trades.
fn is_trades(channel: &str) -> bool {
    matches!(channel, "trades" | "trades-all")
}

/// A push whose every item is a whole trade: what it is follows from its content, so the
/// usual frame is read in one pass without its `arg` (no other channel's items carry a
/// `tradeId`, `px`, `sz` and `side`).
#[derive(Deserialize)]
struct TradePush<'a> {
    #[serde(borrow)]
    data: Vec<WsTrade<'a>>,
}

/// `side` is the taker's; `count` (the `trades` channel only) the fills ending at `tradeId`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WsTrade<'a> {
    #[serde(borrow)]
    pub inst_id: Cow<'a, str>,
    #[serde(borrow)]
    pub trade_id: Cow<'a, str>,
    #[serde(borrow)]
    pub px: Cow<'a, str>,
    #[serde(borrow)]
    pub sz: Cow<'a, str>,
    #[serde(borrow)]
    pub side: Cow<'a, str>,
    #[serde(borrow)]
    pub ts: Cow<'a, str>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    pub count: Option<Cow<'a, str>>,
}

pub fn parse(frame: &[u8], out: &mut Vec<Trade>) -> Result<Parsed, WireError> {
    if frame == b"pong" {
        return Ok(Parsed::Heartbeat);
    }
    // A trade push read in one pass (the usual frame); anything else takes `Message`.
    if let Ok(push) = serde_json::from_slice::<TradePush<'_>>(frame) {
        return Ok(trades_of(&push.data, WsTrade::to_trade, out));
    }
    let m: Message<'_> = serde_json::from_slice(frame).map_err(WireError::json)?;
    if let (Some(arg), Some(data)) = (&m.arg, m.data) {
        return match arg.channel.as_ref() {
            c if is_trades(c) => each_trade(data, WsTrade::to_trade, out),
            super::depth::CHANNEL => super::depth::parse_book(data).map(Parsed::Book),
            c => Ok(match super::derivs::read(c, data)? {
                Some(events) => Parsed::Derivs(events),
                None => Parsed::Other,
            }),
        };
    }
    let text = || {
        format!(
            "{} {}",
            m.code.as_deref().unwrap_or(""),
            m.msg.as_deref().unwrap_or("")
        )
        .trim()
        .to_string()
    };
    Ok(match m.event.as_deref() {
        Some("subscribe" | "unsubscribe" | "channel-conn-count") => Parsed::Ack,
        Some("error") => Parsed::Refused(text()),
        // A service upgrade is announced before the cut: move now rather than lose trades.
        Some("notice") => Parsed::Reconnect(text()),
        _ => Parsed::Other,
    })
}

impl WsTrade<'_> {
    fn to_trade(&self) -> Result<Trade, WireError> {
        let count = match &self.count {
            Some(c) => u32::try_from(int_str(c, "count")?)
                .ok()
                .filter(|&c| c >= 1)
                .ok_or_else(|| WireError::field("count", c))?,
            None => 1,
        };
        Ok(Trade {
            symbol: symbol(Venue::Okx, &self.inst_id)?,
            id: int_str(&self.trade_id, "tradeId")?,
            price: price(&self.px)?,
            qty: qty(&self.sz)?,
            time: int_str(&self.ts, "ts")?,
            micros: 0,
            count,
            buyer_is_maker: match self.side.as_ref() {
                "sell" => true,
                "buy" => false,
                other => return Err(WireError::field("side", other)),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_doc_example_and_a_real_2022_push() {
        let mut out = Vec::new();
        let doc = br#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"130639474","px":"42219.9","sz":"0.12060306","side":"buy","ts":"1630048897897","count":"3","source":"0","seqId":1234}]}"#;
        assert_eq!(parse(doc, &mut out).unwrap(), Parsed::Trades);
        assert_eq!(
            (out[0].id, out[0].count, out[0].time),
            (130_639_474, 3, 1_630_048_897_897)
        );
        assert_eq!(out[0].symbol.to_string(), "okx:BTC-USDT");
        let real = br#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"338476307","px":"29384.9","sz":"0.00001","side":"sell","ts":"1652459225504"}]}"#;
        assert_eq!(parse(real, &mut out).unwrap(), Parsed::Trades);
        assert_eq!(
            (out[1].count, out[1].qty.to_string()),
            (1, "0.00001".to_string())
        );
        assert!(out[1].buyer_is_maker);
    }

    #[test]
    fn events() {
        let mut out = Vec::new();
        assert_eq!(parse(b"pong", &mut out).unwrap(), Parsed::Heartbeat);
        assert_eq!(
            parse(br#"{"event":"subscribe","arg":{"channel":"trades-all","instId":"BTC-USDT"},"connId":"a"}"#, &mut out).unwrap(),
            Parsed::Ack
        );
        assert_eq!(
            parse(
                br#"{"event":"error","code":"60012","msg":"Invalid request"}"#,
                &mut out
            )
            .unwrap(),
            Parsed::Refused("60012 Invalid request".into())
        );
        assert!(matches!(
            parse(
                br#"{"event":"notice","code":"64008","msg":"The connection will soon be closed"}"#,
                &mut out
            )
            .unwrap(),
            Parsed::Reconnect(_)
        ));
        // A bad trade is rejected on its own, with its reason (the frame is not an error).
        out.clear();
        assert!(
            matches!(parse(br#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"1","px":"1","sz":"1","side":"buy","ts":"1","count":"0"}]}"#, &mut out).unwrap(), Parsed::Partial(r) if r.len() == 1),
        );
        assert!(out.is_empty());
    }

    /// One bad trade (a price that is no number, a trade without an id) is rejected alone;
    /// the frame's good trades are kept.
    #[test]
    fn one_bad_trade_costs_only_itself() {
        let good = |id: i64| {
            format!(
                r#"{{"instId":"BTC-USDT","tradeId":"{id}","px":"42219.9","sz":"0.1","side":"buy","ts":"1630048897897"}}"#
            )
        };
        let nan = r#"{"instId":"BTC-USDT","tradeId":"2","px":"NaN","sz":"0.1","side":"buy","ts":"1630048897897"}"#;
        let no_id =
            r#"{"instId":"BTC-USDT","px":"1","sz":"0.1","side":"buy","ts":"1630048897897"}"#;
        crate::exchange::wire::assert_bad_trades_cost_only_themselves(
            parse,
            good,
            |trades| {
                format!(r#"{{"arg":{{"channel":"trades","instId":"BTC-USDT"}},"data":[{trades}]}}"#)
            },
            &[nan, no_id],
        );
    }
}
