//! The real binary on a real PostgreSQL server, as a user runs it with `--store postgres://…`:
//! the same candles as SQLite to the last digit, TLS when asked, a read-only role for viewers,
//! and one-line errors that never show the password.

mod support;

use std::path::{Path, PathBuf};

use cryptoviz::store::PostgresTarget;
use serde_json::Value;
use support::cli::cryptoviz;
use support::postgres::TestDb;

fn aggtrades() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/binance/XRPETH-aggTrades-2019-10-11_to_13.csv")
}

/// The candles `export` prints for XRPETH in one timeframe, from `store` (default: SQLite).
fn exported(data: &Path, store: Option<&str>, tf: &str) -> Vec<Value> {
    let mut cmd = cryptoviz(data);
    if let Some(s) = store {
        cmd.args(["--store", s]);
    }
    support::cli::exported(cmd, "xrpeth", tf)
}

#[test]
fn import_and_export_on_postgres_give_sqlites_candles_exactly() {
    let Some(db) = TestDb::create("import_export") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for store in [None, Some(db.url.as_str())] {
        let mut cmd = cryptoviz(dir.path());
        if let Some(s) = store {
            cmd.args(["--store", s]);
        }
        let out = cmd
            .args(["import", "--symbol", "XRPETH"])
            .arg(aggtrades())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("12477 trades"));
    }
    for tf in ["1m", "5m", "1h", "1d"] {
        let sqlite = exported(dir.path(), None, tf);
        let pg = exported(dir.path(), Some(&db.url), tf);
        assert!(!sqlite.is_empty());
        assert_eq!(pg, sqlite, "{tf}: PostgreSQL and SQLite disagree");
    }
    // A second import changes nothing (the upserts are idempotent).
    cryptoviz(dir.path())
        .args(["--store", &db.url, "import", "--symbol", "XRPETH"])
        .arg(aggtrades())
        .assert()
        .success();
    let rows: i64 = db
        .client()
        .query_one("SELECT count(*) FROM candles", &[])
        .unwrap()
        .get(0);
    assert_eq!(exported(dir.path(), Some(&db.url), "1m").len(), 3560);
    assert!(rows > 3560, "every timeframe is stored: {rows}");
}

#[test]
fn sslmode_require_encrypts_and_disable_does_not() {
    let Some(db) = TestDb::create("tls") else {
        return;
    };
    let ssl_on: bool = db
        .client()
        .query_one("SHOW ssl", &[])
        .map(|r| r.get::<_, String>(0) == "on")
        .unwrap();
    if !ssl_on {
        eprintln!("sslmode_require_encrypts: the server has ssl = off; nothing to check");
        return;
    }
    for (mode, want) in [("require", true), ("disable", false), ("prefer", true)] {
        let target = PostgresTarget::parse(&format!("{}?sslmode={mode}", db.url)).unwrap();
        let mut client = target.connect().unwrap();
        let ssl: bool = client
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(ssl, want, "sslmode={mode}");
    }
}

#[test]
fn a_read_only_role_can_export_but_not_write_and_errors_hide_the_password() {
    let Some(db) = TestDb::create("read_only") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    cryptoviz(dir.path())
        .args(["--store", &db.url, "import", "--symbol", "XRPETH"])
        .arg(aggtrades())
        .assert()
        .success();
    let role = format!("{}_viewer", db.name);
    db.admin(&format!(
        "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN PASSWORD 's3cret-pw'"
    ));
    db.client()
        .batch_execute(&format!(
            "GRANT USAGE ON SCHEMA public TO {role}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"
        ))
        .unwrap();
    let (server, _) = db.url.rsplit_once('/').unwrap();
    let host = server.rsplit_once('@').unwrap().1;
    let viewer = format!("postgres://{role}:s3cret-pw@{host}/{}", db.name);
    let got = exported(dir.path(), Some(&viewer), "5m");
    assert_eq!(got.len(), 712);
    // Writing is refused by the server: one line, exit 1, no password.
    let out = cryptoviz(dir.path())
        .args(["--store", &viewer, "import", "--symbol", "XRPETH"])
        .arg(aggtrades())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("permission denied"), "{err}");
    assert!(!err.contains("s3cret-pw"), "{err}");
    // One line of error; the password given in argv is also warned about, once.
    let (warnings, errors): (Vec<&str>, Vec<&str>) = err
        .trim()
        .lines()
        .partition(|l| l.starts_with("cryptoviz: warning: the password in --store"));
    assert_eq!((errors.len(), warnings.len()), (1, 1), "{err}");
    // A database that does not exist: named, with the server's reason.
    let out = cryptoviz(dir.path())
        .args([
            "--store",
            &format!("postgres://{role}:s3cret-pw@{host}/no_such_db"),
            "export",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{host}/no_such_db")) && err.contains("does not exist"),
        "{err}"
    );
    assert!(!err.contains("s3cret-pw"), "{err}");
    // The role's grants go with the database; then the role.
    let admin = db.admin_url();
    drop(db);
    support::postgres::run(&admin, &format!("DROP ROLE IF EXISTS {role}"));
}
