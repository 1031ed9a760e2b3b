//! The indicator menu (`i`): the chart's indicators, overlays then panes, with one line to
//! type a name into. Enter adds what is typed (or, on an empty line, puts the selected one
//! there to change its parameters, and Enter again replaces it); Delete removes the selected
//! one. A name that is not an indicator is refused with the config's own message.

use crossterm::event::KeyCode;

use super::component::{Effect, Outcome};
use super::model::Model;
use crate::config::indicators::MAX_CHOSEN;
use crate::indicators::spec::Spec;

/// Longest name the line takes (`vwap:anchor=2024-01-01T12:00:00Z` is 32).
const MAX_INPUT: usize = 48;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndicatorMenu {
    /// Index into the chosen indicators.
    pub selected: usize,
    /// The name as typed.
    pub input: String,
    /// The chosen indicator the line replaces on Enter (None: Enter adds).
    pub editing: Option<usize>,
    /// Why the last Enter was refused.
    pub refused: Option<String>,
}

impl IndicatorMenu {
    pub fn on_key(&mut self, code: KeyCode, m: &Model) -> Outcome {
        let chosen = &m.settings.chosen;
        match code {
            KeyCode::Esc => return Outcome::Then(Effect::Close),
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down => {
                self.selected = (self.selected + 1).min(chosen.len().saturating_sub(1));
            }
            KeyCode::Delete if self.selected < chosen.len() => {
                let mut list = chosen.clone();
                list.remove(self.selected);
                self.selected = self.selected.min(list.len().saturating_sub(1));
                self.editing = None;
                self.refused = None;
                return Outcome::Then(Effect::ChooseIndicators(list));
            }
            KeyCode::Enter if self.input.trim().is_empty() => {
                if let Some(spec) = chosen.get(self.selected) {
                    self.input = spec.name();
                    self.editing = Some(self.selected);
                    self.refused = None;
                }
            }
            KeyCode::Enter => match with(chosen, &self.input, self.editing) {
                Ok((list, at)) => {
                    self.input.clear();
                    self.editing = None;
                    self.refused = None;
                    self.selected = at;
                    return Outcome::Then(Effect::ChooseIndicators(list));
                }
                Err(why) => self.refused = Some(why),
            },
            KeyCode::Backspace => {
                self.input.pop();
                if self.input.is_empty() {
                    self.editing = None;
                }
            }
            KeyCode::Char(c) if is_name_char(c) && self.input.len() < MAX_INPUT => {
                self.input.push(c);
            }
            _ => {}
        }
        Outcome::Done
    }
}

/// Characters of an indicator name: `ema:20`, `bbands:20,2.5`, `vwap:anchor=2024-01-01T12:00Z`.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ":,.=-+".contains(c)
}

