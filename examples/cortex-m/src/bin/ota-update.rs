//! A complete signed firmware update inside one Cortex-M3 firmware, under QEMU.
//!
//! The device runs 1.0.0. A scripted AWS IoT Jobs + Streams service (`ScriptedPeer`, in the
//! same firmware) offers a job for 1.1.0 whose document carries a manifest signed with ECDSA
//! P-256 (fixtures made by `fixtures/generate.sh` with openssl). The `ota-device` client
//! validates the document, streams the image in 1 KiB CBOR blocks into a RAM-backed NOR slot,
//! checks its length and SHA-256, marks it pending and asks for a reboot; the firmware drops
//! the client, lets the simulated bootloader boot the image on trial, starts a new client as
//! 1.1.0, passes the self-test, and the client commits and reports `SUCCEEDED`.
//!
//! Exit 0 with an `OTA OK` line on success; exit 1 with the reason otherwise (a rejected or
//! failed job, a storage or client error, a stall, a panic, a HardFault).
//!
//! Features: `tamper-signature` changes one byte of the document's signature (the job must be
//! REJECTED), `tamper-image` one byte of the image the service streams (the job must FAIL
//! with `image_hash_mismatch`). Both are applied at compile time to the committed fixtures.
//! `force-panic` and `force-fault` check that a panic and a HardFault also exit 1.
//!
//! Feature `p256-accelerator` (the Cortex-M4 build): the P-256 verifications go to the
//! stand-in accelerator of `src/accelerator.rs`, installed first; the run prints how many.
//!
//! Feature `threshold-2of3`: the trust store holds three release keys (a, b, c) and needs two
//! of them; the document (`fixtures/threshold/`) is signed by a and co-signed by b. With
//! `tamper-signature` a's signature is the one changed: one valid signer of the two needed,
//! REJECTED with `below_threshold`.
//!
//! Feature `rotation`: the client's keys come from a root (version 1 built in: root keys 1, 2
//! and 3, two of which must sign, and the release key of `fixtures/pubkey.der`), kept in a
//! record store of its own. The service first offers a `trust_update` job
//! (`fixtures/rotation/trust.json`: root version 2, signed by root keys 1 and 2, with a new
//! release key); the client checks it, stores the new root and reports `SUCCEEDED`; the device
//! resets, loads root 2 from its store, and takes the firmware job signed by the new release
//! key. Afterwards the firmware checks that the stored root is version 2 and that the
//! revoked release key no longer verifies its own document. With `tamper-signature` root key
//! 1's signature on the trust update is the one changed: REJECTED with `below_threshold`.
#![no_std]
#![no_main]

use core::fmt;
#[cfg(feature = "rotation")]
use core::mem::MaybeUninit;

use cortex_m_rt::{entry, exception};
use cortex_m_semihosting::{debug, hprintln};
#[cfg(not(any(feature = "threshold-2of3", feature = "rotation")))]
use ota_core::crypto::{Algorithm, PublicKey, TrustedKey};
use ota_core::crypto::{Digest, SignatureEncoding, TrustStore};
use ota_core::document::FirmwareUpdate;
use ota_core::jobs::{JobExecutionStatus, JobId, ThingName};
use ota_core::manifest::{MAX_MANIFEST_LEN, check_signature, signers};
use ota_core::streams::Format;
use ota_core::time::{Duration, Instant};
use ota_core::version::Version;
#[cfg(feature = "rotation")]
use ota_core::{
    document::TrustUpdate,
    manifest::Rejection,
    trust::{MAX_ROOT_LEN, Root, RootUpdate},
};
use ota_cortex_m::{
    BLOCK_SIZE, BootFlags, INSTRUCTIONS_PER_TICK, Image, RamFlash, StaticBuf, StaticCell,
    repaint_stack, stack_usage, start_systick, systick_ticks,
};
use ota_device::peer::{PeerError, ScriptedPeer, ServedJob};
use ota_device::storage::{BootState, DualCopyStore, NorFlashSlot, StorageError};
#[cfg(feature = "rotation")]
use ota_device::trust::{RootSource, Rotation, load_root};
use ota_device::{
    Buffers, Client, Config, Event, MIN_SCRATCH_LEN, MIN_TRANSMIT_LEN, Publish, Reason,
};
use panic_semihosting as _;

// ---- fixtures (fixtures/generate.sh) and the device's identity, which must match them ----

#[cfg(all(feature = "threshold-2of3", feature = "rotation"))]
compile_error!("threshold-2of3 and rotation are separate variants: build one at a time");

/// The release key of the single-key firmware, and the release key of root version 1 (built
/// in) in the rotating one.
const PUBLIC_KEY_DER: &[u8] = include_bytes!("../../fixtures/pubkey.der");
/// Its uncompressed point, the form the firmware holds keys in.
const PUBLIC_KEY: &[u8; 65] = ota_cortex_m::p256_point(PUBLIC_KEY_DER);
const IMAGE_LEN: usize = include_bytes!("../../fixtures/image.bin").len();
/// The image as built and signed.
static IMAGE: [u8; IMAGE_LEN] = *include_bytes!("../../fixtures/image.bin");

/// Keys each trust store holds: one release key; three release keys (`threshold-2of3`); the
/// three root keys of a root's role (`rotation`).
const KEYS: usize = if cfg!(any(feature = "threshold-2of3", feature = "rotation")) {
    3
} else {
    1
};

