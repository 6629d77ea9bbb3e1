//! Name-to-id index for things: an open-addressing hash table that stores no strings.
//!
//! Each slot is one `u64`: a 32-bit hash tag above a 32-bit id. Names stay in the thing
//! table; a probe compares a name only when the tag matches. Linear probing with
//! backward-shift deletion, so there are no tombstones and no rebuilds after deletions.
//! The load factor stays at or under 3/4. The hash (foldhash) is keyed per index with a
//! random seed, so names cannot be chosen in advance to collide; it does not decide any
//! order visible outside.

use std::hash::BuildHasher;

use foldhash::fast::RandomState;

use super::FleetError;

const EMPTY: u64 = u64::MAX;
const MIN_SLOTS: usize = 16;

/// Ids of things, found by name. Ids must be below `u32::MAX`.
#[derive(Clone, Debug, Default)]
pub(super) struct NameIndex {
    slots: Vec<u64>,
    len: usize,
    hasher: RandomState,
}

fn id_of(slot: u64) -> u32 {
    slot as u32
}

fn tag_of(slot: u64) -> u32 {
    (slot >> 32) as u32
}

impl NameIndex {
    /// The hash tag of `name`, to pass to the other methods.
    pub(super) fn tag(&self, name: &str) -> u32 {
        self.hasher.hash_one(name) as u32
    }

    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    fn home(&self, tag: u32) -> usize {
        tag as usize & self.mask()
    }

    /// The slot holding the id for which `is_name` is true.
    fn position(&self, tag: u32, is_name: impl Fn(u32) -> bool) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mut at = self.home(tag);
        loop {
            let slot = self.slots[at];
            if slot == EMPTY {
                return None;
            }
            if tag_of(slot) == tag && is_name(id_of(slot)) {
                return Some(at);
            }
            at = (at + 1) & self.mask();
        }
    }

    /// The id whose name has this tag and for which `is_name` holds.
    pub(super) fn find(&self, tag: u32, is_name: impl Fn(u32) -> bool) -> Option<u32> {
        self.position(tag, is_name).map(|at| id_of(self.slots[at]))
    }

    /// Add `id` under `tag`. Does not check for an existing entry: callers look up first.
    ///
    /// # Errors
    /// [`FleetError::CapacityExceeded`] past 3 * 2^30 entries; the index is unchanged.
    pub(super) fn insert(&mut self, tag: u32, id: u32) -> Result<(), FleetError> {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow()?;
        }
        self.place(u64::from(tag) << 32 | u64::from(id));
        self.len += 1;
        Ok(())
    }

    /// Remove the entry for which `is_name` holds; its id, or `None` if there is none.
    pub(super) fn remove(&mut self, tag: u32, is_name: impl Fn(u32) -> bool) -> Option<u32> {
        let mut hole = self.position(tag, is_name)?;
        let id = id_of(self.slots[hole]);
        let mask = self.mask();
        let mut next = hole;
        loop {
            next = (next + 1) & mask;
            let slot = self.slots[next];
            if slot == EMPTY {
                break;
            }
            // The entry at `next` may move back into the hole unless its home lies
            // cyclically in (hole, next].
            let home = self.home(tag_of(slot));
            let stays = if hole <= next {
                hole < home && home <= next
            } else {
                hole < home || home <= next
            };
            if !stays {
                self.slots[hole] = slot;
                hole = next;
            }
        }
        self.slots[hole] = EMPTY;
        self.len -= 1;
        Some(id)
    }

    fn place(&mut self, slot: u64) {
        let mask = self.mask();
        let mut at = self.home(tag_of(slot));
        while self.slots[at] != EMPTY {
            at = (at + 1) & mask;
        }
        self.slots[at] = slot;
    }

    fn grow(&mut self) -> Result<(), FleetError> {
        let size = (self.slots.len() * 2).max(MIN_SLOTS);
        // Homes come from the 32-bit tag, so more slots than 2^32 would never be used.
        if size as u64 > 1 << 32 {
            return Err(FleetError::CapacityExceeded);
        }
        let old = core::mem::replace(&mut self.slots, vec![EMPTY; size]);
        for slot in old.into_iter().filter(|&s| s != EMPTY) {
            self.place(slot);
        }
        Ok(())
    }

    /// Bytes of heap the index holds.
    #[cfg(test)]
    pub(super) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// Names are `n<id>`; tags are forced into a few values to exercise collisions.
    fn check(ops: Vec<(bool, u8)>, collide: bool) -> Result<(), TestCaseError> {
        let mut index = NameIndex::default();
        let mut model = BTreeMap::new();
        let tag = |index: &NameIndex, id: u32| {
            let t = index.tag(&format!("n{id}"));
            if collide { t % 3 } else { t }
        };
        for (add, id) in ops {
            let id = u32::from(id);
            let t = tag(&index, id);
            if add && !model.contains_key(&id) {
                index.insert(t, id).unwrap();
                model.insert(id, ());
            } else if !add {
                prop_assert_eq!(index.remove(t, |i| i == id), model.remove(&id).map(|()| id));
            }
            for (&k, ()) in &model {
                let kt = tag(&index, k);
                prop_assert_eq!(index.find(kt, |i| i == k), Some(k));
            }
            prop_assert_eq!(index.len, model.len());
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn behaves_like_a_map(ops in proptest::collection::vec((any::<bool>(), 0u8..64), 0..200)) {
            check(ops, false)?;
        }

        #[test]
        fn survives_colliding_tags(ops in proptest::collection::vec((any::<bool>(), 0u8..64), 0..200)) {
            check(ops, true)?;
        }
    }

    #[test]
    fn empty_index_finds_nothing() {
        let mut index = NameIndex::default();
        assert_eq!(index.find(7, |_| true), None);
        assert_eq!(index.remove(7, |_| true), None);
    }
}
