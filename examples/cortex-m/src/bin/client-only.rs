//! A size probe: the client linked as an application would link it (the same slot, store,
//! trust store, configuration and driving loop as `ota-update`), with no scripted service and
//! no fixtures. Its network is a receive buffer whose contents and lengths the optimiser
//! cannot see (`black_box`), so every message path of the client is linked; at run time it
//! receives nothing and exits 0. Flash of this binary over `empty` is the client's flash.
//!
//! The client's calls and the loading of the keys are functions of their own, never inlined
//! (see `start`): so that builds that differ in their keys differ in flash by what they link,
//! not by what LTO chose to inline into the loop.
//!
//! Features as in `ota-update`: `p256-accelerator` installs the stand-in accelerator first,
//! `threshold-2of3` loads three keys needing two,
//! `rotation` gives the client a root it rotates (the built-in root, `load_root` at boot from
//! a record store of its own; the client then links the trust-update check, the root
//! statement parser and the root's stored form, and, since a root names root and timestamp
//! keys, the floor-reset and "latest release" checks too).
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use ota_core::jobs::ThingName;
use ota_core::time::Instant;
use ota_core::version::Version;
use ota_cortex_m::{BootFlags, Image, RamFlash, StaticBuf, p256_point as point};
use ota_device::storage::{DualCopyStore, NorFlashSlot};
use ota_device::trust::TrustSource;
use ota_device::{Buffers, Client, Event, MIN_TRANSMIT_LEN, Publish};
use panic_semihosting as _;

const SLOT_LEN: usize = 16 * 1024;
type SlotFlash = RamFlash<SLOT_LEN, 1024>;
const STATE_LEN: usize = 4 * 1024;
type StateFlash = RamFlash<STATE_LEN, 1024>;
const STATE_SPAN: usize = DualCopyStore::<StateFlash>::copy_span();

static SLOT_MEM: StaticBuf<SLOT_LEN> = StaticBuf::new();
static STATE_MEM: StaticBuf<STATE_LEN> = StaticBuf::new();
static SCRATCH: StaticBuf<SCRATCH_LEN> = StaticBuf::new();
static TRANSMIT: StaticBuf<MIN_TRANSMIT_LEN> = StaticBuf::new();
static RECEIVE: StaticBuf<2048> = StaticBuf::new();
/// A rotating client's scratch holds a root statement (2 KiB), else one block.
#[cfg(not(feature = "rotation"))]
const SCRATCH_LEN: usize = 1024;
#[cfg(feature = "rotation")]
const SCRATCH_LEN: usize = ota_core::trust::MAX_ROOT_LEN;
#[cfg(feature = "rotation")]
static ROOT_MEM: StaticBuf<STATE_LEN> = StaticBuf::new();

#[entry]
fn main() -> ! {
    let outcome = run();
    hprintln!(
        "CLIENT-ONLY {}",
        if outcome.is_ok() { "OK" } else { "FAILED" }
    );
    debug::exit(if outcome.is_ok() {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {}
}

type Slot<'a> = NorFlashSlot<&'a mut SlotFlash, &'a mut BootFlags>;
type Store<'a> = DualCopyStore<&'a mut StateFlash>;

type Probe<'a, T, const K: usize> =
    Client<'a, Slot<'a>, Store<'a>, K, T, &'a ota_device::Config<'a>>;

// The client's calls, each in a function of its own that is never inlined (and the keys
// loaded by `p256_store`, never inlined either): LTO otherwise inlined some of them into
// `run` in one build and not in another (duplicating code of the loop), which moved the
// flash by 4 to 6 KB between builds that differ only in their keys.

#[inline(never)]
fn start<'a, T: TrustSource<K>, const K: usize>(
    config: &'a ota_device::Config<'a>,
    keys: T,
    slot: Slot<'a>,
    store: Store<'a>,
    buffers: Buffers<'a>,
) -> Result<Probe<'a, T, K>, ota_device::Error> {
    Client::new(config, keys, slot, store, buffers)
}

#[inline(never)]
fn connected<T: TrustSource<K>, const K: usize>(client: &mut Probe<'_, T, K>, now: Instant) {
    client.handle_connected(now);
}

#[inline(never)]
fn transmit<'b, T: TrustSource<K>, const K: usize>(
    client: &mut Probe<'_, T, K>,
    now: Instant,
    buf: &'b mut [u8],
) -> Option<Publish<'b>> {
    client.poll_transmit(now, buf)
}

#[inline(never)]
fn event<T: TrustSource<K>, const K: usize>(client: &mut Probe<'_, T, K>) -> Option<Event> {
    client.poll_event()
}

#[inline(never)]
fn self_test<T: TrustSource<K>, const K: usize>(
    client: &mut Probe<'_, T, K>,
    now: Instant,
) -> Result<(), ota_device::Error> {
    client.handle_self_test(now, true)
}

