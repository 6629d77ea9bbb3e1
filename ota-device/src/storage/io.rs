//! Reads at any offset and writes with a padded final unit over a `NorFlash`, through a
//! [`MAX_FLASH_UNIT`]-byte stack buffer. Bounds are the caller's to check; these only align.

use embedded_storage::nor_flash::{NorFlash, ReadNorFlash};

use super::StorageError;

/// Largest `READ_SIZE` and `WRITE_SIZE` (bytes) that [`super::NorFlashSlot`] and
/// [`super::DualCopyStore`] accept; a larger one fails to compile.
pub const MAX_FLASH_UNIT: usize = 256;

/// Compile-time check of a flash's units; evaluate as `const { geometry_ok::<F>() }`.
pub(crate) const fn geometry_ok<F: NorFlash>() {
    assert!(
        F::READ_SIZE >= 1 && F::READ_SIZE <= MAX_FLASH_UNIT,
        "READ_SIZE out of range"
    );
    assert!(
        F::WRITE_SIZE >= 1 && F::WRITE_SIZE <= MAX_FLASH_UNIT,
        "WRITE_SIZE out of range"
    );
    assert!(F::ERASE_SIZE >= 1, "ERASE_SIZE is zero");
}

/// `offset + len` if the range fits in `capacity`.
pub(crate) fn range_end(offset: u32, len: usize, capacity: u32) -> Result<u32, StorageError> {
    u32::try_from(len)
        .ok()
        .and_then(|len| offset.checked_add(len))
        .filter(|&end| end <= capacity)
        .ok_or(StorageError::OutOfBounds)
}

fn to_u32(value: usize) -> Result<u32, StorageError> {
    u32::try_from(value).map_err(|_| StorageError::OutOfBounds)
}

/// Read `buf.len()` bytes at `offset`, neither needing to be a multiple of `READ_SIZE`: a
/// partial unit at either end goes through the stack buffer.
pub(crate) fn read<F>(flash: &mut F, offset: u32, buf: &mut [u8]) -> Result<(), StorageError>
where
    F: ReadNorFlash,
    F::Error: 'static,
{
    if buf.is_empty() {
        return Ok(());
    }
    let unit = F::READ_SIZE;
    let mut at = offset as usize;
    let mut done = 0;
    // Head: from an unaligned offset, or a read shorter than one unit.
    let skip = at % unit;
    if skip != 0 || buf.len() < unit {
        let n = (unit - skip).min(buf.len());
        read_unit(flash, at - skip, skip, &mut buf[..n])?;
        (at, done) = (at + n, n);
    }
    // Middle: whole units straight into `buf`.
    let rest = buf.len() - done;
    let whole = rest - rest % unit;
    if whole > 0 {
        let part = &mut buf[done..done + whole];
        flash
            .read(to_u32(at)?, part)
            .map_err(StorageError::from_flash)?;
        (at, done) = (at + whole, done + whole);
    }
    // Tail: the first bytes of one more unit.
    if done < buf.len() {
        read_unit(flash, at, 0, &mut buf[done..])?;
    }
    Ok(())
}

/// Read the unit at `start` and copy its bytes from `skip` into `out`.
fn read_unit<F>(
    flash: &mut F,
    start: usize,
    skip: usize,
    out: &mut [u8],
) -> Result<(), StorageError>
where
    F: ReadNorFlash,
    F::Error: 'static,
{
    let mut unit = [0; MAX_FLASH_UNIT];
    let unit = unit
        .get_mut(..F::READ_SIZE)
        .ok_or(StorageError::NotAligned)?;
    flash
        .read(to_u32(start)?, unit)
        .map_err(StorageError::from_flash)?;
    let src = unit
        .get(skip..skip + out.len())
        .ok_or(StorageError::NotAligned)?;
    out.copy_from_slice(src);
    Ok(())
}

