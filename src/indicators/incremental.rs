//! v2's four (RSI, MACD, Bollinger Bands, Momentum) live, for the alert rules that name them:
//! closed candles folded in once, the open candle re-evaluated per trade. It is the live
//! engine of SPEC §8 ([`Live`]) over `rsi:N`, `mom:N`, `macd:F,S,G` and `bbands:N,K`, so
//! `latest()` equals the last bar of [`super::compute`] over (closed..., open) bit for bit:
//! the same kernels step both.

use serde::Serialize;

use super::IndicatorParams;
use super::kernel::Out;
use super::live::{Bar, Live};
use super::spec::Spec;

/// Indicator values for one bar; `None` where the lookback is not yet filled
/// (or the period is invalid).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Latest {
    pub rsi: Option<f64>,
    pub macd: Option<f64>,
    pub signal: Option<f64>,
    pub hist: Option<f64>,
    pub bb_upper: Option<f64>,
    pub bb_middle: Option<f64>,
    pub bb_lower: Option<f64>,
    pub momentum: Option<f64>,
}

/// One of v2's four.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    Rsi,
    Momentum,
    Macd,
    Bands,
}

/// State over the closed candles plus one open (last) candle whose close changes with every
/// trade. Invalid periods (see [`IndicatorParams::validate`]) never panic; the affected
/// indicator is simply `None`, as in [`super::compute`].
#[derive(Clone, Debug)]
pub struct Incremental {
    params: IndicatorParams,
    live: Live,
    /// The live engine's indicators, in its order.
    which: Vec<Which>,
    /// What was asked for.
    wanted: Vec<Which>,
}

impl Incremental {
    /// All four.
    pub fn new(p: IndicatorParams) -> Self {
        Self::of(p, &[Which::Rsi, Which::Momentum, Which::Macd, Which::Bands])
    }

    /// Only those `wanted` (what a series' alert rules read): the others stay `None`.
    pub fn of(p: IndicatorParams, wanted: &[Which]) -> Self {
        let all = [
            (Which::Rsi, format!("rsi:{}", p.rsi)),
            (Which::Momentum, format!("mom:{}", p.momentum)),
            (
                Which::Macd,
                format!("macd:{},{},{}", p.macd_fast, p.macd_slow, p.macd_signal),
            ),
            (
                Which::Bands,
                format!("bbands:{},{}", p.bollinger, p.bollinger_k),
            ),
        ];
        let (which, specs): (Vec<Which>, Vec<Spec>) = all
            .into_iter()
            .filter(|(w, _)| wanted.contains(w))
            .filter_map(|(w, text)| Some((w, Spec::parse(&text).ok()?)))
            .unzip();
        Self {
            params: p,
            live: Live::new(&specs),
            which,
            wanted: wanted.to_vec(),
        }
    }

    /// Builds the state from history, e.g. the candles loaded at startup.
    pub fn from_closes(p: IndicatorParams, closes: &[f64]) -> Self {
        let mut engine = Self::new(p);
        for &x in closes {
            engine.push_closed(x);
        }
        engine
    }

    pub fn params(&self) -> &IndicatorParams {
        &self.params
    }

    /// Whether `w` is among those computed (or refused: its parameters are invalid).
    pub fn computes(&self, w: Which) -> bool {
        self.wanted.contains(&w)
    }

    /// Number of closed candles folded in so far.
    pub fn closed_len(&self) -> usize {
        self.live.closed_len()
    }

    /// A candle closed: fold it in. The open candle is cleared, since it is this candle.
    pub fn push_closed(&mut self, close: f64) {
        self.live.push_closed(bar(close));
    }

    /// The open candle's close changed: evaluate it against the closed state without
    /// changing that state.
    pub fn set_open(&mut self, close: f64) {
        self.live.set_open(bar(close));
    }

    /// Forgets the open candle (e.g. the feed dropped); `latest` falls back to the last
    /// closed candle.
    pub fn clear_open(&mut self) {
        self.live.clear_open();
    }

