//! One client per streamed venue, found by venue.

use super::*;

/// Whatever hands out the REST client of a venue: one client (for its own venue only) or a
/// [`KlinesClients`] set.
pub trait VenueClients: Sync {
    /// The client of `venue`; `None` for composites and venues without one.
    fn get(&self, venue: Venue) -> Option<&KlinesClient>;
    /// Every client's counters added up.
    fn stats(&self) -> Option<KlinesStats>;
}

impl VenueClients for KlinesClient {
    fn get(&self, venue: Venue) -> Option<&KlinesClient> {
        (self.venue() == venue).then_some(self)
    }

    fn stats(&self) -> Option<KlinesStats> {
        Some(KlinesClient::stats(self))
    }
}

impl VenueClients for KlinesClients {
    fn get(&self, venue: Venue) -> Option<&KlinesClient> {
        KlinesClients::get(self, venue)
    }

    fn stats(&self) -> Option<KlinesStats> {
        KlinesClients::stats(self)
    }
}

/// One client per streamed venue, each with its own budget and breaker: one venue
/// refusing never holds up another's repair.
#[derive(Clone, Default)]
pub struct KlinesClients {
    clients: Vec<Arc<KlinesClient>>,
}

impl From<KlinesClient> for KlinesClients {
    fn from(c: KlinesClient) -> Self {
        KlinesClients {
            clients: vec![Arc::new(c)],
        }
    }
}

impl KlinesClients {
    /// A client for every venue with a streamed symbol, each telling `notify` its notices.
    pub fn from_config(cfg: &Config, notify: Option<VenueNoticeSink>) -> Result<Self, KlinesError> {
        let mut clients = Vec::new();
        for venue in cfg.market.venues() {
            let Some(kc) = KlinesConfig::from_config(cfg, venue) else {
                continue;
            };
            let mut client = KlinesClient::new(kc)?;
            if let Some(f) = notify.clone() {
                client = client.on_notice(move |n| f(venue, n));
            }
            clients.push(Arc::new(client));
        }
        Ok(KlinesClients { clients })
    }

    pub fn add(&mut self, client: Arc<KlinesClient>) {
        self.clients.retain(|c| c.venue() != client.venue());
        self.clients.push(client);
    }

    /// The client of `venue`; `None` for composites and venues not streamed.
    pub fn get(&self, venue: Venue) -> Option<&KlinesClient> {
        self.clients
            .iter()
            .find(|c| c.venue() == venue)
            .map(|c| &**c)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<KlinesClient>> {
        self.clients.iter()
    }

    /// Every client's counters added up (weights: the busiest venue's).
    pub fn stats(&self) -> Option<KlinesStats> {
        let mut all = self.clients.iter().map(|c| c.stats());
        let mut total = all.next()?;
        for s in all {
            total.requests += s.requests;
            total.retries += s.retries;
            total.rate_limited += s.rate_limited;
            total.budget_waits += s.budget_waits;
            total.rejected_rows += s.rejected_rows;
            total.rejected_pages += s.rejected_pages;
            total.candles += s.candles;
            if s.weight_used > total.weight_used {
                total.weight_used = s.weight_used;
                total.weight_limit = s.weight_limit;
            }
            total.banned_until = total.banned_until.max(s.banned_until);
        }
        Some(total)
    }
}
