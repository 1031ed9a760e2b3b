//! Lots: the ledger replayed in time order into each asset's open lots, realised P&L, fees
//! and funding, by FIFO, LIFO, HIFO or average cost, in exact decimals, valued in the
//! portfolio's currency.
//!
//! Every row moves assets, and every move of an asset other than cash is a lot opened or
//! closed: a buy opens a lot of the base and spends the quote (closing lots of it unless it is
//! cash), a sell closes lots of the base and receives the quote. A disposal realises its value
//! at that time minus the cost of the lots it closes. Fees: one in the quote adds to a buy's
//! cost or comes off a sell's proceeds; one in the traded coin reduces the lot bought (or is
//! sold with the coin); one in a third asset is valued at its time and is a disposal of that
//! asset too. Cash (the currency, and at-par stablecoins) has no lots: its balance may go
//! below zero (money put in without a deposit row). A withdrawal takes its lots out at cost
//! (no gain) and a deposit of the same asset within a week brings them back: a transfer
//! between the user's accounts is not a sale. Spending more of a non-cash asset than is held
//! is an error naming the row.

use std::collections::{BTreeMap, VecDeque};

use rust_decimal::Decimal;

use crate::domain::{Entry, EntryKind, Millis};

/// How a disposal picks the lots it closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Fifo,
    Lifo,
    /// Highest unit cost first.
    Hifo,
    /// One pooled lot per asset at its average cost.
    Average,
}

impl Method {
    pub const ALL: [Method; 4] = [Method::Fifo, Method::Lifo, Method::Hifo, Method::Average];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Fifo => "fifo",
            Method::Lifo => "lifo",
            Method::Hifo => "hifo",
            Method::Average => "average",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Decimal places a part of a lot's cost is rounded to when a lot is split (the only
/// division): far below any currency's unit, and few enough that sums of costs and gains stay
/// exact in 28 digits. A lot closed whole gives all of its cost, so costs always add up.
const COST_DP: u32 = 12;
/// The same for the quantity a transfer brings back to each lot.
const QTY_DP: u32 = 18;

/// A withdrawal waits this long for the deposit that makes it a transfer.
const TRANSFER_WINDOW: Millis = 7 * 86_400_000;

/// Prices in the portfolio's currency.
pub trait Prices {
    /// Whether `asset` is cash: the currency itself or a stablecoin counted at par.
    fn is_cash(&self, asset: &str) -> bool;
    /// The value of one `asset` at `at` (the last close at or before it), or why there is
    /// none.
    fn value(&mut self, asset: &str, at: Millis) -> Option<Decimal>;
    /// A perp market's price at `at` (its last close at or before it), in its quote.
    fn mark(&mut self, market: &str, at: Millis) -> Option<Decimal>;
}

#[derive(Clone, Debug, PartialEq)]
pub struct Lot {
    pub time: Millis,
    pub qty: Decimal,
    /// What the lot cost, in the currency.
    pub cost: Decimal,
}

/// One asset's state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Holding {
    /// Open lots in the order the method closes them from the front (FIFO, average, HIFO:
    /// oldest or costliest first) or the back (LIFO); cash has none.
    lots: VecDeque<Lot>,
    /// The lots' quantity and cost, kept as they change (not summed a lookup).
    qty: Decimal,
    cost: Decimal,
    /// Cash: the balance (lots are not kept for it).
    pub cash: Option<Decimal>,
    pub realized: Decimal,
    /// Fees paid on this asset's rows, in the currency.
    pub fees: Decimal,
    /// Funding received (negative: paid), in the currency.
    pub funding: Decimal,
    /// A perp position: the quote asset it settles in. Then `qty` is signed (a short is
    /// below zero), `cost` is its entry value in that quote (signed alike) at the average
    /// entry price, as the venues keep it, and it has no lots.
    pub settle: Option<String>,
}

impl Holding {
    pub fn qty(&self) -> Decimal {
        self.cash.unwrap_or(self.qty)
    }

    pub fn cost(&self) -> Decimal {
        self.cash.unwrap_or(self.cost)
    }