    /// Values for the latest bar: the open candle if set, else the last closed one.
    pub fn latest(&self) -> Latest {
        let value = |x: f64| (!x.is_nan()).then_some(x);
        let mut out = Latest::default();
        for (k, which) in self.which.iter().enumerate() {
            let o: Out = self.live.latest(k);
            match which {
                Which::Rsi => out.rsi = value(o[0]),
                Which::Momentum => out.momentum = value(o[0]),
                Which::Macd => {
                    (out.macd, out.signal, out.hist) = (value(o[0]), value(o[1]), value(o[2]))
                }
                Which::Bands => {
                    (out.bb_upper, out.bb_middle, out.bb_lower) =
                        (value(o[0]), value(o[1]), value(o[2]))
                }
            }
        }
        out
    }
}

/// A close as the bar these four read: the close stands in for the other prices, as in
/// [`super::compute`].
fn bar(close: f64) -> Bar {
    Bar {
        time: 0,
        high: close,
        low: close,
        close,
        volume: close,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::compute;

    fn small_params() -> IndicatorParams {
        IndicatorParams {
            rsi: 2,
            macd_fast: 2,
            macd_slow: 3,
            macd_signal: 2,
            bollinger: 3,
            bollinger_k: 2.0,
            momentum: 2,
        }
    }

    #[test]
    fn open_candle_matches_full_recompute() {
        let p = small_params();
        let closes = [10.0, 11.0, 10.5, 12.0, 11.0, 13.0, 12.5];
        let mut live = Incremental::new(p);
        for (i, &x) in closes.iter().enumerate() {
            for open in [x - 1.0, x + 2.0, x] {
                live.set_open(open);
                let mut series = closes[..i].to_vec();
                series.push(open);
                assert_eq!(
                    live.latest(),
                    compute(&series, &p).at(i),
                    "bar {i} open {open}"
                );
            }
            live.push_closed(x);
            assert_eq!(
                live.latest(),
                compute(&closes[..=i], &p).at(i),
                "closed bar {i}"
            );
        }
        assert_eq!(live.closed_len(), closes.len());
    }

    #[test]
    fn only_the_wanted_are_computed_and_equal_to_all_four() {
        let p = small_params();
        let closes = [10.0, 11.0, 10.5, 12.0, 11.0, 13.0, 12.5];
        let all = Incremental::from_closes(p, &closes).latest();
        let mut rsi = Incremental::of(p, &[Which::Rsi]);
        for &x in &closes {
            rsi.push_closed(x);
        }
        assert!(rsi.computes(Which::Rsi) && !rsi.computes(Which::Bands));
        assert_eq!(
            rsi.latest(),
            Latest {
                rsi: all.rsi,
                ..Latest::default()
            }
        );
        assert!(all.rsi.is_some() && all.bb_upper.is_some());
    }

    #[test]
    fn clear_open_falls_back_to_last_closed() {
        let mut live = Incremental::from_closes(small_params(), &[1.0, 2.0, 3.0, 4.0]);
        let closed = live.latest();
        live.set_open(100.0);
        assert_ne!(live.latest(), closed);
        live.clear_open();
        assert_eq!(live.latest(), closed);
    }

    #[test]
    fn empty_and_invalid_do_not_panic() {
        assert_eq!(
            Incremental::new(IndicatorParams::default()).latest(),
            Latest::default()
        );
        let zero = IndicatorParams {
            rsi: 0,
            macd_fast: 0,
            macd_slow: 0,
            macd_signal: 0,
            bollinger: 0,
            bollinger_k: f64::NAN,
            momentum: 0,
        };
        let huge = IndicatorParams {
            rsi: usize::MAX,
            macd_fast: usize::MAX - 1,
            macd_slow: usize::MAX,
            macd_signal: usize::MAX,
            bollinger: usize::MAX,
            bollinger_k: 2.0,
            momentum: usize::MAX,
        };
        for p in [zero, huge] {
            let mut live = Incremental::new(p);
            live.push_closed(1.0);
            live.set_open(2.0);
            assert_eq!(live.latest(), Latest::default());
        }
    }
}
