//! A compact set of `u32` ids, iterated in ascending order.
//!
//! Ids are split into a 16-bit chunk number and a 16-bit offset. A chunk with few members
//! keeps them as a sorted `Vec<u16>` (2 bytes each); a crowded one switches to a 8 KiB bitmap
//! (1 bit for each possible offset). A million consecutive ids take 128 KiB; a handful of
//! scattered ids take a few bytes each. This does no set algebra beyond single-id updates.

/// More members than this and a sparse chunk becomes a bitmap (at 4096 both take 8 KiB).
const SPARSE_MAX: usize = 4096;
/// Fewer members than this and a bitmap chunk becomes sparse again (hysteresis against
/// flapping around [`SPARSE_MAX`]).
const DENSE_MIN: u32 = 2048;
const WORDS: usize = 1024;

#[derive(Clone, Debug)]
enum Body {
    /// Sorted, deduplicated offsets; never empty.
    Sparse(Vec<u16>),
    /// One bit per offset, with the number of bits set (never zero).
    Dense(Box<[u64; WORDS]>, u32),
}

#[derive(Clone, Debug)]
struct Chunk {
    hi: u16,
    body: Body,
}

/// A set of ids. `Default` is empty.
#[derive(Clone, Debug, Default)]
pub(super) struct IdSet {
    /// Sorted by `hi`; no chunk is empty.
    chunks: Vec<Chunk>,
    len: usize,
}

fn split(id: u32) -> (u16, u16) {
    ((id >> 16) as u16, id as u16)
}

fn bit(lo: u16) -> (usize, u64) {
    (usize::from(lo >> 6), 1u64 << (lo & 63))
}

impl Body {
    fn contains(&self, lo: u16) -> bool {
        match self {
            Self::Sparse(v) => v.binary_search(&lo).is_ok(),
            Self::Dense(words, _) => {
                let (w, mask) = bit(lo);
                words[w] & mask != 0
            }
        }
    }

    fn insert(&mut self, lo: u16) -> bool {
        match self {
            Self::Sparse(v) => match v.binary_search(&lo) {
                Ok(_) => false,
                Err(at) => {
                    v.insert(at, lo);
                    if v.len() > SPARSE_MAX {
                        *self = Self::densify(v);
                    }
                    true
                }
            },
            Self::Dense(words, count) => {
                let (w, mask) = bit(lo);
                let fresh = words[w] & mask == 0;
                words[w] |= mask;
                *count += u32::from(fresh);
                fresh
            }
        }
    }

    /// Remove `lo`; the body may be left empty (the caller drops it then).
    fn remove(&mut self, lo: u16) -> bool {
        match self {
            Self::Sparse(v) => match v.binary_search(&lo) {
                Ok(at) => {
                    v.remove(at);
                    true
                }
                Err(_) => false,
            },
            Self::Dense(words, count) => {
                let (w, mask) = bit(lo);
                let present = words[w] & mask != 0;
                words[w] &= !mask;
                *count -= u32::from(present);
                if *count < DENSE_MIN {
                    *self = Self::Sparse(DenseIter::new(words).collect());
                }
                present
            }
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Self::Sparse(v) => v.is_empty(),
            Self::Dense(_, count) => *count == 0,
        }
    }

    fn densify(v: &[u16]) -> Self {
        let mut words = Box::new([0u64; WORDS]);
        for &lo in v {
            let (w, mask) = bit(lo);
            words[w] |= mask;
        }
        // `v` is deduplicated and at most 65536 long.
        Self::Dense(words, v.len() as u32)
    }
}

/// Set bits of a bitmap chunk, ascending.
struct DenseIter<'a> {
    words: &'a [u64; WORDS],
    index: usize,
    word: u64,
}

impl<'a> DenseIter<'a> {
    fn new(words: &'a [u64; WORDS]) -> Self {
        Self {
            words,
            index: 0,
            word: words[0],
        }
    }
}

impl Iterator for DenseIter<'_> {
    type Item = u16;

    fn next(&mut self) -> Option<u16> {
        while self.word == 0 {
            self.index += 1;
            self.word = *self.words.get(self.index)?;
        }
        let offset = self.word.trailing_zeros() as usize;
        self.word &= self.word - 1;
        // index < 1024 and offset < 64, so this fits in 16 bits.
        Some((self.index * 64 + offset) as u16)
    }
}

