//! Prices in the portfolio's currency from stored candles: the last close at or before the
//! time, of a market of the asset against cash, or through one of BTC, ETH (ETH -> BTC -> USD);
//! each asset's path is kept, to be told.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;

use super::import::split_market;
use super::lots::Prices;
use crate::domain::{Millis, Price, SeriesKey};
use crate::store::Backend;

/// Assets a price may go through when no market of the asset against cash is stored.
const BRIDGES: [&str; 2] = ["BTC", "ETH"];

pub struct StorePrices<'a> {
    b: &'a mut dyn Backend,
    currency: String,
    at_par: bool,
    /// The stored market of each (base, quote), the shortest timeframe's (spot and
    /// composites: a perp's price is not its coin's).
    markets: HashMap<(String, String), SeriesKey>,
    /// Each stored perp's series, the shortest timeframe's, by canonical name.
    perps: HashMap<String, SeriesKey>,
    /// Each asset's ways to a price, best first, worked out once.
    routes: HashMap<String, std::rc::Rc<[Route]>>,
    /// Closes read from the store (outside a preloaded span), by market and time.
    queried: HashMap<(SeriesKey, Millis), Option<Decimal>>,
    /// The span a replay will ask about: each market used is read over it once, into memory
    /// (when it holds at most [`PRELOAD_CANDLES`]), rather than a query a price.
    span: Option<(Millis, Millis)>,
    /// Each preloaded market's (open time, close), ascending.
    loaded: HashMap<SeriesKey, Option<Vec<(Millis, Decimal)>>>,
    /// How each asset was last valued: `ETH -> BTC -> USD`.
    pub paths: BTreeMap<String, String>,
}

/// Candles of one market a replay keeps in memory at most (139 days of minutes).
const PRELOAD_CANDLES: i64 = 200_000;

fn decimal(p: Price) -> Decimal {
    Decimal::from_i128_with_scale(p.raw(), 8).normalize()
}

impl<'a> StorePrices<'a> {
    pub fn new(
        b: &'a mut dyn Backend,
        currency: &str,
        at_par: bool,
    ) -> Result<StorePrices<'a>, crate::store::StoreError> {
        let mut keys = b.series_keys()?;
        // The shortest timeframe first, so each market is read at its finest.
        keys.sort_by_key(|k| (k.timeframe, k.symbol));
        let (mut markets, mut perps) = (HashMap::new(), HashMap::new());
        for k in keys {
            if k.symbol.is_perp() {
                perps.entry(k.symbol.canonical()).or_insert(k);
            } else if let Some(pair) = split_market(k.symbol.as_str()) {
                markets.entry(pair).or_insert(k);
            }
        }
        Ok(StorePrices {
            b,
            currency: currency.to_ascii_uppercase(),
            at_par,
            markets,
            perps,
            routes: HashMap::new(),
            queried: HashMap::new(),
            span: None,
            loaded: HashMap::new(),
            paths: BTreeMap::new(),
        })
    }

    /// Prices will be asked for times in `from..=to`: read each market used over it at once.
    pub fn over(mut self, from: Millis, to: Millis) -> Self {
        self.span = Some((from, to));
        self
    }

    /// The close of `key`'s last candle closed at or before `at`.
    fn close(&mut self, key: SeriesKey, at: Millis) -> Option<Decimal> {
        let before = at - key.timeframe.millis();
        if let Some((from, to)) = self.span
            && (from..=to).contains(&at)
        {
            let tf = key.timeframe.millis();
            let loaded = self.loaded.entry(key).or_insert_with(|| {
                // A day before the span, so its first times find the close before them.
                let first = from - 86_400_000 - tf;
                ((to - first) / tf <= PRELOAD_CANDLES).then(|| {
                    self.b
                        .closes(key, first, to)
                        .map(|cs| cs.into_iter().map(|(t, c)| (t, decimal(c))).collect())
                        .unwrap_or_default()
                })
            });
            if let Some(closes) = loaded {
                let i = closes.partition_point(|(open, _)| *open <= before);
                // Before the first loaded close the store may still hold an older one.
                if i > 0 {
                    return Some(closes[i - 1].1);
                }
            }
        }
        if let Some(v) = self.queried.get(&(key, before)) {
            return *v;
        }
        let v = self
            .b
            .candles_before(key, before, 1)
            .ok()
            .and_then(|mut c| c.pop())
            .map(|c| decimal(c.close));
        self.queried.insert((key, before), v);
        v
    }

    /// The markets of `asset` against cash: the currency itself first, then by name (the
    /// same choice every run).
    fn direct(&self, asset: &str) -> Vec<(String, SeriesKey)> {
        let mut quotes: Vec<(String, SeriesKey)> = self
            .markets
            .iter()
            .filter(|((b, q), _)| b == asset && self.is_cash(q))
            .map(|((_, q), k)| (q.clone(), *k))
            .collect();
        quotes.sort_by_key(|(q, _)| (*q != self.currency, q.clone()));
        quotes
    }

    /// Every way to `asset`'s price, best first: against cash, then through a bridge.
    fn routes_of(&self, asset: &str) -> Vec<Route> {
        let told = |p: String| {
            if p.ends_with(&self.currency) {
                p
            } else {
                format!("{p} = {}", self.currency)
            }
        };
        let mut out: Vec<Route> = self
            .direct(asset)
            .into_iter()
            .map(|(q, k)| Route {
                legs: vec![k],
                path: told(format!("{asset} -> {q}")),
            })
            .collect();
        for bridge in BRIDGES {
            let Some(&cross) = self.markets.get(&(asset.to_string(), bridge.to_string())) else {
                continue;
            };
            for (q, k) in self.direct(bridge) {
                out.push(Route {
                    legs: vec![cross, k],
                    path: told(format!("{asset} -> {bridge} -> {q}")),
                });
            }
        }
        out
    }
}

/// One way to a price: the product of these markets' closes.
struct Route {
    legs: Vec<SeriesKey>,
    path: String,
}

impl Prices for StorePrices<'_> {
    fn is_cash(&self, asset: &str) -> bool {
        super::is_cash(asset, &self.currency, self.at_par)
    }

    fn value(&mut self, asset: &str, at: Millis) -> Option<Decimal> {
        let routes = match self.routes.get(asset) {
            Some(r) => r.clone(),
            None => {
                let r: std::rc::Rc<[Route]> = self.routes_of(asset).into();
                self.routes.insert(asset.to_string(), r.clone());
                r
            }
        };
        let mut found = None;
        for (i, r) in routes.iter().enumerate() {
            let mut v = Decimal::ONE;
            let mut whole = true;
            for &k in &r.legs {
                match self.close(k, at) {
                    Some(c) => v *= c,
                    None => {
                        whole = false;
                        break;
                    }
                }
            }
            if whole {
                found = Some((i, v));
                break;
            }
        }
        if let Some((i, _)) = found
            && self.paths.get(asset) != Some(&routes[i].path)
        {
            self.paths.insert(asset.to_string(), routes[i].path.clone());
        }
        found.map(|f| f.1)
    }

    fn mark(&mut self, market: &str, at: Millis) -> Option<Decimal> {
        let key = *self.perps.get(market)?;
        self.close(key, at)
    }
}
