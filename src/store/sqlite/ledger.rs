//! SQLite: the user's ledger.

use super::*;
use crate::domain::Entry;
use crate::store::ledger::{LedgerRow, LedgerStore, LedgerWrite, SnapshotRow};

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

    fn put_snapshots(
        &mut self,
        basis: &str,
        from: Millis,
        rows: &[SnapshotRow],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM portfolio_snapshots WHERE basis = ?1 AND time >= ?2",
            params![basis, from],
        )?;
        {
            let mut put = tx.prepare_cached(
                "INSERT OR REPLACE INTO portfolio_snapshots \
                 (basis, time, equity, realized, unrealized, unvalued) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for r in rows {
                put.execute(params![
                    basis,
                    r.time,
                    r.equity,
                    r.realized,
                    r.unrealized,
                    r.unvalued
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn stored_snapshots(
        &mut self,
        basis: &str,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<SnapshotRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT time, equity, realized, unrealized, unvalued FROM portfolio_snapshots \
             WHERE basis = ?1 AND time >= ?2 AND time <= ?3 ORDER BY time",
        )?;
        let rows = stmt
            .query_map(params![basis, from, to], |r| {
                Ok(SnapshotRow {
                    time: r.get(0)?,
                    equity: r.get(1)?,
                    realized: r.get(2)?,
                    unrealized: r.get(3)?,
                    unvalued: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn last_snapshot(&mut self, basis: &str) -> Result<Option<Millis>, StoreError> {
        Ok(self.conn.query_row(
            "SELECT MAX(time) FROM portfolio_snapshots WHERE basis = ?1",
            params![basis],
            |r| r.get(0),
        )?)
    }
}
