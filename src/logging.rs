//! Logs go to a file in the data dir, never to the terminal: the dashboard owns the screen.

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::Mutex;

/// Installs the global subscriber writing to `<data_dir>/cryptoviz.log` (appending).
/// Fails softly: without a writable log the program still runs.
pub fn init(data_dir: &Path, level: tracing::Level) -> std::io::Result<()> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(crate::paths::log_file(data_dir))?;
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_target(true)
        .try_init();
    Ok(())
}
