//! The command line of SPEC §1, with clap derive.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::domain::{Symbol, Timeframe};

#[derive(Debug, Parser)]
#[command(
    name = "cryptoviz",
    version,
    about = "A terminal trading dashboard for crypto spot markets on Binance, Coinbase, Kraken, Bybit and OKX"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// Run offline on a simulated market and bundled news (data in <data-dir>/demo.db).
    #[arg(long, global = true)]
    pub demo: bool,

    /// Market shown first: VENUE:SYMBOL (binance:BTCUSDT, kraken:BTC/USD, composite:BTC;
    /// a bare symbol is Binance's).
    #[arg(long, value_name = "SYM")]
    pub symbol: Option<Symbol>,

    /// Timeframe shown first: 1m 5m 15m 1h 1d.
    #[arg(long, value_name = "TF")]
    pub timeframe: Option<Timeframe>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// Parses the process's arguments; `cryptoviz --backfill …` is taken as `cryptoviz
    /// backfill …` (for users who know headless mode as a flag), without the dashboard's help
    /// listing backfill's options as its own.
    pub fn from_env() -> Cli {
        Cli::parse_from(flag_spellings(std::env::args_os()))
    }
}

/// Rewrites the first `--backfill` standing where a command would into the `backfill` command.
pub fn flag_spellings(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = args.into_iter().collect();
    let commands = [
        "collect", "backfill", "import", "news", "export", "alerts", "bench", "migrate",
    ];
    for a in args.iter_mut().skip(1) {
        match a.to_str() {
            Some("--backfill") => {
                *a = "backfill".into();
                break;
            }
            Some("--") => break,
            Some(c) if commands.contains(&c) => break,
            _ => {}
        }
    }
    args
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Config file [default: <config_dir>/config.toml].
    #[arg(long, global = true, env = "CRYPTOVIZ_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Directory for the database and the log [default: the platform's data dir].
    #[arg(long, global = true, env = "CRYPTOVIZ_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// The store: sqlite:PATH or postgres://USER[:PW]@HOST[:PORT]/DB[?sslmode=…]
    /// [default: [storage] url, else cryptoviz.db in the data dir].
    #[arg(long, global = true, env = "CRYPTOVIZ_STORE", value_name = "STORE")]
    pub store: Option<String>,

    /// The live bus: nats://[USER:PW@]HOST[:PORT] or tls://… [default: [bus] url; none].
    /// `collect` publishes what it accepts on it; an attached dashboard follows it.
    #[arg(long, global = true, env = "CRYPTOVIZ_BUS", value_name = "URL")]
    pub bus: Option<String>,

    /// Log level for the log file: error, warn, info, debug, trace.
    #[arg(long, global = true, default_value = "info", value_name = "LEVEL")]
    pub log_level: tracing::Level,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Headless live collector: stream, news, gap repair and tiering without a UI.
    Collect(CollectArgs),
    /// Headless gap repair from the exchange's REST klines.
    Backfill(BackfillArgs),
    /// Import data.binance.vision trade, aggTrade or kline CSV files (plain or .zip).
    Import(ImportArgs),
    /// Fetch news once and store it.
    News(NewsArgs),
    /// Write a JSON report of stored data.
    Export(ExportArgs),
    /// The alert rules and their last firings; `test` replays them over stored history.
    Alerts(AlertsArgs),
    /// Built-in benchmarks.
    Bench(BenchArgs),
    /// Copy the whole store into another store (SQLite <-> PostgreSQL), exactly.
    Migrate(MigrateArgs),
    /// Your holdings, P&L and lots from your own trade history; `import` reads exports.
    Portfolio(PortfolioArgs),
}

