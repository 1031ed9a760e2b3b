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
    /// For a venue whose swaps share it (OKX): one swap trade frame, sized in contracts of
    /// [`SAMPLE_CONTRACT`] coins.
    pub sample_swap_trade: Option<fn(&SampleTrade<'_>) -> String>,
    /// Funding and open-interest history of the venue's perps, for repair.
    pub derivs_rest: Option<&'static dyn super::deriv_rest::DerivRest>,
}

/// What one contract of a sample swap is worth, in coins.
pub const SAMPLE_CONTRACT: &str = "0.01";

/// Every venue cryptoviz speaks to, in [`Venue::EXCHANGES`] order.
pub static VENUES: [&VenueEntry; 7] = [
    &super::binance::ENTRY,
    &super::coinbase::ENTRY,
    &super::kraken::ENTRY,
    &super::bybit::ENTRY,
    &super::okx::ENTRY,
    &super::binance_perp::ENTRY,
    &super::bybit_perp::ENTRY,
];

/// The entry of `venue`; none for a composite (its data comes from its members).
pub fn entry(venue: Venue) -> Option<&'static VenueEntry> {
    VENUES.iter().copied().find(|e| e.venue == venue)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::contracts::Contracts;

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
                let swap = e.sample_swap_trade.map(|f| f(&sample));
                for frame in [(e.sample_trade)(&sample)].into_iter().chain(swap) {
                    let mut out = Vec::new();
                    e.connector.parse(frame.as_bytes(), &mut out).unwrap();
                    assert_eq!(out.len(), 1, "{}: {frame}", e.venue);
                    let mut t = out[0];
                    if t.symbol.is_perp() && e.venue == Venue::Okx {
                        let size = crate::domain::Qty::parse(SAMPLE_CONTRACT).unwrap();
                        let contracts = Contracts::new(vec![(t.symbol, Ok(size))], &[t.symbol]);
                        contracts.apply(&mut t).unwrap();
                    }
                    check(e, &sample, &t, buy);
                }
            }
        }
    }

    /// The sample's trade, as every venue must read it.
    fn check(e: &VenueEntry, sample: &SampleTrade<'_>, t: &crate::domain::Trade, buy: bool) {
        // Opaque ids (Bybit linear's UUIDs) are the hash of the id's text.
        let id = match e.venue.continuity() {
            crate::domain::Continuity::Opaque => {
                crate::exchange::wire::opaque_id(&crate::exchange::bybit_perp::uuid_of(sample.id))
                    .unwrap()
            }
            _ => sample.id,
        };
        let swap = t.symbol.is_perp();
        assert_eq!(t.id, id, "{} {swap}", e.venue);
        assert_eq!(t.price.to_string(), "90000.12", "{} {swap}", e.venue);
        assert_eq!(t.qty.to_string(), "0.01234", "{} {swap}", e.venue);
        assert_eq!(
            t.buyer_is_maker, !buy,
            "{} {swap}: the taker's side",
            e.venue
        );
        assert_eq!(t.time, 1_767_225_600_123, "{} {swap}", e.venue);
    }
}
