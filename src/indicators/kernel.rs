//! The shape every indicator of SPEC §8 shares: one incremental kernel that
//! steps bar by bar, run over whole arrays (batch) or over a ring of recent
//! bars (live).
//!
//! A kernel is split in two on purpose. Its small `State` is `Copy`: a live
//! engine evaluates the open candle by copying the state and stepping the
//! copy, so a trade costs one step, never a recompute of the window. What a
//! kernel needs of the past it reads through [`Past`] (bars) or keeps in its
//! own [`Ring`]s (derived values such as Stochastic's %K), indexed by the
//! bar's absolute position. Stepping a copy for bar `i` may write ring slot
//! `i`; that slot held bar `i - cap`, which no later step reads, and the
//! close of bar `i` overwrites it again, so an open-candle evaluation never
//! disturbs the closed state.

/// Up to three outputs for one bar; `NaN` means "no value" (TA-Lib's
/// lookback, or a value the definition leaves undefined). Conversion to
/// `Option` happens at the edges, so no `NaN` reaches a report or a screen.
pub type Out = [f64; 3];

/// Nothing for this bar.
pub const NONE: Out = [f64::NAN; 3];

/// One value.
pub fn one(x: f64) -> Out {
    [x, f64::NAN, f64::NAN]
}

/// Read access to bar `i` (absolute index from the first bar) and the ones
/// before it, as far back as the kernel's [`Kernel::reach`].
pub trait Past {
    fn time(&self, i: usize) -> i64;
    fn high(&self, i: usize) -> f64;
    fn low(&self, i: usize) -> f64;
    fn close(&self, i: usize) -> f64;
    fn volume(&self, i: usize) -> f64;
}

/// Whole columns, as the batch functions (and TA-Lib) take them.
#[derive(Clone, Copy, Debug)]
pub struct Columns<'a> {
    pub time: &'a [i64],
    pub high: &'a [f64],
    pub low: &'a [f64],
    pub close: &'a [f64],
    pub volume: &'a [f64],
}

impl Columns<'_> {
    pub fn len(&self) -> usize {
        self.close.len()
    }

    pub fn is_empty(&self) -> bool {
        self.close.is_empty()
    }
}

impl Past for Columns<'_> {
    #[inline(always)]
    fn time(&self, i: usize) -> i64 {
        self.time[i]
    }
    #[inline(always)]
    fn high(&self, i: usize) -> f64 {
        self.high[i]
    }
    #[inline(always)]
    fn low(&self, i: usize) -> f64 {
        self.low[i]
    }
    #[inline(always)]
    fn close(&self, i: usize) -> f64 {
        self.close[i]
    }
    #[inline(always)]
    fn volume(&self, i: usize) -> f64 {
        self.volume[i]
    }
}

/// The last `cap` values of a series by absolute index (a power of two, so
/// the slot is a mask).
#[derive(Clone, Debug)]
pub struct Ring<T> {
    buf: Vec<T>,
    mask: usize,
}

impl<T: Copy + Default> Ring<T> {
    /// Room for at least `reach + 1` values: index `i` and `reach` before it.
    pub fn new(reach: usize) -> Self {
        let cap = (reach + 1).next_power_of_two();
        Self {
            buf: vec![T::default(); cap],
            mask: cap - 1,
        }
    }

    #[inline(always)]
    pub fn get(&self, i: usize) -> T {
        self.buf[i & self.mask]
    }

    #[inline(always)]
    pub fn set(&mut self, i: usize, x: T) {
        self.buf[i & self.mask] = x;
    }
}

/// An incremental indicator.
pub trait Kernel {
    /// The part that changes every bar, small and `Copy`.
    type State: Copy;

    fn start(&self) -> Self::State;

    /// Bar `i`'s outputs, advancing `s` past it. Bars `0..i` were stepped
    /// before, in order, from the state passed in.
    fn step<P: Past>(&mut self, s: &mut Self::State, p: &P, i: usize) -> Out;