#[derive(Debug, Clone, Args)]
pub struct PortfolioArgs {
    #[command(subcommand)]
    pub action: Option<PortfolioAction>,
    /// Value the holdings as they stood at this time: YYYY-MM-DD or RFC 3339 [default: now].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub at: Option<i64>,
    /// Print JSON: the report's `portfolio` object, or `{"snapshots": [...]}`.
    #[arg(long, global = true)]
    pub json: bool,
    /// Do not fetch the prices the store lacks (hourly klines of the coin against cash on
    /// Binance's REST); show those holdings unvalued.
    #[arg(long, global = true)]
    pub no_backfill: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum PortfolioAction {
    /// Import trade-history exports (Binance, Bybit, OKX, Kraken, Coinbase, the plain CSV),
    /// each whole or not at all; importing a row twice adds nothing.
    Import {
        /// The export files, any layout mixed.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<std::path::PathBuf>,
        /// The venue of plain-CSV rows that leave it empty.
        #[arg(long)]
        venue: Option<String>,
        /// The account of rows that name none.
        #[arg(long)]
        account: Option<String>,
    },
    /// Equity, realised and unrealised P&L every `[portfolio] snapshot_minutes`.
    History {
        /// Start date: YYYY-MM-DD or RFC 3339 [default: the ledger's first row].
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        from: Option<i64>,
        /// End date: YYYY-MM-DD or RFC 3339 [default: now].
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        to: Option<i64>,
    },
}

#[derive(Debug, Clone, Args)]
pub struct CollectArgs {
    /// One cycle: gap repair, one news poll, then exit.
    #[arg(long)]
    pub once: bool,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<u64>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct BackfillArgs {
    /// Symbols to repair [default: the configured ones].
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub symbols: Vec<Symbol>,
    /// Timeframes to repair [default: the configured ones].
    #[arg(long, value_delimiter = ',', value_name = "1m,1h")]
    pub timeframes: Vec<Timeframe>,
    /// How many days back [default: backfill.days from the config].
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub days: Option<u32>,
    /// Start date: YYYY-MM-DD or RFC 3339.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub from: Option<i64>,
    /// End date: YYYY-MM-DD or RFC 3339 [default: now].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub to: Option<i64>,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// CSV files (or .zip archives of them) from data.binance.vision.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Market, binance:SYMBOL [default: from a file name of Binance's own form].
    #[arg(long, value_name = "SYM")]
    pub symbol: Option<Symbol>,
    /// Timeframe of a kline file [default: taken from the file name].
    #[arg(long, value_name = "TF")]
    pub timeframe: Option<Timeframe>,
}

#[derive(Debug, Clone, Args)]
pub struct NewsArgs {
    /// Feed URL(s) [default: news.feeds from the config].
    #[arg(long = "feed", value_name = "URL")]
    pub feeds: Vec<String>,
    /// Print the items as a JSON array.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct AlertsArgs {
    #[command(subcommand)]
    pub action: Option<AlertsAction>,
    /// Print JSON (`{"rules": [...]}` or `{"firings": [...]}`).
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum AlertsAction {
    /// The rules, each with its last firing [the default].
    List,
    /// Replay every rule over stored candles and news; print when each would have fired.
    Test {
        /// Start date: YYYY-MM-DD or RFC 3339 [default: all stored history].
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        from: Option<i64>,
        /// End date: YYYY-MM-DD or RFC 3339 [default: now].
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        to: Option<i64>,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Market, VENUE:SYMBOL [default: every configured market].
    #[arg(long, value_name = "SYM")]
    pub symbol: Option<Symbol>,
    /// Timeframe [default: every configured timeframe].
    #[arg(long, value_name = "TF")]
    pub timeframe: Option<Timeframe>,
    /// First candle to include: YYYY-MM-DD or RFC 3339 [default: the oldest stored].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub from: Option<i64>,
    /// Last candle to include: YYYY-MM-DD or RFC 3339 [default: the newest stored].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub to: Option<i64>,
    /// Output file; '-' is stdout [default: a timestamped file in the data dir].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// The store to copy into: sqlite:PATH (the file is created) or
    /// postgres://USER[:PW]@HOST[:PORT]/DB (the database must exist; its tables are created).
    /// What it holds already is kept.
    #[arg(long, value_name = "STORE")]
    pub to: String,
    /// Where the target holds a different candle for the same series and time, the source's
    /// wins (by default the target's is kept, and the conflict is counted and shown).
    #[arg(long)]
    pub overwrite: bool,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// One JSON object on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
    /// A smaller run (under 20 s) with the same keys.
    #[arg(long)]
    pub quick: bool,
}

/// DATE is `YYYY-MM-DD` (midnight UTC) or RFC 3339; the result is Unix milliseconds.
pub fn parse_date(s: &str) -> Result<i64, String> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let dt = d.and_hms_opt(0, 0, 0).ok_or("invalid date")?.and_utc();
        return Ok(dt.timestamp_millis());
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.timestamp_millis())
        .map_err(|_| format!("{s:?} is not a date (expected YYYY-MM-DD or RFC 3339)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn dates() {
        assert_eq!(parse_date("2019-10-11").unwrap(), 1_570_752_000_000);
        assert_eq!(
            parse_date("2019-10-11T00:01:00Z").unwrap(),
            1_570_752_060_000
        );
        assert!(parse_date("yesterday").is_err());
    }

    #[test]
    fn backfill_flag_spelling_parses() {
        let args = ["cryptoviz", "--data-dir", "d", "--backfill", "--days", "3"];
        let cli = Cli::try_parse_from(flag_spellings(args.map(Into::into))).unwrap();
        match cli.command {
            Some(Command::Backfill(a)) => assert_eq!(a.days, Some(3)),
            other => panic!("{other:?}"),
        }
        // Only where a command would stand: an argument of a command is left alone.
        let args = ["cryptoviz", "news", "--feed", "--backfill"];
        assert_eq!(flag_spellings(args.map(Into::into))[3], "--backfill");
        // The dashboard's help no longer lists backfill's options as its own.
        let help = Cli::command().render_help().to_string();
        assert!(
            !help.contains("--days") && !help.contains("--timeframes"),
            "{help}"
        );
        let cli =
            Cli::try_parse_from(["cryptoviz", "backfill", "--symbols", "btcusdt,ETHUSDT"]).unwrap();
        match cli.command {
            Some(Command::Backfill(a)) => assert_eq!(a.symbols.len(), 2),
            other => panic!("{other:?}"),
        }
    }
}
