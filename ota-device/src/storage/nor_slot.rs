//! [`NorFlashSlot`]: a [`FirmwareSlot`] made of a `NorFlash` partition and a [`BootControl`].

use embedded_storage::nor_flash::NorFlash;

use super::io;
use super::{BootControl, FirmwareSlot, HasBootControl, StorageError};

/// A [`FirmwareSlot`] over a `NorFlash` partition holding the image (offset 0 of the flash is
/// offset 0 of the slot) and a [`BootControl`] for the flags.
///
/// It checks bounds and alignment before touching the flash and returns typed errors; it
/// pads a short final write unit with `0xFF` and reads at any offset through a
/// [`MAX_FLASH_UNIT`](super::MAX_FLASH_UNIT)-byte stack buffer. It never erases implicitly, does not check that a
/// write target is erased, and does not guard the slot against writes while it holds a
/// pending or fallback image (that is the [`BootControl`]'s or the client's business).
///
/// The flash's `READ_SIZE` and `WRITE_SIZE` must be at most [`MAX_FLASH_UNIT`](super::MAX_FLASH_UNIT) and
/// `ERASE_SIZE` non-zero, or [`NorFlashSlot::new`] fails to compile.
#[derive(Debug)]
pub struct NorFlashSlot<F: NorFlash, C: BootControl> {
    flash: F,
    boot: C,
}

impl<F, C> NorFlashSlot<F, C>
where
    F: NorFlash,
    F::Error: 'static,
    C: BootControl,
{
    /// A slot over all of `flash`, with `boot` for the flags.
    pub fn new(flash: F, boot: C) -> Self {
        const { io::geometry_ok::<F>() };
        Self { flash, boot }
    }

    /// The flash's write unit: a write offset must be a multiple of it.
    pub fn write_size(&self) -> u32 {
        u32::try_from(F::WRITE_SIZE).unwrap_or(u32::MAX)
    }

    /// The flash partition.
    pub fn flash(&self) -> &F {
        &self.flash
    }

    /// The flash partition, mutably.
    pub fn flash_mut(&mut self) -> &mut F {
        &mut self.flash
    }

    /// The boot flags.
    pub fn boot(&self) -> &C {
        &self.boot
    }

    /// The boot flags, mutably.
    pub fn boot_mut(&mut self) -> &mut C {
        &mut self.boot
    }

    /// The flash and the boot control back.
    pub fn into_parts(self) -> (F, C) {
        (self.flash, self.boot)
    }
}

impl<F, C> FirmwareSlot for NorFlashSlot<F, C>
where
    F: NorFlash,
    F::Error: 'static,
    C: BootControl,
{
    fn capacity(&self) -> u32 {
        u32::try_from(self.flash.capacity()).unwrap_or(u32::MAX)
    }

    fn erase_size(&self) -> u32 {
        u32::try_from(F::ERASE_SIZE).unwrap_or(u32::MAX)
    }

    fn erase(&mut self, from: u32, to: u32) -> Result<(), StorageError> {
        if from > to || to > self.capacity() {
            return Err(StorageError::OutOfBounds);
        }
        let unit = self.erase_size();
        if !from.is_multiple_of(unit) || !to.is_multiple_of(unit) {
            return Err(StorageError::NotAligned);
        }
        self.flash.erase(from, to).map_err(StorageError::from_flash)
    }

    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), StorageError> {
        io::range_end(offset, data.len(), self.capacity())?;
        io::write_padded(&mut self.flash, offset, data)
    }

    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), StorageError> {
        io::range_end(offset, buf.len(), self.capacity())?;
        io::read(&mut self.flash, offset, buf)
    }
}

/// The flags are the boot control's.
impl<F: NorFlash, C: BootControl> HasBootControl for NorFlashSlot<F, C> {
    type Boot = C;

