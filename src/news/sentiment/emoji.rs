//! Emoji handling: VADER replaces each emoji with its English description
//! ("😁" becomes "beaming face with smiling eyes") before scoring, so the
//! lexicon words in the description carry the sentiment.

use std::borrow::Cow;
use std::collections::HashMap;

use super::hasher::BuildWordHasher;
use super::tokens::trim_py;

#[derive(Clone, Debug)]
pub struct EmojiTable {
    descriptions: HashMap<char, Box<str>, BuildWordHasher>,
}

impl EmojiTable {
    /// Reads `emoji_utf8_lexicon.txt`. Python compares the text one code
    /// point at a time, so multi-code-point entries (flags, skin tones, ZWJ
    /// sequences) can never match there and are skipped here too.
    pub fn parse(text: &str) -> Self {
        let mut descriptions = HashMap::default();
        for line in text.trim_end_matches('\n').split('\n') {
            let mut fields = trim_py(line).split('\t');
            let (Some(emoji), Some(description)) = (fields.next(), fields.next()) else {
                continue;
            };
            let mut chars = emoji.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                descriptions.insert(c, description.into());
            }
        }
        Self { descriptions }
    }

    /// Replaces emojis by their descriptions, separated from the preceding
    /// text by a space unless one is already there. Text without emojis is
    /// returned as is; every listed emoji is outside ASCII, so ASCII text
    /// skips the scan entirely.
    pub fn describe<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if text.is_ascii() {
            return Cow::Borrowed(text);
        }
        let Some(first) = text.find(|c| self.descriptions.contains_key(&c)) else {
            return Cow::Borrowed(text);
        };
        let mut out = String::with_capacity(text.len() + 32);
        out.push_str(&text[..first]);
        let mut after_space = first == 0 || text[..first].ends_with(' ');
        for c in text[first..].chars() {
            match self.descriptions.get(&c) {
                Some(description) => {
                    if !after_space {
                        out.push(' ');
                    }
                    out.push_str(description);
                    after_space = false;
                }
                None => {
                    out.push(c);
                    after_space = c == ' ';
                }
            }
        }
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emojis_become_space_separated_descriptions() {
        let table = EmojiTable::parse("😁\tbeaming face\n💘\theart with arrow\n🇺🇸\tflag\n");
        assert_eq!(
            table.describe("ok😁💘 x"),
            "ok beaming face heart with arrow x"
        );
        assert_eq!(table.describe("😁 ok"), "beaming face ok");
        assert_eq!(table.describe("plain"), "plain");
        assert_eq!(table.describe("é 🇺🇸"), "é 🇺🇸");
    }
}
