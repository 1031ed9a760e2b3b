//! Turns untrusted feed text into text that is safe to store and draw in a terminal.
//!
//! Feed titles and summaries are written by strangers: they carry HTML, entities, and
//! sometimes bytes that a terminal would obey (ANSI colour, OSC window titles, bidi overrides
//! that reorder what the eye reads). Everything that reaches the store or the screen goes
//! through [`clean_text`] first, so no other layer has to think about it.
//!
//! The stages run in a fixed order: tags are stripped (dropping `<script>`/`<style>` bodies),
//! then entities are decoded (one pass, so `&amp;lt;` shows as `&lt;`), then every control
//! and escape sequence is removed, whitespace collapses, and the length is capped. Control
//! removal comes after decoding so that `&#27;[31m` cannot smuggle an ESC past it.

/// Longest title kept, in chars: a bound against hostile feeds, well above any real headline,
/// so a title is stored and scored whole; the screen shortens it to fit.
pub const TITLE_MAX_CHARS: usize = 1000;
/// Longest summary kept, in chars.
pub const SUMMARY_MAX_CHARS: usize = 1000;

/// A feed title as display text, at most [`TITLE_MAX_CHARS`].
pub fn clean_title(raw: &str) -> String {
    clean_text(raw, TITLE_MAX_CHARS)
}

/// A feed summary as display text, at most [`SUMMARY_MAX_CHARS`].
pub fn clean_summary(raw: &str) -> String {
    clean_text(raw, SUMMARY_MAX_CHARS)
}

/// The whole pipeline: markup and escapes out, one line of plain text, at most `max_chars`
/// chars (a cut ends in '…').
pub fn clean_text(raw: &str, max_chars: usize) -> String {
    let text = strip_tags(raw);
    let text = decode_entities(&text);
    let text = repair_c1(&text);
    let text = strip_controls(&text);
    truncate_chars(&text, max_chars)
}

/// Windows-1252 punctuation that was decoded as Latin-1 arrives as C1 control characters
/// (U+0091 for ‘, U+0096 for –). Those are put back as the characters they were, rather than
/// deleted with the other controls. The C1 codes that open or close terminal escape
/// sequences (DCS, SOS, CSI, ST, OSC, PM, APC) are left for [`strip_controls`], which removes
/// the sequences whole.
pub fn repair_c1(s: &str) -> std::borrow::Cow<'_, str> {
    let repairable = |c: char| {
        ('\u{80}'..='\u{9f}').contains(&c)
            && !matches!(
                c,
                '\u{90}' | '\u{98}' | '\u{9b}' | '\u{9c}' | '\u{9d}' | '\u{9e}' | '\u{9f}'
            )
    };
    if !s.chars().any(repairable) {
        return std::borrow::Cow::Borrowed(s);
    }
    s.chars()
        .map(|c| {
            if repairable(c) {
                WINDOWS_1252_C1[(c as u32 - 0x80) as usize]
            } else {
                c
            }
        })
        .collect()
}

/// Removes markup. `<script>` and `<style>` lose their bodies, comments vanish, CDATA keeps
/// its text. A `<` that does not start a tag ("a < b") stays. Block-level tags become a space
/// so "<p>one</p><p>two</p>" does not read "onetwo".
pub fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let tail = &rest[lt..];
        match classify_markup(tail) {
            Markup::Text => {
                out.push('<');
                rest = &tail[1..];
            }
            Markup::Comment => rest = skip_past(tail, "-->"),
            Markup::Cdata => {
                let body = &tail["<![CDATA[".len()..];
                match body.find("]]>") {
                    Some(end) => {
                        out.push_str(&body[..end]);
                        rest = &body[end + 3..];
                    }
                    None => {
                        out.push_str(body);
                        rest = "";
                    }
                }
            }
            Markup::Tag => {
                let end = tag_end(tail);
                let tag = &tail[..end];
                let name = tag_name(tag);
                rest = &tail[end..];
                if !tag.starts_with("</") && (name == "script" || name == "style") {
                    rest = skip_raw_text_element(rest, &name);
                }
                if !INLINE_TAGS.contains(&name.as_str()) {
                    out.push(' ');
                }
            }
        }
    }
    out.push_str(rest);
    out
}

enum Markup {
    Text,
    Comment,
    Cdata,
    Tag,
}

