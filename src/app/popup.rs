//! The popups: help, a news item, the market search, a new price alert, the alert rules, the
//! portfolio, the indicator menu.
//! Each takes the keys while it is open; text fields take typed keys before the keymap.

use crossterm::event::{KeyCode, KeyModifiers};

use super::component::{Component, Effect, Outcome};
use super::event::Request;
use super::keymap::{Action, Key};
use super::model::Model;
use crate::domain::Symbol;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Popup {
    Help {
        scroll: u16,
    },
    /// The news item with this id.
    News(String),
    Search(Search),
    /// A new price alert on the shown market: the level as typed.
    AlertNew(String),
    /// The alert rules, the selected row.
    Alerts(usize),
    /// The user's portfolio, its positions in this order.
    Portfolio(PortfolioSort),
    /// The chart's indicators: add, remove, change.
    Indicators(super::indicator_menu::IndicatorMenu),
}

/// How the portfolio's positions are ordered (`s` cycles).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PortfolioSort {
    #[default]
    Value,
    Pnl,
    PnlPct,
}

impl PortfolioSort {
    pub fn label(self) -> &'static str {
        match self {
            PortfolioSort::Value => "value",
            PortfolioSort::Pnl => "P&L",
            PortfolioSort::PnlPct => "P&L %",
        }
    }

    fn next(self) -> PortfolioSort {
        match self {
            PortfolioSort::Value => PortfolioSort::Pnl,
            PortfolioSort::Pnl => PortfolioSort::PnlPct,
            PortfolioSort::PnlPct => PortfolioSort::Value,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Search {
    pub query: String,
    pub selected: usize,
}

impl Component for Popup {
    fn on_key(&mut self, key: Key, m: &Model) -> Outcome {
        // Ctrl-C and other chords stay the keymap's.
        if !(key.mods - KeyModifiers::SHIFT).is_empty() {
            return Outcome::Ignored;
        }
        match self {
            Popup::Search(search) => search.on_key(key.code, m),
            Popup::Indicators(menu) => menu.on_key(key.code, m),
            Popup::AlertNew(level) => match key.code {
                KeyCode::Esc => Outcome::Then(Effect::Close),
                KeyCode::Enter => Outcome::Then(Effect::PriceAlert(level.clone())),
                KeyCode::Backspace => {
                    level.pop();
                    Outcome::Done
                }
                KeyCode::Char(c) if (c.is_ascii_digit() || c == '.') && level.len() < 24 => {
                    level.push(c);
                    Outcome::Done
                }
                _ => Outcome::Done,
            },
            Popup::Alerts(selected) => rules_key(selected, key.code, m),
            Popup::Portfolio(sort) => match key.code {
                KeyCode::Esc => Outcome::Then(Effect::Close),
                KeyCode::Char('s') => {
                    *sort = sort.next();
                    Outcome::Done
                }
                _ => Outcome::Ignored,
            },
            Popup::Help { .. } | Popup::News(_) => Outcome::Ignored,
        }
    }

    fn on_action(&mut self, a: Action, m: &Model) -> Outcome {
        match (self, a) {
            (Popup::Help { .. }, Action::Help | Action::Close) => Outcome::Then(Effect::Close),
            (Popup::Help { scroll }, Action::Up) => {
                *scroll = scroll.saturating_sub(1);
                Outcome::Done
            }
            // The popup shows where the list ends; past the last row there is nothing to see.
            (Popup::Help { scroll }, Action::Down) => {
                let (w, h) = m.screen;
                let end = super::help::help_max_scroll(&m.settings.keymap, w, h);
                *scroll = scroll.saturating_add(1).min(end);
                Outcome::Done
            }
            (Popup::News(_), Action::Close | Action::Open) => Outcome::Then(Effect::Close),
            (Popup::News(_), Action::Help) => {
                Outcome::Then(Effect::Open(Popup::Help { scroll: 0 }))
            }
            (_, Action::Close) => Outcome::Then(Effect::Close),
            // A popup is modal: the panels below do not see its keys.
            _ => Outcome::Done,
        }
    }
}

impl Search {
    /// Typing into the search: the query, the selected hit, Enter shows it.
    fn on_key(&mut self, code: KeyCode, m: &Model) -> Outcome {
        let hits = || search_hits(&m.symbols, &m.listings.instruments, &self.query);
        match code {
            KeyCode::Esc => return Outcome::Then(Effect::Close),
            KeyCode::Enter => {
                return Outcome::Then(match hits().get(self.selected) {
                    Some(s) => Effect::Show(*s),
                    None => Effect::Close,
                });
            }
            KeyCode::Backspace => {
                self.query.pop();
                self.selected = 0;
            }
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down => {
                let n = hits().len();
                self.selected = (self.selected + 1).min(n.saturating_sub(1));
            }
            KeyCode::Char(c)
                if (c.is_ascii_alphanumeric() || "/-:".contains(c)) && self.query.len() < 32 =>
            {
                self.query.push(c.to_ascii_uppercase());
                self.selected = 0;
            }
            _ => {}
        }
        Outcome::Done
    }
}

/// Working the rules list: move, Space enables or disables a rule made here, `d` deletes it;
/// other keys are the keymap's.
fn rules_key(selected: &mut usize, code: KeyCode, m: &Model) -> Outcome {
    let fixed = m.settings.alert_rules.len();
    let n = fixed + m.alerts.user_rules.len();
    let at = *selected;
    match code {
        KeyCode::Esc => return Outcome::Then(Effect::Close),
        KeyCode::Up | KeyCode::Char('k') => *selected = at.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => *selected = (at + 1).min(n.saturating_sub(1)),
        KeyCode::Char(' ') | KeyCode::Char('d') | KeyCode::Delete => {
            let Some(i) = at.checked_sub(fixed) else {
                return Outcome::Then(Effect::Say(
                    "config rules are changed in the config file".into(),
                ));
            };
            let Some((rule, on)) = m.alerts.user_rules.get(i).cloned() else {
                return Outcome::Done;
            };
            return Outcome::Then(if code == KeyCode::Char(' ') {
                Effect::Send(Request::SaveRule { rule, enabled: !on })
            } else {
                Effect::DeleteRule(rule.name)
            });
        }
        _ => return Outcome::Ignored,
    }
    Outcome::Done
}

/// At most this many markets are offered for one query.
pub const MAX_HITS: usize = 50;

/// The markets matching `query`: the watchlist's first, in its order, then the venues' other
/// markets. Separators do not count, so `btcusd` finds `coinbase:BTC-USD` and
/// `kraken:BTC/USD`, and `kraken` finds Kraken's markets.
pub fn search_hits(watched: &[Symbol], listed: &[Symbol], query: &str) -> Vec<Symbol> {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect()
    };
    let query = squash(query);
    let matches = |s: &&Symbol| squash(&s.to_string()).contains(&query);
    let mut hits: Vec<Symbol> = watched.iter().filter(matches).copied().collect();
    for s in listed.iter().filter(matches) {
        if hits.len() >= MAX_HITS {
            break;
        }
        if !watched.contains(s) {
            hits.push(*s);
        }
    }
    hits.truncate(MAX_HITS);
    hits
}
