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

/// A log line longer than this is cut (at a character, with a marker): a 10 MB frame quoted
/// in an error is not worth 10 MB of log.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// The log file, swallowing write errors. tracing-subscriber prints "Unable to write an event"
/// to stderr for every failed write: on a full disk that is thousands of lines over the
/// dashboard or the collector's output. A lost log line is counted instead.
///
/// Every line is made safe for a terminal on the way (`tail -f cryptoviz.log`): log lines
/// quote feeds and exchanges, whose text may hold escape sequences (a clipboard write, a
/// screen clear), bidi overrides or line breaks that would fake other lines.
struct LogFile(File);

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let event = String::from_utf8_lossy(buf);
        let line = safe_line(&event);
        if self.0.write_all(line.as_bytes()).is_err() {
            LOST_LINES.fetch_add(1, Ordering::Relaxed);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = self.0.flush();
        Ok(())
    }
}

/// One formatted event as it goes to the file: its own line ending kept, everything else
/// that a terminal would act on escaped, at most [`MAX_LINE_BYTES`].
fn safe_line(event: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let (body, end) = match event.strip_suffix('\n') {
        Some(body) => (body, "\n"),
        None => (event, ""),
    };
    let escaped = crate::domain::text::escape_invisible(body);
    match crate::domain::text::clip_bytes(&escaped, MAX_LINE_BYTES) {
        // The usual line: nothing to escape or cut, written as it came.
        Cow::Borrowed(_) if matches!(escaped, Cow::Borrowed(_)) => Cow::Borrowed(event),
        line => Cow::Owned(format!("{line}{end}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_escaped_and_cut_at_a_character() {
        let line = safe_line("WARN malformed frame \u{1b}]52;c;eA==\u{7} \u{202e}x\ninjected\n");
        assert_eq!(
            line,
            "WARN malformed frame \\u{1b}]52;c;eA==\\u{7} \\u{202e}x\\ninjected\n"
        );
        let long = format!("{}\n", "é".repeat(MAX_LINE_BYTES));
        let cut = safe_line(&long);
        assert!(cut.len() < MAX_LINE_BYTES + 40, "{}", cut.len());
        assert!(cut.ends_with(" bytes cut]\n"), "{}", &cut[cut.len() - 30..]);
        assert_eq!(cut.matches('\n').count(), 1);
    }
}
