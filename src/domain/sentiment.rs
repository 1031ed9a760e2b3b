//! A headline's sentiment as every layer sees it: the scores, the class and which scorer
//! judged. How a text is scored is `news::sentiment`'s.

use serde::{Deserialize, Serialize};

/// VADER's four scores, rounded the way Python's `polarity_scores` rounds
/// them (compound to 4 decimals, the proportions to 3) so values compare
/// equal to the reference implementation rather than merely close.
///
/// The headline model fills the same fields with its own equivalents: `pos`, `neu` and `neg`
/// are its class probabilities and `compound` is `pos - neg`. `label` is the scorer's class
/// and `scorer` says which one spoke.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    pub compound: f64,
    pub pos: f64,
    pub neu: f64,
    pub neg: f64,
    #[serde(default)]
    pub label: Label,
    #[serde(default, rename = "model")]
    pub scorer: Scorer,
}

/// Which scorer judged a text (`[news] sentiment`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scorer {
    /// VADER with the crypto lexicon, exactly as Python's vaderSentiment.
    #[default]
    #[serde(rename = "vader")]
    Vader,
    /// The headline model trained on labelled crypto headlines (the default).
    #[serde(rename = "cryptoviz-headlines-1")]
    Headlines,
}

impl Scorer {
    pub fn as_str(self) -> &'static str {
        match self {
            Scorer::Vader => "vader",
            Scorer::Headlines => MODEL_NAME,
        }
    }

    /// A stored name, or the config's `"model"` / `"vader"`.
    pub fn parse(s: &str) -> Option<Scorer> {
        match s {
            "vader" => Some(Scorer::Vader),
            "model" | MODEL_NAME => Some(Scorer::Headlines),
            _ => None,
        }
    }
}

/// The model's name in reports and `news --json`.
pub const MODEL_NAME: &str = "cryptoviz-headlines-1";

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    Negative,
    #[default]
    Neutral,
    Positive,
}

impl Label {
    pub const ALL: [Label; 3] = [Label::Negative, Label::Neutral, Label::Positive];

    pub fn as_str(self) -> &'static str {
        match self {
            Label::Negative => "negative",
            Label::Neutral => "neutral",
            Label::Positive => "positive",
        }
    }

    pub fn parse(s: &str) -> Option<Label> {
        Label::ALL.into_iter().find(|l| l.as_str() == s.trim())
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// The most probable class (ties go to the earlier: negative, then neutral).
    pub fn argmax(probs: [f32; 3]) -> Label {
        let best = (0..3)
            .rev()
            .max_by(|&a, &b| probs[a].total_cmp(&probs[b]))
            .unwrap_or(1);
        Label::ALL[best]
    }

    /// VADER's own convention: compound >= 0.05 positive, <= -0.05 negative.
    pub fn from_compound(compound: f64) -> Label {
        if compound >= 0.05 {
            Label::Positive
        } else if compound <= -0.05 {
            Label::Negative
        } else {
            Label::Neutral
        }
    }
}