    fn boot_control(&mut self) -> &mut C {
        &mut self.boot
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::BootState;
    use crate::storage::io::tests::Strict;
    use crate::storage::testing::{MemFlash, PowerCut};
    use std::vec;

    /// Flags in RAM, no power model: enough for the adapter's forwarding.
    #[derive(Debug, Default)]
    struct Flags(Option<BootState>);

    impl BootControl for Flags {
        fn mark_pending(&mut self) -> Result<(), StorageError> {
            self.0 = Some(BootState::Pending);
            Ok(())
        }
        fn boot_state(&mut self) -> Result<BootState, StorageError> {
            Ok(self.0.unwrap_or(BootState::Normal))
        }
        fn commit(&mut self) -> Result<(), StorageError> {
            self.0 = Some(BootState::Normal);
            Ok(())
        }
        fn roll_back(&mut self) -> Result<(), StorageError> {
            self.0 = Some(BootState::RolledBack);
            Ok(())
        }
    }

    type Slot = NorFlashSlot<MemFlash<1024, 8>, Flags>;

    fn slot() -> Slot {
        let flash = MemFlash::<1024, 8>::with_geometry(4096, PowerCut::unlimited());
        NorFlashSlot::new(flash, Flags::default())
    }

    #[test]
    fn reports_geometry() {
        let s = slot();
        assert_eq!(
            (s.capacity(), s.erase_size(), s.write_size()),
            (4096, 1024, 8)
        );
    }

    #[test]
    fn erase_checks_bounds_and_alignment() {
        let mut s = slot();
        assert_eq!(s.erase(0, 4096), Ok(()));
        assert_eq!(s.erase(1024, 1024), Ok(()));
        assert_eq!(s.erase(0, 5120), Err(StorageError::OutOfBounds));
        assert_eq!(s.erase(2048, 1024), Err(StorageError::OutOfBounds));
        assert_eq!(s.erase(512, 1024), Err(StorageError::NotAligned));
        assert_eq!(s.erase(0, 1000), Err(StorageError::NotAligned));
    }

    #[test]
    fn write_checks_bounds_and_alignment() {
        let mut s = slot();
        s.erase(0, 4096).unwrap();
        assert_eq!(s.write(4, &[0; 8]), Err(StorageError::NotAligned));
        assert_eq!(s.write(4088, &[0; 9]), Err(StorageError::OutOfBounds));
        assert_eq!(s.write(u32::MAX, &[0; 1]), Err(StorageError::OutOfBounds));
        assert_eq!(s.write(4096, &[]), Ok(()));
        assert_eq!(s.write(4088, &[7; 8]), Ok(()));
        // The failed attempts wrote nothing.
        let mut buf = [0; 16];
        s.read(0, &mut buf).unwrap();
        assert_eq!(buf, [0xFF; 16]);
    }

    #[test]
    fn blocks_then_short_final_block_read_back() {
        let mut s = slot();
        let image: std::vec::Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        s.erase(0, 1024).unwrap();
        for (i, block) in image.chunks(256).enumerate() {
            s.write(i as u32 * 256, block).unwrap();
        }
        let mut back = vec![0; 1024];
        s.read(0, &mut back).unwrap();
        assert_eq!(&back[..1000], &image[..]);
        assert_eq!(&back[1000..], &[0xFF; 24]);
        // Read at odd offsets and lengths.
        let mut part = [0; 13];
        s.read(997, &mut part).unwrap();
        assert_eq!(&part[..3], &image[997..]);
        assert_eq!(&part[3..], &[0xFF; 10]);
    }

    #[test]
    fn rewrite_without_erase_is_refused() {
        let mut s = slot();
        s.erase(0, 1024).unwrap();
        s.write(0, &[1; 5]).unwrap();
        // The padded unit [0, 8) is programmed; writing it again is caught.
        assert_eq!(s.write(0, &[1; 8]), Err(StorageError::NotErased));
        s.erase(0, 1024).unwrap();
        assert_eq!(s.write(0, &[1; 8]), Ok(()));
    }

    #[test]
    fn read_checks_bounds() {
        let mut s = slot();
        assert_eq!(s.read(4095, &mut [0; 2]), Err(StorageError::OutOfBounds));
        assert_eq!(s.read(4096, &mut []), Ok(()));
    }

    #[test]
    fn power_loss_survives_the_adapter() {
        let power = PowerCut::after(1);
        let flash = MemFlash::<1024, 8>::with_geometry(4096, power.clone());
        let mut s = NorFlashSlot::new(flash, Flags::default());
        s.erase(0, 1024).unwrap();
        assert_eq!(s.write(0, &[1; 8]), Err(StorageError::PowerLoss));
        assert_eq!(s.read(0, &mut [0; 8]), Err(StorageError::PowerLoss));
        power.restore();
        assert_eq!(s.read(0, &mut [0; 8]), Ok(()));
    }

    #[test]
    fn flags_are_forwarded() {
        let mut s = slot();
        assert_eq!(s.boot_state(), Ok(BootState::Normal));
        s.mark_pending().unwrap();
        assert_eq!(s.boot_state(), Ok(BootState::Pending));
        s.roll_back().unwrap();
        assert_eq!(s.boot_mut().boot_state(), Ok(BootState::RolledBack));
        s.commit().unwrap();
        assert_eq!(s.boot_state(), Ok(BootState::Normal));
    }

    #[test]
    fn driver_errors_collapse_and_reads_align() {
        let mut mem = [0; 64];
        mem.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
        let mut s = NorFlashSlot::new(Strict { mem, calls: 0 }, Flags::default());
        assert_eq!(s.erase(0, 32), Err(StorageError::Other));
        let mut buf = [0; 5];
        s.read(3, &mut buf).unwrap();
        assert_eq!(buf, [3, 4, 5, 6, 7]);
        s.write(8, &[9; 3]).unwrap();
        let (flash, _) = s.into_parts();
        assert_eq!(&flash.mem[8..16], &[9, 9, 9, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    }
}
