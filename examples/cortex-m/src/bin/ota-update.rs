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
#![no_std]
#![no_main]

use core::fmt;

use cortex_m_rt::{entry, exception};
use cortex_m_semihosting::{debug, hprintln};
use ota_core::crypto::{Algorithm, Digest, PublicKey, SignatureEncoding, TrustStore, TrustedKey};
use ota_core::jobs::{JobExecutionStatus, JobId, ThingName};
use ota_core::streams::Format;
use ota_core::time::{Duration, Instant};
use ota_core::version::Version;
use ota_cortex_m::{
    BLOCK_SIZE, BootFlags, INSTRUCTIONS_PER_TICK, Image, RamFlash, StaticBuf, StaticCell,
    stack_usage, start_systick, systick_ticks,
};
use ota_device::peer::{PeerError, ScriptedPeer, ServedJob};
use ota_device::storage::{BootState, DualCopyStore, NorFlashSlot, StorageError};
use ota_device::{Buffers, Client, Event, MIN_SCRATCH_LEN, MIN_TRANSMIT_LEN, Reason};
use panic_semihosting as _;

// ---- fixtures (fixtures/generate.sh) and the device's identity, which must match them ----

const PUBLIC_KEY_DER: &[u8] = include_bytes!("../../fixtures/pubkey.der");
const IMAGE_LEN: usize = include_bytes!("../../fixtures/image.bin").len();
/// The image as built and signed.
static IMAGE: [u8; IMAGE_LEN] = *include_bytes!("../../fixtures/image.bin");
const DOCUMENT_LEN: usize = include_bytes!("../../fixtures/document.json").len();

const THING: &str = "lm3s6965-0001";
const JOB: &str = "fw-1_1_0-rollout";
const STREAM: &str = "fw-1_1_0";
const OLD_VERSION: Version = Version::new(1, 0, 0);
const NEW_VERSION: Version = Version::new(1, 1, 0);

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

/// The job document: as generated, or (feature `tamper-signature`) with one byte of the DER
/// signature changed: the base64 character at index 24 of the signature encodes the top six
/// bits of byte 18 alone, which lies inside the `r` integer, so the DER stays well-formed and
/// only the verification can fail.
static DOCUMENT_BYTES: [u8; DOCUMENT_LEN] = {
    let doc = *include_bytes!("../../fixtures/document.json");
    if cfg!(feature = "tamper-signature") {
        tamper_signature(doc)
    } else {
        doc
    }
};
const DOCUMENT: &str = match core::str::from_utf8(&DOCUMENT_BYTES) {
    Ok(text) => text,
    Err(_) => panic!("document.json is not UTF-8"),
};

