//! The VADER heuristics: per-token valences adjusted by their neighbours,
//! then combined into the four scores.
//!
//! Several rules look odd on purpose (the contrastive "but" rescales by
//! value lookup, "no" reaches three words ahead, a zero valence counts as
//! negative for capitalised boosters). They are what vaderSentiment 3.3.2
//! does, and matching it number for number is the point of this module.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

use super::Sentiment;
use super::rounding::round_py;
use super::tokens::Tokens;
use super::vocabulary::{
    ALPHA, BOOSTER_PHRASES, CAPS_BOOST, EXCLAMATION_BOOST, MANY_QUESTIONS_BOOST, MAX_EXCLAMATIONS,
    NEGATION_SCALE, QUESTION_BOOST, SPECIAL_PHRASES,
};

/// How far back booster and negation words are looked for.
const LOOKBACK: usize = 3;

/// A modifier two or three words away counts for less than an adjacent one.
const DISTANCE_DAMPING: [f64; LOOKBACK] = [1.0, 0.95, 0.9];

/// One valence per token, zero for tokens that carry no sentiment.
pub fn valences(words: &Tokens) -> Vec<f64> {
    let mut valences: Vec<f64> = (0..words.len()).map(|i| token_valence(words, i)).collect();
    contrast_but(words, &mut valences);
    valences
}

fn token_valence(words: &Tokens, i: usize) -> f64 {
    // Degree adverbs and "kind of" only modify other words.
    if words.booster(i).is_some()
        || (words.lower(i) == "kind" && i + 1 < words.len() && words.lower(i + 1) == "of")
    {
        return 0.0;
    }
    let Some(base) = words.valence(i) else {
        return 0.0;
    };
    let mut valence = no_rule(words, i, base);
    if words.get(i).upper && words.cap_diff {
        valence += if valence > 0.0 {
            CAPS_BOOST
        } else {
            -CAPS_BOOST
        };
    }
    for (distance, damping) in DISTANCE_DAMPING.iter().enumerate().take(i) {
        let j = i - distance - 1;
        // Sentiment words are not modifiers, and they also block the
        // negation and idiom checks at their distance.
        if words.valence(j).is_some() {
            continue;
        }
        valence += booster_shift(words, j, valence) * damping;
        valence = negation(words, i, distance, valence);
        if distance == 2 {
            valence = idioms(words, i, valence);
        }
    }
    least(words, i, valence)
}

/// "no" is a negative word by itself, but before another sentiment word it
/// acts as a negator for up to two words (three across "or"/"nor").
fn no_rule(words: &Tokens, i: usize, base: f64) -> f64 {
    let is_no = |k: usize| words.lower(k) == "no";
    let mut valence = base;
    if is_no(i) && i + 1 < words.len() && words.valence(i + 1).is_some() {
        valence = 0.0;
    }
    let negated_by_no = (i > 0 && is_no(i - 1))
        || (i > 1 && is_no(i - 2))
        || (i > 2 && is_no(i - 3) && matches!(words.lower(i - 1), "or" | "nor"));
    if negated_by_no {
        valence = base * NEGATION_SCALE;
    }
    valence
}

/// The shift a booster at `j` gives to a word with `valence`: towards more
/// extreme values, with extra weight when the booster is shouted.
fn booster_shift(words: &Tokens, j: usize, valence: f64) -> f64 {
    let Some(mut shift) = words.booster(j) else {
        return 0.0;
    };
    if valence < 0.0 {
        shift = -shift;
    }
    if words.get(j).upper && words.cap_diff {
        shift += if valence > 0.0 {
            CAPS_BOOST
        } else {
            -CAPS_BOOST
        };
    }
    shift
}

/// Negation by the word `distance + 1` places before `i`, except in the
/// phrases "never so/this ..." (an intensifier) and "without doubt".
fn negation(words: &Tokens, i: usize, distance: usize, valence: f64) -> f64 {
    let w = |k: usize| words.lower(i - k);
    let so_or_this = |k: usize| matches!(w(k), "so" | "this");
    let negator = words.get(i - distance - 1).negates;
    match distance {
        0 if negator => valence * NEGATION_SCALE,
        1 if w(2) == "never" && so_or_this(1) => valence * 1.25,
        1 if w(2) == "without" && w(1) == "doubt" => valence,
        1 if negator => valence * NEGATION_SCALE,
        2 if (w(3) == "never" && so_or_this(2)) || so_or_this(1) => valence * 1.25,
        2 if w(3) == "without" && (w(2) == "doubt" || w(1) == "doubt") => valence,
        2 if negator => valence * NEGATION_SCALE,
        _ => valence,
    }
}

