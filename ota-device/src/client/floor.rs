//! The anti-rollback floor's sources beside the record: the manifest trailer kept with each
//! image ([`crate::trailer`]) and the device's monotonic counter ([`FirmwareSlot`]'s
//! `security_counter`). The floor is the highest of them, so it never goes down when the
//! state record is lost.

use crate::config::Config;
use core::borrow::Borrow;
use ota_core::document::FirmwareUpdate;
use ota_core::manifest::MAX_MANIFEST_LEN;
use ota_core::version::SecurityCounter;

use super::Client;
use crate::storage::{BootState, FirmwareSlot, StateStore, StorageError};
use crate::trailer::{self, Trailer};
use crate::trust::TrustSource;

/// Bytes compared per slot read when checking a trailer already in place.
const COMPARE_CHUNK: usize = 64;

impl<'a, S: FirmwareSlot, P: StateStore, const K: usize, T: TrustSource<K>, C: Borrow<Config<'a>>>
    Client<'a, S, P, K, T, C>
{
    /// Bytes of the slot an image may use: everything below the trailer region (0 if the
    /// slot cannot hold a trailer, so that every image is refused as too large).
    pub(super) fn image_capacity(&self) -> u32 {
        trailer::region(self.slot.capacity(), self.slot.erase_size()).map_or(0, |(at, _)| at)
    }

    /// At start-up, `boot` being how the device booted: raise the record's floor to the running
    /// image's trailer (when the running image is committed: a trial image must not raise it)
    /// and to the device counter; then
    /// raise the device counter to the floor, redoing a raise a power cut interrupted.
    ///
    /// Does not persist: the floor is rebuilt at every start, and written with the next
    /// record.
    pub(super) fn restore_floor(&mut self, boot: BootState) -> Result<(), StorageError> {
        let committed = boot != BootState::Trial;
        if committed && let Some(counter) = self.running_trailer_counter() {
            self.lift_floor_counter(counter);
        }
        if let Some(counter) = self.slot.security_counter()? {
            self.lift_floor_counter(counter);
        }
        if committed {
            self.slot
                .raise_security_counter(self.record.floor.security_counter.0)?;
        }
        Ok(())
    }

    fn lift_floor_counter(&mut self, counter: u32) {
        let floor = &mut self.record.floor.security_counter;
        *floor = SecurityCounter(floor.0.max(counter));
    }

    /// The signed security counter of the running image's trailer, if it verifies.
    fn running_trailer_counter(&mut self) -> Option<u32> {
        let scratch: &mut [u8; MAX_MANIFEST_LEN] = self
            .scratch
            .get_mut(..MAX_MANIFEST_LEN)
            .and_then(|s| s.try_into().ok())?;
        let checked = trailer::check_running(
            self.config.borrow().running_trailer,
            self.trust.release(),
            self.config.borrow().product,
            self.config.borrow().hardware,
            self.config.borrow().running_version,
            scratch,
        );
        checked.ok().map(|m| m.security_counter.0)
    }

    /// Put the trailer of the signed-manifest document `raw` into the slot's trailer region,
    /// unless it is there already (a resumed download). Other documents: nothing to do.
    pub(super) fn write_trailer(&mut self, raw: &[u8]) -> Result<(), StorageError> {
        let Ok(doc) = FirmwareUpdate::parse(raw) else {
            return Ok(());
        };
        let Some(trailer) = Trailer::for_document(&doc.firmware) else {
            return Ok(());
        };
        let (at, len) = trailer::region(self.slot.capacity(), self.slot.erase_size())
            .ok_or(StorageError::OutOfBounds)?;
        if self.slot_holds(at, &trailer) {
            return Ok(());
        }
        self.slot.erase(at, at + len)?;
        // Written through the scratch buffer in chunks that keep every write aligned (the
        // scratch holds at least 1 KiB; flash write units are at most 256 bytes).
        let chunk = self.scratch.len() / 256 * 256;
        let (slot, scratch) = (&mut self.slot, &mut *self.scratch);
        let (mut filled, mut offset, mut result) = (0usize, at, Ok(()));
        let flush = |slot: &mut S, bytes: &[u8], offset: &mut u32| {
            let done = slot.write(*offset, bytes);
            *offset += bytes.len() as u32;
            done
        };
        trailer.encode(|mut piece| {
            while !piece.is_empty() && result.is_ok() {
                let n = piece.len().min(chunk - filled);
                scratch[filled..filled + n].copy_from_slice(&piece[..n]);
                filled += n;
                piece = &piece[n..];
                if filled == chunk {
                    result = flush(slot, &scratch[..chunk], &mut offset);
                    filled = 0;
                }
            }
        });
        result?;
        if filled > 0 {
            flush(slot, &scratch[..filled], &mut offset)?;
        }
        Ok(())
    }

    /// Whether the slot holds exactly `trailer`'s encoding at `at` (a read error: no).
    fn slot_holds(&mut self, at: u32, trailer: &Trailer<'_>) -> bool {
        let mut offset = at;
        let (mut same, mut result) = (true, Ok(()));
        let slot = &mut self.slot;
        trailer.encode(|piece| {
            for expected in piece.chunks(COMPARE_CHUNK) {
                if !same || result.is_err() {
                    return;
                }
                let mut buf = [0u8; COMPARE_CHUNK];
                let got = &mut buf[..expected.len()];
                result = slot.read(offset, got);
                same = result.is_ok() && got == expected;
                offset += expected.len() as u32;
            }
        });
        same && result.is_ok()
    }
}
