//! Numbered schema migrations, applied in order inside one transaction each; the schema
//! version lives in `PRAGMA user_version`.

use rusqlite::Connection;

const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("migrations/0001_init.sql")),
    (
        "0002_cold_tier",
        include_str!("migrations/0002_cold_tier.sql"),
    ),
    (
        "0003_sentiment_label",
        include_str!("migrations/0003_sentiment_label.sql"),
    ),
    ("0004_venues", include_str!("migrations/0004_venues.sql")),
    ("0005_alerts", include_str!("migrations/0005_alerts.sql")),
    (
        "0006_alert_rules",
        include_str!("migrations/0006_alert_rules.sql"),
    ),
    ("0007_markets", include_str!("migrations/0007_markets.sql")),
    (
        "0008_market_precision",
        include_str!("migrations/0008_market_precision.sql"),
    ),
    (
        "0009_absent_values",
        include_str!("migrations/0009_absent_values.sql"),
    ),
    (
        "0010_derivatives",
        include_str!("migrations/0010_derivatives.sql"),
    ),
    ("0011_ledger", include_str!("migrations/0011_ledger.sql")),
    (
        "0012_portfolio_snapshots",
        include_str!("migrations/0012_portfolio_snapshots.sql"),
    ),
];

/// The schema version this build writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`LATEST`]. A database from a newer cryptoviz is refused rather
/// than misread.
pub fn migrate(conn: &mut Connection) -> Result<(), MigrateError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > LATEST {
        return Err(MigrateError::TooNew {
            found: current,
            supported: LATEST,
        });
    }
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .and_then(|()| after(name, &tx))
            .map_err(|e| MigrateError::Failed {
                name,
                detail: e.to_string(),
            })?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(migration = name, "applied schema migration");
    }
    Ok(())
}

/// What a migration needs beyond its SQL, in the same transaction.
fn after(name: &str, tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    if name == "0009_absent_values" {
        mend_stored_zeros(tx)?;
    }
    Ok(())
}

/// Rows written before values could be absent hold 0 where the venue said nothing: hot rows
/// by SQL, cold chunks decoded, mended and packed again.
fn mend_stored_zeros(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    use super::cold;
    use crate::domain::{Timeframe, Venue};
    for sql in super::backend::mend_stored_zeros_sql() {
        tx.execute(&sql, [])?;
    }
    let mut chunks = Vec::new();
    {
        let mut st = tx.prepare(
            "SELECT c.series_id, c.chunk_start, c.first_open, s.exchange, s.timeframe, c.data \
             FROM candles_cold c JOIN series s ON s.id = c.series_id",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let (venue, tf) = (r.get::<_, String>(3)?, r.get::<_, String>(4)?);
            let (Some(venue), Ok(tf)) = (Venue::parse(&venue), Timeframe::parse(&tf)) else {
                continue;
            };
            let data: Vec<u8> = r.get(5)?;
            match cold::mend_chunk(venue, tf, r.get(2)?, &data) {
                Ok(Some(mended)) => chunks.push((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, mended)),
                Ok(None) => {}
                // Left as it is: reads report it, as they did before.
                Err(e) => {
                    tracing::warn!(series = r.get::<_, i64>(0)?, "cold chunk not mended: {e}")
                }
            }
        }
    }
    let mut st =
        tx.prepare("UPDATE candles_cold SET data = ?3 WHERE series_id = ?1 AND chunk_start = ?2")?;
    for (series, start, data) in chunks {
        st.execute(rusqlite::params![series, start, data])?;
    }
    Ok(())
}

#[derive(Clone, Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("schema version {found} is newer than this cryptoviz supports ({supported})")]
    TooNew { found: i64, supported: i64 },
    #[error("migration {name} failed: {detail}")]
    Failed { name: &'static str, detail: String },
    #[error("{0}")]
    Query(String),
}

impl From<rusqlite::Error> for MigrateError {
    fn from(e: rusqlite::Error) -> Self {
        MigrateError::Query(e.to_string())
    }
}
