#!/usr/bin/env python3
"""Write the reference vectors that hold the Rust VADER scorer to Python's.

Run once from the repository root, after `pip install vaderSentiment==3.3.2`:

    python3 tools/gen_vader_vectors.py

It writes tests/fixtures/vader/plain.jsonl (the default analyzer) and
tests/fixtures/vader/crypto.jsonl (the same texts with assets/crypto_lexicon.txt
loaded through `analyzer.lexicon.update`). Each line is a JSON array
`[text, compound, pos, neu, neg]` -- arrays rather than objects keep the
fixtures small.

The texts are (1) hand-written cases for every VADER rule, (2) random
sentences built to combine the rules, (3) headline-like sentences using the
crypto vocabulary, (4) random Unicode soup that exercises the tokeniser, and
(5) the real <title> texts of the RSS fixtures in ../shared/fixtures/rss.
Everything is seeded, so reruns give identical files.
"""

import glob
import json
import os
import random
import sys
import xml.etree.ElementTree as ET

import vaderSentiment
from vaderSentiment.vaderSentiment import BOOSTER_DICT, NEGATE, SentimentIntensityAnalyzer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "vader")
RSS_DIRS = [
    os.path.join(ROOT, "..", "shared", "fixtures", "rss"),
    "/work/shared/fixtures/rss",
]
SEED = 4


def check_assets_match_package():
    """The Rust side embeds copies of the package's data files; refuse to
    generate vectors if they have drifted apart."""
    pkg = os.path.dirname(vaderSentiment.__file__)
    for name in ["vader_lexicon.txt", "emoji_utf8_lexicon.txt"]:
        with open(os.path.join(pkg, name), "rb") as a, open(os.path.join(ROOT, "assets", name), "rb") as b:
            if a.read() != b.read():
                sys.exit(f"assets/{name} differs from the installed vaderSentiment's copy")


def load_extension(path):
    """Read a lexicon file the way the Rust loader reads an extension."""
    entries = {}
    with open(path, encoding="utf-8") as f:
        for line in f.read().split("\n"):
            line = line.rstrip("\r")
            if not line.strip():
                continue
            word, mean = line.split("\t")[:2]
            entries[word] = float(mean)
    return entries


def rss_titles():
    for folder in RSS_DIRS:
        files = sorted(glob.glob(os.path.join(folder, "*.xml")))
        if files:
            break
    else:
        sys.exit("no RSS fixtures found")
    titles = []
    for path in files:
        for element in ET.parse(path).iter():
            if element.tag.split("}")[-1] == "title" and element.text and element.text.strip():
                titles.append(element.text)
    return titles


