//! Loading lexicon files into the table the scorer consults.
//!
//! The standard lexicon is read the way Python reads it (first two tab
//! fields, last duplicate wins) so both see the same numbers. Extension files
//! are checked strictly instead: a typo there would silently change scores,
//! and an entry the tokeniser can never produce would silently do nothing.

use std::collections::HashMap;

use thiserror::Error;

use super::hasher::BuildWordHasher;
use super::tokens;
use super::vocabulary::{BOOSTERS, NEGATIONS};

/// What the scorer needs to know about one lower-case token, gathered into a
/// single entry so each token costs one hash lookup.
#[derive(Clone, Copy, Debug, Default)]
pub struct WordInfo {
    /// Lexicon valence, if the word is in the lexicon.
    pub valence: Option<f64>,
    /// Booster/dampener shift, if the word is a degree adverb.
    pub booster: Option<f64>,
    /// Whether the word is in VADER's negation list.
    pub negation: bool,
}

#[derive(Clone, Debug)]
pub struct WordTable {
    words: HashMap<Box<str>, WordInfo, BuildWordHasher>,
}

impl WordTable {
    /// Builds the table from the standard lexicon text plus VADER's fixed
    /// booster and negation lists.
    pub fn standard(lexicon: &str) -> Self {
        let mut words: HashMap<Box<str>, WordInfo, BuildWordHasher> = HashMap::default();
        for &(word, shift) in BOOSTERS {
            words.entry(word.into()).or_default().booster = Some(shift);
        }
        for &word in NEGATIONS {
            words.entry(word.into()).or_default().negation = true;
        }
        let mut table = Self { words };
        table.extend(lexicon.split('\n').filter_map(standard_entry));
        table
    }

    /// Adds or overrides lexicon valences.
    pub fn extend<K: Into<Box<str>>>(&mut self, entries: impl IntoIterator<Item = (K, f64)>) {
        for (word, valence) in entries {
            self.words.entry(word.into()).or_default().valence = Some(valence);
        }
    }

    #[inline]
    pub fn get(&self, lower: &str) -> Option<&WordInfo> {
        self.words.get(lower)
    }
}

/// Reads a standard-lexicon line as Python does: strip, take the first two
/// tab-separated fields, parse the second as a float.
fn standard_entry(line: &str) -> Option<(&str, f64)> {
    let mut fields = tokens::trim_py(line).split('\t');
    let word = fields.next().filter(|w| !w.is_empty())?;
    let valence = fields.next()?.trim().parse().ok()?;
    Some((word, valence))
}

/// Why an extension lexicon was rejected. Every variant names the 1-based
/// line so the file can be fixed without guessing.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum LexiconError {
    #[error(
        "line {line}: expected 4 tab-separated fields (token, mean, std dev, ratings), found {found}"
    )]
    Fields { line: usize, found: usize },
    #[error("line {line}: token {token:?} {reason}")]
    Token {
        line: usize,
        token: String,
        reason: &'static str,
    },
    #[error("line {line}: {field} {value:?} {reason}")]
    Number {
        line: usize,
        field: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("line {line}: ratings {value:?} {reason}")]
    Ratings {
        line: usize,
        value: String,
        reason: &'static str,
    },
    #[error("line {line}: mean {mean} does not match the ratings' mean {expected}")]
    MeanMismatch {
        line: usize,
        mean: f64,
        expected: f64,
    },
    #[error(
        "line {line}: std dev {std_dev} does not match the ratings' population std dev {expected:.5}"
    )]
    StdDevMismatch {
        line: usize,
        std_dev: f64,
        expected: f64,
    },
    #[error("line {line}: token {token:?} is already defined on line {first}")]
    Duplicate {
        line: usize,
        token: String,
        first: usize,
    },
}

/// VADER's raters used integers from -4 to +4; ten of them per word.
const RATINGS: usize = 10;
const MAX_RATING: i32 = 4;

/// Parses and validates an extension lexicon (same format as
/// `vader_lexicon.txt`). Blank lines are allowed; comments are not, because
/// `#` starts real tokens (emoticons such as `#-)`).
pub fn parse_extension(text: &str) -> Result<Vec<(Box<str>, f64)>, LexiconError> {
    let mut entries: Vec<(Box<str>, f64)> = Vec::new();
    let mut first_line: HashMap<Box<str>, usize, BuildWordHasher> = HashMap::default();
    for (index, raw) in text.split('\n').enumerate() {
        let line = index + 1;
        let content = raw.strip_suffix('\r').unwrap_or(raw);
        if content.trim().is_empty() {
            continue;
        }
        let entry = parse_extension_line(line, content)?;
        if let Some(&first) = first_line.get(&entry.0) {
            return Err(LexiconError::Duplicate {
                line,
                token: entry.0.into(),
                first,
            });
        }
        first_line.insert(entry.0.clone(), line);
        entries.push(entry);
    }
    Ok(entries)
}

