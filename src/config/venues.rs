//! `[venues.*]`: each venue's endpoints (tests point them at 127.0.0.1).

use serde::{Deserialize, Serialize};

use crate::domain::Venue;
use crate::domain::check::{Invalid, invalid, is_http_url};

/// One venue's endpoints; tests point them at 127.0.0.1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VenueEndpoints {
    /// The WebSocket endpoint, used as it is (Binance's is a base for the stream path).
    pub ws_url: String,
    /// The base of the venue's REST API.
    pub rest_url: String,
    /// Where the venue's order books stream when not on `ws_url` (OKX: its public endpoint;
    /// its business one carries `trades-all`). Only a dashboard connects there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub book_ws_url: Option<String>,
}

impl VenueEndpoints {
    /// The endpoints `venue` lists in the registry (none for a composite: empty, which the
    /// checks refuse, but no composite is ever asked for).
    fn default_of(venue: Venue) -> Self {
        match crate::exchange::registry::entry(venue) {
            Some(e) => VenueEndpoints {
                ws_url: e.ws_url.into(),
                rest_url: e.rest_url.into(),
                book_ws_url: e.book_ws_url.map(Into::into),
            },
            None => VenueEndpoints {
                ws_url: String::new(),
                rest_url: String::new(),
                book_ws_url: None,
            },
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VenuesConfig {
    pub binance: VenueEndpoints,
    pub coinbase: VenueEndpoints,
    pub kraken: VenueEndpoints,
    pub bybit: VenueEndpoints,
    pub okx: VenueEndpoints,
}

impl Default for VenuesConfig {
    /// Each venue's own endpoints, from the venue registry.
    fn default() -> Self {
        VenuesConfig {
            binance: VenueEndpoints::default_of(Venue::Binance),
            coinbase: VenueEndpoints::default_of(Venue::Coinbase),
            kraken: VenueEndpoints::default_of(Venue::Kraken),
            bybit: VenueEndpoints::default_of(Venue::Bybit),
            okx: VenueEndpoints::default_of(Venue::Okx),
        }
    }
}

impl VenuesConfig {
    /// The endpoints of an exchange (a composite has none: its data comes from its members).
    pub fn get(&self, venue: Venue) -> Option<&VenueEndpoints> {
        match venue {
            Venue::Binance => Some(&self.binance),
            Venue::Coinbase => Some(&self.coinbase),
            Venue::Kraken => Some(&self.kraken),
            Venue::Bybit => Some(&self.bybit),
            Venue::Okx => Some(&self.okx),
            Venue::Composite => None,
        }
    }

    pub fn get_mut(&mut self, venue: Venue) -> Option<&mut VenueEndpoints> {
        match venue {
            Venue::Binance => Some(&mut self.binance),
            Venue::Coinbase => Some(&mut self.coinbase),
            Venue::Kraken => Some(&mut self.kraken),
            Venue::Bybit => Some(&mut self.bybit),
            Venue::Okx => Some(&mut self.okx),
            Venue::Composite => None,
        }
    }
}

impl VenuesConfig {
    /// `[venues.*]`: WebSocket and web URLs.
    pub fn validate(&self) -> Result<(), Invalid> {
        for v in Venue::EXCHANGES {
            let Some(ep) = self.get(v) else {
                continue;
            };
            if !(ep.ws_url.starts_with("ws://") || ep.ws_url.starts_with("wss://")) {
                return invalid(
                    &format!("venues.{v}.ws_url"),
                    "must start with ws:// or wss://",
                );
            }
            if !is_http_url(&ep.rest_url) {
                return invalid(
                    &format!("venues.{v}.rest_url"),
                    "must start with http:// or https://",
                );
            }
        }
        Ok(())
    }
}
