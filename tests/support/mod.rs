//! Real protocol peers for tests, all on 127.0.0.1.
#![allow(dead_code)]

pub mod binance_rest;
pub mod cli;
pub mod collector;
pub mod faults;
pub mod http;
pub mod klines_server;
pub mod nats;
pub mod portfolio;
pub mod postgres;
pub mod tmux;
pub mod venues;
pub mod ws_server;
