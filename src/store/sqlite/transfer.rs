//! SQLite: Whole-store reads and writes for `migrate`.

use super::*;

impl Transfer for SqliteBackend {
    fn hot_candles(&mut self, key: SeriesKey) -> Result<Vec<(Candle, CandleSource)>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {CANDLE_COLS}, source FROM candles WHERE series_id = ?1 ORDER BY open_time"
        ))?;
        let rows = stmt.query_map([id], |r| Ok((row_candle(r)?, r.get::<_, String>(11)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (candle, source) = row?;
            out.push((
                candle?,
                CandleSource::parse(&source).unwrap_or(CandleSource::Import),
            ));
        }
        Ok(out)
    }

    fn cold_chunks(&mut self, key: SeriesKey) -> Result<Vec<ColdChunk>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT chunk_start, first_open, last_open, count, data FROM candles_cold \
             WHERE series_id = ?1 ORDER BY chunk_start",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(ColdChunk {
                chunk_start: r.get(0)?,
                first_open: r.get(1)?,
                last_open: r.get(2)?,
                count: r.get::<_, i64>(3)?.max(0) as u64,
                data: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn cold_chunk_starts(&mut self, key: SeriesKey) -> Result<Vec<Millis>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT chunk_start FROM candles_cold WHERE series_id = ?1 ORDER BY chunk_start",
        )?;
        let rows = stmt.query_map([id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn put_cold_chunks(
        &mut self,
        key: SeriesKey,
        chunks: &[ColdChunk],
    ) -> Result<usize, StoreError> {
        let id = self.series_id(key)?;
        let tx = self.conn.transaction()?;
        let mut n = 0;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR IGNORE INTO candles_cold (series_id, chunk_start, first_open, last_open, count, data) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for c in chunks {
                n += stmt.execute(params![
                    id,
                    c.chunk_start,
                    c.first_open,
                    c.last_open,
                    c.count as i64,
                    c.data
                ])?;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    fn all_progress(&mut self) -> Result<Vec<SeriesProgress>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT symbol, timeframe, range_start, range_end, position, status, error \
             FROM backfill_progress ORDER BY symbol, timeframe, range_start",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                (r.get(2)?, r.get(3)?, r.get(4)?),
                r.get::<_, String>(5)?,
                r.get(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (sym, tf, (range_start, range_end, position), status, error) = row?;
            if let (Ok(symbol), Ok(timeframe)) = (Symbol::new(&sym), Timeframe::parse(&tf)) {
                out.push(SeriesProgress {
                    key: SeriesKey { symbol, timeframe },
                    range_start,
                    range_end,
                    position,
                    status: ProgressStatus::parse(&status),
                    error,
                });
            }
        }
        Ok(out)
    }

    fn feed_states(&mut self) -> Result<Vec<(String, FeedState)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT url, etag, last_modified FROM feed_state ORDER BY url")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                FeedState {
                    etag: r.get(1)?,
                    last_modified: r.get(2)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn deliveries(&mut self) -> Result<Vec<DeliveryRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT firing_id, channel, delivered_at, attempts, last_error FROM alert_deliveries \
             ORDER BY firing_id, channel",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(DeliveryRecord {
                firing_id: r.get(0)?,
                channel: r.get(1)?,
                delivered_at: r.get(2)?,
                attempts: r.get::<_, i64>(3)?.clamp(0, u32::MAX as i64) as u32,
                last_error: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn put_firing(
        &mut self,
        f: &Firing,
        deliveries: &[DeliveryRecord],
    ) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let new = insert_firing(&tx, f)?;
        if new {
            for d in deliveries.iter().filter(|d| d.firing_id == f.id) {
                tx.execute(
                    "INSERT OR IGNORE INTO alert_deliveries (firing_id, channel, delivered_at, attempts, last_error) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![d.firing_id, d.channel, d.delivered_at, d.attempts as i64, d.last_error],
                )?;
            }
        }
        tx.commit()?;
        Ok(new)
    }
}
