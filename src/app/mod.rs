//! The dashboard application: state, events, keys and the event loop.
//!
//! The [`App`] is plain data: producers send [`DataEvent`]s, keys become [`Action`]s, and the
//! App folds both into its state and queues [`Request`]s; the loop in [`run`] only moves
//! messages and draws when something changed.

pub mod charts;
pub mod event;
pub mod keymap;
pub mod live;
pub mod log;
pub mod news;
pub mod run;
pub mod sample;
pub mod series;
pub mod settings;
pub mod state;
pub mod terminal;
pub mod time;
pub mod view;
pub mod watchlist;

pub use event::{DataEvent, HealthSnapshot, Request};
pub use keymap::{Action, Keymap};
pub use settings::AppSettings;
pub use state::{App, Mode, Panel, Popup};

#[cfg(test)]
mod tests;
