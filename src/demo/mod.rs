//! A simulated market for `--demo`, so the dashboard is alive offline and in screenshots.
//!
//! Real markets are not a plain random walk: volatility comes in clusters and trades come in
//! bursts. Per symbol this model has
//! - a log-price diffusion sampled exactly at each trade, whose variance follows a GARCH(1,1)
//!   update once per simulated second (big moves beget big moves);
//! - a trade intensity with a base rate (3-8 trades/s), a self-exciting Hawkes term (each
//!   trade raises the rate briefly, roughly doubling the quiet rate), a slow regime that
//!   makes whole hours calm or hectic, and rare shocks that push it past 100 trades/s and
//!   raise the variance at the same time;
//! - trades at the bid or the ask one tick apart, prices on the symbol's tick, log-normal
//!   quantities on its lot size, contiguous ids.
//!
//! Everything is drawn from one seeded [`Rng`] per symbol in fixed 100 ms slots, so the same
//! seed gives the same trades however `advance` is called.
//!
//! The same coin on several venues (`binance:BTCUSDT`, `coinbase:BTC-USD`, ...) follows one
//! price: the first listed leads, each other venue trades at the leader's price plus a basis
//! of a few basis points that wanders (an Ornstein-Uhlenbeck process), so composites and
//! spreads have something to show offline.

use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use crate::domain::{BOOK_DEPTH, Book, Level, Millis, Price, Qty, Symbol, Trade, Venue, now_ms};
use crate::rng::Rng;
use crate::source::{MarketEvent, StreamStatus};

pub mod ledger;
mod perps;
pub use perps::DemoPerps;

/// Simulation step. Trades inside a slot get uniform millisecond offsets.
const SLOT_MS: Millis = 100;
const SLOTS_PER_SEC: u64 = (1000 / SLOT_MS) as u64;
/// GARCH(1,1) on one-second log returns: persistence alpha + beta = 0.985, so a volatile spell
/// fades over a minute or two.
const GARCH_ALPHA: f64 = 0.07;
const GARCH_BETA: f64 = 0.915;
/// Each trade adds to the intensity, decaying with this time constant; the branching ratio
/// (trades triggered per trade) stays below 1 so bursts die out.
const EXCITE_TAU_S: f64 = 1.0;
const BRANCHING: f64 = 0.55;
/// About one shock every ten minutes per symbol.
const SHOCK_PER_SLOT: f64 = 1.0 / 6000.0;
/// The variance never strays further than this from its long-run level, either way.
const VAR_RANGE: f64 = 25.0;
/// The slow regime: log of a variance and activity multiplier, an Ornstein-Uhlenbeck process
/// with a half-hour memory, so calm and hectic hours alternate.
const REGIME_TAU_S: f64 = 1800.0;
const REGIME_SD: f64 = 0.8;
const MAX_RATE: f64 = 2_000.0;
/// The typical trade is worth this much quote currency.
const MEDIAN_NOTIONAL: f64 = 200.0;
/// How often `run` brings the market up to the wall clock.
const TICK: Duration = Duration::from_millis(100);
/// Books are sent every this many ticks (the real partial-depth streams send ten a second;
/// the demo needs fewer to look alive).
const BOOK_EVERY_TICKS: u64 = 5;

/// Per-symbol market character.
struct Profile {
    price: f64,
    tick: &'static str,
    lot: &'static str,
    base_rate: f64,
    daily_vol: f64,
}

/// The coin a market trades: `BTCUSDT`, `BTC-USD` and `BTC/USD` all trade BTC ("" when
/// unknown: such a market follows no other).
fn base_asset(symbol: Symbol) -> &'static str {
    const COINS: [&str; 4] = ["BTC", "ETH", "SOL", "BNB"];
    let base = crate::news::coins::base_asset(symbol.as_str()).unwrap_or("");
    COINS.into_iter().find(|c| *c == base).unwrap_or("")
}

/// Venue basis: the standard deviation of its log-price offset from the leader (3 bp) and
/// how long that offset takes to revert (a minute).
const BASIS_SD: f64 = 0.0003;
const BASIS_TAU_S: f64 = 60.0;

