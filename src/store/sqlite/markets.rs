//! SQLite: The venues' market lists and the added markets.

use super::*;

impl MarketsStore for SqliteBackend {
    fn put_instruments(
        &mut self,
        venue: Venue,
        markets: &[Listing],
        at: Millis,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM instruments WHERE exchange = ?1",
            [venue.name()],
        )?;
        {
            let mut insert = tx.prepare(
                "INSERT OR IGNORE INTO instruments (exchange, symbol, price_decimals, size_decimals) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for m in markets {
                let p = m.precision;
                insert.execute(params![venue.name(), m.symbol.to_string(), p.price, p.size])?;
            }
        }
        tx.execute(
            "INSERT INTO instrument_lists (exchange, fetched_at) VALUES (?1, ?2) \
             ON CONFLICT (exchange) DO UPDATE SET fetched_at = excluded.fetched_at",
            params![venue.name(), at],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn instruments(&mut self) -> Result<MarketLists, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT symbol, price_decimals, size_decimals FROM instruments ORDER BY symbol",
        )?;
        let rows = stmt
            .query_map([], |r| {
                let precision = Precision {
                    price: r.get(1)?,
                    size: r.get(2)?,
                };
                Ok((r.get::<_, String>(0)?, precision))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT exchange, fetched_at FROM instrument_lists ORDER BY exchange",
        )?;
        let lists = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MarketLists {
            markets: parse_listings(rows),
            fetched: lists
                .into_iter()
                .filter_map(|(v, at)| Some((Venue::parse(&v)?, at)))
                .collect(),
        })
    }

    fn watchlist(&mut self) -> Result<Vec<Symbol>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT symbol FROM watchlist ORDER BY position")?;
        let names = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(parse_symbols(names.iter().map(String::as_str)))
    }

    fn set_watchlist(&mut self, symbols: &[Symbol]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM watchlist", [])?;
        {
            let mut insert =
                tx.prepare("INSERT OR IGNORE INTO watchlist (position, symbol) VALUES (?1, ?2)")?;
            for (i, s) in symbols.iter().enumerate() {
                insert.execute(params![i as i64, s.to_string()])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
