//! PostgreSQL: the user's ledger.

use super::*;
use crate::domain::Entry;
use crate::store::ledger::{LedgerRow, LedgerStore, LedgerWrite, SnapshotRow};

impl LedgerStore for PostgresBackend {
    fn put_ledger(&mut self, entries: &[Entry]) -> Result<LedgerWrite, StoreError> {
        let mut tx = self.conn()?.transaction()?;
        let held = tx.prepare("SELECT content FROM ledger WHERE identity = $1")?;
        let put = tx.prepare(
            "INSERT INTO ledger (identity, time, venue, account, kind, asset, quote, qty, \
             price, fee, fee_asset, id, content) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )?;
        let mut added = 0;
        for (index, e) in entries.iter().enumerate() {
            let r = LedgerRow::of(e);
            let existing = tx.query_opt(&held, &[&r.identity])?;
            match existing.map(|row| row.get::<_, String>(0)) {
                Some(c) if c == r.content => continue,
                // Dropping the transaction rolls every row of this import back.
                Some(held) => return Ok(LedgerWrite::Conflict { index, held }),
                None => {}
            }
            tx.execute(
                &put,
                &[
                    &r.identity,
                    &r.time,
                    &r.venue,
                    &r.account,
                    &r.kind,
                    &r.asset,
                    &r.quote,
                    &r.qty,
                    &r.price,
                    &r.fee,
                    &r.fee_asset,
                    &r.id,
                    &r.content,
                ],
            )?;
            added += 1;
        }
        tx.commit()?;
        Ok(LedgerWrite::Added(added))
    }

    fn ledger(&mut self) -> Result<Vec<Entry>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT identity, time, venue, account, kind, asset, quote, qty, price, fee, \
             fee_asset, id, content FROM ledger ORDER BY time, identity",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                LedgerRow {
                    identity: r.get(0),
                    time: r.get(1),
                    venue: r.get(2),
                    account: r.get(3),
                    kind: r.get(4),
                    asset: r.get(5),
                    quote: r.get(6),
                    qty: r.get(7),
                    price: r.get(8),
                    fee: r.get(9),
                    fee_asset: r.get(10),
                    id: r.get(11),
                    content: r.get(12),
                }
                .entry()
            })
            .collect()
    }

    fn put_snapshots(
        &mut self,
        basis: &str,
        from: Millis,
        rows: &[SnapshotRow],
    ) -> Result<(), StoreError> {
        let mut tx = self.conn()?.transaction()?;
        tx.execute(
            "DELETE FROM portfolio_snapshots WHERE basis = $1 AND time >= $2",
            &[&basis, &from],
        )?;
        let put = tx.prepare(
            "INSERT INTO portfolio_snapshots (basis, time, equity, realized, unrealized, unvalued) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (basis, time) DO UPDATE SET \
             equity = excluded.equity, realized = excluded.realized, \
             unrealized = excluded.unrealized, unvalued = excluded.unvalued",
        )?;
        for r in rows {
            tx.execute(
                &put,
                &[
                    &basis,
                    &r.time,
                    &r.equity,
                    &r.realized,
                    &r.unrealized,
                    &r.unvalued,
                ],
            )?;
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
        let rows = self.conn()?.query(
            "SELECT time, equity, realized, unrealized, unvalued FROM portfolio_snapshots \
             WHERE basis = $1 AND time >= $2 AND time <= $3 ORDER BY time",
            &[&basis, &from, &to],
        )?;
        Ok(rows
            .iter()
            .map(|r| SnapshotRow {
                time: r.get(0),
                equity: r.get(1),
                realized: r.get(2),
                unrealized: r.get(3),
                unvalued: r.get(4),
            })
            .collect())
    }

    fn last_snapshot(&mut self, basis: &str) -> Result<Option<Millis>, StoreError> {
        let row = self.conn()?.query_one(
            "SELECT MAX(time) FROM portfolio_snapshots WHERE basis = $1",
            &[&basis],
        )?;
        Ok(row.get(0))
    }
}
