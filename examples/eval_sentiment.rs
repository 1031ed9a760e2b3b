//! Measures the shipped headline model (and VADER beside it) on evaluation data: headlines it
//! was never trained on and no setting was chosen by.
//!
//! cargo run --release --example eval_sentiment -- cryptolin-heldout.csv Sentences_50Agree.txt
//!
//! A `.csv` is read as CryptoLin (`id,date,title,label`: the half of CryptoLin that is not in
//! `tests/fixtures/sentiment/`); a `.txt` as Financial PhraseBank (`sentence@label` per line,
//! Latin-1 or UTF-8). docs/sentiment.md says where to get both. Neither is in this repository,
//! so nothing here can train or tune on them by accident.

use cryptoviz::news::sentiment::train::{Example, Metrics, read_csv};
use cryptoviz::news::sentiment::{Analyzer, Label, Scorer};

fn read_phrasebank(bytes: &[u8]) -> Result<Vec<Example>, String> {
    // The 50 %-agreement file is Latin-1; the others are UTF-8.
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            let (title, label) = line
                .rsplit_once('@')
                .ok_or_else(|| format!("line {}: no @label", i + 1))?;
            let label = Label::parse(label.trim())
                .ok_or_else(|| format!("line {}: unknown label {label:?}", i + 1))?;
            Ok(Example {
                title: title.to_string(),
                label,
            })
        })
        .collect()
}

fn main() -> Result<(), String> {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        return Err("usage: eval_sentiment CRYPTOLIN-HELDOUT.csv [PHRASEBANK.txt ...]".into());
    }
    let analyzer = Analyzer::crypto();
    for path in &paths {
        let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        let examples = if path.ends_with(".csv") {
            read_csv(&String::from_utf8_lossy(&bytes))?
        } else {
            read_phrasebank(&bytes)?
        };
        println!("{path}:");
        for scorer in [Scorer::Headlines, Scorer::Vader] {
            let m = Metrics::tally(
                examples
                    .iter()
                    .map(|e| (e.label, analyzer.score_with(scorer, &e.title).label)),
            );
            println!("  {scorer:?}: {m}");
        }
    }
    Ok(())
}
