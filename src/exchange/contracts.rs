//! Markets whose trades count contracts (OKX swaps: `sz` is contracts of `ctVal` coins each):
//! what one contract of each is worth in its base coin, so every size cryptoviz keeps is in
//! coins, exactly (13 contracts of 0.01 BTC are 0.13 BTC; a product that would need rounding
//! is refused, never rounded).

use std::collections::HashMap;
use std::time::Duration;

use crate::domain::{BookUpdate, Qty, Symbol, Trade};

/// A venue's list read: each market and what one contract is worth in its base coin, or why
/// it cannot be used.
pub type ContractList = Vec<(Symbol, Result<Qty, String>)>;

/// Reads the list of contract sizes that `markets` need from their venue's REST base
/// (`[venues.<venue>] rest_url`), within `limit`: how `portfolio import` learns the size of an
/// export written in contracts. `Ok(None)`: their venue counts none of them in contracts.
pub async fn read_list(
    markets: &[Symbol],
    rest_url: &str,
    limit: Duration,
) -> Result<Option<ContractList>, String> {
    let Some(venue) = markets.first().map(Symbol::venue) else {
        return Ok(None);
    };
    let Some(connector) = super::connector(venue) else {
        return Ok(None);
    };
    let Some(path) = connector.contracts_path(markets) else {
        return Ok(None);
    };
    let url = format!("{}{path}", rest_url.trim_end_matches('/'));
    // reqwest's own errors name the URL already.
    let named = |e: String| match e.contains(&url) {
        true => e,
        false => format!("{url}: {e}"),
    };
    let body = super::side_rest::fetch(&url, limit).await.map_err(named)?;
    connector.decode_contracts(&body).map(Some).map_err(named)
}

/// Contract sizes as the venue's list gave them, and the markets it could not size.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contracts {
    sizes: HashMap<Symbol, Result<Qty, String>>,
}

impl Contracts {
    /// From a venue's list; the markets of `wanted` missing from it are recorded as such.
    pub fn new(listed: ContractList, wanted: &[Symbol]) -> Contracts {
        let mut sizes: HashMap<Symbol, Result<Qty, String>> = HashMap::new();
        for s in wanted {
            sizes.insert(
                *s,
                Err(format!("{s} is not in the venue's list of contracts")),
            );
        }
        for (s, size) in listed {
            if let Some(slot) = sizes.get_mut(&s) {
                *slot = size;
            }
        }
        Contracts { sizes }
    }

    /// The wanted markets that cannot be sized, each with its reason.
    pub fn problems(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .sizes
            .values()
            .filter_map(|r| r.as_ref().err().map(String::as_str))
            .collect();
        out.sort_unstable();
        out
    }

    /// Turns `t`'s size from contracts into coins, when its market counts contracts.
    #[inline]
    pub fn apply(&self, t: &mut Trade) -> Result<(), String> {
        match self.sizes.get(&t.symbol) {
            None => Ok(()),
            Some(Err(reason)) => Err(reason.clone()),
            Some(Ok(size)) => {
                t.qty = t.qty.checked_scale(*size).ok_or_else(|| {
                    format!(
                        "{}: {} contracts of {size} is not exact to 8 decimals",
                        t.symbol, t.qty
                    )
                })?;
                Ok(())
            }
        }
    }

    /// Turns a book's sizes from contracts into coins, when its market counts contracts.
    pub fn apply_book(&self, update: &mut BookUpdate) -> Result<(), String> {
        let size = match self.sizes.get(&update.symbol) {
            None => return Ok(()),
            Some(Err(reason)) => return Err(reason.clone()),
            Some(Ok(size)) => *size,
        };
        for level in update.bids.iter_mut().chain(update.asks.iter_mut()) {
            level.qty = level.qty.checked_scale(size).ok_or_else(|| {
                format!(
                    "{}: {} contracts of {size} is not exact",
                    update.symbol, level.qty
                )
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Price;

    fn trade(symbol: &str, qty: &str) -> Trade {
        Trade {
            symbol: Symbol::new(symbol).unwrap(),
            id: 1,
            price: Price::parse("100").unwrap(),
            qty: Qty::parse(qty).unwrap(),
            time: 1,
            micros: 0,
            count: 1,
            buyer_is_maker: false,
        }
    }

    #[test]
    fn contracts_become_coins_and_unknown_markets_say_why() {
        let swap = Symbol::new("okx:BTC-USDT-SWAP").unwrap();
        let gone = Symbol::new("okx:OLD-USDT-SWAP").unwrap();
        let c = Contracts::new(
            vec![
                (swap, Ok(Qty::parse("0.01").unwrap())),
                (
                    Symbol::new("okx:ETH-USDT-SWAP").unwrap(),
                    Ok(Qty::parse("0.1").unwrap()),
                ),
            ],
            &[swap, gone],
        );
        let mut t = trade("okx:BTC-USDT-SWAP", "13");
        c.apply(&mut t).unwrap();
        assert_eq!(t.qty.to_string(), "0.13");
        let mut spot = trade("okx:BTC-USDT", "13");
        c.apply(&mut spot).unwrap();
        assert_eq!(spot.qty.to_string(), "13", "spot counts coins already");
        let mut old = trade("okx:OLD-USDT-SWAP", "1");
        assert!(
            c.apply(&mut old)
                .unwrap_err()
                .contains("not in the venue's list")
        );
        assert_eq!(c.problems().len(), 1);
        let mut odd = trade("okx:BTC-USDT-SWAP", "0.00000001");
        assert!(c.apply(&mut odd).unwrap_err().contains("not exact"));
    }
}