/// The firmware job document the service serves, as generated.
#[cfg(not(any(feature = "threshold-2of3", feature = "rotation")))]
macro_rules! firmware_document {
    () => {
        include_bytes!("../../fixtures/document.json")
    };
}
/// Signed by release key a, co-signed by b.
#[cfg(feature = "threshold-2of3")]
macro_rules! firmware_document {
    () => {
        include_bytes!("../../fixtures/threshold/document.json")
    };
}
/// Signed by the release key root version 2 names.
#[cfg(feature = "rotation")]
macro_rules! firmware_document {
    () => {
        include_bytes!("../../fixtures/rotation/document.json")
    };
}
const DOCUMENT_LEN: usize = firmware_document!().len();

/// The three release keys of `threshold-2of3`, two of which must sign.
#[cfg(feature = "threshold-2of3")]
const RELEASE_KEYS: [&[u8; 65]; 3] = [
    ota_cortex_m::p256_point(include_bytes!("../../fixtures/threshold/a.der")),
    ota_cortex_m::p256_point(include_bytes!("../../fixtures/threshold/b.der")),
    ota_cortex_m::p256_point(include_bytes!("../../fixtures/threshold/c.der")),
];

/// The root keys of root version 1 (and 2), two of which must sign a root statement.
#[cfg(feature = "rotation")]
const ROOT_KEYS: [&[u8; 65]; 3] = [
    ota_cortex_m::p256_point(include_bytes!("../../fixtures/rotation/root1.der")),
    ota_cortex_m::p256_point(include_bytes!("../../fixtures/rotation/root2.der")),
    ota_cortex_m::p256_point(include_bytes!("../../fixtures/rotation/root3.der")),
];
/// The release key root version 2 names (the firmware never loads it: it learns it from the
/// statement; its id is compared after the run).
#[cfg(feature = "rotation")]
const RELEASE2_DER: &[u8] = include_bytes!("../../fixtures/rotation/release2.der");
/// The document signed by the release key of root version 1, which version 2 revokes.
#[cfg(feature = "rotation")]
const REVOKED_DOCUMENT: &[u8] = include_bytes!("../../fixtures/document.json");
#[cfg(feature = "rotation")]
const TRUST_LEN: usize = include_bytes!("../../fixtures/rotation/trust.json").len();
/// The trust-update job document: root version 2 signed by root keys 1 and 2, or (feature
/// `tamper-signature`) with one byte of root key 1's signature changed.
#[cfg(feature = "rotation")]
static TRUST_BYTES: [u8; TRUST_LEN] = {
    let doc = *include_bytes!("../../fixtures/rotation/trust.json");
    if cfg!(feature = "tamper-signature") {
        tamper_signature(doc)
    } else {
        doc
    }
};
#[cfg(feature = "rotation")]
const TRUST_DOCUMENT: &str = match core::str::from_utf8(&TRUST_BYTES) {
    Ok(text) => text,
    Err(_) => panic!("trust.json is not UTF-8"),
};
#[cfg(feature = "rotation")]
const TRUST_JOB: &str = "root-2-rollout";

const THING: &str = "lm3s6965-0001";
const JOB: &str = "fw-1_1_0-rollout";
const STREAM: &str = "fw-1_1_0";
const OLD_VERSION: Version = Version::new(1, 0, 0);
const NEW_VERSION: Version = Version::new(1, 1, 0);
/// The thing name, checked when the firmware is built.
const THING_NAME: ThingName<'static> = match ThingName::new(THING) {
    Ok(thing) => thing,
    Err(_) => panic!("bad thing name"),
};
/// Each image's configuration, in flash: the client holds a reference.
static OLD_CONFIG: Config<'static> = ota_cortex_m::config(THING_NAME, OLD_VERSION);
static NEW_CONFIG: Config<'static> = ota_cortex_m::config(THING_NAME, NEW_VERSION);

/// What the service streams: the image, or (feature `tamper-image`) the image with one bit
/// of one byte flipped. Built at compile time, so it lives in flash like the original.
#[cfg(not(feature = "tamper-image"))]
static SERVED_IMAGE: &[u8; IMAGE_LEN] = &IMAGE;
#[cfg(feature = "tamper-image")]
static SERVED_IMAGE: &[u8; IMAGE_LEN] = &{
    let mut image = *include_bytes!("../../fixtures/image.bin");
    image[IMAGE_LEN / 2] ^= 0x01;
    image
};

/// The job document: as generated, or (feature `tamper-signature`, without `rotation`,
/// which tampers with the trust update instead) with one byte of the DER signature changed:
/// the base64 character at index 24 of the first signature encodes the top six bits of byte
/// 18 alone, which lies inside the `r` integer, so the DER stays well-formed and only the
/// verification can fail.
static DOCUMENT_BYTES: [u8; DOCUMENT_LEN] = {
    let doc = *firmware_document!();
    if cfg!(feature = "tamper-signature") && !cfg!(feature = "rotation") {
        tamper_signature(doc)
    } else {
        doc
    }
};
const DOCUMENT: &str = match core::str::from_utf8(&DOCUMENT_BYTES) {
    Ok(text) => text,
    Err(_) => panic!("document.json is not UTF-8"),
};

/// One byte of the first `"signature"` in `doc` changed (see [`DOCUMENT_BYTES`]).
const fn tamper_signature<const N: usize>(mut doc: [u8; N]) -> [u8; N] {
    let key = b"\"signature\":\"";
    let mut at = 0;
    while at + key.len() <= N {
        let mut i = 0;
        while i < key.len() && doc[at + i] == key[i] {
            i += 1;
        }
        if i == key.len() {
            let target = at + key.len() + 24;
            doc[target] = if doc[target] == b'A' { b'B' } else { b'A' };
            return doc;
        }
        at += 1;
    }
    panic!("no signature in the document");
}

