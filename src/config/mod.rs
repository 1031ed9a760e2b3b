//! Configuration: defaults, then the TOML file, then environment and flags (applied by the CLI).
//! Every section denies unknown keys, and every error names the file and the key at fault.

mod alerts;
mod backfill;
mod bus;
pub mod indicators;
mod market;
mod portfolio;
mod ui;
mod venues;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::alerts::settings::NotifyConfig;
use crate::domain::Venue;
pub use crate::domain::check::Invalid;
pub use crate::domain::{Composite, Retention};
pub use crate::net::settings::NetConfig;
pub use crate::news::settings::NewsConfig;
pub use crate::store::settings::StorageConfig;
pub use alerts::AlertConfig;
pub use backfill::BackfillConfig;
pub use bus::{Auth, BusConfig, BusUrl};
pub use market::MarketConfig;
use market::sym;
pub use portfolio::PortfolioConfig;
pub use ui::{Freshness, FreshnessConfig, MetricsConfig, UiConfig};
pub use venues::{VenueEndpoints, VenuesConfig};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}{line}: {key}: {message}")]
    Invalid {
        path: PathBuf,
        /// ":LINE" when known.
        line: String,
        key: String,
        message: String,
    },
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub market: MarketConfig,
    pub venues: VenuesConfig,
    pub news: NewsConfig,
    pub storage: StorageConfig,
    pub backfill: BackfillConfig,
    pub net: NetConfig,
    pub ui: UiConfig,
    pub freshness: FreshnessConfig,
    pub metrics: MetricsConfig,
    pub indicators: indicators::IndicatorsConfig,
    /// `[[alerts]]`: rules on any series (SPEC §2).
    pub alerts: Vec<AlertConfig>,
    pub notify: NotifyConfig,
    /// `[portfolio]` (SPEC §6).
    pub portfolio: PortfolioConfig,
    /// `[bus]` (SPEC §7).
    pub bus: BusConfig,
}

impl Config {
    /// Reads `path`; a missing file is an error only when `explicit` (the user named it).
    pub fn load(path: &Path, explicit: bool) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                return Ok(Config::default().normalized());
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        Self::parse(&text, path)
    }

    /// Parses and validates TOML text; `path` only labels errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| toml_error(text, path, &e))?;
        let cfg = cfg.normalized();
        cfg.validate()
            .map_err(|(key, message)| ConfigError::Invalid {
                path: path.to_path_buf(),
                line: String::new(),
                key,
                message,
            })?;
        Ok(cfg)
    }

    fn normalized(mut self) -> Config {
        // v1 keys mean the default venue's endpoints.
        if let Some(ws) = &self.market.ws_url {
            self.venues[Venue::Binance].ws_url = ws.clone();
        }
        if let Some(rest) = &self.market.rest_url {
            self.venues[Venue::Binance].rest_url = rest.clone();
        }
        for c in self.market.composites() {
            for m in c.members {
                if m.venue() != Venue::Composite && !self.market.symbols.contains(&m) {
                    self.market.symbols.push(m);
                }
            }
        }
        self.market.timeframes.sort();
        self.market.timeframes.dedup();
        if self.net.ws_idle_timeout_secs == 0 {
            self.net.ws_idle_timeout_secs = 60;
        }
        self
    }

    /// The configuration `--demo` runs: when no composite is configured, the simulated market
    /// adds BTC on the four other venues, a BTC perp on each of the three perp venues and the
    /// composite `BTC-USD` of three spot venues, so venues, perps, composites and spreads all
    /// show offline.
    pub fn for_demo(mut self) -> Config {
        let btc = sym("BTCUSDT");
        if !self.market.composites.is_empty() || !self.market.symbols.contains(&btc) {
            return self;
        }
        let extra = [
            "coinbase:BTC-USD",
            "kraken:BTC/USD",
            "bybit:BTCUSDT",
            "okx:BTC-USDT",
            "binance-perp:BTCUSDT",
            "bybit-perp:BTCUSDT",
            "okx:BTC-USDT-SWAP",
        ]
        .map(sym);
        for s in extra {
            if !self.market.symbols.contains(&s) {
                self.market.symbols.push(s);
            }
        }
        self.market
            .composites
            .insert("BTC-USD".into(), vec![btc, extra[0], extra[1]]);
        self
    }

    /// Semantic checks serde cannot express, section by section; the error is (key, message).
    pub fn validate(&self) -> Result<(), Invalid> {
        self.market.validate()?;
        self.venues.validate()?;
        self.news.validate()?;
        self.notify.validate()?;
        self.storage.validate()?;
        self.alert_rules()?;
        self.backfill.validate()?;
        self.net.validate()?;
        self.indicators.validate()?;
        self.ui.validate()?;
        self.portfolio.validate()?;
        self.bus.validate()?;
        self.freshness.validate()?;
        self.metrics.validate()
    }
}

