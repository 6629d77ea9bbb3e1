//! A simulated device's flash: two image banks and boot flags, and a persistent record, with
//! power-cut injection, light enough for a hundred thousand devices.
//!
//! Banks hold either a shared, known image (no copy) or the bytes being written. When the
//! client marks a bank pending, its bytes are compared with the known images and replaced by
//! the shared copy when they match, so a fleet of installed devices costs no image memory.
//! Boot semantics are those of `ota_device::storage::testing::SimBootloader` (whose power-loss
//! behaviour is tested exhaustively in `ota-device`): pending boots once on trial, an
//! uncommitted trial reverts at the next reset.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ota_device::storage::testing::{Mutation, PowerCut};
use ota_device::storage::{BootControl, BootState, FirmwareSlot, StateStore, StorageError};

/// The images a device can hold without a copy, shared by the whole fleet.
#[derive(Debug, Default, Clone)]
pub struct ImageSet {
    images: Vec<Arc<[u8]>>,
}

impl ImageSet {
    /// Add an image; returns its index.
    pub fn add(&mut self, image: Arc<[u8]>) -> usize {
        self.images.push(image);
        self.images.len() - 1
    }

    /// The image at `index`.
    pub fn get(&self, index: usize) -> &Arc<[u8]> {
        &self.images[index]
    }

    /// The known image `bytes` hold, followed by erased flash up to the manifest trailer
    /// region. The trailer itself is not kept when the bank is shared (simulated devices
    /// run without `Config::running_trailer`; their floor lives in the state record).
    fn find(&self, bytes: &[u8]) -> Option<usize> {
        let end = ota_device::trailer::region(bytes.len() as u32, SECTOR)
            .map_or(bytes.len(), |(at, _)| at as usize);
        self.images.iter().position(|i| {
            bytes.starts_with(i)
                && bytes
                    .get(i.len()..end)
                    .is_some_and(|rest| rest.iter().all(|&b| b == 0xff))
        })
    }
}