// ---- memory: flash partitions and buffers, all in .bss ----

/// The update slot: 16 KiB of NOR in 1 KiB sectors (the LM3S6965's flash page size).
const SLOT_LEN: usize = 16 * 1024;
const SLOT_SECTOR: usize = 1024;
type SlotFlash = RamFlash<SLOT_LEN, SLOT_SECTOR>;
/// The persistent record: two copies of one sector-rounded span each.
const STATE_LEN: usize = 4 * 1024;
type StateFlash = RamFlash<STATE_LEN, 1024>;
const STATE_SPAN: usize = DualCopyStore::<StateFlash>::copy_span();
const _: () = assert!(2 * STATE_SPAN <= STATE_LEN);
/// The root's record store (feature `rotation`): two copies, like the state record's.
#[cfg(feature = "rotation")]
type RootFlash = RamFlash<STATE_LEN, 1024>;
const _: () = assert!(IMAGE_LEN + ota_device::trailer::TRAILER_MAX_LEN <= SLOT_LEN);

/// Block size: 1 KiB CBOR blocks, so scratch is one block (and the 1 KiB minimum); a
/// rotating client needs [`MAX_ROOT_LEN`] (2 KiB) for a root statement.
const SCRATCH_LEN: usize = {
    let len = if BLOCK_SIZE > MIN_SCRATCH_LEN {
        BLOCK_SIZE
    } else {
        MIN_SCRATCH_LEN
    };
    #[cfg(feature = "rotation")]
    let len = if MAX_ROOT_LEN > len {
        MAX_ROOT_LEN
    } else {
        len
    };
    len
};
const _: () = assert!(SCRATCH_LEN >= MAX_MANIFEST_LEN);
/// What the MQTT stack would need for the client's publishes.
const TRANSMIT_LEN: usize = MIN_TRANSMIT_LEN;
/// What the MQTT stack would need for incoming messages: one topic plus one block or one
/// job description with its document.
const RECEIVE_LEN: usize = 2048;

static SLOT_MEM: StaticBuf<SLOT_LEN> = StaticBuf::new();
static STATE_MEM: StaticBuf<STATE_LEN> = StaticBuf::new();
static SCRATCH: StaticBuf<SCRATCH_LEN> = StaticBuf::new();
static TRANSMIT: StaticBuf<TRANSMIT_LEN> = StaticBuf::new();
static RECEIVE: StaticBuf<RECEIVE_LEN> = StaticBuf::new();
static PEER: StaticCell<ScriptedPeer<'static>> = StaticCell::new();
/// The service of the trust-update job, before the firmware job's (feature `rotation`).
#[cfg(feature = "rotation")]
static TRUST_PEER: StaticCell<ScriptedPeer<'static>> = StaticCell::new();
#[cfg(feature = "rotation")]
static ROOT_MEM: StaticBuf<STATE_LEN> = StaticBuf::new();

/// Where the client's keys come from: a fixed trust store, or a root it rotates.
#[cfg(not(feature = "rotation"))]
type Keys<'a> = &'a TrustStore<KEYS>;
#[cfg(feature = "rotation")]
type Keys<'a> = Rotation<'a, KEYS>;
/// What the `sizes` line reports as the trust store: the store, or the root (three roles).
#[cfg(not(feature = "rotation"))]
type Held = TrustStore<KEYS>;
#[cfg(feature = "rotation")]
type Held = Root<KEYS>;

type DeviceClient<'a> = Client<
    'a,
    NorFlashSlot<&'a mut SlotFlash, &'a mut BootFlags>,
    DualCopyStore<&'a mut StateFlash>,
    KEYS,
    Keys<'a>,
    &'a Config<'a>,
>;

/// Loop iterations before the run counts as stuck.
const STEP_BUDGET: u32 = 5_000;

// ---- outcome ----

enum Failure {
    /// The job ended other than `SUCCEEDED`; whether anything was written to the slot.
    Job(JobExecutionStatus, Option<Reason>, bool),
    /// The new image failed and is being rolled back.
    RolledBack(Reason),
    Client(ota_device::Error),
    /// The scripted service refused a publish of the client.
    Service(PeerError),
    Storage(StorageError),
    Setup(&'static str),
    /// Nothing to send, nothing to deliver and no timer, before the job ended.
    Stalled,
    StepBudget,
    /// The run ended but a success condition does not hold.
    Check(&'static str),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Job(status, reason, written) => {
                let reason = reason.map_or("-", Reason::as_str);
                let slot = if *written { "written" } else { "untouched" };
                write!(f, "job finished {status} (reason {reason}); slot {slot}")
            }
            Self::RolledBack(reason) => write!(f, "rolled back ({})", reason.as_str()),
            Self::Client(e) => write!(f, "client error: {e:?}"),
            Self::Service(e) => write!(f, "the service refused a publish: {e:?}"),
            Self::Storage(e) => write!(f, "storage error: {e:?}"),
            Self::Setup(what) => write!(f, "setup: {what}"),
            Self::Stalled => f.write_str("stalled: nothing to send or deliver and no timer"),
            Self::StepBudget => write!(f, "step budget of {STEP_BUDGET} exceeded"),
            Self::Check(what) => write!(f, "check failed: {what}"),
        }
    }
}

