//! Test support: a venue's frames read the same in every JSON layout.
//!
//! Venues write compact JSON with their keys in one order, but a relay, a proxy or any other
//! JSON library may write the same value with spaces, newlines, keys in another order and
//! escaped characters (`\/`, `\u0042`). [`assert_any_layout`] re-encodes each documented
//! example of a venue those ways (a few fixed layouts, then seeded random ones) and requires
//! every parser to give the same answer as for the original text.

use crate::domain::{Symbol, Timeframe};
use crate::exchange::registry::VenueEntry;
use crate::rng::Rng;

/// One documented example and the parser that reads it.
pub enum Example<'a> {
    /// A frame of the market stream (trades, books, acks, heartbeats, errors).
    Stream(&'a str),
    /// An answer of the instruments endpoint.
    Instruments(&'a str),
    /// A candles answer, read for `tf` over the whole range of its rows.
    Candles(Timeframe, &'a str),
    /// A REST trades page of `symbol` (venues that rebuild old candles from trades).
    Trades(Symbol, &'a str),
    /// An answer with this HTTP status, read for a venue error.
    Answer(u16, &'a str),
}

/// A parser of the venue, its answer printed for comparison.
type ReadWith<'e> = Box<dyn Fn(&[u8]) -> String + 'e>;

fn coin(rng: &mut Rng) -> bool {
    rng.next_u64() & 1 == 0
}

/// Asserts that every example gives the same result in any layout, and that the original is
/// valid JSON the parser understood (not an "invalid JSON" error, which would make the
/// comparison vacuous).
pub fn assert_any_layout(entry: &VenueEntry, examples: &[Example<'_>]) {
    for example in examples {
        let (text, read): (&str, ReadWith<'_>) = match *example {
            Example::Stream(s) => (
                s,
                Box::new(|b| {
                    let mut out = Vec::new();
                    let parsed = entry.connector.parse(b, &mut out);
                    format!("{parsed:?} {out:?}")
                }),
            ),
            Example::Instruments(s) => (
                s,
                Box::new(|b| format!("{:?}", entry.rest.decode_instruments(b))),
            ),
            Example::Candles(tf, s) => (
                s,
                Box::new(move |b| {
                    let far = i64::MAX / 4;
                    // Any market of the venue: the rows are what is compared.
                    let symbol = Symbol::on(entry.venue, b"BTC").expect("a plain name");
                    let page = entry.rest.decode_candles(b, symbol, tf, 0, far, far);
                    format!("{page:?}")
                }),
            ),
            Example::Trades(sym, s) => (
                s,
                Box::new(move |b| format!("{:?}", entry.rest.decode_trades(b, sym))),
            ),
            Example::Answer(status, s) => (
                s,
                Box::new(move |b| format!("{:?}", entry.rest.answer_error(status, b))),
            ),
        };
        let base = read(text.as_bytes());
        assert!(
            !base.contains("Json(") && !base.contains(" column "),
            "{}: the original example does not parse: {base}\n{text}",
            entry.venue
        );
        for variant in re_encodings(text, 40) {
            let got = read(variant.as_bytes());
            assert_eq!(
                got, base,
                "{}: the same value in another layout reads differently:\n{variant}",
                entry.venue
            );
        }
    }
}

/// A JSON value with its keys in their written order and its numbers and literals as written
/// (so `0.5666` stays those digits).
enum Node {
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
    Str(String),
    Raw(String),
}

/// How to write a value again.
#[derive(Clone, Copy)]
struct Style {
    /// Spaces and newlines between tokens.
    spaced: bool,
    /// Keys in reverse order (otherwise rotated by `rotate`).
    reverse: bool,
    rotate: usize,
    /// Share of string characters written as escapes, per 256.
    escape: u8,
}

/// Fixed layouts (spaced, reversed keys, everything escaped, all three), then `random`
/// seeded mixtures of them.
pub fn re_encodings(json: &str, random: usize) -> Vec<String> {
    let node = Parser {
        b: json.as_bytes(),
        i: 0,
    }
    .document();
    let fixed = [
        (true, false, 0, 0),
        (false, true, 0, 0),
        (false, false, 1, 0),
        (false, false, 0, 255),
        (true, true, 0, 255),
    ];
    let mut out: Vec<String> = fixed
        .iter()
        .map(|&(spaced, reverse, rotate, escape)| {
            let style = Style {
                spaced,
                reverse,
                rotate,
                escape,
            };
            let mut s = String::new();
            write(&node, style, &mut Rng::new(1), 0, &mut s);
            s
        })
        .collect();
    let mut rng = Rng::new(0x1a7e_u64 ^ json.len() as u64);
    for _ in 0..random {
        let style = Style {
            spaced: coin(&mut rng),
            reverse: coin(&mut rng),
            rotate: (rng.next_u64() % 5) as usize,
            escape: (rng.next_u64() % 256) as u8,
        };
        let mut s = String::new();
        write(&node, style, &mut rng, 0, &mut s);
        out.push(s);
    }
    out
}

fn write(node: &Node, style: Style, rng: &mut Rng, depth: usize, out: &mut String) {
    let gap = |out: &mut String, depth: usize| {
        if style.spaced {
            out.push('\n');
            out.push_str(&"  ".repeat(depth));
        }
    };
    match node {
        Node::Raw(r) => out.push_str(r),
        Node::Str(s) => write_str(s, style, rng, out),
        Node::Array(items) => {
            out.push('[');
            for (k, item) in items.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                gap(out, depth + 1);
                write(item, style, rng, depth + 1, out);
            }
            if !items.is_empty() {
                gap(out, depth);
            }
            out.push(']');
        }
        Node::Object(fields) => {
            let mut order: Vec<&(String, Node)> = fields.iter().collect();
            if style.reverse {
                order.reverse();
            } else if !order.is_empty() {
                let n = style.rotate % order.len();
                order.rotate_left(n);
            }
            out.push('{');
            for (k, (key, value)) in order.into_iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                gap(out, depth + 1);
                write_str(key, style, rng, out);
                out.push_str(if style.spaced { " : " } else { ":" });
                write(value, style, rng, depth + 1, out);
            }
            if !fields.is_empty() {
                gap(out, depth);
            }
            out.push('}');
        }
    }
}

fn write_str(s: &str, style: Style, rng: &mut Rng, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        let must = matches!(c, '"' | '\\') || (c as u32) < 0x20;
        let may = style.escape == 255 || (rng.next_u64() % 256) < style.escape as u64;
        if !must && !may {
            out.push(c);
        } else if c == '/' && coin(rng) {
            out.push_str("\\/");
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                // Upper or lower case hex digits: both are JSON.
                if coin(rng) {
                    out.push_str(&format!("\\u{u:04X}"));
                } else {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// A small strict reader for the examples (test input, so a bad one panics).
struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn document(mut self) -> Node {
        let node = self.value();
        self.ws();
        assert_eq!(self.i, self.b.len(), "trailing bytes in an example");
        node
    }

    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) {
        self.ws();
        assert_eq!(
            self.b.get(self.i),
            Some(&c),
            "example: expected {}",
            c as char
        );
        self.i += 1;
    }

    fn value(&mut self) -> Node {
        self.ws();
        match self.b[self.i] {
            b'{' => {
                self.i += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.b[self.i] == b'}' {
                    self.i += 1;
                    return Node::Object(fields);
                }
                loop {
                    self.ws();
                    let key = self.string();
                    self.eat(b':');
                    fields.push((key, self.value()));
                    self.ws();
                    self.i += 1;
                    match self.b[self.i - 1] {
                        b',' => continue,
                        b'}' => return Node::Object(fields),
                        c => panic!("example: unexpected {}", c as char),
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b[self.i] == b']' {
                    self.i += 1;
                    return Node::Array(items);
                }
                loop {
                    items.push(self.value());
                    self.ws();
                    self.i += 1;
                    match self.b[self.i - 1] {
                        b',' => continue,
                        b']' => return Node::Array(items),
                        c => panic!("example: unexpected {}", c as char),
                    }
                }
            }
            b'"' => Node::Str(self.string()),
            _ => {
                let start = self.i;
                while !matches!(
                    self.b.get(self.i),
                    None | Some(b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t')
                ) {
                    self.i += 1;
                }
                Node::Raw(String::from_utf8(self.b[start..self.i].to_vec()).unwrap())
            }
        }
    }

    /// A string, its escapes decoded (the writer chooses its own).
    fn string(&mut self) -> String {
        self.eat(b'"');
        let start = self.i;
        while self.b[self.i] != b'"' {
            self.i += if self.b[self.i] == b'\\' { 2 } else { 1 };
        }
        let raw = &self.b[start - 1..=self.i];
        self.i += 1;
        serde_json::from_slice(raw).expect("example string")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_re_encoding_is_the_same_json_value() {
        let doc = r#"{"a":"x/y\"z","b":[1,2.50,{"c":null,"d":true}],"e":"é😀","f":{},"g":[]}"#;
        let value: serde_json::Value = serde_json::from_str(doc).unwrap();
        let all = re_encodings(doc, 50);
        assert!(
            all.iter().any(|s| s.contains("\\u0")),
            "escapes are written"
        );
        assert!(all.iter().any(|s| s.contains("\\/")));
        assert!(all.iter().any(|s| s.contains("\n  ")), "spaced layouts");
        assert!(
            all.iter()
                .any(|s| s.trim_start_matches(['{', ' ', '\n']).starts_with("\"g\""))
        );
        assert!(
            all.iter().all(|s| s.contains("2.50")),
            "numbers keep their digits"
        );
        for s in all {
            let again: serde_json::Value = serde_json::from_str(&s).unwrap();
            assert_eq!(again, value, "{s}");
        }
    }
}
