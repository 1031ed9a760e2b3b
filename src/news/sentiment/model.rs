//! The headline model: multinomial logistic regression over the features of `features.rs`,
//! trained on labelled crypto headlines (`train.rs`) and shipped as a text file of weights
//! (`assets/sentiment_model.tsv`). Scoring is a hash lookup per feature and a softmax over
//! three classes; the features that moved the score most are kept as the reasons.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::features::{self, Feature};

/// The shipped weights: `feature \t negative \t neutral \t positive`, one a line.
const MODEL: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/sentiment_model.tsv"
));

pub use crate::domain::{Label, MODEL_NAME};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("sentiment model line {line}: {reason}")]
pub struct ModelError {
    pub line: usize,
    pub reason: String,
}

/// One class's weights for every feature the model knows.
#[derive(Clone, Debug, Default)]
pub struct Model {
    weights: features::KeyMap<[f32; 3]>,
    /// Feature text by key, for writing the file back.
    names: HashMap<u64, String>,
}

/// A model's verdict on one title.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub label: Label,
    /// Probabilities of negative, neutral, positive.
    pub probs: [f32; 3],
    /// The words (and rules) that moved the score most toward the label, strongest first,
    /// with their contribution.
    pub reasons: Vec<(String, f32)>,
}

impl Verdict {
    /// positive minus negative probability: -1 to 1, like VADER's compound.
    pub fn compound(&self) -> f32 {
        self.probs[2] - self.probs[0]
    }
}

impl Model {
    /// The model shipped in `assets/`, parsed once.
    pub fn bundled() -> &'static Model {
        static M: OnceLock<Model> = OnceLock::new();
        M.get_or_init(|| {
            Model::parse(MODEL).unwrap_or_else(|e| unreachable!("the bundled model parses: {e}"))
        })
    }

    pub fn from_weights(weights: impl IntoIterator<Item = (String, [f32; 3])>) -> Model {
        let mut m = Model::default();
        for (name, w) in weights {
            let k = features::key(&name);
            m.weights.insert(k, w);
            m.names.insert(k, name);
        }
        m
    }

    pub fn parse(text: &str) -> Result<Model, ModelError> {
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let err = |reason: &str| ModelError {
                line: i + 1,
                reason: reason.into(),
            };
            let mut parts = line.split('\t');
            let name = parts.next().ok_or_else(|| err("empty"))?;
            let mut w = [0f32; 3];
            for slot in &mut w {
                *slot = parts
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|v: &f32| v.is_finite())
                    .ok_or_else(|| err("expected three weights"))?;
            }
            rows.push((name.to_string(), w));
        }
        Ok(Model::from_weights(rows))
    }

    /// The file form, sorted by feature so a retrained model diffs line by line.
    pub fn to_tsv(&self) -> String {
        let mut rows: Vec<(&String, &[f32; 3])> = self
            .names
            .iter()
            .filter_map(|(k, n)| self.weights.get(k).map(|w| (n, w)))
            .collect();
        rows.sort_by(|a, b| a.0.cmp(b.0));
        let mut out = format!(
            "# {MODEL_NAME}: weights per feature for negative, neutral, positive.\n\
             # Written by `cargo run --release --example train_sentiment`; see docs/sentiment.md.\n"
        );
        for (name, w) in rows {
            out.push_str(&format!("{name}\t{:.4}\t{:.4}\t{:.4}\n", w[0], w[1], w[2]));
        }
        out
    }

    pub fn len(&self) -> usize {
        self.weights.len()
    }

    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// Class scores before the softmax.
    pub fn logits(&self, feats: &[Feature]) -> [f32; 3] {
        let mut z = [0f32; 3];
        for f in feats {
            if let Some(w) = self.weights.get(&f.key) {
                for c in 0..3 {
                    z[c] += w[c] * f.value;
                }
            }
        }
        z
    }

    pub fn verdict(&self, feats: &[Feature]) -> Verdict {
        let probs = softmax(self.logits(feats));
        let label = Label::argmax(probs);
        let best = label.index();
        // A feature's pull toward the label: its weight there minus its mean weight.
        let mut reasons: Vec<(String, f32)> = feats
            .iter()
            .filter(|f| f.text != features::BIAS)
            .filter_map(|f| {
                let w = self.weights.get(&f.key)?;
                let pull = f.value * (w[best] - (w[0] + w[1] + w[2]) / 3.0);
                (pull > 0.1).then(|| (f.label().to_string(), pull))
            })
            .collect();
        reasons.sort_by(|a, b| b.1.total_cmp(&a.1));
        reasons.truncate(4);
        Verdict {
            label,
            probs,
            reasons,
        }
    }

    /// The verdict with its reasons (the words behind it).
    pub fn score(&self, title: &str) -> Verdict {
        self.verdict(&features::extract(title))
    }

    /// Class probabilities only: the fast path for scoring a stream of headlines.
    pub fn probabilities(&self, title: &str) -> [f32; 3] {
        softmax(self.logits(&features::extract_keys(title)))
    }
}

fn softmax(z: [f32; 3]) -> [f32; 3] {
    let m = z[0].max(z[1]).max(z[2]);
    let e = z.map(|v| (v - m).exp());
    let s = e[0] + e[1] + e[2];
    e.map(|v| v / s)
}