impl From<ota_device::Error> for Failure {
    fn from(e: ota_device::Error) -> Self {
        Self::Client(e)
    }
}

impl From<StorageError> for Failure {
    fn from(e: StorageError) -> Self {
        Self::Storage(e)
    }
}

#[derive(Default)]
struct Stats {
    published: u32,
    delivered: u32,
    reboots: u32,
    /// SysTick reading when the first client starts.
    start: u64,
    /// SysTick ticks of the whole update: first boot to `SUCCEEDED` (or to the failure),
    /// without `paused`.
    ticks: Option<u64>,
    /// Ticks spent measuring the stack between steps, left out of `ticks`.
    paused: u64,
    /// The stack's size and its high-water over the whole run (every step's).
    stack_size: usize,
    stack_max: usize,
    /// Set when the update ended, before the measurements apart: the stack's size and the
    /// run's high-water.
    stack: Option<(usize, usize)>,
    /// Ticks of the client's last call, and of all its calls since the boot began.
    last_call: u64,
    calls: u64,
    /// When `DownloadStarted` came: the client's ticks since the boot began (connecting,
    /// the job described, its document parsed and signatures checked, record and trailer
    /// written, the start reported and accepted), and the stack high-water of that step.
    intake: Option<(u64, usize)>,
    /// When `TrustRotated` came: the ticks of the call that applied the trust update
    /// (document parsed, root checked, encoded and stored), the version it reported, and
    /// the stack high-water from the boot's `load_root` to then.
    rotation: Option<(u64, u32, usize)>,
    /// The stack high-water of `load_root` at boot (feature `rotation`), the deepest boot's,
    /// and the ticks of the last boot's (which loads root 2 from the store).
    boot_stack: usize,
    boot_ticks: u64,
    /// Boots that loaded root version 2 from the root's store.
    stored_boots: u32,
}

impl Stats {
    /// End a step of the run: its stack high-water (kept in the run's maximum), then the
    /// stack painted again for the next step. Its time is left out of the run's.
    fn step(&mut self) -> usize {
        let start = systick_ticks();
        let (size, used) = stack_usage();
        self.stack_size = size;
        self.stack_max = self.stack_max.max(used);
        repaint_stack();
        self.paused += systick_ticks() - start;
        used
    }
}

/// A client call, timed into `Stats::last_call` and `Stats::calls`.
macro_rules! timed {
    ($stats:expr, $call:expr) => {{
        let start = systick_ticks();
        let result = $call;
        $stats.last_call = systick_ticks() - start;
        $stats.calls += $stats.last_call;
        result
    }};
}

/// Instructions of one P-256 signature verification (the single-key fixture) and of SHA-256
/// over the image, measured apart from the update, for comparison with bare-crypto baselines.
fn crypto_costs() -> Result<(u64, u64), Failure> {
    const MANIFEST: &[u8] = include_bytes!("../../fixtures/manifest.json");
    const SIGNATURE: &[u8] = include_bytes!("../../fixtures/manifest.sig");
    let trust = ota_cortex_m::p256_store::<1>(&[PUBLIC_KEY], 1)
        .ok_or(Failure::Setup("single-key store"))?;
    let digest = Digest::sha256(MANIFEST);
    let start = systick_ticks();
    let verified = trust.verify_digest(None, &digest, SIGNATURE, SignatureEncoding::Der);
    let verify = systick_ticks() - start;
    verified.map_err(|_| Failure::Check("the fixture signature does not verify"))?;
    let start = systick_ticks();
    let image = Digest::sha256(core::hint::black_box(&IMAGE[..]));
    let hash = systick_ticks() - start;
    core::hint::black_box(image);
    Ok((verify * INSTRUCTIONS_PER_TICK, hash * INSTRUCTIONS_PER_TICK))
}

/// The device's whole signature check of the served document's manifest against the release
/// keys, apart from the update (`check_signature`: manifest base64-decoded, hashed, signatures
/// decoded and verified until the threshold is met); its instructions, then how many of the
/// store's keys signed (every signature verified, by `signers`) and whether they make the
/// threshold.
fn manifest_check<const K: usize>(
    release: &TrustStore<K>,
    scratch: &mut [u8; MAX_MANIFEST_LEN],
) -> Result<(u64, usize, bool), Failure> {
    let document = FirmwareUpdate::parse(DOCUMENT.as_bytes())
        .map_err(|_| Failure::Check("the served document does not parse"))?;
    let start = systick_ticks();
    let checked = check_signature(&document.firmware, release, scratch).map(drop);
    let ticks = systick_ticks() - start;
    checked.map_err(|_| Failure::Check("the served document does not verify apart"))?;
    let (signed, met) = signers(&document.firmware, release, scratch)
        .map_err(|_| Failure::Check("the served document's signers"))?;
    Ok((ticks * INSTRUCTIONS_PER_TICK, signed.len(), met))
}