fn parse_extension_line(line: usize, content: &str) -> Result<(Box<str>, f64), LexiconError> {
    let fields: Vec<&str> = content.split('\t').collect();
    let [token, mean, std_dev, ratings] = fields[..] else {
        return Err(LexiconError::Fields {
            line,
            found: fields.len(),
        });
    };
    check_token(line, token)?;
    let mean = parse_number(line, "mean", mean)?;
    if mean.abs() > f64::from(MAX_RATING) {
        return Err(LexiconError::Number {
            line,
            field: "mean",
            value: mean.to_string(),
            reason: "is outside VADER's -4..=4 scale",
        });
    }
    let std_dev = parse_number(line, "std dev", std_dev)?;
    let ratings = parse_ratings(line, ratings)?;
    let count = ratings.len() as f64;
    let expected = ratings.iter().map(|&r| f64::from(r)).sum::<f64>() / count;
    // Means are conventionally written to one decimal, as in VADER's file.
    if (expected - mean).abs() > 0.05 + 1e-9 {
        return Err(LexiconError::MeanMismatch {
            line,
            mean,
            expected,
        });
    }
    let variance = ratings
        .iter()
        .map(|&r| (f64::from(r) - expected).powi(2))
        .sum::<f64>()
        / count;
    let expected_std = variance.sqrt();
    if (expected_std - std_dev).abs() > 0.01 {
        return Err(LexiconError::StdDevMismatch {
            line,
            std_dev,
            expected: expected_std,
        });
    }
    Ok((token.into(), mean))
}

/// Rejects tokens that could never be looked up, since the tokeniser lower-
/// cases words, splits on whitespace and strips edge punctuation from words
/// longer than two characters.
fn check_token(line: usize, token: &str) -> Result<(), LexiconError> {
    let reason = if token.is_empty() {
        Some("is empty")
    } else if token.chars().any(tokens::is_py_space) {
        Some("contains whitespace; VADER matches single tokens only")
    } else if token.to_lowercase() != token {
        Some("has capitals; VADER looks words up in lower case, so it would never match")
    } else if tokens::strip_edge_punctuation(token) != token {
        Some("starts or ends with punctuation that the tokeniser strips, so it would never match")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(LexiconError::Token {
            line,
            token: token.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

fn parse_number(line: usize, field: &'static str, value: &str) -> Result<f64, LexiconError> {
    match value.trim().parse::<f64>() {
        Ok(number) if number.is_finite() => Ok(number),
        _ => Err(LexiconError::Number {
            line,
            field,
            value: value.to_string(),
            reason: "is not a finite number",
        }),
    }
}

fn parse_ratings(line: usize, value: &str) -> Result<Vec<i32>, LexiconError> {
    let error = |reason| LexiconError::Ratings {
        line,
        value: value.to_string(),
        reason,
    };
    let inner = value
        .trim()
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .ok_or_else(|| error("must be a bracketed list like [1, 2, 0, ...]"))?;
    let ratings = inner
        .split(',')
        .map(|item| item.trim().parse::<i32>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| error("must contain only integers"))?;
    if ratings.len() != RATINGS {
        return Err(error("must have exactly 10 ratings"));
    }
    if ratings.iter().any(|r| r.abs() > MAX_RATING) {
        return Err(error("must each be between -4 and 4"));
    }
    Ok(ratings)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "moon\t1.5\t0.5\t[1, 2, 1, 2, 1, 2, 1, 2, 1, 2]";

    #[test]
    fn accepts_vader_format_with_blank_lines_and_crlf() {
        let text = format!("\n{GOOD}\r\n\n");
        let entries = parse_extension(&text).unwrap();
        assert_eq!(entries, vec![("moon".into(), 1.5)]);
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            "moon\t1.5\t0.5",
            "Moon\t1.5\t0.5\t[1, 2, 1, 2, 1, 2, 1, 2, 1, 2]",
            "to the moon\t1.5\t0.5\t[1, 2, 1, 2, 1, 2, 1, 2, 1, 2]",
            "moon!\t1.5\t0.5\t[1, 2, 1, 2, 1, 2, 1, 2, 1, 2]",
            "moon\tx\t0.5\t[1, 2, 1, 2, 1, 2, 1, 2, 1, 2]",
            "moon\t9\t0.5\t[1, 2, 1, 2, 1, 2, 1, 2, 1, 2]",
            "moon\t1.5\t0.5\t[1, 2, 1, 2, 1, 2, 1, 2, 1]",
            "moon\t1.5\t0.5\t[1, 2, 1, 2, 1, 2, 1, 2, 1, 9]",
            "moon\t1.5\t0.5\t1, 2, 1, 2, 1, 2, 1, 2, 1, 2",
            "moon\t2.5\t0.5\t[1, 2, 1, 2, 1, 2, 1, 2, 1, 2]",
            "moon\t1.5\t1.5\t[1, 2, 1, 2, 1, 2, 1, 2, 1, 2]",
            "moon\tNaN\t0.5\t[1, 2, 1, 2, 1, 2, 1, 2, 1, 2]",
        ];
        for case in cases {
            let text = format!("{GOOD}\n\n{case}\n");
            let error = parse_extension(&text).unwrap_err();
            assert!(
                error.to_string().starts_with("line 3: "),
                "{case:?} gave {error}"
            );
        }
    }

    #[test]
    fn duplicates_point_at_the_first_definition() {
        let error = parse_extension(&format!("{GOOD}\n{GOOD}")).unwrap_err();
        assert_eq!(
            error,
            LexiconError::Duplicate {
                line: 2,
                token: "moon".into(),
                first: 1
            }
        );
    }

    #[test]
    fn emoticon_tokens_are_reachable() {
        let text = ":-/\t-1.0\t0.0\t[-1, -1, -1, -1, -1, -1, -1, -1, -1, -1]";
        assert!(parse_extension(text).is_ok());
    }

    #[test]
    fn standard_lexicon_reads_like_python() {
        let table =
            WordTable::standard("good\t1.9\t0.9\t[]\r\nbad\t-2.5\t0\t[]\r\ngood\t2.0\t0\t[]");
        assert_eq!(table.get("good").unwrap().valence, Some(2.0));
        assert_eq!(table.get("bad").unwrap().valence, Some(-2.5));
        assert!(table.get("very").unwrap().booster.is_some());
        assert!(table.get("never").unwrap().negation);
    }
}
