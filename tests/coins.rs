//! Coin detection in headlines and base-asset splitting of pair symbols.

use cryptoviz::news::coins::{CoinDetector, CoinsError, base_asset};

fn detect(text: &str) -> Vec<String> {
    thread_local! {
        static DETECTOR: CoinDetector = CoinDetector::bundled();
    }
    DETECTOR.with(|d| d.detect(text))
}

fn assert_detects(text: &str, expected: &[&str]) {
    assert_eq!(detect(text), expected, "detecting in {text:?}");
}

#[test]
fn tickers_and_names() {
    assert_detects("BTC tops $100K", &["BTC"]);
    assert_detects("bitcoin and btc and Bitcoin", &["BTC"]);
    assert_detects("XBT futures open", &["BTC"]);
    assert_detects("Ethereum gas fees fall as ether slides", &["ETH"]);
    assert_detects("ETH, SOL and XRP lead majors", &["ETH", "SOL", "XRP"]);
    assert_detects("Solana outage", &["SOL"]);
    assert_detects("Cardano and Polkadot upgrades", &["ADA", "DOT"]);
    assert_detects("Chainlink oracles", &["LINK"]);
    assert_detects("LINK rallies 10%", &["LINK"]);
    assert_detects("MATIC becomes POL on Polygon", &["POL"]);
    assert_detects("Shiba Inu burn rate", &["SHIB"]);
    assert_detects("shiba-inu whales", &["SHIB"]);
    assert_detects("Dogecoin and Litecoin", &["DOGE", "LTC"]);
    assert_detects("Toncoin, Tron and Avalanche", &["AVAX", "TON", "TRX"]);
    assert_detects("Tether mints USDT, Circle mints USDC", &["USDC", "USDT"]);
    assert_detects("Harmony's ONE token jumps", &["ONE"]);
    assert_detects("NEAR Protocol and near protocol", &["NEAR"]);
}

#[test]
fn possessives_and_punctuation_still_hit() {
    assert_detects("BTC's dominance rises", &["BTC"]);
    assert_detects("Ethereum’s next upgrade", &["ETH"]);
    assert_detects("(SOL) and [ETH]", &["ETH", "SOL"]);
    assert_detects(
        "XRP Is Launching on Ethereum and Solana—Here's Why",
        &["ETH", "SOL", "XRP"],
    );
    assert_detects("BTC/USDT breaks out", &["BTC", "USDT"]);
}

#[test]
fn cashtags_and_hashtags_hit_in_any_case() {
    assert_detects("$BTC", &["BTC"]);
    assert_detects("#BTC to the moon", &["BTC"]);
    assert_detects("$sol looks strong", &["SOL"]);
    assert_detects("#link #one #dot", &["DOT", "LINK", "ONE"]);
    assert_detects("THE $ONE THING", &["ONE"]);
}

#[test]
fn longest_name_wins() {
    assert_detects("Bitcoin Cash forks again", &["BCH"]);
    assert_detects("Ethereum Classic hashrate", &["ETC"]);
    assert_detects("Bitcoin, Cash and gold", &["BTC"]);
    assert_detects("Bitcoin Cash and Bitcoin", &["BCH", "BTC"]);
}

#[test]
fn common_words_do_not_hit() {
    for text in [
        "el sol brilla en la playa",
        "Sol y sombra",
        "THE ONE THING YOU NEED TO KNOW",
        "one more thing",
        "click the link below",
        "Link in bio",
        "Ethernet cables are back",
        "together we rally",
        "a polka dot dress",
        "connect the dots",
        "prices near the top",
        "a ton of bricks",
        "an avalanche of sell orders",
        "living in harmony",
        "ripple effects across markets",
        "untethered ambitions",
        "a stellar quarter",
        "the op ed",
        "gas prices rise",
        "uni students",
        "an apt description",
        "Coinbase acquires Vector Dot Fun",
        "BREAKING: SOL SURGES AS TON AND DOT FOLLOW",
        "SHOUTING ABOUT LINK PRICES TODAY",
        "",
        "$",
        "#",
        "$$$ ###",
    ] {
        assert_detects(text, &[]);
    }
}