    /// Its worth in the currency at `at`, and the cost its unrealised P&L is measured from:
    /// for a coin its holdings at their price and their cost, for cash its balance twice;
    /// for a perp position its unrealised P&L (what it adds to equity: the margin is in the
    /// settle asset's balance) and nothing. `None`: no price then.
    pub fn worth(
        &self,
        asset: &str,
        prices: &mut dyn Prices,
        at: Millis,
    ) -> Option<(Decimal, Decimal)> {
        let qty = self.qty();
        if let Some(settle) = &self.settle {
            let unit = if prices.is_cash(settle) {
                Decimal::ONE
            } else {
                prices.value(settle, at)?
            };
            let open = if qty.is_zero() {
                Decimal::ZERO
            } else {
                qty.checked_mul(prices.mark(asset, at)?)? - self.cost
            };
            return Some((open.checked_mul(unit)?, Decimal::ZERO));
        }
        if qty.is_zero() || prices.is_cash(asset) {
            return Some((qty, self.cost()));
        }
        Some((prices.value(asset, at)?.checked_mul(qty)?, self.cost()))
    }

    /// A lot in its place: the average method's single pool, HIFO's place by unit cost
    /// (then time), the others' by time (normally at the back).
    fn put(&mut self, lot: Lot, method: Method) {
        self.qty += lot.qty;
        self.cost += lot.cost;
        if let (Method::Average, Some(pool)) = (method, self.lots.front_mut()) {
            pool.qty += lot.qty;
            pool.cost += lot.cost;
            return;
        }
        let at = match method {
            Method::Hifo => {
                let unit = |l: &Lot| l.cost / l.qty;
                let u = unit(&lot);
                self.lots
                    .partition_point(|l| unit(l) > u || (unit(l) == u && l.time <= lot.time))
            }
            _ if self.lots.back().is_none_or(|l| l.time <= lot.time) => self.lots.len(),
            _ => self.lots.partition_point(|l| l.time <= lot.time),
        };
        self.lots.insert(at, lot);
    }

    /// Takes `qty` (at most what is held) from the method's end: whole lots with all their
    /// cost, a split one with its part rounded (the only division), so the costs taken always
    /// add up to what was paid.
    fn take_lots(&mut self, qty: Decimal, method: Method) -> Vec<Lot> {
        let mut left = qty;
        let mut taken = Vec::new();
        while !left.is_zero() {
            let lot = match method {
                Method::Lifo => self.lots.back_mut(),
                _ => self.lots.front_mut(),
            };
            let Some(lot) = lot else { break };
            if lot.qty <= left {
                left -= lot.qty;
                let whole = match method {
                    Method::Lifo => self.lots.pop_back(),
                    _ => self.lots.pop_front(),
                };
                taken.extend(whole);
            } else {
                let part = (lot.cost * left / lot.qty).round_dp(COST_DP);
                lot.qty -= left;
                lot.cost -= part;
                taken.push(Lot {
                    time: lot.time,
                    qty: left,
                    cost: part,
                });
                left = Decimal::ZERO;
            }
        }
        for l in &taken {
            self.qty -= l.qty;
            self.cost -= l.cost;
        }
        taken
    }
}

/// Why the ledger cannot be replayed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LotError {
    #[error("{row}: sells {qty} {asset} but holds {held}")]
    Oversold {
        row: String,
        asset: String,
        qty: Decimal,
        held: Decimal,
    },
    #[error(
        "{row}: no stored price of {asset} at {time} (run `cryptoviz backfill` for a market of {asset})"
    )]
    NoPrice {
        row: String,
        asset: String,
        time: String,
    },
    #[error("{row}: a value out of range")]
    Overflow { row: String },
}

/// Withdrawn lots waiting for their deposit.
#[derive(Clone)]
struct Transit {
    time: Millis,
    lots: Vec<Lot>,
}

#[derive(Clone)]
pub struct Book {
    method: Method,
    pub holdings: BTreeMap<String, Holding>,
    transit: BTreeMap<String, Vec<Transit>>,
}

/// A row's name in messages: its venue and id, else its time and kind.
fn row_name(e: &Entry) -> String {
    match &e.id {
        Some(id) => format!("{} row {id}", e.venue),
        None => format!(
            "{} {} {} at {}",
            e.venue,
            e.kind.as_str(),
            e.asset,
            crate::domain::rfc3339(e.time)
        ),
    }
}

