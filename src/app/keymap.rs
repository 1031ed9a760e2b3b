//! Key bindings as a table of data: every action has a config name, a help text and default
//! keys; `ui.keys` in the config replaces an action's keys. The help popup is generated from
//! the same table, so it can never disagree with what the keys do.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Everything a key can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    Help,
    Close,
    Timeframe1,
    Timeframe2,
    Timeframe3,
    Timeframe4,
    Timeframe5,
    TimeframePrev,
    TimeframeNext,
    Up,
    Down,
    Open,
    FocusNext,
    FocusPrev,
    Search,
    RemoveSymbol,
    SortWatchlist,
    ZoomIn,
    ZoomOut,
    PanLeft,
    PanRight,
    Oldest,
    Latest,
    NewsFilter,
    Export,
    Refresh,
    Freeze,
    Crosshair,
    AlertNew,
    Alerts,
    ToggleVolume,
    ToggleRsi,
    ToggleMacd,
    ToggleMomentum,
    ToggleFunding,
    ToggleOpenInterest,
    ToggleBasis,
    Layout,
    Portfolio,
    Indicators,
    Equity,
}

/// One row of the binding table.
pub struct ActionInfo {
    pub action: Action,
    /// The name under `ui.keys` in the config.
    pub name: &'static str,
    pub help: &'static str,
    pub defaults: &'static [&'static str],
}

/// The table: order is the help popup's order.
pub const ACTIONS: &[ActionInfo] = &[
    row(Action::Quit, "quit", "Quit", &["q", "ctrl-c"]),
    row(Action::Help, "help", "Toggle this help", &["?", "f1"]),
    row(Action::Close, "close", "Close popup", &["esc"]),
    row(
        Action::Timeframe1,
        "timeframe_1",
        "Timeframe 1 (1m)",
        &["1"],
    ),
    row(
        Action::Timeframe2,
        "timeframe_2",
        "Timeframe 2 (5m)",
        &["2"],
    ),
    row(
        Action::Timeframe3,
        "timeframe_3",
        "Timeframe 3 (15m)",
        &["3"],
    ),
    row(
        Action::Timeframe4,
        "timeframe_4",
        "Timeframe 4 (1h)",
        &["4"],
    ),
    row(
        Action::Timeframe5,
        "timeframe_5",
        "Timeframe 5 (1d)",
        &["5"],
    ),
    row(
        Action::TimeframePrev,
        "timeframe_prev",
        "Shorter timeframe",
        &["["],
    ),
    row(
        Action::TimeframeNext,
        "timeframe_next",
        "Longer timeframe",
        &["]"],
    ),
    row(Action::Up, "up", "Previous symbol / item", &["up", "k"]),
    row(Action::Down, "down", "Next symbol / item", &["down", "j"]),
    row(
        Action::Open,
        "open",
        "Open the selected news item",
        &["enter"],
    ),
    row(
        Action::FocusNext,
        "focus_next",
        "Focus next panel",
        &["tab"],
    ),
    row(
        Action::FocusPrev,
        "focus_prev",
        "Focus previous panel",
        &["backtab"],
    ),
    row(
        Action::Search,
        "search",
        "Search every market (Enter shows or adds it)",
        &["/"],
    ),
    row(
        Action::RemoveSymbol,
        "remove_symbol",
        "Remove the shown market (if added here)",
        &["D"],
    ),
    row(
        Action::SortWatchlist,
        "sort_watchlist",
        "Sort watchlist: change, range, volume, name",
        &["s"],
    ),
    row(
        Action::ZoomIn,
        "zoom_in",
        "Zoom in (also mouse wheel)",
        &["+", "="],
    ),
    row(
        Action::ZoomOut,
        "zoom_out",
        "Zoom out (also mouse wheel)",
        &["-"],
    ),
    row(
        Action::PanLeft,
        "pan_left",
        "Pan to older candles",
        &["left", "h"],
    ),
    row(
        Action::PanRight,
        "pan_right",
        "Pan to newer candles",
        &["right", "l"],
    ),
    row(
        Action::Oldest,
        "oldest",
        "Jump to the oldest candle",
        &["g", "home"],
    ),
    row(
        Action::Latest,
        "latest",
        "Jump to the latest candle (live)",
        &["G", "end"],
    ),
    row(
        Action::NewsFilter,
        "news_filter",
        "News: selected coin / all",
        &["a"],
    ),
    row(
        Action::Export,
        "export",
        "Export the view to a JSON report",
        &["e"],
    ),
    row(
        Action::Refresh,
        "refresh",
        "Refresh news and backfill now",
        &["r"],
    ),
    row(Action::Freeze, "freeze", "Freeze / resume updates", &["f"]),
    row(
        Action::Crosshair,
        "crosshair",
        "Crosshair on a candle (pan keys move it, Esc leaves)",
        &["c"],
    ),
    row(
        Action::AlertNew,
        "alert",
        "Set a price alert (at the last price)",
        &["!"],
    ),
    row(
        Action::Alerts,
        "alerts",
        "Alert rules (space on/off, d deletes)",
        &["A"],
    ),
    row(
        Action::ToggleVolume,
        "toggle_volume",
        "Show / hide the volume pane",
        &["V"],
    ),
    row(
        Action::ToggleRsi,
        "toggle_rsi",
        "Show / hide the RSI pane",
        &["R"],
    ),
    row(
        Action::ToggleMacd,
        "toggle_macd",
        "Show / hide the MACD pane",
        &["M"],
    ),
    row(
        Action::ToggleMomentum,
        "toggle_momentum",
        "Show / hide the Momentum pane",
        &["O"],
    ),
    row(
        Action::ToggleFunding,
        "toggle_funding",
        "Show / hide a perp's funding pane",
        &["F"],
    ),
    row(
        Action::ToggleOpenInterest,
        "toggle_open_interest",
        "Show / hide a perp's open-interest pane",
        &["I"],
    ),
    row(
        Action::ToggleBasis,
        "toggle_basis",
        "Show / hide a perp's basis pane",
        &["B"],
    ),
    row(
        Action::Layout,
        "layout",
        "Charts: 1, 2 or 4 markets, 4 timeframes, venues overlaid",
        &["L"],
    ),
    row(
        Action::Portfolio,
        "portfolio",
        "Your portfolio: holdings, P&L, risk (s sorts)",
        &["P"],
    ),
    row(
        Action::Indicators,
        "indicators",
        "Indicators: add, change a period, remove",
        &["i"],
    ),
    row(
        Action::Equity,
        "equity",
        "Chart your portfolio's equity, or the market again",
        &["E"],
    ),
];

