//! The lot methods against hand computations, and their invariants over random ledgers.

use std::collections::HashMap;
use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::lots::{Book, LotError, Method, Prices};
use crate::domain::{Entry, EntryKind, Millis};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// USD and USDT are cash; other prices from a table by asset (any time).
struct Table(HashMap<&'static str, Decimal>);

impl Prices for Table {
    fn is_cash(&self, asset: &str) -> bool {
        matches!(asset, "USD" | "USDT")
    }
    fn value(&mut self, asset: &str, _at: Millis) -> Option<Decimal> {
        self.0.get(asset).copied()
    }
    /// A perp's price under its market's name.
    fn mark(&mut self, market: &str, _at: Millis) -> Option<Decimal> {
        self.0.get(market).copied()
    }
}

fn table(prices: &[(&'static str, &str)]) -> Table {
    Table(prices.iter().map(|(a, p)| (*a, d(p))).collect())
}

fn fill(t: Millis, kind: EntryKind, asset: &str, quote: &str, qty: &str, price: &str) -> Entry {
    Entry {
        time: t,
        venue: "test".into(),
        account: String::new(),
        kind,
        asset: asset.into(),
        quote: Some(quote.into()),
        qty: d(qty),
        price: Some(d(price)),
        fee: None,
        id: None,
    }
}

fn fee(mut e: Entry, qty: &str, asset: &str) -> Entry {
    e.fee = Some((d(qty), asset.into()));
    e
}

fn moved(t: Millis, kind: EntryKind, asset: &str, qty: &str, price: Option<&str>) -> Entry {
    Entry {
        quote: None,
        price: price.map(d),
        ..fill(t, kind, asset, "", qty, "0")
    }
}

fn ledger() -> Vec<Entry> {
    use EntryKind::*;
    vec![
        fee(fill(1, Buy, "BTC", "USD", "1", "100"), "1", "USD"),
        fill(2, Buy, "BTC", "USD", "1", "200"),
        fill(3, Buy, "BTC", "USD", "2", "150"),
        fee(fill(4, Sell, "BTC", "USD", "2.5", "300"), "2", "USD"),
    ]
}

/// Four buys and a partial sell, by hand: FIFO closes 1 @ 101 (its fee in), 1 @ 200 and
/// 0.5 of the 150s; LIFO the two 150s and half the 200; HIFO the 200 then 1.5 of the 150s;
/// average 2.5 of 4 at 601 total.
#[test]
fn each_method_against_the_hand_computation() {
    for (method, realized, qty, cost) in [
        (Method::Fifo, "372", "1.5", "225"),
        (Method::Lifo, "348", "1.5", "201"),
        (Method::Hifo, "323", "1.5", "176"),
        (Method::Average, "372.375", "1.5", "225.375"),
    ] {
        let book = Book::replay(method, ledger(), &mut table(&[])).unwrap();
        let btc = &book.holdings["BTC"];
        assert_eq!(btc.realized, d(realized), "{method:?}");
        assert_eq!((btc.qty(), btc.cost()), (d(qty), d(cost)), "{method:?}");
        assert_eq!(btc.fees, d("3"), "{method:?}");
        assert_eq!(
            book.holdings["USD"].qty(),
            d("147"),
            "cash spent and received"
        );
    }
}

/// ETH bought with BTC and a BNB fee: the BTC spent is a disposal at its value then (a gain
/// on its 10,000 basis), so is the BNB; the ETH's cost is what was given plus the fee.
#[test]
fn a_fill_in_a_non_cash_quote_with_a_fee_in_a_third_asset() {
    use EntryKind::*;
    let entries = vec![
        moved(1, Deposit, "BTC", "1", Some("10000")),
        moved(1, Deposit, "BNB", "1", Some("100")),
        fee(fill(2, Buy, "ETH", "BTC", "1", "0.05"), "0.1", "BNB"),
    ];
    let mut prices = table(&[("BTC", "20000"), ("BNB", "300")]);
    let book = Book::replay(Method::Fifo, entries, &mut prices).unwrap();
    let h = &book.holdings;
    assert_eq!((h["ETH"].qty(), h["ETH"].cost()), (d("1"), d("1030")));
    assert_eq!(h["ETH"].fees, d("30"));
    assert_eq!((h["BTC"].qty(), h["BTC"].realized), (d("0.95"), d("500")));
    assert_eq!((h["BNB"].qty(), h["BNB"].realized), (d("0.9"), d("20")));
}

/// A fee in the coin bought reduces the lot; selling with a fee in the coin sells it too.
#[test]
fn fees_in_the_traded_coin() {
    use EntryKind::*;
    let entries = vec![
        fee(fill(1, Buy, "BTC", "USDT", "1", "100"), "0.001", "BTC"),
        fee(fill(2, Sell, "BTC", "USDT", "0.5", "200"), "0.0005", "BTC"),
    ];
    let book = Book::replay(Method::Fifo, entries, &mut table(&[])).unwrap();
    let btc = &book.holdings["BTC"];
    // 0.999 for 100; 0.5005 of it out (cost 50.1): 100 of proceeds, a 0.1 fee.
    assert_eq!(btc.qty(), d("0.4985"));
    assert_eq!(btc.fees, d("0.1") + d("0.1"));
    // The part of the lot's cost is rounded to 12 places (the only division).
    assert_eq!(btc.realized, d("100") - d("50.100100100100"));
    assert_eq!(book.holdings["USDT"].qty(), d("0"), "-100 then +100");
}

/// A withdrawal and the deposit that follows within the week are a transfer: the lots come
/// back with their cost (the network's cut raises the basis), nothing is realised.
#[test]
fn a_transfer_between_accounts_is_not_a_sale() {
    use EntryKind::*;
    let day = 86_400_000;
    let entries = vec![
        moved(0, Deposit, "SOL", "2", Some("10")),
        moved(day, Withdraw, "SOL", "2", None),
        moved(day + 3_600_000, Deposit, "SOL", "1.99", None),
    ];
    // No price of SOL anywhere: a transfer needs none.
    let book = Book::replay(Method::Fifo, entries, &mut table(&[])).unwrap();
    let sol = &book.holdings["SOL"];
    assert_eq!(
        (sol.qty(), sol.cost(), sol.realized),
        (d("1.99"), d("20"), d("0"))
    );
}

#[test]
fn selling_more_than_held_or_needing_a_missing_price_names_the_row() {
    use EntryKind::*;
    let mut over = ledger();
    over.push(Entry {
        id: Some("T9".into()),
        ..fill(5, Sell, "BTC", "USD", "2", "300")
    });
    match Book::replay(Method::Fifo, over, &mut table(&[])) {
        Err(e @ LotError::Oversold { .. }) => {
            assert_eq!(e.to_string(), "test row T9: sells 2 BTC but holds 1.5")
        }
        other => panic!("{:?}", other.err()),
    }
    let unpriced = vec![moved(0, Reward, "ETH", "1", None)];
    let err = Book::replay(Method::Fifo, unpriced, &mut table(&[]))
        .err()
        .unwrap();
    assert!(matches!(&err, LotError::NoPrice { asset, .. } if asset == "ETH"));
    assert!(err.to_string().contains("cryptoviz backfill"), "{err}");
}

prop_compose! {
    /// Buys and sells of two coins in USD, each sell at most what is held, fees in USD, and a
    /// last sell of everything left.
    fn closed_ledger()(steps in prop::collection::vec(
        (0..2usize, any::<bool>(), 1u32..5000, 1u32..100_000, 0u32..500), 1..40)
    ) -> Vec<Entry> {
        let coins = ["BTC", "ETH"];
        let mut held = [Decimal::ZERO; 2];
        let mut out = Vec::new();
        for (i, (c, buy, qty, price, f)) in steps.into_iter().enumerate() {
            let qty = Decimal::new(qty.into(), 3);
            let price = Decimal::new(price.into(), 2);
            let kind = if buy || held[c] < qty { EntryKind::Buy } else { EntryKind::Sell };
            held[c] += if kind == EntryKind::Buy { qty } else { -qty };
            let mut e = fill(i as Millis, kind, coins[c], "USD", "0", "0");
            e.qty = qty;
            e.price = Some(price);
            e.fee = Some((Decimal::new(f.into(), 2), "USD".into()));
            e.id = Some(format!("r{i}"));
            out.push(e);
        }
        for (c, q) in held.iter().enumerate() {
            if !q.is_zero() {
                let mut e = fill(1_000, EntryKind::Sell, coins[c], "USD", "0", "7");
                e.qty = *q;
                e.id = Some(format!("close{c}"));
                out.push(e);
            }
        }
        out
    }
}

proptest! {
    /// Over a closed-out ledger, realised P&L is proceeds minus cost minus fees, to the last
    /// digit, whatever the method; and the file's row order changes nothing.
    #[test]
    fn realised_is_proceeds_minus_cost_minus_fees(ledger in closed_ledger(), seed in any::<u64>()) {
        let (mut proceeds, mut cost, mut fees) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        for e in &ledger {
            let gross = e.qty * e.price.unwrap();
            match e.kind {
                EntryKind::Sell => proceeds += gross,
                _ => cost += gross,
            }
            fees += e.fee.as_ref().map(|f| f.0).unwrap_or_default();
        }
        let mut shuffled = ledger.clone();
        let mut rng = crate::rng::Rng::new(seed);
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
        }
        for method in Method::ALL {
            let book = Book::replay(method, ledger.clone(), &mut table(&[])).unwrap();
            let realized: Decimal = book.holdings.values().map(|h| h.realized).sum();
            prop_assert_eq!(realized, proceeds - cost - fees, "{:?}", method);
            for h in book.holdings.values().filter(|h| h.cash.is_none()) {
                prop_assert!(h.qty().is_zero() && h.cost().is_zero());
            }
            let again = Book::replay(method, shuffled.clone(), &mut table(&[])).unwrap();
            prop_assert_eq!(&again.holdings, &book.holdings);
        }
    }
}

proptest! {
    /// Hostile text under each recognised header (any characters, quotes, separators) gives
    /// rows or one error, never a panic.
    #[test]
    fn imports_never_panic_on_hostile_rows(
        header in 0..5usize,
        rows in prop::collection::vec("[\\PC,\"\\r\\n]{0,60}", 0..8),
    ) {
        let headers = [
            "time,venue,symbol,side,qty,price,fee,fee_asset,id",
            "\"Date(UTC)\",\"Pair\",\"Side\",\"Price\",\"Executed\",\"Amount\",\"Fee\"",
            "Date(UTC),Market,Type,Price,Amount,Total,Fee,Fee Coin",
            "\"txid\",\"ordertxid\",\"pair\",\"time\",\"type\",\"ordertype\",\"price\",\"cost\",\"fee\",\"vol\",\"margin\",\"misc\",\"ledgers\"",
            "ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,Subtotal,Total (inclusive of fees and/or spread),Fees and/or Spread,Notes",
        ];
        let text = format!("{}\n{}", headers[header], rows.join("\n"));
        let opts = super::import::Options { now: 2_000_000_000_000, ..Default::default() };
        let _ = super::import::read_text("f.csv", &text, &opts);
    }
}

/// A Binance pair that is not ASCII is a row error, not a string sliced inside a letter.
#[test]
fn a_non_ascii_binance_pair_is_refused() {
    let text = "\"Date(UTC)\",\"Pair\",\"Side\",\"Price\",\"Executed\",\"Amount\",\"Fee\"\n\
                \"2025-01-07 10:00:00\",\"BTÉCUSDT\",\"BUY\",\"1\",\"1BTÉC\",\"1USDT\",\"\"\n";
    let opts = super::import::Options {
        now: 2_000_000_000_000,
        ..Default::default()
    };
    let err = super::import::read_text("b.csv", text, &opts)
        .err()
        .unwrap();
    assert_eq!(err.line, 2);
    assert_eq!(err.column.as_deref(), Some("pair"));
}

/// Bybit's spot history: the fee in the coin on a buy, in the quote on a sale; by FIFO the
/// 9.99 ICP bought for 80.203 lose 5.36 of them (cost 80.203 x 5.36 / 9.99) for 49.973424,
/// less the 0.049973424 fee.
#[test]
fn bybit_spot_trades_fee_in_what_comes_in() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/portfolio/bybit-spot-trades.csv");
    let opts = super::import::Options {
        now: 2_000_000_000_000,
        ..Default::default()
    };
    let (format, rows) = super::import::read_file(&path, &opts).unwrap();
    assert_eq!(format.name(), "Bybit spot trade history");
    let entries: Vec<Entry> = rows.into_iter().map(|(_, e)| e).collect();
    assert_eq!(entries[0].fee, Some((d("0.01"), "ICP".into())));
    assert_eq!(
        entries[1].fee,
        Some((d("0.04997342400000000000"), "USDT".into()))
    );
    assert_eq!(entries[1].time, 1_731_767_700_000, "14:35 on 2024-11-16");
    let book = Book::replay(Method::Fifo, entries, &mut table(&[])).unwrap();
    let icp = &book.holdings["ICP"];
    assert_eq!(icp.qty(), d("4.63"));
    let part = (d("80.203") * d("5.36") / d("9.99")).round_dp(12);
    assert_eq!(icp.realized, d("49.973424") - part - d("0.049973424"));
}

/// A perp position by hand: a long built at an average entry of 41,000, closed and flipped
/// short by one sell, funding paid and received, a partial buy back; realised P&L and fees
/// settle in USDT, the open short is valued at its mark, and no row is an oversell.
#[test]
fn a_perp_position_long_flipped_short_and_partly_closed() {
    use EntryKind::*;
    let perp = "binance-perp:BTCUSDT";
    let funding = |t: Millis, qty: &str| moved(t, Funding, perp, qty, None);
    let entries = vec![
        moved(1, Deposit, "USDT", "10000", None),
        fee(fill(2, Buy, perp, "USDT", "2", "40000"), "32", "USDT"),
        fill(3, Buy, perp, "USDT", "1", "43000"),
        // Closes 3 at 42,000 against 123,000 of entry (+3,000), opens 1 short.
        fee(fill(4, Sell, perp, "USDT", "4", "42000"), "16.8", "USDT"),
        funding(5, "-5"),
        funding(6, "2.5"),
        // Buys back 0.4 of the short: 16,800 of entry for 16,400 (+400).
        fill(7, Buy, perp, "USDT", "0.4", "41000"),
    ];
    let mut prices = table(&[(perp, "41500")]);
    let book = Book::replay(Method::Fifo, entries, &mut prices).unwrap();
    let p = &book.holdings[perp];
    assert_eq!((p.qty(), p.cost()), (d("-0.6"), d("-25200")));
    assert_eq!(p.realized, d("3000") + d("400") - d("32") - d("16.8"));
    assert_eq!((p.fees, p.funding), (d("48.8"), d("-2.5")));
    let usdt = &book.holdings["USDT"];
    assert_eq!(usdt.qty(), d("13348.7"), "10,000 + P&L - fees + funding");
    assert_eq!(usdt.funding, d("0"), "the funding is the position's");

    let r = super::report::PortfolioReport::of(&book, "USD", 8, &mut prices);
    let row = r.positions.iter().find(|x| x.asset == perp).unwrap();
    // Short 0.6 from 42,000, marked at 41,500: +300 open.
    assert_eq!(
        (row.qty.as_str(), row.avg_cost.as_deref(), row.cost.as_str()),
        ("-0.6", Some("42000"), "-25200")
    );
    assert_eq!(
        (row.value.as_deref(), row.unrealized.as_deref()),
        (Some("300"), Some("300"))
    );
    assert_eq!(row.realized, "3351.2");
    let pr = row.perp.as_ref().unwrap();
    assert_eq!(
        (pr.side, pr.settle.as_str(), pr.mark.as_deref()),
        ("short", "USDT", Some("41500"))
    );
    // Its notional (24,900) against the total: leverage shows as over 100 %.
    assert_eq!(row.share_pct.as_deref(), Some("182.43"));
    let t = &r.totals;
    assert_eq!(
        (t.value.as_str(), t.cost.as_str(), t.unrealized.as_str()),
        ("13648.7", "13348.7", "300"),
        "equity: the balance and the open P&L; a perp's entry is not money spent"
    );
    assert_eq!(
        (t.realized.as_str(), t.funding.as_str()),
        ("3351.2", "-2.5")
    );
    // Without a stored mark the position is unvalued, never 0.
    let r = super::report::PortfolioReport::of(&book, "USD", 8, &mut table(&[]));
    assert_eq!(r.totals.unvalued, [perp]);
}

/// A short opened from nothing is a position; the same sell of a coin is an error.
#[test]
fn a_perp_short_from_flat_is_not_an_oversell() {
    use EntryKind::*;
    let book = Book::replay(
        Method::Fifo,
        vec![
            fill(1, Sell, "okx:BTC-USDT-SWAP", "USDT", "0.5", "40000"),
            fill(2, Buy, "okx:BTC-USDT-SWAP", "USDT", "0.5", "39000"),
        ],
        &mut table(&[]),
    )
    .unwrap();
    let p = &book.holdings["okx:BTC-USDT-SWAP"];
    assert_eq!((p.qty(), p.cost(), p.realized), (d("0"), d("0"), d("500")));
    assert_eq!(book.holdings["USDT"].qty(), d("500"));
    let spot = Book::replay(
        Method::Fifo,
        vec![fill(1, Sell, "BTC", "USDT", "0.5", "40000")],
        &mut table(&[]),
    );
    assert!(matches!(spot, Err(LotError::Oversold { .. })));
}

/// The plain CSV's perp rows: a fill on `binance-perp`, `bybit-perp` or an OKX `-SWAP` market
/// names the market and settles in its quote; a funding row on one names the market too;
/// the same words on a spot venue, or an asset, stay what they were.
#[test]
fn plain_csv_perp_rows_name_their_market() {
    let text = "time,venue,symbol,side,qty,price,fee,fee_asset,id\n\
                2025-01-02T00:00:00Z,binance-perp,BTCUSDT,sell,0.5,40000,8,USDT,a\n\
                2025-01-02T00:00:01Z,okx,BTC-USDT-SWAP,buy,0.01,40000,,,b\n\
                2025-01-02T00:00:02Z,bybit-perp,ETHUSDT,funding,-1.25,,,,c\n\
                2025-01-02T00:00:03Z,binance,BTCUSDT,buy,0.5,40000,,,d\n\
                2025-01-02T00:00:04Z,binance-perp,USDT,deposit,100,,,,e\n\
                2025-01-02T00:00:05Z,binance-perp,USDT,funding,-1,,,,f\n";
    let opts = super::import::Options {
        now: 2_000_000_000_000,
        ..Default::default()
    };
    let (_, rows) = super::import::read_text("p.csv", text, &opts).unwrap();
    let got: Vec<(&str, Option<&str>, Option<String>)> = rows
        .iter()
        .map(|(_, e)| {
            (
                e.asset.as_str(),
                e.quote.as_deref(),
                e.perp().map(|s| s.canonical()),
            )
        })
        .collect();
    let perp = |s: &str| Some(s.to_string());
    assert_eq!(
        got,
        [
            (
                "binance-perp:BTCUSDT",
                Some("USDT"),
                perp("binance-perp:BTCUSDT")
            ),
            ("okx:BTC-USDT-SWAP", Some("USDT"), perp("okx:BTC-USDT-SWAP")),
            ("bybit-perp:ETHUSDT", None, perp("bybit-perp:ETHUSDT")),
            ("BTC", Some("USDT"), None),
            ("USDT", None, None),
            ("USDT", None, None),
        ]
    );
}

/// OKX's trade history: times in the preamble's zone (UTC+8), each fill two rows (one per
/// asset), the transfer left out. By FIFO: 0.5 ETH at 3,300 less its 0.0005 ETH fee is a lot
/// of 0.4995 for 1,650; selling 0.2 at 3,500 closes 1,650 x 0.2 / 0.4995 of its cost (to 12
/// places); the sale's 0.7 USDT fee, on the USDT row, is a fee of its own.
#[test]
fn okx_trade_history_two_rows_a_fill() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/portfolio/okx-trade-history.csv");
    let opts = super::import::Options {
        now: 2_000_000_000_000,
        ..Default::default()
    };
    let (format, rows) = super::import::read_file(&path, &opts).unwrap();
    assert_eq!(format.name(), "OKX trade history");
    let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(
        lines,
        [4, 6, 7],
        "the transfer (3) and the buy's USDT row (5) add nothing"
    );
    let entries: Vec<Entry> = rows.into_iter().map(|(_, e)| e).collect();
    assert_eq!(
        entries[0].time, 1_736_471_730_000,
        "09:15:30 at UTC+8 is 01:15:30Z"
    );
    assert_eq!(entries[0].fee, Some((d("0.0005"), "ETH".into())));
    assert_eq!(
        (entries[1].kind, entries[1].qty),
        (EntryKind::Sell, d("0.2"))
    );
    assert_eq!(
        (entries[2].kind, entries[2].qty),
        (EntryKind::Fee, d("0.7"))
    );
    let book = Book::replay(Method::Fifo, entries, &mut table(&[])).unwrap();
    let eth = &book.holdings["ETH"];
    assert_eq!(
        (eth.qty(), eth.cost()),
        (d("0.2995"), d("989.339339339339"))
    );
    assert_eq!(eth.realized, d("39.339339339339"));
    assert_eq!(eth.fees, d("1.65"));
    let usdt = &book.holdings["USDT"];
    assert_eq!((usdt.qty(), usdt.fees), (d("-950.7"), d("0.7")));
    // A delivery future's row refuses the file, naming its line and why.
    let text = std::fs::read_to_string(&path).unwrap()
        + "16,504,2025-01-13 10:00:00,Futures,BTC-USDT-250328,Buy,1,cont,90000,USDT,0,-0.5,USDT,1,1,cont,-0.5,1048.8,USDT\n";
    let err = super::import::read_text("o.csv", &text, &opts)
        .err()
        .unwrap();
    assert_eq!((err.line, err.column.as_deref()), (8, Some("Trade Type")));
    assert!(err.message.contains("spot and perpetual only"), "{err}");
}

