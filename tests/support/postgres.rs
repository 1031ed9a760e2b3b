//! A database of its own per test on the PostgreSQL server beside the tests (127.0.0.1:5432
//! unless `CRYPTOVIZ_TEST_POSTGRES` names another), dropped when the test ends.
//!
//! Without a server the PostgreSQL half of a test is skipped with a line saying why, so that
//! `cargo test` passes on a laptop with no PostgreSQL; `.ci/run` sets
//! `CRYPTOVIZ_REQUIRE_POSTGRES=1`, and there a missing server fails the test.

use std::sync::atomic::{AtomicU32, Ordering};

const DEFAULT_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

static NEXT: AtomicU32 = AtomicU32::new(0);

pub struct TestDb {
    admin: String,
    pub name: String,
    /// `postgres://…/<name>`: what `--store` takes.
    pub url: String,
}

fn admin_url() -> String {
    std::env::var("CRYPTOVIZ_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_ADMIN.into())
}

fn connect(url: &str) -> Result<postgres::Client, postgres::Error> {
    postgres::Client::connect(url, postgres::NoTls)
}

/// The blocking client runs a runtime of its own, which may not start on an async test's
/// thread: admin work runs on a thread of its own.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().expect("admin thread"))
}

impl TestDb {
    /// A fresh empty database, or None (with the reason on stderr) when no server answers
    /// and none is required.
    pub fn create(test: &str) -> Option<TestDb> {
        off_runtime(|| Self::create_here(test))
    }

    fn create_here(test: &str) -> Option<TestDb> {
        let admin = admin_url();
        let mut client = match connect(&admin) {
            Ok(c) => c,
            Err(e) => {
                if std::env::var("CRYPTOVIZ_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                    panic!("CRYPTOVIZ_REQUIRE_POSTGRES=1 but no PostgreSQL server answers: {e}");
                }
                // Straight to stderr, past the test harness's capture, once per test binary:
                // whoever runs `cargo test` sees that these ran on SQLite alone, and why.
                static SAID: std::sync::Once = std::sync::Once::new();
                SAID.call_once(|| {
                    use std::io::Write;
                    let _ = writeln!(
                        std::io::stderr(),
                        "note: PostgreSQL tests skipped ({test} and the rest of this file): \
                         no server at {} ({e}); set CRYPTOVIZ_TEST_POSTGRES to an admin URL",
                        redact(&admin)
                    );
                });
                return None;
            }
        };
        let name = format!(
            "cryptoviz_t{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            test.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(24)
                .collect::<String>()
                .to_ascii_lowercase()
        );
        // Two statements: neither may run inside the implicit transaction of a batch.
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            client
                .batch_execute(&sql)
                .expect("creating a test database");
        }
        let url = match admin.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("CRYPTOVIZ_TEST_POSTGRES must end in /DB"),
        };
        Some(TestDb { admin, name, url })
    }

    /// A client for synchronous tests (not on an async test's thread).
    pub fn client(&self) -> postgres::Client {
        connect(&self.url).expect("connecting to the test database")
    }

    /// Runs SQL as the server's admin (roles are server-wide).
    pub fn admin(&self, sql: &str) {
        run(&self.admin, sql);
    }

    pub fn admin_url(&self) -> String {
        self.admin.clone()
    }
}

pub fn run(url: &str, sql: &str) {
    off_runtime(|| {
        connect(url)
            .and_then(|mut c| c.batch_execute(sql))
            .expect("admin SQL")
    });
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, host))) => format!("{scheme}://…@{host}"),
        _ => url.to_string(),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        off_runtime(|| {
            if let Ok(mut c) = connect(&self.admin) {
                let _ = c.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ));
            }
        });
    }
}