/// Feature `rotation`, after the update: the root's store holds version 2 (loaded as a boot
/// would), naming the new release key alone; the document signed by the release key of
/// version 1 verified with version 1 and is refused (`unknown_key`) by version 2. Returns
/// the instructions of the trust update's check alone (`Root::check_update` of the built-in
/// root: statement decoded and hashed, two signatures against version 1's root keys, the
/// statement parsed, root 2 built from it, the two signatures against its own root keys)
/// and root 2, whose release keys the caller checks the served document with.
#[cfg(feature = "rotation")]
fn rotation_checks(
    root_flash: &mut RootFlash,
    scratch: &mut [u8; SCRATCH_LEN],
) -> Result<(u64, Root<KEYS>), Failure> {
    let ticks = check_update_apart(scratch)?;
    let mut store = DualCopyStore::new(root_flash, 0, STATE_SPAN as u32)?;
    let mut slot = MaybeUninit::uninit();
    let root = boot_root(&mut store, 1, &mut 0, &mut slot)?;
    revoked(root, scratch)?;
    Ok((ticks, root.clone()))
}

/// The trust update checked by the built-in root, apart (its instructions).
#[cfg(feature = "rotation")]
#[inline(never)]
fn check_update_apart(scratch: &mut [u8; SCRATCH_LEN]) -> Result<u64, Failure> {
    let root_scratch: &mut [u8; MAX_ROOT_LEN] = (&mut scratch[..MAX_ROOT_LEN])
        .try_into()
        .map_err(|_| Failure::Setup("scratch"))?;
    let update = TrustUpdate::parse(TRUST_DOCUMENT.as_bytes())
        .map_err(|_| Failure::Check("the trust document does not parse"))?;
    let built_in = built_in_root()?;
    let start = systick_ticks();
    let checked = built_in.check_update(&update, ota_cortex_m::PRODUCT, root_scratch);
    let ticks = systick_ticks() - start;
    match checked {
        Ok(RootUpdate::Newer { root, .. }) if root.version() == 2 => {}
        _ => return Err(Failure::Check("the trust update does not check apart")),
    }
    Ok(ticks * INSTRUCTIONS_PER_TICK)
}

/// Root 2 names the new release key alone, and refuses the document of root 1's.
#[cfg(feature = "rotation")]
#[inline(never)]
fn revoked(root: &Root<KEYS>, scratch: &mut [u8; SCRATCH_LEN]) -> Result<(), Failure> {
    let new_key = Digest::sha256(RELEASE2_DER);
    let mut release = root.release().iter();
    match (release.next(), release.next()) {
        (Some(key), None) if key.key_id().as_bytes()[..] == new_key.as_bytes()[..] => {}
        _ => return Err(Failure::Check("root 2's release key is not release2.der")),
    }

    let revoked = FirmwareUpdate::parse(REVOKED_DOCUMENT)
        .map_err(|_| Failure::Check("document.json does not parse"))?;
    let manifest_scratch: &mut [u8; MAX_MANIFEST_LEN] = (&mut scratch[..MAX_MANIFEST_LEN])
        .try_into()
        .map_err(|_| Failure::Setup("scratch"))?;
    let built_in = built_in_root()?;
    if check_signature(&revoked.firmware, built_in.release(), manifest_scratch).is_err() {
        return Err(Failure::Check(
            "root 1's release key does not verify its document",
        ));
    }
    match check_signature(&revoked.firmware, root.release(), manifest_scratch) {
        Err(Rejection::UnknownKey) => {}
        _ => return Err(Failure::Check("the revoked release key is not refused")),
    }
    Ok(())
}

/// Root version 1, as built into the firmware (feature `rotation`).
#[cfg(feature = "rotation")]
fn built_in_root() -> Result<Root<KEYS>, Failure> {
    ota_cortex_m::built_in_root(&ROOT_KEYS, PUBLIC_KEY).ok_or(Failure::Setup("built-in root"))
}

/// The root boot number `boot` (0 first) starts with (`load_root`: the stored one when newer
/// than the built-in one), in a frame of its own: the built-in root it is given is not kept
/// in the caller's. The first boot must find nothing stored (root 1), every later one root 2
/// (counted in `stored_boots`).
///
/// The root is written into `slot` (the caller's frame holds one root, no moved copies).
#[cfg(feature = "rotation")]
#[inline(never)]
fn boot_root<'r>(
    store: &mut dyn ota_device::storage::StateStore,
    boot: u32,
    stored_boots: &mut u32,
    slot: &'r mut MaybeUninit<Root<KEYS>>,
) -> Result<&'r mut Root<KEYS>, Failure> {
    let (root, source) = load_root(store, built_in_root()?)?;
    match (boot, source, root.version()) {
        (0, RootSource::BuiltIn, 1) => {}
        (1.., RootSource::Stored, 2) => *stored_boots += 1,
        _ => return Err(Failure::Check("a boot loaded another root than expected")),
    }
    // A root owns nothing to drop: overwriting the last boot's is all a reset does to it.
    Ok(slot.write(root))
}

/// The trust store of feature `threshold-2of3`, in a frame of its own.
#[cfg(feature = "threshold-2of3")]
#[inline(never)]
fn release_keys() -> Result<TrustStore<KEYS>, Failure> {
    ota_cortex_m::p256_store::<KEYS>(&RELEASE_KEYS, 2).ok_or(Failure::Setup("trust store"))
}

// ---- the firmware ----

/// What the firmware measures apart once the update succeeded.
struct Measured {
    /// One P-256 verification, and SHA-256 over the image (instructions).
    verify: u64,
    hash: u64,
    /// The served document's signature check apart (instructions), the release keys that
    /// signed it, how many the store holds, and its threshold.
    manifest: u64,
    signed: usize,
    keys: usize,
    threshold: u8,
    /// Feature `rotation`: the trust update's check alone (instructions).
    check_update: Option<u64>,
}

