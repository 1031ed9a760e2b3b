//! Following a store another process writes: a counter that moves whenever that process
//! commits candles. PostgreSQL pushes it (every candle commit sends a notification on
//! [`postgres::CHANNEL`]); a SQLite file has no such signal, so its file and WAL are watched.
//!
//! Both run on a thread of their own (the PostgreSQL client blocks) and end when the last
//! receiver is dropped.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use super::postgres::{self, Target};

use super::url::StoreUrl;

/// How often a SQLite file is looked at: a `stat` of two files, so cheap enough to keep a
/// follower within a tenth of a second of the writer.
const FILE_POLL: Duration = Duration::from_millis(50);
/// How long one wait for notifications lasts before the thread checks it is still wanted.
const LISTEN_WAIT: Duration = Duration::from_secs(1);

/// A receiver whose value changes after each commit of the store's writer.
pub fn watch_changes(url: &StoreUrl, data_dir: &Path) -> watch::Receiver<u64> {
    let (tx, rx) = watch::channel(0u64);
    let spawned = match url {
        StoreUrl::Postgres { url, redacted } => match Target::parse(url.expose()) {
            Ok(target) => std::thread::Builder::new()
                .name("store-listen".into())
                .spawn(move || listen(target, tx)),
            Err(e) => {
                tracing::warn!(store = %redacted, error = %e, "cannot follow the store");
                return rx;
            }
        },
        sqlite => {
            let file = sqlite
                .sqlite_path(data_dir)
                .unwrap_or_else(|| crate::paths::database_file(data_dir));
            std::thread::Builder::new()
                .name("store-watch".into())
                .spawn(move || watch_file(file, tx))
        }
    };
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start following the store; updates come once a second");
    }
    rx
}

fn bump(tx: &watch::Sender<u64>) {
    tx.send_modify(|n| *n = n.wrapping_add(1));
}

/// LISTENs on its own connection; reconnects with a growing pause when the server goes away
/// and bumps once after each reconnect, since what was committed meanwhile was not announced.
fn listen(target: Target, tx: watch::Sender<u64>) {
    let mut pause = Duration::from_millis(250);
    while !tx.is_closed() {
        let mut client = match target.connect() {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(error = %e, "follow: cannot connect; retrying");
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        if let Err(e) = client.batch_execute(&format!("LISTEN {}", postgres::CHANNEL)) {
            tracing::warn!(error = %postgres::reason(&e), "follow: LISTEN refused");
            std::thread::sleep(pause);
            continue;
        }
        pause = Duration::from_millis(250);
        bump(&tx);
        loop {
            if tx.is_closed() {
                return;
            }
            // One wait, then whatever else is already queued: the follower is told once.
            let (any, failed) = {
                use ::postgres::fallible_iterator::FallibleIterator;
                let mut notes = client.notifications();
                let first = notes.timeout_iter(LISTEN_WAIT).next();
                let queued = notes.iter().count().unwrap_or(0);
                (matches!(first, Ok(Some(_))) || queued > 0, first.is_err())
            };
            if any {
                bump(&tx);
            }
            if failed || client.is_closed() {
                tracing::info!("follow: the notification connection dropped; reconnecting");
                break;
            }
        }
    }
}

/// Size and modification time of the database and its WAL: a commit changes one of them.
fn fingerprint(file: &Path) -> [(u64, Option<SystemTime>); 2] {
    let look = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| (m.len(), m.modified().ok()))
            .unwrap_or((0, None))
    };
    let mut wal = file.as_os_str().to_owned();
    wal.push("-wal");
    [look(file), look(Path::new(&wal))]
}

fn watch_file(file: PathBuf, tx: watch::Sender<u64>) {
    let mut last = fingerprint(&file);
    while !tx.is_closed() {
        std::thread::sleep(FILE_POLL);
        let now = fingerprint(&file);
        if now != last {
            last = now;
            bump(&tx);
        }
    }
}
