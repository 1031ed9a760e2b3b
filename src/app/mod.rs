//! The dashboard application: state, events, keys and the event loop.
//!
//! The [`App`] is plain data: producers send [`DataEvent`]s, keys become [`Action`]s, and the
//! App folds both into its state and queues [`Request`]s; the loop in [`run`] only moves
//! messages and draws when something changed.
//!
//! The App holds a [`Model`] (what every panel follows: settings, the markets and the shown
//! one, the series, the listings, the sources, the alerts, the clock) and the panels and
//! popups, each a [`Component`] owning its state and keys: [`chart::ChartPanel`] (view,
//! crosshair, panes, layout), [`watchlist::WatchlistPanel`] (order), [`live::Books`],
//! [`live::Tape`], [`news::NewsState`], [`health::HealthPanel`] (snapshot and activity log),
//! [`popup::Popup`]. A key goes to the open popup, else to the focused panel, the chart and
//! the watchlist in turn, else to the dashboard's own actions; a component reads the model and
//! returns an [`Effect`] the App carries out. Each draws itself in `ui/` (`ui::Draw`); `app`
//! never imports `ui`.

pub mod alerts;
pub mod chart;
pub mod component;
pub mod derivs;
pub mod event;
pub mod export;
pub mod freshness;
pub mod geometry;
pub mod health;
pub mod help;
pub mod holdings;
pub mod indicator_menu;
pub mod keymap;
pub mod layout;
pub mod live;
pub mod log;
pub mod model;
pub mod news;
mod paging;
pub mod popup;
pub mod sample;
pub mod series;
pub mod settings;
pub mod sources;
pub mod state;
pub mod theme;
pub mod time;
pub mod view;
pub mod watchlist;

pub use component::{Component, Effect, Outcome};
pub use event::{DataEvent, HealthSnapshot, Request};
pub use freshness::Mode;
pub use keymap::{Action, Keymap};
pub use model::Model;
pub use popup::Popup;
pub use settings::AppSettings;
pub use state::{App, Panel};

#[cfg(test)]
mod tests;
