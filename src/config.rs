//! Configuration: defaults, then the TOML file, then environment and flags (applied by the CLI).
//! Every section denies unknown keys, and every error names the file and the key at fault.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::domain::Composite;
use crate::domain::{Symbol, Timeframe, Venue};
use crate::net::{BackoffPolicy, BreakerPolicy};

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
    pub indicators: crate::indicators::IndicatorParams,
    /// `[[alerts]]`: rules on any series (SPEC §2).
    pub alerts: Vec<AlertConfig>,
    pub notify: NotifyConfig,
}

/// One `[[alerts]]` table as written; [`Config::alert_rules`] checks and parses it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertConfig {
    pub name: String,
    #[serde(default)]
    pub symbol: Option<Symbol>,
    #[serde(default = "default_alert_timeframe")]
    pub timeframe: Timeframe,
    pub when: String,
    #[serde(default = "default_repeat")]
    pub repeat: crate::alerts::Repeat,
    #[serde(default)]
    pub rearm_secs: u64,
    #[serde(default = "default_notify")]
    pub notify: Vec<crate::alerts::Channel>,
}

fn default_alert_timeframe() -> Timeframe {
    Timeframe::M1
}

fn default_repeat() -> crate::alerts::Repeat {
    crate::alerts::Repeat::Once
}

fn default_notify() -> Vec<crate::alerts::Channel> {
    vec![crate::alerts::Channel::Bell]
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    /// Each firing is POSTed here as JSON (`Idempotency-Key: <id>`); empty = no webhook.
    pub webhook_url: String,
    /// argv run for each firing (no shell), the firing as JSON on stdin; empty = none.
    pub command: Vec<String>,
    /// A webhook call or a command longer than this fails (the command is killed).
    pub timeout_secs: u64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            webhook_url: String::new(),
            command: Vec::new(),
            timeout_secs: 10,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketConfig {
    /// Streamed markets, `VENUE:SYMBOL` (a bare symbol is a Binance one). Members of
    /// composites are added when missing.
    pub symbols: Vec<Symbol>,
    pub timeframes: Vec<Timeframe>,
    /// Name -> members: `composite:NAME` is built from the members' merged trades.
    pub composites: BTreeMap<String, Vec<Symbol>>,
    /// v1 spellings of `[venues.binance]`, still accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ws_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rest_url: Option<String>,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig {
            symbols: vec![sym("BTCUSDT"), sym("ETHUSDT")],
            timeframes: Timeframe::ALL.to_vec(),
            composites: BTreeMap::new(),
            exchange: None,
            ws_url: None,
            rest_url: None,
        }
    }
}

impl MarketConfig {
    pub fn composites(&self) -> Vec<Composite> {
        self.composites
            .iter()
            .filter_map(|(name, members)| {
                Some(Composite {
                    symbol: Symbol::on(Venue::Composite, name.as_bytes())?,
                    members: members.clone(),
                })
            })
            .collect()
    }

    /// Every series kept: the streamed symbols, then the composites.
    pub fn series_symbols(&self) -> Vec<Symbol> {
        let mut all = self.symbols.clone();
        all.extend(self.composites().into_iter().map(|c| c.symbol));
        all
    }

    /// These markets streamed as well (those added from the dashboard), after the configured
    /// ones; a market already configured is not repeated.
    pub fn with_added(&self, added: &[Symbol]) -> MarketConfig {
        let mut m = self.clone();
        for s in added {
            if !m.symbols.contains(s) {
                m.symbols.push(*s);
            }
        }
        m
    }

    /// The venues that have at least one streamed symbol.
    pub fn venues(&self) -> Vec<Venue> {
        Venue::EXCHANGES
            .into_iter()
            .filter(|v| self.symbols.iter().any(|s| s.venue() == *v))
            .collect()
    }

    pub fn symbols_on(&self, venue: Venue) -> Vec<Symbol> {
        self.symbols
            .iter()
            .copied()
            .filter(|s| s.venue() == venue)
            .collect()
    }
}

/// One venue's endpoints; tests point them at 127.0.0.1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VenueEndpoints {
    /// The WebSocket endpoint, used as it is (Binance's is a base for the stream path).
    pub ws_url: String,
    /// The base of the venue's REST API.
    pub rest_url: String,
    /// Where the venue's order books stream when not on `ws_url` (OKX: its public endpoint;
    /// its business one carries `trades-all`). Only a dashboard connects there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub book_ws_url: Option<String>,
}