/// OKX's perpetual rows: one row a fill in the settlement asset, `Amount` in contracts of the
/// swap's size (30 contracts of 0.1 ETH are 3 ETH) or in the coin; a funding row's payment;
/// the transfer left out. Sizes unknown: the file asks for them, naming the market.
#[test]
fn okx_perpetual_rows_count_contracts_of_their_size() {
    use super::import::{ContractSizes, Options, read_file, read_text};
    use crate::domain::Symbol;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/portfolio/okx-perpetual-history.csv");
    let unread = Options {
        now: 2_000_000_000_000,
        ..Default::default()
    };
    let err = read_file(&path, &unread).err().unwrap();
    let eth = Symbol::new("okx:ETH-USDT-SWAP").unwrap();
    assert_eq!(
        (err.line, err.column.as_deref(), err.needs_contract_sizes),
        (4, Some("Trading Unit"), Some(eth))
    );
    let sized = |list: &[(&str, Result<&str, &str>)]| Options {
        contracts: ContractSizes::Listed(
            list.iter()
                .map(|(s, size)| {
                    let size = size.map(d).map_err(str::to_string);
                    (Symbol::new(s).unwrap(), size)
                })
                .collect(),
        ),
        ..unread.clone()
    };
    let opts = sized(&[
        ("okx:ETH-USDT-SWAP", Ok("0.1")),
        ("okx:BTC-USDT-SWAP", Ok("0.01")),
    ]);
    let (_, rows) = read_file(&path, &opts).unwrap();
    // Line, kind, market, settlement asset, quantity in coins, fee.
    let got: Vec<String> = rows
        .iter()
        .map(|(line, e)| {
            let fee = e.fee.as_ref().map(|(q, a)| format!("{q} {a}"));
            format!(
                "{line} {} {} {} {} {}",
                e.kind.as_str(),
                e.asset,
                e.quote.as_deref().unwrap_or("-"),
                e.qty.normalize(),
                fee.as_deref().unwrap_or("-")
            )
        })
        .collect();
    let e = "okx:ETH-USDT-SWAP";
    assert_eq!(
        got,
        [
            "4 buy okx:ETH-USDT-SWAP USDT 3 4.8 USDT",
            "5 funding okx:ETH-USDT-SWAP - -0.96 -",
            "6 sell okx:ETH-USDT-SWAP USDT 1 1.65 USDT",
            "7 sell okx:BTC-USDT-SWAP USDT 0.05 2.5 USDT",
        ]
    );
    assert_eq!(rows[0].1.time, 1_738_371_600_000, "09:00 at UTC+8");
    // Long 3 ETH at 3,200, one closed at 3,300: +100 realised less 6.45 of fees.
    let book = Book::replay(
        Method::Fifo,
        rows.into_iter().map(|(_, e)| e).collect(),
        &mut table(&[]),
    )
    .unwrap();
    let p = &book.holdings[e];
    assert_eq!(
        (p.qty(), p.realized, p.funding),
        (d("2"), d("93.55"), d("-0.96"))
    );

    let text = std::fs::read_to_string(&path).unwrap();
    let with = |row: &str| format!("{text}{row}\n");
    let refused = |row: &str, opts: &Options| {
        let err = read_text("o.csv", &with(row), opts).err().unwrap();
        (err.line, err.column.unwrap_or_default(), err.message)
    };
    for (row, column, says) in [
        (
            "40,700,2025-02-04 10:00:00,Perpetual,SOL-USDT-SWAP,Buy,1,cont,200,USDT,0,0,USDT,1,1,cont,0,1,USDT",
            "Trading Unit",
            "okx:SOL-USDT-SWAP is not in OKX's list of swaps",
        ),
        (
            "40,700,2025-02-04 10:00:00,Perpetual,ETH-USDT-SWAP,Buy,100,USDT,3300,USDT,0,0,USDT,1,1,cont,0,1,USDT",
            "Trading Unit",
            "not an exact number of coins",
        ),
        (
            "40,700,2025-02-04 10:00:00,Perpetual,BTC-USD-SWAP,Buy,1,cont,90000,USD,0,0,BTC,1,1,cont,0,1,BTC",
            "Symbol",
            "inverse swap",
        ),
        (
            "40,700,2025-02-04 10:00:00,Perpetual,ETH-USDT-SWAP,Liquidation,1,ETH,3000,USDT,0,0,USDT,1,1,cont,0,1,USDT",
            "Action",
            "\"Liquidation\" is not Open long",
        ),
        (
            "40,,2025-02-04 16:00:00,Perpetual,ETH-USDT-SWAP,Funding fee,0,cont,0,USDT,0,0,USDT,0,1,cont,-1,1,ETH",
            "Balance Unit",
            "funding settles in USDT",
        ),
    ] {
        let (line, col, message) = refused(row, &opts);
        assert_eq!((line, col.as_str()), (8, column), "{message}");
        assert!(message.contains(says), "{message}");
    }
    // A size the list refused, or a list that could not be read: the row says why.
    let odd = sized(&[("okx:ETH-USDT-SWAP", Err("ctMult 2 is not 1"))]);
    let (line, _, message) = refused("", &odd);
    assert_eq!(line, 4);
    assert!(
        message.ends_with("cannot be sized: ctMult 2 is not 1"),
        "{message}"
    );
    let down = Options {
        contracts: ContractSizes::Unreadable("connection refused".into()),
        ..unread.clone()
    };
    let (_, _, message) = refused("", &down);
    assert!(
        message.contains("(connection refused): import again"),
        "{message}"
    );
}