fn profile(symbol: Symbol) -> Profile {
    let p = |price, tick, lot, base_rate, daily_vol| Profile {
        price,
        tick,
        lot,
        base_rate,
        daily_vol,
    };
    match base_asset(symbol) {
        // Near where the bundled headlines' defaults put them (`news --demo` has no market).
        "BTC" => p(100_900.0, "0.01", "0.00001", 8.0, 0.025),
        "ETH" => p(3_375.0, "0.01", "0.0001", 6.0, 0.035),
        "SOL" => p(150.0, "0.01", "0.001", 4.0, 0.05),
        "BNB" => p(600.0, "0.01", "0.001", 3.0, 0.03),
        _ => p(1.0, "0.0001", "0.1", 3.0, 0.05),
    }
}

/// One symbol's simulation state.
struct Sim {
    symbol: Symbol,
    rng: Rng,
    tick: i128,
    lot: i128,
    log_price: f64,
    /// Time of the last diffusion sample.
    sampled_at: Millis,
    /// Current and long-run variance of the one-second log return.
    var: f64,
    long_var: f64,
    second_start_log: f64,
    base_rate: f64,
    regime: f64,
    excite: f64,
    shock: f64,
    shock_decay: f64,
    median_qty: f64,
    next_id: i64,
    /// For a coin's second and later venues: the leading sim's index and this venue's
    /// current log-price offset from it.
    follows: Option<usize>,
    basis: f64,
    /// The last trade handed out, in ticks, and whether it hit the bid: the book is drawn
    /// around it, so the last trade is always at the touch, never beyond it.
    last_traded: Option<(i128, bool)>,
}

