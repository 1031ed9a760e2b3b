//! What the headline model sees of a title: normalised words and word pairs, with names and
//! numbers reduced to their kind, plus counts of market cues. (VADER's compound as a feature
//! added half a point of cross-validated accuracy for half the scoring time; it was dropped.)
//!
//! Names carry no sentiment: "Optimism delays mainnet" is about a project called Optimism,
//! and "Rob Gronkowski" is a person. Every coin name and ticker in `assets/coins.toml` and
//! every name in `assets/entity_names.txt` becomes the token `<name>`. Amounts become
//! `<money>`, `<pct>` or `<num>`: "$900M" says that money moved, not which way.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// People, firms, projects and agencies that headlines name (one a line, `#` comments).
const ENTITY_NAMES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/entity_names.txt"
));
/// Market and news cues with their direction (see the file's header).
const CUES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/sentiment_cues.txt"
));

/// One feature of a title: its stable hash, its value, and the words it stands for (shown as
/// the reason for a score).
#[derive(Clone, Debug, PartialEq)]
pub struct Feature {
    pub key: u64,
    pub value: f32,
    /// The feature's name in the model file.
    pub text: String,
    /// What a reader is shown for it, when that differs from the name (the cues found).
    pub shown: Option<String>,
}

impl Feature {
    /// The words a reader sees as the reason.
    pub fn label(&self) -> &str {
        self.shown.as_deref().unwrap_or(&self.text)
    }
}

/// Counts of good-news and bad-news cues.
pub const CUE_POS: &str = "cue:pos";
pub const CUE_NEG: &str = "cue:neg";
/// Every feature that is not a word: always kept in training.
pub const DENSE: [&str; 3] = [BIAS, CUE_POS, CUE_NEG];
/// The bias term's name in the model file.
pub const BIAS: &str = "bias";

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Stable 64-bit FNV-1a: the model file names features by text, the scorer looks them up by
/// this hash, and both must agree on every machine and run.
pub fn key(text: &str) -> u64 {
    extend(FNV_OFFSET, text)
}

/// FNV-1a continued over more text: `extend(key(a), " b") == key("a b")`, so a word pair's
/// key needs no string of its own.
fn extend(mut h: u64, text: &str) -> u64 {
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The key of the pair "a b".
fn pair_key(a: u64, b: &str) -> u64 {
    extend(extend(a, " "), b)
}

/// Keys are already FNV hashes: hashing them again would only cost time.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map or set keyed by feature keys.
pub type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;
type KeySet = HashSet<u64, BuildHasherDefault<KeyHasher>>;

/// Words that name something rather than judge it, lower case.
fn entities() -> &'static KeySet {
    static SET: OnceLock<KeySet> = OnceLock::new();
    SET.get_or_init(|| {
        let mut set: KeySet = ENTITY_NAMES
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim().to_lowercase())
            .filter(|l| !l.is_empty())
            .flat_map(|l| l.split_whitespace().map(key).collect::<Vec<_>>())
            .collect();
        // Coin names and tickers, as the coin detector reads them from coins.toml.
        let coins = crate::news::coins::CoinDetector::bundled();
        set.extend(coins.name_words().filter(|w| w.len() > 1).map(|w| key(&w)));
        set
    })
}

/// The cues, indexed: single words by key, and two-word phrases by their first word's key.
#[derive(Default)]
struct Cues {
    words: KeyMap<i8>,
    phrases: KeyMap<Vec<(String, i8)>>,
}

fn cues() -> &'static Cues {
    static CUES_PARSED: OnceLock<Cues> = OnceLock::new();
    CUES_PARSED.get_or_init(|| {
        let mut cues = Cues::default();
        for l in CUES
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let Some((phrase, sign)) = l.split_once('\t') else {
                continue;
            };
            let Ok(sign) = sign.trim().parse::<i8>() else {
                continue;
            };
            let mut w = words(phrase).into_iter();
            match (w.next(), w.next()) {
                (Some(first), None) => {
                    cues.words.insert(key(&first), sign);
                }
                (Some(first), Some(second)) => {
                    cues.phrases
                        .entry(key(&first))
                        .or_default()
                        .push((second, sign));
                }
                _ => {}
            }
        }
        cues
    })
}

/// Whether the cue at `i` is negated by the words before it.
fn negated(words: &[&str], i: usize) -> bool {
    let before = |k: usize| i.checked_sub(k).map(|j| words[j]);
    let negator = |w: Option<&str>| matches!(w, Some("no" | "not" | "never" | "without"));
    negator(before(1))
        || negator(before(2))
        || (before(1) == Some("to") && before(2) == Some("fail"))
}

