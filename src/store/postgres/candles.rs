//! PostgreSQL: Candles and backfill progress: upserts under the guards, reads across both tiers.

use super::*;

impl CandleStore for PostgresBackend {
    fn upsert_candles(
        &mut self,
        rows: &[(SeriesKey, Candle)],
        source: CandleSource,
    ) -> Result<(), StoreError> {
        self.write_rows(rows.iter().map(|(k, c)| (*k, c)), source, LIVE_GUARD, None)
            .map(|_| ())
    }

    fn write_klines(
        &mut self,
        key: SeriesKey,
        candles: &[Candle],
        source: CandleSource,
        progress: Option<&SeriesProgress>,
    ) -> Result<usize, StoreError> {
        self.write_rows(
            candles.iter().map(|c| (key, c)),
            source,
            KLINE_GUARD,
            progress,
        )
    }

    fn candles(
        &mut self,
        key: SeriesKey,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Candle>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(Vec::new());
        };
        let cold = self.cold_between(id, key.timeframe, from, to)?;
        let sql = format!(
            "SELECT {CANDLE_COLS} FROM candles WHERE series_id = $1 AND open_time BETWEEN $2 AND $3 ORDER BY open_time"
        );
        let hot = self.query_candles(&sql, &[&id, &from, &to])?;
        Ok(cold::merge(cold, hot))
    }

    fn last_live_write(&mut self, key: SeriesKey) -> Result<Option<Millis>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(None);
        };
        let row = self.conn()?.query_one(
            "SELECT max(updated_at) FROM (SELECT updated_at, source FROM candles \
             WHERE series_id = $1 ORDER BY open_time DESC LIMIT 3) newest \
             WHERE source IN ('live', 'demo')",
            &[&id],
        )?;
        Ok(row.get(0))
    }

    fn candles_before(
        &mut self,
        key: SeriesKey,
        before: Millis,
        n: usize,
    ) -> Result<Vec<Candle>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT {CANDLE_COLS} FROM candles WHERE series_id = $1 AND open_time <= $2 ORDER BY open_time DESC LIMIT $3"
        );
        let mut hot = self.query_candles(&sql, &[&id, &before, &(n as i64)])?;
        hot.reverse();
        // Cold chunks newest first, a few per round trip, until the newest `n` are known (a
        // year of 1m history is hundreds of chunks; the chart wants the last few).
        let mut batch: std::collections::VecDeque<(Millis, Vec<u8>)> = Default::default();
        let mut below = Millis::MAX;
        let mut done = false;
        let conn = self.conn()?;
        cold::newest(key.timeframe, hot, before, n, || {
            if batch.is_empty() && !done {
                let rows = conn.query(
                    "SELECT chunk_start, first_open, data FROM candles_cold WHERE series_id = $1 \
                     AND first_open <= $2 AND chunk_start < $3 ORDER BY chunk_start DESC LIMIT 4",
                    &[&id, &before, &below],
                )?;
                done = rows.len() < 4;
                for r in &rows {
                    below = r.get(0);
                    batch.push_back((r.get(1), r.get(2)));
                }
            }
            Ok(batch.pop_front())
        })
    }

    fn open_times(
        &mut self,
        key: SeriesKey,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Millis>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(Vec::new());
        };
        let mut times: Vec<Millis> = self
            .cold_between(id, key.timeframe, from, to)?
            .iter()
            .map(|c| c.open_time)
            .collect();
        let hot = self.conn()?.query(
            "SELECT open_time FROM candles WHERE series_id = $1 AND open_time BETWEEN $2 AND $3 ORDER BY open_time",
            &[&id, &from, &to],
        )?;
        times.extend(hot.iter().map(|r| r.get::<_, i64>(0)));
        times.sort_unstable();
        times.dedup();
        Ok(times)
    }

    fn series_keys(&mut self) -> Result<Vec<SeriesKey>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT exchange, symbol, timeframe FROM series ORDER BY exchange, symbol, timeframe",
            &[],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| series_key(r.get(0), r.get(1), r.get(2)))
            .collect())
    }
}

impl ProgressStore for PostgresBackend {
    fn progress(&mut self, key: SeriesKey) -> Result<Vec<SeriesProgress>, StoreError> {
        let rows = self.conn()?.query(
            "SELECT range_start, range_end, position, status, error FROM backfill_progress \
             WHERE symbol = $1 AND timeframe = $2 ORDER BY range_start",
            &[&key.symbol.to_string(), &key.timeframe.as_str()],
        )?;
        Ok(rows
            .iter()
            .map(|r| SeriesProgress {
                key,
                range_start: r.get(0),
                range_end: r.get(1),
                position: r.get(2),
                status: ProgressStatus::parse(r.get(3)),
                error: r.get(4),
            })
            .collect())
    }

    fn save_progress(&mut self, p: &SeriesProgress) -> Result<(), StoreError> {
        save_progress(self.conn()?, p)
    }
}
