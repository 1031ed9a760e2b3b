//! One module per command of SPEC §1. This is the binary's edge: errors become `anyhow` here
//! and are printed as one line with the exit code the SPEC gives them.

/// `eprintln!` for the commands: the line goes through [`to_stderr`], which escapes and clips
/// what it quotes of untrusted text.
macro_rules! stderr {
    ($($arg:tt)*) => {
        $crate::commands::to_stderr(&format!($($arg)*))
    };
}

mod alerts;
mod backfill;
mod bench;
mod collect;
mod dashboard;
mod export;
mod import;
mod migrate;
mod news;
mod portfolio;

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::store::{Store, StoreOptions, StoreUrl};

/// The longest line a command writes to stderr: a 5 MB value in a config or an exchange's
/// answer is named, not echoed.
pub const MAX_STDERR_LINE: usize = 2048;

/// One line on stderr, safe for the terminal: untrusted text it quotes (an exchange's error
/// body, a feed's message, a config value) has its escape sequences, bidi overrides and line
/// breaks escaped, and the line is clipped at [`MAX_STDERR_LINE`] bytes.
pub fn to_stderr(line: &str) {
    let line = crate::domain::text::escape_invisible(line);
    eprintln!(
        "{}",
        crate::domain::text::clip_bytes(&line, MAX_STDERR_LINE)
    );
}

/// Bad usage or bad config (SPEC §1).
pub const EXIT_USAGE: u8 = 2;
/// A runtime failure.
pub const EXIT_FAILURE: u8 = 1;

/// An error that knows its exit code; anything else is a runtime failure.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UsageError {
    pub message: String,
}

pub fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError {
        message: message.into(),
    }
    .into()
}

/// What every command gets: the merged config and where the data lives.
pub struct Context {
    pub config: Config,
    pub data_dir: PathBuf,
    pub demo: bool,
}

