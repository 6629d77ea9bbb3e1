//! [`DualCopyStore`]: a [`StateStore`] keeping two copies of the record in two flash regions.
//!
//! Each copy is a header, then the record from offset `H` (16 bytes rounded up to the write
//! unit), in a region of [`DualCopyStore::copy_span`] bytes:
//!
//! | bytes | field |
//! |---|---|
//! | 0..4 | magic `"OTS1"` |
//! | 4..8 | sequence number, little-endian `u32` |
//! | 8..12 | record length, little-endian `u32` |
//! | 12..16 | CRC-32 of bytes 4..12 and the record |
//!
//! A store erases the copy that is not the newest valid one, writes the record, then the
//! header: a copy whose header is not fully written, whose record is torn or whose region was
//! half erased fails the magic, length or CRC check and is ignored.

use embedded_storage::nor_flash::NorFlash;

use super::crc::Crc32;
use super::io::{self, MAX_FLASH_UNIT};
use super::{MAX_RECORD_LEN, StateStore, StorageError};

const MAGIC: [u8; 4] = *b"OTS1";
const HEADER_LEN: usize = 16;
/// Stack buffer for checking a copy's CRC.
const CHUNK: usize = 64;

/// A valid copy's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    seq: u32,
    len: usize,
}

/// A [`StateStore`] with two copies at two erase-aligned offsets of one flash, each with magic,
/// sequence number, length and CRC-32; `store` overwrites the older (or invalid) copy.
///
/// `load` returns the copy with the newer sequence number among the valid ones. Sequence
/// numbers are compared by wrapping difference (newer if ahead by less than 2^31); as a store
/// always writes the newest plus one, wrap-around after 2^32 stores is harmless. Every call
/// reads both copies (no cached state), so it is always consistent with the flash.
///
/// Each store is one erase of a copy region, one or two record writes and one header write.
/// It does not wear-level beyond alternating the two regions.
#[derive(Debug)]
pub struct DualCopyStore<F: NorFlash> {
    flash: F,
    bases: [u32; 2],
}

impl<F> DualCopyStore<F>
where
    F: NorFlash,
    F::Error: 'static,
{
    /// Bytes each copy occupies: header and [`MAX_RECORD_LEN`] rounded up to the write unit,
    /// the sum rounded up to the erase size.
    /// (`usize::MAX` for an absurd geometry, which [`Self::new`] then refuses.)
    pub const fn copy_span() -> usize {
        let body = round_up(MAX_RECORD_LEN, F::WRITE_SIZE);
        round_up(header_span::<F>().saturating_add(body), F::ERASE_SIZE)
    }

    /// A store with its copies at `first_offset` and `second_offset` of `flash`. Writes
    /// nothing: an unformatted flash simply has no record yet.
    ///
    /// # Errors
    /// [`StorageError::NotAligned`] if an offset is not a multiple of the erase size;
    /// [`StorageError::OutOfBounds`] if a copy ([`Self::copy_span`] bytes) does not fit the
    /// flash or the two overlap.
    pub fn new(flash: F, first_offset: u32, second_offset: u32) -> Result<Self, StorageError> {
        const { io::geometry_ok::<F>() };
        let span = Self::copy_span();
        let capacity = u32::try_from(flash.capacity()).unwrap_or(u32::MAX);
        for base in [first_offset, second_offset] {
            if !(base as usize).is_multiple_of(F::ERASE_SIZE) {
                return Err(StorageError::NotAligned);
            }
            io::range_end(base, span, capacity)?;
        }
        if (first_offset.abs_diff(second_offset) as usize) < span {
            return Err(StorageError::OutOfBounds);
        }
        Ok(Self {
            flash,
            bases: [first_offset, second_offset],
        })
    }

    /// The flash.
    pub fn flash(&self) -> &F {
        &self.flash
    }

    /// The flash, mutably (writing to the copies' regions behind the store's back voids its
    /// guarantees).
    pub fn flash_mut(&mut self) -> &mut F {
        &mut self.flash
    }

    /// The flash back.
    pub fn into_inner(self) -> F {
        self.flash
    }

    /// The copy's header if the copy is valid.
    fn check(&mut self, copy: usize) -> Result<Option<Header>, StorageError> {
        let base = self.bases[copy];
        let mut raw = [0; HEADER_LEN];
        io::read(&mut self.flash, base, &mut raw)?;
        let field = |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
        let (seq, len, crc) = (field(4), field(8), field(12));
        let len = len as usize;
        if raw[..4] != MAGIC || len > MAX_RECORD_LEN {
            return Ok(None);
        }
        let mut sum = Crc32::new();
        sum.update(&raw[4..12]);
        let mut at = data_offset::<F>(base);
        let mut left = len;
        let mut chunk = [0; CHUNK];
        while left > 0 {
            let n = left.min(CHUNK);
            io::read(&mut self.flash, at, &mut chunk[..n])?;
            sum.update(&chunk[..n]);
            at += n as u32;
            left -= n;
        }
        Ok((sum.finish() == crc).then_some(Header { seq, len }))
    }

    /// The newest valid copy: its index and header.
    fn newest(&mut self) -> Result<Option<(usize, Header)>, StorageError> {
        let first = self.check(0)?;
        let second = self.check(1)?;
        Ok(match (first, second) {
            (Some(a), Some(b)) if newer(b.seq, a.seq) => Some((1, b)),
            (Some(a), _) => Some((0, a)),
            (None, Some(b)) => Some((1, b)),
            (None, None) => None,
        })
    }
}

