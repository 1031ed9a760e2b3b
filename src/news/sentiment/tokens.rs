//! Splitting text into VADER's "words and emoticons".
//!
//! Parity depends on reproducing Python's string semantics, not English
//! ones: `str.split()` whitespace (which includes the ASCII separators
//! U+001C..U+001F), `strip(string.punctuation)` keeping short results as
//! emoticons, `str.lower()` and `str.isupper()`.

use std::ops::Range;

use super::lexicon::{WordInfo, WordTable};

/// Python's `str.isspace()`: Unicode `White_Space` plus the four ASCII
/// information separators, which Python counts as whitespace and Rust does not.
#[inline]
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()` with no arguments.
#[inline]
pub fn trim_py(text: &str) -> &str {
    text.trim_matches(is_py_space)
}

/// Strips ASCII punctuation from both ends, unless two or fewer characters
/// would remain: those are taken to be emoticons (":)" or ":-(") and kept
/// whole. The same rule makes "ok." keep its dot, which Python also does.
#[inline]
pub fn strip_edge_punctuation(token: &str) -> &str {
    let stripped = token.trim_matches(|c: char| c.is_ascii_punctuation());
    if stripped.chars().nth(2).is_none() {
        token
    } else {
        stripped
    }
}

/// Python's `str.isupper()`: at least one upper-case character and no lower-
/// or title-case ones. Digits and symbols are ignored, so "ETF2" counts.
pub fn is_upper_py(token: &str) -> bool {
    let mut cased = false;
    for c in token.chars() {
        if c.is_ascii() {
            if c.is_ascii_lowercase() {
                return false;
            }
            cased |= c.is_ascii_uppercase();
        } else {
            if c.is_lowercase() || is_titlecase(c) {
                return false;
            }
            cased |= c.is_uppercase();
        }
    }
    cased
}

/// Unicode general category Lt (digraphs like "ǅ" and Greek letters with
/// prosgegrammeni); std has no predicate for it.
fn is_titlecase(c: char) -> bool {
    matches!(
        c,
        '\u{1c5}'
            | '\u{1c8}'
            | '\u{1cb}'
            | '\u{1f2}'
            | '\u{1f88}'..='\u{1f8f}'
            | '\u{1f98}'..='\u{1f9f}'
            | '\u{1fa8}'..='\u{1faf}'
            | '\u{1fbc}'
            | '\u{1fcc}'
            | '\u{1ffc}'
    )
}

/// One token with everything the rules ask about it precomputed.
pub struct Token<'t> {
    lower: Range<usize>,
    pub upper: bool,
    pub info: Option<&'t WordInfo>,
    /// In the negation list, or contains "n't".
    pub negates: bool,
}

/// The tokenised text. All lower-cased forms share one buffer so a headline
/// costs a couple of allocations, not one per word.
pub struct Tokens<'t> {
    lower_text: String,
    items: Vec<Token<'t>>,
    /// Some but not all tokens are ALL CAPS, so capitals signal emphasis.
    pub cap_diff: bool,
}

impl<'t> Tokens<'t> {
    pub fn split(text: &str, table: &'t WordTable) -> Self {
        let mut lower_text = String::with_capacity(text.len());
        let mut items = Vec::with_capacity(text.len() / 5 + 1);
        for raw in text.split(is_py_space).filter(|w| !w.is_empty()) {
            let word = strip_edge_punctuation(raw);
            let start = lower_text.len();
            if word.is_ascii() {
                lower_text.extend(word.bytes().map(|b| char::from(b.to_ascii_lowercase())));
            } else {
                lower_text.push_str(&word.to_lowercase());
            }
            items.push(Token {
                lower: start..lower_text.len(),
                upper: is_upper_py(word),
                info: None,
                negates: false,
            });
        }
        for item in &mut items {
            let lower = &lower_text[item.lower.clone()];
            item.info = table.get(lower);
            item.negates = item.info.is_some_and(|info| info.negation) || lower.contains("n't");
        }
        let caps = items.iter().filter(|t| t.upper).count();
        let cap_diff = caps > 0 && caps < items.len();
        Self {
            lower_text,
            items,
            cap_diff,
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    #[inline]
    pub fn get(&self, i: usize) -> &Token<'t> {
        &self.items[i]
    }

    #[inline]
    pub fn lower(&self, i: usize) -> &str {
        &self.lower_text[self.items[i].lower.clone()]
    }

    /// The lexicon valence, if the token is a lexicon word.
    #[inline]
    pub fn valence(&self, i: usize) -> Option<f64> {
        self.items[i].info.and_then(|info| info.valence)
    }

    #[inline]
    pub fn booster(&self, i: usize) -> Option<f64> {
        self.items[i].info.and_then(|info| info.booster)
    }

    /// Whether the lower-cased tokens starting at `start` spell `phrase`.
    pub fn spells(&self, start: usize, phrase: &[&str]) -> bool {
        start + phrase.len() <= self.len()
            && phrase
                .iter()
                .enumerate()
                .all(|(k, word)| self.lower(start + k) == *word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_whitespace_includes_ascii_separators() {
        assert!(is_py_space('\u{1f}'));
        assert!(is_py_space('\u{a0}'));
        assert!(!is_py_space('\u{200b}'));
    }

    #[test]
    fn short_stripped_tokens_stay_whole() {
        assert_eq!(strip_edge_punctuation(":-)"), ":-)");
        assert_eq!(strip_edge_punctuation("ok."), "ok.");
        assert_eq!(strip_edge_punctuation("good!!!"), "good");
        assert_eq!(strip_edge_punctuation("'quoted'"), "quoted");
    }

    #[test]
    fn isupper_matches_python() {
        assert!(is_upper_py("ETF"));
        assert!(is_upper_py("ETF2"));
        assert!(is_upper_py("ÉTÉ"));
        assert!(!is_upper_py("Etf"));
        assert!(!is_upper_py("123"));
        assert!(!is_upper_py("ǅ"));
        assert!(!is_upper_py("AǅB"));
    }
}