#[test]
fn ambiguous_tickers_hit_in_capitals_among_normal_text() {
    assert_detects("SOL hits record as memecoins run", &["SOL"]);
    assert_detects("US SEC approves SOL ETF", &["SOL"]);
    assert_detects("DOT and TON slide", &["DOT", "TON"]);
    assert_detects("ONE", &["ONE"]);
}

#[test]
fn real_rss_titles() {
    // Verbatim <title>s from the RSS fixtures in tests/fixtures/rss.
    let cases: &[(&str, &[&str])] = &[
        (
            "CoinDesk: Bitcoin, Ethereum, Crypto News and Price Data",
            &["BTC", "ETH"],
        ),
        (
            "Open USD takes on Tether, Circle with a different stablecoin model that's 'building money'",
            &["USDT"],
        ),
        (
            "Cardano tapped by Brazil’s state oil giant to track cleaner jet fuel and diesel",
            &["ADA"],
        ),
        (
            "XRP sinks below $1 for first time since 2024 as Korean bank adopts Ripple Payments",
            &["XRP"],
        ),
        (
            "Monad, an Ethereum rival, offered early investors up to $60 million to cash out. Almost all said no",
            &["ETH", "MON"],
        ),
        (
            "Bitcoin climbs above $64,000 while most majors slip",
            &["BTC"],
        ),
        (
            "Bitget hackers move $4 million into Zcash’s private pool, making funds harder to trace",
            &["ZEC"],
        ),
        (
            "Could THORChain face prosecution over stolen Bitget funds? ",
            &["RUNE"],
        ),
        (
            "Bitcoin ETFs stretch $3.1B inflow streak as Ether funds turn red",
            &["BTC", "ETH"],
        ),
        (
            "Bitwise launches first US spot NEAR ETF after token’s recent surge",
            &["NEAR"],
        ),
        (
            "Peter Brandt says Bitcoin may hit $600K by 2029, calls XRP a ‘fool coin’",
            &["BTC", "XRP"],
        ),
        (
            "Florida Seizes $1.5M in Dogecoin, Pepe and Solana Over Case Tied to Chinese National",
            &["DOGE", "PEPE", "SOL"],
        ),
        (
            "Myriad Moves: Will Santa Bring a Pump or Dump for Bitcoin, Ethereum and Solana?",
            &["BTC", "ETH", "SOL"],
        ),
        (
            "Coinbase-Circle USDC collaboration, FOMC minutes, oil price: Crypto Week Ahead",
            &["USDC"],
        ),
        (
            "Do Kwon Sentenced to 15 Years in Prison Over $40 Billion Terra Crypto Collapse",
            &["LUNA"],
        ),
        (
            "Singapore crypto activity grows 55% as broader region contracts",
            &[],
        ),
        (
            "Kraken parent Payward joins Anthropic’s Project Glasswing for AI security push",
            &[],
        ),
        (
            "Jennifer Garner to Star in Netflix Crypto Comedy 'One Attempt Remaining'",
            &[],
        ),
        (
            "BTC @ $86K! Monad presale Oversubscribed! Coinbase acquires Vector Dot Fun",
            &["BTC", "MON"],
        ),
        (
            "Is the Bull Market over? The AI Manhattan Project! Monad Launch Reaction!",
            &["MON"],
        ),
    ];
    for (title, expected) in cases {
        assert_detects(title, expected);
    }
}

#[test]
fn bundled_list_is_broad_and_maps_bases() {
    let detector = CoinDetector::bundled();
    let tickers = [
        "BTC", "ETH", "USDT", "USDC", "BNB", "SOL", "XRP", "ADA", "DOGE", "DOT", "AVAX", "LINK",
        "POL", "LTC", "TRX", "TON", "SHIB", "ONE", "BCH", "ETC", "XLM", "ATOM", "NEAR", "UNI",
        "APT",
    ];
    for ticker in tickers {
        assert_eq!(detector.base_for(ticker), Some(ticker));
    }
    assert_eq!(detector.base_for("MATIC"), None);
}