HAND_WRITTEN = [
    # vaderSentiment's own demo sentences
    "VADER is smart, handsome, and funny.",
    "VADER is smart, handsome, and funny!",
    "VADER is very smart, handsome, and funny.",
    "VADER is VERY SMART, handsome, and FUNNY.",
    "VADER is VERY SMART, handsome, and FUNNY!!!",
    "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!",
    "VADER is not smart, handsome, nor funny.",
    "The book was good.",
    "At least it isn't a horrible book.",
    "The book was only kind of good.",
    "The plot was good, but the characters are uncompelling and the dialog is not great.",
    "Today SUX!",
    "Today only kinda sux! But I'll get by, lol",
    "Make sure you :) or :D today!",
    "Catch utf-8 emoji such as 💘 and 💋 and 😁",
    "Not bad at all",
    "Sentiment analysis has never been good.",
    "Sentiment analysis has never been this good!",
    "Most automated sentiment analysis tools are shit.",
    "With VADER, sentiment analysis is the shit!",
    "Other sentiment analysis tools can be quite bad.",
    "On the other hand, VADER is quite bad ass",
    "VADER is such a badass!",
    "Without a doubt, excellent idea.",
    "Roger Dodger is one of the most compelling variations on this theme.",
    "Roger Dodger is at least compelling as a variation on the theme.",
    "Roger Dodger is one of the least compelling variations on this theme.",
    "Not such a badass after all.",
    "Without a doubt, an excellent idea.",
    "It was one of the worst movies I've seen, despite good reviews.",
    "Unbelievably bad acting!!",
    "VERY poor production.",
    "VERY BAD movie!",
    # empties, whitespace, punctuation only
    "", " ", "\t\n", "!", "?", "!!", "??", "???", "????", "!!!!!!", "?!?!", ".", "...",
    "\u00a0good\u3000", "good\u001cbad", "good\u001fnice", "good\u200bnice", "good\u2028bad",
    # emoticons and punctuation-stripping edge cases
    ":)", ":-(", ":(", ":-)", ":D", ":d", ":P", ";)", "<3", "</3", ":')", ":'(", "(:", "):", "xD", "XD",
    "ok.", "ok!", "ok", "OK", "good.", "good!!!", "'good'", "\"great\"", "(bad)", "--bad--", "a:)b",
    "fun :) fun", "sad :( sad", "meh :-/", "lol", "LOL", "lmao", "rofl", "wtf", "omg", "OMG!!!",
    # "no" handling
    "no", "No.", "no good", "no no", "no no good", "no problem", "there is no good way", "no way this is good",
    "no love or hate", "no love nor hate", "no love and hate", "no, good", "NO GOOD", "no fun or joy here",
    "no one is happy", "yes no", "good no",
    # negations, contractions, "n't"
    "not good", "isn't good", "isnt good", "is not very good", "never good", "never so good", "never this good",
    "never really so good", "it was never so bad", "not the best", "I don't like it", "I dont like it",
    "ain't bad", "can't complain", "won't win", "wouldn't hurt", "without doubt good", "without any doubt good",
    "without a doubt good", "nothing good", "nowhere good", "rarely good", "seldom bad", "despite good reviews",
    "uh-uh good", "nope, good", "neither good nor bad", "mightn't be great", "doesn't really suck",
    "this isn’t good", "they haven't really won", "NOT good", "NOT GOOD at all", "hasn't been nice",
    # boosters and dampeners, incl. caps and distance
    "very good", "VERY good", "very GOOD", "very very good", "very bad", "extremely bad", "so good", "so bad",
    "barely good", "hardly bad", "slightly good", "somewhat bad", "kinda good", "sorta bad", "kind of good",
    "sort of bad", "just enough good", "it is kind of a good idea", "it is sort of a bad idea",
    "it was just enough fun", "kind", "kind of", "so kind", "a kind of magic", "the kind of thing i love",
    "really really really good", "more fun", "most evil", "less bad", "totally awesome", "utterly horrible",
    "absolutely not good", "REALLY BAD", "really BAD day", "the very best", "SO bad", "so SO bad",
    "very much good", "very, very good", "fucking great", "friggin awful",
    # "least"
    "least good", "the least good", "at least good", "very least good", "at the least good",
    "the least bad option", "least", "LEAST good", "at LEAST good",
    # "but"
    "good but bad", "bad but good", "good but", "but good", "good, but not great", "nice nice but nice",
    "bad bad but bad bad", "great good but good great", "good nice good but terrible", "good but good but good",
    "happy sad happy but happy sad", "fine but not fine", "BUT good", "but but good", "good butter",
    "terrible terrible terrible but fine", "love love but hate hate hate",
    # "but" with one valence equal to another's rescaled value (Python's list.index quirk)
    "abandoned accusation but ok", "ok but accusation adverse", "fav jj but ok", "ok but jj ez",
    "sob abandoned but adverse accusation", "ftw bffn jj but thx ez", "abandoned mubar sob but fine",
    # special phrases and idioms
    "the shit", "this is the shit", "the bomb", "this party is the bomb", "bad ass", "what a bad ass car",
    "yeah right", "oh yeah right, great", "kiss of death", "that was the kiss of death", "to die for",
    "a cake to die for", "beating heart", "my beating heart", "bus stop", "at the bus stop, sad", "badass",
    "cut the mustard", "in the red", "under the weather", "break a leg", "upper hand",
    "they said it was the shit really", "a the bomb good", "good beating heart now",
    # caps differential
    "GOOD", "GOOD day", "good DAY", "GREAT GOOD NICE", "GREAT good nice", "I LOVE IT", "I love IT",
    "ÉTÉ great", "ǅemal good", "Good GOOD good", "BAD news TODAY", "A GOOD day",
    # punctuation amplification
    "good!", "good!!", "good!!!", "good!!!!", "good!!!!!", "bad!", "bad!!!", "good?", "good??", "good???",
    "good????", "bad???", "bad?!?!", "good! bad!", "the! end!", "what?? no!!", "NO!!!",
    # emojis
    "😁", "💘", "😡", "good 😁", "bad😡", "😁😁😁", "hi😁there", "🙂 🙁", "🇺🇸 win", "💔 but ❤️",
    "© 2024 all rights reserved", "🚀🚀 to the moon", "👎 bad", "👍", "🔥🔥🔥 hot", "😭😭",
    "good\t😁", "bad\u00a0😡 news",
    # capitalised booster before a zero valence ("no" before a sentiment word)
    "VERY no good", "so REALLY no bad thing", "REALLY no love", "the VERY no fun day",
    # title-case letters break ALL CAPS in Python
    "AǅB GREAT", "ᾈΑ GOOD news", "ǅ GOOD day", "XᾼY BAD",
    # tokens with "n't" that are not in the negation list
    "it couldn't've been good", "mayn't be good", "that wasn't't bad", "y'ain't nice", "DON'T've hate",
    # phrases three words back
    "the shit is good", "the bomb was so good", "kiss of death good", "kiss of death is good",
    "bus stop x y nice", "yeah right it is great", "to die for a good cake", "kind of not very good",
    "sort of a so bad", "just enough of a fun time", "the shit so good", "beating heart a b love",
    # short tokens keep their punctuation
    "(éé) good", "'ÉÉ' GOOD news", "«good» »bad«", "—good— –bad–",
]