const fn row(
    action: Action,
    name: &'static str,
    help: &'static str,
    defaults: &'static [&'static str],
) -> ActionInfo {
    ActionInfo {
        action,
        name,
        help,
        defaults,
    }
}

impl Action {
    pub fn info(self) -> &'static ActionInfo {
        ACTIONS
            .iter()
            .find(|i| i.action == self)
            .unwrap_or_else(|| unreachable!("every action has a table row"))
    }

    pub fn by_name(name: &str) -> Option<Action> {
        ACTIONS.iter().find(|i| i.name == name).map(|i| i.action)
    }
}

/// A key with modifiers, normalized so "?" matches whether or not the terminal reports Shift.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        // Shift is implied by the character itself ('G', '?'); BackTab likewise.
        let code = match code {
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            c => c,
        };
        let mods = match code {
            KeyCode::Char(_) | KeyCode::BackTab => mods - KeyModifiers::SHIFT,
            _ => mods,
        };
        Key {
            code,
            mods: mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT),
        }
    }

    /// Parses "q", "G", "ctrl-c", "alt-x", "f1", "left", "enter", "?", "-", "space", ...
    pub fn parse(s: &str) -> Result<Key, String> {
        let mut rest = s;
        let mut mods = KeyModifiers::NONE;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl-") {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt-") {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift-") {
                (KeyModifiers::SHIFT, 6)
            } else {
                break;
            };
            // "ctrl--" is Ctrl plus the minus key; a bare "-" is just the key.
            if rest.len() == len {
                break;
            }
            mods |= m;
            rest = &rest[len..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => {
                let c = if mods.contains(KeyModifiers::CONTROL) {
                    c.to_ascii_lowercase()
                } else {
                    c
                };
                KeyCode::Char(c)
            }
            _ => named_key(&rest.to_ascii_lowercase()).ok_or_else(|| {
                format!("{s:?} is not a key (examples: \"q\", \"ctrl-c\", \"f1\", \"left\")")
            })?,
        };
        Ok(Key::new(code, mods))
    }

    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        (ev.kind != KeyEventKind::Release).then(|| {
            let code = match ev.code {
                // Terminals report Ctrl-C as 'c' with CONTROL, sometimes upper case.
                KeyCode::Char(c) if ev.modifiers.contains(KeyModifiers::CONTROL) => {
                    KeyCode::Char(c.to_ascii_lowercase())
                }
                c => c,
            };
            Key::new(code, ev.modifiers)
        })
    }
}

