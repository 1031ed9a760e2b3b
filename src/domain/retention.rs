//! How long candles are kept, per timeframe: plain data the store acts on.

use serde::{Deserialize, Serialize};

/// Days hot, then days cold, per timeframe; 0 means forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention(pub u32, pub u32);
