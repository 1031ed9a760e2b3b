//! Everything the App needs from the outside world at start, validated up front so a bad
//! `[ui]` section is a config error (exit 2) before the terminal is touched.

use std::path::PathBuf;

use super::keymap::{Keymap, KeymapError};
use super::theme::{Theme, ThemeError};
use super::time::TimeZone;
use crate::config::{Composite, Config, FreshnessConfig};
use crate::domain::{Symbol, Timeframe};
use crate::indicators::IndicatorParams;

#[derive(Clone, Debug)]
pub struct AppSettings {
    /// The watchlist, in order.
    pub symbols: Vec<Symbol>,
    /// The markets among `symbols` that were added from the dashboard (stored, removable);
    /// the rest come from the config.
    pub added: Vec<Symbol>,
    /// Timeframes with data, ascending.
    pub timeframes: Vec<Timeframe>,
    /// Shown first (default: the first symbol / the shortest timeframe).
    pub symbol: Option<Symbol>,
    pub timeframe: Option<Timeframe>,
    pub demo: bool,
    /// Attached read-only to a data dir another process (a collector) writes.
    pub attached: bool,
    /// The shared store followed, as shown (`postgres host:port/db`); None for a data dir.
    pub attached_to: Option<String>,
    /// Where `e` writes reports.
    pub data_dir: PathBuf,
    pub keymap: Keymap,
    pub theme: Theme,
    pub freshness: FreshnessConfig,
    pub tz: TimeZone,
    pub indicators: IndicatorParams,
    /// `[indicators] overlays` then `panes` (SPEC §8), for reports.
    pub chosen: Vec<crate::indicators::spec::Spec>,
    /// Shown from the store only: a `--symbol` or `--timeframe` the stream does not carry.
    pub history_only: HistoryOnly,
    /// The composites among `symbols`, with their members.
    pub composites: Vec<Composite>,
    /// `[market] basis`: each perp's reference spot market or composite.
    pub basis: Vec<(Symbol, Symbol)>,
    /// The `[[alerts]]` rules (for reports and the alerts on screen).
    pub alert_rules: Vec<crate::alerts::Rule>,
}

/// Symbols and timeframes on screen that no live source updates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryOnly {
    pub symbols: Vec<Symbol>,
    pub timeframes: Vec<Timeframe>,
}

impl HistoryOnly {
    pub fn covers(&self, symbol: Symbol, timeframe: Timeframe) -> bool {
        self.symbols.contains(&symbol) || self.timeframes.contains(&timeframe)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Keys(#[from] KeymapError),
    #[error(transparent)]
    Theme(#[from] ThemeError),
}

/// The `[ui]` keys and colours, which the keymap and the theme own: checked for every command
/// (a bad key is a config error even for `collect`), before anything starts.
pub fn check_ui(ui: &crate::config::UiConfig) -> Result<(), crate::config::Invalid> {
    Keymap::from_config(&ui.keys).map_err(|e| (e.key, e.message))?;
    Theme::from_config(ui, false).map_err(|e| {
        let message = e.to_string().replacen(&format!("{}: ", e.key), "", 1);
        (e.key.to_string(), message)
    })?;
    Ok(())
}

impl AppSettings {
    /// From the config; a `--symbol`/`--timeframe` outside the configured lists is added so
    /// the user still sees what the store holds for it.
    pub fn from_config(
        config: &Config,
        data_dir: PathBuf,
        demo: bool,
        symbol: Option<Symbol>,
        timeframe: Option<Timeframe>,
        no_color: bool,
    ) -> Result<AppSettings, SettingsError> {
        let mut history_only = HistoryOnly::default();
        let mut symbols = config.market.series_symbols();
        if let Some(s) = symbol
            && !symbols.contains(&s)
        {
            symbols.insert(0, s);
            history_only.symbols.push(s);
        }
        let mut timeframes = config.market.timeframes.clone();
        if let Some(t) = timeframe
            && !timeframes.contains(&t)
        {
            timeframes.push(t);
            timeframes.sort();
            history_only.timeframes.push(t);
        }
        Ok(AppSettings {
            symbols,
            added: Vec::new(),
            timeframes,
            symbol,
            timeframe,
            demo,
            attached: false,
            attached_to: None,
            data_dir,
            keymap: Keymap::from_config(&config.ui.keys)?,
            theme: Theme::from_config(&config.ui, no_color)?,
            freshness: config.freshness.clone(),
            tz: TimeZone::Local,
            indicators: config.indicators.params(),
            chosen: config.indicators.chosen(),
            history_only,
            composites: config.market.composites(),
            basis: config.market.basis.clone().into_iter().collect(),
            alert_rules: config.alert_rules().unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error of `check_ui` on a config's text, as one line.
    fn ui_err(text: &str) -> String {
        let config = Config::parse(text, std::path::Path::new("c.toml")).unwrap();
        let (key, message) = check_ui(&config.ui).unwrap_err();
        format!("{key}: {message}")
    }

    #[test]
    fn bad_keys_and_colours_are_named() {
        for (text, key) in [
            ("[ui]\ntheme = \"solarized\"\n", "ui.theme"),
            ("[ui]\nkeys = { quit = [\"j\"] }\n", "ui.keys.quit"),
            ("[ui]\nkeys = { warp = [\"w\"] }\n", "ui.keys.warp"),
            ("[ui]\nkeys = { quit = [\"hyper-q\"] }\n", "ui.keys.quit"),
        ] {
            let e = ui_err(text);
            assert!(e.contains(key), "{text}: {e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
        let e = ui_err("[ui]\nup_color = \"greenish\"\n");
        assert!(e.contains("ui.up_color") && e.contains("greenish"), "{e}");
        let fine = Config::parse("", std::path::Path::new("c.toml")).unwrap();
        assert_eq!(check_ui(&fine.ui), Ok(()));
    }
}
