//! [`MemFlash`]: NOR flash in RAM with power-cut injection, shared between handles.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::vec;
use std::vec::Vec;

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, ReadNorFlash, check_erase, check_read, check_write,
};

use super::{Mutation, PowerCut};
use crate::storage::StorageError;

#[derive(Debug)]
struct Memory {
    bytes: Vec<u8>,
    /// Per write unit: written since its last erase.
    programmed: Vec<bool>,
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
/// free); a torn one applies the first half of its bytes (a torn write marks the units it
/// touched as written; a torn erase frees only the units it fully erased). Reads fail while
/// the power is cut.
///
/// Clones ([`MemFlash::share`]) are handles on the same memory and the same [`PowerCut`],
/// so a test can keep the memory across a simulated reboot.
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
        bytes.copy_from_slice(&self.lock().bytes[at..at + bytes.len()]);
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
        let mutation = self.power.begin_mutation()?;
        let end = match mutation {
            Mutation::Full => to,
            Mutation::Torn => from + (to - from) / 2,
        };
        let mut memory = self.lock();
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
        let mutation = self.power.begin_mutation()?;
        let len = match mutation {
            Mutation::Full => bytes.len(),
            Mutation::Torn => bytes.len() / 2,
        };
        let mut memory = self.lock();
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
}
