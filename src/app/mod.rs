//! The dashboard application: state, events, keys and the event loop.
//!
//! The [`App`] is plain data: producers send [`DataEvent`]s, keys become [`Action`]s, and the
//! App folds both into its state and queues [`Request`]s; the loop in [`run`] only moves
//! messages and draws when something changed.
//!
//! Each panel keeps its own state and keys: [`chart::ChartPanel`] (view, crosshair, panes,
//! layout), [`watchlist::WatchlistState`] (added markets, the venues' lists, the order),
//! [`live::LiveMarket`] (book and trade tape), [`news::NewsState`], [`health::HealthPanel`]
//! (snapshot and activity log). The App holds what every panel follows (the markets, the shown
//! one, the series, the focus, popups) and routes a key to the focused panel first, then to the
//! chart, then to the dashboard's own actions. Each panel draws itself in `ui/`.

pub mod alerts;
pub mod chart;
pub mod event;
pub mod geometry;
pub mod health;
pub mod help;
pub mod keymap;
pub mod layout;
pub mod live;
pub mod log;
pub mod news;
pub mod sample;
pub mod series;
pub mod settings;
pub mod sources;
pub mod state;
pub mod theme;
pub mod time;
pub mod view;
pub mod watchlist;

pub use event::{DataEvent, HealthSnapshot, Request};
pub use keymap::{Action, Keymap};
pub use settings::AppSettings;
pub use state::{App, Mode, Panel, Popup};

#[cfg(test)]
mod tests;
