//! The event queue: events in (time, sequence) order, the sequence breaking ties in the
//! order events were scheduled, so a seed replays byte for byte.
//!
//! A radix heap over the 128-bit keys (time, sequence): a simulation only schedules at or
//! after the time it is at, so every key pushed is above the last one popped, and a key
//! waits in the bucket of the highest bit in which it differs from that one. A pop refills
//! from the lowest non-empty bucket, moving its keys into lower buckets: sequential work
//! over small vectors where a binary heap of 100,000 events missed the cache at every
//! level (`BinaryHeap::pop` was 7 % of a 100,000-device run). The events wait in a slab
//! beside the keys, whose slots are reused. A key below the last popped one (never
//! scheduled by the simulation) still comes out first, as it should. This does not remove
//! or reorder an event once it is queued.

/// Keys an emptied bucket keeps room for (24 KiB).
const KEPT_ROOM: usize = 1024;

/// A key: (time, sequence), and the slab slot of its event.
type Key = (u64, u64, u32);

fn bucket_of(key: &Key, last: u128) -> usize {
    let diff = order(key) ^ last;
    (u128::BITS - diff.leading_zeros()) as usize
}

fn order(key: &Key) -> u128 {
    u128::from(key.0) << 64 | u128::from(key.1)
}

/// Events of type `E`, popped earliest first.
#[derive(Debug)]
pub(super) struct EventQueue<E> {
    /// `buckets[0]` holds the keys equal to `last` (or below it); `buckets[i]` those whose
    /// highest bit differing from `last` is bit `i - 1`.
    buckets: Vec<Vec<Key>>,
    last: u128,
    len: usize,
    slab: Vec<Option<E>>,
    free: Vec<u32>,
    seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self {
            buckets: (0..=u128::BITS).map(|_| Vec::new()).collect(),
            last: 0,
            len: 0,
            slab: Vec::new(),
            free: Vec::new(),
            seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// Queue `event` at time `at`, after every event already queued for `at`.
    ///
    /// # Panics
    /// Past 2^32 events queued at once (a simulation that large would not fit in memory).
    pub(super) fn push(&mut self, at: u64, event: E) {
        self.seq += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slab[slot as usize] = Some(event);
                slot
            }
            None => {
                let slot = u32::try_from(self.slab.len()).expect("fewer than 2^32 queued events");
                self.slab.push(Some(event));
                slot
            }
        };
        let key = (at, self.seq, slot);
        let bucket = if order(&key) < self.last {
            0
        } else {
            bucket_of(&key, self.last)
        };
        self.buckets[bucket].push(key);
        self.len += 1;
    }

    /// The earliest event and its time.
    pub(super) fn pop(&mut self) -> Option<(u64, E)> {
        if self.len == 0 {
            return None;
        }
        if self.buckets[0].is_empty() {
            self.refill();
        }
        let zero = &mut self.buckets[0];
        let first = (0..zero.len()).min_by_key(|&i| order(&zero[i]))?;
        let (at, _, slot) = zero.swap_remove(first);
        self.len -= 1;
        let event = self.slab.get_mut(slot as usize).and_then(Option::take);
        self.free.push(slot);
        // Every key names a filled slot.
        event.map(|event| (at, event))
    }

    /// Move the lowest non-empty bucket down, its smallest key becoming `last`.
    fn refill(&mut self) {
        let Some(from) = self.buckets.iter().position(|b| !b.is_empty()) else {
            return;
        };
        let keys = std::mem::take(&mut self.buckets[from]);
        let Some(min) = keys.iter().map(order).min() else {
            return;
        };
        self.last = min;
        for key in &keys {
            // Every key here is at or above the new `last` and differs from it below bit
            // `from - 1`: it lands in a lower bucket.
            self.buckets[bucket_of(key, min)].push(*key);
        }
        // Keep the emptied vector's room for the next keys of this bucket, unless it is
        // large: every bucket holding on to its peak cost 60 MB in a 100,000-device run.
        let mut keys = keys;
        keys.clear();
        if keys.capacity() <= KEPT_ROOM {
            self.buckets[from] = keys;
        }
    }

    /// Events queued.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn earliest_first_and_ties_in_the_order_queued() {
        let mut q = EventQueue::default();
        q.push(20, "c");
        q.push(10, "a");
        q.push(20, "d");
        q.push(10, "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, [(10, "a"), (10, "b"), (20, "c"), (20, "d")]);
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn slots_are_reused() {
        let mut q = EventQueue::default();
        for round in 0..100u64 {
            q.push(round, round);
            q.push(round, round + 1000);
            assert_eq!(q.pop(), Some((round, round)));
            assert_eq!(q.pop(), Some((round, round + 1000)));
        }
        assert_eq!(q.len(), 0);
        assert_eq!(q.slab.len(), 2);
    }

    #[test]
    fn far_apart_times_and_a_key_below_the_last_come_out_in_order() {
        let mut q = EventQueue::default();
        for at in [u64::MAX, 0, 1 << 40, 7, 1 << 63] {
            q.push(at, at);
        }
        assert_eq!(q.pop(), Some((0, 0)));
        assert_eq!(q.pop(), Some((7, 7)));
        // Below the last popped time: never scheduled by the simulation, still first out.
        q.push(3, 3);
        let rest: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(at, _)| at).collect();
        assert_eq!(rest, [3, 1 << 40, 1 << 63, u64::MAX]);
    }

    proptest! {
        /// Interleaved pushes and pops come out as a stable sort by time would give them.
        #[test]
        fn pops_as_a_stable_sort(ops in proptest::collection::vec(proptest::option::of(0u64..50), 0..300)) {
            let mut q = EventQueue::default();
            let mut model: Vec<(u64, usize)> = Vec::new();
            for (i, op) in ops.into_iter().enumerate() {
                match op {
                    Some(at) => {
                        q.push(at, i);
                        model.push((at, i));
                    }
                    None => {
                        model.sort_by_key(|&(at, _)| at);
                        let expected = (!model.is_empty()).then(|| model.remove(0));
                        prop_assert_eq!(q.pop(), expected);
                    }
                }
            }
        }
    }
}
