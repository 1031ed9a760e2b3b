//! SQLite: perpetual futures' minute samples, funding rates and liquidations.

use super::*;
use crate::domain::{DerivSample, FundingRate, Liquidation};
use crate::store::backend::{DerivStore, SampleRow, in_order, liquidation_of};

impl DerivStore for SqliteBackend {
    fn put_deriv_samples(&mut self, samples: &[DerivSample]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut put = tx.prepare_cached(
                "INSERT INTO deriv_samples (symbol, minute, time, mark, index_price, funding_rate, \
                 next_funding, funding_interval_hours, open_interest, open_interest_quote) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                 ON CONFLICT (symbol, minute) DO UPDATE SET time = MAX(excluded.time, deriv_samples.time), \
                 mark = COALESCE(excluded.mark, deriv_samples.mark), \
                 index_price = COALESCE(excluded.index_price, deriv_samples.index_price), \
                 funding_rate = COALESCE(excluded.funding_rate, deriv_samples.funding_rate), \
                 next_funding = COALESCE(excluded.next_funding, deriv_samples.next_funding), \
                 funding_interval_hours = COALESCE(excluded.funding_interval_hours, deriv_samples.funding_interval_hours), \
                 open_interest = COALESCE(excluded.open_interest, deriv_samples.open_interest), \
                 open_interest_quote = COALESCE(excluded.open_interest_quote, deriv_samples.open_interest_quote)",
            )?;
            for s in samples {
                let r = SampleRow::of(s);
                put.execute(params![
                    s.update.symbol.to_string(),
                    r.minute,
                    r.time,
                    r.mark,
                    r.index,
                    r.funding_rate,
                    r.next_funding,
                    r.funding_interval_hours,
                    r.open_interest,
                    r.open_interest_quote
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn put_funding(&mut self, rates: &[FundingRate]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            // A predicted rate never overwrites a settled one.
            let mut put = tx.prepare_cached(
                "INSERT INTO funding (symbol, time, rate, settled) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (symbol, time) DO UPDATE SET rate = excluded.rate, \
                 settled = excluded.settled WHERE excluded.settled OR NOT funding.settled",
            )?;
            for f in rates {
                put.execute(params![
                    f.symbol.to_string(),
                    f.time,
                    f.rate.to_string(),
                    f.settled
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn put_liquidations(&mut self, rows: &[Liquidation]) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let mut new = 0;
        {
            let mut put = tx.prepare_cached(
                "INSERT OR IGNORE INTO liquidations (symbol, time, side, price, qty, sampled) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for l in rows {
                new += put.execute(params![
                    l.symbol.to_string(),
                    l.time,
                    l.side.as_str(),
                    l.price.to_string(),
                    l.qty.to_string(),
                    l.sampled
                ])?;
            }
        }
        tx.commit()?;
        Ok(new)
    }

    fn deriv_samples(
        &mut self,
        symbol: Symbol,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<DerivSample>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT minute, time, mark, index_price, funding_rate, next_funding, \
             funding_interval_hours, open_interest, open_interest_quote FROM deriv_samples \
             WHERE symbol = ?1 AND minute BETWEEN ?2 AND ?3 ORDER BY minute",
        )?;
        let rows = st
            .query_map(params![symbol.to_string(), from, to], |r| {
                Ok(SampleRow {
                    minute: r.get(0)?,
                    time: r.get(1)?,
                    mark: r.get(2)?,
                    index: r.get(3)?,
                    funding_rate: r.get(4)?,
                    next_funding: r.get(5)?,
                    funding_interval_hours: r.get(6)?,
                    open_interest: r.get(7)?,
                    open_interest_quote: r.get(8)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(|r| r.sample(symbol)).collect()
    }

    fn funding(
        &mut self,
        symbol: Symbol,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<FundingRate>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT time, rate, settled FROM funding \
             WHERE symbol = ?1 AND time BETWEEN ?2 AND ?3 ORDER BY time",
        )?;
        let rows = st
            .query_map(params![symbol.to_string(), from, to], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(time, rate, settled)| {
                Ok(FundingRate {
                    symbol,
                    time,
                    rate: crate::domain::Rate::parse(&rate)
                        .map_err(|e| StoreError::Query(format!("a stored funding rate: {e}")))?,
                    settled,
                })
            })
            .collect()
    }

    fn liquidations(
        &mut self,
        symbol: Symbol,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Liquidation>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT time, side, price, qty, sampled FROM liquidations \
             WHERE symbol = ?1 AND time BETWEEN ?2 AND ?3 ORDER BY time",
        )?;
        let rows = st
            .query_map(params![symbol.to_string(), from, to], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, bool>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let rows = rows
            .iter()
            .map(|(t, side, p, q, sampled)| liquidation_of(symbol, *t, side, p, q, *sampled))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(in_order(rows))
    }
}
