//! [`MemFlash`]: NOR flash in RAM with power-cut and fault injection, shared between handles.
//!
//! The faults it models, all deterministic from a `u64` seed (details on [`MemFlash`]):
//!
//! - clean cut: the cut write or erase changes nothing;
//! - torn cut: the first half of the cut write or erase;
//! - noisy cut: a cut write leaves partly programmed bits (`old & (new | mask)`), a cut erase
//!   leaves partly erased garbage (`old | random`) that counts as not erased;
//! - read faults: chosen reads fail with [`StorageError::Other`] ([`ReadFault`]);
//! - bit rot: seeded bit flips in place ([`MemFlash::flip_bits`]).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::vec;
use std::vec::Vec;

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, ReadNorFlash, check_erase, check_read, check_write,
};

use super::{Mutation, PowerCut, SplitMix64};
use crate::storage::StorageError;

/// Which reads of a [`MemFlash`] fail (with [`StorageError::Other`]). Reads are counted from
/// the [`MemFlash::set_read_fault`] that set the fault, from 0; only reads that pass the power
/// and bounds checks count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadFault {
    /// Every read succeeds.
    #[default]
    Never,
    /// Read number `at` fails; every other succeeds.
    Once {
        /// The failing read.
        at: u64,
    },
    /// Every read from number `at` on fails (a dead part, a stuck bus).
    From {
        /// The first failing read.
        at: u64,
    },
    /// Each read fails with probability `1 / one_in` (every read for `one_in` ≤ 1), drawn
    /// from `seed` and the read's number.
    Random {
        /// The seed of the draws.
        seed: u64,
        /// One read in this many fails, on average.
        one_in: u32,
    },
}

impl ReadFault {
    /// Whether read number `n` fails.
    fn fails(self, n: u64) -> bool {
        match self {
            Self::Never => false,
            Self::Once { at } => n == at,
            Self::From { at } => n >= at,
            Self::Random { seed, one_in } => SplitMix64::derive(seed, n).one_in(one_in),
        }
    }
}

#[derive(Debug)]
struct Memory {
    bytes: Vec<u8>,
    /// Per write unit: not erased, i.e. written (or hit by an interrupted erase) since its
    /// last completed erase.
    programmed: Vec<bool>,
    read_fault: ReadFault,
    /// Reads counted since `read_fault` was set.
    reads: u64,
    /// Of those, the ones failed by `read_fault`.
    failed_reads: u64,
}

/// NOR flash in RAM: `ERASE`-byte sectors, `WRITE`-byte write units, byte reads.
///
/// NOR rules: erase sets bytes to `0xFF`; a write unit may be written once between erases,
/// and writing it again fails with [`StorageError::NotErased`] and changes nothing (even with
/// the same data: real flash would store the AND of both, or fault on ECC parts). Bounds and
/// alignment are checked as `embedded-storage`'s `check_*` helpers do. Errors are
/// [`StorageError`] itself, so [`StorageError::PowerLoss`] passes through adapters.
///
/// Power: every erase and write is one mutating operation of its [`PowerCut`] (empty ones are
/// free). Reads fail while the power is cut.
///
/// Clones ([`MemFlash::share`]) are handles on the same memory, faults and [`PowerCut`], so a
/// test can keep the memory across a simulated reboot.
///
/// # Faults
///
/// Everything is deterministic: the damage comes from a `u64` seed through [`SplitMix64`].
///
/// - **Clean cut** ([`CutMode::Clean`](super::CutMode::Clean)): the cut write or erase changes
///   nothing.
/// - **Torn cut** ([`CutMode::Torn`](super::CutMode::Torn)): a clean prefix. A write stores
///   the first half of its bytes and marks the units it touched as written; an erase erases
///   the first half of its range and frees only the units it fully erased.
/// - **Noisy cut** ([`CutMode::Noisy`](super::CutMode::Noisy)), what real NOR flash leaves,
///   seeded from the cut's seed and the index of the cut operation:
///   - an interrupted *write* programs a seeded number of its first bytes fully and leaves
///     every later byte of the write partly programmed: programming only clears bits, so each
///     becomes `old & (new | mask)` with a seeded random `mask` (some of its 1 → 0
///     transitions happened). Every write unit of the write counts as written, so writing it
///     again without an erase fails with [`StorageError::NotErased`];
///   - an interrupted *erase* leaves its whole range partly erased: erasing only sets bits,
///     so each byte becomes `old | random` (bits still 0 may or may not have come back), and
///     every write unit of the range counts as *not erased*, even one that reads `0xFF` (a
///     weakly erased cell): a write there before a new erase fails with
///     [`StorageError::NotErased`], so a client that does not erase again is caught.
///
///   Both match the contract of [`FirmwareSlot`](crate::storage::FirmwareSlot): after a power
///   loss the bytes of a write or the range of an erase are undefined, and need an erase.
/// - **Read faults** ([`MemFlash::set_read_fault`], [`ReadFault`]): chosen reads fail with
///   [`StorageError::Other`], a transient driver or bus error (an ECC error a driver reports
///   collapses to it too), and fill nothing; the data stays intact, so a later read may
///   succeed. Once at a given read, from a given read on, or each read with probability
///   `1/n` from a seed. Shared by all handles, so a test can set it on
///   [`SimBootloader::bank_flash`](super::SimBootloader::bank_flash) or
///   [`MemStateStore::flash`](super::MemStateStore::flash).
/// - **Bit rot** ([`MemFlash::flip_bits`]): seeded bit flips in place, as after the data was
///   written and checked (charge loss, a disturbed cell); [`MemFlash::poke`] writes chosen
///   bytes.
#[derive(Debug, Clone)]
pub struct MemFlash<const ERASE: usize = 4096, const WRITE: usize = 8> {
    memory: Arc<Mutex<Memory>>,
    power: PowerCut,
}

