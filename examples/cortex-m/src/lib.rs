//! The pieces the QEMU firmwares share: RAM buffers handed out once, a NOR flash over RAM,
//! the bootloader's flags, and the measurements (stack high-water, instruction count); with
//! feature `p256-accelerator`, the stand-in P-256 accelerator ([`accelerator`]).
//!
//! Exception handlers live in the binaries (a handler in a library is not reliably linked).
//! With feature `defmt`, the defmt global logger (`defmt-semihosting`) is linked from here.
#![no_std]

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use embedded_storage::nor_flash::{ErrorType, NorFlash, ReadNorFlash};
use ota_device::storage::{BootControl, BootState, StorageError};

#[cfg(feature = "p256-accelerator")]
pub mod accelerator;

#[cfg(feature = "defmt")]
use defmt_semihosting as _;

// ---------------------------------------------------------------------------------------------
// Statics handed out once
// ---------------------------------------------------------------------------------------------

/// A zero-initialised byte buffer in `.bss`, handed out at most once as `&'static mut`.
/// (Never built on the stack and copied, as `singleton!` with an initialiser may be.)
pub struct StaticBuf<const N: usize> {
    taken: AtomicBool,
    mem: UnsafeCell<[u8; N]>,
}

// SAFETY: the buffer is only reachable through the single `&'static mut` that `take` hands
// out, guarded by the atomic flag.
unsafe impl<const N: usize> Sync for StaticBuf<N> {}

impl<const N: usize> StaticBuf<N> {
    /// An untaken buffer of zeros.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Self {
            taken: AtomicBool::new(false),
            mem: UnsafeCell::new([0; N]),
        }
    }

    /// The buffer, the first time only.
    pub fn take(&'static self) -> Option<&'static mut [u8; N]> {
        if self.taken.swap(true, Ordering::AcqRel) {
            return None;
        }
        // SAFETY: first and only take (the flag above), so this is the only reference.
        Some(unsafe { &mut *self.mem.get() })
    }
}

/// A `static` slot for one value of a type that cannot be built in a `const`, initialised
/// at most once.
pub struct StaticCell<T> {
    taken: AtomicBool,
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: as for `StaticBuf`: one `&'static mut` at most, handed out by `init`. `T: Send`
// because the value is created in one context and may be used from another.
unsafe impl<T: Send> Sync for StaticCell<T> {}

impl<T> StaticCell<T> {
    /// An empty cell.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Self {
            taken: AtomicBool::new(false),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// Store `value` and return it, the first time only.
    pub fn init(&'static self, value: T) -> Option<&'static mut T> {
        if self.taken.swap(true, Ordering::AcqRel) {
            return None;
        }
        // SAFETY: first and only init (the flag above), so this is the only reference.
        Some(unsafe { (*self.value.get()).write(value) })
    }
}

// ---------------------------------------------------------------------------------------------
// NOR flash over RAM
// ---------------------------------------------------------------------------------------------

/// NOR flash simulated in a RAM buffer: erase sets `ERASE`-byte sectors to `0xFF`; writes are
/// in 8-byte units and only into erased bytes (a write over programmed bytes fails with
/// [`StorageError::NotErased`] instead of silently AND-ing bits as real NOR would, so a
/// double write is caught); reads are byte-granular.
pub struct RamFlash<const N: usize, const ERASE: usize> {
    mem: &'static mut [u8; N],
}

impl<const N: usize, const ERASE: usize> RamFlash<N, ERASE> {
    /// Flash over `mem`, erased (as from the factory).
    pub fn new_erased(mem: &'static mut [u8; N]) -> Self {
        const { assert!(ERASE > 0 && N.is_multiple_of(ERASE)) };
        mem.fill(0xFF);
        Self { mem }
    }

    /// The raw contents.
    pub fn contents(&self) -> &[u8; N] {
        self.mem
    }