impl Sim {
    fn new(symbol: Symbol, seed: u64, start_ms: Millis) -> Sim {
        let venue_mix = (symbol.venue() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut rng = Rng::new(seed ^ fnv1a(symbol.as_str()) ^ venue_mix);
        let prof = profile(symbol);
        let raw = |s: &str| Price::parse(s).map(Price::raw).unwrap_or(1);
        let price = prof.price * (0.02 * rng.normal()).exp();
        let long_var = prof.daily_vol * prof.daily_vol / 86_400.0;
        Sim {
            symbol,
            tick: raw(prof.tick).max(1),
            lot: raw(prof.lot).max(1),
            log_price: price.ln(),
            sampled_at: start_ms,
            var: long_var,
            long_var,
            second_start_log: price.ln(),
            base_rate: prof.base_rate,
            regime: 0.0,
            excite: 0.0,
            shock: 0.0,
            shock_decay: 1.0,
            median_qty: MEDIAN_NOTIONAL / price,
            next_id: rng.range(1_000_000, 900_000_000) as i64,
            follows: None,
            basis: 0.0,
            last_traded: None,
            rng,
        }
    }

    /// Advances the price to `t` with variance proportional to the elapsed time.
    fn diffuse_to(&mut self, t: Millis) {
        let dt = (t - self.sampled_at) as f64 / 1000.0;
        if dt > 0.0 {
            let v = self.var * dt;
            self.log_price += v.sqrt() * self.rng.normal() - 0.5 * v;
            self.sampled_at = t;
        }
    }

    fn rate(&self) -> f64 {
        (self.quiet_rate() + self.excite + self.shock).min(MAX_RATE)
    }

    /// The base rate as the current regime makes it: busier when volatile.
    fn quiet_rate(&self) -> f64 {
        self.base_rate * (0.5 * self.regime).exp()
    }

    /// Generates the trades of `[start, start + SLOT_MS)`; `slot` is the slot's index since
    /// the market started (whole seconds end every `SLOTS_PER_SEC` slots).
    fn slot(&mut self, start: Millis, slot: u64, out: &mut Vec<Trade>) {
        if self.rng.unit() < SHOCK_PER_SLOT {
            self.shock += 60.0 + 190.0 * self.rng.unit();
            self.shock_decay = (-(SLOT_MS as f64 / 1000.0) / (2.0 + 6.0 * self.rng.unit())).exp();
            self.var = (self.var * (3.0 + 5.0 * self.rng.unit())).min(self.long_var * VAR_RANGE);
        }
        let mean = self.rate() * SLOT_MS as f64 / 1000.0;
        let n = poisson(&mut self.rng, mean);
        let mut offsets: Vec<Millis> = (0..n)
            .map(|_| self.rng.range(0, SLOT_MS as u64 - 1) as Millis)
            .collect();
        offsets.sort_unstable();
        for off in offsets {
            let t = start + off;
            self.diffuse_to(t);
            out.push(self.trade(t));
        }
        let end = start + SLOT_MS;
        self.diffuse_to(end);
        let slot_s = SLOT_MS as f64 / 1000.0;
        self.excite =
            self.excite * (-slot_s / EXCITE_TAU_S).exp() + n as f64 * BRANCHING / EXCITE_TAU_S;
        self.shock *= self.shock_decay;
        if (slot + 1).is_multiple_of(SLOTS_PER_SEC) {
            self.end_second();
        }
    }

    /// Once per simulated second: the regime drifts and the GARCH variance updates on the
    /// second's realised return, pulled toward the regime's level.
    fn end_second(&mut self) {
        let phi = (-1.0 / REGIME_TAU_S).exp();
        self.regime = self.regime * phi + REGIME_SD * (1.0 - phi * phi).sqrt() * self.rng.normal();
        let target = self.long_var * self.regime.exp();
        let r = self.log_price - self.second_start_log;
        let omega = target * (1.0 - GARCH_ALPHA - GARCH_BETA);
        self.var = (omega + GARCH_ALPHA * r * r + GARCH_BETA * self.var)
            .clamp(self.long_var / VAR_RANGE, self.long_var * VAR_RANGE);
        self.second_start_log = self.log_price;
    }

    /// A trade at the bid (taker sold, buyer is maker) or at the ask one tick above.
    fn trade(&mut self, t: Millis) -> Trade {
        let buyer_is_maker = self.rng.unit() < 0.5;
        let mid_ticks = (self.log_price.exp() * 1e8 / self.tick as f64).floor() as i128;
        let ticks = (if buyer_is_maker {
            mid_ticks
        } else {
            mid_ticks + 1
        })
        .max(1);
        let qty = self.median_qty * (1.1 * self.rng.normal()).exp();
        let lots = ((qty * 1e8 / self.lot as f64).round() as i128).max(1);
        let id = self.next_id;
        self.next_id += 1;
        Trade {
            symbol: self.symbol,
            id,
            price: Price::from_raw(ticks * self.tick),
            qty: Qty::from_raw(lots * self.lot),
            time: t,
            count: 1,
            micros: 0,
            buyer_is_maker,
        }
    }
}

/// Poisson sample: exact (Knuth) for small means, normal approximation for large ones.
fn poisson(rng: &mut Rng, mean: f64) -> usize {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 30.0 {
        return (mean + mean.sqrt() * rng.normal()).round().max(0.0) as usize;
    }
    let limit = (-mean).exp();
    let mut k = 0;
    let mut p = rng.unit();
    while p > limit {
        k += 1;
        p *= rng.unit();
    }
    k
}

/// Stable per-symbol seed mixing, so adding a symbol does not change the others' trades.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The simulated market: a pure, deterministic trade generator.
pub struct DemoMarket {
    sims: Vec<Sim>,
    /// Start of the next slot to generate.
    clock: Millis,
    slot: u64,
    /// Generated trades not yet handed out (all inside the last generated slot), by time.
    staged: Vec<Trade>,
    /// Draws the books' sizes, apart from the trades' draws so books never change the trades.
    book_rng: Rng,
    /// The perps' mark, funding, open interest and liquidations, at the markets' prices.
    perps: DemoPerps,
}

impl DemoMarket {
    pub fn new(seed: u64, symbols: &[Symbol], start_ms: Millis) -> Self {
        let mut seen = Vec::new();
        for s in symbols {
            if !seen.contains(s) {
                seen.push(*s);
            }
        }
        let mut sims: Vec<Sim> = seen.iter().map(|s| Sim::new(*s, seed, start_ms)).collect();
        for i in 0..sims.len() {
            let coin = base_asset(sims[i].symbol);
            let leader = (0..i).find(|&j| !coin.is_empty() && base_asset(sims[j].symbol) == coin);
            if let Some(j) = leader.filter(|&j| sims[j].follows.is_none()) {
                let basis = BASIS_SD * sims[i].rng.normal();
                sims[i].follows = Some(j);
                sims[i].basis = basis;
                sims[i].log_price = sims[j].log_price + basis;
            }
        }
        DemoMarket {
            sims,
            clock: start_ms,
            slot: 0,
            staged: Vec::new(),
            book_rng: Rng::new(seed ^ 0xB00C),
            perps: DemoPerps::new(seed ^ 0x5EED, &seen),
        }
    }

