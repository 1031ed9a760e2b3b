//! `bench --store postgres://…`: the store's measurements on PostgreSQL, in a scratch
//! database the bench creates on that server and drops afterwards, so the user's own
//! database is never written.

use std::time::Instant;

use anyhow::Context as _;
use postgres::Client;

use super::data;
use super::measure::{median, per_sec};
use crate::store::{PostgresTarget, StoreUrl};

/// A database of the bench's own on the user's server, dropped with this value.
pub struct Scratch {
    admin: PostgresTarget,
    name: String,
    pub url: StoreUrl,
}

fn target(url: &StoreUrl) -> anyhow::Result<PostgresTarget> {
    match url {
        StoreUrl::Postgres { url, .. } => Ok(PostgresTarget::parse(url.expose())?),
        other => anyhow::bail!("{other} is not a PostgreSQL store"),
    }
}

impl Scratch {
    pub async fn create(server: &StoreUrl) -> anyhow::Result<Scratch> {
        let admin = target(server)?;
        let name = format!("cryptoviz_bench_{}", std::process::id());
        let url = server
            .with_database(&name)
            .context("a PostgreSQL URL for the scratch database")?;
        let (a, n) = (admin.clone(), name.clone());
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let mut c = a.connect()?;
            c.batch_execute(&format!("DROP DATABASE IF EXISTS {n}"))?;
            c.batch_execute(&format!("CREATE DATABASE {n}"))
                .with_context(|| {
                    format!(
                        "bench needs a database of its own on {}: CREATE DATABASE {n}",
                        a.shown
                    )
                })?;
            Ok(())
        })
        .await??;
        Ok(Scratch { admin, name, url })
    }

    pub async fn drop_now(self) {
        let (a, n) = (self.admin.clone(), self.name.clone());
        let _ = tokio::task::spawn_blocking(move || {
            if let Ok(mut c) = a.connect() {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {n} WITH (FORCE)"));
            }
        })
        .await;
    }
}

const RAW_UPSERT: &str = "INSERT INTO c (series_id, open_time, open, high, low, close, volume, quote_volume, trades, closed) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (series_id, open_time) DO UPDATE SET \
    open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close, \
    volume = excluded.volume, quote_volume = excluded.quote_volume, trades = excluded.trades, closed = excluded.closed";

/// The floor, as `sqlite_raw_upsert` on SQLite: a bare prepared UPSERT loop into a
/// candle-shaped table, 500 rows a transaction.
pub async fn raw_upsert(scratch: &Scratch, n: usize, reps: usize) -> anyhow::Result<f64> {
    let t = target(&scratch.url)?;
    tokio::task::spawn_blocking(move || -> anyhow::Result<f64> {
        let candles = data::candles(n, 1_700_000_000_000);
        let mut client: Client = t.connect()?;
        let mut runs = Vec::new();
        for _ in 0..reps {
            client.batch_execute(
                "DROP TABLE IF EXISTS c; CREATE TABLE c (series_id BIGINT, open_time BIGINT, \
                 open BIGINT, high BIGINT, low BIGINT, close BIGINT, volume TEXT, quote_volume TEXT, \
                 trades BIGINT, closed BOOLEAN, PRIMARY KEY (series_id, open_time))",
            )?;
            let started = Instant::now();
            for chunk in candles.chunks(500) {
                let mut tx = client.transaction()?;
                let st = tx.prepare(RAW_UPSERT)?;
                for c in chunk {
                    tx.execute(
                        &st,
                        &[
                            &1i64,
                            &c.open_time,
                            &(c.open.raw() as i64),
                            &(c.high.raw() as i64),
                            &(c.low.raw() as i64),
                            &(c.close.raw() as i64),
                            &c.volume.to_string(),
                            &c.quote_volume.map(|q| q.to_string()),
                            &c.trades.map(|n| n as i64),
                            &c.closed,
                        ],
                    )?;
                }
                tx.commit()?;
            }
            runs.push(per_sec(n, started.elapsed()));
        }
        client.batch_execute("DROP TABLE IF EXISTS c")?;
        Ok(median(runs))
    })
    .await?
}
