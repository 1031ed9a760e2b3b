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
        tx.execute_batch(sql).map_err(|e| MigrateError::Failed {
            name,
            detail: e.to_string(),
        })?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(migration = name, "applied schema migration");
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