/// The good-news and bad-news cues in normalised words: (count, words) each way.
/// `raw` holds the words as written, for the names of what was found.
fn find_cues(words: &[&str], raw: &[&str], keys: &[u64], named: bool) -> [(f32, Vec<String>); 2] {
    let mut found: [(f32, Vec<String>); 2] = [(0.0, Vec::new()), (0.0, Vec::new())];
    let cues = cues();
    if !keys
        .iter()
        .any(|k| cues.words.contains_key(k) || cues.phrases.contains_key(k))
    {
        return found;
    }
    let mut used = vec![false; words.len()];
    let count =
        |sign: i8, at: usize, text: &dyn Fn() -> String, found: &mut [(f32, Vec<String>); 2]| {
            let good = (sign > 0) != negated(words, at);
            let slot = &mut found[usize::from(!good)];
            slot.0 += 1.0;
            if named {
                slot.1.push(text());
            }
        };
    for i in 0..words.len() {
        let Some(phrases) = cues.phrases.get(&keys[i]) else {
            continue;
        };
        for (second, sign) in phrases {
            if used[i] {
                break;
            }
            let end = words.len().min(i + 3);
            if let Some(j) = (i + 1..end).find(|&j| !used[j] && words[j] == second) {
                used[i] = true;
                used[j] = true;
                count(
                    *sign,
                    i,
                    &|| format!("{} {}", words[i], words[j]),
                    &mut found,
                );
            }
        }
    }
    for i in 0..words.len() {
        if used[i] {
            continue;
        }
        if let Some(&sign) = cues.words.get(&keys[i]) {
            count(sign, i, &|| raw[i].to_string(), &mut found);
        }
    }
    found
}

/// Typographic punctuation as plain ASCII, so `‘scam’` reads as `scam` and `don’t` as `don't`.
pub fn plain_punctuation(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '`' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' => '"',
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        _ => c,
    }
}

/// A word's kind or its normalised spelling (a slice of the word).
fn normalise(word: &str) -> &str {
    let w = word.trim_matches('\'');
    let w = w.strip_suffix("'s").unwrap_or(w);
    if w.starts_with('$') && w[1..].starts_with(|c: char| c.is_ascii_digit()) {
        return "<money>";
    }
    if w.ends_with('%') {
        return "<pct>";
    }
    if w.starts_with(|c: char| c.is_ascii_digit()) {
        // "39k", "2022", "1.2b", "10x": a number, whatever its suffix.
        return "<num>";
    }
    let w = w.trim_start_matches('$');
    if entities().contains(&key(w)) {
        return "<name>";
    }
    stem(w)
}

/// A light suffix strip so "surges", "surged" and "surging" share what the few hundred
/// labelled examples teach about each.
fn stem(w: &str) -> &str {
    for suffix in ["ing", "ed", "es", "s"] {
        if let Some(s) = w.strip_suffix(suffix)
            && s.chars().count() >= 4
            && !w.ends_with("ss")
        {
            return s;
        }
    }
    w
}

/// The title with typographic punctuation made plain and in lower case: what [`words_of`]
/// cuts into words.
pub fn lowered(title: &str) -> String {
    let mut lower = String::with_capacity(title.len());
    for c in title.chars().map(plain_punctuation) {
        if c.is_ascii() {
            lower.push(c.to_ascii_lowercase());
        } else {
            lower.extend(c.to_lowercase());
        }
    }
    lower
}

/// The normalised words of a [`lowered`] title, in order, borrowed from it.
pub fn words_of(lower: &str) -> Vec<&str> {
    tokens(lower).into_iter().map(|(w, _)| w).collect()
}

