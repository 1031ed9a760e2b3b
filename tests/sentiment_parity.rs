//! Holds the Rust VADER scorer to Python `vaderSentiment` 3.3.2.
//!
//! The vectors in tests/fixtures/vader are written by
//! `tools/gen_vader_vectors.py`; each line is `[text, compound, pos, neu, neg]`
//! as Python returned them (already rounded), for the plain analyzer and for
//! the analyzer with assets/crypto_lexicon.txt loaded via `lexicon.update`.

use std::sync::Arc;

use cryptoviz::news::sentiment::{Analyzer, LexiconError, Sentiment};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vader");

type Vector = (String, f64, f64, f64, f64);

fn load(name: &str) -> Vec<Vector> {
    let path = format!("{FIXTURES}/{name}.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{path}:{}: {e}", i + 1))
        })
        .collect()
}

/// Both sides are rounded the same way, so "equal to 4 decimals" is checked
/// as equality up to float noise; any rule difference shows as >= 0.0001.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn assert_parity(analyzer: &Analyzer, name: &str) {
    let vectors = load(name);
    assert!(
        vectors.len() >= 5000,
        "{name}: only {} vectors",
        vectors.len()
    );
    let mut mismatches = Vec::new();
    for (text, compound, pos, neu, neg) in &vectors {
        let got = analyzer.score(text);
        let ok = same(got.compound, *compound)
            && same(got.pos, *pos)
            && same(got.neu, *neu)
            && same(got.neg, *neg);
        if !ok {
            mismatches.push(format!(
                "  {text:?}\n    python: compound {compound} pos {pos} neu {neu} neg {neg}\n    rust:   compound {} pos {} neu {} neg {}",
                got.compound, got.pos, got.neu, got.neg
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{name}: {} of {} vectors differ from Python; first ones:\n{}",
        mismatches.len(),
        vectors.len(),
        mismatches[..mismatches.len().min(8)].join("\n")
    );
}

#[test]
fn plain_lexicon_matches_python() {
    assert_parity(&Analyzer::plain(), "plain");
}

#[test]
fn crypto_lexicon_matches_python_with_lexicon_update() {
    assert_parity(&Analyzer::crypto(), "crypto");
}

#[test]
fn fixtures_stay_small() {
    let total: u64 = std::fs::read_dir(FIXTURES)
        .unwrap()
        .map(|entry| entry.unwrap().metadata().unwrap().len())
        .sum();
    assert!(total < 2 * 1024 * 1024, "fixtures are {total} bytes");
}

#[test]
fn crypto_lexicon_knows_market_words() {
    let headline = "Bitcoin surges past $100K as ETF inflows hit record";
    assert_eq!(Analyzer::plain().score(headline).compound, 0.0);
    let crypto = Analyzer::crypto();
    assert!(crypto.score(headline).compound > 0.3);
    assert!(
        crypto
            .score("Exchange hacked, funds drained in rug pull")
            .compound
            < -0.5
    );
    assert!(crypto.score("Ether plunges as liquidations mount").compound < -0.3);
}

#[test]
fn extension_overrides_and_errors_name_the_line() {
    let ext = "moon\t2.0\t0.0\t[2, 2, 2, 2, 2, 2, 2, 2, 2, 2]\n";
    let analyzer = Analyzer::with_extension(ext).unwrap();
    assert!(analyzer.score("to the moon").compound > 0.0);
    assert_eq!(Analyzer::plain().score("to the moon").compound, 0.0);

    let bad = format!("{ext}\nrug pull\t-2.0\t0.0\t[-2, -2, -2, -2, -2, -2, -2, -2, -2, -2]\n");
    let error = Analyzer::with_extension(&bad).unwrap_err();
    assert!(
        matches!(error, LexiconError::Token { line: 3, .. }),
        "{error}"
    );
    assert!(error.to_string().starts_with("line 3:"), "{error}");
}

#[test]
fn empty_and_neutral_text() {
    let analyzer = Analyzer::crypto();
    assert_eq!(analyzer.score(""), Sentiment::default());
    assert_eq!(analyzer.score("   "), Sentiment::default());
    let neutral = analyzer.score("The committee meets on Tuesday");
    assert_eq!((neutral.compound, neutral.neu), (0.0, 1.0));
}

#[test]
fn sentiment_serialises_with_field_names() {
    let s = Analyzer::plain().score("good");
    let json = serde_json::to_string(&s).unwrap();
    assert!(json.contains("\"compound\":0.4404"), "{json}");
    assert_eq!(serde_json::from_str::<Sentiment>(&json).unwrap(), s);
}

#[test]
fn shared_across_threads() {
    let analyzer = Arc::new(Analyzer::crypto());
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let analyzer = Arc::clone(&analyzer);
            std::thread::spawn(move || analyzer.score("Bitcoin rallies!").compound)
        })
        .collect();
    for handle in handles {
        assert!(handle.join().unwrap() > 0.0);
    }
}

/// xorshift64*: enough randomness to shake the tokeniser, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn check_ranges(text: &str, s: Sentiment) {
    let ok = (-1.0..=1.0).contains(&s.compound)
        && [s.pos, s.neu, s.neg]
            .iter()
            .all(|v| (0.0..=1.0).contains(v));
    assert!(ok, "{text:?} gave {s:?}");
}

#[test]
fn never_panics_on_random_input() {
    let analyzer = Analyzer::crypto();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let pieces = [
        "good",
        "BAD",
        "not",
        "no",
        "but",
        "least",
        "kind",
        "of",
        "very",
        "never",
        "so",
        "the",
        "shit",
        "!!!",
        "???",
        ":)",
        ":-(",
        "n't",
        "😁",
        "🇺🇸",
        "ǅ",
        "Σ",
        "İ",
        "\u{1c}",
        "\u{a0}",
        " ",
        "\t",
        "\n",
        "$",
        "#",
        "'",
        "-",
        "rug",
        "crash",
        "\u{0}",
        "\u{ffff}",
        "\u{10ffff}",
    ];
    for _ in 0..20_000 {
        let text: String = match rng.below(3) {
            0 => {
                let bytes: Vec<u8> = (0..rng.below(40)).map(|_| rng.next() as u8).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            }
            1 => (0..rng.below(30))
                .filter_map(|_| char::from_u32(rng.below(0x11_0000) as u32))
                .collect(),
            _ => (0..rng.below(25))
                .map(|_| pieces[rng.below(pieces.len())])
                .collect(),
        };
        check_ranges(&text, analyzer.score(&text));
    }
    let long = "very good but not bad!!! ".repeat(10_000);
    check_ranges("long", analyzer.score(&long));
}