    /// The perps' derivatives over the `dt` seconds ending at `now`, at each market's price
    /// now: once a second live, once a minute through the history.
    pub fn derivs(&mut self, now: Millis, dt: f64) -> Vec<crate::domain::DerivEvent> {
        let prices = self.prices();
        self.perps.step_by(now, dt, &prices)
    }

    /// The top of each simulated book (of `only` these symbols, if given) on the venues whose
    /// real books cryptoviz follows: around the last trade handed out (it hit the bid, or the
    /// ask one tick above), else the current price; levels a tick or more apart, log-normal
    /// sizes growing away from the touch.
    pub fn books(&mut self, only: Option<&[Symbol]>) -> Vec<Book> {
        let mut out = Vec::new();
        for sim in &self.sims {
            if !crate::exchange::connector(sim.symbol.venue()).is_some_and(|c| c.has_book())
                || only.is_some_and(|o| !o.contains(&sim.symbol))
            {
                continue;
            }
            let rng = &mut self.book_rng;
            let best = match sim.last_traded {
                Some((ticks, true)) => ticks,
                Some((ticks, false)) => ticks - 1,
                None => (sim.log_price.exp() * 1e8 / sim.tick as f64).floor() as i128,
            };
            let mut side = |start: i128, dir: i128| {
                let mut ticks = start;
                (0..BOOK_DEPTH)
                    .map_while(|i| {
                        let qty =
                            sim.median_qty * (1.0 + i as f64 / 4.0) * (0.9 * rng.normal()).exp();
                        let lots = ((qty * 1e8 / sim.lot as f64).round() as i128).max(1);
                        let level = (ticks >= 1).then(|| Level {
                            price: Price::from_raw(ticks * sim.tick),
                            qty: Qty::from_raw(lots * sim.lot),
                        });
                        ticks += dir * (1 + rng.range(0, 2) as i128);
                        level
                    })
                    .collect::<Vec<_>>()
            };
            let bids = side(best.max(1), -1);
            let asks = side(best.max(1) + 1, 1);
            out.push(Book {
                symbol: sim.symbol,
                bids,
                asks,
                time: None,
            });
        }
        out
    }

    /// Appends every trade with `time <= until_ms` not handed out yet, ordered by time.
    pub fn advance(&mut self, until_ms: Millis, out: &mut Vec<Trade>) {
        loop {
            let ready = self.staged.partition_point(|t| t.time <= until_ms);
            self.note_last_trades(ready);
            out.extend(self.staged.drain(..ready));
            if !self.staged.is_empty() || self.clock > until_ms {
                return;
            }
            for i in 0..self.sims.len() {
                if let Some(j) = self.sims[i].follows {
                    let lead = self.sims[j].log_price;
                    let sim = &mut self.sims[i];
                    let phi = (-(SLOT_MS as f64 / 1000.0) / BASIS_TAU_S).exp();
                    sim.basis =
                        sim.basis * phi + BASIS_SD * (1.0 - phi * phi).sqrt() * sim.rng.normal();
                    sim.log_price = lead + sim.basis;
                }
                self.sims[i].slot(self.clock, self.slot, &mut self.staged);
            }
            // Stable: trades of one millisecond keep symbol order, and each symbol's id order.
            self.staged.sort_by_key(|t| t.time);
            self.clock += SLOT_MS;
            self.slot += 1;
        }
    }