#[derive(Debug, Clone)]
enum Bank {
    /// A known image, shared.
    Image(usize),
    /// Bytes being written (or a tampered image that never verified).
    Bytes(Vec<u8>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flag {
    Committed,
    Pending,
    Trial,
    RollBack,
    RolledBack,
}

#[derive(Debug)]
struct Flash {
    banks: [Bank; 2],
    active: usize,
    flag: Flag,
    capacity: u32,
    record: Option<Vec<u8>>,
    /// The trust root's record (devices of a `[trust]` scenario).
    root: Option<Vec<u8>>,
}

/// One device's storage, shared by its slot and store handles (a new client after a reset
/// gets new handles on the same storage).
#[derive(Debug, Clone)]
pub struct DeviceStorage {
    flash: Arc<Mutex<Flash>>,
    images: Arc<ImageSet>,
    power: PowerCut,
}

/// Sector size of the simulated banks.
pub const SECTOR: u32 = 4096;

impl DeviceStorage {
    /// A device running known image `image`, with `capacity` bytes per bank.
    pub fn new(images: Arc<ImageSet>, image: usize, capacity: u32, power: PowerCut) -> Self {
        let capacity = capacity.div_ceil(SECTOR) * SECTOR;
        let flash = Flash {
            banks: [Bank::Image(image), Bank::Bytes(Vec::new())],
            active: 0,
            flag: Flag::Committed,
            capacity,
            record: None,
            root: None,
        };
        Self {
            flash: Arc::new(Mutex::new(flash)),
            images,
            power,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Flash> {
        self.flash.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The power supply.
    pub fn power(&self) -> &PowerCut {
        &self.power
    }

    /// Which known image runs (`None` if the active bank holds unknown bytes).
    pub fn running_image(&self) -> Option<usize> {
        let f = self.lock();
        match &f.banks[f.active] {
            Bank::Image(i) => Some(*i),
            Bank::Bytes(b) => self.images.find(b),
        }
    }

    /// The images the bootloader may start from now on: the active bank, and the other bank
    /// when a pending or trial flag makes a reset switch to it. `None` is a bank holding no
    /// known, complete image: a device with one is not safely bootable.
    pub fn bootable_images(&self) -> Vec<Option<usize>> {
        let f = self.lock();
        let known = |bank: &Bank| match bank {
            Bank::Image(i) => Some(*i),
            Bank::Bytes(b) => self.images.find(b),
        };
        let mut out = vec![known(&f.banks[f.active])];
        if matches!(f.flag, Flag::Pending | Flag::Trial | Flag::RollBack) {
            out.push(known(&f.banks[f.active ^ 1]));
        }
        out
    }

    /// Flip a byte of the running image in place (fault injection for the end-of-run checks:
    /// the device then runs no known image).
    pub fn corrupt_running_image(&self) {
        let mut f = self.lock();
        let active = f.active;
        let mut bytes = match &f.banks[active] {
            Bank::Image(i) => self.images.get(*i).to_vec(),
            Bank::Bytes(b) => b.clone(),
        };
        if let Some(b) = bytes.first_mut() {
            *b ^= 0xff;
        }
        f.banks[active] = Bank::Bytes(bytes);
    }

    /// The boot state, without a power check.
    pub fn boot_state(&self) -> BootState {
        state(self.lock().flag)
    }

    /// The reset: the bootloader applies the flags. Needs power.
    pub fn reset(&self) {
        let mut f = self.lock();
        match f.flag {
            Flag::Pending => {
                f.active ^= 1;
                f.flag = Flag::Trial;
            }
            Flag::Trial | Flag::RollBack => {
                f.active ^= 1;
                f.flag = Flag::RolledBack;
            }
            Flag::Committed | Flag::RolledBack => {}
        }
    }

    /// Bytes of image memory this device holds privately (for memory accounting).
    pub fn private_bytes(&self) -> usize {
        self.lock()
            .banks
            .iter()
            .map(|b| {
                if let Bank::Bytes(v) = b {
                    v.capacity()
                } else {
                    0
                }
            })
            .sum()
    }

    /// The slot handle.
    pub fn slot(&self) -> SimSlot {
        SimSlot(self.clone())
    }

    /// The record-store handle.
    pub fn store(&self) -> SimStore {
        SimStore(self.clone())
    }

    /// The handle of the trust root's record store.
    pub fn root_store(&self) -> SimRootStore {
        SimRootStore(self.clone())
    }

    /// The trust root's stored record, without a power check (for the report).
    pub fn root_record(&self) -> Option<Vec<u8>> {
        self.lock().root.clone()
    }

    fn mutate(&self) -> Result<Mutation, StorageError> {
        self.power.begin_mutation()
    }
}

fn state(flag: Flag) -> BootState {
    match flag {
        Flag::Committed => BootState::Normal,
        Flag::Pending => BootState::Pending,
        Flag::Trial | Flag::RollBack => BootState::Trial,
        Flag::RolledBack => BootState::RolledBack,
    }
}

/// The firmware slot of a simulated device: the inactive bank plus the boot flags.
#[derive(Debug, Clone)]
pub struct SimSlot(DeviceStorage);

impl SimSlot {
    fn inactive_bytes<'f>(
        f: &'f mut Flash,
        images: &ImageSet,
    ) -> Result<&'f mut Vec<u8>, StorageError> {
        if matches!(f.flag, Flag::Pending | Flag::Trial | Flag::RollBack) {
            return Err(StorageError::WrongState);
        }
        let capacity = f.capacity as usize;
        let inactive = f.active ^ 1;
        if let Bank::Image(i) = f.banks[inactive] {
            let mut bytes = images.get(i).to_vec();
            bytes.resize(capacity, 0xff);
            f.banks[inactive] = Bank::Bytes(bytes);
        }
        match &mut f.banks[inactive] {
            Bank::Bytes(b) => {
                if b.len() < capacity {
                    b.resize(capacity, 0xff);
                }
                Ok(b)
            }
            Bank::Image(_) => Err(StorageError::Other),
        }
    }
}

impl FirmwareSlot for SimSlot {
    fn capacity(&self) -> u32 {
        self.0.lock().capacity
    }

    fn erase_size(&self) -> u32 {
        SECTOR
    }

    fn erase(&mut self, from: u32, to: u32) -> Result<(), StorageError> {
        if !from.is_multiple_of(SECTOR)
            || (!to.is_multiple_of(SECTOR) && to != self.capacity())
            || from > to
        {
            return Err(StorageError::NotAligned);
        }
        let mutation = self.0.mutate()?;
        let images = self.0.images.clone();
        let mut f = self.0.lock();
        let bytes = Self::inactive_bytes(&mut f, &images)?;
        let end = (to as usize).min(bytes.len());
        let end = if mutation == Mutation::Torn {
            from as usize + (end - from as usize) / 2
        } else {
            end
        };
        bytes[from as usize..end].fill(0xff);
        if mutation == Mutation::Torn {
            Err(StorageError::PowerLoss)
        } else {
            Ok(())
        }
    }

    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), StorageError> {
        let mutation = self.0.mutate()?;
        let images = self.0.images.clone();
        let mut f = self.0.lock();
        let bytes = Self::inactive_bytes(&mut f, &images)?;
        let end = offset as usize + data.len();
        let target = bytes
            .get_mut(offset as usize..end)
            .ok_or(StorageError::OutOfBounds)?;
        let n = if mutation == Mutation::Torn {
            data.len() / 2
        } else {
            data.len()
        };
        target[..n].copy_from_slice(&data[..n]);
        if mutation == Mutation::Torn {
            Err(StorageError::PowerLoss)
        } else {
            Ok(())
        }
    }

    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), StorageError> {
        self.0.power.check()?;
        let f = self.0.lock();
        let inactive = f.active ^ 1;
        let end = offset as usize + buf.len();
        match &f.banks[inactive] {
            Bank::Bytes(b) => buf.copy_from_slice(
                b.get(offset as usize..end)
                    .ok_or(StorageError::OutOfBounds)?,
            ),
            Bank::Image(i) => {
                let image = self.0.images.get(*i);
                for (k, byte) in buf.iter_mut().enumerate() {
                    *byte = image.get(offset as usize + k).copied().unwrap_or(0xff);
                }
            }
        }
        Ok(())
    }
}

impl BootControl for SimSlot {
    fn mark_pending(&mut self) -> Result<(), StorageError> {
        self.0.power.check()?;
        let f = self.0.lock();
        if f.flag == Flag::Pending {
            return Ok(());
        }
        if matches!(f.flag, Flag::Trial | Flag::RollBack) {
            return Err(StorageError::WrongState);
        }
        drop(f);
        if self.0.mutate()? == Mutation::Torn {
            return Err(StorageError::PowerLoss);
        }
        let mut f = self.0.lock();
        let inactive = f.active ^ 1;
        if let Bank::Bytes(b) = &f.banks[inactive]
            && let Some(i) = self.0.images.find(b)
        {
            // A known image: share it and free the copy.
            f.banks[inactive] = Bank::Image(i);
        }
        f.flag = Flag::Pending;
        Ok(())
    }

