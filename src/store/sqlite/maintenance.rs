//! SQLite: Sizes, tiering and retention, the jobs that run once, the health check.

use super::*;

impl Maintenance for SqliteBackend {
    fn stats(&mut self) -> Result<StoreStats, StoreError> {
        let count = |sql: &str| -> Result<u64, StoreError> {
            Ok(self
                .conn
                .query_row(sql, [], |r| r.get::<_, Option<i64>>(0))?
                .unwrap_or(0) as u64)
        };
        let page_count = count("PRAGMA page_count")?;
        let page_size = count("PRAGMA page_size")?;
        // dbstat is optional in SQLite builds; without it the per-tier sizes are unknown.
        let bytes = |table: &str| -> Option<u64> {
            self.conn
                .query_row(
                    "SELECT sum(pgsize) FROM dbstat WHERE name = ?1",
                    [table],
                    |r| r.get::<_, Option<i64>>(0),
                )
                .ok()
                .flatten()
                .map(|b| b as u64)
        };
        let hot_candles = count("SELECT count(*) FROM candles")?;
        let cold_candles = count("SELECT sum(count) FROM candles_cold")?;
        Ok(StoreStats {
            file_bytes: page_count * page_size,
            candles: hot_candles + cold_candles,
            hot_candles,
            cold_candles,
            hot_bytes: bytes("candles"),
            cold_bytes: bytes("candles_cold"),
            series: count("SELECT count(*) FROM series")?,
            news: count("SELECT count(*) FROM news")?,
        })
    }

    fn tier_step(
        &mut self,
        key: SeriesKey,
        hot_before: Millis,
        delete_before: Option<Millis>,
    ) -> Result<TierStep, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(TierStep::default());
        };
        let tf = key.timeframe;
        if let Some(cut) = delete_before {
            let tx = self.conn.transaction()?;
            let cold: i64 = tx.query_row(
                "SELECT coalesce(sum(count), 0) FROM candles_cold WHERE series_id = ?1 AND last_open < ?2",
                params![id, cut],
                |r| r.get(0),
            )?;
            tx.execute(
                "DELETE FROM candles_cold WHERE series_id = ?1 AND last_open < ?2",
                params![id, cut],
            )?;
            let hot = tx.execute(
                "DELETE FROM candles WHERE series_id = ?1 AND open_time < ?2",
                params![id, cut],
            )?;
            tx.commit()?;
            let deleted = cold as u64 + hot as u64;
            if deleted > 0 {
                return Ok(TierStep {
                    moved: 0,
                    deleted,
                    more: true,
                });
            }
        }
        let oldest: Option<Millis> = self.conn.query_row(
            "SELECT min(open_time) FROM candles WHERE series_id = ?1 AND open_time < ?2",
            params![id, hot_before],
            |r| r.get(0),
        )?;
        let Some(oldest) = oldest else {
            return Ok(TierStep::default());
        };
        let (start, end) = cold::pack_range(tf, oldest, hot_before);
        let sql = format!(
            "SELECT {CANDLE_COLS} FROM candles WHERE series_id = ?1 AND open_time >= ?2 AND open_time < ?3 ORDER BY open_time"
        );
        let hot = self.query_candles(&sql, params![id, start, end])?;
        let tx = self.conn.transaction()?;
        let stored: Option<(Millis, Vec<u8>)> = tx
            .query_row(
                "SELECT first_open, data FROM candles_cold WHERE series_id = ?1 AND chunk_start = ?2",
                params![id, start],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let stored = stored
            .as_ref()
            .map(|(first, data)| (*first, data.as_slice()));
        let Some(p) = cold::repack(tf, stored, hot)? else {
            return Ok(TierStep::default());
        };
        tx.execute(
            "INSERT OR REPLACE INTO candles_cold (series_id, chunk_start, first_open, last_open, count, data) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, start, p.first_open, p.last_open, p.count, p.data],
        )?;
        let moved = p.moved;
        tx.execute(
            "DELETE FROM candles WHERE series_id = ?1 AND open_time >= ?2 AND open_time < ?3",
            params![id, start, end],
        )?;
        tx.commit()?;
        Ok(TierStep {
            moved,
            deleted: 0,
            more: true,
        })
    }

    fn clear(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch(
            "DELETE FROM candles; DELETE FROM candles_cold; DELETE FROM news; DELETE FROM feed_state; \
             DELETE FROM backfill_progress; \
             DELETE FROM alert_deliveries; DELETE FROM alert_firings; DELETE FROM alert_state; \
             DELETE FROM alert_rules; DELETE FROM instruments; DELETE FROM instrument_lists; \
             DELETE FROM watchlist; DELETE FROM deriv_samples; DELETE FROM funding; \
             DELETE FROM liquidations; DELETE FROM ledger; DELETE FROM portfolio_snapshots;",
        )?;
        Ok(())
    }

    fn integrity_check(&mut self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows.into_iter().filter(|m| m != "ok").collect())
    }
}
