//! One entry per venue: everything the rest of the program may ask of a venue, found by its
//! [`Venue`]. Adding a venue is its folder (wire format, connector, REST pages, instruments,
//! this entry), one variant of `Venue` (its plain facts: name, spelling, continuity) and one
//! line in [`VENUES`].

use super::connector::Connector;
use super::rest::RestApi;
use crate::domain::Venue;

/// One trade as the benchmark writes it in a venue's own format.
pub struct SampleTrade<'a> {
    pub id: i64,
    /// Decimal strings (`"90000.12"`, `"0.01234"`).
    pub price: &'a str,
    pub qty: &'a str,
    /// The taker bought.
    pub buy: bool,
    /// Unix microseconds.
    pub micros: i64,
}

impl SampleTrade<'_> {
    /// Its time in RFC 3339 with microseconds, as Coinbase and Kraken write it.
    pub fn time(&self) -> String {
        chrono::DateTime::from_timestamp_micros(self.micros)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    }
}

pub struct VenueEntry {
    pub venue: Venue,
    /// The market stream: URL, subscriptions, keep-alive, frames.
    pub connector: &'static dyn Connector,
    /// The REST history: pages of candles and trades, market lists.
    pub rest: &'static dyn RestApi,
    /// The default `[venues.NAME]` endpoints.
    pub ws_url: &'static str,
    pub rest_url: &'static str,
    /// Where the books stream when not beside the trades (dashboards only).
    pub book_ws_url: Option<&'static str>,
    /// One trade frame of the venue's market stream, for `bench`.
    pub sample_trade: fn(&SampleTrade<'_>) -> String,
}

/// Every venue cryptoviz speaks to, in [`Venue::EXCHANGES`] order.
pub static VENUES: [&VenueEntry; 5] = [
    &super::binance::ENTRY,
    &super::coinbase::ENTRY,
    &super::kraken::ENTRY,
    &super::bybit::ENTRY,
    &super::okx::ENTRY,
];

/// The entry of `venue`; none for a composite (its data comes from its members).
pub fn entry(venue: Venue) -> Option<&'static VenueEntry> {
    VENUES.iter().copied().find(|e| e.venue == venue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_per_exchange_in_order() {
        let venues: Vec<Venue> = VENUES.iter().map(|e| e.venue).collect();
        assert_eq!(venues, Venue::EXCHANGES);
        for e in VENUES {
            assert_eq!(e.connector.venue(), e.venue);
        }
        assert!(entry(Venue::Composite).is_none());
    }

    #[test]
    fn each_sample_frame_is_one_trade_of_its_venue() {
        for e in VENUES {
            for buy in [true, false] {
                let sample = SampleTrade {
                    id: 1_000_042,
                    price: "90000.12",
                    qty: "0.01234",
                    buy,
                    micros: 1_767_225_600_123_456,
                };
                let mut out = Vec::new();
                let frame = (e.sample_trade)(&sample);
                e.connector.parse(frame.as_bytes(), &mut out).unwrap();
                assert_eq!(out.len(), 1, "{}: {frame}", e.venue);
                let t = &out[0];
                assert_eq!(t.id, 1_000_042, "{}", e.venue);
                assert_eq!(t.price.to_string(), "90000.12", "{}", e.venue);
                assert_eq!(t.qty.to_string(), "0.01234", "{}", e.venue);
                assert_eq!(t.buyer_is_maker, !buy, "{}: the taker's side", e.venue);
                assert_eq!(t.time, 1_767_225_600_123, "{}", e.venue);
            }
        }
    }
}