    fn boot_state(&mut self) -> Result<BootState, StorageError> {
        self.0.power.check()?;
        Ok(state(self.0.lock().flag))
    }

    fn commit(&mut self) -> Result<(), StorageError> {
        self.0.power.check()?;
        let flag = self.0.lock().flag;
        match flag {
            Flag::Committed => return Ok(()),
            Flag::Pending | Flag::RollBack => return Err(StorageError::WrongState),
            Flag::Trial | Flag::RolledBack => {}
        }
        if self.0.mutate()? == Mutation::Torn {
            return Err(StorageError::PowerLoss);
        }
        let mut f = self.0.lock();
        f.flag = Flag::Committed;
        // The old image is no longer a fallback: free its bank.
        let inactive = f.active ^ 1;
        f.banks[inactive] = Bank::Bytes(Vec::new());
        Ok(())
    }

    fn roll_back(&mut self) -> Result<(), StorageError> {
        self.0.power.check()?;
        let flag = self.0.lock().flag;
        let next = match flag {
            Flag::Pending => Flag::Committed,
            Flag::Trial => Flag::RollBack,
            other => {
                return if other == Flag::RollBack {
                    Ok(())
                } else {
                    Err(StorageError::WrongState)
                };
            }
        };
        if self.0.mutate()? == Mutation::Torn {
            return Err(StorageError::PowerLoss);
        }
        self.0.lock().flag = next;
        Ok(())
    }
}

/// The persistent record of a simulated device: replaced atomically (old or new after a cut,
/// the guarantee `ota_device::storage::DualCopyStore` gives on real flash).
#[derive(Debug, Clone)]
pub struct SimStore(DeviceStorage);

impl StateStore for SimStore {
    fn load(&mut self, buf: &mut [u8]) -> Result<Option<usize>, StorageError> {
        load_record(&self.0, |f| &mut f.record, buf)
    }

    fn store(&mut self, record: &[u8]) -> Result<(), StorageError> {
        store_record(&self.0, |f| &mut f.record, record)
    }
}

/// Copy the record `pick` chooses into `buf`. Needs power.
fn load_record(
    storage: &DeviceStorage,
    pick: fn(&mut Flash) -> &mut Option<Vec<u8>>,
    buf: &mut [u8],
) -> Result<Option<usize>, StorageError> {
    storage.power.check()?;
    let mut f = storage.lock();
    match pick(&mut f) {
        None => Ok(None),
        Some(r) => {
            let dst = buf.get_mut(..r.len()).ok_or(StorageError::BufferTooSmall)?;
            dst.copy_from_slice(r);
            Ok(Some(r.len()))
        }
    }
}

/// Replace the record `pick` chooses: complete, or not at all (a torn store fails).
fn store_record(
    storage: &DeviceStorage,
    pick: fn(&mut Flash) -> &mut Option<Vec<u8>>,
    record: &[u8],
) -> Result<(), StorageError> {
    match storage.mutate()? {
        Mutation::Full => {
            *pick(&mut storage.lock()) = Some(record.to_vec());
            Ok(())
        }
        Mutation::Torn => Err(StorageError::PowerLoss),
    }
}

/// The record store of a device's trust root: a second record beside the state record, with
/// the same guarantee (a store is complete or did not happen) and the same power cuts.
#[derive(Debug, Clone)]
pub struct SimRootStore(DeviceStorage);

impl StateStore for SimRootStore {
    fn load(&mut self, buf: &mut [u8]) -> Result<Option<usize>, StorageError> {
        load_record(&self.0, |f| &mut f.root, buf)
    }

    fn store(&mut self, record: &[u8]) -> Result<(), StorageError> {
        store_record(&self.0, |f| &mut f.root, record)
    }
}
