//! [`SimBootloader`]: a dual-bank device (image banks A and B plus boot flags) with
//! bootloader semantics at [`SimBootloader::reset`], sharing a [`PowerCut`].

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::vec::Vec;

use embedded_storage::nor_flash::{ErrorType, NorFlash, ReadNorFlash};

use super::{MemFlash, Mutation, PowerCut};
pub use crate::storage::Bank;
use crate::storage::{BootControl, BootState, HasBootControl, NorFlashSlot, StorageError};
use flags::{Flag, Flags};

mod faults;
mod flags;
#[cfg(test)]
mod tests;

/// The device shared by the bootloader, its controls and its slots.
#[derive(Debug, Clone)]
struct Device {
    flags: Arc<Mutex<Flags>>,
    banks: [MemFlash; 2],
    power: PowerCut,
    /// The monotonic security counter, if the device has one.
    counter: Option<Arc<Mutex<u32>>>,
}

impl Device {
    fn flags(&self) -> Flags {
        *self.flags.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock(&self) -> MutexGuard<'_, Flags> {
        self.flags.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Check power, then write the flags `step` asks for (one mutating operation, all or
    /// nothing).
    fn update(
        &self,
        step: impl FnOnce(Flags) -> Result<Option<Flags>, StorageError>,
    ) -> Result<Flags, StorageError> {
        self.power.check()?;
        let mut flags = self.lock();
        let Some(new) = step(*flags)? else {
            return Ok(*flags);
        };
        match self.power.begin_mutation()? {
            Mutation::Full => {
                *flags = new;
                Ok(new)
            }
            Mutation::Torn => Err(StorageError::PowerLoss),
        }
    }

    fn inactive(&self) -> &MemFlash {
        &self.banks[self.flags().active.other().index()]
    }
}

/// A dual-bank device: two image banks of equal capacity (4096-byte sectors, 8-byte write
/// units) and boot flags, all drawing from one [`PowerCut`].
///
/// The flags are one atomic record: writing them is one mutating operation, and a cut one
/// (torn or clean) leaves the old flags. At [`SimBootloader::reset`] the bootloader applies
/// the [`BootState`] transitions: pending → swap to the other bank, on trial; trial not
/// committed (or with `roll_back` requested) → swap back, rolled back; otherwise nothing. It
/// does not check images (no signature, no header): whatever the bank holds runs.
///
/// The inactive bank is reachable through [`SimBootloader::slot`], which refuses to erase or
/// write it ([`StorageError::WrongState`]) while it holds a pending image or the fallback of a
/// trial image.
///
/// Clones are handles on the same device.
#[derive(Debug, Clone)]
pub struct SimBootloader {
    /// The device, as the handle on its flags.
    control: SimBootControl,
}

impl SimBootloader {
    /// Sector (erase) size of the banks.
    pub const SECTOR: usize = 4096;

    /// A device running `image` from bank A (committed), bank B erased. The bank capacity is
    /// `capacity` (at least the image length) rounded up to whole sectors. Flashing the factory
    /// image costs no power operation.
    pub fn new(capacity: usize, image: &[u8], power: PowerCut) -> Self {
        let capacity = capacity.max(image.len()).max(1);
        let banks = [
            MemFlash::new(capacity, power.clone()),
            MemFlash::new(capacity, power.clone()),
        ];
        // The bank was sized to fit `image`.
        let _ = banks[0].poke(0, image);
        let flags = Flags {
            active: Bank::A,
            flag: Flag::Recorded(crate::storage::flag::Flag::Committed),
        };
        Self {
            control: SimBootControl {
                device: Device {
                    flags: Arc::new(Mutex::new(flags)),
                    banks,
                    power,
                    counter: None,
                },
            },
        }
    }

    /// The same device with a monotonic security counter starting at `value` (OTP-like: it
    /// survives everything, raising it is one mutating operation). Without this, the device
    /// has no counter. Call before taking handles: earlier clones keep the device without it.
    #[must_use]
    pub fn with_security_counter(mut self, value: u32) -> Self {
        self.control.device.counter = Some(Arc::new(Mutex::new(value)));
        self
    }

    /// The security counter's value (no power check), if the device has one.
    pub fn security_counter(&self) -> Option<u32> {
        let counter = self.control.device.counter.as_ref()?;
        Some(*counter.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The bytes of the running bank's manifest trailer region (see [`crate::trailer`]): what
    /// firmware would pass as `Config::running_trailer`. Empty if the bank is too small.
    pub fn running_trailer(&self) -> Vec<u8> {
        let image = self.active_image();
        let region = crate::trailer::region(image.len() as u32, Self::SECTOR as u32);
        match region {
            Some((at, _)) => image[at as usize..].to_vec(),
            None => Vec::new(),
        }
    }

    /// A [`FirmwareSlot`](crate::storage::FirmwareSlot) for the bank that is inactive at each
    /// call (so it stays right across resets), with this device's flags.
    pub fn slot(&self) -> SimSlot {
        NorFlashSlot::new(
            InactiveBank {
                device: self.control.device.clone(),
            },
            self.control(),
        )
    }

    /// A [`BootControl`] handle on this device's flags.
    pub fn control(&self) -> SimBootControl {
        self.control.clone()
    }

    /// The reboot: the bootloader reads the flags, swaps banks if they say so, and writes the
    /// new flags (one mutating operation). Returns the state the booted image sees. Power must
    /// be on ([`PowerCut::restore`]).
    ///
    /// # Errors
    /// [`StorageError::PowerLoss`] if the power is cut or the flag write is cut (the flags stay
    /// as they were, so a later reset redoes it).
    pub fn reset(&self) -> Result<BootState, StorageError> {
        self.control
            .device
            .update(|flags| Ok(flags.reset()))
            .map(Flags::state)
    }

    /// The boot state, read without a power check (for assertions).
    pub fn state(&self) -> BootState {
        self.control.device.flags().state()
    }

    /// The bank that runs.
    pub fn active_bank(&self) -> Bank {
        self.control.device.flags().active
    }

    /// The whole content of the bank that runs (capacity bytes; erased bytes are `0xFF`).
    pub fn active_image(&self) -> Vec<u8> {
        self.bank_image(self.active_bank())
    }

    /// The whole content of `bank`.
    pub fn bank_image(&self, bank: Bank) -> Vec<u8> {
        self.control.device.banks[bank.index()].snapshot()
    }

    /// A handle on the flash of `bank` (for corruption tests; bypasses the state checks).
    pub fn bank_flash(&self, bank: Bank) -> MemFlash {
        self.control.device.banks[bank.index()].share()
    }

    /// Bytes per bank.
    pub fn capacity(&self) -> usize {
        self.control.device.banks[0].capacity()
    }

    /// The power supply of this device.
    pub fn power(&self) -> &PowerCut {
        &self.control.device.power
    }
}

impl HasBootControl for SimBootloader {
    type Boot = SimBootControl;

    fn boot_control(&mut self) -> &mut SimBootControl {
        &mut self.control
    }
}

/// The boot flags of a [`SimBootloader`]: each change is one mutating operation of its
/// [`PowerCut`]; calls that change nothing cost none. Fails with
/// [`StorageError::PowerLoss`] while the power is cut.
#[derive(Debug, Clone)]
pub struct SimBootControl {
    device: Device,
}

impl BootControl for SimBootControl {
    fn mark_pending(&mut self) -> Result<(), StorageError> {
        self.device.update(Flags::mark_pending).map(drop)
    }

    fn boot_state(&mut self) -> Result<BootState, StorageError> {
        self.device.power.check()?;
        self.device.flags().read()
    }

    fn commit(&mut self) -> Result<(), StorageError> {
        self.device.update(Flags::commit).map(drop)
    }

    fn roll_back(&mut self) -> Result<(), StorageError> {
        self.device.update(|flags| Ok(flags.roll_back())).map(drop)
    }

    fn security_counter(&mut self) -> Result<Option<u32>, StorageError> {
        self.device.power.check()?;
        let Some(counter) = &self.device.counter else {
            return Ok(None);
        };
        Ok(Some(
            *counter.lock().unwrap_or_else(PoisonError::into_inner),
        ))
    }

    fn raise_security_counter(&mut self, to: u32) -> Result<(), StorageError> {
        self.device.power.check()?;
        let Some(counter) = &self.device.counter else {
            return Ok(());
        };
        let mut value = counter.lock().unwrap_or_else(PoisonError::into_inner);
        if to <= *value {
            return Ok(());
        }
        match self.device.power.begin_mutation()? {
            Mutation::Full => {
                *value = to;
                Ok(())
            }
            Mutation::Torn => Err(StorageError::PowerLoss),
        }
    }
}

/// The [`FirmwareSlot`](crate::storage::FirmwareSlot) of a [`SimBootloader`].
pub type SimSlot = NorFlashSlot<InactiveBank, SimBootControl>;

/// A `NorFlash` view of whichever bank of a [`SimBootloader`] is inactive at each call. Erase
/// and write fail with [`StorageError::WrongState`] while the flags are pending or trial.
#[derive(Debug, Clone)]
pub struct InactiveBank {
    device: Device,
}

impl InactiveBank {
    fn writable(&self) -> Result<MemFlash, StorageError> {
        self.device.power.check()?;
        if self.device.flags().inactive_writable() {
            Ok(self.device.inactive().share())
        } else {
            Err(StorageError::WrongState)
        }
    }
}

impl ErrorType for InactiveBank {
    type Error = StorageError;
}

impl ReadNorFlash for InactiveBank {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), StorageError> {
        self.device.inactive().share().read(offset, bytes)
    }

    fn capacity(&self) -> usize {
        self.device.banks[0].capacity()
    }
}

impl NorFlash for InactiveBank {
    const WRITE_SIZE: usize = <MemFlash as NorFlash>::WRITE_SIZE;
    const ERASE_SIZE: usize = <MemFlash as NorFlash>::ERASE_SIZE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), StorageError> {
        self.writable()?.erase(from, to)
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), StorageError> {
        self.writable()?.write(offset, bytes)
    }
}