/// Special phrases around the word override its valence; two-word dampeners
/// ("kind of", "sort of", "just enough") just before it weaken it.
/// Only called with at least three words before `i`.
fn idioms(words: &Tokens, i: usize, mut valence: f64) -> f64 {
    let special = |start: usize, len: usize| {
        SPECIAL_PHRASES
            .iter()
            .find(|(phrase, _)| phrase.len() == len && words.spells(start, phrase))
            .map(|&(_, value)| value)
    };
    // Phrases ending at or just before the word, first match wins.
    let before = [(i - 1, 2), (i - 2, 3), (i - 2, 2), (i - 3, 3), (i - 3, 2)];
    if let Some(value) = before.iter().find_map(|&(start, len)| special(start, len)) {
        valence = value;
    }
    // Phrases starting at the word override those.
    if i + 1 < words.len()
        && let Some(value) = special(i, 2)
    {
        valence = value;
    }
    if i + 2 < words.len()
        && let Some(value) = special(i, 3)
    {
        valence = value;
    }
    for start in [i - 3, i - 2] {
        for (phrase, shift) in BOOSTER_PHRASES {
            if words.spells(start, phrase) {
                valence += shift;
            }
        }
    }
    valence
}

/// "least" before a word negates it, except in "at least" / "very least".
fn least(words: &Tokens, i: usize, valence: f64) -> f64 {
    if i == 0 || words.lower(i - 1) != "least" || words.valence(i - 1).is_some() {
        return valence;
    }
    if i > 1 && matches!(words.lower(i - 2), "at" | "very") {
        return valence;
    }
    valence * NEGATION_SCALE
}

/// After the first "but", earlier sentiment is halved and later sentiment
/// boosted by half. Python locates each value with `list.index`, i.e. by the
/// first equal value, so a repeated valence can rescale an earlier slot
/// twice and leave its own untouched; that is reproduced here.
///
/// Python's version is quadratic. This one keeps, for each distinct value,
/// the slots currently holding it, so a long article costs n log n. Zeros
/// are skipped: rescaling a zero leaves a zero, which changes no score.
fn contrast_but(words: &Tokens, valences: &mut [f64]) {
    let Some(but) = (0..words.len()).find(|&i| words.lower(i) == "but") else {
        return;
    };
    // Bit patterns are a faithful equality key for non-zero, non-NaN floats.
    let mut holders: HashMap<u64, BTreeSet<usize>> = HashMap::new();
    for (slot, value) in valences.iter().enumerate() {
        if *value != 0.0 {
            holders.entry(value.to_bits()).or_default().insert(slot);
        }
    }
    for k in 0..valences.len() {
        // Earlier iterations only rewrite slots before k, so this is the
        // original value, and slot k is among its holders.
        let value = valences[k];
        if value == 0.0 {
            continue;
        }
        let Some(slot) = holders
            .get(&value.to_bits())
            .and_then(|slots| slots.first().copied())
        else {
            continue;
        };
        let scaled = match slot.cmp(&but) {
            Ordering::Less => value * 0.5,
            Ordering::Greater => value * 1.5,
            Ordering::Equal => continue,
        };
        if let Some(slots) = holders.get_mut(&value.to_bits()) {
            slots.remove(&slot);
        }
        holders.entry(scaled.to_bits()).or_default().insert(slot);
        valences[slot] = scaled;
    }
}

/// Combines the valences into compound, pos, neu and neg, amplified by the
/// "!" and "?" in `text`.
pub fn summarise(valences: &[f64], text: &str) -> Sentiment {
    if valences.is_empty() {
        return Sentiment::default();
    }
    let emphasis = punctuation_emphasis(text);
    let mut total: f64 = valences.iter().fold(0.0, |sum, &v| sum + v);
    if total > 0.0 {
        total += emphasis;
    } else if total < 0.0 {
        total -= emphasis;
    }
    let compound = (total / (total * total + ALPHA).sqrt()).clamp(-1.0, 1.0);

    // Each sentiment word also counts as one neutral unit, as in VADER.
    let (mut pos, mut neg, mut neutral) = (0.0f64, 0.0f64, 0usize);
    for &v in valences {
        if v > 0.0 {
            pos += v + 1.0;
        } else if v < 0.0 {
            neg += v - 1.0;
        } else {
            neutral += 1;
        }
    }
    if pos > neg.abs() {
        pos += emphasis;
    } else if pos < neg.abs() {
        neg -= emphasis;
    }
    let sum = pos + neg.abs() + neutral as f64;
    let compound = round_py(compound, 4);
    Sentiment {
        compound,
        pos: round_py((pos / sum).abs(), 3),
        neu: round_py((neutral as f64 / sum).abs(), 3),
        neg: round_py((neg / sum).abs(), 3),
        label: super::Label::from_compound(compound),
        scorer: super::Scorer::Vader,
    }
}

fn punctuation_emphasis(text: &str) -> f64 {
    let exclamations = text.bytes().filter(|&b| b == b'!').count();
    let questions = text.bytes().filter(|&b| b == b'?').count();
    let exclaim = exclamations.min(MAX_EXCLAMATIONS) as f64 * EXCLAMATION_BOOST;
    let question = match questions {
        0 | 1 => 0.0,
        2 | 3 => questions as f64 * QUESTION_BOOST,
        _ => MANY_QUESTIONS_BOOST,
    };
    exclaim + question
}