    /// How many bars before the current one `step` reads from [`Past`].
    fn reach(&self) -> usize;

    /// The whole series into `outputs` (each empty, with room for the
    /// columns' length, which each must reach): [`Kernel::step`] bar by bar unless a kernel has a
    /// loop of its own for the batch path. Such a loop must give the very
    /// bits stepping gives (the live engine steps), which the tests check.
    #[inline(always)]
    fn batch(&mut self, p: &Columns<'_>, outputs: &mut [Vec<f64>])
    where
        Self: Sized,
    {
        steps(self, p, outputs);
    }
}

/// TA-Lib's zero test for values that are not differences (0.8's
/// `TA_IS_ZERO`, a 1e-14 band; older releases used 1e-8).
#[inline(always)]
pub fn is_zero(x: f64) -> bool {
    -1e-14 < x && x < 1e-14
}

/// TA-Lib's scale-aware zero test for a difference of two values whose
/// magnitudes sum to `scale` (0.8's `TA_IS_ZERO_SCALED`).
#[inline(always)]
pub fn is_zero_scaled(x: f64, scale: f64) -> bool {
    x.abs() <= 1e-14 * scale
}

/// TA-Lib's running-total SMA over a derived series kept in a ring: the
/// average of the last `n` values pushed, from the `n`-th one on.
#[derive(Clone, Debug)]
pub struct LaneSma {
    n: usize,
    values: Ring<f64>,
}

/// [`LaneSma`]'s state: values seen and their running total.
#[derive(Clone, Copy, Debug, Default)]
pub struct LaneSmaState {
    seen: usize,
    total: f64,
}

impl LaneSma {
    pub fn new(n: usize) -> Self {
        Self {
            n,
            values: Ring::new(n),
        }
    }