#[entry]
fn main() -> ! {
    let mut stats = Stats::default();
    let outcome = run(&mut stats);
    let ticks = stats
        .ticks
        .unwrap_or_else(|| systick_ticks() - stats.start - stats.paused);
    let (stack, stack_used) = stats.stack.unwrap_or_else(|| {
        stats.step();
        (stats.stack_size, stats.stack_max)
    });
    hprintln!(
        "sizes: client {} B, peer {} B, trust store {} B, caller buffers {} B (scratch {} + transmit {}), peer receive buffer {} B",
        size_of::<DeviceClient<'static>>(),
        size_of::<ScriptedPeer<'static>>(),
        size_of::<Held>(),
        SCRATCH_LEN + TRANSMIT_LEN,
        SCRATCH_LEN,
        TRANSMIT_LEN,
        RECEIVE_LEN
    );
    hprintln!(
        "stack: {} of {} bytes used; {} instructions",
        stack_used,
        stack,
        ticks * INSTRUCTIONS_PER_TICK
    );
    #[cfg(feature = "p256-accelerator")]
    hprintln!(
        "p256 accelerator: {} verifications by the application's stand-in",
        ota_cortex_m::accelerator::calls()
    );
    match outcome {
        Ok(m) => {
            hprintln!(
                "crypto alone: P-256 verify {} instructions, SHA-256 of {} bytes {} instructions",
                m.verify,
                IMAGE_LEN,
                m.hash
            );
            let (intake, intake_stack) = stats.intake.unwrap_or_default();
            hprintln!(
                "manifest check: {} instructions apart; signed by {} of {} release keys, threshold {}; the client from connecting to DownloadStarted {} instructions, stack {} B",
                m.manifest,
                m.signed,
                m.keys,
                m.threshold,
                intake * INSTRUCTIONS_PER_TICK,
                intake_stack
            );
            if let (Some(check), Some((call, version, stack))) = (m.check_update, stats.rotation) {
                hprintln!(
                    "rotation: root 1 -> {} applied in {} instructions (the client's call), stack {} B; check_update alone {} instructions; load_root at boot {} instructions, stack {} B; root {} loaded from its store at {} boots; root 1's release key refused",
                    version,
                    call * INSTRUCTIONS_PER_TICK,
                    stack,
                    check,
                    stats.boot_ticks * INSTRUCTIONS_PER_TICK,
                    stats.boot_stack,
                    version,
                    stats.stored_boots
                );
            }
            hprintln!(
                "OTA OK: {} -> {} committed, {} bytes, {} messages ({} published, {} delivered), {} reboot{}",
                OLD_VERSION,
                NEW_VERSION,
                IMAGE_LEN,
                stats.published + stats.delivered,
                stats.published,
                stats.delivered,
                stats.reboots,
                if stats.reboots == 1 { "" } else { "s" }
            );
            debug::exit(debug::EXIT_SUCCESS);
        }
        Err(failure) => {
            hprintln!("OTA FAILED: {}", failure);
            debug::exit(debug::EXIT_FAILURE);
        }
    }
    loop {}
}