fn named_key(s: &str) -> Option<KeyCode> {
    Some(match s {
        "esc" | "escape" => KeyCode::Esc,
        "enter" | "return" => KeyCode::Enter,
        "tab" => KeyCode::Tab,
        "backtab" | "shift-tab" => KeyCode::BackTab,
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" => KeyCode::PageDown,
        "space" => KeyCode::Char(' '),
        "minus" => KeyCode::Char('-'),
        "plus" => KeyCode::Char('+'),
        _ => {
            let n: u8 = s.strip_prefix('f')?.parse().ok()?;
            if !(1..=24).contains(&n) {
                return None;
            }
            KeyCode::F(n)
        }
    })
}

/// Shown in the help popup and the status bar, in the config's own spelling.
impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pageup"),
            KeyCode::PageDown => f.write_str("pagedown"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// A bad `ui.keys` entry; `key` is the config path to report (`ui.keys.<action>`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct KeymapError {
    pub key: String,
    pub message: String,
}

/// Action -> keys, after applying the config on top of the defaults.
#[derive(Clone, Debug)]
pub struct Keymap {
    /// In table order; each action's keys in the order given.
    bindings: Vec<(Action, Vec<Key>)>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::from_config(&BTreeMap::new())
            .unwrap_or_else(|e| unreachable!("built-in key table is valid: {e}"))
    }
}

