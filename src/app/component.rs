//! What a panel or popup is to the App (after gitui's `Component`): it owns its state,
//! handles the keys meant for it and says what else should happen, reading everything else
//! from the [`Model`] it is given read-only. The UI draws each one (`ui::Draw`).
//!
//! A component never changes what other panels follow (the shown market, the series, the
//! outbox): it returns an [`Effect`] and the App carries it out, so one place decides what a
//! change of market or a new rule sets off.

use super::event::Request;
use super::keymap::{Action, Key};
use super::model::Model;
use super::popup::Popup;
use crate::domain::Symbol;

/// What a component did with a key.
pub enum Outcome {
    /// Not its key: the next in line gets it.
    Ignored,
    /// Handled; nothing more to do.
    Done,
    /// Handled, and the App has this to do.
    Then(Effect),
}

/// What a component asks of the App.
pub enum Effect {
    /// The chart's view moved: load the history it now needs.
    History,
    /// The chart's layout changed: lay the charts out anew and load the new ones.
    Layout,
    /// Open this popup (in place of one open).
    Open(Popup),
    /// Close the open popup.
    Close,
    /// Show the market at this index of the watchlist.
    Select(usize),
    /// Show this market, adding it to the watchlist first when it is not there.
    Show(Symbol),
    /// Take the shown market off the watchlist.
    RemoveShown,
    /// A price alert on the shown market at this level, as typed.
    PriceAlert(String),
    /// Delete the rule made here with this name.
    DeleteRule(String),
    /// Ask the producers for this.
    Send(Request),
    /// Tell the user (status bar and activity log).
    Say(String),
    /// The chart's indicators are now these (overlays, then panes).
    ChooseIndicators(Vec<crate::indicators::spec::Spec>),
}

pub trait Component {
    /// A key as typed, before the keymap maps it: text fields take it here. Keys left to the
    /// keymap are [`Outcome::Ignored`].
    fn on_key(&mut self, _key: Key, _model: &Model) -> Outcome {
        Outcome::Ignored
    }

    /// An action of the keymap.
    fn on_action(&mut self, _action: Action, _model: &Model) -> Outcome {
        Outcome::Ignored
    }
}
