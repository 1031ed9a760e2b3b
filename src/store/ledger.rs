//! The user's ledger in the store (SPEC §6): the contract both backends keep, and the one
//! conversion between a ledger entry and its text columns.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::StoreError;
use crate::domain::{Entry, EntryKind, Millis};

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerWrite {
    /// This many entries were new (the rest were held already).
    Added(usize),
    /// Nothing was written: the entry at this index has the identity of a held one with other
    /// content (the same id reused for another row).
    Conflict { index: usize, held: String },
}

pub trait LedgerStore {
    /// Adds every entry not held yet, all in one transaction, or none of them when one's
    /// identity is held with other content.
    fn put_ledger(&mut self, entries: &[Entry]) -> Result<LedgerWrite, StoreError>;
    /// Every entry, by time.
    fn ledger(&mut self) -> Result<Vec<Entry>, StoreError>;
    /// Replaces `basis`'s snapshots from `from` on with `rows`, in one transaction.
    fn put_snapshots(
        &mut self,
        basis: &str,
        from: Millis,
        rows: &[SnapshotRow],
    ) -> Result<(), StoreError>;
    /// `basis`'s snapshots with `from <= time <= to`, by time.
    fn stored_snapshots(
        &mut self,
        basis: &str,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<SnapshotRow>, StoreError>;
    /// The time of `basis`'s newest snapshot.
    fn last_snapshot(&mut self, basis: &str) -> Result<Option<Millis>, StoreError>;
}

/// One kept valuation of the portfolio: decimals as text, exact as valued; `unvalued` the
/// assets without a price then, comma-separated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotRow {
    pub time: Millis,
    pub equity: String,
    pub realized: String,
    pub unrealized: String,
    pub unvalued: String,
}

/// An entry's columns as both backends store them.
pub struct LedgerRow {
    pub identity: String,
    pub time: Millis,
    pub venue: String,
    pub account: String,
    pub kind: String,
    pub asset: String,
    pub quote: Option<String>,
    pub qty: String,
    pub price: Option<String>,
    pub fee: Option<String>,
    pub fee_asset: Option<String>,
    pub id: Option<String>,
    pub content: String,
}

impl LedgerRow {
    pub fn of(e: &Entry) -> LedgerRow {
        LedgerRow {
            identity: e.identity(),
            time: e.time,
            venue: e.venue.clone(),
            account: e.account.clone(),
            kind: e.kind.as_str().into(),
            asset: e.asset.clone(),
            quote: e.quote.clone(),
            qty: e.qty.to_string(),
            price: e.price.map(|p| p.to_string()),
            fee: e.fee.as_ref().map(|f| f.0.to_string()),
            fee_asset: e.fee.as_ref().map(|f| f.1.clone()),
            id: e.id.clone(),
            content: e.content(),
        }
    }

    pub fn entry(self) -> Result<Entry, StoreError> {
        let bad = |what: &str, v: &str| {
            StoreError::Query(format!(
                "ledger row {}: {what} {v:?} unreadable",
                self.identity
            ))
        };
        let dec = |v: &str| Decimal::from_str(v).map_err(|_| bad("decimal", v));
        let kind = EntryKind::parse(&self.kind).ok_or_else(|| bad("kind", &self.kind))?;
        let fee = match (&self.fee, &self.fee_asset) {
            (Some(f), Some(a)) => Some((dec(f)?, a.clone())),
            _ => None,
        };
        Ok(Entry {
            time: self.time,
            venue: self.venue.clone(),
            account: self.account.clone(),
            kind,
            asset: self.asset.clone(),
            quote: self.quote.clone(),
            qty: dec(&self.qty)?,
            price: self.price.as_deref().map(dec).transpose()?,
            fee,
            id: self.id.clone(),
        })
    }
}