impl MemFlash {
    /// An erased flash of `size` bytes (rounded up to whole 4096-byte sectors) with 8-byte
    /// write units; see [`MemFlash::with_geometry`] for other geometries.
    pub fn new(size: usize, power: PowerCut) -> Self {
        Self::with_geometry(size, power)
    }
}

impl<const ERASE: usize, const WRITE: usize> MemFlash<ERASE, WRITE> {
    /// An erased flash of `size` bytes, rounded up to whole sectors. `ERASE` must be a multiple
    /// of `WRITE` (checked at compile time).
    pub fn with_geometry(size: usize, power: PowerCut) -> Self {
        const { assert!(WRITE >= 1 && ERASE >= WRITE && ERASE.is_multiple_of(WRITE)) };
        let size = size.next_multiple_of(ERASE);
        let memory = Memory {
            bytes: vec![0xFF; size],
            programmed: vec![false; size / WRITE],
            read_fault: ReadFault::Never,
            reads: 0,
            failed_reads: 0,
        };
        Self {
            memory: Arc::new(Mutex::new(memory)),
            power,
        }
    }

    /// Another handle on the same memory and power.
    pub fn share(&self) -> Self {
        self.clone()
    }

    /// The power supply this flash draws from.
    pub fn power(&self) -> &PowerCut {
        &self.power
    }

    /// A copy of the whole memory (no power check).
    pub fn snapshot(&self) -> Vec<u8> {
        self.lock().bytes.clone()
    }

    /// Overwrite bytes directly, bypassing NOR rules and power, for corruption tests and for
    /// flashing a factory image. The write units touched count as written.
    ///
    /// # Errors
    /// [`StorageError::OutOfBounds`].
    pub fn poke(&self, offset: usize, bytes: &[u8]) -> Result<(), StorageError> {
        let mut memory = self.lock();
        let end = offset
            .checked_add(bytes.len())
            .ok_or(StorageError::OutOfBounds)?;
        let target = memory
            .bytes
            .get_mut(offset..end)
            .ok_or(StorageError::OutOfBounds)?;
        target.copy_from_slice(bytes);
        memory.programmed[offset / WRITE..end.div_ceil(WRITE)].fill(true);
        Ok(())
    }

