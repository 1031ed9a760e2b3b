//! The demo's perps: each simulated perp's premium over its index wanders (mean-reverting),
//! its funding follows the premium as the venues' formulas make it, open interest drifts, and
//! now and then a position is liquidated, more often on the side the last move hurt. Pure and
//! deterministic for a seed, like the trades.

use std::collections::HashMap;

use crate::domain::{
    DerivEvent, DerivUpdate, Liquidation, Millis, PositionSide, Price, Qty, Quote, Rate, Symbol,
};
use crate::rng::Rng;

/// Every perp of the demo funds each 8 hours.
const INTERVAL_H: u16 = 8;
/// The premium's typical size and how fast it returns: a few basis points over a minute.
const PREMIUM_SD: f64 = 0.0004;
const PREMIUM_TAU_S: f64 = 120.0;
/// Liquidations a second, on average, and their typical quote value.
const LIQUIDATIONS_PER_S: f64 = 0.15;
const MEDIAN_LIQUIDATION: f64 = 20_000.0;
/// Open interest starts near this quote value.
const OPEN_INTEREST_QUOTE: f64 = 2e9;

struct Perp {
    rng: Rng,
    premium: f64,
    open_interest: f64,
    last_price: f64,
}

pub struct DemoPerps {
    perps: HashMap<Symbol, Perp>,
}

impl DemoPerps {
    pub fn new(seed: u64, symbols: &[Symbol]) -> DemoPerps {
        let perps = symbols
            .iter()
            .filter(|s| s.is_perp())
            .map(|s| {
                let rng = Rng::new(seed ^ super::fnv1a(&s.to_string()) ^ 0xDE_417);
                let perp = Perp {
                    rng,
                    premium: 0.0001,
                    open_interest: 0.0,
                    last_price: 0.0,
                };
                (*s, perp)
            })
            .collect();
        DemoPerps { perps }
    }

    /// One second of every perp at `now`, each at its market's `prices`.
    pub fn step(&mut self, now: Millis, prices: &[(Symbol, f64)]) -> Vec<DerivEvent> {
        self.step_by(now, 1.0, prices)
    }

    /// `dt` seconds of every perp ending at `now` (the demo's history steps a minute at a
    /// time): the premium and open interest move as `dt` one-second steps would on average,
    /// and at most one liquidation comes, as likely as one in `dt` seconds.
    pub fn step_by(&mut self, now: Millis, dt: f64, prices: &[(Symbol, f64)]) -> Vec<DerivEvent> {
        let mut out = Vec::new();
        for (symbol, price) in prices {
            let Some(p) = self.perps.get_mut(symbol) else {
                continue;
            };
            if *price <= 0.0 {
                continue;
            }
            let phi = (-dt / PREMIUM_TAU_S).exp();
            p.premium = p.premium * phi + PREMIUM_SD * (1.0 - phi * phi).sqrt() * p.rng.normal();
            if p.open_interest == 0.0 {
                p.open_interest = OPEN_INTEREST_QUOTE / price;
            }
            p.open_interest *= 1.0 + 0.001 * dt.sqrt() * p.rng.normal();
            let mut u = DerivUpdate::new(*symbol, now);
            u.mark = Some(Price::from_f64(*price));
            u.index = Some(Price::from_f64(price / (1.0 + p.premium)));
            // The venues' premium-plus-interest rule, clamped like their caps.
            let rate = (p.premium + 0.0001).clamp(-0.0075, 0.0075);
            u.funding_rate = Some(Rate::from_raw((rate * 1e12).round() as i128 * 10_000));
            u.funding_interval_hours = Some(INTERVAL_H);
            let every = i64::from(INTERVAL_H) * 3_600_000;
            u.next_funding = Some((now.div_euclid(every) + 1) * every);
            u.open_interest = Some(Quote::from_f64(p.open_interest));
            u.open_interest_quote = Some(Quote::from_f64(p.open_interest * price));
            out.push(DerivEvent::Update(u));
            // A fall liquidates longs more often, a rise shorts.
            let fell = p.last_price > 0.0 && *price < p.last_price;
            p.last_price = *price;
            if p.rng.unit() < 1.0 - (-LIQUIDATIONS_PER_S * dt).exp() {
                let quote = MEDIAN_LIQUIDATION * (1.2 * p.rng.normal()).exp();
                let long = p.rng.unit() < if fell { 0.8 } else { 0.3 };
                out.push(DerivEvent::Liquidation(Liquidation {
                    symbol: *symbol,
                    time: now,
                    side: if long {
                        PositionSide::Long
                    } else {
                        PositionSide::Short
                    },
                    price: Price::from_f64(*price),
                    qty: Qty::from_f64(quote / price),
                    sampled: false,
                }));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_perp_gets_a_whole_valid_state_and_some_liquidations() {
        let perp = Symbol::new("okx:BTC-USDT-SWAP").unwrap();
        let spot = Symbol::new("BTCUSDT").unwrap();
        let mut d = DemoPerps::new(7, &[spot, perp]);
        let mut liquidations = 0;
        for s in 0..600 {
            let events = d.step(
                1_700_000_000_000 + s * 1000,
                &[(spot, 90_000.0), (perp, 90_010.0)],
            );
            for e in &events {
                assert_eq!(e.symbol(), perp, "spot has no derivatives");
                e.check().unwrap();
                match e {
                    DerivEvent::Update(u) => {
                        assert!(u.mark.is_some() && u.index.is_some() && u.open_interest.is_some());
                        assert_eq!(u.next_funding.unwrap() % (8 * 3_600_000), 0);
                    }
                    DerivEvent::Liquidation(_) => liquidations += 1,
                }
            }
        }
        assert!(
            (40..160).contains(&liquidations),
            "{liquidations} in 10 minutes"
        );
        // Deterministic for a seed.
        let again = DemoPerps::new(7, &[perp]).step(1, &[(perp, 90_010.0)]);
        assert_eq!(
            again,
            DemoPerps::new(7, &[perp]).step(1, &[(perp, 90_010.0)])
        );
    }
}
