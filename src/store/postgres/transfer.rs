//! PostgreSQL: Whole-store reads and writes for `migrate`.

use super::*;

impl Transfer for PostgresBackend {
    fn hot_candles(&mut self, key: SeriesKey) -> Result<Vec<(Candle, CandleSource)>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(Vec::new());
        };
        let rows = self.conn()?.query(
            &format!(
                "SELECT {CANDLE_COLS}, source FROM candles WHERE series_id = $1 ORDER BY open_time"
            ),
            &[&id],
        )?;
        rows.iter()
            .map(|r| {
                let source = CandleSource::parse(r.get(11)).unwrap_or(CandleSource::Import);
                Ok((row_candle(r)?, source))
            })
            .collect()
    }

    fn cold_chunks(&mut self, key: SeriesKey) -> Result<Vec<ColdChunk>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(Vec::new());
        };
        let rows = self.conn()?.query(
            "SELECT chunk_start, first_open, last_open, count, data FROM candles_cold \
             WHERE series_id = $1 ORDER BY chunk_start",
            &[&id],
        )?;
        Ok(rows
            .iter()
            .map(|r| ColdChunk {
                chunk_start: r.get(0),
                first_open: r.get(1),
                last_open: r.get(2),
                count: r.get::<_, i64>(3).max(0) as u64,
                data: r.get(4),
            })
            .collect())
    }

    fn cold_chunk_starts(&mut self, key: SeriesKey) -> Result<Vec<Millis>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(Vec::new());
        };
        let rows = self.conn()?.query(
            "SELECT chunk_start FROM candles_cold WHERE series_id = $1 ORDER BY chunk_start",
            &[&id],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn put_cold_chunks(
        &mut self,
        key: SeriesKey,
        chunks: &[ColdChunk],
    ) -> Result<usize, StoreError> {
        let id = self.series_id(key)?;
        let mut tx = self.conn()?.transaction()?;
        let stmt = tx.prepare(
            "INSERT INTO candles_cold (series_id, chunk_start, first_open, last_open, count, data) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )?;
        let mut n = 0;
        for c in chunks {
            n += tx.execute(
                &stmt,
                &[
                    &id,
                    &c.chunk_start,
                    &c.first_open,
                    &c.last_open,
                    &(c.count as i64),
                    &c.data,
                ],
            )?;
        }
        tx.commit()?;
        Ok(n as usize)
    }

    fn all_progress(&mut self) -> Result<Vec<SeriesProgress>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT symbol, timeframe, range_start, range_end, position, status, error \
             FROM backfill_progress ORDER BY symbol, timeframe, range_start",
            &[],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let symbol = Symbol::new(r.get(0)).ok()?;
                let timeframe = Timeframe::parse(r.get(1)).ok()?;
                Some(SeriesProgress {
                    key: SeriesKey { symbol, timeframe },
                    range_start: r.get(2),
                    range_end: r.get(3),
                    position: r.get(4),
                    status: ProgressStatus::parse(r.get(5)),
                    error: r.get(6),
                })
            })
            .collect())
    }

    fn feed_states(&mut self) -> Result<Vec<(String, FeedState)>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT url, etag, last_modified FROM feed_state ORDER BY url",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    FeedState {
                        etag: r.get(1),
                        last_modified: r.get(2),
                    },
                )
            })
            .collect())
    }

    fn deliveries(&mut self) -> Result<Vec<DeliveryRecord>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT firing_id, channel, delivered_at, attempts, last_error FROM alert_deliveries \
             ORDER BY firing_id, channel",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| DeliveryRecord {
                firing_id: r.get(0),
                channel: r.get(1),
                delivered_at: r.get(2),
                attempts: r.get::<_, i64>(3).clamp(0, u32::MAX as i64) as u32,
                last_error: r.get(4),
            })
            .collect())
    }

    fn put_firing(
        &mut self,
        f: &Firing,
        deliveries: &[DeliveryRecord],
    ) -> Result<bool, StoreError> {
        let mut tx = self.conn()?.transaction()?;
        let new = insert_firing(&mut tx, f)?;
        if new {
            for d in deliveries.iter().filter(|d| d.firing_id == f.id) {
                tx.execute(
                    "INSERT INTO alert_deliveries (firing_id, channel, delivered_at, attempts, last_error) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    &[
                        &d.firing_id,
                        &d.channel,
                        &d.delivered_at,
                        &(d.attempts as i64),
                        &d.last_error,
                    ],
                )?;
            }
        }
        tx.commit()?;
        Ok(new)
    }
}
