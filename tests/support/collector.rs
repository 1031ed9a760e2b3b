//! Runs the real `cryptoviz collect` binary against local servers, the way a user would.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub struct Collector {
    pub child: Child,
    pub data_dir: PathBuf,
}

/// A config pointing every endpoint at local servers, with quick retries.
pub fn write_config(dir: &Path, ws_url: &str, rest_url: &str, symbols: &[&str]) -> PathBuf {
    let symbols: Vec<String> = symbols.iter().map(|s| format!("\"{s}\"")).collect();
    let text = format!(
        r#"[market]
ws_url = "{ws_url}"
rest_url = "{rest_url}"
symbols = [{}]

[news]
feeds = []

[net]
ws_idle_timeout_secs = 5
backoff = {{ initial_ms = 50, max_ms = 400, multiplier = 2.0, jitter = 0.1 }}
breaker = {{ failure_threshold = 50, open_secs = 1 }}
"#,
        symbols.join(", ")
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

impl Collector {
    pub fn start(config: &Path, data_dir: &Path, extra: &[&str]) -> Collector {
        let child = Command::new(env!("CARGO_BIN_EXE_cryptoviz"))
            .arg("--config")
            .arg(config)
            .arg("--data-dir")
            .arg(data_dir)
            .arg("collect")
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cryptoviz collect");
        Collector {
            child,
            data_dir: data_dir.to_path_buf(),
        }
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig}");
    }

    /// Waits for exit, at most `limit`; returns the status and stderr.
    pub fn wait(mut self, limit: Duration) -> (ExitStatus, String) {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut err = String::new();
                if let Some(mut pipe) = self.child.stderr.take() {
                    use std::io::Read;
                    let _ = pipe.read_to_string(&mut err);
                }
                return (status, err);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("collector did not exit within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A test that fails before stopping its collector must not leave it running.
impl Drop for Collector {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// (open_time, open, high, low, close, volume, quote_volume, trades, closed); prices as the
/// stored 1e-8 integers.
pub type StoredRow = (i64, i64, i64, i64, i64, String, String, i64, bool);

/// Stored candles of one series, straight from the SQLite file (not through cryptoviz).
pub fn stored_candles(db: &Path, symbol: &str, tf: &str) -> Vec<StoredRow> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut st = conn
        .prepare(
            "SELECT c.open_time, c.open, c.high, c.low, c.close, c.volume, c.quote_volume, c.trades, c.closed \
             FROM candles c JOIN series s ON s.id = c.series_id \
             WHERE s.symbol = ?1 AND s.timeframe = ?2 ORDER BY c.open_time",
        )
        .unwrap();
    st.query_map([symbol, tf], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
            r.get(8)?,
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

pub fn integrity(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}