/// The order rows are replayed in: by time; at one time what comes in before what goes out,
/// then by identity, so a ledger's result does not depend on its files' row order.
pub fn replay_order(entries: &mut [Entry]) {
    let rank = |k: EntryKind| match k {
        EntryKind::Deposit | EntryKind::Reward => 0,
        EntryKind::Buy => 1,
        EntryKind::Funding => 2,
        EntryKind::Sell => 3,
        EntryKind::Fee | EntryKind::Withdraw => 4,
    };
    // Identities are built only for rows that tie on time and kind.
    entries.sort_by(|a, b| {
        (a.time, rank(a.kind))
            .cmp(&(b.time, rank(b.kind)))
            .then_with(|| a.identity().cmp(&b.identity()))
    });
}

impl Book {
    pub fn new(method: Method) -> Book {
        Book {
            method,
            holdings: BTreeMap::new(),
            transit: BTreeMap::new(),
        }
    }

    pub fn method(&self) -> Method {
        self.method
    }

    /// Replays `entries` in [`replay_order`].
    pub fn replay(
        method: Method,
        mut entries: Vec<Entry>,
        prices: &mut dyn Prices,
    ) -> Result<Book, LotError> {
        replay_order(&mut entries);
        let mut book = Book::new(method);
        for e in &entries {
            book.apply(e, prices)?;
        }
        Ok(book)
    }

    fn holding(&mut self, asset: &str, prices: &dyn Prices) -> &mut Holding {
        // Looked up before inserting: no allocation for an asset already held.
        if !self.holdings.contains_key(asset) {
            let h = Holding {
                cash: prices.is_cash(asset).then_some(Decimal::ZERO),
                ..Holding::default()
            };
            self.holdings.insert(asset.to_string(), h);
        }
        self.holdings.get_mut(asset).expect("inserted above")
    }

