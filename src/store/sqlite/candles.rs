//! SQLite: Candles and backfill progress: upserts under the guards, reads across both tiers.

use super::*;

impl CandleStore for SqliteBackend {
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
            "SELECT {CANDLE_COLS} FROM candles WHERE series_id = ?1 AND open_time BETWEEN ?2 AND ?3 ORDER BY open_time"
        );
        let hot = self.query_candles(&sql, params![id, from, to])?;
        Ok(cold::merge(cold, hot))
    }

    fn closes(
        &mut self,
        key: SeriesKey,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<(Millis, Price)>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(Vec::new());
        };
        let cold: Vec<(Millis, Price)> = self
            .cold_between(id, key.timeframe, from, to)?
            .iter()
            .map(|c| (c.open_time, c.close))
            .collect();
        let mut stmt = self.conn.prepare_cached(
            "SELECT open_time, close FROM candles WHERE series_id = ?1 \
             AND open_time BETWEEN ?2 AND ?3 ORDER BY open_time",
        )?;
        let hot = stmt
            .query_map(params![id, from, to], |r| {
                Ok((r.get(0)?, Price::from_raw(r.get::<_, i64>(1)? as i128)))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(crate::store::cold::merge_by(cold, hot, |c| c.0))
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
            "SELECT {CANDLE_COLS} FROM candles WHERE series_id = ?1 AND open_time <= ?2 ORDER BY open_time DESC LIMIT ?3"
        );
        let mut hot = self.query_candles(&sql, params![id, before, n as i64])?;
        hot.reverse();
        let mut stmt = self.conn.prepare_cached(
            "SELECT first_open, data FROM candles_cold WHERE series_id = ?1 AND first_open <= ?2 \
             ORDER BY chunk_start DESC",
        )?;
        let mut rows = stmt.query(params![id, before])?;
        cold::newest(key.timeframe, hot, before, n, || {
            Ok(match rows.next()? {
                Some(r) => Some((r.get(0)?, r.get(1)?)),
                None => None,
            })
        })
    }

    fn last_live_write(&mut self, key: SeriesKey) -> Result<Option<Millis>, StoreError> {
        let Some(id) = self.existing_series_id(key)? else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT max(updated_at) FROM (SELECT updated_at, source FROM candles \
             WHERE series_id = ?1 ORDER BY open_time DESC LIMIT 3) \
             WHERE source IN ('live', 'demo')",
        )?;
        Ok(stmt.query_row([id], |r| r.get(0))?)
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
        let mut stmt = self.conn.prepare_cached(
            "SELECT open_time FROM candles WHERE series_id = ?1 AND open_time BETWEEN ?2 AND ?3 ORDER BY open_time",
        )?;
        let hot = stmt
            .query_map(params![id, from, to], |r| r.get(0))?
            .collect::<Result<Vec<Millis>, _>>()?;
        times.extend(hot);
        times.sort_unstable();
        times.dedup();
        Ok(times)
    }

    fn series_keys(&mut self) -> Result<Vec<SeriesKey>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT exchange, symbol, timeframe FROM series ORDER BY exchange, symbol, timeframe",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (v, s, t) = r?;
            out.extend(series_key(&v, &s, &t));
        }
        Ok(out)
    }
}

impl ProgressStore for SqliteBackend {
    fn progress(&mut self, key: SeriesKey) -> Result<Vec<SeriesProgress>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT range_start, range_end, position, status, error FROM backfill_progress \
             WHERE symbol = ?1 AND timeframe = ?2 ORDER BY range_start",
        )?;
        let rows = stmt.query_map(
            params![key.symbol.to_string(), key.timeframe.as_str()],
            |r| {
                Ok(SeriesProgress {
                    key,
                    range_start: r.get(0)?,
                    range_end: r.get(1)?,
                    position: r.get(2)?,
                    status: ProgressStatus::parse(&r.get::<_, String>(3)?),
                    error: r.get(4)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn save_progress(&mut self, p: &SeriesProgress) -> Result<(), StoreError> {
        save_progress(&self.conn, p)
    }
}
