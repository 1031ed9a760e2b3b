//! `[venues.*]`: each venue's endpoints (tests point them at 127.0.0.1).

use std::collections::BTreeMap;

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

/// `[venues.NAME]` for each venue of the registry: a section names a venue by its name and
/// overrides its endpoints; a venue without a section keeps the registry's. A name the
/// registry does not know is an error naming it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VenuesConfig(BTreeMap<Venue, VenueEndpoints>);

impl Default for VenuesConfig {
    /// Each venue's own endpoints, from the venue registry.
    fn default() -> Self {
        VenuesConfig(
            Venue::EXCHANGES
                .into_iter()
                .map(|v| (v, VenueEndpoints::default_of(v)))
                .collect(),
        )
    }
}

impl VenuesConfig {
    /// The endpoints of an exchange (a composite has none: its data comes from its members).
    pub fn get(&self, venue: Venue) -> Option<&VenueEndpoints> {
        self.0.get(&venue)
    }

    pub fn get_mut(&mut self, venue: Venue) -> Option<&mut VenueEndpoints> {
        self.0.get_mut(&venue)
    }
}

/// `venues[Venue::Kraken]`, as a map indexes; panics for a venue without endpoints (a
/// composite), which no caller asks for.
impl std::ops::Index<Venue> for VenuesConfig {
    type Output = VenueEndpoints;
    fn index(&self, venue: Venue) -> &VenueEndpoints {
        self.get(venue)
            .unwrap_or_else(|| panic!("{venue} has no endpoints"))
    }
}

impl std::ops::IndexMut<Venue> for VenuesConfig {
    fn index_mut(&mut self, venue: Venue) -> &mut VenueEndpoints {
        self.get_mut(venue)
            .unwrap_or_else(|| panic!("{venue} has no endpoints"))
    }
}

impl Serialize for VenuesConfig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(v, ep)| (v.name(), ep)))
    }
}

impl<'de> Deserialize<'de> for VenuesConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(SectionsVisitor)
    }
}

/// Reads `[venues.NAME]` sections over the registry's defaults, refusing a name it does not
/// know before reading the section (so the error names the venue, not a missing field).
struct SectionsVisitor;

impl<'de> serde::de::Visitor<'de> for SectionsVisitor {
    type Value = VenuesConfig;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a table of venues")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<VenuesConfig, A::Error> {
        let mut venues = VenuesConfig::default();
        while let Some(name) = map.next_key::<String>()? {
            // Spelled as the venue's name, as the sections always were.
            let venue = Venue::EXCHANGES.into_iter().find(|v| v.name() == name);
            let Some(slot) = venue.and_then(|v| venues.get_mut(v)) else {
                let known: Vec<&str> = Venue::EXCHANGES.iter().map(|v| v.name()).collect();
                return Err(serde::de::Error::custom(format!(
                    "unknown venue `{name}`, expected one of {}",
                    known.join(", ")
                )));
            };
            *slot = map.next_value()?;
        }
        Ok(venues)
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