CONNECTORS = ["the", "a", "is", "was", "it", "and", "or", "nor", "of", "to", "this", "that", "so", "at",
              "very", "least", "kind", "sort", "just", "enough", "no", "not", "never", "without", "doubt",
              "but", "in", "on", "for", "with", "my", "their", "really", "quite", "be", "been", "has", "had"]
SPECIAL_WORDS = ["the", "shit", "bomb", "bad", "ass", "yeah", "right", "kiss", "of", "death", "to", "die",
                 "for", "beating", "heart", "bus", "stop"]
ATTACH = ["", "", "", "", "", "!", "!!", "!!!", "?", "??", "???", ".", ",", "...", ";", ":", "'s", "'",
          "\"", "!?", "!!!!!"]
PREFIX = ["", "", "", "", "", "\"", "'", "(", "#", "$", "@", "*"]


def styled(word, rng):
    r = rng.random()
    if r < 0.15:
        return word.upper()
    if r < 0.25:
        return word.capitalize()
    return word


def random_sentences(rng, lexicon, emojis, count):
    words = [w for w in lexicon if w.isalpha() and w == w.lower()]
    emoticons = [w for w in lexicon if not w[0].isalpha() and " " not in w]
    boosters = [b for b in BOOSTER_DICT if " " not in b]
    negations = list(NEGATE)
    out = []
    for _ in range(count):
        length = rng.randint(1, 14)
        tokens = []
        for _ in range(length):
            r = rng.random()
            if r < 0.32:
                w = rng.choice(words)
            elif r < 0.50:
                w = rng.choice(CONNECTORS)
            elif r < 0.62:
                w = rng.choice(boosters)
            elif r < 0.72:
                w = rng.choice(negations)
            elif r < 0.80:
                w = rng.choice(SPECIAL_WORDS)
            elif r < 0.85:
                w = rng.choice(emoticons)
            elif r < 0.89:
                w = rng.choice(emojis)
            else:
                w = rng.choice(["news", "market", "price", "day", "thing", "week", "coin", "token"])
            if w[0].isalpha():
                w = rng.choice(PREFIX) + styled(w, rng) + rng.choice(ATTACH)
            tokens.append(w)
        sep = " " if rng.random() < 0.9 else rng.choice(["  ", "\t", " \u00a0", "\n"])
        text = sep.join(tokens)
        if rng.random() < 0.1:
            text = text.upper()
        out.append(text)
    return out


COINS = ["Bitcoin", "BTC", "Ether", "ETH", "Solana", "SOL", "XRP", "Dogecoin", "Cardano", "$BTC", "#ETH",
         "Chainlink", "Polygon", "Toncoin", "Tether", "Litecoin", "Avalanche"]
