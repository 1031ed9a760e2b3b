//! Fused multiply-adds in the batch loops at the CPU's speed.
//!
//! The recurrences (EMA, Wilder's smoothing) round `a * b + c` once
//! (`f64::mul_add`): exact by definition, so the same bits whether the CPU
//! fuses it in one instruction or the C library computes it, and the live
//! engine (one step at a time, through the library where the build does not
//! assume the instruction) always agrees with the batch path. A batch loop is
//! a chain of these, so it runs through [`dispatch!`]: compiled a second time
//! with the instruction enabled and chosen at run time where the CPU has it
//! (every x86-64 since 2013), as TA-Lib's own builds choose per CPU.

/// Calls `f(args)` (an `#[inline(always)]` function) compiled with FMA when
/// the CPU has it, plainly otherwise.
macro_rules! dispatch {
    ($f:ident($($arg:expr),* $(,)?)) => {{
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "fma")]
            unsafe fn fused<R>(f: impl FnOnce() -> R) -> R {
                f()
            }
            if std::arch::is_x86_feature_detected!("fma") {
                // SAFETY: the CPU has FMA (checked just above).
                unsafe { fused(|| $f($($arg),*)) }
            } else {
                $f($($arg),*)
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            $f($($arg),*)
        }
    }};
}
pub(crate) use dispatch;