    /// Like [`advance`](Self::advance) for long spans (hours of history at start-up), handing
    /// trades to `sink` in batches of at most `chunk_ms` of market time so memory stays small.
    pub fn advance_chunked(
        &mut self,
        until_ms: Millis,
        chunk_ms: Millis,
        mut sink: impl FnMut(&[Trade]),
    ) {
        let mut buf = Vec::new();
        let mut t = self.clock;
        loop {
            t = t.saturating_add(chunk_ms.max(SLOT_MS)).min(until_ms);
            buf.clear();
            self.advance(t, &mut buf);
            if !buf.is_empty() {
                sink(&buf);
            }
            if t >= until_ms {
                return;
            }
        }
    }

    /// Keeps each market's last trade among the first `ready` staged ones: from the newest
    /// back, stopping once every market has its own (hours of history at start-up pass
    /// through here, so not every trade is looked at).
    fn note_last_trades(&mut self, ready: usize) {
        let mut left = self.sims.len();
        let mut done = vec![false; left];
        for t in self.staged[..ready].iter().rev() {
            if left == 0 {
                break;
            }
            let Some(i) = self.sims.iter().position(|s| s.symbol == t.symbol) else {
                continue;
            };
            if !std::mem::replace(&mut done[i], true) {
                let sim = &mut self.sims[i];
                sim.last_traded = Some((t.price.raw() / sim.tick, t.buyer_is_maker));
                left -= 1;
            }
        }
    }

    /// Each market's price now: its last trade handed out, else where it starts.
    pub fn prices(&self) -> Vec<(Symbol, f64)> {
        self.sims
            .iter()
            .map(|s| {
                let price = match s.last_traded {
                    Some((ticks, _)) => (ticks * s.tick) as f64 / 1e8,
                    None => s.log_price.exp(),
                };
                (s.symbol, price)
            })
            .collect()
    }

    /// Everything up to this time (exclusive) has been generated.
    pub fn clock(&self) -> Millis {
        self.clock
    }

