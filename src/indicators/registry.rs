//! From a [`Spec`] to its kernel: the one place that knows which kernel
//! computes which name. A kernel with its committed state is a [`Tracked`];
//! [`AnyTracked`] lets the live engine hold different ones in one list.

use super::kernel::{Columns, Kernel, Out, Past, run};
use super::kernels::average::{Bbands, Dema, Ema, Sma, Tema, Wma};
use super::kernels::oscillator::{Cci, Macd, Mfi, Mom, Roc, Rsi, Stoch, StochRsi, Willr};
use super::kernels::trend::{Adx, Atr, Obv, Sar, Vwap};
use super::macd::MacdState;
use super::spec::{Kind, Spec};

/// A kernel and its state after the last closed bar.
#[derive(Clone, Debug)]
pub struct Tracked<K: Kernel> {
    kernel: K,
    state: K::State,
}

impl<K: Kernel> Tracked<K> {
    fn new(kernel: K) -> Self {
        let state = kernel.start();
        Self { kernel, state }
    }

    /// Bar `i` closed.
    #[inline]
    pub fn push<P: Past>(&mut self, p: &P, i: usize) -> Out {
        self.kernel.step(&mut self.state, p, i)
    }

    /// Bar `i` as it stands, without committing it: one step on a copy.
    #[inline]
    pub fn peek<P: Past>(&mut self, p: &P, i: usize) -> Out {
        let mut s = self.state;
        self.kernel.step(&mut s, p, i)
    }
}

macro_rules! kernels {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        /// Any indicator's kernel with its state.
        #[derive(Clone, Debug)]
        pub enum AnyTracked {
            $($variant(Tracked<$ty>),)*
        }

        impl AnyTracked {
            pub fn push<P: Past>(&mut self, p: &P, i: usize) -> Out {
                match self {
                    $(Self::$variant(t) => t.push(p, i),)*
                }
            }

            pub fn peek<P: Past>(&mut self, p: &P, i: usize) -> Out {
                match self {
                    $(Self::$variant(t) => t.peek(p, i),)*
                }
            }

            /// Bars before the current one that a step reads.
            pub fn reach(&self) -> usize {
                match self {
                    $(Self::$variant(t) => t.kernel.reach(),)*
                }
            }

            /// The whole series at once (the batch path, monomorphised per kernel).
            fn run(mut self, p: &Columns<'_>, outputs: &mut [Vec<f64>]) {
                match &mut self {
                    $(Self::$variant(t) => run(&mut t.kernel, p, outputs),)*
                }
            }
        }
    };
}

kernels! {
    Sma(Sma), Ema(Ema), Wma(Wma), Dema(Dema), Tema(Tema), Bbands(Bbands),
    Rsi(Rsi), Macd(Macd), Mom(Mom), Roc(Roc), Stoch(Stoch), StochRsi(StochRsi),
    Atr(Atr), Adx(Adx), Cci(Cci), Willr(Willr), Mfi(Mfi), Obv(Obv), Sar(Sar), Vwap(Vwap),
}

impl AnyTracked {
    /// The kernel for a parsed (hence valid) spec.
    pub fn new(spec: &Spec) -> Self {
        let n = |i| spec.period(i);
        match spec.kind {
            Kind::Sma => Self::Sma(Tracked::new(Sma { n: n(0) })),
            Kind::Ema => Self::Ema(Tracked::new(Ema { n: n(0) })),
            Kind::Wma => Self::Wma(Tracked::new(Wma { n: n(0) })),
            Kind::Dema => Self::Dema(Tracked::new(Dema { n: n(0) })),
            Kind::Tema => Self::Tema(Tracked::new(Tema { n: n(0) })),
            Kind::Bbands => Self::Bbands(Tracked::new(Bbands {
                n: n(0),
                k: spec.args[1],
            })),
            Kind::Rsi => Self::Rsi(Tracked::new(Rsi { n: n(0) })),
            Kind::Macd => Self::Macd(Tracked::new(Macd {
                start: MacdState::new(n(0), n(1), n(2))
                    .expect("a parsed macd has periods TA-Lib accepts"),
            })),
            Kind::Mom => Self::Mom(Tracked::new(Mom { n: n(0) })),
            Kind::Roc => Self::Roc(Tracked::new(Roc { n: n(0) })),
            Kind::Stoch => Self::Stoch(Tracked::new(Stoch::new(n(0), n(1), n(2)))),
            Kind::StochRsi => Self::StochRsi(Tracked::new(StochRsi::new(n(0), n(1), n(2)))),
            Kind::Atr | Kind::Natr => Self::Atr(Tracked::new(Atr {
                n: n(0),
                normalised: spec.kind == Kind::Natr,
            })),
            Kind::Adx => Self::Adx(Tracked::new(Adx { n: n(0) })),
            Kind::Cci => Self::Cci(Tracked::new(Cci::new(n(0)))),
            Kind::Willr => Self::Willr(Tracked::new(Willr { n: n(0) })),
            Kind::Mfi => Self::Mfi(Tracked::new(Mfi::new(n(0)))),
            Kind::Obv => Self::Obv(Tracked::new(Obv)),
            Kind::Sar => Self::Sar(Tracked::new(Sar {
                acceleration: spec.args[0],
                maximum: spec.args[1],
            })),
            Kind::Vwap => Self::Vwap(Tracked::new(Vwap {
                anchor_ms: spec.anchor_ms,
            })),
        }
    }
}

/// `spec` over whole columns: one vector per output, aligned with the bars,
/// `NaN` where there is no value.
pub fn compute(spec: &Spec, p: &Columns<'_>) -> Vec<Vec<f64>> {
    let mut outputs = Vec::new();
    compute_into(spec, p, &mut outputs);
    outputs
}

/// [`compute`] into `outputs`, reusing their memory: a caller computing
/// often (a chart every frame, the bench) keeps the buffers, as TA-Lib's C
/// functions write into arrays their caller provides.
pub fn compute_into(spec: &Spec, p: &Columns<'_>, outputs: &mut Vec<Vec<f64>>) {
    outputs.resize_with(spec.def().outputs.len(), Vec::new);
    AnyTracked::new(spec).run(p, outputs);
}