impl Context {
    /// The store this run uses: `--store`, `CRYPTOVIZ_STORE` or `[storage] url` (checked at
    /// start). The demo never touches real data: it has a SQLite file of its own, rebuilt
    /// each run.
    pub fn store_url(&self) -> StoreUrl {
        if self.demo {
            return StoreUrl::Sqlite(self.data_dir.join("demo.db"));
        }
        StoreUrl::parse(&self.config.storage.url).unwrap_or(StoreUrl::Default)
    }

    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            batch_rows: self.config.storage.batch_rows,
            batch_ms: self.config.storage.batch_ms,
        }
    }

    /// Opens the store for writing (exit 1 with a one-line reason if it can't).
    pub fn open_store(&self) -> anyhow::Result<Store> {
        Ok(Store::open_url(
            &self.store_url(),
            &self.data_dir,
            self.store_options(),
        )?)
    }

    /// Opens the store for writing or, when a collector holds the SQLite file (outside the
    /// demo), for reading what the collector commits. The flag says which: true = following.
    /// A PostgreSQL store is shared: nothing holds it, so this is a plain open.
    pub fn open_or_follow(&self) -> anyhow::Result<(Store, bool)> {
        let url = self.store_url();
        match Store::open_url(&url, &self.data_dir, self.store_options()) {
            Ok(store) => Ok((store, false)),
            Err(crate::store::StoreError::Locked { .. }) if !self.demo => Ok((
                Store::open_url_read_only(&url, &self.data_dir, self.store_options())?,
                true,
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// The store for a command that only reads (`export`, `alerts`, `migrate`'s source): as
    /// [`Self::open_or_follow`], but a SQLite file that does not exist is an error naming the
    /// path, not a new empty database (a typo in `--data-dir` must not look like "no candles").
    pub fn open_existing(&self) -> anyhow::Result<(Store, bool)> {
        if let Some(file) = self.store_url().sqlite_path(&self.data_dir)
            && !file.exists()
        {
            anyhow::bail!(
                "the store {} does not exist: check --data-dir or --store (collect, backfill, import and the dashboard create it)",
                file.display()
            );
        }
        self.open_or_follow()
    }

    /// The dashboard's store: on PostgreSQL it always follows (collectors write, dashboards
    /// anywhere watch, with a role that may only read); on SQLite as [`Self::open_or_follow`].
    pub fn open_dashboard_store(&self) -> anyhow::Result<(Store, bool)> {
        let url = self.store_url();
        if url.is_shared() {
            let store = Store::open_url_read_only(&url, &self.data_dir, self.store_options())?;
            return Ok((store, true));
        }
        self.open_or_follow()
    }

    /// Opens the database for a run that produces data; the demo starts from an empty one.
    pub async fn open_writer(&self) -> anyhow::Result<Store> {
        let store = self.open_store()?;
        if self.demo {
            store.call(|b| b.clear()).await?;
        }
        Ok(store)
    }
}

/// A password written on the command line is readable by every user of the machine (`ps`,
/// `/proc/PID/cmdline`): said once on stderr, naming the ways that keep it out.
/// `keep_out` names where the secret belongs instead.
pub fn warn_password_in_argv(flag: &str, has_password: bool, given: &str, keep_out: &str) {
    let on_command_line = std::env::args_os().any(|a| a.to_string_lossy().contains(given));
    if has_password && on_command_line {
        stderr!(
            "cryptoviz: warning: the password in {flag} is visible to every user of this machine (ps); put it in {keep_out} instead"
        );
    }
}

/// Where a store's password belongs rather than on the command line.
const PG_SECRET_PLACES: &str = "PGPASSWORD or ~/.pgpass";

pub fn main(cli: Cli) -> ExitCode {
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let code = if e.downcast_ref::<UsageError>().is_some()
                || e.downcast_ref::<crate::config::ConfigError>().is_some()
            {
                EXIT_USAGE
            } else {
                EXIT_FAILURE
            };
            let msg = one_line(&e);
            stderr!("cryptoviz: {msg}");
            tracing::error!(error = %msg, "exiting");
            ExitCode::from(code)
        }
    }
}

/// The error and its causes on one line, newlines flattened. A cause already quoted by the
/// message above it (`cannot read {path}: {source}`) is not repeated.
/// Writes a line to stdout. A reader that went away (`... | head`) ends the output quietly:
/// that is the reader's choice, never a panic or an error.
pub fn out(line: impl std::fmt::Display) -> std::io::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{line}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

pub fn one_line(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if msg.contains(&text) {
            continue;
        }
        if !msg.is_empty() {
            msg.push_str(": ");
        }
        msg.push_str(&text);
    }
    msg.replace('\n', " ")
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let (config_path, explicit) = match &cli.global.config {
        Some(p) => (p.clone(), true),
        None => (crate::paths::default_config_file(), false),
    };
    let mut config = Config::load(&config_path, explicit)?;
    // The keys and colours belong to the dashboard's settings, but a bad one is a config
    // error for every command, as any other key is.
    crate::app::settings::check_ui(&config.ui).map_err(|(key, message)| {
        crate::config::ConfigError::Invalid {
            path: config_path.clone(),
            line: String::new(),
            key,
            message,
        }
    })?;
    // `--store` (or CRYPTOVIZ_STORE) beats `[storage] url`.
    if let Some(store) = &cli.global.store {
        let url = StoreUrl::parse(store).map_err(|e| usage(format!("--store {e}")))?;
        warn_password_in_argv("--store", url.has_password(), store, PG_SECRET_PLACES);
        config.storage.url = store.clone();
    }
    // `--bus` (or CRYPTOVIZ_BUS) beats `[bus] url`; the error never repeats the URL.
    if let Some(bus) = &cli.global.bus {
        if !bus.is_empty() {
            let url = crate::config::BusUrl::parse(bus).map_err(|e| usage(format!("--bus {e}")))?;
            warn_password_in_argv(
                "--bus",
                url.has_secret(),
                bus,
                "CRYPTOVIZ_BUS, [bus] url or [bus] credentials",
            );
        }
        config.bus.url = bus.clone();
    }
    let data_dir = cli
        .global
        .data_dir
        .clone()
        .unwrap_or_else(crate::paths::default_data_dir);
    // A command that only reads never creates the data dir: it says the store is missing.
    let reads_only = matches!(
        cli.command,
        Some(Command::Export(_) | Command::Alerts(_) | Command::Migrate(_))
    );
    if !reads_only || cli.demo {
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| anyhow::anyhow!("cannot create data dir {}: {e}", data_dir.display()))?;
    }
    // A reading command's missing data dir has nowhere to log: the command says it is missing.
    if data_dir.is_dir()
        && let Err(e) = crate::logging::init(&data_dir, cli.global.log_level)
    {
        stderr!(
            "cryptoviz: warning: cannot write log file in {}: {e}",
            data_dir.display()
        );
    }
    crate::net::install_crypto_provider();
    crate::bench::orphan::exit_with_bench();
    let ctx = Context {
        config: if cli.demo { config.for_demo() } else { config },
        data_dir,
        demo: cli.demo,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match cli.command {
            Some(Command::Collect(a)) => collect::run(&ctx, a).await,
            Some(Command::Backfill(a)) => backfill::run(&ctx, a).await,
            Some(Command::Import(a)) => import::run(&ctx, a).await,
            Some(Command::News(a)) => news::run(&ctx, a).await,
            Some(Command::Export(a)) => export::run(&ctx, a).await,
            Some(Command::Alerts(a)) => alerts::run(&ctx, a).await,
            Some(Command::Bench(a)) => bench::run(&ctx, a).await,
            Some(Command::Migrate(a)) => migrate::run(&ctx, a).await,
            Some(Command::Portfolio(a)) => portfolio::run(&ctx, a).await,
            None => dashboard::run(&ctx, cli.symbol, cli.timeframe).await,
        }
    })
}
