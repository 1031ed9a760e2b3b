//! PostgreSQL: Sizes, tiering and retention, the jobs that run once, the health check.

use super::*;

impl Maintenance for PostgresBackend {
    fn stats(&mut self) -> Result<StoreStats, StoreError> {
        let r = self.conn()?.query_one(
            "SELECT pg_database_size(current_database()), \
             (SELECT count(*) FROM candles), \
             (SELECT coalesce(sum(count), 0)::bigint FROM candles_cold), \
             pg_total_relation_size('candles'), pg_total_relation_size('candles_cold'), \
             (SELECT count(*) FROM series), (SELECT count(*) FROM news)",
            &[],
        )?;
        let n = |i: usize| r.get::<_, i64>(i).max(0) as u64;
        Ok(StoreStats {
            file_bytes: n(0),
            candles: n(1) + n(2),
            hot_candles: n(1),
            cold_candles: n(2),
            hot_bytes: Some(n(3)),
            cold_bytes: Some(n(4)),
            series: n(5),
            news: n(6),
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
            let mut tx = self.conn()?.transaction()?;
            let cold: i64 = tx
                .query_one(
                    "WITH gone AS (DELETE FROM candles_cold WHERE series_id = $1 AND last_open < $2 \
                     RETURNING count) SELECT coalesce(sum(count), 0)::bigint FROM gone",
                    &[&id, &cut],
                )?
                .get(0);
            let hot = tx.execute(
                "DELETE FROM candles WHERE series_id = $1 AND open_time < $2",
                &[&id, &cut],
            )?;
            tx.commit()?;
            let deleted = cold.max(0) as u64 + hot;
            if deleted > 0 {
                return Ok(TierStep {
                    moved: 0,
                    deleted,
                    more: true,
                });
            }
        }
        let mut tx = self.conn()?.transaction()?;
        let oldest: Option<Millis> = tx
            .query_one(
                "SELECT min(open_time) FROM candles WHERE series_id = $1 AND open_time < $2",
                &[&id, &hot_before],
            )?
            .get(0);
        let Some(oldest) = oldest else {
            return Ok(TierStep::default());
        };
        let (start, end) = cold::pack_range(tf, oldest, hot_before);
        // The packed rows leave the hot table in the statement that reads them, so a
        // candle written meanwhile by another collector is either packed or still hot.
        let mut hot = tx
            .query(
                &format!(
                    "DELETE FROM candles WHERE series_id = $1 AND open_time >= $2 AND open_time < $3 \
                     RETURNING {CANDLE_COLS}"
                ),
                &[&id, &start, &end],
            )?
            .iter()
            .map(row_candle)
            .collect::<Result<Vec<_>, _>>()?;
        hot.sort_by_key(|c| c.open_time);
        let stored = tx.query_opt(
            "SELECT first_open, data FROM candles_cold WHERE series_id = $1 AND chunk_start = $2 \
             FOR UPDATE",
            &[&id, &start],
        )?;
        let stored = stored.as_ref().map(|r| (r.get(0), r.get::<_, &[u8]>(1)));
        let Some(p) = cold::repack(tf, stored, hot)? else {
            return Ok(TierStep::default());
        };
        tx.execute(
            "INSERT INTO candles_cold (series_id, chunk_start, first_open, last_open, count, data) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (series_id, chunk_start) DO UPDATE SET \
             first_open = excluded.first_open, last_open = excluded.last_open, \
             count = excluded.count, data = excluded.data",
            &[&id, &start, &p.first_open, &p.last_open, &p.count, &p.data],
        )?;
        let moved = p.moved;
        tx.commit()?;
        Ok(TierStep {
            moved,
            deleted: 0,
            more: true,
        })
    }

    /// A session advisory lock per job: the server frees it when the holder's connection
    /// ends, so a collector killed with `kill -9` hands its jobs over within moments (its
    /// socket closes with it) and a survivor takes them at its next try.
    fn lease(&mut self, job: &str) -> Result<bool, StoreError> {
        if self.leases.contains(job) {
            // Held while the session lives; a query proves it does.
            self.conn()?.batch_execute("SELECT 1")?;
            if self.leases.contains(job) {
                return Ok(true);
            }
        }
        let got: bool = self
            .conn()?
            .query_one(
                "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
                &[&format!("cryptoviz:{job}")],
            )?
            .get(0);
        if got {
            tracing::info!(job, "this process now runs the job for the shared store");
            self.leases.insert(job.to_string());
        }
        Ok(got)
    }

    fn clear(&mut self) -> Result<(), StoreError> {
        self.conn()?.batch_execute(
            "BEGIN; DELETE FROM candles; DELETE FROM candles_cold; DELETE FROM news; \
             DELETE FROM feed_state; DELETE FROM backfill_progress; DELETE FROM alert_deliveries; \
             DELETE FROM alert_firings; DELETE FROM alert_state; DELETE FROM alert_rules; \
             DELETE FROM instruments; DELETE FROM instrument_lists; DELETE FROM watchlist; \
             DELETE FROM deriv_samples; DELETE FROM funding; DELETE FROM liquidations; DELETE FROM ledger; DELETE FROM portfolio_snapshots; COMMIT;",
        )?;
        Ok(())
    }

    /// The server keeps its own pages consistent; what can go wrong above it is a cold chunk
    /// that no longer decodes or disagrees with its row, so those are checked.
    fn integrity_check(&mut self) -> Result<Vec<String>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT s.timeframe, c.series_id, c.chunk_start, c.first_open, c.count, c.data \
             FROM candles_cold c JOIN series s ON s.id = c.series_id",
            &[],
        )?;
        let mut problems = Vec::new();
        for r in rows {
            let Ok(tf) = Timeframe::parse(r.get(0)) else {
                continue;
            };
            let (series, start): (i64, i64) = (r.get(1), r.get(2));
            let mut out = Vec::new();
            match cold::decode_chunk(tf, r.get(3), r.get(5), &mut out) {
                Err(e) => problems.push(format!("series {series} chunk {start}: {e}")),
                Ok(()) if out.len() as i64 != r.get::<_, i64>(4) => problems.push(format!(
                    "series {series} chunk {start}: {} candles, the row says {}",
                    out.len(),
                    r.get::<_, i64>(4)
                )),
                Ok(()) => {}
            }
        }
        Ok(problems)
    }
}