fn classify_markup(tail: &str) -> Markup {
    if tail.starts_with("<!--") {
        Markup::Comment
    } else if tail.starts_with("<![CDATA[") {
        Markup::Cdata
    } else {
        match tail[1..].chars().next() {
            Some(c) if c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?') => Markup::Tag,
            _ => Markup::Text,
        }
    }
}

/// Tags that sit inside a word ("<b>Bit</b>coin") and so must not become a space.
const INLINE_TAGS: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "em", "font", "i", "kbd", "mark", "q", "s",
    "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr",
];

/// Byte length of the tag at the start of `tail`, honouring quoted attribute values; an
/// unterminated tag runs to the end (it is truncated markup, not text).
fn tag_end(tail: &str) -> usize {
    let mut quote: Option<u8> = None;
    for (i, b) in tail.bytes().enumerate().skip(1) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return i + 1,
            _ => {}
        }
    }
    tail.len()
}

fn tag_name(tag: &str) -> String {
    tag.trim_start_matches('<')
        .trim_start_matches('/')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Skips a script/style body up to and including its closing tag.
fn skip_raw_text_element<'a>(rest: &'a str, name: &str) -> &'a str {
    let close = format!("</{name}");
    match find_ascii_ci(rest, &close) {
        Some(at) => {
            let after = &rest[at..];
            &after[tag_end(after)..]
        }
        None => "",
    }
}

fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    (0..h.len().saturating_sub(n.len() - 1)).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

fn skip_past<'a>(s: &'a str, end: &str) -> &'a str {
    match s.find(end) {
        Some(at) => &s[at + end.len()..],
        None => "",
    }
}

/// Decodes `&name;`, `&#123;` and `&#x7B;` once. Unknown or malformed references stay as
/// written. Numeric references 0x80-0x9F mean Windows-1252 (as browsers read them), so a
/// feed's `&#150;` is a dash, not an invisible C1 control.
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let used = decode_one(tail, &mut out).unwrap_or_else(|| {
            out.push('&');
            1
        });
        rest = &tail[used..];
    }
    out.push_str(rest);
    out
}

/// Appends the decoded reference at the start of `tail` (which begins with '&') and returns
/// how many bytes it used; `None` if it is not a reference we know.
fn decode_one(tail: &str, out: &mut String) -> Option<usize> {
    let body = &tail[1..];
    if let Some(num) = body.strip_prefix('#') {
        let (digits, radix, prefix) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16, 2),
            None => (num, 10, 1),
        };
        let len = digits
            .bytes()
            .take_while(|b| (*b as char).is_digit(radix))
            .count();
        if len == 0 {
            return None;
        }
        // More than 8 digits cannot be a valid code point; the parse of 8 still overflows it.
        let value = u32::from_str_radix(&digits[..len.min(8)], radix).unwrap_or(u32::MAX);
        out.push(numeric_char(value));
        let semi = usize::from(digits[len..].starts_with(';'));
        return Some(1 + prefix + len + semi);
    }
    let len = body
        .bytes()
        .take(MAX_ENTITY_NAME)
        .take_while(u8::is_ascii_alphanumeric)
        .count();
    if !body[len..].starts_with(';') {
        return None;
    }
    out.push_str(named_entity(&body[..len])?);
    Some(1 + len + 1)
}

const MAX_ENTITY_NAME: usize = 10;

fn numeric_char(value: u32) -> char {
    if (0x80..=0x9f).contains(&value) {
        return WINDOWS_1252_C1[(value - 0x80) as usize];
    }
    match char::from_u32(value) {
        Some('\0') | None => char::REPLACEMENT_CHARACTER,
        Some(c) => c,
    }
}

