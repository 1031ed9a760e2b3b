//! The user's own ledger: fills, transfers, fees, funding payments and rewards, in exact
//! decimals of any scale (venues' exports carry up to 18 places). Plain data: the portfolio
//! module reads it into lots.

use rust_decimal::Decimal;

use super::Millis;

/// What one ledger row does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    /// `asset` bought with `quote` at `price`.
    Buy,
    /// `asset` sold for `quote` at `price`.
    Sell,
    /// `asset` came in (from outside, or from another of the user's accounts).
    Deposit,
    /// `asset` went out.
    Withdraw,
    /// `asset` paid as a fee on its own row.
    Fee,
    /// A perp's funding payment in `asset`: received when positive, paid when negative.
    Funding,
    /// `asset` received as income (staking, interest, airdrops).
    Reward,
}

impl EntryKind {
    pub const ALL: [EntryKind; 7] = [
        EntryKind::Buy,
        EntryKind::Sell,
        EntryKind::Deposit,
        EntryKind::Withdraw,
        EntryKind::Fee,
        EntryKind::Funding,
        EntryKind::Reward,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Buy => "buy",
            EntryKind::Sell => "sell",
            EntryKind::Deposit => "deposit",
            EntryKind::Withdraw => "withdraw",
            EntryKind::Fee => "fee",
            EntryKind::Funding => "funding",
            EntryKind::Reward => "reward",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        EntryKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }

    pub fn is_fill(self) -> bool {
        matches!(self, EntryKind::Buy | EntryKind::Sell)
    }
}

/// One row of the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub time: Millis,
    /// The venue it happened on (`binance`, `kraken`, … or the plain CSV's own word).
    pub venue: String,
    /// The user's account at that venue (`""`: the default one).
    pub account: String,
    pub kind: EntryKind,
    /// The asset bought, sold or moved (`BTC`; Kraken's `XXBT` already read as `BTC`), or
    /// the perp market whose position a fill or funding payment changes, canonical
    /// (`binance-perp:BTCUSDT`; see [`Entry::perp`]).
    pub asset: String,
    /// A fill's quote asset, spent by a buy and received by a sell.
    pub quote: Option<String>,
    /// How much of `asset`: above zero, except a funding payment (negative when paid).
    pub qty: Decimal,
    /// A fill's price in `quote`; a deposit's or reward's unit cost where the file gives it
    /// (none: its stored price at `time`).
    pub price: Option<Decimal>,
    /// A fee paid with the row, in any asset.
    pub fee: Option<(Decimal, String)>,
    /// The venue's id of the row, when the export has one.
    pub id: Option<String>,
}

impl Entry {
    /// The perp market of a perp fill or funding payment: a position in coins (contract size
    /// applied), settled in the market's quote asset.
    pub fn perp(&self) -> Option<super::Symbol> {
        if !self.asset.contains(':') {
            return None;
        }
        super::Symbol::new(&self.asset).ok().filter(|s| s.is_perp())
    }

    /// What makes a row the same row when imported again: venue, account and id where the
    /// export gives an id, else the row's whole content.
    pub fn identity(&self) -> String {
        match &self.id {
            Some(id) => format!("{}|{}|id:{id}", self.venue, self.account),
            None => format!("{}|{}|{}", self.venue, self.account, self.content()),
        }
    }

    /// The row's content, canonical (decimals normalised), to tell a re-import of the same
    /// row from a different row under the same id.
    pub fn content(&self) -> String {
        let d = |v: &Decimal| v.normalize().to_string();
        format!(
            "{}|{}|{}|{}|{}|{}|{}",
            self.time,
            self.kind.as_str(),
            self.asset,
            self.quote.as_deref().unwrap_or(""),
            d(&self.qty),
            self.price.as_ref().map(d).unwrap_or_default(),
            self.fee
                .as_ref()
                .map(|(q, a)| format!("{}{a}", d(q)))
                .unwrap_or_default()
        )
    }
}

/// One valuation of the portfolio as its alert rules read it (SPEC §6): a collector's every
/// minute, `alerts test`'s at each step of the stored history.
#[derive(Clone, Debug, PartialEq)]
pub struct PortfolioFigures {
    /// When it was valued.
    pub time: Millis,
    /// Realised, unrealised and funding P&L of the valued holdings, in the currency.
    pub pnl: f64,
    /// The current fall from the peak of the holdings' own daily return index, in percent
    /// (`None` before a day's return is known).
    pub drawdown_pct: Option<f64>,
    /// The largest position and its share of the valued total, in percent.
    pub largest: Option<(String, f64)>,
}

/// Kraken's legacy four-letter codes: the X (crypto) or Z (fiat) prefix goes.
const KRAKEN_LEGACY: [&str; 18] = [
    "XXBT", "XETH", "XLTC", "XXRP", "XXLM", "XXMR", "XZEC", "XETC", "XREP", "XMLN", "XXDG", "ZUSD",
    "ZEUR", "ZGBP", "ZCAD", "ZJPY", "ZAUD", "ZCHF",
];

/// An asset's common name: upper case; Kraken's `XXBT`/`XBT` is `BTC`, `XDG` is `DOGE`, and
/// its legacy prefixed codes (`XETH`, `ZUSD`) lose the prefix (only those: `ZETA` stays).
pub fn asset_name(raw: &str) -> String {
    let up = raw.trim().to_ascii_uppercase();
    let bare = if KRAKEN_LEGACY.contains(&up.as_str()) {
        &up[1..]
    } else {
        &up
    };
    match bare {
        "XBT" => "BTC".into(),
        "XDG" => "DOGE".into(),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_by_id_else_by_content() {
        let e = Entry {
            time: 1,
            venue: "kraken".into(),
            account: String::new(),
            kind: EntryKind::Buy,
            asset: "BTC".into(),
            quote: Some("EUR".into()),
            qty: Decimal::new(100, 2),
            price: Some(Decimal::new(5, 0)),
            fee: None,
            id: None,
        };
        let mut same = e.clone();
        same.qty = Decimal::new(1, 0);
        assert_eq!(e.identity(), same.identity(), "1.00 and 1 are one quantity");
        let with_id = Entry {
            id: Some("T1".into()),
            ..e.clone()
        };
        assert_eq!(with_id.identity(), "kraken||id:T1");
        assert_eq!(EntryKind::parse(" Withdraw"), Some(EntryKind::Withdraw));
        assert_eq!(asset_name("XXBT"), "BTC");
        assert_eq!(asset_name("ZUSD"), "USD");
        assert_eq!(asset_name("xbt"), "BTC");
        assert_eq!(asset_name("USDT"), "USDT");
        assert_eq!(asset_name("XETH"), "ETH");
        assert_eq!(asset_name("ZETA"), "ZETA");
    }
}
