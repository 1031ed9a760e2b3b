//! Numbered schema migrations for PostgreSQL: the pending ones and their version rows in one
//! transaction (DDL is transactional there, so a failed step leaves nothing half made).
//! Several collectors may start at once: the first takes an advisory lock and migrates, the
//! others wait for it and then find nothing left to do.

use postgres::Client;

use crate::store::MigrateError;

const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("migrations/0001_init.sql")),
    ("0002_markets", include_str!("migrations/0002_markets.sql")),
    (
        "0003_market_precision",
        include_str!("migrations/0003_market_precision.sql"),
    ),
    (
        "0004_absent_values",
        include_str!("migrations/0004_absent_values.sql"),
    ),
    (
        "0005_derivatives",
        include_str!("migrations/0005_derivatives.sql"),
    ),
    ("0006_ledger", include_str!("migrations/0006_ledger.sql")),
    (
        "0007_portfolio_snapshots",
        include_str!("migrations/0007_portfolio_snapshots.sql"),
    ),
];

/// The schema version this build writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Any constant both collectors agree on: "cryptoviz" in ASCII, cut to 63 bits.
const MIGRATION_LOCK: i64 = 0x6372_7970_746f_7669;

fn query(e: postgres::Error) -> MigrateError {
    MigrateError::Query(super::connect::reason(&e))
}

/// What a migration needs beyond its SQL, in the same transaction.
fn after(name: &str, tx: &mut postgres::Transaction<'_>) -> Result<(), postgres::Error> {
    if name == "0004_absent_values" {
        mend_stored_zeros(tx)?;
    }
    Ok(())
}

/// Rows written before values could be absent hold 0 where the venue said nothing: hot rows
/// by SQL, cold chunks decoded, mended and packed again (the same rule as SQLite's).
fn mend_stored_zeros(tx: &mut postgres::Transaction<'_>) -> Result<(), postgres::Error> {
    use crate::domain::{Timeframe, Venue};
    use crate::store::{backend, cold};
    for sql in backend::mend_stored_zeros_sql() {
        tx.execute(sql.as_str(), &[])?;
    }
    let rows = tx.query(
        "SELECT c.series_id, c.chunk_start, c.first_open, s.exchange, s.timeframe, c.data \
         FROM candles_cold c JOIN series s ON s.id = c.series_id",
        &[],
    )?;
    for r in rows {
        let (venue, tf): (String, String) = (r.get(3), r.get(4));
        let (Some(venue), Ok(tf)) = (Venue::parse(&venue), Timeframe::parse(&tf)) else {
            continue;
        };
        let (series, start): (i64, i64) = (r.get(0), r.get(1));
        match cold::mend_chunk(venue, tf, r.get(2), r.get(5)) {
            Ok(Some(data)) => {
                tx.execute(
                    "UPDATE candles_cold SET data = $3 WHERE series_id = $1 AND chunk_start = $2",
                    &[&series, &start, &data],
                )?;
            }
            Ok(None) => {}
            // Left as it is: reads report it, as they did before.
            Err(e) => tracing::warn!(series, "cold chunk not mended: {e}"),
        }
    }
    Ok(())
}

/// The version in the database (0 for an empty one), read without writing anything, so a
/// read-only role can open an up-to-date store.
pub fn current(client: &mut Client) -> Result<i64, MigrateError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('cryptoviz_schema') IS NOT NULL", &[])
        .map_err(query)?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let v: Option<i64> = client
        .query_one("SELECT max(version) FROM cryptoviz_schema", &[])
        .map_err(query)?
        .get(0);
    Ok(v.unwrap_or(0))
}

/// Brings the database up to [`LATEST`]; one from a newer cryptoviz is refused.
pub fn migrate(client: &mut Client) -> Result<(), MigrateError> {
    let found = current(client)?;
    if found > LATEST {
        return Err(MigrateError::TooNew {
            found,
            supported: LATEST,
        });
    }
    if found == LATEST {
        return Ok(());
    }
    let mut tx = client.transaction().map_err(query)?;
    // Held to the end of this transaction; a second collector waits here, then reads the
    // version this one wrote.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(query)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS cryptoviz_schema (
             version    BIGINT PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .map_err(query)?;
    let v: Option<i64> = tx
        .query_one("SELECT max(version) FROM cryptoviz_schema", &[])
        .map_err(query)?
        .get(0);
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(v.unwrap_or(0) as usize) {
        tx.batch_execute(sql)
            .and_then(|()| after(name, &mut tx))
            .map_err(|e| MigrateError::Failed {
                name,
                detail: super::connect::reason(&e),
            })?;
        tx.execute(
            "INSERT INTO cryptoviz_schema (version, name) VALUES ($1, $2)",
            &[&((i + 1) as i64), name],
        )
        .map_err(query)?;
        tracing::info!(migration = name, "applied PostgreSQL schema migration");
    }
    tx.commit().map_err(query)
}