    /// Folds `x`, the value of bar `i`; the mean once `n` values were seen.
    #[inline(always)]
    pub fn push(&mut self, s: &mut LaneSmaState, i: usize, x: f64) -> f64 {
        self.values.set(i, x);
        s.seen += 1;
        s.total += x;
        if s.seen < self.n {
            return f64::NAN;
        }
        let mean = s.total / self.n as f64;
        s.total -= self.values.get(i + 1 - self.n);
        mean
    }
}

/// Highest and lowest of a window, found TA-Lib's way: remember where the
/// extreme is and rescan the window only when it falls out (amortised O(1);
/// a steadily falling series rescans each bar, O(window)). Only comparisons,
/// so any correct method gives TA-Lib's very values.
#[derive(Clone, Copy, Debug, Default)]
pub struct Extremes {
    pub highest: f64,
    pub lowest: f64,
    high_at: Option<usize>,
    low_at: Option<usize>,
}

impl Extremes {
    /// The extremes of `first..=i`, where `high(j)`/`low(j)` read bar `j`.
    #[inline(always)]
    pub fn update(
        &mut self,
        first: usize,
        i: usize,
        high: impl Fn(usize) -> f64,
        low: impl Fn(usize) -> f64,
    ) {
        track(
            &mut self.highest,
            &mut self.high_at,
            first,
            i,
            high,
            |a, b| a >= b,
        );
        track(&mut self.lowest, &mut self.low_at, first, i, low, |a, b| {
            a <= b
        });
    }
}

/// One side of [`Extremes`]: `better(x, best)` says whether `x` replaces the
/// extreme (ties move it to the newer bar, which stays in the window longer:
/// fewer rescans, the same values).
#[inline(always)]
fn track(
    best: &mut f64,
    at: &mut Option<usize>,
    first: usize,
    i: usize,
    value: impl Fn(usize) -> f64,
    better: impl Fn(f64, f64) -> bool,
) {
    match *at {
        Some(j) if j >= first => {
            let x = value(i);
            if better(x, *best) {
                (*best, *at) = (x, Some(i));
            }
        }
        _ => {
            let (mut b, mut bj) = (value(first), first);
            for j in first + 1..=i {
                let x = value(j);
                if better(x, b) {
                    (b, bj) = (x, j);
                }
            }
            (*best, *at) = (b, Some(bj));
        }
    }
}

/// Runs a kernel over whole columns into `outputs` (one vector per output,
/// `NaN` where there is no value), the batch path. The columns are cut to
/// one length first so the kernels' reads need no bounds checks of their
/// own, and each output is written in place: no allocation per bar.
pub fn run<K: Kernel>(k: &mut K, p: &Columns<'_>, outputs: &mut [Vec<f64>]) {
    let n = p.len();
    let p = Columns {
        time: &p.time[..n],
        high: &p.high[..n],
        low: &p.low[..n],
        close: &p.close[..n],
        volume: &p.volume[..n],
    };
    for o in outputs.iter_mut() {
        o.clear();
        o.reserve(n);
    }
    super::fused::dispatch!(batch(k, &p, outputs));
    debug_assert!(outputs.iter().all(|o| o.len() == n));
}

/// Appends `f(x)` for each of `xs` to `out`, each value written once (no
/// fill first, no capacity test per value): the batch loops' way out.
#[inline(always)]
pub fn append_map(out: &mut Vec<f64>, xs: &[f64], mut f: impl FnMut(f64) -> f64) {
    out.reserve(xs.len());
    let start = out.len();
    for (slot, x) in out.spare_capacity_mut()[..xs.len()].iter_mut().zip(xs) {
        slot.write(f(*x));
    }
    // SAFETY: the loop above initialised the `xs.len()` values after `start`, within the
    // capacity reserved for them.
    unsafe { out.set_len(start + xs.len()) };
}

#[inline(always)]
fn batch<K: Kernel>(k: &mut K, p: &Columns<'_>, outputs: &mut [Vec<f64>]) {
    k.batch(p, outputs);
}

/// Appends `f(i)` for `i` in `0..count` to `out`, as [`append_map`] does.
#[inline(always)]
pub fn append_with(out: &mut Vec<f64>, count: usize, mut f: impl FnMut(usize) -> f64) {
    out.reserve(count);
    let start = out.len();
    for (i, slot) in out.spare_capacity_mut()[..count].iter_mut().enumerate() {
        slot.write(f(i));
    }
    // SAFETY: the loop above initialised the `count` values after `start`, within the
    // capacity reserved for them.
    unsafe { out.set_len(start + count) };
}

/// Steps bars into `out` (a one-output kernel) until `seeded(state)`, for
/// batch loops that then run the steady update alone; how many were stepped.
#[inline(always)]
pub fn seeding<K: Kernel>(
    k: &mut K,
    s: &mut K::State,
    p: &Columns<'_>,
    out: &mut Vec<f64>,
    seeded: impl Fn(&K::State) -> bool,
) -> usize {
    let mut i = 0;
    while i < p.close.len() && !seeded(s) {
        out.push(k.step(s, p, i)[0]);
        i += 1;
    }
    i
}

/// The batch path by steps: every bar through [`Kernel::step`].
#[inline(always)]
pub fn steps<K: Kernel>(k: &mut K, p: &Columns<'_>, outputs: &mut [Vec<f64>]) {
    let n = p.len();
    let mut s = k.start();
    match outputs {
        // Written once, in order (no NaN fill first).
        [a] => append_with(a, n, |i| k.step(&mut s, p, i)[0]),
        [a, b] => {
            a.resize(n, f64::NAN);
            b.resize(n, f64::NAN);
            for (i, (x, y)) in a.iter_mut().zip(b.iter_mut()).enumerate() {
                let out = k.step(&mut s, p, i);
                (*x, *y) = (out[0], out[1]);
            }
        }
        _ => {
            for o in outputs.iter_mut() {
                o.resize(n, f64::NAN);
            }
            for i in 0..n {
                let out = k.step(&mut s, p, i);
                for (o, v) in outputs.iter_mut().zip(out) {
                    o[i] = v;
                }
            }
        }
    }
}
