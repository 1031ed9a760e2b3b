//! The fast path for the frames that make up nearly all traffic: trade and aggTrade payloads,
//! bare or in a combined-stream envelope, written the plain way Binance writes them.
//!
//! General JSON parsing spends most of its time validating strings; these frames only hold
//! short ASCII strings, integers and booleans. This scanner reads exactly that subset into the
//! same typed structs serde fills, and gives up (`None`) on anything else: escapes, floats,
//! nested values, duplicate fields, other events, a missing field. The serde path then decides,
//! so both paths always agree (a test feeds both thousands of mangled frames).

use super::wire::{BinanceAggTrade, BinanceTrade};

pub(super) enum Fast<'a> {
    Trade(BinanceTrade<'a>),
    AggTrade(BinanceAggTrade<'a>),
}

/// `Some` only when the frame is certainly a well-formed trade or aggTrade object.
pub(super) fn scan(bytes: &[u8]) -> Option<Fast<'_>> {
    let mut c = Cursor { b: bytes, i: 0 };
    let out = if c.starts_with_event_tag() {
        c.payload()?
    } else {
        c.envelope()?
    };
    c.skip_ws();
    (c.i == bytes.len()).then_some(out)
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

/// The fields of both payloads, each at most once.
#[derive(Default)]
struct Fields<'a> {
    event_time: Option<i64>,
    symbol: Option<&'a str>,
    trade_id: Option<i64>,
    agg_id: Option<i64>,
    price: Option<&'a str>,
    qty: Option<&'a str>,
    first: Option<i64>,
    last: Option<i64>,
    trade_time: Option<i64>,
    maker: Option<bool>,
    best: Option<bool>,
}

fn set<T>(slot: &mut Option<T>, v: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(v);
            Some(())
        }
    }
}

impl<'a> Cursor<'a> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.skip_ws();
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    fn starts_with_event_tag(&mut self) -> bool {
        let save = self.i;
        let tagged = self.eat(b'{').is_some() && self.raw_string() == Some(b"e");
        self.i = save;
        tagged
    }

    /// The raw bytes of a string of printable ASCII without escapes (anything else is left
    /// to serde). Keys and ignored values stay bytes; only stored fields become `&str`.
    fn raw_string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.i;
        loop {
            match *self.b.get(self.i)? {
                b'"' => break,
                b'\\' => return None,
                c if !(0x20..0x7f).contains(&c) => return None,
                _ => self.i += 1,
            }
        }
        self.i += 1;
        Some(&self.b[start..self.i - 1])
    }

    fn string(&mut self) -> Option<&'a str> {
        self.raw_string().and_then(|s| std::str::from_utf8(s).ok())
    }

    /// A JSON integer that fits an i64; fractions, exponents and leading zeros give up.
    fn int(&mut self) -> Option<i64> {
        self.skip_ws();
        let neg = self.b.get(self.i) == Some(&b'-');
        if neg {
            self.i += 1;
        }
        let start = self.i;
        let mut v: i64 = 0;
        while let Some(&c @ b'0'..=b'9') = self.b.get(self.i) {
            let d = (c - b'0') as i64;
            v = v.checked_mul(10)?.checked_add(d)?;
            self.i += 1;
        }
        let digits = self.i - start;
        if digits == 0 || (digits > 1 && self.b[start] == b'0') {
            return None;
        }
        // serde_json reads "-0" as a float, which an integer field rejects.
        if neg && v == 0 {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = self.b.get(self.i) {
            return None;
        }
        Some(if neg { -v } else { v })
    }

    fn boolean(&mut self) -> Option<bool> {
        match self.peek()? {
            b't' => self.literal(b"true").map(|()| true),
            b'f' => self.literal(b"false").map(|()| false),
            _ => None,
        }
    }

    /// Skips a value of a field nobody reads, if it is a plain scalar.
    fn skip_scalar(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.raw_string().map(drop),
            b't' | b'f' => self.boolean().map(drop),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.int().map(drop),
            _ => None,
        }
    }

    /// Walks `{k: v, ...}`, handing each key to `field`, which must consume the value.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            let key = self.raw_string()?;
            self.eat(b':')?;
            field(self, key)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `{"stream":"...","data":{...}}` in either order.
    fn envelope(&mut self) -> Option<Fast<'a>> {
        let mut stream = false;
        let mut data = None;
        self.object(|c, key| match key {
            b"stream" if !stream => {
                stream = true;
                c.raw_string().map(drop)
            }
            b"data" if data.is_none() => {
                data = Some(c.payload()?);
                Some(())
            }
            // Keys that mean something else to serde (or repeat): let it decide.
            b"stream" | b"data" | b"e" | b"result" | b"id" | b"error" => None,
            _ => c.skip_scalar(),
        })?;
        if stream { data } else { None }
    }

    /// A trade or aggTrade object whose first key is `e`.
    fn payload(&mut self) -> Option<Fast<'a>> {
        let mut kind = None;
        let mut f = Fields::default();
        self.object(|c, key| {
            let Some(agg) = kind else {
                // Binance writes `e` first; any other order is serde's.
                if key != b"e" {
                    return None;
                }
                kind = Some(match c.raw_string()? {
                    b"trade" => false,
                    b"aggTrade" => true,
                    _ => return None,
                });
                return Some(());
            };
            match (key, agg) {
                (b"E", _) => set(&mut f.event_time, c.int()?),
                (b"s", _) => set(&mut f.symbol, c.string()?),
                (b"t", false) => set(&mut f.trade_id, c.int()?),
                (b"a", true) => set(&mut f.agg_id, c.int()?),
                (b"p", _) => set(&mut f.price, c.string()?),
                (b"q", _) => set(&mut f.qty, c.string()?),
                (b"f", true) => set(&mut f.first, c.int()?),
                (b"l", true) => set(&mut f.last, c.int()?),
                (b"T", _) => set(&mut f.trade_time, c.int()?),
                (b"m", _) => set(&mut f.maker, c.boolean()?),
                (b"M", _) => set(&mut f.best, c.boolean()?),
                // A second event type is serde's to refuse.
                (b"e", _) => None,
                _ => c.skip_scalar(),
            }
        })?;
        Some(if kind? {
            Fast::AggTrade(BinanceAggTrade {
                event_time: f.event_time?,
                symbol: f.symbol?.into(),
                id: f.agg_id?,
                price: f.price?.into(),
                qty: f.qty?.into(),
                first_trade_id: f.first?,
                last_trade_id: f.last?,
                trade_time: f.trade_time?,
                buyer_is_maker: f.maker?,
                best_match: f.best.unwrap_or_default(),
            })
        } else {
            Fast::Trade(BinanceTrade {
                event_time: f.event_time?,
                symbol: f.symbol?.into(),
                id: f.trade_id?,
                price: f.price?.into(),
                qty: f.qty?.into(),
                trade_time: f.trade_time?,
                buyer_is_maker: f.maker?,
                best_match: f.best.unwrap_or_default(),
            })
        })
    }
}