/// What browsers show for numeric references 0x80-0x9F; undefined slots stay controls (and
/// are then removed like any other control).
const WINDOWS_1252_C1: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// The named references feeds actually use; the rest stay as written.
fn named_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" | "AMP" => "&",
        "lt" | "LT" => "<",
        "gt" | "GT" => ">",
        "quot" | "QUOT" => "\"",
        "apos" => "'",
        "nbsp" => "\u{a0}",
        "ensp" | "emsp" | "thinsp" => " ",
        "ndash" => "–",
        "mdash" => "—",
        "lsquo" => "‘",
        "rsquo" => "’",
        "sbquo" => "‚",
        "ldquo" => "“",
        "rdquo" => "”",
        "bdquo" => "„",
        "laquo" => "«",
        "raquo" => "»",
        "lsaquo" => "‹",
        "rsaquo" => "›",
        "hellip" => "…",
        "bull" => "•",
        "middot" => "·",
        "prime" => "′",
        "Prime" => "″",
        "copy" => "©",
        "reg" => "®",
        "trade" => "™",
        "euro" => "€",
        "pound" => "£",
        "yen" => "¥",
        "cent" => "¢",
        "curren" => "¤",
        "deg" => "°",
        "plusmn" => "±",
        "times" => "×",
        "divide" => "÷",
        "minus" => "−",
        "frac12" => "½",
        "frac14" => "¼",
        "frac34" => "¾",
        "sect" => "§",
        "para" => "¶",
        "iexcl" => "¡",
        "iquest" => "¿",
        "larr" => "←",
        "rarr" => "→",
        "uarr" => "↑",
        "darr" => "↓",
        "shy" | "zwj" | "zwnj" | "lrm" | "rlm" => "",
        "aacute" => "á",
        "agrave" => "à",
        "acirc" => "â",
        "auml" => "ä",
        "atilde" => "ã",
        "aring" => "å",
        "ccedil" => "ç",
        "eacute" => "é",
        "egrave" => "è",
        "ecirc" => "ê",
        "euml" => "ë",
        "iacute" => "í",
        "igrave" => "ì",
        "icirc" => "î",
        "iuml" => "ï",
        "ntilde" => "ñ",
        "oacute" => "ó",
        "ograve" => "ò",
        "ocirc" => "ô",
        "ouml" => "ö",
        "otilde" => "õ",
        "oslash" => "ø",
        "uacute" => "ú",
        "ugrave" => "ù",
        "ucirc" => "û",
        "uuml" => "ü",
        "szlig" => "ß",
        "Aacute" => "Á",
        "Eacute" => "É",
        "Oacute" => "Ó",
        "Uacute" => "Ú",
        "Auml" => "Ä",
        "Ouml" => "Ö",
        "Uuml" => "Ü",
        "Ntilde" => "Ñ",
        "Ccedil" => "Ç",
        _ => return None,
    })
}

/// Removes every control character and terminal escape sequence, and collapses whitespace to
/// single spaces (trimmed). Whole sequences go, not just their introducer, so
/// "\x1b[31mBTC" reads "BTC" rather than "[31mBTC". Both the 7-bit (ESC-prefixed) and the
/// 8-bit C1 forms (U+009B CSI, U+009D OSC, ...) are understood.
pub fn strip_controls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        let c = match c {
            '\u{1b}' => match chars.next() {
                Some('[') => Some(Sequence::Csi),
                Some(']') => Some(Sequence::String),
                Some('P' | 'X' | '^' | '_') => Some(Sequence::String),
                // ESC + one char (ESC c, ESC 7, ...): both go.
                _ => None,
            }
            .map_or(Step::Drop, Step::Skip),
            '\u{9b}' => Step::Skip(Sequence::Csi),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => Step::Skip(Sequence::String),
            c if c.is_whitespace() => Step::Space,
            c if is_invisible(c) => Step::Drop,
            c => Step::Keep(c),
        };
        match c {
            Step::Skip(Sequence::Csi) => skip_csi(&mut chars),
            Step::Skip(Sequence::String) => skip_string(&mut chars),
            Step::Drop => {}
            Step::Space => pending_space = !out.is_empty(),
            Step::Keep(c) => {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                out.push(c);
            }
        }
    }
    out
}

enum Sequence {
    /// Control Sequence: parameters and intermediates, ended by one final byte 0x40-0x7E.
    Csi,
    /// OSC/DCS/SOS/PM/APC: runs until BEL or String Terminator (ESC \ or U+009C).
    String,
}

enum Step {
    Skip(Sequence),
    Drop,
    Space,
    Keep(char),
}

fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(&c) = chars.peek() {
        chars.next();
        if ('\u{40}'..='\u{7e}').contains(&c) {
            return;
        }
        // A malformed sequence: stop at anything a CSI cannot contain, and let the main
        // loop judge it (it may itself be a control).
        if !('\u{20}'..='\u{3f}').contains(&c) {
            return;
        }
    }
}

fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{07}' | '\u{9c}' => return,
            '\u{1b}' if chars.peek() == Some(&'\\') => {
                chars.next();
                return;
            }
            _ => {}
        }
    }
}

pub use crate::domain::text::is_invisible;

