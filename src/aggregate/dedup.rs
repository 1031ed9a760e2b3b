//! Which trade ids were already folded in. Binance trade ids only grow, so a window of bits
//! below the highest id seen catches replays after a reconnect and duplicated frames, in O(1)
//! and fixed memory.

const WINDOW: i64 = 1 << 16;
const WORDS: usize = (WINDOW / 64) as usize;

#[derive(Clone, Debug)]
pub struct RecentIds {
    /// Highest id seen; bit `id mod WINDOW` marks ids in (max - WINDOW, max].
    max: Option<i64>,
    /// Every id <= floor counts as seen (restored state after a restart).
    floor: Option<i64>,
    bits: Box<[u64; WORDS]>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    New,
    Duplicate,
    /// Older than the window: cannot be told apart from a duplicate, so it is not counted.
    TooOld,
}

impl Default for RecentIds {
    fn default() -> Self {
        RecentIds {
            max: None,
            floor: None,
            bits: Box::new([0; WORDS]),
        }
    }
}

impl RecentIds {
    /// Treat every id up to `id` as already seen (the last id persisted before a restart).
    pub fn seen_through(&mut self, id: i64) {
        self.floor = Some(self.floor.map_or(id, |f| f.max(id)));
        if self.max.is_none_or(|m| m < id) {
            self.max = Some(id);
            self.bits.fill(0);
        }
    }

    pub fn max(&self) -> Option<i64> {
        self.max
    }

    /// Records `id` and says whether it was new.
    pub fn insert(&mut self, id: i64) -> Seen {
        if self.floor.is_some_and(|f| id <= f) {
            return Seen::Duplicate;
        }
        let max = match self.max {
            None => {
                self.max = Some(id);
                self.set(id);
                return Seen::New;
            }
            Some(m) => m,
        };
        if id > max {
            // Clear the bits of ids that slide into the window.
            let advance = id.saturating_sub(max);
            if advance >= WINDOW {
                self.bits.fill(0);
            } else {
                for k in max + 1..=id {
                    self.clear(k);
                }
            }
            self.max = Some(id);
            self.set(id);
            Seen::New
        } else if id <= max.saturating_sub(WINDOW) {
            Seen::TooOld
        } else if self.get(id) {
            Seen::Duplicate
        } else {
            self.set(id);
            Seen::New
        }
    }

    fn slot(id: i64) -> (usize, u64) {
        let pos = id.rem_euclid(WINDOW) as usize;
        (pos / 64, 1u64 << (pos % 64))
    }

    fn get(&self, id: i64) -> bool {
        let (w, b) = Self::slot(id);
        self.bits[w] & b != 0
    }

    fn set(&mut self, id: i64) {
        let (w, b) = Self::slot(id);
        self.bits[w] |= b;
    }

    fn clear(&mut self, id: i64) {
        let (w, b) = Self::slot(id);
        self.bits[w] &= !b;
    }
}

/// How many opaque ids [`RecentSet`] remembers: far more than any venue replays (Bybit sends
/// at most 1,024 trades a push and never replays on reconnect).
const OPAQUE_MEMORY: usize = 1 << 14;

/// Which opaque ids (hashes of Bybit linear's UUIDs) were already folded in: the last
/// [`OPAQUE_MEMORY`] of them, oldest forgotten first. Such ids have no order, so a window
/// below the highest cannot work.
#[derive(Clone, Debug, Default)]
pub struct RecentSet {
    seen: std::collections::HashSet<i64>,
    order: std::collections::VecDeque<i64>,
}

impl RecentSet {
    pub fn insert(&mut self, id: i64) -> Seen {
        if !self.seen.insert(id) {
            return Seen::Duplicate;
        }
        self.order.push_back(id);
        if self.order.len() > OPAQUE_MEMORY
            && let Some(old) = self.order.pop_front()
        {
            self.seen.remove(&old);
        }
        Seen::New
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_ids_are_remembered_in_any_order_then_forgotten_oldest_first() {
        let mut r = RecentSet::default();
        assert_eq!(r.insert(-7), Seen::New);
        assert_eq!(r.insert(900), Seen::New);
        assert_eq!(r.insert(3), Seen::New);
        assert_eq!(r.insert(900), Seen::Duplicate);
        assert_eq!(r.insert(-7), Seen::Duplicate);
        for id in 10_000..10_000 + OPAQUE_MEMORY as i64 {
            r.insert(id);
        }
        assert_eq!(r.insert(-7), Seen::New, "forgotten: memory stays bounded");
        assert!(r.seen.len() <= OPAQUE_MEMORY && r.order.len() <= OPAQUE_MEMORY);
    }

    #[test]
    fn replays_and_out_of_order() {
        let mut r = RecentIds::default();
        assert_eq!(r.insert(10), Seen::New);
        assert_eq!(r.insert(12), Seen::New);
        assert_eq!(r.insert(11), Seen::New, "late but unseen");
        assert_eq!(r.insert(12), Seen::Duplicate);
        assert_eq!(r.insert(10), Seen::Duplicate);
        assert_eq!(r.insert(12 + WINDOW), Seen::New);
        assert_eq!(r.insert(12), Seen::TooOld);
        assert_eq!(r.insert(13), Seen::New, "window slid, bit was cleared");
    }

    #[test]
    fn restored_floor() {
        let mut r = RecentIds::default();
        r.seen_through(100);
        assert_eq!(r.insert(99), Seen::Duplicate);
        assert_eq!(r.insert(100), Seen::Duplicate);
        assert_eq!(r.insert(101), Seen::New);
    }
}
