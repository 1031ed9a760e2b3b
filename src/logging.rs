//! Logs go to a file in the data dir, never to the terminal: the dashboard owns the screen.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Log lines that could not be written (a full or read-only disk), for the health views.
static LOST_LINES: AtomicU64 = AtomicU64::new(0);

/// How many log lines were lost to write errors since start.
pub fn lost_lines() -> u64 {
    LOST_LINES.load(Ordering::Relaxed)
}

/// Installs the global subscriber writing to `<data_dir>/cryptoviz.log` (appending).
/// Fails softly: without a writable log the program still runs.
pub fn init(data_dir: &Path, level: tracing::Level) -> std::io::Result<()> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(crate::paths::log_file(data_dir))?;
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(Mutex::new(LogFile(file)))
        .with_ansi(false)
        .with_target(true)
        .try_init();
    Ok(())
}

/// The log file, swallowing write errors. tracing-subscriber prints "Unable to write an event"
/// to stderr for every failed write: on a full disk that is thousands of lines over the
/// dashboard or the collector's output. A lost log line is counted instead.
struct LogFile(File);

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.write_all(buf).is_err() {
            LOST_LINES.fetch_add(1, Ordering::Relaxed);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = self.0.flush();
        Ok(())
    }
}