impl Keymap {
    /// Defaults, with every action named in `overrides` rebound to exactly the keys given.
    /// A key that is another action's default is refused unless that action is rebound too
    /// (nothing loses a key silently); two
    /// overrides claiming one key are an error.
    pub fn from_config(overrides: &BTreeMap<String, Vec<String>>) -> Result<Keymap, KeymapError> {
        let mut claimed: BTreeMap<String, Action> = BTreeMap::new();
        let mut custom: BTreeMap<Action, Vec<Key>> = BTreeMap::new();
        for (name, keys) in overrides {
            let err = |message: String| KeymapError {
                key: format!("ui.keys.{name}"),
                message,
            };
            let action = Action::by_name(name).ok_or_else(|| {
                err(format!(
                    "unknown action (expected one of {})",
                    ACTIONS
                        .iter()
                        .map(|i| i.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            let mut parsed = Vec::new();
            for k in keys {
                let key = Key::parse(k).map_err(err)?;
                if let Some(other) = claimed.insert(key.to_string(), action)
                    && other != action
                {
                    return Err(err(format!(
                        "key {k:?} is also bound to ui.keys.{}",
                        other.info().name
                    )));
                }
                parsed.push(key);
            }
            custom.insert(action, parsed);
        }
        let mut bindings = Vec::with_capacity(ACTIONS.len());
        for info in ACTIONS {
            let keys = match custom.remove(&info.action) {
                Some(keys) => keys,
                None => {
                    let defaults: Vec<Key> = info
                        .defaults
                        .iter()
                        .map(|k| Key::parse(k).unwrap_or_else(|e| unreachable!("default key: {e}")))
                        .collect();
                    // Taking another action's default key silently would leave that action
                    // (navigation, often) without the key the help screen still names.
                    if let Some((key, thief)) = defaults
                        .iter()
                        .find_map(|k| claimed.get(&k.to_string()).map(|a| (k, *a)))
                    {
                        return Err(KeymapError {
                            key: format!("ui.keys.{}", thief.info().name),
                            message: format!(
                                "key \"{key}\" is {}'s default; bind ui.keys.{} to other keys too",
                                info.name, info.name
                            ),
                        });
                    }
                    defaults
                }
            };
            bindings.push((info.action, keys));
        }
        Ok(Keymap { bindings })
    }

    pub fn action_for(&self, key: Key) -> Option<Action> {
        self.bindings
            .iter()
            .find(|(_, keys)| keys.contains(&key))
            .map(|(a, _)| *a)
    }

    pub fn keys(&self, action: Action) -> &[Key] {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .map(|(_, k)| k.as_slice())
            .unwrap_or(&[])
    }

    /// "q" or "q/ctrl-c"; "unbound" when the config removed every key.
    pub fn label(&self, action: Action) -> String {
        let keys = self.keys(action);
        if keys.is_empty() {
            return "unbound".into();
        }
        keys.iter()
            .map(Key::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }

    /// (keys, help) rows for the help popup, in table order.
    pub fn help_rows(&self) -> Vec<(String, &'static str)> {
        self.bindings
            .iter()
            .map(|(a, _)| (self.label(*a), a.info().help))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> Key {
        Key::from_event(&KeyEvent::new(code, mods)).unwrap()
    }

    #[test]
    fn defaults_cover_the_issue() {
        let km = Keymap::default();
        let none = KeyModifiers::NONE;
        assert_eq!(
            km.action_for(ev(KeyCode::Char('q'), none)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action_for(ev(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action_for(ev(KeyCode::Char('?'), KeyModifiers::SHIFT)),
            Some(Action::Help)
        );
        assert_eq!(km.action_for(ev(KeyCode::F(1), none)), Some(Action::Help));
        assert_eq!(
            km.action_for(ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Latest)
        );
        assert_eq!(
            km.action_for(ev(KeyCode::Char('g'), none)),
            Some(Action::Oldest)
        );
        // Plain c is not ctrl-c.
        assert_eq!(
            km.action_for(ev(KeyCode::Char('c'), none)),
            Some(Action::Crosshair)
        );
    }

    #[test]
    fn parses_and_prints_keys() {
        for s in [
            "q", "ctrl-c", "f1", "left", "?", "-", "G", "enter", "space", "alt-x",
        ] {
            assert_eq!(Key::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Key::parse("Ctrl-C").unwrap(), Key::parse("ctrl-c").unwrap());
        assert_eq!(Key::parse("ctrl--").unwrap().code, KeyCode::Char('-'));
        assert!(Key::parse("f99").is_err());
        assert!(Key::parse("").is_err());
        assert!(Key::parse("hyper").is_err());
    }

    #[test]
    fn overrides_replace_and_steal() {
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), vec!["x".to_string()]);
        o.insert("freeze".to_string(), vec!["q".to_string()]);
        let km = Keymap::from_config(&o).unwrap();
        let none = KeyModifiers::NONE;
        assert_eq!(
            km.action_for(ev(KeyCode::Char('x'), none)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action_for(ev(KeyCode::Char('q'), none)),
            Some(Action::Freeze)
        );
        assert_eq!(km.action_for(ev(KeyCode::Char('f'), none)), None);
        assert_eq!(km.label(Action::Quit), "x");
    }

    #[test]
    fn stealing_a_default_key_is_refused() {
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), vec!["h".to_string()]);
        let e = Keymap::from_config(&o).unwrap_err();
        assert_eq!(e.key, "ui.keys.quit");
        assert!(e.message.contains("pan_left"), "{}", e.message);
        o.insert("pan_left".to_string(), vec!["left".to_string()]);
        let km = Keymap::from_config(&o).unwrap();
        assert_eq!(
            km.action_for(ev(KeyCode::Char('h'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
    }

    #[test]
    fn bad_config_names_the_key() {
        let mut o = BTreeMap::new();
        o.insert("launch".to_string(), vec!["x".to_string()]);
        let e = Keymap::from_config(&o).unwrap_err();
        assert_eq!(e.key, "ui.keys.launch");
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), vec!["ctrl-nope".to_string()]);
        let e = Keymap::from_config(&o).unwrap_err();
        assert_eq!(e.key, "ui.keys.quit");
        assert!(e.to_string().starts_with("ui.keys.quit: "), "{e}");
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), vec!["x".to_string()]);
        o.insert("help".to_string(), vec!["x".to_string()]);
        assert!(Keymap::from_config(&o).is_err());
    }

    #[test]
    fn help_lists_every_action() {
        let rows = Keymap::default().help_rows();
        assert_eq!(rows.len(), ACTIONS.len());
        assert!(rows.iter().any(|(k, _)| k == "q/ctrl-c"));
    }
}
