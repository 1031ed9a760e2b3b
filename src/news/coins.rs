//! Which coins a headline is about, and which base asset an exchange symbol
//! trades.
//!
//! The coin list is data (`assets/coins.toml`), because new listings should
//! not need a code change. The matching rules, documented in that file's
//! header, lean towards missing a mention rather than inventing one: a news
//! item wrongly tagged "SOL" because a Spanish headline mentioned "el sol" is
//! worse for a trading dashboard than an untagged item.

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;
use thiserror::Error;

const BUNDLED: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/coins.toml"));

/// Quote assets seen on Binance-style exchanges, used to split a pair symbol.
const QUOTE_ASSETS: &[&str] = &[
    "USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USDP", "USDS", "USDE", "DAI", "UST", "PAX", "VAI",
    "USD", "BTC", "ETH", "BNB", "XRP", "TRX", "DOGE", "DOT", "EUR", "AEUR", "EURI", "TRY", "GBP",
    "AUD", "BRL", "JPY", "RUB", "UAH", "ZAR", "NGN", "PLN", "RON", "ARS", "MXN", "COP", "CZK",
    "IDRT", "BIDR", "BVND", "BKRW",
];

/// Splits a pair symbol such as "BTCUSDT" into its base asset ("BTC"). The
/// longest known quote suffix wins, so "BNBFDUSD" is BNB against FDUSD rather
/// than "BNBFD" against USD. Matching ignores ASCII case (stream names are
/// lower case); the returned slice keeps the input's case. Returns `None` for
/// anything that is not an alphanumeric symbol ending in a known quote with a
/// non-empty base.
pub fn base_asset(symbol: &str) -> Option<&str> {
    // Venues that separate the pair say so: `BTC-USD`, `BTC/USD`.
    if let Some((base, _)) = symbol.split_once(['-', '/']) {
        return (!base.is_empty() && base.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then_some(base);
    }
    if !symbol.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let quote_len = QUOTE_ASSETS
        .iter()
        .filter(|quote| {
            symbol.len() > quote.len()
                && symbol[symbol.len() - quote.len()..].eq_ignore_ascii_case(quote)
        })
        .map(|quote| quote.len())
        .max()?;
    Some(&symbol[..symbol.len() - quote_len])
}

/// Why a coin list was rejected; each variant names the offending coin.
#[derive(Debug, Error)]
pub enum CoinsError {
    #[error("coin list is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("coin {ticker:?}: {reason}")]
    Invalid { ticker: String, reason: String },
    #[error("{what} {value:?} is claimed by both {first} and {second}")]
    Conflict {
        what: &'static str,
        value: String,
        first: String,
        second: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CoinFile {
    #[serde(default)]
    coin: Vec<CoinSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CoinSpec {
    ticker: String,
    base: Option<String>,
    symbols: Option<Vec<String>>,
    #[serde(default)]
    ambiguous: bool,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    proper_names: Vec<String>,
}

struct Coin {
    ticker: String,
    base: String,
}

struct Symbol {
    coin: usize,
    ambiguous: bool,
}

struct Name {
    coin: usize,
    /// Words as written, for case-sensitive proper names.
    words: Vec<String>,
    /// Whether the capitalisation must match exactly.
    proper: bool,
}

/// Finds coin mentions in text. Build once (parsing the TOML is the costly
/// part) and share; `detect` only reads.
pub struct CoinDetector {
    coins: Vec<Coin>,
    /// Keyed by upper-case symbol.
    symbols: HashMap<String, Symbol>,
    /// Keyed by the lower-cased first word; longest names first.
    names: HashMap<String, Vec<Name>>,
}

impl CoinDetector {
    /// The coin list shipped in `assets/coins.toml`.
    pub fn bundled() -> Self {
        Self::from_toml(BUNDLED).expect("bundled coins.toml is validated by the test suite")
    }

    /// A coin list in the format of `assets/coins.toml`.
    pub fn from_toml(text: &str) -> Result<Self, CoinsError> {
        let file: CoinFile = toml::from_str(text)?;
        let mut detector = Self {
            coins: Vec::new(),
            symbols: HashMap::new(),
            names: HashMap::new(),
        };
        for spec in file.coin {
            detector.add(spec)?;
        }
        for names in detector.names.values_mut() {
            names.sort_by_key(|name| std::cmp::Reverse(name.words.len()));
        }
        Ok(detector)
    }

    /// Every word that names a coin, lower-case: its symbols and the words of its names (for
    /// the sentiment model, which must not read "Optimism" as optimism).
    pub fn name_words(&self) -> impl Iterator<Item = String> + '_ {
        let symbols = self.symbols.keys().map(|s| s.to_lowercase());
        let names = self
            .names
            .values()
            .flatten()
            .flat_map(|n| n.words.iter().map(|w| w.to_lowercase()));
        symbols.chain(names)
    }

    /// The exchange base asset for a ticker that `detect` returned.
    pub fn base_for(&self, ticker: &str) -> Option<&str> {
        self.coins
            .iter()
            .find(|coin| coin.ticker == ticker)
            .map(|coin| coin.base.as_str())
    }

    /// Tickers of the coins mentioned in `text`, sorted and deduplicated.
    pub fn detect(&self, text: &str) -> Vec<String> {
        let words = split_words(text);
        let shouted = self.is_shouted(&words);
        let mut found = BTreeSet::new();
        let mut i = 0;
        while i < words.len() {
            if let Some((coin, len)) = self.match_name(text, &words, i) {
                found.insert(coin);
                i += len;
                continue;
            }
            if let Some(coin) = self.match_symbol(&words[i], shouted) {
                found.insert(coin);
            }
            i += 1;
        }
        let mut tickers: Vec<String> = found
            .into_iter()
            .map(|coin| self.coins[coin].ticker.clone())
            .collect();
        tickers.sort();
        tickers
    }

    fn add(&mut self, spec: CoinSpec) -> Result<(), CoinsError> {
        let ticker = spec.ticker.clone();
        let invalid = |reason: String| CoinsError::Invalid {
            ticker: ticker.clone(),
            reason,
        };
        if !is_symbol(&spec.ticker) {
            return Err(invalid(
                "ticker must be upper-case letters and digits".into(),
            ));
        }
        if self.coins.iter().any(|coin| coin.ticker == spec.ticker) {
            return Err(invalid("ticker is listed twice".into()));
        }
        let base = spec.base.unwrap_or_else(|| spec.ticker.clone());
        if !is_symbol(&base) {
            return Err(invalid(format!(
                "base {base:?} must be upper-case letters and digits"
            )));
        }
        let coin = self.coins.len();
        let symbols = spec.symbols.unwrap_or_else(|| vec![spec.ticker.clone()]);
        for symbol in symbols {
            if !is_symbol(&symbol) {
                return Err(invalid(format!(
                    "symbol {symbol:?} must be upper-case letters and digits"
                )));
            }
            if let Some(other) = self.symbols.get(&symbol) {
                return Err(self.conflict("symbol", symbol, other.coin, &ticker));
            }
            let ambiguous = spec.ambiguous;
            self.symbols.insert(symbol, Symbol { coin, ambiguous });
        }
        let names = spec.names.into_iter().map(|n| (n, false));
        let proper = spec.proper_names.into_iter().map(|n| (n, true));
        for (name, proper) in names.chain(proper) {
            let words: Vec<String> = name.split(' ').map(str::to_string).collect();
            if words
                .iter()
                .any(|w| w.is_empty() || !w.chars().all(char::is_alphanumeric))
            {
                return Err(invalid(format!(
                    "name {name:?} must be words of letters and digits separated by single spaces"
                )));
            }
            let key = words[0].to_lowercase();
            let clash = self.names.get(&key).and_then(|list| {
                list.iter().find(|n| {
                    n.coin != coin && n.words.len() == words.len() && same_words(&n.words, &words)
                })
            });
            if let Some(other) = clash {
                return Err(self.conflict("name", name, other.coin, &ticker));
            }
            self.names.entry(key).or_default().push(Name {
                coin,
                words,
                proper,
            });
        }
        self.coins.push(Coin {
            ticker: spec.ticker,
            base,
        });
        Ok(())
    }

    fn conflict(
        &self,
        what: &'static str,
        value: String,
        first: usize,
        second: &str,
    ) -> CoinsError {
        CoinsError::Conflict {
            what,
            value,
            first: self.coins[first].ticker.clone(),
            second: second.to_string(),
        }
    }

    /// The longest name starting at word `i`, as (coin, words consumed).
    fn match_name(&self, text: &str, words: &[Word], i: usize) -> Option<(usize, usize)> {
        let candidates = self.names.get(&words[i].text.to_lowercase())?;
        candidates.iter().find_map(|name| {
            let len = name.words.len();
            let span = words.get(i..i + len)?;
            let joined = span
                .windows(2)
                .all(|pair| is_name_gap(&text[pair[0].end..pair[1].start]));
            let equal = span.iter().zip(&name.words).all(|(word, expected)| {
                if name.proper {
                    word.text == expected
                } else {
                    word.text.to_lowercase() == expected.to_lowercase()
                }
            });
            (joined && equal).then_some((name.coin, len))
        })
    }

    fn match_symbol(&self, word: &Word, shouted: bool) -> Option<usize> {
        let upper = word.text.to_uppercase();
        let symbol = self.symbols.get(&upper)?;
        let accepted = word.tagged || !symbol.ambiguous || (word.text == upper && !shouted);
        accepted.then_some(symbol.coin)
    }

    /// Whether most words are in capitals, which makes capitalised common
    /// words ("ONE", "LINK") meaningless as a ticker signal.
    fn is_shouted(&self, words: &[Word]) -> bool {
        let plain: Vec<&Word> = words
            .iter()
            .filter(|w| !w.tagged && !self.symbols.contains_key(&w.text.to_uppercase()))
            .collect();
        let letters = |w: &Word| w.text.chars().filter(|c| c.is_alphabetic()).count();
        let long: Vec<&Word> = plain.iter().copied().filter(|w| letters(w) >= 4).collect();
        let deciding = if long.is_empty() {
            plain.into_iter().filter(|w| letters(w) >= 2).collect()
        } else {
            long
        };
        let capitals = deciding.iter().filter(|w| is_all_caps(w.text)).count();
        capitals * 2 > deciding.len()
    }
}

/// A run of letters and digits, with its byte span in the text.
struct Word<'t> {
    text: &'t str,
    start: usize,
    end: usize,
    /// Written right after "$" or "#": a cashtag or hashtag.
    tagged: bool,
}

fn split_words(text: &str) -> Vec<Word<'_>> {
    let mut words = Vec::new();
    let mut start = None;
    let mut previous = None;
    for (at, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some((at, matches!(previous, Some('$' | '#')))),
            (false, Some((begin, tagged))) => {
                words.push(Word {
                    text: &text[begin..at],
                    start: begin,
                    end: at,
                    tagged,
                });
                start = None;
            }
            _ => {}
        }
        previous = Some(c);
    }
    words
}

/// Words of a multi-word name may be split by spaces or hyphens only; a
/// comma or full stop between them means they belong to different phrases.
fn is_name_gap(gap: &str) -> bool {
    !gap.is_empty() && gap.chars().all(|c| c.is_whitespace() || c == '-')
}

fn is_all_caps(word: &str) -> bool {
    word.chars().any(char::is_uppercase) && !word.chars().any(char::is_lowercase)
}

fn is_symbol(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn same_words(a: &[String], b: &[String]) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| x.to_lowercase() == y.to_lowercase())
}
