//! Headline sentiment: a Rust implementation of the VADER rules that scores
//! exactly like Python `vaderSentiment` 3.3.2, plus a crypto/finance lexicon
//! extension.
//!
//! The published Rust ports of VADER disagree with the reference
//! implementation on most sentences, or cannot take extra words, so the
//! scorer lives here and is held to the Python output by
//! `tests/sentiment_parity.rs`. See `docs/sentiment.md` for the rules, the
//! lexicon files and how to regenerate the reference vectors.

mod emoji;
pub mod features;
mod hasher;
mod lexicon;
pub mod model;
mod rounding;
mod rules;
mod tokens;
pub mod train;
mod vocabulary;

pub use lexicon::LexiconError;
pub use model::{Label, MODEL_NAME, Model};

use lexicon::WordTable;

/// The VADER lexicon as shipped by `vaderSentiment` 3.3.2 (MIT licensed).
const VADER_LEXICON: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/vader_lexicon.txt"
));

/// The emoji-to-description table VADER substitutes before scoring.
const EMOJI_LEXICON: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/emoji_utf8_lexicon.txt"
));

/// Market vocabulary that plain VADER scores as neutral.
const CRYPTO_LEXICON: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/crypto_lexicon.txt"
));

pub use crate::domain::{Scorer, Sentiment};

/// A ready-to-use scorer. Building one parses ~7,500 lexicon lines, so build
/// it once and share it: scoring only reads it, and it is `Send + Sync`.
#[derive(Clone, Debug)]
pub struct Analyzer {
    words: WordTable,
    emoji: emoji::EmojiTable,
}

impl Analyzer {
    /// The standard VADER lexicon only; scores match Python's default
    /// `SentimentIntensityAnalyzer()`.
    pub fn plain() -> Self {
        Self {
            words: WordTable::standard(VADER_LEXICON),
            emoji: emoji::EmojiTable::parse(EMOJI_LEXICON),
        }
    }

    /// The standard lexicon with `assets/crypto_lexicon.txt` layered on top:
    /// what the dashboard uses for news.
    pub fn crypto() -> Self {
        Self::with_extension(CRYPTO_LEXICON)
            .expect("bundled crypto lexicon is validated by the test suite")
    }

    /// The standard lexicon plus a caller-supplied extension in VADER's
    /// lexicon format. Entries override standard ones, as Python's
    /// `analyzer.lexicon.update(...)` would.
    pub fn with_extension(text: &str) -> Result<Self, LexiconError> {
        let mut analyzer = Self::plain();
        analyzer.words.extend(lexicon::parse_extension(text)?);
        Ok(analyzer)
    }

    /// Scores a text with `scorer`: VADER's own numbers, or the headline model's.
    pub fn score_with(&self, scorer: Scorer, text: &str) -> Sentiment {
        match scorer {
            Scorer::Vader => self.score(text),
            Scorer::Headlines => {
                let p = Model::bundled().probabilities(text);
                let r = |x: f32, d| rounding::round_py(f64::from(x), d);
                Sentiment {
                    compound: r(p[2] - p[0], 4),
                    pos: r(p[2], 3),
                    neu: r(p[1], 3),
                    neg: r(p[0], 3),
                    label: Label::argmax(p),
                    scorer,
                }
            }
        }
    }

    /// Scores one piece of text (a headline, a sentence) with VADER. Never panics.
    pub fn score(&self, text: &str) -> Sentiment {
        let text = self.emoji.describe(text);
        let text = tokens::trim_py(&text);
        let words = tokens::Tokens::split(text, &self.words);
        let valences = rules::valences(&words);
        rules::summarise(&valences, text)
    }
}

/// Why the headline model judged a title as it did: the words, phrases and rules that pulled
/// hardest toward its label, strongest first (for the news popup).
pub fn explain(title: &str) -> Vec<(String, f32)> {
    Model::bundled().score(title).reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn analyzer_is_shareable() {
        assert_send_sync::<Analyzer>();
    }

    #[test]
    fn bundled_crypto_lexicon_is_valid() {
        assert!(lexicon::parse_extension(CRYPTO_LEXICON).is_ok());
    }
}
