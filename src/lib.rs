//! cryptoviz: a terminal trading dashboard. The binary is a thin shell over these modules.

pub mod aggregate;
pub mod alerts;
pub mod app;
pub mod bench;
pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod domain;
pub mod exchange;
pub mod history;
pub mod import;
pub mod indicators;
pub mod ingest;
pub mod logging;
pub mod metrics;
pub mod net;
pub mod news;
pub mod paths;
pub mod pipeline;
pub mod report;
pub mod rng;
pub mod runtime;
pub mod source;
pub mod store;
pub mod ui;