    /// One row.
    pub fn apply(&mut self, e: &Entry, prices: &mut dyn Prices) -> Result<(), LotError> {
        let row = || row_name(e);
        let overflow = || LotError::Overflow { row: row_name(e) };
        let value_of = |asset: &str, prices: &mut dyn Prices| -> Result<Decimal, LotError> {
            if prices.is_cash(asset) {
                return Ok(Decimal::ONE);
            }
            prices
                .value(asset, e.time)
                .ok_or_else(|| LotError::NoPrice {
                    row: row_name(e),
                    asset: asset.to_string(),
                    time: crate::domain::rfc3339(e.time),
                })
        };
        let mul = |a: Decimal, b: Decimal| a.checked_mul(b).ok_or_else(overflow);
        let perp = e.perp();
        match e.kind {
            EntryKind::Buy | EntryKind::Sell if perp.is_some() => {
                let quote = e.quote.as_deref().unwrap_or_default();
                let qv = value_of(quote, prices)?;
                let fee = match &e.fee {
                    Some((fq, fa)) if !fq.is_zero() => {
                        let unit = if fa == quote {
                            qv
                        } else {
                            value_of(fa, prices)?
                        };
                        Some((*fq, fa.as_str(), unit))
                    }
                    _ => None,
                };
                let signed = if e.kind == EntryKind::Buy {
                    e.qty
                } else {
                    -e.qty
                };
                let pnl = self.perp_fill(e, signed, quote).ok_or_else(overflow)?;
                // Realised P&L settles into the quote's balance, as on the venue.
                if pnl > Decimal::ZERO {
                    self.acquire(quote, pnl, mul(pnl, qv)?, e.time, prices);
                } else if pnl < Decimal::ZERO {
                    self.dispose(quote, -pnl, qv, e.time, &row, prices)?;
                }
                let mut realized = mul(pnl, qv)?;
                let mut fees = Decimal::ZERO;
                if let Some((fq, fa, unit)) = fee {
                    self.dispose(fa, fq, unit, e.time, &row, prices)?;
                    fees = mul(fq, unit)?;
                    realized -= fees;
                }
                let h = self.holding(&e.asset, prices);
                h.realized += realized;
                h.fees += fees;
            }
            EntryKind::Buy | EntryKind::Sell => {
                let quote = e.quote.as_deref().unwrap_or_default();
                let price = e.price.unwrap_or_default();
                let gross = mul(e.qty, price)?;
                let qv = value_of(quote, prices)?;
                let gross_value = mul(gross, qv)?;
                // The fee: its amount, asset and value in the currency.
                let fee = match &e.fee {
                    Some((fq, fa)) if !fq.is_zero() => {
                        let unit = if *fa == e.asset {
                            mul(price, qv)?
                        } else {
                            value_of(fa, prices)?
                        };
                        Some((*fq, fa.as_str(), mul(*fq, unit)?))
                    }
                    _ => None,
                };
                let fee_value = fee.map(|f| f.2).unwrap_or_default();
                if e.kind == EntryKind::Buy {
                    self.dispose(quote, gross, qv, e.time, &row, prices)?;
                    let mut qty = e.qty;
                    let mut cost = gross_value;
                    match fee {
                        Some((fq, fa, _)) if fa == e.asset => qty -= fq,
                        Some((fq, fa, fv)) => {
                            let unit = if fa == quote {
                                qv
                            } else {
                                value_of(fa, prices)?
                            };
                            self.dispose(fa, fq, unit, e.time, &row, prices)?;
                            cost += fv;
                        }
                        None => {}
                    }
                    self.acquire(&e.asset, qty, cost, e.time, prices);
                } else {
                    let unit = mul(price, qv)?;
                    let mut sold = e.qty;
                    if let Some((fq, fa, _)) = fee
                        && fa == e.asset
                    {
                        sold += fq;
                    }
                    self.dispose(&e.asset, sold, unit, e.time, &row, prices)?;
                    let mut received = gross;
                    match fee {
                        Some((fq, fa, _)) if fa == quote => received -= fq,
                        Some((fq, fa, _)) if fa != e.asset => {
                            let unit = value_of(fa, prices)?;
                            self.dispose(fa, fq, unit, e.time, &row, prices)?;
                        }
                        _ => {}
                    }
                    self.holding(&e.asset, prices).realized -= fee_value;
                    let received_value = mul(received, qv)?;
                    self.acquire(quote, received, received_value, e.time, prices);
                }
                self.holding(&e.asset, prices).fees += fee_value;
            }
            EntryKind::Deposit | EntryKind::Reward => {
                if e.kind == EntryKind::Deposit && self.arrive(e) {
                    return Ok(());
                }
                let unit = match e.price {
                    Some(p) => p,
                    None => value_of(&e.asset, prices)?,
                };
                let cost = mul(e.qty, unit)?;
                self.acquire(&e.asset, e.qty, cost, e.time, prices);
            }
            EntryKind::Withdraw => {
                let lots = self.take(&e.asset, e.qty, &row, prices)?;
                if !lots.is_empty() {
                    self.transit
                        .entry(e.asset.clone())
                        .or_default()
                        .push(Transit { time: e.time, lots });
                }
            }
            EntryKind::Fee => {
                let unit = value_of(&e.asset, prices)?;
                self.dispose(&e.asset, e.qty, unit, e.time, &row, prices)?;
                let value = mul(e.qty, unit)?;
                let h = self.holding(&e.asset, prices);
                h.fees += value;
                h.realized -= value;
            }
            EntryKind::Funding => {
                // A perp's payment moves its settle asset and counts on its position.
                let asset = match perp {
                    Some(m) => super::import::split_market(m.as_str())
                        .map(|(_, q)| q)
                        .unwrap_or_default(),
                    None => e.asset.clone(),
                };
                let unit = value_of(&asset, prices)?;
                let value = mul(e.qty, unit)?;
                if e.qty >= Decimal::ZERO {
                    self.acquire(&asset, e.qty, value, e.time, prices);
                } else {
                    // The coins paid out realise their gain since bought; the payment itself
                    // is funding, not a loss on the coin.
                    self.dispose(&asset, -e.qty, unit, e.time, &row, prices)?;
                }
                let h = self.holding(&e.asset, prices);
                if perp.is_some() {
                    h.settle.get_or_insert(asset);
                }
                h.funding += value;
            }
        }
        Ok(())
    }