/// Write `data` at `offset` (a multiple of `WRITE_SIZE`): whole units directly, then a final
/// partial unit padded with `0xFF`. Writes nothing for empty `data`.
///
/// # Errors
/// [`StorageError::NotAligned`] if `offset` is not a multiple of `WRITE_SIZE`; flash errors.
pub(crate) fn write_padded<F>(flash: &mut F, offset: u32, data: &[u8]) -> Result<(), StorageError>
where
    F: NorFlash,
    F::Error: 'static,
{
    let unit = F::WRITE_SIZE;
    if !(offset as usize).is_multiple_of(unit) {
        return Err(StorageError::NotAligned);
    }
    let (body, tail) = data.split_at(data.len() - data.len() % unit);
    if !body.is_empty() {
        flash
            .write(offset, body)
            .map_err(StorageError::from_flash)?;
    }
    if !tail.is_empty() {
        let mut padded = [0xFF; MAX_FLASH_UNIT];
        let padded = padded.get_mut(..unit).ok_or(StorageError::NotAligned)?;
        padded[..tail.len()].copy_from_slice(tail);
        let at = offset
            .checked_add(to_u32(body.len())?)
            .ok_or(StorageError::OutOfBounds)?;
        flash.write(at, padded).map_err(StorageError::from_flash)?;
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use embedded_storage::nor_flash::{ErrorType, NorFlashErrorKind, check_read, check_write};

    /// A plain flash with 4-byte reads and 8-byte writes that checks alignment strictly and
    /// counts driver calls.
    pub(crate) struct Strict {
        pub(crate) mem: [u8; 64],
        pub(crate) calls: usize,
    }

    impl ErrorType for Strict {
        type Error = NorFlashErrorKind;
    }

    impl ReadNorFlash for Strict {
        const READ_SIZE: usize = 4;
        fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
            check_read(self, offset, bytes.len())?;
            self.calls += 1;
            let at = offset as usize;
            bytes.copy_from_slice(&self.mem[at..at + bytes.len()]);
            Ok(())
        }
        fn capacity(&self) -> usize {
            self.mem.len()
        }
    }

    impl NorFlash for Strict {
        const WRITE_SIZE: usize = 8;
        const ERASE_SIZE: usize = 32;
        fn erase(&mut self, _: u32, _: u32) -> Result<(), Self::Error> {
            Err(NorFlashErrorKind::Other)
        }
        fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
            check_write(self, offset, bytes.len())?;
            self.calls += 1;
            let at = offset as usize;
            self.mem[at..at + bytes.len()].copy_from_slice(bytes);
            Ok(())
        }
    }

    fn counting() -> Strict {
        let mut mem = [0; 64];
        for (i, b) in mem.iter_mut().enumerate() {
            *b = i as u8;
        }
        Strict { mem, calls: 0 }
    }

    #[test]
    fn reads_at_any_offset_and_length() {
        let mut flash = counting();
        for offset in 0..64u32 {
            for len in 0..=(64 - offset as usize) {
                let mut buf = [0u8; 64];
                read(&mut flash, offset, &mut buf[..len]).unwrap();
                let want: [u8; 64] = core::array::from_fn(|i| (offset as usize + i) as u8);
                assert_eq!(&buf[..len], &want[..len], "offset {offset} len {len}");
            }
        }
    }

    #[test]
    fn aligned_read_is_one_driver_call() {
        let mut flash = counting();
        read(&mut flash, 8, &mut [0; 16]).unwrap();
        assert_eq!(flash.calls, 1);
    }

    #[test]
    fn write_pads_the_final_unit() {
        let mut flash = Strict {
            mem: [0; 64],
            calls: 0,
        };
        write_padded(&mut flash, 8, &[1; 11]).unwrap();
        assert_eq!(&flash.mem[8..19], &[1; 11]);
        assert_eq!(&flash.mem[19..24], &[0xFF; 5]);
        assert_eq!(flash.mem[24], 0);
        assert_eq!(flash.calls, 2);
        write_padded(&mut flash, 32, &[]).unwrap();
        assert_eq!(flash.calls, 2);
        assert_eq!(
            write_padded(&mut flash, 4, &[1; 8]),
            Err(StorageError::NotAligned)
        );
        assert_eq!(
            write_padded(&mut flash, 56, &[1; 9]),
            Err(StorageError::OutOfBounds)
        );
    }

    #[test]
    fn range_end_checks_overflow() {
        assert_eq!(range_end(10, 6, 16), Ok(16));
        assert_eq!(range_end(10, 7, 16), Err(StorageError::OutOfBounds));
        assert_eq!(
            range_end(u32::MAX, 1, u32::MAX),
            Err(StorageError::OutOfBounds)
        );
    }
}