fn run(stats: &mut Stats) -> Result<Measured, Failure> {
    let mut cp = cortex_m::Peripherals::take().ok_or(Failure::Setup("peripherals"))?;
    #[cfg(feature = "p256-accelerator")]
    ota_cortex_m::accelerator::install().map_err(|_| Failure::Setup("P-256 accelerator"))?;
    start_systick(&mut cp.SYST);
    stats.start = systick_ticks();

    let thing = THING_NAME;
    let job = JobId::new(JOB).map_err(|_| Failure::Setup("job id"))?;
    // With `rotation`, the service offers the trust update first, the firmware job after.
    #[cfg(not(feature = "rotation"))]
    let peer = init_peer(&PEER, firmware_job(thing, job)).ok_or(Failure::Setup("peer"))?;
    #[cfg(feature = "rotation")]
    let mut peer = {
        let trust_job = JobId::new(TRUST_JOB).map_err(|_| Failure::Setup("job id"))?;
        init_peer(
            &TRUST_PEER,
            ServedJob {
                thing,
                job_id: trust_job,
                document: TRUST_DOCUMENT,
                image: &[],
                stream: "none",
                format: Format::Cbor,
            },
        )
        .ok_or(Failure::Setup("peer"))?
    };
    // Whether the job in hand is the trust update.
    let mut trust_phase = cfg!(feature = "rotation");

    #[cfg(not(any(feature = "threshold-2of3", feature = "rotation")))]
    let trust = {
        let key =
            PublicKey::from_p256_uncompressed(PUBLIC_KEY).map_err(|_| Failure::Setup("key"))?;
        let key = TrustedKey::new(key, Algorithm::EcdsaP256Sha256)
            .map_err(|_| Failure::Setup("trusted key"))?;
        let mut trust = TrustStore::<1>::new();
        trust.add(key).map_err(|_| Failure::Setup("trust store"))?;
        trust
    };
    #[cfg(feature = "threshold-2of3")]
    let trust = release_keys()?;

    const TAKEN: Failure = Failure::Setup("buffer taken twice");
    let mut slot_flash = SlotFlash::new_erased(SLOT_MEM.take().ok_or(TAKEN)?);
    let mut state_flash = StateFlash::new_erased(STATE_MEM.take().ok_or(TAKEN)?);
    #[cfg(feature = "rotation")]
    let mut root_flash = RootFlash::new_erased(ROOT_MEM.take().ok_or(TAKEN)?);
    let scratch = SCRATCH.take().ok_or(TAKEN)?;
    let transmit = TRANSMIT.take().ok_or(TAKEN)?;
    let receive = RECEIVE.take().ok_or(TAKEN)?;
    let mut flags = BootFlags::new();
    // The root each boot loads (feature `rotation`).
    #[cfg(feature = "rotation")]
    let mut root_slot = MaybeUninit::uninit();

    let mut now = Instant::from_secs(1_000);
    let mut steps = 0u32;
    let (mut committed, mut succeeded) = (false, false);
    // One iteration per boot.
    loop {
        let config: &'static Config<'static> = match flags.running() {
            Image::Old => &OLD_CONFIG,
            Image::New => &NEW_CONFIG,
        };
        let slot = NorFlashSlot::new(&mut slot_flash, &mut flags);
        let store = DualCopyStore::new(&mut state_flash, 0, STATE_SPAN as u32)?;
        let buffers = Buffers {
            scratch: &mut scratch[..],
            url: &mut [],
        };
        stats.calls = 0;
        #[cfg(not(feature = "rotation"))]
        let keys = &trust;
        // The root as a boot loads it: the built-in one first, the stored one after the
        // trust update.
        #[cfg(feature = "rotation")]
        let mut root_store = DualCopyStore::new(&mut root_flash, 0, STATE_SPAN as u32)?;
        #[cfg(feature = "rotation")]
        let root = {
            stats.step();
            let start = systick_ticks();
            let root = boot_root(
                &mut root_store,
                stats.reboots,
                &mut stats.stored_boots,
                &mut root_slot,
            )?;
            stats.boot_ticks = systick_ticks() - start;
            let stack = stats.step();
            stats.boot_stack = stats.boot_stack.max(stack);
            root
        };
        #[cfg(feature = "rotation")]
        let keys = Rotation::new(root, &mut root_store);
        // Used in place through `as_mut`: moving the ~1.9 KB client out of the `Result` would
        // cost a second copy in this frame.
        let mut started: Result<DeviceClient<'_>, _> =
            Client::new(config, keys, slot, store, buffers);
        let client = started.as_mut().map_err(|e| Failure::Client(*e))?;
        timed!(stats, client.handle_connected(now));

        let mut reboot = false;
        while !reboot {
            steps += 1;
            if steps > STEP_BUDGET {
                return Err(Failure::StepBudget);
            }
            // Everything the client has to send goes to the service.
            let mut moved = false;
            while let Some(publish) = {
                let start = systick_ticks();
                let publish = poll_transmit(client, now, &mut transmit[..]);
                stats.calls += systick_ticks() - start;
                publish
            } {
                moved = true;
                stats.published += 1;
                // A topic the service does not serve is dropped, as a broker would; a request
                // it cannot parse, or a full reply queue, is a failure of the run.
                match peer.handle_publish(publish.topic, publish.payload) {
                    Ok(()) | Err(PeerError::UnknownTopic) => {}
                    Err(e) => return Err(Failure::Service(e)),
                }
            }
            // Then what the client tells the application.
            let mut self_test = false;
            while let Some(event) = client.poll_event() {
                match event {
                    Event::ActivateAndReboot => reboot = true,
                    Event::SelfTestRequired => self_test = true,
                    Event::Committed => committed = true,
                    Event::DownloadStarted { .. } if stats.intake.is_none() => {
                        stats.intake = Some((stats.calls, stats.step()));
                    }
                    Event::TrustRotated { version } => {
                        stats.rotation = Some((stats.last_call, version, stats.step()));
                    }
                    Event::JobFinished {
                        status: JobExecutionStatus::Succeeded,
                        ..
                    } => succeeded = true,
                    Event::JobFinished { status, reason } => {
                        let erased = client.slot().flash().contents().iter().all(|&b| b == 0xFF);
                        return Err(Failure::Job(status, reason, !erased));
                    }
                    Event::RollBackAndReboot { reason } => return Err(Failure::RolledBack(reason)),
                    _ => {}
                }
            }
            if reboot {
                break;
            }
            if self_test {
                // The new image works: pass.
                timed!(stats, client.handle_self_test(now, true))?;
                continue;
            }
            if succeeded && client.is_idle() && peer.status().is_terminal() && trust_phase {
                // The trust update is applied: reset (nothing was installed), then the
                // firmware job.
                if peer.status() != JobExecutionStatus::Succeeded {
                    return Err(Failure::Check("the service's status is not SUCCEEDED"));
                }
                if !matches!(stats.rotation, Some((_, 2, _))) {
                    return Err(Failure::Check("no TrustRotated { version: 2 }"));
                }
                #[cfg(feature = "rotation")]
                {
                    peer =
                        init_peer(&PEER, firmware_job(thing, job)).ok_or(Failure::Setup("peer"))?;
                }
                (trust_phase, succeeded, reboot) = (false, false, true);
                continue;
            }
            if succeeded && client.is_idle() && peer.status().is_terminal() {
                stats.ticks = Some(systick_ticks() - stats.start - stats.paused);
                stats.step();
                stats.stack = Some((stats.stack_size, stats.stack_max));
                drop(started);
                check(peer, &slot_flash, &flags, committed)?;
                if stats.intake.is_none() {
                    return Err(Failure::Check("no DownloadStarted"));
                }
                #[cfg(not(feature = "rotation"))]
                return measure(&trust, scratch, None);
                #[cfg(feature = "rotation")]
                return measure_rotation(&mut root_flash, scratch);
            }
            // One message from the service, then the client's answers first, as on a network.
            let waiting = peer.pending();
            if let Some((topic, payload)) = peer.poll_message(&mut receive[..]) {
                stats.delivered += 1;
                // Stale or duplicate messages are refused and change nothing: not a failure.
                let _ = timed!(stats, client.handle_message(now, topic, payload));
                continue;
            }
            if waiting > 0 {
                return Err(Failure::Setup(
                    "a service message did not fit the receive buffer",
                ));
            }
            if !moved {
                // Nothing moves: let time pass to the client's next timer.
                let at = client.poll_timeout().ok_or(Failure::Stalled)?;
                now = now.max(at);
                timed!(stats, client.handle_timeout(now));
            }
        }
        // Reset: the client (and its borrows of flash and flags) goes away with the RAM it
        // lived in; the bootloader acts on the flags; the new image boots.
        drop(started);
        forced_failures();
        stats.reboots += 1;
        flags.reset();
        now = now + Duration::from_secs(5);
    }
}