const fn tamper_signature(mut doc: [u8; DOCUMENT_LEN]) -> [u8; DOCUMENT_LEN] {
    let key = b"\"signature\":\"";
    let mut at = 0;
    while at + key.len() <= DOCUMENT_LEN {
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
    panic!("no signature in document.json");
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
const _: () = assert!(IMAGE_LEN + ota_device::trailer::TRAILER_MAX_LEN <= SLOT_LEN);

/// Block size: 1 KiB CBOR blocks, so scratch is one block (and the 1 KiB minimum).
const SCRATCH_LEN: usize = if BLOCK_SIZE > MIN_SCRATCH_LEN {
    BLOCK_SIZE
} else {
    MIN_SCRATCH_LEN
};
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

type DeviceClient<'a> = Client<
    'a,
    NorFlashSlot<&'a mut SlotFlash, &'a mut BootFlags>,
    DualCopyStore<&'a mut StateFlash>,
    1,
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
    /// SysTick ticks of the whole update: first boot to `SUCCEEDED` (or to the failure).
    ticks: Option<u64>,
}

/// Instructions of one P-256 signature verification and of SHA-256 over the image, measured
/// apart from the update on the same fixtures, for comparison with bare-crypto baselines.
fn crypto_costs(trust: &TrustStore<1>) -> Result<(u64, u64), Failure> {
    const MANIFEST: &[u8] = include_bytes!("../../fixtures/manifest.json");
    const SIGNATURE: &[u8] = include_bytes!("../../fixtures/manifest.sig");
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

// ---- the firmware ----

#[entry]
fn main() -> ! {
    let mut stats = Stats::default();
    let outcome = run(&mut stats);
    let ticks = stats.ticks.unwrap_or_else(|| systick_ticks() - stats.start);
    let (stack, stack_used) = stack_usage();
    hprintln!(
        "sizes: client {} B, peer {} B, trust store {} B, caller buffers {} B (scratch {} + transmit {}), peer receive buffer {} B",
        size_of::<DeviceClient<'static>>(),
        size_of::<ScriptedPeer<'static>>(),
        size_of::<TrustStore<1>>(),
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
    match outcome {
        Ok(()) => {
            hprintln!(
                "OTA OK: {} -> {} committed, {} bytes, {} messages ({} published, {} delivered), {} reboot",
                OLD_VERSION,
                NEW_VERSION,
                IMAGE_LEN,
                stats.published + stats.delivered,
                stats.published,
                stats.delivered,
                stats.reboots
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

fn run(stats: &mut Stats) -> Result<(), Failure> {
    let mut cp = cortex_m::Peripherals::take().ok_or(Failure::Setup("peripherals"))?;
    start_systick(&mut cp.SYST);
    stats.start = systick_ticks();

    let thing = ThingName::new(THING).map_err(|_| Failure::Setup("thing name"))?;
    let job = JobId::new(JOB).map_err(|_| Failure::Setup("job id"))?;
    let peer = init_peer(thing, job).ok_or(Failure::Setup("peer"))?;

    let key = PublicKey::from_spki_der(PUBLIC_KEY_DER).map_err(|_| Failure::Setup("key"))?;
    let key = TrustedKey::new(key, Algorithm::EcdsaP256Sha256)
        .map_err(|_| Failure::Setup("trusted key"))?;
    let mut trust = TrustStore::<1>::new();
    trust.add(key).map_err(|_| Failure::Setup("trust store"))?;

    const TAKEN: Failure = Failure::Setup("buffer taken twice");
    let mut slot_flash = SlotFlash::new_erased(SLOT_MEM.take().ok_or(TAKEN)?);
    let mut state_flash = StateFlash::new_erased(STATE_MEM.take().ok_or(TAKEN)?);
    let scratch = SCRATCH.take().ok_or(TAKEN)?;
    let transmit = TRANSMIT.take().ok_or(TAKEN)?;
    let receive = RECEIVE.take().ok_or(TAKEN)?;
    let mut flags = BootFlags::new();

    let mut now = Instant::from_secs(1_000);
    let mut steps = 0u32;
    let (mut committed, mut succeeded) = (false, false);
    // One iteration per boot.
    loop {
        let running = match flags.running() {
            Image::Old => OLD_VERSION,
            Image::New => NEW_VERSION,
        };
        let config = ota_cortex_m::config(thing, running);
        let slot = NorFlashSlot::new(&mut slot_flash, &mut flags);
        let store = DualCopyStore::new(&mut state_flash, 0, STATE_SPAN as u32)?;
        let buffers = Buffers {
            scratch: &mut scratch[..],
            url: &mut [],
        };
        // Used in place through `as_mut`: moving the ~1.9 KB client out of the `Result` would
        // cost a second copy in this frame.
        let mut started: Result<DeviceClient<'_>, _> =
            Client::new(config, &trust, slot, store, buffers);
        let client = started.as_mut().map_err(|e| Failure::Client(*e))?;
        client.handle_connected(now);

        let mut reboot = false;
        while !reboot {
            steps += 1;
            if steps > STEP_BUDGET {
                return Err(Failure::StepBudget);
            }
            // Everything the client has to send goes to the service.
            let mut moved = false;
            while let Some(publish) = client.poll_transmit(now, &mut transmit[..]) {
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
                client.handle_self_test(now, true)?;
                continue;
            }
            if succeeded && client.is_idle() && peer.status().is_terminal() {
                stats.ticks = Some(systick_ticks() - stats.start);
                drop(started);
                check(peer, &slot_flash, &flags, committed)?;
                let (verify, hash) = crypto_costs(&trust)?;
                hprintln!(
                    "crypto alone: P-256 verify {} instructions, SHA-256 of {} bytes {} instructions",
                    verify,
                    IMAGE_LEN,
                    hash
                );
                return Ok(());
            }
            // One message from the service, then the client's answers first, as on a network.
            let waiting = peer.pending();
            if let Some((topic, payload)) = peer.poll_message(&mut receive[..]) {
                stats.delivered += 1;
                // Stale or duplicate messages are refused and change nothing: not a failure.
                let _ = client.handle_message(now, topic, payload);
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
                client.handle_timeout(now);
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

/// The service, built in its own stack frame: `ScriptedPeer::new` returns a ~4 KB value
/// that would otherwise keep a slot in `run`'s frame for the whole update.
#[inline(never)]
fn init_peer(
    thing: ThingName<'static>,
    job: JobId<'static>,
) -> Option<&'static mut ScriptedPeer<'static>> {
    PEER.init(ScriptedPeer::new(ServedJob {
        thing,
        job_id: job,
        document: DOCUMENT,
        image: SERVED_IMAGE,
        stream: STREAM,
        format: Format::Cbor,
    }))
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