    pub fn symbols(&self) -> Vec<Symbol> {
        self.sims.iter().map(|s| s.symbol).collect()
    }
}

/// Streams the market in real time: `Status(Connected)`, then every ~100 ms the trades up to
/// the wall clock, until `shutdown` turns true (or its sender is dropped); then `Stopped`.
/// A market whose clock is behind catches up in one go. Returns early if `tx` is closed.
pub async fn run(
    mut market: DemoMarket,
    tx: mpsc::Sender<MarketEvent>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut venues: Vec<Venue> = market.symbols().iter().map(|s| s.venue()).collect();
    venues.sort();
    venues.dedup();
    for &venue in &venues {
        if tx
            .send(MarketEvent::Status(venue, StreamStatus::Connected))
            .await
            .is_err()
        {
            return;
        }
    }
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut batch = Vec::new();
    let mut ticks = 0u64;
    'outer: loop {
        tokio::select! {
            biased;
            _ = crate::net::shutdown_requested(&mut shutdown) => break,
            _ = ticker.tick() => {}
        }
        batch.clear();
        market.advance(now_ms(), &mut batch);
        let arrived = Instant::now();
        let mut traded: Vec<Symbol> = batch.iter().map(|t| t.symbol).collect();
        traded.sort();
        traded.dedup();
        for trade in batch.drain(..) {
            tokio::select! {
                biased;
                _ = crate::net::shutdown_requested(&mut shutdown) => break 'outer,
                sent = tx.send(MarketEvent::Trade(trade, arrived)) => if sent.is_err() { return },
            }
        }
        ticks += 1;
        // The perps' mark, funding, open interest and liquidations, once a second.
        if ticks.is_multiple_of(SLOTS_PER_SEC) {
            for event in market.derivs(now_ms(), 1.0) {
                if tx.send(MarketEvent::Deriv(event)).await.is_err() {
                    return;
                }
            }
        }
        // A market that traded gets its book at once, so the book never lags its last trade;
        // the others now and then, as quiet real books still change.
        let only = (!ticks.is_multiple_of(BOOK_EVERY_TICKS)).then_some(traded.as_slice());
        if only.is_none_or(|o| !o.is_empty()) {
            for book in market.books(only) {
                if tx.send(MarketEvent::Book(book)).await.is_err() {
                    return;
                }
            }
        }
    }
    for venue in venues {
        let _ = tokio::time::timeout(
            Duration::from_millis(500),
            tx.send(MarketEvent::Status(venue, StreamStatus::Stopped)),
        )
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_coin_on_several_venues_trades_at_nearby_different_prices() {
        let syms: Vec<Symbol> = [
            "binance:BTCUSDT",
            "coinbase:BTC-USD",
            "kraken:BTC/USD",
            "binance:ETHUSDT",
        ]
        .into_iter()
        .map(|s| Symbol::new(s).unwrap())
        .collect();
        let start = 1_700_000_000_000;
        let mut m = DemoMarket::new(7, &syms, start);
        let mut trades = Vec::new();
        m.advance(start + 3_600_000, &mut trades);
        let mut max_bp: f64 = 0.0;
        let mut differ = 0;
        // Sample each minute: the venues' last prices at that moment.
        for minute in 1..60 {
            let at = start + minute * 60_000;
            let last = |s: Symbol| {
                trades
                    .iter()
                    .rfind(|t| t.symbol == s && t.time <= at)
                    .map(|t| t.price.to_f64())
                    .unwrap()
            };
            let btc: Vec<f64> = syms[..3].iter().map(|s| last(*s)).collect();
            let (lo, hi) = btc
                .iter()
                .fold((f64::MAX, f64::MIN), |(l, h), p| (l.min(*p), h.max(*p)));
            max_bp = max_bp.max((hi - lo) / lo * 1e4);
            differ += usize::from(hi > lo);
            assert!(last(syms[3]) < lo / 10.0, "ETH is its own market");
        }
        assert!(differ > 50, "venues quote different prices");
        assert!(max_bp < 40.0, "but they stay close: {max_bp:.1} bp");
    }

    #[test]
    fn poisson_mean_is_right() {
        let mut rng = Rng::new(7);
        for mean in [0.5, 3.0, 80.0] {
            let n = 20_000;
            let sum: usize = (0..n).map(|_| poisson(&mut rng, mean)).sum();
            let got = sum as f64 / n as f64;
            assert!(
                (got - mean).abs() < mean * 0.05 + 0.02,
                "mean {mean} got {got}"
            );
        }
    }

    #[test]
    fn unknown_symbols_get_a_small_coin_profile() {
        let p = profile(Symbol::new("DOGEUSDT").unwrap());
        assert_eq!((p.price, p.tick, p.lot), (1.0, "0.0001", "0.1"));
    }

    #[test]
    fn the_last_trade_is_always_at_the_books_touch() {
        let syms: Vec<Symbol> = ["binance:BTCUSDT", "kraken:BTC/USD", "bybit:ETHUSDT"]
            .into_iter()
            .map(|s| Symbol::new(s).unwrap())
            .collect();
        let start = 1_700_000_000_000;
        let mut m = DemoMarket::new(3, &syms, start);
        let mut checked = 0;
        // Ticks of 100 ms for ten minutes, as the dashboard's source runs it.
        for tick in 1..6_000 {
            let mut trades = Vec::new();
            m.advance(start + tick * 100, &mut trades);
            for book in m.books(None) {
                let Some(last) = trades.iter().rfind(|t| t.symbol == book.symbol) else {
                    continue;
                };
                let (bid, ask) = (book.bids[0].price, book.asks[0].price);
                assert!(bid < ask, "{book:?}");
                assert!(
                    bid <= last.price && last.price <= ask,
                    "{last:?} outside {bid}..{ask}"
                );
                checked += 1;
            }
        }
        assert!(checked > 1_000, "{checked}");
    }
}