/// At most `max` chars; a cut drops trailing spaces and ends in '…'.
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some(_) if max == 0 => String::new(),
        Some(_) => {
            let keep = s.char_indices().nth(max - 1).map_or(s.len(), |(i, _)| i);
            let mut out = s[..keep].trim_end().to_string();
            out.push('…');
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_unsafe(c: char) -> bool {
        (c as u32) < 0x20 || (0x7f..=0x9f).contains(&(c as u32)) || is_invisible(c)
    }

    #[test]
    fn html_becomes_text() {
        assert_eq!(
            clean_title("<p>Bitcoin <b>surges</b> past $100K</p><p>Again</p>"),
            "Bitcoin surges past $100K Again"
        );
        assert_eq!(
            clean_title("x<script type=\"a>b\">alert('<p>')</script>y<style>p{}</STYLE>z"),
            "x y z"
        );
        assert_eq!(clean_title("a <!-- hidden --> b"), "a b");
        assert_eq!(clean_title("<![CDATA[Ether & Co]]>"), "Ether & Co");
        assert_eq!(clean_title("1 < 2 and 3 > 2"), "1 < 2 and 3 > 2");
        assert_eq!(clean_title("cut <a href=\"http://x"), "cut");
    }

    #[test]
    fn entities_decode_once() {
        assert_eq!(
            decode_entities("Do Kwon&#39;s &amp; SEC&rsquo;s &#x27;case&#x27; &amp;lt;"),
            "Do Kwon's & SEC’s 'case' &lt;"
        );
        assert_eq!(
            decode_entities("&#150; &#8364;5 &bogus; & AT&T"),
            "– €5 &bogus; & AT&T"
        );
        assert_eq!(
            decode_entities("&#0; &#xD800; &#99999999999;"),
            "\u{fffd} \u{fffd} \u{fffd}"
        );
        assert_eq!(clean_title("What&#039;s new"), "What's new");
    }

    #[test]
    fn escape_sequences_vanish_whole() {
        assert_eq!(clean_title("\x1b[31mBTC\x1b]0;pwn\x07 up"), "BTC up");
        assert_eq!(clean_title("a\u{9b}2Jb\u{9d}8;;http://x\u{9c}c"), "abc");
        assert_eq!(clean_title("a\x1bP1$r\x1b\\b\x1b7c"), "abc");
        assert_eq!(clean_title("&#27;[1mbold&#x1b;]2;t&#7;"), "bold");
        assert_eq!(
            clean_title("ev\u{202e}il\u{2066}x\u{200b}y\x08z\rw"),
            "evilxyz w"
        );
        assert_eq!(
            clean_title("  many \t\n spaces\u{a0}\u{2028}here  "),
            "many spaces here"
        );
    }

    #[test]
    fn long_text_is_cut_on_a_char_boundary() {
        let long = "é".repeat(TITLE_MAX_CHARS + 200);
        let t = clean_title(&long);
        assert_eq!(t.chars().count(), TITLE_MAX_CHARS);
        assert!(t.ends_with('…'));
        assert_eq!(truncate_chars("abc def", 5), "abc…");
        // Mis-decoded Windows-1252 punctuation comes back; escape introducers still go.
        assert_eq!(
            clean_title("Hacker\u{92}s \u{93}scam\u{94} \u{96} funds\u{85}"),
            "Hacker’s “scam” – funds…"
        );
        assert_eq!(clean_title("x\u{9b}31my"), "xy");
        assert_eq!(truncate_chars("abc", 3), "abc");
    }

    #[test]
    fn random_bytes_never_leave_controls() {
        let mut rng = crate::rng::Rng::new(42);
        let alphabet: &[&[u8]] = &[
            b"\x1b",
            b"[",
            b"]",
            b"\x07",
            b"<",
            b">",
            b"&",
            b"#",
            b";",
            b"x",
            b"1",
            b"b",
            "\u{9b}".as_bytes(),
            "\u{202e}".as_bytes(),
            b"script",
            b"&#27;",
            b"&#x9b;",
            b" ",
        ];
        for _ in 0..5_000 {
            let len = (rng.unit() * 64.0) as usize;
            let mut bytes = Vec::new();
            for _ in 0..len {
                if rng.unit() < 0.5 {
                    bytes.push((rng.unit() * 256.0) as u8);
                } else {
                    let pick = (rng.unit() * alphabet.len() as f64) as usize;
                    bytes.extend_from_slice(alphabet[pick.min(alphabet.len() - 1)]);
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            let out = clean_text(&text, 40);
            assert!(
                !out.chars().any(is_unsafe),
                "unsafe char left in {out:?} from {bytes:?}"
            );
            assert!(out.chars().count() <= 40);
        }
    }
}
