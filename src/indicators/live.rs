//! The live side of SPEC §8: every chosen indicator updated per trade in
//! O(1) (a step on a copy of its state), equal to the batch result.

use super::kernel::{Out, Past, Ring};
use super::registry::AnyTracked;
use super::spec::Spec;

/// One bar as the indicators see it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bar {
    pub time: i64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

/// The last bars, as far back as the deepest kernel reads.
#[derive(Clone, Debug)]
struct Bars(Ring<Bar>);

impl Past for Bars {
    #[inline(always)]
    fn time(&self, i: usize) -> i64 {
        self.0.get(i).time
    }
    #[inline(always)]
    fn high(&self, i: usize) -> f64 {
        self.0.get(i).high
    }
    #[inline(always)]
    fn low(&self, i: usize) -> f64 {
        self.0.get(i).low
    }
    #[inline(always)]
    fn close(&self, i: usize) -> f64 {
        self.0.get(i).close
    }
    #[inline(always)]
    fn volume(&self, i: usize) -> f64 {
        self.0.get(i).volume
    }
}

/// Several indicators over one series: closed bars folded in once, the open
/// bar re-evaluated on every trade without disturbing them.
#[derive(Clone, Debug)]
pub struct Live {
    specs: Vec<Spec>,
    kernels: Vec<AnyTracked>,
    bars: Bars,
    closed: usize,
    last_closed: Vec<Out>,
    /// Outputs at the closed bar before the last (crosses compare the two).
    prev_closed: Vec<Out>,
    /// The open bar's outputs, valid while `has_open` (kept to be reused, not reallocated).
    open: Vec<Out>,
    has_open: bool,
}

impl Live {
    pub fn new(specs: &[Spec]) -> Self {
        let kernels: Vec<AnyTracked> = specs.iter().map(AnyTracked::new).collect();
        let reach = kernels.iter().map(AnyTracked::reach).max().unwrap_or(0);
        Self {
            specs: specs.to_vec(),
            bars: Bars(Ring::new(reach)),
            last_closed: vec![super::kernel::NONE; kernels.len()],
            prev_closed: vec![super::kernel::NONE; kernels.len()],
            kernels,
            closed: 0,
            open: Vec::new(),
            has_open: false,
        }
    }

    pub fn specs(&self) -> &[Spec] {
        &self.specs
    }

    /// Closed bars folded in so far.
    pub fn closed_len(&self) -> usize {
        self.closed
    }

    /// A bar closed: fold it in (the open bar, which it was, is dropped).
    pub fn push_closed(&mut self, bar: Bar) {
        let i = self.closed;
        self.bars.0.set(i, bar);
        std::mem::swap(&mut self.prev_closed, &mut self.last_closed);
        for (k, out) in self.kernels.iter_mut().zip(&mut self.last_closed) {
            *out = k.push(&self.bars, i);
        }
        self.closed += 1;
        self.has_open = false;
    }

    /// The open bar changed: evaluate it on copies of the closed state.
    pub fn set_open(&mut self, bar: Bar) {
        let i = self.closed;
        self.bars.0.set(i, bar);
        self.open.clear();
        for k in &mut self.kernels {
            self.open.push(k.peek(&self.bars, i));
        }
        self.has_open = true;
    }

    pub fn clear_open(&mut self) {
        self.has_open = false;
    }

    /// Outputs of indicator `k` at the closed bar before the last one (`NaN` before two bars).
    pub fn previous(&self, k: usize) -> Out {
        self.prev_closed
            .get(k)
            .copied()
            .unwrap_or(super::kernel::NONE)
    }

    /// Outputs of indicator `k` for the latest bar (open if there is one);
    /// `NaN` where there is no value.
    pub fn latest(&self, k: usize) -> Out {
        let outs = if self.has_open {
            &self.open
        } else {
            &self.last_closed
        };
        outs.get(k).copied().unwrap_or(super::kernel::NONE)
    }
}
