//! `[market]`: the streamed markets, their timeframes and the composites built from them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::check::{Invalid, invalid, is_http_url};
use crate::domain::{Composite, Symbol, Timeframe, Venue};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketConfig {
    /// Streamed markets, `VENUE:SYMBOL` (a bare symbol is a Binance one). Members of
    /// composites are added when missing.
    pub symbols: Vec<Symbol>,
    pub timeframes: Vec<Timeframe>,
    /// Name -> members: `composite:NAME` is built from the members' merged trades.
    pub composites: BTreeMap<String, Vec<Symbol>>,
    /// Perp -> the spot market or composite its basis is measured against (SPEC §5):
    /// `basis = { "binance-perp:BTCUSDT" = "composite:BTC-USD" }`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub basis: BTreeMap<Symbol, Symbol>,
    /// v1 spellings of `[venues.binance]`, still accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ws_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rest_url: Option<String>,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig {
            symbols: vec![sym("BTCUSDT"), sym("ETHUSDT")],
            timeframes: Timeframe::ALL.to_vec(),
            composites: BTreeMap::new(),
            basis: BTreeMap::new(),
            exchange: None,
            ws_url: None,
            rest_url: None,
        }
    }
}

impl MarketConfig {
    pub fn composites(&self) -> Vec<Composite> {
        self.composites
            .iter()
            .filter_map(|(name, members)| {
                Some(Composite {
                    symbol: Symbol::on(Venue::Composite, name.as_bytes())?,
                    members: members.clone(),
                })
            })
            .collect()
    }

    /// Every series kept: the streamed symbols, then the composites.
    pub fn series_symbols(&self) -> Vec<Symbol> {
        let mut all = self.symbols.clone();
        all.extend(self.composites().into_iter().map(|c| c.symbol));
        all
    }

    /// These markets streamed as well (those added from the dashboard), after the configured
    /// ones; a market already configured is not repeated.
    pub fn with_added(&self, added: &[Symbol]) -> MarketConfig {
        let mut m = self.clone();
        for s in added {
            if !m.symbols.contains(s) {
                m.symbols.push(*s);
            }
        }
        m
    }

    /// The venues that have at least one streamed symbol.
    pub fn venues(&self) -> Vec<Venue> {
        Venue::EXCHANGES
            .into_iter()
            .filter(|v| self.symbols.iter().any(|s| s.venue() == *v))
            .collect()
    }

    pub fn symbols_on(&self, venue: Venue) -> Vec<Symbol> {
        self.symbols
            .iter()
            .copied()
            .filter(|s| s.venue() == venue)
            .collect()
    }
}

impl MarketConfig {
    /// `[market]`: the v1 keys as they were meant, streamed symbols once each (no composite),
    /// composites of at least two distinct exchange markets, at least one timeframe.
    pub fn validate(&self) -> Result<(), Invalid> {
        if let Some(e) = self.exchange.as_deref()
            && Venue::parse(e) != Some(Venue::DEFAULT)
        {
            return Err((
                "market.exchange".into(),
                format!(
                    "{e:?}: this v1 key only means \"{}\"; name other venues in the symbols (VENUE:SYMBOL)",
                    Venue::DEFAULT
                ),
            ));
        }
        // A v1 key is named as the user wrote it.
        if let Some(ws) = &self.ws_url
            && !(ws.starts_with("ws://") || ws.starts_with("wss://"))
        {
            return invalid("market.ws_url", "must start with ws:// or wss://");
        }
        if let Some(rest) = &self.rest_url
            && !is_http_url(rest)
        {
            return invalid("market.rest_url", "must start with http:// or https://");
        }
        if self.symbols.is_empty() {
            return invalid("market.symbols", "needs at least one symbol");
        }
        for (i, s) in self.symbols.iter().enumerate() {
            if self.symbols[..i].contains(s) {
                return Err(("market.symbols".into(), format!("{s} is listed twice")));
            }
            if s.venue() == Venue::Composite {
                return Err((
                    "market.symbols".into(),
                    format!("{s}: composites are defined in market.composites, not streamed"),
                ));
            }
        }
        for (name, members) in &self.composites {
            let key = format!("market.composites.{name}");
            if Symbol::on(Venue::Composite, name.as_bytes()).is_none() {
                return Err((
                    key,
                    "a composite's name must be 1 to 22 letters, digits, '-', '/', '_' or '.'"
                        .into(),
                ));
            }
            if members.len() < 2 {
                return Err((key, "needs at least two members".into()));
            }
            for (i, m) in members.iter().enumerate() {
                if m.venue() == Venue::Composite {
                    return Err((key, format!("{m}: a composite cannot be a member")));
                }
                if members[..i].contains(m) {
                    return Err((key, format!("{m} is listed twice")));
                }
            }
        }
        let series = self.series_symbols();
        for (perp, spot) in &self.basis {
            let key = format!("market.basis.\"{perp}\"");
            if !perp.is_perp() || !self.symbols.contains(perp) {
                return Err((key, format!("{perp} is not one of market.symbols' perps")));
            }
            if spot.is_perp() || !series.contains(spot) {
                return Err((
                    key,
                    format!("{spot} must be a spot market of market.symbols or a composite"),
                ));
            }
        }
        if self.timeframes.is_empty() {
            return invalid("market.timeframes", "needs at least one timeframe");
        }
        Ok(())
    }
}

pub(super) fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap_or_else(|_| unreachable!("built-in symbol {s} is valid"))
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn check(text: &str) -> Result<(), String> {
        Config::parse(text, std::path::Path::new("c.toml"))
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn basis_names_a_configured_perp_and_a_spot_market_or_composite() {
        let base = "[market]\nsymbols = [\"binance-perp:BTCUSDT\", \"coinbase:BTC-USD\", \"kraken:BTC/USD\"]\ncomposites = { \"BTC-USD\" = [\"coinbase:BTC-USD\", \"kraken:BTC/USD\"] }\n";
        check(&format!(
            "{base}basis = {{ \"binance-perp:BTCUSDT\" = \"composite:BTC-USD\" }}\n"
        ))
        .unwrap();
        check(&format!(
            "{base}basis = {{ \"binance-perp:BTCUSDT\" = \"coinbase:BTC-USD\" }}\n"
        ))
        .unwrap();
        let e = check(&format!(
            "{base}basis = {{ \"bybit-perp:BTCUSDT\" = \"coinbase:BTC-USD\" }}\n"
        ))
        .unwrap_err();
        assert!(
            e.contains("market.basis") && e.contains("bybit-perp:BTCUSDT"),
            "{e}"
        );
        let e = check(&format!(
            "{base}basis = {{ \"binance-perp:BTCUSDT\" = \"okx:BTC-USDT\" }}\n"
        ))
        .unwrap_err();
        assert!(
            e.contains("spot market of market.symbols or a composite"),
            "{e}"
        );
        let e = check(&format!(
            "{base}basis = {{ \"binance-perp:BTCUSDT\" = \"nope\" }}\n"
        ))
        .unwrap_err();
        assert!(e.contains("market.basis") || e.contains("NOPE"), "{e}");
    }
}