    /// A perp fill of `signed` coins (a sell below zero) at the row's price: it first closes
    /// what is open the other way, at the average entry, and opens the rest. Returns the
    /// realised P&L in the quote (`None`: out of range).
    fn perp_fill(&mut self, e: &Entry, signed: Decimal, quote: &str) -> Option<Decimal> {
        let price = e.price.unwrap_or_default();
        let h = self.holdings.entry(e.asset.clone()).or_default();
        h.settle.get_or_insert_with(|| quote.to_string());
        let mut pnl = Decimal::ZERO;
        let mut left = signed;
        if !h.qty.is_zero() && h.qty.is_sign_negative() != signed.is_sign_negative() {
            let closed = signed.abs().min(h.qty.abs());
            // The entry value of what closes: all of it when the position closes whole (so
            // entries always add up), else its share, rounded like a split lot.
            let entry = if closed == h.qty.abs() {
                h.cost
            } else {
                (h.cost.checked_mul(closed)? / h.qty.abs()).round_dp(COST_DP)
            };
            let exit = price.checked_mul(closed)?;
            // A long sells at `exit` what cost `entry`; a short (entry below zero) buys back.
            pnl = if h.qty > Decimal::ZERO {
                exit - entry
            } else {
                -entry - exit
            };
            let direction = if h.qty > Decimal::ZERO {
                Decimal::ONE
            } else {
                Decimal::NEGATIVE_ONE
            };
            h.qty -= closed * direction;
            h.cost -= entry;
            left += closed * direction;
        }
        if !left.is_zero() {
            h.qty += left;
            h.cost += price.checked_mul(left)?;
        }
        Some(pnl)
    }

    fn acquire(&mut self, asset: &str, qty: Decimal, cost: Decimal, time: Millis, p: &dyn Prices) {
        let method = self.method;
        let h = self.holding(asset, p);
        if let Some(c) = &mut h.cash {
            *c += qty;
            return;
        }
        if qty.is_zero() && cost.is_zero() {
            return;
        }
        h.put(Lot { time, qty, cost }, method);
    }

    /// Closes `qty` of `asset` at `unit` (its value now in the currency): the gain is
    /// realised. Cash only moves.
    fn dispose(
        &mut self,
        asset: &str,
        qty: Decimal,
        unit: Decimal,
        _time: Millis,
        row: &dyn Fn() -> String,
        p: &dyn Prices,
    ) -> Result<(), LotError> {
        let closed = self.take(asset, qty, row, p)?;
        let cost: Decimal = closed.iter().map(|l| l.cost).sum();
        let proceeds = qty
            .checked_mul(unit)
            .ok_or_else(|| LotError::Overflow { row: row() })?;
        let h = self.holding(asset, p);
        if h.cash.is_none() {
            h.realized += proceeds - cost;
        }
        Ok(())
    }

    /// Takes `qty` of `asset` out of its lots in the method's order (cash: off the balance),
    /// and returns the lots taken (a partial one split, its cost pro rata; a whole one with all
    /// its cost, so the costs taken always add up to what was paid).
    fn take(
        &mut self,
        asset: &str,
        qty: Decimal,
        row: &dyn Fn() -> String,
        p: &dyn Prices,
    ) -> Result<Vec<Lot>, LotError> {
        let method = self.method;
        let h = self.holding(asset, p);
        if let Some(c) = &mut h.cash {
            *c -= qty;
            return Ok(Vec::new());
        }
        let held = h.qty();
        if qty > held {
            return Err(LotError::Oversold {
                row: row(),
                asset: asset.to_string(),
                qty,
                held,
            });
        }
        Ok(h.take_lots(qty, method))
    }

    /// A deposit that ends a withdrawal of the same asset within [`TRANSFER_WINDOW`], of at
    /// most the quantity withdrawn (the rest was the network's fee): the withdrawn lots come
    /// back, their whole cost on what arrived.
    fn arrive(&mut self, e: &Entry) -> bool {
        let Some(waiting) = self.transit.get_mut(&e.asset) else {
            return false;
        };
        let Some(i) = waiting.iter().position(|t| {
            let sent: Decimal = t.lots.iter().map(|l| l.qty).sum();
            e.time >= t.time && e.time - t.time <= TRANSFER_WINDOW && e.qty <= sent
        }) else {
            return false;
        };
        let t = waiting.remove(i);
        let sent: Decimal = t.lots.iter().map(|l| l.qty).sum();
        let method = self.method;
        let h = self.holdings.entry(e.asset.clone()).or_default();
        for mut lot in t.lots {
            // Each lot keeps its share of what arrived and all of its cost.
            lot.qty = (lot.qty * e.qty / sent).round_dp(QTY_DP);
            h.put(lot, method);
        }
        true
    }
}