#[inline(never)]
fn message<T: TrustSource<K>, const K: usize>(
    client: &mut Probe<'_, T, K>,
    now: Instant,
    topic: &str,
    payload: &[u8],
) {
    let _ = client.handle_message(now, topic, payload);
}

#[inline(never)]
fn timeout<T: TrustSource<K>, const K: usize>(client: &mut Probe<'_, T, K>, now: Instant) {
    if let Some(at) = client.poll_timeout() {
        client.handle_timeout(now.max(at));
    }
}

fn run() -> Result<(), ()> {
    // The application's P-256 accelerator, installed before any key is used.
    #[cfg(feature = "p256-accelerator")]
    ota_cortex_m::accelerator::install().map_err(drop)?;
    // The keys, the names and the network are opaque to the optimiser.
    let key: &[u8; 65] = black_box(point(include_bytes!("../../fixtures/pubkey.der")));
    #[cfg(not(any(feature = "threshold-2of3", feature = "rotation")))]
    let trust = ota_cortex_m::p256_store::<1>(&[key], 1).ok_or(())?;
    #[cfg(feature = "threshold-2of3")]
    let trust = {
        let _ = key;
        let keys: [&[u8; 65]; 3] = black_box([
            point(include_bytes!("../../fixtures/threshold/a.der")),
            point(include_bytes!("../../fixtures/threshold/b.der")),
            point(include_bytes!("../../fixtures/threshold/c.der")),
        ]);
        ota_cortex_m::p256_store::<3>(&keys, 2).ok_or(())?
    };
    #[cfg(feature = "rotation")]
    let root_keys: [&[u8; 65]; 3] = black_box([
        point(include_bytes!("../../fixtures/rotation/root1.der")),
        point(include_bytes!("../../fixtures/rotation/root2.der")),
        point(include_bytes!("../../fixtures/rotation/root3.der")),
    ]);
    #[cfg(feature = "rotation")]
    let mut root_flash = StateFlash::new_erased(ROOT_MEM.take().ok_or(())?);
    let thing = ThingName::new(black_box("lm3s6965-0001")).map_err(drop)?;

    let mut slot_flash = SlotFlash::new_erased(SLOT_MEM.take().ok_or(())?);
    let mut state_flash = StateFlash::new_erased(STATE_MEM.take().ok_or(())?);
    let scratch = SCRATCH.take().ok_or(())?;
    let transmit = TRANSMIT.take().ok_or(())?;
    let receive = RECEIVE.take().ok_or(())?;
    let mut flags = BootFlags::new();
    let mut now = Instant::from_secs(1_000);

    loop {
        let running = match flags.running() {
            Image::Old => Version::new(1, 0, 0),
            Image::New => Version::new(1, 1, 0),
        };
        let config = ota_cortex_m::config(thing, running);
        let slot = NorFlashSlot::new(&mut slot_flash, &mut flags);
        let store = DualCopyStore::new(&mut state_flash, 0, STATE_SPAN as u32).map_err(drop)?;
        let buffers = Buffers {
            scratch: &mut scratch[..],
            url: &mut [],
        };
        #[cfg(not(feature = "rotation"))]
        let keys = &trust;
        #[cfg(feature = "rotation")]
        let mut root_store =
            DualCopyStore::new(&mut root_flash, 0, STATE_SPAN as u32).map_err(drop)?;
        #[cfg(feature = "rotation")]
        let (mut root, _) = {
            let built_in = ota_cortex_m::built_in_root::<3>(&root_keys, key).ok_or(())?;
            ota_device::trust::load_root(&mut root_store, built_in).map_err(drop)?
        };
        #[cfg(feature = "rotation")]
        let keys = ota_device::trust::Rotation::new(&mut root, &mut root_store);
        let mut started = start(&config, keys, slot, store, buffers);
        let client = started.as_mut().map_err(|_| ())?;
        connected(client, now);
        let mut reboot = false;
        while !reboot {
            while let Some(publish) = self::transmit(client, now, &mut transmit[..]) {
                black_box((publish.topic, publish.payload, publish.qos));
            }
            while let Some(event) = self::event(client) {
                match event {
                    Event::ActivateAndReboot | Event::RollBackAndReboot { .. } => reboot = true,
                    Event::SelfTestRequired => self_test(client, now).map_err(drop)?,
                    other => {
                        black_box(other);
                    }
                }
            }
            // The "network": a topic and a payload of lengths nobody knows at compile time
            // (zero at run time: nothing arrives, and the probe ends).
            let (topic_len, payload_len) = black_box((0usize, 0usize));
            if topic_len == 0 {
                return Ok(());
            }
            let (topic, payload) = black_box(&receive[..]).split_at(topic_len);
            let topic = core::str::from_utf8(topic).map_err(drop)?;
            message(client, now, topic, &payload[..payload_len]);
            if let Some(at) = client.poll_timeout() {
                now = now.max(at);
            }
            timeout(client, now);
        }
        drop(started);
        flags.reset();
    }
}