enum ChunkIter<'a> {
    Sparse(core::slice::Iter<'a, u16>),
    Dense(DenseIter<'a>),
}

impl Iterator for ChunkIter<'_> {
    type Item = u16;

    fn next(&mut self) -> Option<u16> {
        match self {
            Self::Sparse(it) => it.next().copied(),
            Self::Dense(it) => it.next(),
        }
    }
}

impl IdSet {
    fn chunk(&self, hi: u16) -> Option<&Chunk> {
        let at = self.chunks.binary_search_by_key(&hi, |c| c.hi).ok()?;
        self.chunks.get(at)
    }

    /// True if `id` is in the set. O(log n).
    pub(super) fn contains(&self, id: u32) -> bool {
        let (hi, lo) = split(id);
        self.chunk(hi).is_some_and(|c| c.body.contains(lo))
    }

    /// Add `id`; true if it was not there before.
    pub(super) fn insert(&mut self, id: u32) -> bool {
        let (hi, lo) = split(id);
        let fresh = match self.chunks.binary_search_by_key(&hi, |c| c.hi) {
            Ok(at) => self.chunks[at].body.insert(lo),
            Err(at) => {
                let body = Body::Sparse(vec![lo]);
                self.chunks.insert(at, Chunk { hi, body });
                true
            }
        };
        self.len += usize::from(fresh);
        fresh
    }

    /// Remove `id`; true if it was there.
    pub(super) fn remove(&mut self, id: u32) -> bool {
        let (hi, lo) = split(id);
        let Ok(at) = self.chunks.binary_search_by_key(&hi, |c| c.hi) else {
            return false;
        };
        let body = &mut self.chunks[at].body;
        let present = body.remove(lo);
        if body.is_empty() {
            self.chunks.remove(at);
        }
        self.len -= usize::from(present);
        present
    }

    /// Number of ids in the set.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The ids in ascending order.
    pub(super) fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.chunks.iter().flat_map(|c| {
            let base = u32::from(c.hi) << 16;
            let it = match &c.body {
                Body::Sparse(v) => ChunkIter::Sparse(v.iter()),
                Body::Dense(words, _) => ChunkIter::Dense(DenseIter::new(words)),
            };
            it.map(move |lo| base | u32::from(lo))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn crowded_chunk_turns_dense_and_back() {
        let mut s = IdSet::default();
        for id in 0..5000 {
            assert!(s.insert(id * 2));
        }
        assert!(matches!(s.chunks[0].body, Body::Dense(..)));
        assert!(!s.insert(4));
        assert!(s.contains(9998) && !s.contains(9999));
        for id in 0..4000 {
            assert!(s.remove(id * 2));
        }
        assert!(matches!(s.chunks[0].body, Body::Sparse(_)));
        assert_eq!(s.len(), 1000);
        assert_eq!(s.iter().next(), Some(8000));
        assert!(!s.remove(1));
    }

    #[test]
    fn million_consecutive_ids_stay_small() {
        let mut s = IdSet::default();
        for id in 0..1_000_000 {
            s.insert(id);
        }
        assert_eq!(s.len(), 1_000_000);
        assert_eq!(s.chunks.len(), 16);
        assert!(s.chunks.iter().all(|c| matches!(c.body, Body::Dense(..))));
        assert!(s.iter().eq(0..1_000_000));
    }

    #[test]
    fn extremes() {
        let mut s = IdSet::default();
        for id in [u32::MAX, 0, 65535, 65536] {
            assert!(s.insert(id));
        }
        assert!(s.iter().eq([0, 65535, 65536, u32::MAX]));
        assert!(s.remove(u32::MAX) && s.remove(0) && s.remove(65535) && s.remove(65536));
        assert_eq!(s.len(), 0);
        assert!(s.chunks.is_empty());
    }

    proptest! {
        /// Runs of inserts and removals, so chunks cross both thresholds.
        #[test]
        fn behaves_like_btreeset(ops in proptest::collection::vec(
            (any::<bool>(), 0u32..9000, 0u32..3000, any::<bool>()), 0..40)) {
            let mut s = IdSet::default();
            let mut model = BTreeSet::new();
            for (add, start, run, far) in ops {
                let base = if far { 65_536 * 3 } else { 0 };
                for id in (base + start..base + start + run).step_by(1 + (start % 3) as usize) {
                    if add {
                        prop_assert_eq!(s.insert(id), model.insert(id));
                    } else {
                        prop_assert_eq!(s.remove(id), model.remove(&id));
                    }
                    prop_assert_eq!(s.contains(id), model.contains(&id));
                }
                prop_assert_eq!(s.len(), model.len());
            }
            prop_assert!(s.iter().eq(model.iter().copied()));
        }
    }
}
