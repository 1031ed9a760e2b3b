//! Trains the headline sentiment model and reports its cross-validated agreement with people.
//!
//! cargo run --release --example train_sentiment -- tests/fixtures/sentiment/cryptolin-dev.csv \
//!     tests/fixtures/sentiment/tfns-train.csv assets/sentiment_model.tsv
//!
//! Prints 10-fold cross-validation (accuracy, macro-F1, confusion) on the crypto headlines
//! (each fold scored by a model trained on the other folds and on all of the financial news),
//! then trains on both and writes the weights. Without an output path it only measures.
//! `--grid` also tries a few settings around the defaults (to choose them; the choice is
//! judged by cross-validation on the crypto development half alone).

use cryptoviz::news::sentiment::train::{
    Metrics, Params, cross_validate, featurize, read_csv, read_tfns, train,
};
use cryptoviz::news::sentiment::{Analyzer, Scorer};

fn show(what: &str, m: &Metrics) {
    println!("{what}: {m}");
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let grid = args.iter().any(|a| a == "--grid");
    let paths: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let [input, financial] = [0, 1].map(|i| paths.get(i));
    let (Some(input), Some(financial)) = (input, financial) else {
        return Err("usage: train_sentiment CRYPTO.csv FINANCIAL.csv [MODEL.tsv] [--grid]".into());
    };
    let read = |path: &str| std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"));
    let examples = read_csv(&read(input)?)?;
    let extra = featurize(&read_tfns(&read(financial)?)?);
    let vader = Analyzer::crypto();
    let data = featurize(&examples);
    let base = Params::default();
    if grid {
        // What the cues are worth: cross-validation without them.
        use cryptoviz::news::sentiment::features::{self as fx, key};
        let drop = [key(fx::CUE_POS), key(fx::CUE_NEG)];
        let less: Vec<_> = data
            .iter()
            .map(|(f, l)| {
                let f: Vec<_> = f
                    .iter()
                    .filter(|f| !drop.contains(&f.key))
                    .cloned()
                    .collect();
                (f, *l)
            })
            .collect();
        show("no cues", &cross_validate(&less, &extra, 10, &base));
        for extra_weight in [0.0, 0.1, 0.25, 0.5, 1.0] {
            for l2 in [1.0, 4.0] {
                for rounds in [300, 600] {
                    let p = Params {
                        l2,
                        extra_weight,
                        rounds,
                        ..base
                    };
                    show(
                        &format!("financial news x{extra_weight} l2 {l2} rounds {rounds}"),
                        &cross_validate(&data, &extra, 10, &p),
                    );
                }
            }
        }
    }
    show(
        "VADER + crypto lexicon (no training)",
        &Metrics::tally(
            examples
                .iter()
                .map(|e| (e.label, vader.score(&e.title).label)),
        ),
    );
    show(
        "10-fold cross-validation",
        &cross_validate(&data, &extra, 10, &base),
    );
    if args.iter().any(|a| a == "--speed") {
        // A rough figure while choosing features; `cryptoviz bench` gives the real one.
        let t = std::time::Instant::now();
        let reps = 50;
        for _ in 0..reps {
            for e in &examples {
                std::hint::black_box(vader.score_with(Scorer::Headlines, &e.title));
            }
        }
        let rate = (reps * examples.len()) as f64 / t.elapsed().as_secs_f64();
        println!("scoring: {rate:.0} headlines/s");
        let time = |what: &str, f: &dyn Fn(&str)| {
            let t = std::time::Instant::now();
            for _ in 0..reps {
                for e in &examples {
                    f(&e.title);
                }
            }
            let ns = t.elapsed().as_nanos() as f64 / (reps * examples.len()) as f64;
            println!("  {what}: {ns:.0} ns a headline");
        };
        time("vader", &|t| {
            std::hint::black_box(vader.score(t));
        });
        time("words", &|t| {
            std::hint::black_box(cryptoviz::news::sentiment::features::words(t));
        });
        time("features", &|t| {
            std::hint::black_box(cryptoviz::news::sentiment::features::extract_keys(t));
        });
    }
    if let Some(out) = paths.get(2) {
        let model = train(&data, &extra, &base);
        std::fs::write(out, model.to_tsv()).map_err(|e| format!("{out}: {e}"))?;
        println!("{} features written to {out}", model.len());
    }
    Ok(())
}