    /// Flip `flips` distinct bits of `[offset, offset + len)`, chosen from `seed`, in place
    /// (bypassing NOR rules and power; whether units count as written does not change): bit
    /// rot after the data was written and checked. At most every bit of the range flips.
    /// Returns the byte offsets changed, in the order drawn (a byte may appear more than once).
    ///
    /// # Errors
    /// [`StorageError::OutOfBounds`].
    pub fn flip_bits(
        &self,
        offset: usize,
        len: usize,
        flips: usize,
        seed: u64,
    ) -> Result<Vec<usize>, StorageError> {
        let mut memory = self.lock();
        let end = offset.checked_add(len).ok_or(StorageError::OutOfBounds)?;
        let range = memory
            .bytes
            .get_mut(offset..end)
            .ok_or(StorageError::OutOfBounds)?;
        let bits = len.saturating_mul(8);
        let mut rng = SplitMix64::new(seed);
        let mut chosen: Vec<usize> = Vec::new();
        while chosen.len() < flips.min(bits) {
            let bit = rng.below(bits as u64) as usize;
            if !chosen.contains(&bit) {
                chosen.push(bit);
                range[bit / 8] ^= 1 << (bit % 8);
            }
        }
        Ok(chosen.into_iter().map(|bit| offset + bit / 8).collect())
    }

    /// Make reads fail as `fault` says, counting reads from 0 again.
    /// [`ReadFault::Never`] turns read faults off.
    pub fn set_read_fault(&self, fault: ReadFault) {
        let mut memory = self.lock();
        memory.read_fault = fault;
        memory.reads = 0;
        memory.failed_reads = 0;
    }

    /// Reads since the last [`MemFlash::set_read_fault`] (or since the flash was made) that
    /// passed the power and bounds checks.
    pub fn reads(&self) -> u64 {
        self.lock().reads
    }

    /// Of those, the reads that [`MemFlash::set_read_fault`]'s fault failed.
    pub fn failed_reads(&self) -> u64 {
        self.lock().failed_reads
    }

    fn lock(&self) -> MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<const ERASE: usize, const WRITE: usize> ErrorType for MemFlash<ERASE, WRITE> {
    type Error = StorageError;
}

impl<const ERASE: usize, const WRITE: usize> ReadNorFlash for MemFlash<ERASE, WRITE> {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), StorageError> {
        self.power.check()?;
        check_read(self, offset, bytes.len())?;
        let at = offset as usize;
        let mut memory = self.lock();
        let n = memory.reads;
        memory.reads += 1;
        if memory.read_fault.fails(n) {
            memory.failed_reads += 1;
            return Err(StorageError::Other);
        }
        bytes.copy_from_slice(&memory.bytes[at..at + bytes.len()]);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.lock().bytes.len()
    }
}

impl<const ERASE: usize, const WRITE: usize> NorFlash for MemFlash<ERASE, WRITE> {
    const WRITE_SIZE: usize = WRITE;
    const ERASE_SIZE: usize = ERASE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), StorageError> {
        self.power.check()?;
        check_erase(self, from, to)?;
        let (from, to) = (from as usize, to as usize);
        if from == to {
            return Ok(());
        }
        let (mutation, damage) = self.power.begin_damaging_mutation()?;
        let mut memory = self.lock();
        if let Some(mut rng) = damage {
            // Partly erased: bits only go 0 -> 1, and nothing counts as erased.
            for byte in &mut memory.bytes[from..to] {
                *byte |= rng.byte();
            }
            memory.programmed[from / WRITE..to / WRITE].fill(true);
            return finish(mutation);
        }
        let end = match mutation {
            Mutation::Full => to,
            Mutation::Torn => from + (to - from) / 2,
        };
        memory.bytes[from..end].fill(0xFF);
        memory.programmed[from / WRITE..end / WRITE].fill(false);
        finish(mutation)
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), StorageError> {
        self.power.check()?;
        check_write(self, offset, bytes.len())?;
        let at = offset as usize;
        let units = at / WRITE..(at + bytes.len()) / WRITE;
        if self.lock().programmed[units.clone()].contains(&true) {
            return Err(StorageError::NotErased);
        }
        if bytes.is_empty() {
            return Ok(());
        }
        let (mutation, damage) = self.power.begin_damaging_mutation()?;
        let mut memory = self.lock();
        if let Some(mut rng) = damage {
            // The first `done` bytes programmed, the rest partly: bits only go 1 -> 0.
            let done = rng.below(bytes.len() as u64 + 1) as usize;
            let target = &mut memory.bytes[at..at + bytes.len()];
            for (i, (old, new)) in target.iter_mut().zip(bytes).enumerate() {
                let mask = if i < done { 0 } else { rng.byte() };
                *old &= new | mask;
            }
            memory.programmed[units].fill(true);
            return finish(mutation);
        }
        let len = match mutation {
            Mutation::Full => bytes.len(),
            Mutation::Torn => bytes.len() / 2,
        };
        memory.bytes[at..at + len].copy_from_slice(&bytes[..len]);
        memory.programmed[at / WRITE..(at + len).div_ceil(WRITE)].fill(true);
        finish(mutation)
    }
}