/// `value` rounded up to a multiple of `unit`, saturating.
const fn round_up(value: usize, unit: usize) -> usize {
    match value.checked_next_multiple_of(unit) {
        Some(v) => v,
        None => usize::MAX,
    }
}

/// Whether sequence number `a` is ahead of `b` by less than 2^31.
fn newer(a: u32, b: u32) -> bool {
    let ahead = a.wrapping_sub(b);
    ahead != 0 && ahead < 1 << 31
}

/// Bytes of a copy before its record: the header rounded up to the write unit.
const fn header_span<F: NorFlash>() -> usize {
    round_up(HEADER_LEN, F::WRITE_SIZE)
}

/// Where the record of the copy at `base` starts (`new` checked that the copy fits `u32`).
fn data_offset<F: NorFlash>(base: u32) -> u32 {
    base + header_span::<F>() as u32
}

impl<F> StateStore for DualCopyStore<F>
where
    F: NorFlash,
    F::Error: 'static,
{
    fn load(&mut self, buf: &mut [u8]) -> Result<Option<usize>, StorageError> {
        let Some((copy, header)) = self.newest()? else {
            return Ok(None);
        };
        let out = buf
            .get_mut(..header.len)
            .ok_or(StorageError::BufferTooSmall)?;
        io::read(&mut self.flash, data_offset::<F>(self.bases[copy]), out)?;
        Ok(Some(header.len))
    }

    fn store(&mut self, record: &[u8]) -> Result<(), StorageError> {
        if record.len() > MAX_RECORD_LEN {
            return Err(StorageError::RecordTooLong);
        }
        let (target, seq) = match self.newest()? {
            Some((copy, header)) => (1 - copy, header.seq.wrapping_add(1)),
            None => (0, 0),
        };
        let base = self.bases[target];
        let end = base + Self::copy_span() as u32;
        self.flash
            .erase(base, end)
            .map_err(StorageError::from_flash)?;
        io::write_padded(&mut self.flash, data_offset::<F>(base), record)?;

        let len = (record.len() as u32).to_le_bytes();
        let mut sum = Crc32::new();
        sum.update(&seq.to_le_bytes());
        sum.update(&len);
        sum.update(record);
        let mut header = [0xFF; MAX_FLASH_UNIT];
        header[..4].copy_from_slice(&MAGIC);
        header[4..8].copy_from_slice(&seq.to_le_bytes());
        header[8..12].copy_from_slice(&len);
        header[12..16].copy_from_slice(&sum.finish().to_le_bytes());
        io::write_padded(&mut self.flash, base, &header[..header_span::<F>()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::testing::{CutMode, MemFlash, PowerCut};
    use std::vec::Vec;

    /// Two 256-byte sectors per copy with 8-byte units: copies at 0 and 1280.
    type Small = MemFlash<256, 8>;

    fn store(power: &PowerCut) -> DualCopyStore<Small> {
        let flash = Small::with_geometry(4096, power.clone());
        DualCopyStore::new(flash, 0, 1280).unwrap()
    }

    fn reopen(s: &DualCopyStore<Small>) -> DualCopyStore<Small> {
        DualCopyStore::new(s.flash().share(), 0, 1280).unwrap()
    }

    fn load(s: &mut DualCopyStore<Small>) -> Option<Vec<u8>> {
        let mut buf = [0; MAX_RECORD_LEN];
        s.load(&mut buf).unwrap().map(|n| buf[..n].to_vec())
    }

    /// Record `i` of a sequence: lengths vary (empty, short, odd, maximal).
    fn record(i: usize) -> Vec<u8> {
        let len = [0, 1, 13, 200, 1024, 7, 64][i % 7];
        (0..len).map(|j| (i * 37 + j * 11) as u8).collect()
    }

    #[test]
    fn geometry() {
        assert_eq!(DualCopyStore::<Small>::copy_span(), 1280);
        assert_eq!(DualCopyStore::<MemFlash>::copy_span(), 4096);
        assert_eq!(DualCopyStore::<MemFlash<4096, 32>>::copy_span(), 4096);
        assert_eq!(header_span::<MemFlash<4096, 32>>(), 32);
    }

    #[test]
    fn new_checks_layout() {
        let flash = || Small::with_geometry(4096, PowerCut::unlimited());
        assert!(DualCopyStore::new(flash(), 2816, 0).is_ok());
        for (start, len, refused) in [
            (0, 1000, StorageError::NotAligned),
            (0, 1024, StorageError::OutOfBounds),
            (0, 3072, StorageError::OutOfBounds),
            (0, 0, StorageError::OutOfBounds),
            (u32::MAX - 255, 0, StorageError::OutOfBounds),
        ] {
            let store = DualCopyStore::new(flash(), start, len);
            assert_eq!(store.err(), Some(refused), "start {start}, length {len}");
        }
    }

    #[test]
    fn empty_flash_loads_none() {
        assert_eq!(load(&mut store(&PowerCut::unlimited())), None);
    }

    #[test]
    fn round_trip_and_many_overwrites() {
        let power = PowerCut::unlimited();
        let mut s = store(&power);
        for i in 0..50 {
            s.store(&record(i)).unwrap();
            assert_eq!(load(&mut s), Some(record(i)));
            assert_eq!(load(&mut reopen(&s)), Some(record(i)));
        }
        // One erase, one or two record writes and one header write per store.
        assert!(power.ops() <= 50 * 4);
    }

    #[test]
    fn record_too_long_writes_nothing() {
        let power = PowerCut::unlimited();
        let mut s = store(&power);
        assert_eq!(
            s.store(&[0; MAX_RECORD_LEN + 1]),
            Err(StorageError::RecordTooLong)
        );
        assert_eq!(power.ops(), 0);
        s.store(&[0; MAX_RECORD_LEN]).unwrap();
    }

    #[test]
    fn small_buffer_is_refused() {
        let mut s = store(&PowerCut::unlimited());
        s.store(b"twelve bytes").unwrap();
        assert_eq!(s.load(&mut [0; 11]), Err(StorageError::BufferTooSmall));
        assert_eq!(s.load(&mut [0; 12]), Ok(Some(12)));
    }

    #[test]
    fn a_corrupt_copy_loses_to_the_other() {
        let mut s = store(&PowerCut::unlimited());
        s.store(b"first").unwrap(); // copy 0, seq 0
        s.store(b"second").unwrap(); // copy 1, seq 1
        // A flipped bit in the newer record: the older copy wins.
        s.flash().poke(1280 + 16 + 2, &[b'c' ^ 0x04]).unwrap();
        assert_eq!(load(&mut s), Some(b"first".to_vec()));
        // The next store overwrites the corrupt copy, not the valid one.
        s.store(b"third").unwrap();
        assert_eq!(load(&mut s), Some(b"third".to_vec()));
        // A damaged header (length) on the newest: the other wins again.
        s.flash().poke(1280 + 8, &[0xFF]).unwrap();
        assert_eq!(load(&mut s), Some(b"first".to_vec()));
        // Both corrupt: nothing.
        s.flash().poke(0, b"XXXX").unwrap();
        assert_eq!(load(&mut s), None);
    }

    #[test]
    fn stale_copy_loses_and_sequence_wraps() {
        let mut s = store(&PowerCut::unlimited());
        s.store(b"a").unwrap();
        s.store(b"b").unwrap();
        // Rewrite the headers as sequence numbers around the wrap: copy 0 = u32::MAX,
        // copy 1 = 0 (newer by wrapping difference).
        let header = |seq: u32, data: &[u8]| {
            let mut h = Vec::from(MAGIC);
            h.extend_from_slice(&seq.to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            let mut crc = Crc32::new();
            crc.update(&h[4..12]);
            crc.update(data);
            h.extend_from_slice(&crc.finish().to_le_bytes());
            h
        };
        s.flash().poke(0, &header(u32::MAX, b"a")).unwrap();
        s.flash().poke(1280, &header(0, b"b")).unwrap();
        assert_eq!(load(&mut s), Some(b"b".to_vec()));
        // The next store goes to copy 0 with sequence 1 and wins.
        s.store(b"c").unwrap();
        assert_eq!(&s.flash().snapshot()[4..8], &1u32.to_le_bytes());
        assert_eq!(load(&mut s), Some(b"c".to_vec()));
        assert!(newer(0, u32::MAX) && !newer(u32::MAX, 0) && !newer(5, 5));
    }

    /// Stores `record(0..count)` until one fails; returns how many completed.
    fn run(s: &mut DualCopyStore<Small>, count: usize) -> usize {
        (0..count)
            .take_while(|&i| s.store(&record(i)).is_ok())
            .count()
    }

    #[test]
    fn power_cut_at_every_op_leaves_old_or_new() {
        const STORES: usize = 9;
        let clean = PowerCut::unlimited();
        assert_eq!(run(&mut store(&clean), STORES), STORES);
        let total = clean.ops();
        for mode in [CutMode::Clean, CutMode::Torn] {
            for k in 0..total {
                let power = PowerCut::unlimited();
                power.arm(k, mode);
                let mut s = store(&power);
                let done = run(&mut s, STORES);
                assert!(done < STORES, "cut {k} {mode:?} did not interrupt");
                assert_eq!(
                    s.load(&mut [0; MAX_RECORD_LEN]),
                    Err(StorageError::PowerLoss)
                );
                power.restore();
                let mut rebooted = reopen(&s);
                let got = load(&mut rebooted);
                let old = done.checked_sub(1).map(record);
                assert!(
                    got == old || got == Some(record(done)),
                    "cut at op {k} ({mode:?}) during store {done}: loaded {got:?}"
                );
                // The store keeps working after the reboot.
                rebooted.store(b"after").unwrap();
                assert_eq!(load(&mut reopen(&rebooted)), Some(b"after".to_vec()));
            }
        }
    }

    #[test]
    fn power_cut_during_load_is_reported() {
        let power = PowerCut::unlimited();
        let mut s = store(&power);
        s.store(b"x").unwrap();
        power.cut();
        assert_eq!(s.load(&mut [0; 4]), Err(StorageError::PowerLoss));
        assert_eq!(s.store(b"y"), Err(StorageError::PowerLoss));
        power.restore();
        assert_eq!(load(&mut s), Some(b"x".to_vec()));
    }
}
