//! SQLite: the user's ledger.

use super::*;
use crate::domain::Entry;
use crate::store::ledger::{LedgerRow, LedgerStore, LedgerWrite};

impl LedgerStore for SqliteBackend {
    fn put_ledger(&mut self, entries: &[Entry]) -> Result<LedgerWrite, StoreError> {
        let tx = self.conn.transaction()?;
        let mut added = 0;
        {
            let mut held = tx.prepare_cached("SELECT content FROM ledger WHERE identity = ?1")?;
            let mut put = tx.prepare_cached(
                "INSERT INTO ledger (identity, time, venue, account, kind, asset, quote, qty, \
                 price, fee, fee_asset, id, content) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?;
            for (index, e) in entries.iter().enumerate() {
                let r = LedgerRow::of(e);
                let existing: Option<String> = held
                    .query_row(params![r.identity], |row| row.get(0))
                    .optional()?;
                match existing {
                    Some(c) if c == r.content => continue,
                    // Dropping the transaction rolls every row of this import back.
                    Some(held) => return Ok(LedgerWrite::Conflict { index, held }),
                    None => {}
                }
                put.execute(params![
                    r.identity,
                    r.time,
                    r.venue,
                    r.account,
                    r.kind,
                    r.asset,
                    r.quote,
                    r.qty,
                    r.price,
                    r.fee,
                    r.fee_asset,
                    r.id,
                    r.content
                ])?;
                added += 1;
            }
        }
        tx.commit()?;
        Ok(LedgerWrite::Added(added))
    }

    fn ledger(&mut self) -> Result<Vec<Entry>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT identity, time, venue, account, kind, asset, quote, qty, price, fee, \
             fee_asset, id, content FROM ledger ORDER BY time, identity",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(LedgerRow {
                    identity: r.get(0)?,
                    time: r.get(1)?,
                    venue: r.get(2)?,
                    account: r.get(3)?,
                    kind: r.get(4)?,
                    asset: r.get(5)?,
                    quote: r.get(6)?,
                    qty: r.get(7)?,
                    price: r.get(8)?,
                    fee: r.get(9)?,
                    fee_asset: r.get(10)?,
                    id: r.get(11)?,
                    content: r.get(12)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(LedgerRow::entry).collect()
    }
}
