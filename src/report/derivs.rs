//! The `derivatives` section of a perp series in the report (SPEC §5): its state at the end
//! of the range, and the funding rates, open interest and liquidations within it, as decimal
//! strings and Unix ms.

use serde::Serialize;

use crate::domain::{
    DerivSample, DerivState, FundingRate, Liquidation, Millis, Price, Quote, Rate,
};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DerivativesReport {
    pub mark: Option<Price>,
    pub index: Option<Price>,
    pub funding_rate: Option<Rate>,
    pub funding_interval_hours: Option<u16>,
    pub next_funding_time: Option<Millis>,
    pub open_interest: Option<Quote>,
    pub open_interest_quote: Option<Quote>,
    /// `(mark - index) / index` in basis points, to 2 decimals.
    pub basis_bps: Option<String>,
    /// The mark against the `[market] basis` spot market or composite, where configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis_spot: Option<SpotBasis>,
    pub funding: Vec<FundingPoint>,
    pub open_interest_history: Vec<OpenInterestPoint>,
    pub liquidations: Vec<LiquidationReport>,
}

/// The perp's mark against its spot reference's latest close in the range.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpotBasis {
    pub market: String,
    /// The reference's close the mark is set against (`null`: none in the range).
    pub close: Option<Price>,
    /// `(mark - close) / close` in basis points, to 2 decimals.
    pub bps: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FundingPoint {
    pub time: Millis,
    pub rate: Rate,
    /// The venue's settled rate (`false`: the rate it predicted before the settlement).
    pub settled: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpenInterestPoint {
    pub time: Millis,
    pub oi: Quote,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LiquidationReport {
    pub time: Millis,
    /// The liquidated position: `long` or `short`.
    pub side: &'static str,
    pub price: Price,
    pub qty: crate::domain::Qty,
    pub quote: Quote,
    /// The venue publishes a sample, not every liquidation (Binance, OKX).
    pub sampled: bool,
}

impl DerivativesReport {
    /// From the stored samples (minute by minute, oldest first), rates and liquidations of
    /// the range; the state is the samples' fields merged in order.
    pub fn of(
        samples: &[DerivSample],
        funding: &[FundingRate],
        liquidations: &[Liquidation],
    ) -> Option<DerivativesReport> {
        let first = samples.first()?;
        let mut state = DerivState::new(first.update);
        for s in &samples[1..] {
            state.apply(&s.update);
        }
        let last = state.last;
        Some(DerivativesReport {
            mark: last.mark,
            index: last.index,
            funding_rate: last.funding_rate,
            funding_interval_hours: last.funding_interval_hours,
            next_funding_time: last.next_funding,
            open_interest: last.open_interest,
            open_interest_quote: last.open_interest_quote,
            basis_bps: state.basis_bps().map(|b| format!("{b:.2}")),
            basis_spot: None,
            funding: funding
                .iter()
                .map(|f| FundingPoint {
                    time: f.time,
                    rate: f.rate,
                    settled: f.settled,
                })
                .collect(),
            open_interest_history: samples
                .iter()
                .filter_map(|s| {
                    Some(OpenInterestPoint {
                        time: s.minute,
                        oi: s.update.open_interest?,
                    })
                })
                .collect(),
            liquidations: liquidations
                .iter()
                .map(|l| LiquidationReport {
                    time: l.time,
                    side: l.side.as_str(),
                    price: l.price,
                    qty: l.qty,
                    quote: l.quote(),
                    sampled: l.sampled,
                })
                .collect(),
        })
    }

    /// Sets the mark against `market`'s close (its latest in the range, if any).
    pub fn against_spot(mut self, market: crate::domain::Symbol, close: Option<Price>) -> Self {
        let bps = self.mark.zip(close).and_then(|(m, c)| {
            crate::domain::basis_bps(m.to_f64(), c.to_f64()).map(|b| format!("{b:.2}"))
        });
        self.basis_spot = Some(SpotBasis {
            market: market.to_string(),
            close,
            bps,
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DerivUpdate, Symbol};

    #[test]
    fn the_mark_against_a_spot_reference() {
        let perp = Symbol::new("binance-perp:BTCUSDT").unwrap();
        let spot = Symbol::new("composite:BTC-USD").unwrap();
        let mut u = DerivUpdate::new(perp, 60_000);
        u.mark = Some(Price::parse("90045").unwrap());
        u.index = Some(Price::parse("90000").unwrap());
        let sample = DerivSample {
            minute: 60_000,
            update: u,
        };
        let r = DerivativesReport::of(&[sample], &[], &[]).unwrap();
        let json = serde_json::to_value(&r).unwrap();
        assert!(json.get("basis_spot").is_none(), "only where configured");
        let r = r.against_spot(spot, Some(Price::parse("90018").unwrap()));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json["basis_spot"],
            serde_json::json!({"market": "composite:BTC-USD", "close": "90018", "bps": "3.00"})
        );
        assert_eq!(json["basis_bps"], "5.00");
        let none = DerivativesReport::of(&[sample], &[], &[])
            .unwrap()
            .against_spot(spot, None);
        let json = serde_json::to_value(&none).unwrap();
        assert_eq!(
            json["basis_spot"],
            serde_json::json!({"market": "composite:BTC-USD", "close": null, "bps": null})
        );
    }
}