impl VenueEndpoints {
    fn new(ws: &str, rest: &str) -> Self {
        VenueEndpoints {
            ws_url: ws.into(),
            rest_url: rest.into(),
            book_ws_url: None,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VenuesConfig {
    pub binance: VenueEndpoints,
    pub coinbase: VenueEndpoints,
    pub kraken: VenueEndpoints,
    pub bybit: VenueEndpoints,
    pub okx: VenueEndpoints,
}

impl Default for VenuesConfig {
    fn default() -> Self {
        VenuesConfig {
            binance: VenueEndpoints::new(
                "wss://data-stream.binance.vision",
                "https://data-api.binance.vision",
            ),
            coinbase: VenueEndpoints {
                book_ws_url: Some("wss://advanced-trade-ws.coinbase.com".into()),
                ..VenueEndpoints::new(
                    "wss://ws-feed.exchange.coinbase.com",
                    "https://api.exchange.coinbase.com",
                )
            },
            kraken: VenueEndpoints::new("wss://ws.kraken.com/v2", "https://api.kraken.com"),
            bybit: VenueEndpoints::new(
                "wss://stream.bybit.com/v5/public/spot",
                "https://api.bybit.com",
            ),
            okx: VenueEndpoints {
                book_ws_url: Some("wss://ws.okx.com:8443/ws/v5/public".into()),
                ..VenueEndpoints::new(
                    "wss://ws.okx.com:8443/ws/v5/business",
                    "https://www.okx.com",
                )
            },
        }
    }
}

impl VenuesConfig {
    /// The endpoints of an exchange (a composite has none: its data comes from its members).
    pub fn get(&self, venue: Venue) -> Option<&VenueEndpoints> {
        match venue {
            Venue::Binance => Some(&self.binance),
            Venue::Coinbase => Some(&self.coinbase),
            Venue::Kraken => Some(&self.kraken),
            Venue::Bybit => Some(&self.bybit),
            Venue::Okx => Some(&self.okx),
            Venue::Composite => None,
        }
    }

    pub fn get_mut(&mut self, venue: Venue) -> Option<&mut VenueEndpoints> {
        match venue {
            Venue::Binance => Some(&mut self.binance),
            Venue::Coinbase => Some(&mut self.coinbase),
            Venue::Kraken => Some(&mut self.kraken),
            Venue::Bybit => Some(&mut self.bybit),
            Venue::Okx => Some(&mut self.okx),
            Venue::Composite => None,
        }
    }
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap_or_else(|_| unreachable!("built-in symbol {s} is valid"))
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewsConfig {
    pub feeds: Vec<String>,
    pub interval_secs: u64,
    /// Whole-request timeout for one feed.
    pub timeout_secs: u64,
    /// Bodies larger than this are refused (a feed is text; megabytes mean something is wrong).
    pub max_body_bytes: u64,
    /// At most this many items are taken from one feed per poll (the newest): a feed that
    /// invents new items on every poll cannot flood the store.
    pub max_items_per_feed: usize,
    /// Stored news older than this many days is deleted after each poll.
    pub retention_days: u32,
    /// The headline scorer: "model" (trained on labelled crypto headlines) or "vader".
    pub sentiment: String,
}

impl Default for NewsConfig {
    fn default() -> Self {
        NewsConfig {
            feeds: vec![
                "https://www.coindesk.com/arc/outboundfeeds/rss/".into(),
                "https://cointelegraph.com/rss".into(),
            ],
            interval_secs: 120,
            timeout_secs: 15,
            max_body_bytes: 5 * 1024 * 1024,
            max_items_per_feed: 100,
            retention_days: 90,
            sentiment: "model".into(),
        }
    }
}

/// Days hot, then days cold, per timeframe; 0 means forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention(pub u32, pub u32);

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// The store (SPEC §1 STORE): empty = `cryptoviz.db` in the data dir, `sqlite:PATH` or
    /// `postgres://…`.
    pub url: String,
    pub retention: BTreeMap<String, Retention>,
    /// Write batches close at this many rows or this many milliseconds, whichever comes first.
    pub batch_rows: usize,
    pub batch_ms: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        let retention = [
            ("1m", Retention(7, 30)),
            ("5m", Retention(14, 90)),
            ("15m", Retention(30, 180)),
            ("1h", Retention(90, 730)),
            ("1d", Retention(0, 0)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        StorageConfig {
            url: String::new(),
            retention,
            batch_rows: 500,
            batch_ms: 100,
        }
    }
}

impl StorageConfig {
    pub fn retention_for(&self, tf: Timeframe) -> Retention {
        self.retention
            .get(tf.as_str())
            .copied()
            .unwrap_or(Retention(0, 0))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackfillConfig {
    pub days: u32,
    pub gap_threshold_secs: u64,
    /// Share of each venue's request budget (Binance: 6,000 weight a minute) cryptoviz allows itself.
    pub weight_share: f64,
}

impl Default for BackfillConfig {
    fn default() -> Self {
        BackfillConfig {
            days: 30,
            gap_threshold_secs: 120,
            weight_share: 0.5,
        }
    }
}

/// Retry policy shared by every outbound client.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetConfig {
    pub backoff: BackoffPolicy,
    pub breaker: BreakerPolicy,
    /// A WebSocket silent for this long is treated as dead and reconnected.
    pub ws_idle_timeout_secs: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// Upper bound on redraws per second; nothing is drawn when nothing changed.
    pub fps: u32,
    pub up_color: String,
    pub down_color: String,
    /// "dark" (for dark backgrounds, the default) or "light".
    pub theme: String,
    /// Key remapping: action name -> list of keys, e.g. `quit = ["q", "ctrl-c"]`.
    pub keys: BTreeMap<String, Vec<String>>,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            fps: 30,
            up_color: "green".into(),
            down_color: "red".into(),
            theme: "dark".into(),
            keys: BTreeMap::new(),
        }
    }
}

/// Age thresholds in seconds: younger than `warning` is good, older than `critical` is critical.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Freshness {
    pub warning: u64,
    pub critical: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FreshnessConfig {
    pub trades: Freshness,
    pub candles: Freshness,
    pub news: Freshness,
}

impl Default for FreshnessConfig {
    fn default() -> Self {
        FreshnessConfig {
            trades: Freshness {
                warning: 10,
                critical: 60,
            },
            candles: Freshness {
                warning: 120,
                critical: 600,
            },
            news: Freshness {
                warning: 600,
                critical: 3600,
            },
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Loopback address for /metrics and the health probes; empty = off.
    pub listen: String,
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
            self.venues.binance.ws_url = ws.clone();
        }
        if let Some(rest) = &self.market.rest_url {
            self.venues.binance.rest_url = rest.clone();
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
    /// adds BTC on the four other venues and the composite `BTC-USD` of three of them, so
    /// venues, composites and spreads all show offline.
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

    /// The `[[alerts]]` rules, checked: unique names, conditions that parse, a series where
    /// the condition needs one, channels that are configured. The error is (key, message).
    pub fn alert_rules(&self) -> Result<Vec<crate::alerts::Rule>, (String, String)> {
        use crate::alerts::{Channel, Condition, Rule};
        let mut rules: Vec<Rule> = Vec::new();
        for (i, a) in self.alerts.iter().enumerate() {
            let key = |k: &str| format!("alerts[{i}].{k}");
            let name = a.name.trim();
            if name.is_empty() || name.chars().count() > 100 {
                return Err((key("name"), "needs 1 to 100 characters".into()));
            }
            if rules.iter().any(|r| r.name == name) {
                return Err((key("name"), format!("{name:?} is used twice")));
            }
            let condition = Condition::parse(&a.when).map_err(|e| (key("when"), e.to_string()))?;
            let needs_symbol = !matches!(condition, Condition::Sentiment { .. });
            if needs_symbol && a.symbol.is_none() {
                return Err((key("symbol"), format!("{:?} needs a symbol", a.when)));
            }
            if let Condition::Spread { .. } = condition
                && !a
                    .symbol
                    .is_some_and(|s| self.market.composites().iter().any(|c| c.symbol == s))
            {
                return Err((
                    key("symbol"),
                    "spread_bps needs a composite of [market] composites".into(),
                ));
            }
            range(&key("rearm_secs"), a.rearm_secs, 0, 30 * 86_400)?;
            if a.notify.contains(&Channel::Webhook) && self.notify.webhook_url.is_empty() {
                return Err((key("notify"), "webhook needs [notify] webhook_url".into()));
            }
            if a.notify.contains(&Channel::Command) && self.notify.command.is_empty() {
                return Err((key("notify"), "command needs [notify] command".into()));
            }
            let mut notify = a.notify.clone();
            notify.sort();
            notify.dedup();
            rules.push(Rule {
                name: name.to_string(),
                symbol: a.symbol,
                timeframe: a.timeframe,
                when: a.when.trim().to_string(),
                condition,
                repeat: a.repeat,
                rearm_secs: a.rearm_secs,
                notify,
            });
        }
        Ok(rules)
    }

    /// Semantic checks serde cannot express; the error is (key, message).
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |k: &str, m: &str| Err((k.to_string(), m.to_string()));
        if let Some(e) = self.market.exchange.as_deref()
            && Venue::parse(e) != Some(Venue::DEFAULT)
        {
            return Err((
                "market.exchange".into(),
                format!(
                    "{e:?}: this v1 key only means \"{}\"; name other venues in the symbols (VENUE:SYMBOL)",
                    Venue::DEFAULT
                ),
            ));
        }
        // A v1 key is named as the user wrote it.
        if let Some(ws) = &self.market.ws_url
            && !(ws.starts_with("ws://") || ws.starts_with("wss://"))
        {
            return bad("market.ws_url", "must start with ws:// or wss://");
        }
        if let Some(rest) = &self.market.rest_url
            && !is_http_url(rest)
        {
            return bad("market.rest_url", "must start with http:// or https://");
        }
        for v in Venue::EXCHANGES {
            let Some(ep) = self.venues.get(v) else {
                continue;
            };
            if !(ep.ws_url.starts_with("ws://") || ep.ws_url.starts_with("wss://")) {
                return bad(
                    &format!("venues.{v}.ws_url"),
                    "must start with ws:// or wss://",
                );
            }
            if !is_http_url(&ep.rest_url) {
                return bad(
                    &format!("venues.{v}.rest_url"),
                    "must start with http:// or https://",
                );
            }
        }
        if self.market.symbols.is_empty() {
            return bad("market.symbols", "needs at least one symbol");
        }
        for (i, s) in self.market.symbols.iter().enumerate() {
            if self.market.symbols[..i].contains(s) {
                return Err(("market.symbols".into(), format!("{s} is listed twice")));
            }
            if s.venue() == Venue::Composite {
                return Err((
                    "market.symbols".into(),
                    format!("{s}: composites are defined in market.composites, not streamed"),
                ));
            }
        }
        for (name, members) in &self.market.composites {
            let key = format!("market.composites.{name}");
            if Symbol::on(Venue::Composite, name.as_bytes()).is_none() {
                return Err((
                    key,
                    "a composite's name must be 1 to 22 letters, digits, '-', '/', '_' or '.'"
                        .into(),
                ));
            }
            if members.len() < 2 {
                return Err((key, "needs at least two members".into()));
            }
            for (i, m) in members.iter().enumerate() {
                if m.venue() == Venue::Composite {
                    return Err((key, format!("{m}: a composite cannot be a member")));
                }
                if members[..i].contains(m) {
                    return Err((key, format!("{m} is listed twice")));
                }
            }
        }
        if self.market.timeframes.is_empty() {
            return bad("market.timeframes", "needs at least one timeframe");
        }
        if let Some(f) = self.news.feeds.iter().find(|f| !is_http_url(f)) {
            return Err((
                "news.feeds".into(),
                format!("{f:?} must start with http:// or https://"),
            ));
        }
        let n = &self.news;
        range("news.interval_secs", n.interval_secs, 1, 86_400)?;
        range("news.timeout_secs", n.timeout_secs, 1, 600)?;
        range("news.max_body_bytes", n.max_body_bytes, 1024, 64 << 20)?;
        range(
            "news.max_items_per_feed",
            n.max_items_per_feed as u64,
            1,
            10_000,
        )?;
        range("news.retention_days", n.retention_days.into(), 1, 36_500)?;
        range("notify.timeout_secs", self.notify.timeout_secs, 1, 600)?;
        crate::store::StoreUrl::parse(&self.storage.url)
            .map_err(|e| ("storage.url".to_string(), e.to_string()))?;
        if !self.notify.webhook_url.is_empty() && !is_http_url(&self.notify.webhook_url) {
            return bad("notify.webhook_url", "must start with http:// or https://");
        }
        self.alert_rules()?;
        if !matches!(n.sentiment.as_str(), "model" | "vader") {
            return Err((
                "news.sentiment".into(),
                format!("{:?}: expected \"model\" or \"vader\"", n.sentiment),
            ));
        }
        for (k, Retention(hot, cold)) in &self.storage.retention {
            let key = format!("storage.retention.{k}");
            if Timeframe::parse(k).is_err() {
                return Err((
                    key,
                    "unknown timeframe (expected 1m, 5m, 15m, 1h or 1d)".into(),
                ));
            }
            if *hot == 0 && *cold != 0 {
                return Err((
                    key,
                    "a cold window needs a hot window (hot 0 keeps everything hot forever)".into(),
                ));
            }
            if hot.max(cold) > &36_500 {
                return Err((key, "days must be at most 36500 (0 = forever)".into()));
            }
        }
        range(
            "storage.batch_rows",
            self.storage.batch_rows as u64,
            1,
            100_000,
        )?;
        range("storage.batch_ms", self.storage.batch_ms, 1, 60_000)?;
        range("backfill.days", self.backfill.days.into(), 1, 5_000)?;
        range(
            "backfill.gap_threshold_secs",
            self.backfill.gap_threshold_secs,
            1,
            604_800,
        )?;
        if !(self.backfill.weight_share > 0.0 && self.backfill.weight_share <= 1.0) {
            return bad("backfill.weight_share", "must be in (0, 1]");
        }
        if let Some((k, m)) = self.net.backoff.problems().into_iter().next() {
            return Err((format!("net.backoff.{k}"), m));
        }
        let b = &self.net.breaker;
        range(
            "net.breaker.failure_threshold",
            b.failure_threshold.into(),
            1,
            1_000,
        )?;
        range("net.breaker.open_secs", b.open_secs, 1, 3_600)?;
        range(
            "net.ws_idle_timeout_secs",
            self.net.ws_idle_timeout_secs,
            1,
            3_600,
        )?;
        if let Err(e) = self.indicators.validate() {
            return Err(("indicators".into(), e.to_string()));
        }
        if self.ui.fps == 0 || self.ui.fps > 240 {
            return bad("ui.fps", "must be between 1 and 240");
        }
        if let Err(e) = crate::app::keymap::Keymap::from_config(&self.ui.keys) {
            return Err((e.key, e.message));
        }
        if let Err(e) = crate::ui::theme::Theme::from_config(&self.ui, false) {
            return Err((
                e.key.to_string(),
                e.to_string().replacen(&format!("{}: ", e.key), "", 1),
            ));
        }
        for (name, f) in [
            ("trades", self.freshness.trades),
            ("candles", self.freshness.candles),
            ("news", self.freshness.news),
        ] {
            range(
                &format!("freshness.{name}.critical"),
                f.critical,
                1,
                2_592_000,
            )?;
            if f.warning > f.critical {
                return Err((
                    format!("freshness.{name}"),
                    "warning must be <= critical".into(),
                ));
            }
        }
        if !self.metrics.listen.is_empty() {
            match self.metrics.listen.parse::<std::net::SocketAddr>() {
                Ok(a) if a.ip().is_loopback() => {}
                Ok(_) => return bad("metrics.listen", "must be a loopback address"),
                Err(_) => return bad("metrics.listen", "must be an address like 127.0.0.1:9187"),
            }
        }
        Ok(())
    }
}

/// `key` must lie in `lo..=hi`; the error names both bounds.
fn range(key: &str, value: u64, lo: u64, hi: u64) -> Result<(), (String, String)> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err((
            key.to_string(),
            format!("{value} is out of range ({lo} to {hi})"),
        ))
    }
}

fn is_http_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
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
        assert_eq!(c.venues.kraken.ws_url, "ws://127.0.0.1:1");
        assert_eq!(
            c.venues.coinbase.ws_url,
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
        assert_eq!(c.venues.binance.ws_url, "ws://127.0.0.1:3");
        assert_eq!(c.venues.binance.rest_url, "http://127.0.0.1:4");

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
        ] {
            let e = err(text);
            assert!(e.contains(key), "{text:?}: {e}");
        }
    }

    #[test]
    fn the_example_file_parses() {
        let text = include_str!("../config.example.toml");
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
            ("[ui]\ntheme = \"solarized\"\n", "ui.theme"),
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
            ("[ui]\nkeys = { quit = [\"j\"] }\n", "ui.keys.quit"),
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
        let e = err("[ui]\nkeys = { warp = [\"w\"] }\n");
        assert!(e.contains("ui.keys.warp"), "{e}");
        let e = err("[ui]\nkeys = { quit = [\"hyper-q\"] }\n");
        assert!(e.contains("ui.keys.quit"), "{e}");
        let e = err("[ui]\nup_color = \"greenish\"\n");
        assert!(e.contains("ui.up_color") && e.contains("greenish"), "{e}");
        let e = err("[net.backoff]\njitter = 3.0\n");
        assert!(e.contains("net.backoff.jitter"), "{e}");
        assert!(!e.contains('\n'), "one line: {e}");
    }
}
