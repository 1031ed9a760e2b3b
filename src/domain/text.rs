//! Untrusted text (feeds, exchanges, files) on its way to a terminal or a log a terminal will
//! show (`tail -f`): the characters a terminal acts on or hides are made visible instead.

use std::borrow::Cow;
use std::fmt::Write;

/// Characters with no glyph that change how text around them is read or drawn: C0/C1
/// controls and DEL, bidi embeddings/overrides/isolates, zero-width and other format
/// characters, and noncharacters.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{ad}'
        | '\u{34f}'
        | '\u{61c}'
        | '\u{115f}' | '\u{1160}'
        | '\u{17b4}' | '\u{17b5}'
        | '\u{180b}'..='\u{180f}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{3164}'
        | '\u{feff}'
        | '\u{ffa0}'
        | '\u{fff0}'..='\u{fffb}'
        | '\u{fffe}' | '\u{ffff}'
        | '\u{e0000}'..='\u{e007f}'
    )
}

/// `s` with every invisible character written as a Rust-style escape (`\u{1b}`, `\n`), so an
/// escape sequence, a bidi override or a line break inside a value shows as text and does
/// nothing. Borrowed when there is nothing to escape (the usual case).
pub fn escape_invisible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_invisible) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_invisible(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// At most `max` bytes of `s`, cut at a character boundary and marked with how much was cut.
pub fn clip_bytes(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}… [{} bytes cut]", &s[..end], s.len() - end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_become_visible_text() {
        let hostile = "price \u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{202e}lave\nfake line";
        let shown = escape_invisible(hostile);
        assert_eq!(
            shown,
            "price \\u{1b}]52;c;ZXZpbA==\\u{7}\\u{1b}[2J\\u{202e}lave\\nfake line"
        );
        assert!(!shown.chars().any(is_invisible));
        assert!(matches!(escape_invisible("plain €"), Cow::Borrowed(_)));
    }

    #[test]
    fn clipping_keeps_whole_characters_and_says_so() {
        let s = "ab€€";
        assert_eq!(clip_bytes(s, 8), "ab€€");
        // 'ab' + one '€' is 5 bytes; 6 or 7 would split the second.
        assert_eq!(clip_bytes(s, 6), "ab€… [3 bytes cut]");
        assert_eq!(clip_bytes(s, 3), "ab… [6 bytes cut]");
    }
}