/// The client's next publish, in a frame of its own: depending on the build, LTO may inline
/// the client's renderer into `run`, whose frame every deeper call then sits on.
#[inline(never)]
fn poll_transmit<'b>(
    client: &mut DeviceClient<'_>,
    now: Instant,
    buf: &'b mut [u8],
) -> Option<Publish<'b>> {
    client.poll_transmit(now, buf)
}

/// What is measured apart once the update succeeded (in a frame of its own, after the
/// stack's high-water was taken), with `release` the keys the firmware job was checked
/// with.
#[inline(never)]
fn measure<const K: usize>(
    release: &TrustStore<K>,
    scratch: &mut [u8; SCRATCH_LEN],
    check_update: Option<u64>,
) -> Result<Measured, Failure> {
    let (verify, hash) = crypto_costs()?;
    let manifest_scratch: &mut [u8; MAX_MANIFEST_LEN] = (&mut scratch[..MAX_MANIFEST_LEN])
        .try_into()
        .map_err(|_| Failure::Setup("scratch"))?;
    let (manifest, signed, met) = manifest_check(release, manifest_scratch)?;
    if !met {
        return Err(Failure::Check(
            "the signers apart do not meet the threshold",
        ));
    }
    Ok(Measured {
        verify,
        hash,
        manifest,
        signed,
        keys: release.len(),
        threshold: release.threshold(),
        check_update,
    })
}

/// [`measure`] with root 2's release keys, after [`rotation_checks`].
#[cfg(feature = "rotation")]
#[inline(never)]
fn measure_rotation(
    root_flash: &mut RootFlash,
    scratch: &mut [u8; SCRATCH_LEN],
) -> Result<Measured, Failure> {
    let (check_update, root2) = rotation_checks(root_flash, scratch)?;
    measure(root2.release(), scratch, Some(check_update))
}

/// The firmware job the service serves.
fn firmware_job(thing: ThingName<'static>, job: JobId<'static>) -> ServedJob<'static> {
    ServedJob {
        thing,
        job_id: job,
        document: DOCUMENT,
        image: SERVED_IMAGE,
        stream: STREAM,
        format: Format::Cbor,
    }
}

/// A service, built in its own stack frame: `ScriptedPeer::new` returns a ~4 KB value
/// that would otherwise keep a slot in `run`'s frame for the whole update.
#[inline(never)]
fn init_peer(
    cell: &'static StaticCell<ScriptedPeer<'static>>,
    job: ServedJob<'static>,
) -> Option<&'static mut ScriptedPeer<'static>> {
    cell.init(ScriptedPeer::new(job))
}

/// Features `force-panic` and `force-fault`: prove that a panic and a HardFault end the run
/// with exit code 1 (and not a hang until the timeout).
fn forced_failures() {
    if cfg!(feature = "force-panic") {
        panic!("forced panic at the simulated reset");
    }
    if cfg!(feature = "force-fault") {
        // A permanently undefined instruction: a UsageFault, escalated to HardFault.
        cortex_m::asm::udf();
    }
}

/// Every success condition, after the client was dropped.
fn check(
    peer: &ScriptedPeer<'_>,
    slot: &SlotFlash,
    flags: &BootFlags,
    committed: bool,
) -> Result<(), Failure> {
    if peer.status() != JobExecutionStatus::Succeeded {
        return Err(Failure::Check("the service's status is not SUCCEEDED"));
    }
    if !committed {
        return Err(Failure::Check("no Committed event"));
    }
    if flags.state() != BootState::Normal || flags.running() != Image::New {
        return Err(Failure::Check(
            "the new image is not the committed, running one",
        ));
    }
    let (written, rest) = slot.contents().split_at(IMAGE_LEN);
    if written != IMAGE {
        return Err(Failure::Check("the slot does not hold the signed image"));
    }
    // After the image: erased flash, then the manifest trailer in the slot's last sectors.
    let trailer_at = ota_device::trailer::region(SLOT_LEN as u32, SLOT_SECTOR as u32)
        .map_or(SLOT_LEN, |(at, _)| at as usize);
    let (gap, trailer) = rest.split_at(trailer_at - IMAGE_LEN);
    if gap.iter().any(|&b| b != 0xFF) {
        return Err(Failure::Check("bytes written past the image"));
    }
    if ota_device::trailer::Trailer::parse(trailer).is_err() {
        return Err(Failure::Check("no manifest trailer after the image"));
    }
    Ok(())
}

#[exception]
fn SysTick() {
    ota_cortex_m::on_systick();
}