    fn range(offset: u32, len: usize) -> Result<core::ops::Range<usize>, StorageError> {
        let start = offset as usize;
        let end = start.checked_add(len).ok_or(StorageError::OutOfBounds)?;
        if end > N {
            return Err(StorageError::OutOfBounds);
        }
        Ok(start..end)
    }
}

impl<const N: usize, const ERASE: usize> ErrorType for RamFlash<N, ERASE> {
    type Error = StorageError;
}

impl<const N: usize, const ERASE: usize> ReadNorFlash for RamFlash<N, ERASE> {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), StorageError> {
        let range = Self::range(offset, bytes.len())?;
        bytes.copy_from_slice(&self.mem[range]);
        Ok(())
    }

    fn capacity(&self) -> usize {
        N
    }
}

impl<const N: usize, const ERASE: usize> NorFlash for RamFlash<N, ERASE> {
    const WRITE_SIZE: usize = 8;
    const ERASE_SIZE: usize = ERASE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), StorageError> {
        if from > to {
            return Err(StorageError::OutOfBounds);
        }
        let range = Self::range(from, (to - from) as usize)?;
        if !range.start.is_multiple_of(ERASE) || !range.end.is_multiple_of(ERASE) {
            return Err(StorageError::NotAligned);
        }
        self.mem[range].fill(0xFF);
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), StorageError> {
        let range = Self::range(offset, bytes.len())?;
        let unit = <Self as NorFlash>::WRITE_SIZE;
        if !range.start.is_multiple_of(unit) || !bytes.len().is_multiple_of(unit) {
            return Err(StorageError::NotAligned);
        }
        let target = &mut self.mem[range];
        if target.iter().any(|&b| b != 0xFF) {
            return Err(StorageError::NotErased);
        }
        target.copy_from_slice(bytes);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The bootloader's flags
// ---------------------------------------------------------------------------------------------

/// Which image the bootloader starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Image {
    /// The image the device shipped with (1.0.0).
    Old,
    /// The image written to the update slot.
    New,
}

/// The boot flags a dual-bank bootloader keeps (MCUboot / embassy-boot style), following the
/// transition table of [`BootState`]: the application side is [`BootControl`], the bootloader
/// side is [`BootFlags::reset`].
#[derive(Debug)]
pub struct BootFlags {
    state: BootState,
    /// `roll_back` was called on trial: the reset reverts.
    revert: bool,
    running: Image,
}

impl BootFlags {
    /// A device running its original image, nothing pending.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Self {
            state: BootState::Normal,
            revert: false,
            running: Image::Old,
        }
    }

    /// What the flags say.
    pub fn state(&self) -> BootState {
        self.state
    }

    /// The image running since the last reset.
    pub fn running(&self) -> Image {
        self.running
    }

    /// A reset: what the bootloader does before it jumps to an image. A pending image boots
    /// on trial; a trial image that was not committed is reverted.
    pub fn reset(&mut self) -> Image {
        match self.state {
            BootState::Pending => {
                self.state = BootState::Trial;
                self.running = Image::New;
            }
            BootState::Trial => {
                self.state = BootState::RolledBack;
                self.running = Image::Old;
            }
            BootState::Normal | BootState::RolledBack => {}
        }
        self.revert = false;
        self.running
    }
}

impl BootControl for BootFlags {
    fn mark_pending(&mut self) -> Result<(), StorageError> {
        if self.state == BootState::Trial {
            return Err(StorageError::WrongState);
        }
        self.state = BootState::Pending;
        Ok(())
    }

    fn boot_state(&mut self) -> Result<BootState, StorageError> {
        Ok(self.state)
    }

    fn commit(&mut self) -> Result<(), StorageError> {
        match self.state {
            BootState::Pending => Err(StorageError::WrongState),
            BootState::Trial if self.revert => Err(StorageError::WrongState),
            _ => {
                self.state = BootState::Normal;
                Ok(())
            }
        }
    }