/// Each word of a [`lowered`] title as (normalised, as written): the first is what the model
/// reads, the second what a reader is shown.
fn tokens(lower: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::with_capacity(16);
    let mut start: Option<usize> = None;
    let mut chars = lower.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map_or(' ', |&(_, n)| n);
        let inside = start.is_some();
        let keep = c.is_alphanumeric()
            || (c == '$' && !inside)
            || (c == '%' && inside)
            || ((c == '\'' || c == '.' || c == ',') && inside && next.is_alphanumeric());
        match (keep, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((normalise(&lower[s..i]), &lower[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((normalise(&lower[s..]), &lower[s..]));
    }
    out
}

/// The title's words, normalised, in order.
pub fn words(title: &str) -> Vec<String> {
    words_of(&lowered(title))
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// Every feature of a title: words, adjacent word pairs and the cues found; with names, for
/// training and for the reasons.
pub fn extract(title: &str) -> Vec<Feature> {
    collect(title, true)
}

/// The same features without their names: what scoring needs, with no string built per
/// feature.
pub fn extract_keys(title: &str) -> Vec<Feature> {
    collect(title, false)
}

fn collect(title: &str, named: bool) -> Vec<Feature> {
    let lower = lowered(title);
    let tokens = tokens(&lower);
    let words: Vec<&str> = tokens.iter().map(|(w, _)| *w).collect();
    let keys: Vec<u64> = words.iter().map(|w| key(w)).collect();
    let name = |text: &dyn Fn() -> String| if named { text() } else { String::new() };
    // Readers see the words as written ("surges", "$100k"), not the model's forms.
    let shown = |text: &dyn Fn() -> String| named.then(text);
    let mut out = Vec::with_capacity(words.len() * 2 + 3);
    for (i, w) in words.iter().enumerate() {
        let raw = tokens[i].1;
        out.push(Feature {
            key: keys[i],
            value: 1.0,
            text: name(&|| w.to_string()),
            shown: shown(&|| raw.to_string()),
        });
        if let Some(next) = words.get(i + 1) {
            let raw_next = tokens[i + 1].1;
            out.push(Feature {
                key: pair_key(keys[i], next),
                value: 1.0,
                text: name(&|| format!("{w} {next}")),
                shown: shown(&|| format!("{raw} {raw_next}")),
            });
        }
    }
    // A word said twice counts once.
    out.sort_unstable_by_key(|f| f.key);
    out.dedup_by_key(|f| f.key);
    let raw: Vec<&str> = tokens.iter().map(|(_, r)| *r).collect();
    let [good, bad] = find_cues(&words, &raw, &keys, named);
    for (cue, (n, found)) in [(CUE_POS, good), (CUE_NEG, bad)] {
        if n > 0.0 {
            out.push(Feature {
                key: key(cue),
                value: n,
                text: name(&|| cue.to_string()),
                shown: named.then(|| found.join(", ")),
            });
        }
    }
    out.push(Feature {
        key: key(BIAS),
        value: 1.0,
        text: name(&|| BIAS.to_string()),
        shown: None,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_amounts_become_kinds() {
        assert_eq!(
            words("Optimism delays mainnet as $900M of BTC shorts liquidated, up 12%"),
            [
                "<name>", "delay", "mainnet", "as", "<money>", "of", "<name>", "short", "liquidat",
                "up", "<pct>"
            ]
        );
        assert_eq!(
            words("Rob Gronkowski’s ‘scam’ NFTs"),
            ["<name>", "<name>", "scam", "nfts"]
        );
        assert_eq!(words("Don’t buy 39K"), ["don't", "buy", "<num>"]);
    }

    #[test]
    fn features_are_stable() {
        let f = extract("Bitcoin surges to record");
        assert!(f.iter().any(|f| f.text == "surg"));
        assert!(f.iter().any(|f| f.text == "<name> surg"));
        assert!(
            f.iter()
                .any(|f| f.text == CUE_POS && f.label() == "surges, record")
        );
        assert!(f.iter().any(|f| f.text == "surg" && f.label() == "surges"));
        assert!(
            f.iter()
                .any(|f| f.text == "<name> surg" && f.label() == "bitcoin surges")
        );
        // FNV-1a 64, as published.
        assert_eq!(key("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn the_fast_path_has_the_same_keys() {
        for t in [
            "Bitcoin surges to record as $900M of shorts liquidated",
            "SEC does not approve ETF; exchange hacked, funds stolen",
            "",
            "  ‘scam’ – 12% down, up up up",
        ] {
            let named: Vec<(u64, f32)> = extract(t).iter().map(|f| (f.key, f.value)).collect();
            let fast: Vec<(u64, f32)> = extract_keys(t).iter().map(|f| (f.key, f.value)).collect();
            assert_eq!(named, fast, "{t}");
            for f in extract(t) {
                assert_eq!(f.key, key(&f.text), "{}", f.text);
            }
        }
    }

    #[test]
    fn cues_read_idioms_and_negation() {
        let cue = |t: &str| {
            let lower = lowered(t);
            let w = words_of(&lower);
            let keys: Vec<u64> = w.iter().map(|w| key(w)).collect();
            let [good, bad] = find_cues(&w, &w, &keys, true);
            (good.0, bad.0)
        };
        assert_eq!(
            cue("$900M of shorts liquidated as BTC breaks $39K"),
            (1.0, 0.0)
        );
        // The returned funds count as good news; "hacker" still counts as bad on its own.
        assert_eq!(cue("Hacker returns stolen funds"), (1.0, 1.0));
        assert_eq!(cue("Firm narrowed its loss"), (1.0, 0.0));
        assert_eq!(cue("Exchange hacked, funds stolen"), (0.0, 2.0));
        assert_eq!(cue("SEC does not approve ETF"), (0.0, 1.0));
        assert_eq!(cue("Revenue declined and profits decreased"), (1.0, 2.0));
    }
}