/// Turns toml's multi-line diagnostic into one line naming the file, the line and the key.
fn toml_error(text: &str, path: &Path, e: &toml::de::Error) -> ConfigError {
    let (line_no, key) = match e.span() {
        Some(span) => locate_key(text, span.start),
        None => (None, String::new()),
    };
    let message = e.message().replace('\n', " ");
    // serde names unknown fields itself ("unknown field `foo`"); prefer the dotted path.
    let key = if key.is_empty() {
        "(top level)".into()
    } else {
        key
    };
    ConfigError::Invalid {
        path: path.to_path_buf(),
        line: line_no.map(|n| format!(":{n}")).unwrap_or_default(),
        key,
        message,
    }
}

/// The 1-based line of byte `offset` and the dotted key defined on it (`market.symbols`).
fn locate_key(text: &str, offset: usize) -> (Option<usize>, String) {
    let offset = offset.min(text.len());
    let line_no = text[..offset].matches('\n').count() + 1;
    let mut table = String::new();
    let mut key = String::new();
    for (i, line) in text.lines().enumerate() {
        if i + 1 > line_no {
            break;
        }
        let l = line.trim();
        if l.starts_with('[') {
            table = l.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            key.clear();
        } else if let Some((k, _)) = l.split_once('=').filter(|_| !l.starts_with('#')) {
            key = k.trim().trim_matches('"').to_string();
        }
        if i + 1 == line_no && l.starts_with('[') {
            key.clear();
        }
    }
    let dotted = match (table.is_empty(), key.is_empty()) {
        (true, _) => key,
        (false, true) => table,
        (false, false) => format!("{table}.{key}"),
    };
    (Some(line_no), dotted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timeframe;

    fn err(text: &str) -> String {
        Config::parse(text, Path::new("c.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn defaults_match_the_spec() {
        let c = Config::parse("", Path::new("c.toml")).unwrap();
        assert_eq!(c.market.symbols.len(), 2);
        assert_eq!(c.market.timeframes, Timeframe::ALL.to_vec());
        assert_eq!(c.news.interval_secs, 120);
        assert_eq!(c.storage.retention_for(Timeframe::M1), Retention(7, 30));
        assert_eq!(c.storage.retention_for(Timeframe::D1), Retention(0, 0));
        assert_eq!(c.backfill.days, 30);
        assert_eq!(c.backfill.gap_threshold_secs, 120);
    }

    #[test]
    fn venues_and_composites() {
        let c = Config::parse(
            r#"[market]
symbols = ["BTCUSDT", "kraken:btc/usd"]
composites = { "BTC-USD" = ["binance:BTCUSDT", "coinbase:BTC-USD", "kraken:BTC/USD"] }
[venues.kraken]
ws_url = "ws://127.0.0.1:1"
rest_url = "http://127.0.0.1:2"
"#,
            Path::new("c.toml"),
        )
        .unwrap();
        // Members not listed are streamed anyway.
        let names: Vec<String> = c.market.symbols.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            names,
            ["binance:BTCUSDT", "kraken:BTC/USD", "coinbase:BTC-USD"]
        );
        assert_eq!(
            c.market.venues(),
            [Venue::Binance, Venue::Coinbase, Venue::Kraken]
        );
        assert_eq!(c.venues[Venue::Kraken].ws_url, "ws://127.0.0.1:1");
        assert_eq!(
            c.venues[Venue::Coinbase].ws_url,
            "wss://ws-feed.exchange.coinbase.com"
        );
        let comp = c.market.composites();
        assert_eq!(comp[0].symbol.to_string(), "composite:BTC-USD");
        assert_eq!(c.market.series_symbols().len(), 4);

        // The v1 keys still mean the default venue's endpoints.
        let c = Config::parse(
            "[market]\nexchange = \"binance\"\nws_url = \"ws://127.0.0.1:3\"\nrest_url = \"http://127.0.0.1:4\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(c.venues[Venue::Binance].ws_url, "ws://127.0.0.1:3");
        assert_eq!(c.venues[Venue::Binance].rest_url, "http://127.0.0.1:4");

        for (text, key) in [
            ("[market]\nexchange = \"kraken\"\n", "market.exchange"),
            ("[market]\nsymbols = [\"ftx:BTCUSD\"]\n", "market.symbols"),
            ("[market]\nsymbols = [\"composite:X\"]\n", "market.symbols"),
            (
                "[market]\ncomposites = { \"X\" = [\"BTCUSDT\"] }\n",
                "market.composites.X",
            ),
            (
                "[market]\ncomposites = { \"X\" = [\"BTCUSDT\", \"BTCUSDT\"] }\n",
                "market.composites.X",
            ),
            (
                "[market]\ncomposites = { \"a b\" = [\"BTCUSDT\", \"okx:BTC-USDT\"] }\n",
                "market.composites.a b",
            ),
            (
                "[venues.okx]\nws_url = \"http://x\"\nrest_url = \"https://y\"\n",
                "venues.okx.ws_url",
            ),
            ("[venues.ftx]\nws_url = \"ws://x\"\n", "venues.ftx"),
            // A venue's section is its registry name: not a composite, not another spelling.
            (
                "[venues.composite]\nws_url = \"ws://x\"\n",
                "unknown venue `composite`",
            ),
            (
                "[venues.Kraken]\nws_url = \"ws://x\"\n",
                "unknown venue `Kraken`",
            ),
        ] {
            let e = err(text);
            assert!(e.contains(key), "{text:?}: {e}");
        }
    }

    #[test]
    fn the_example_file_parses() {
        let text = include_str!("../../config.example.toml");
        Config::parse(text, Path::new("config.example.toml")).unwrap();
    }

    #[test]
    fn values_that_hang_or_overflow_are_refused() {
        for (text, key) in [
            (
                "[net.breaker]\nfailure_threshold = 0\n",
                "net.breaker.failure_threshold",
            ),
            ("[net.breaker]\nopen_secs = 0\n", "net.breaker.open_secs"),
            ("[backfill]\ndays = 1000000000\n", "backfill.days"),
            ("[news]\nmax_body_bytes = 0\n", "news.max_body_bytes"),
            (
                "[news]\ninterval_secs = 18446744073709551000\n",
                "news.interval_secs",
            ),
            (
                "[news]\nmax_items_per_feed = 0\n",
                "news.max_items_per_feed",
            ),
            ("[news]\nretention_days = 0\n", "news.retention_days"),
            ("[news]\nsentiment = \"finbert\"\n", "news.sentiment"),
            ("[storage]\nbatch_ms = 0\n", "storage.batch_ms"),
            (
                "[storage]\nretention = { \"1m\" = [7, 4000000] }\n",
                "storage.retention.1m",
            ),
            (
                "[net]\nws_idle_timeout_secs = 100000\n",
                "net.ws_idle_timeout_secs",
            ),
            (
                "[net.backoff]\nmultiplier = 1e300\n",
                "net.backoff.multiplier",
            ),
            (
                "[net.backoff]\ninitial_ms = 9000000\nmax_ms = 9000000\n",
                "net.backoff.initial_ms",
            ),
            (
                "[freshness]\nnews = { warning = 1, critical = 99999999999 }\n",
                "freshness.news.critical",
            ),
            (
                "[market]\nsymbols = [\"BTCUSDT\", \"ETHUSDT\", \"btcusdt\"]\n",
                "market.symbols",
            ),
        ] {
            let e = err(text);
            assert!(e.contains(key), "{text}: {e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
        assert!(err("[backfill]\ndays = 0\n").contains("0 is out of range (1 to 5000)"));
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = err("[market]\nsymbol = [\"BTCUSDT\"]\n");
        assert!(e.contains("c.toml:2"), "{e}");
        assert!(e.contains("market.symbol"), "{e}");
        assert!(e.contains("unknown field"), "{e}");
        let e = err("[markets]\n");
        assert!(e.contains("markets"), "{e}");
    }

    #[test]
    fn bad_values_are_named() {
        let e = err("[news]\ninterval_secs = \"often\"\n");
        assert!(e.contains("news.interval_secs"), "{e}");
        let e = err("[market]\nsymbols = [\"BTC/USDT\"]\n");
        assert!(e.contains("market.symbols"), "{e}");
        let e = err("[market]\ntimeframes = [\"2m\"]\n");
        assert!(e.contains("market.timeframes") && e.contains("2m"), "{e}");
        let e = err("[storage]\nretention = { \"7m\" = [1, 2] }\n");
        assert!(e.contains("storage.retention.7m"), "{e}");
        let e = err("[market]\nws_url = \"http://x\"\n");
        assert!(e.contains("market.ws_url"), "{e}");
        let e = err("[net.backoff]\njitter = 3.0\n");
        assert!(e.contains("net.backoff.jitter"), "{e}");
        assert!(!e.contains('\n'), "one line: {e}");
    }
}