    fn roll_back(&mut self) -> Result<(), StorageError> {
        match self.state {
            BootState::Trial => self.revert = true,
            BootState::Pending => self.state = BootState::Normal,
            BootState::Normal | BootState::RolledBack => {}
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Measurements
// ---------------------------------------------------------------------------------------------

unsafe extern "C" {
    /// Low end of the stack (end of static RAM), from cortex-m-rt's `link.x`.
    static _stack_end: u32;
    /// High end of the stack (initial SP).
    static _stack_start: u32;
}

/// The stack's size in bytes and the most of it used so far: cortex-m-rt (feature
/// `paint-stack`) fills the stack with `STACK_PAINT_VALUE` before `main`; the first word from
/// the low end that lost its paint is the deepest the stack has been.
pub fn stack_usage() -> (usize, usize) {
    let low = (&raw const _stack_end) as usize;
    let high = (&raw const _stack_start) as usize;
    let mut at = low;
    while at < high {
        // SAFETY: `at` is a word-aligned address inside the stack region (RAM), which is
        // always readable; a volatile read because the compiler knows nothing of the paint.
        let word = unsafe { core::ptr::read_volatile(at as *const u32) };
        if word != cortex_m_rt::STACK_PAINT_VALUE {
            break;
        }
        at += 4;
    }
    (high - low, high - at)
}

/// Paint the stack below the caller's frame again (from the low end to 64 bytes below the
/// stack pointer), so that [`stack_usage`] reports the deepest point reached from now on:
/// the high-water of one step of a run.
#[inline(never)]
pub fn repaint_stack() {
    let low = (&raw const _stack_end) as usize;
    let sp = cortex_m::register::msp::read() as usize;
    let mut at = low;
    while at + 64 < sp {
        // SAFETY: `at` is a word-aligned address of the stack region below the stack
        // pointer and its 64-byte margin: memory no live frame uses (an interrupt frame
        // pushed meanwhile is gone again when the handler returns).
        unsafe { core::ptr::write_volatile(at as *mut u32, cortex_m_rt::STACK_PAINT_VALUE) };
        at += 4;
    }
}

/// SysTick wrap-arounds so far (the binary's `SysTick` handler calls [`on_systick`]).
static SYSTICK_WRAPS: AtomicU32 = AtomicU32::new(0);
const SYSTICK_RELOAD: u32 = 0x00FF_FFFF;
/// Instructions per SysTick tick on lm3s6965evb under `-icount shift=0` (1 ns per
/// instruction, 12.5 MHz SysTick).
#[cfg(not(mps2_an386))]
pub const INSTRUCTIONS_PER_TICK: u64 = 80;
/// Instructions per SysTick tick on mps2-an386 under `-icount shift=0` (1 ns per
/// instruction, SysTick from the 25 MHz system clock).
#[cfg(mps2_an386)]
pub const INSTRUCTIONS_PER_TICK: u64 = 40;

/// Call from the `SysTick` exception handler.
pub fn on_systick() {
    SYSTICK_WRAPS.fetch_add(1, Ordering::Relaxed);
}

/// Start SysTick free-running from the core clock, with its wrap interrupt. Waits for the
/// first reload (the counter reads 0 until then).
pub fn start_systick(syst: &mut cortex_m::peripheral::SYST) {
    use cortex_m::peripheral::syst::SystClkSource;
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(SYSTICK_RELOAD);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
    while cortex_m::peripheral::SYST::get_current() == 0 {}
}

/// SysTick ticks since [`start_systick`] (monotonic; multiply by [`INSTRUCTIONS_PER_TICK`]).
pub fn systick_ticks() -> u64 {
    loop {
        let wraps = SYSTICK_WRAPS.load(Ordering::Relaxed);
        let current = cortex_m::peripheral::SYST::get_current();
        // A wrap between the two loads runs the handler at once (it preempts thread mode):
        // read again.
        if SYSTICK_WRAPS.load(Ordering::Relaxed) == wraps {
            return u64::from(wraps) * (u64::from(SYSTICK_RELOAD) + 1)
                + u64::from(SYSTICK_RELOAD - current);
        }
    }
}

/// The demo device's product (checked against signed manifests).
pub const PRODUCT: &str = "acme-sensor";
/// The demo device's hardware id.
pub const HARDWARE: &str = "lm3s6965evb";
/// Stream block size of both firmwares.
pub const BLOCK_SIZE: usize = 1024;

/// The client configuration both firmwares use: the demo device running `running`, CBOR
/// blocks of [`BLOCK_SIZE`] eight to a request, progress reported and state persisted every
/// four blocks, a minute for the self-test; every other setting the default.
pub const fn config(
    thing: ota_core::jobs::ThingName<'_>,
    running: ota_core::version::Version,
) -> ota_device::Config<'_> {
    let mut config = ota_device::Config::new(thing, PRODUCT, HARDWARE, running);
    config.block_size = BLOCK_SIZE as u32;
    config.blocks_per_request = 8;
    config.stream_format = ota_core::streams::Format::Cbor;
    config.progress_every_blocks = 4;
    config.persist_every_blocks = 4;
    config.self_test_timeout = ota_core::time::Duration::from_secs(60);
    config
}

/// The uncompressed P-256 point an SPKI DER (as `openssl pkey -pubout -outform DER` writes
/// it) ends with, taken when the firmware is built: the form the firmware holds its keys in
/// (the same bytes as `openssl pkey -pubin -in KEY.pub.pem -outform DER | tail -c 65`). The
/// device checks the point is on the curve when it loads it; the SPKI's header is not
/// checked here (a compressed key's SPKI is 26 bytes shorter and fails the build).
pub const fn p256_point(spki_der: &[u8]) -> &[u8; 65] {
    match spki_der.last_chunk::<65>() {
        Some(point) if spki_der.len() == 91 => point,
        _ => panic!("not an uncompressed P-256 SPKI"),
    }
}

/// A trust store of the P-256 keys `points` (uncompressed, see [`p256_point`]), `threshold`
/// of which must sign a release. Never inlined, so that the size probes of one key and of
/// three link the same loading code.
#[inline(never)]
pub fn p256_store<const K: usize>(
    points: &[&[u8; 65]],
    threshold: u8,
) -> Option<ota_core::crypto::TrustStore<K>> {
    use ota_core::crypto::{Algorithm, PublicKey, TrustStore, TrustedKey};
    let mut store = TrustStore::new();
    for point in points {
        let key = PublicKey::from_p256_uncompressed(point).ok()?;
        let key = TrustedKey::new(key, Algorithm::EcdsaP256Sha256).ok()?;
        store.add(key).ok()?;
    }
    store.set_threshold(threshold).ok()?;
    Some(store)
}

/// The root built into the rotating firmwares (feature `rotation`): version 1, root keys
/// `root_keys` of which 2 must sign a root statement, and the single release key `release`
/// (all uncompressed points, see [`p256_point`]).
pub fn built_in_root<const K: usize>(
    root_keys: &[&[u8; 65]],
    release: &[u8; 65],
) -> Option<ota_core::trust::Root<K>> {
    ota_core::trust::Root::new(1, p256_store(root_keys, 2)?, p256_store(&[release], 1)?).ok()
}

/// Every firmware's HardFault handler (linked from here, so that the `empty` baseline has it
/// too): prints the faulting address and exits QEMU with a failure.
#[cortex_m_rt::exception]
unsafe fn HardFault(frame: &cortex_m_rt::ExceptionFrame) -> ! {
    cortex_m_semihosting::hprintln!("HARDFAULT at pc {:#010x}", frame.pc());
    cortex_m_semihosting::debug::exit(cortex_m_semihosting::debug::EXIT_FAILURE);
    loop {}
}