NUMBERS = ["$100K", "$64,000", "$3,000", "$1", "20%", "$2.5 billion", "5%", "$89M", "record levels", "$0.50"]
PLACES = ["as ETF inflows hit record", "after exchange hack", "amid liquidations", "on approval news",
          "as whales dump", "despite lawsuit", "after SEC approval", "as outflows mount", "on bullish sentiment",
          "amid bearish mood", "after delisting", "as traders panic", "while most majors slip",
          "as adoption grows", "after rug pull", "after rugpull", "in sell-off", "after selloff",
          "as recovery stalls", "on breakout", "after the crash", "as scam probe widens", "after fraud charges",
          "in a surprise rebound", "as ban looms", "hitting a new ATH", "after being hacked"]


def headline_sentences(rng, crypto_words, count):
    verbs = crypto_words + ["gains", "loses", "holds", "steadies", "trades", "wins", "drops", "falls"]
    out = []
    for _ in range(count):
        parts = [rng.choice(COINS)]
        if rng.random() < 0.3:
            parts.append(rng.choice(["not", "never", "barely", "really", "very", "so", "kind of", "no", "least",
                                     "at least", "hardly", "won't", "isn't", "didn't"]))
        parts.append(styled(rng.choice(verbs), rng))
        parts.append(rng.choice(["past", "to", "below", "above", "near", "from", "by"]))
        parts.append(rng.choice(NUMBERS))
        if rng.random() < 0.7:
            parts.append(rng.choice(PLACES))
        if rng.random() < 0.25:
            parts.append(rng.choice(["but", "BUT", "but then"]) + " " + styled(rng.choice(verbs), rng))
        text = " ".join(parts) + rng.choice(["", "", "", "!", "!!!", "?", "??", ".", " 🚀", " 😱", " :)", " :-("])
        out.append(text)
    return out


SOUP = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    "      \t\n\u00a0\u1680\u2000\u2003\u2009\u202f\u205f\u3000\u2028\u001c\u001d\u001e\u001f\u0085\u200b"
    "éÉàÀßøØæÆçÇñÑüÜ ǅǈǋǲ ᾈᾘᾨᾼῌῼ ΣσςΑαΩω ДдЖж İıſ K ªº ㅎ中文 ’‘“”—–…"
    "😁😡💘🙂🙁🚀🔥❤️👍👎©®™"
)


def soup_sentences(rng, lexicon_words, count):
    out = []
    for _ in range(count):
        pieces = []
        for _ in range(rng.randint(1, 12)):
            if rng.random() < 0.4:
                pieces.append(styled(rng.choice(lexicon_words), rng))
            else:
                pieces.append("".join(rng.choice(SOUP) for _ in range(rng.randint(1, 6))))
        out.append("".join(p + rng.choice(["", " ", " ", "  ", "\t"]) for p in pieces))
    return out


def main():
    check_assets_match_package()
    rng = random.Random(SEED)
    plain = SentimentIntensityAnalyzer()
    crypto = SentimentIntensityAnalyzer()
    extension = load_extension(os.path.join(ROOT, "assets", "crypto_lexicon.txt"))
    crypto.lexicon.update(extension)

    emojis = sorted(k for k in plain.emojis if len(k) == 1)
    lexicon_words = sorted(w for w in plain.lexicon if w.isalpha() and w == w.lower())
    crypto_words = sorted(extension)

    texts = list(HAND_WRITTEN)
    texts += [w for w in crypto_words]
    texts += [f"{w.upper()} news today" for w in crypto_words]
    texts += random_sentences(rng, sorted(plain.lexicon), emojis, 3600)
    texts += headline_sentences(rng, crypto_words, 1300)
    texts += soup_sentences(rng, lexicon_words, 300)
    texts += rss_titles()

    seen = set()
    unique = []
    for t in texts:
        if t not in seen:
            seen.add(t)
            unique.append(t)

    os.makedirs(OUT, exist_ok=True)
    for name, analyzer in [("plain", plain), ("crypto", crypto)]:
        path = os.path.join(OUT, f"{name}.jsonl")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            for t in unique:
                s = analyzer.polarity_scores(t)
                f.write(json.dumps([t, s["compound"], s["pos"], s["neu"], s["neg"]], ensure_ascii=False) + "\n")
        print(f"{path}: {len(unique)} vectors, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