/// A name that is no asset's (a terminal's escape codes, a long text) refuses its file,
/// naming the line and showing the name escaped.
#[test]
fn an_asset_name_must_be_a_name() {
    let opts = super::import::Options {
        now: 2_000_000_000_000,
        ..Default::default()
    };
    for bad in ["\u{1b}[2JX", "A COIN", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"] {
        let text = format!(
            "time,venue,symbol,side,qty,price,fee,fee_asset,id\n\
             2025-01-02T00:00:00Z,x,USDT,deposit,1,,,,a\n\
             2025-01-02T00:00:01Z,x,{bad},deposit,1,1,,,b\n"
        );
        let err = super::import::read_text("n.csv", &text, &opts)
            .err()
            .unwrap();
        assert_eq!(err.line, 3, "{err}");
        assert!(err.message.contains("is not an asset's name"), "{err}");
        assert!(!err.to_string().contains('\u{1b}'), "escaped: {err}");
    }
    let fine = "time,venue,symbol,side,qty,price,fee,fee_asset,id\n\
                2025-01-02T00:00:00Z,x,1000SATS,deposit,1,1,,,a\n\
                2025-01-02T00:00:01Z,x,USDC.E,deposit,1,1,,,b\n";
    assert_eq!(
        super::import::read_text("n.csv", fine, &opts)
            .unwrap()
            .1
            .len(),
        2
    );
}
