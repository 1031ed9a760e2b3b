//! The fixed word lists and empirical constants of VADER 3.3.2. They are
//! part of the algorithm, not of the lexicon, so an extension file cannot
//! change them; keeping them in one place makes a future VADER version bump
//! a one-file diff.

/// Intensity added by a booster ("very") or removed by a dampener ("barely").
pub const BOOST: f64 = 0.293;
pub const DAMPEN: f64 = -0.293;

/// Intensity added when a word is in ALL CAPS among mixed-case words.
pub const CAPS_BOOST: f64 = 0.733;

/// Factor applied to a negated valence: negation flips and weakens.
pub const NEGATION_SCALE: f64 = -0.74;

/// Emphasis per exclamation mark, counted up to `MAX_EXCLAMATIONS`.
pub const EXCLAMATION_BOOST: f64 = 0.292;
pub const MAX_EXCLAMATIONS: usize = 4;

/// Emphasis per question mark when there are two or three of them, and the
/// flat emphasis for more than three.
pub const QUESTION_BOOST: f64 = 0.18;
pub const MANY_QUESTIONS_BOOST: f64 = 0.96;

/// Normalisation constant: compound = s / sqrt(s² + ALPHA).
pub const ALPHA: f64 = 15.0;

/// Words that negate a sentiment word up to three positions later.
/// Any word containing "n't" negates too.
pub const NEGATIONS: &[&str] = &[
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
];

/// Single-word degree adverbs and how much they shift the next sentiment.
pub const BOOSTERS: &[(&str, f64)] = &[
    ("absolutely", BOOST),
    ("amazingly", BOOST),
    ("awfully", BOOST),
    ("completely", BOOST),
    ("considerable", BOOST),
    ("considerably", BOOST),
    ("decidedly", BOOST),
    ("deeply", BOOST),
    ("effing", BOOST),
    ("enormous", BOOST),
    ("enormously", BOOST),
    ("entirely", BOOST),
    ("especially", BOOST),
    ("exceptional", BOOST),
    ("exceptionally", BOOST),
    ("extreme", BOOST),
    ("extremely", BOOST),
    ("fabulously", BOOST),
    ("flipping", BOOST),
    ("flippin", BOOST),
    ("frackin", BOOST),
    ("fracking", BOOST),
    ("fricking", BOOST),
    ("frickin", BOOST),
    ("frigging", BOOST),
    ("friggin", BOOST),
    ("fully", BOOST),
    ("fuckin", BOOST),
    ("fucking", BOOST),
    ("fuggin", BOOST),
    ("fugging", BOOST),
    ("greatly", BOOST),
    ("hella", BOOST),
    ("highly", BOOST),
    ("hugely", BOOST),
    ("incredible", BOOST),
    ("incredibly", BOOST),
    ("intensely", BOOST),
    ("major", BOOST),
    ("majorly", BOOST),
    ("more", BOOST),
    ("most", BOOST),
    ("particularly", BOOST),
    ("purely", BOOST),
    ("quite", BOOST),
    ("really", BOOST),
    ("remarkably", BOOST),
    ("so", BOOST),
    ("substantially", BOOST),
    ("thoroughly", BOOST),
    ("total", BOOST),
    ("totally", BOOST),
    ("tremendous", BOOST),
    ("tremendously", BOOST),
    ("uber", BOOST),
    ("unbelievably", BOOST),
    ("unusually", BOOST),
    ("utter", BOOST),
    ("utterly", BOOST),
    ("very", BOOST),
    ("almost", DAMPEN),
    ("barely", DAMPEN),
    ("hardly", DAMPEN),
    ("kinda", DAMPEN),
    ("kindof", DAMPEN),
    ("kind-of", DAMPEN),
    ("less", DAMPEN),
    ("little", DAMPEN),
    ("marginal", DAMPEN),
    ("marginally", DAMPEN),
    ("occasional", DAMPEN),
    ("occasionally", DAMPEN),
    ("partly", DAMPEN),
    ("scarce", DAMPEN),
    ("scarcely", DAMPEN),
    ("slight", DAMPEN),
    ("slightly", DAMPEN),
    ("somewhat", DAMPEN),
    ("sorta", DAMPEN),
    ("sortof", DAMPEN),
    ("sort-of", DAMPEN),
];

/// Two-word dampeners. VADER only recognises these in the three words before
/// a sentiment word, never as standalone tokens.
pub const BOOSTER_PHRASES: &[([&str; 2], f64)] = &[
    (["just", "enough"], DAMPEN),
    (["kind", "of"], DAMPEN),
    (["sort", "of"], DAMPEN),
];

/// Phrases whose meaning differs from their words ("the bomb", "bus stop").
/// When one surrounds a sentiment word, its value replaces the word's.
/// (Python also lists the one-word "badass", which its phrase matching can
/// never hit; "badass" is scored from the lexicon instead, as in Python.)
pub const SPECIAL_PHRASES: &[(&[&str], f64)] = &[
    (&["the", "shit"], 3.0),
    (&["the", "bomb"], 3.0),
    (&["bad", "ass"], 1.5),
    (&["bus", "stop"], 0.0),
    (&["yeah", "right"], -2.0),
    (&["kiss", "of", "death"], -1.5),
    (&["to", "die", "for"], 3.0),
    (&["beating", "heart"], 3.5),
];