fn finish(mutation: Mutation) -> Result<(), StorageError> {
    match mutation {
        Mutation::Full => Ok(()),
        Mutation::Torn => Err(StorageError::PowerLoss),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::testing::CutMode;

    fn flash(power: &PowerCut) -> MemFlash<256, 8> {
        MemFlash::with_geometry(1000, power.clone())
    }

    fn read(f: &mut MemFlash<256, 8>, at: u32, len: usize) -> Vec<u8> {
        let mut buf = vec![0; len];
        f.read(at, &mut buf).unwrap();
        buf
    }

    #[test]
    fn starts_erased_and_rounds_to_sectors() {
        let mut f = flash(&PowerCut::unlimited());
        assert_eq!(f.capacity(), 1024);
        assert_eq!(read(&mut f, 0, 1024), vec![0xFF; 1024]);
        let default = MemFlash::new(1, PowerCut::unlimited());
        assert_eq!(default.capacity(), 4096);
    }

    #[test]
    fn write_then_erase() {
        let mut f = flash(&PowerCut::unlimited());
        f.write(8, &[1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
        assert_eq!(read(&mut f, 6, 4), [0xFF, 0xFF, 1, 2]);
        f.erase(0, 256).unwrap();
        assert_eq!(read(&mut f, 8, 8), vec![0xFF; 8]);
        f.write(8, &[9; 8]).unwrap();
    }

    #[test]
    fn double_write_is_refused_even_with_same_or_ff_data() {
        let mut f = flash(&PowerCut::unlimited());
        f.write(0, &[0xFF; 8]).unwrap();
        assert_eq!(f.write(0, &[0; 8]), Err(StorageError::NotErased));
        f.write(8, &[5; 8]).unwrap();
        assert_eq!(f.write(8, &[5; 8]), Err(StorageError::NotErased));
        assert_eq!(f.write(0, &[1; 16]), Err(StorageError::NotErased));
        assert_eq!(read(&mut f, 8, 8), vec![5; 8]);
    }

    #[test]
    fn bounds_and_alignment() {
        let mut f = flash(&PowerCut::unlimited());
        assert_eq!(f.write(4, &[0; 8]), Err(StorageError::NotAligned));
        assert_eq!(f.write(0, &[0; 4]), Err(StorageError::NotAligned));
        assert_eq!(f.write(1024, &[0; 8]), Err(StorageError::OutOfBounds));
        assert_eq!(f.erase(0, 100), Err(StorageError::NotAligned));
        assert_eq!(f.erase(256, 0), Err(StorageError::OutOfBounds));
        assert_eq!(f.erase(0, 2048), Err(StorageError::OutOfBounds));
        assert_eq!(f.read(1020, &mut [0; 5]), Err(StorageError::OutOfBounds));
    }

    #[test]
    fn handles_share_memory() {
        let mut f = flash(&PowerCut::unlimited());
        let mut g = f.share();
        f.write(0, &[3; 8]).unwrap();
        assert_eq!(read(&mut g, 0, 8), vec![3; 8]);
        g.poke(1, &[4]).unwrap();
        assert_eq!(f.snapshot()[..3], [3, 4, 3]);
        assert_eq!(f.poke(1020, &[0; 5]), Err(StorageError::OutOfBounds));
    }

    #[test]
    fn clean_cut_changes_nothing_and_counts() {
        let power = PowerCut::after(1);
        let mut f = flash(&power);
        f.write(0, &[1; 8]).unwrap();
        assert_eq!(f.write(8, &[2; 8]), Err(StorageError::PowerLoss));
        assert_eq!(f.read(0, &mut [0; 1]), Err(StorageError::PowerLoss));
        assert_eq!(f.erase(0, 256), Err(StorageError::PowerLoss));
        power.restore();
        assert_eq!(read(&mut f, 0, 16), [[1; 8], [0xFF; 8]].concat());
        assert_eq!(power.ops(), 1);
        // The cut write left its units erased.
        f.write(8, &[2; 8]).unwrap();
    }

    #[test]
    fn torn_write_applies_first_half() {
        let power = PowerCut::torn_after(0);
        let mut f = flash(&power);
        assert_eq!(f.write(0, &[7; 24]), Err(StorageError::PowerLoss));
        power.restore();
        assert_eq!(read(&mut f, 0, 24), [[7; 12], [0xFF; 12]].concat());
        // Units 0 and 1 (bytes 0..16) were touched; unit 2 was not.
        assert_eq!(f.write(8, &[1; 8]), Err(StorageError::NotErased));
        f.write(16, &[1; 8]).unwrap();
    }

    #[test]
    fn torn_erase_erases_first_half() {
        let power = PowerCut::unlimited();
        let mut f = flash(&power);
        f.write(0, &[0; 8]).unwrap();
        f.write(256, &[0; 8]).unwrap();
        power.arm(0, CutMode::Torn);
        assert_eq!(f.erase(0, 512), Err(StorageError::PowerLoss));
        power.restore();
        assert_eq!(read(&mut f, 0, 8), vec![0xFF; 8]);
        assert_eq!(read(&mut f, 256, 8), vec![0; 8]);
        f.write(0, &[1; 8]).unwrap();
        assert_eq!(f.write(256, &[1; 8]), Err(StorageError::NotErased));
    }

    /// A flash whose first 512 bytes hold `pattern`, the rest erased, and the power armed to
    /// cut the next operation noisily with `seed`.
    fn noisy(seed: u64) -> (MemFlash<256, 8>, PowerCut) {
        let power = PowerCut::unlimited();
        let mut f = flash(&power);
        f.write(0, &pattern(512)).unwrap();
        power.arm(0, CutMode::Noisy { seed });
        (f, power)
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(37) ^ 0x5A)
            .collect()
    }

    #[test]
    fn noisy_write_only_clears_bits_and_marks_every_touched_unit() {
        let data = vec![0x0F; 64];
        let mut damaged = 0;
        for seed in 0..50 {
            let (mut f, power) = noisy(seed);
            assert_eq!(f.write(512, &data), Err(StorageError::PowerLoss));
            power.restore();
            let got = read(&mut f, 512, 64);
            for &b in &got {
                // Between `old & new` and `old` (old is 0xFF): only 1 -> 0 transitions.
                assert_eq!(b & 0x0F, 0x0F, "seed {seed}: a 1 of the data was cleared");
            }
            damaged += usize::from(got != data);
            // The bytes around are untouched; every unit of the write counts as written.
            assert_eq!(read(&mut f, 0, 512), pattern(512));
            assert_eq!(read(&mut f, 576, 8), vec![0xFF; 8]);
            for unit in (512..576).step_by(8) {
                assert_eq!(f.write(unit, &[0; 8]), Err(StorageError::NotErased));
            }
            f.write(576, &[0; 8]).unwrap();
            // An erase makes them writable again.
            f.erase(512, 768).unwrap();
            f.write(512, &data).unwrap();
            assert_eq!(read(&mut f, 512, 64), data);
        }
        assert!(
            damaged > 40,
            "only {damaged} of 50 noisy writes left partial bits"
        );
    }

    #[test]
    fn noisy_erase_only_sets_bits_and_leaves_nothing_erased() {
        let old = pattern(512);
        for seed in 0..50 {
            let (mut f, power) = noisy(seed);
            assert_eq!(f.erase(0, 512), Err(StorageError::PowerLoss));
            power.restore();
            let got = read(&mut f, 0, 512);
            assert!(
                got.iter().zip(&old).all(|(g, o)| g | o == *g),
                "seed {seed}"
            );
            assert_ne!(got, old, "seed {seed}: the erase left no trace");
            assert_ne!(got, vec![0xFF; 512], "seed {seed}: fully erased");
            // Even units that read 0xFF are not erased: a missing erase is caught.
            for unit in (0..512).step_by(8) {
                assert_eq!(f.write(unit, &[0; 8]), Err(StorageError::NotErased));
            }
            // The sectors after the range are as they were.
            f.write(512, &[1; 8]).unwrap();
            f.erase(0, 512).unwrap();
            assert_eq!(read(&mut f, 0, 512), vec![0xFF; 512]);
            f.write(0, &[2; 8]).unwrap();
        }
    }

    #[test]
    fn noisy_damage_is_deterministic_per_seed_and_cut_point() {
        let run = |seed, cut| {
            let power = PowerCut::unlimited();
            let mut f = flash(&power);
            power.arm(cut, CutMode::Noisy { seed });
            let mut result = Ok(());
            for block in 0..4 {
                result = result.and_then(|()| f.write(block * 64, &[0; 64]));
            }
            assert_eq!(result, Err(StorageError::PowerLoss));
            f.snapshot()
        };
        assert_eq!(run(7, 2), run(7, 2));
        assert_ne!(run(7, 2), run(8, 2));
        // The same seed at another cut point damages differently.
        assert_ne!(run(7, 1)[64..128], run(7, 2)[128..192]);
        // A clean prefix before the cut.
        assert_eq!(run(7, 2)[..128], [0; 128]);
    }

    #[test]
    fn read_faults_once_from_and_random() {
        let mut f = flash(&PowerCut::unlimited());
        f.write(0, &[9; 8]).unwrap();
        assert_eq!((f.reads(), f.failed_reads()), (0, 0));
        f.set_read_fault(ReadFault::Once { at: 2 });
        let mut buf = [0; 8];
        let results: Vec<_> = (0..5).map(|_| f.read(0, &mut buf)).collect();
        assert_eq!(results[2], Err(StorageError::Other));
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 4);
        assert_eq!((f.reads(), f.failed_reads()), (5, 1));
        // The data is intact.
        assert_eq!(read(&mut f, 0, 8), vec![9; 8]);

        // Out-of-bounds reads and reads without power do not count.
        f.set_read_fault(ReadFault::From { at: 1 });
        assert_eq!(f.read(1020, &mut [0; 8]), Err(StorageError::OutOfBounds));
        f.power().cut();
        assert_eq!(f.read(0, &mut buf), Err(StorageError::PowerLoss));
        f.power().restore();
        assert_eq!(f.reads(), 0);
        f.read(0, &mut buf).unwrap();
        let mut g = f.share();
        for _ in 0..3 {
            assert_eq!(g.read(0, &mut buf), Err(StorageError::Other));
        }
        assert_eq!((f.reads(), f.failed_reads()), (4, 3));

        let pattern = |seed| {
            let mut f = flash(&PowerCut::unlimited());
            f.set_read_fault(ReadFault::Random { seed, one_in: 4 });
            (0..2000)
                .map(|_| f.read(0, &mut [0; 1]).is_err())
                .collect::<Vec<_>>()
        };
        let failed = pattern(3).iter().filter(|&&e| e).count();
        assert!((350..650).contains(&failed), "{failed} of 2000 at 1/4");
        assert_eq!(pattern(3), pattern(3));
        assert_ne!(pattern(3), pattern(4));

        f.set_read_fault(ReadFault::Never);
        assert_eq!(read(&mut f, 0, 8), vec![9; 8]);
        assert_eq!(f.failed_reads(), 0);
    }

    #[test]
    fn flip_bits_flips_distinct_seeded_bits_in_range() {
        let f = flash(&PowerCut::unlimited());
        let before = f.snapshot();
        let changed = f.flip_bits(100, 20, 5, 11).unwrap();
        assert_eq!(changed.len(), 5);
        assert!(changed.iter().all(|at| (100..120).contains(at)));
        let after = f.snapshot();
        let flipped: u32 = before
            .iter()
            .zip(&after)
            .map(|(a, b)| (a ^ b).count_ones())
            .sum();
        assert_eq!(flipped, 5);
        assert_eq!(f.flip_bits(100, 20, 5, 11).unwrap(), changed);
        assert_eq!(f.snapshot(), before, "the same flips undo themselves");
        // At most every bit of the range.
        assert_eq!(f.flip_bits(0, 1, 100, 1).unwrap().len(), 8);
        assert_eq!(f.snapshot()[0], 0x00);
        assert_eq!(f.flip_bits(1020, 5, 1, 0), Err(StorageError::OutOfBounds));
    }
}