/// `chosen` with `typed` added (or put in place of `editing`), overlays kept before panes,
/// and where it now is; or why not, in one line.
pub fn with(
    chosen: &[Spec],
    typed: &str,
    editing: Option<usize>,
) -> Result<(Vec<Spec>, usize), String> {
    let spec = Spec::parse(typed).map_err(|e| e.to_string())?;
    let mut list = chosen.to_vec();
    let replaced = editing.filter(|i| *i < list.len()).map(|i| list.remove(i));
    if list.contains(&spec) {
        return Err(format!("{spec} is already on the chart"));
    }
    let overlay = spec.def().overlay;
    let group = list.iter().filter(|s| s.def().overlay == overlay).count();
    if group >= MAX_CHOSEN {
        let what = if overlay { "overlays" } else { "panes" };
        return Err(format!("at most {MAX_CHOSEN} {what}: remove one first"));
    }
    let at = match (editing, &replaced) {
        // Changed in place when it stays in its group (overlays or panes).
        (Some(i), Some(old)) if old.def().overlay == overlay => i,
        // Added (or moved to the other group) at the end of its group.
        _ => {
            let overlays = list.iter().filter(|s| s.def().overlay).count();
            if overlay { overlays } else { list.len() }
        }
    };
    list.insert(at, spec);
    Ok((list, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(names: &[&str]) -> Vec<Spec> {
        names.iter().map(|n| Spec::parse(n).unwrap()).collect()
    }

    fn names(list: &[Spec]) -> Vec<String> {
        list.iter().map(Spec::name).collect()
    }

    #[test]
    fn adds_in_its_group_changes_in_place_and_refuses_with_the_configs_words() {
        let v2 = specs(&["bbands:20,2", "rsi:14", "macd:12,26,9", "mom:10"]);
        let (list, at) = with(&v2, "ema:50", None).unwrap();
        assert_eq!(
            names(&list),
            ["bbands:20,2", "ema:50", "rsi:14", "macd:12,26,9", "mom:10"]
        );
        assert_eq!(at, 1, "after the overlays, before the panes");
        let (list, at) = with(&list, "atr", None).unwrap();
        assert_eq!((names(&list)[5].as_str(), at), ("atr:14", 5));
        // rsi:14 -> rsi:21 where it was.
        let (list, at) = with(&list, "rsi:21", Some(2)).unwrap();
        assert_eq!((names(&list)[2].as_str(), at), ("rsi:21", 2));
        // An overlay changed into a pane moves to the panes' end.
        let (moved, at) = with(&list, "cci:20", Some(1)).unwrap();
        assert_eq!(
            names(&moved),
            [
                "bbands:20,2",
                "rsi:21",
                "macd:12,26,9",
                "mom:10",
                "atr:14",
                "cci:20"
            ]
        );
        assert_eq!(at, 5);
        for (typed, why) in [
            (
                "ema:0",
                "ema period must be a whole number from 2 to 100000, got \"0\"",
            ),
            ("sma:1000000000", "sma period must be a whole number"),
            ("foo:3", "unknown indicator \"foo\""),
            (
                "macd:26,12",
                "macd fast period (26) must be below its slow period (12)",
            ),
            ("rsi:21", "rsi:21 is already on the chart"),
        ] {
            let err = with(&list, typed, None).unwrap_err();
            assert!(err.contains(why), "{typed}: {err}");
        }
        // Changing an entry to itself is no duplicate.
        assert!(with(&list, "rsi:21", Some(2)).is_ok());
        let full = specs(&[
            "sma:2", "sma:3", "sma:4", "sma:5", "sma:6", "sma:7", "sma:8", "sma:9",
        ]);
        assert_eq!(
            with(&full, "ema:9", None).unwrap_err(),
            "at most 8 overlays: remove one first"
        );
        assert!(with(&full, "rsi", None).is_ok(), "panes have their own 8");
    }

    #[test]
    fn the_i_key_adds_changes_and_removes_and_asks_to_keep_the_choice() {
        use crate::app::event::Request;
        use crate::app::sample::{sample_app, sample_settings};
        use crossterm::event::{KeyEvent, KeyModifiers};
        let mut app = sample_app(sample_settings());
        let press = |app: &mut crate::app::App, code: KeyCode| {
            app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
        };
        let typed = |app: &mut crate::app::App, s: &str| {
            for c in s.chars() {
                press(app, KeyCode::Char(c));
            }
            press(app, KeyCode::Enter);
        };
        let saved = |app: &mut crate::app::App| {
            let asked = app.take_requests().into_iter();
            asked
                .filter_map(|r| match r {
                    Request::SaveIndicators(names) => Some(names),
                    _ => None,
                })
                .next_back()
        };
        app.take_requests();
        press(&mut app, KeyCode::Char('i'));
        assert!(matches!(app.popup, Some(crate::app::Popup::Indicators(_))));
        // `q` is part of a name here, not quit.
        typed(&mut app, "ema:50");
        let names = ["bbands:20,2", "ema:50", "rsi:14", "macd:12,26,9", "mom:10"];
        assert_eq!(names_of(&app), names);
        assert_eq!(saved(&mut app).unwrap(), names);
        // Refused: nothing changes, nothing is kept, the menu says why.
        typed(&mut app, "ema:0");
        assert_eq!(names_of(&app), names);
        assert_eq!(saved(&mut app), None);
        let Some(crate::app::Popup::Indicators(menu)) = &app.popup else {
            panic!("still open")
        };
        assert!(menu.refused.as_deref().unwrap().contains("got \"0\""));
        // Clear the line; the added EMA is selected: one down is RSI; Enter puts it on the
        // line to change it.
        for _ in 0..5 {
            press(&mut app, KeyCode::Backspace);
        }
        press(&mut app, KeyCode::Down);
        press(&mut app, KeyCode::Enter);
        press(&mut app, KeyCode::Backspace);
        press(&mut app, KeyCode::Backspace);
        typed(&mut app, "7");
        assert_eq!(names_of(&app)[2], "rsi:7");
        // Delete takes the selected one (still rsi:7) off the chart.
        press(&mut app, KeyCode::Delete);
        assert_eq!(
            names_of(&app),
            ["bbands:20,2", "ema:50", "macd:12,26,9", "mom:10"]
        );
        assert_eq!(saved(&mut app).unwrap().len(), 4);
        press(&mut app, KeyCode::Esc);
        assert_eq!(app.popup, None);
    }

    fn names_of(app: &crate::app::App) -> Vec<String> {
        names(&app.model.settings.chosen)
    }
}