#[test]
fn base_asset_takes_the_longest_quote() {
    assert_eq!(base_asset("BTCUSDT"), Some("BTC"));
    assert_eq!(base_asset("ETHBTC"), Some("ETH"));
    assert_eq!(base_asset("BNBFDUSD"), Some("BNB"));
    assert_eq!(base_asset("BTCTUSD"), Some("BTC"));
    assert_eq!(base_asset("SOLUSDC"), Some("SOL"));
    assert_eq!(base_asset("USDCUSDT"), Some("USDC"));
    assert_eq!(base_asset("ETHEUR"), Some("ETH"));
    assert_eq!(base_asset("BTCTRY"), Some("BTC"));
    assert_eq!(base_asset("1000SATSUSDT"), Some("1000SATS"));
    assert_eq!(base_asset("btcusdt"), Some("btc"));
    assert_eq!(base_asset("USDT"), None);
    assert_eq!(base_asset("BTC"), None);
    assert_eq!(base_asset(""), None);
    assert_eq!(base_asset("BTC-USDT"), Some("BTC"));
    assert_eq!(base_asset("BTC/USD"), Some("BTC"));
    assert_eq!(base_asset("-USD"), None);
    assert_eq!(base_asset("BTCXYZ"), None);
    assert_eq!(base_asset("ÉTHUSDT"), None);
}

#[test]
fn custom_lists_and_their_errors() {
    let ok = "[[coin]]\nticker = \"FOO\"\nbase = \"FOOX\"\nnames = [\"Foo Coin\"]\n";
    let detector = CoinDetector::from_toml(ok).unwrap();
    assert_eq!(detector.detect("foo coin and FOO"), ["FOO"]);
    assert_eq!(detector.base_for("FOO"), Some("FOOX"));

    let bad = [
        "[[coin]\n",
        "[[coin]]\nticker = \"foo\"\n",
        "[[coin]]\nticker = \"FOO\"\ncolour = \"red\"\n",
        "[[coin]]\nticker = \"FOO\"\nnames = [\"Foo  Coin\"]\n",
        "[[coin]]\nticker = \"FOO\"\nnames = [\"Foo.Coin\"]\n",
        "[[coin]]\nticker = \"FOO\"\nsymbols = [\"fo\"]\n",
        "[[coin]]\nticker = \"FOO\"\n[[coin]]\nticker = \"FOO\"\n",
        "[[coin]]\nticker = \"FOO\"\n[[coin]]\nticker = \"BAR\"\nsymbols = [\"FOO\"]\n",
        "[[coin]]\nticker = \"FOO\"\nnames = [\"Foo\"]\n[[coin]]\nticker = \"BAR\"\nnames = [\"foo\"]\n",
    ];
    for text in bad {
        assert!(CoinDetector::from_toml(text).is_err(), "accepted {text:?}");
    }
    let conflict = CoinDetector::from_toml(bad[7]).err().unwrap();
    assert!(
        matches!(conflict, CoinsError::Conflict { .. }),
        "{conflict}"
    );
    assert!(conflict.to_string().contains("FOO"), "{conflict}");
}

#[test]
fn never_panics_on_random_input() {
    let detector = CoinDetector::bundled();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pieces = [
        "$", "#", "BTC", "sol", "SOL", "Bitcoin", " ", "-", "Cash", "’s", "Shiba", "Inu", "é", "ß",
        "ǅ", "😁", "\u{0}", "ONE", "THE", "İ",
    ];
    for _ in 0..20_000 {
        let text: String = match next() % 3 {
            0 => {
                let bytes: Vec<u8> = (0..next() % 40).map(|_| next() as u8).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            }
            1 => (0..next() % 30)
                .filter_map(|_| char::from_u32((next() % 0x11_0000) as u32))
                .collect(),
            _ => (0..next() % 20)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect(),
        };
        let found = detector.detect(&text);
        assert!(found.windows(2).all(|w| w[0] < w[1]), "{text:?}: {found:?}");
        let _ = base_asset(&text);
    }
}
