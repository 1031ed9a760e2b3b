//! PostgreSQL: The venues' market lists and the added markets.

use super::*;

impl MarketsStore for PostgresBackend {
    fn put_instruments(
        &mut self,
        venue: Venue,
        markets: &[Listing],
        at: Millis,
    ) -> Result<(), StoreError> {
        let names: Vec<String> = markets.iter().map(|m| m.symbol.to_string()).collect();
        let decimals = |f: fn(&Precision) -> Option<u8>| -> Vec<Option<i16>> {
            markets
                .iter()
                .map(|m| f(&m.precision).map(i16::from))
                .collect()
        };
        let (price, size) = (decimals(|p| p.price), decimals(|p| p.size));
        let mut tx = self.conn()?.transaction()?;
        tx.execute(
            "DELETE FROM instruments WHERE exchange = $1",
            &[&venue.name()],
        )?;
        tx.execute(
            "INSERT INTO instruments (exchange, symbol, price_decimals, size_decimals) \
             SELECT $1, s, p, z FROM unnest($2::text[], $3::smallint[], $4::smallint[]) AS t(s, p, z) \
             ON CONFLICT DO NOTHING",
            &[&venue.name(), &names, &price, &size],
        )?;
        tx.execute(
            "INSERT INTO instrument_lists (exchange, fetched_at) VALUES ($1, $2) \
             ON CONFLICT (exchange) DO UPDATE SET fetched_at = excluded.fetched_at",
            &[&venue.name(), &at],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn instruments(&mut self) -> Result<MarketLists, StoreError> {
        let conn = self.conn()?;
        let names = conn.query(
            "SELECT symbol, price_decimals, size_decimals FROM instruments ORDER BY symbol",
            &[],
        )?;
        let lists = conn.query(
            "SELECT exchange, fetched_at FROM instrument_lists ORDER BY exchange",
            &[],
        )?;
        Ok(MarketLists {
            markets: parse_listings(names.iter().map(|r| {
                let d = |i: usize| {
                    r.get::<_, Option<i16>>(i)
                        .and_then(|d| u8::try_from(d).ok())
                };
                (
                    r.get::<_, String>(0),
                    Precision {
                        price: d(1),
                        size: d(2),
                    },
                )
            })),
            fetched: lists
                .iter()
                .filter_map(|r| Some((Venue::parse(r.get(0))?, r.get(1))))
                .collect(),
        })
    }

    fn watchlist(&mut self) -> Result<Vec<Symbol>, StoreError> {
        let rows = self
            .conn()?
            .query("SELECT symbol FROM watchlist ORDER BY position", &[])?;
        Ok(parse_symbols(rows.iter().map(|r| r.get::<_, &str>(0))))
    }

    fn set_watchlist(&mut self, symbols: &[Symbol]) -> Result<(), StoreError> {
        let names: Vec<String> = symbols.iter().map(Symbol::to_string).collect();
        let mut tx = self.conn()?.transaction()?;
        tx.execute("DELETE FROM watchlist", &[])?;
        tx.execute(
            "INSERT INTO watchlist (position, symbol) \
             SELECT (n - 1)::int, s FROM unnest($1::text[]) WITH ORDINALITY AS t(s, n) \
             ON CONFLICT DO NOTHING",
            &[&names],
        )?;
        tx.commit()?;
        Ok(())
    }
}
