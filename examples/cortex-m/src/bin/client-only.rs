//! A size probe: the client linked as an application would link it (the same slot, store,
//! trust store, configuration and driving loop as `ota-update`), with no scripted service and
//! no fixtures. Its network is a receive buffer whose contents and lengths the optimiser
//! cannot see (`black_box`), so every message path of the client is linked; at run time it
//! receives nothing and exits 0. Flash of this binary over `empty` is the client's flash.
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use ota_core::crypto::{Algorithm, PublicKey, TrustStore, TrustedKey};
use ota_core::jobs::ThingName;
use ota_core::time::Instant;
use ota_core::version::Version;
use ota_cortex_m::{BootFlags, Image, RamFlash, StaticBuf};
use ota_device::storage::{DualCopyStore, NorFlashSlot};
use ota_device::{Buffers, Client, Event, MIN_TRANSMIT_LEN};
use panic_semihosting as _;

const SLOT_LEN: usize = 16 * 1024;
type SlotFlash = RamFlash<SLOT_LEN, 1024>;
const STATE_LEN: usize = 4 * 1024;
type StateFlash = RamFlash<STATE_LEN, 1024>;
const STATE_SPAN: usize = DualCopyStore::<StateFlash>::copy_span();

static SLOT_MEM: StaticBuf<SLOT_LEN> = StaticBuf::new();
static STATE_MEM: StaticBuf<STATE_LEN> = StaticBuf::new();
static SCRATCH: StaticBuf<1024> = StaticBuf::new();
static TRANSMIT: StaticBuf<MIN_TRANSMIT_LEN> = StaticBuf::new();
static RECEIVE: StaticBuf<2048> = StaticBuf::new();

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

fn run() -> Result<(), ()> {
    // The key, the names and the network are opaque to the optimiser.
    let key_der: &[u8] = black_box(include_bytes!("../../fixtures/pubkey.der"));
    let key = PublicKey::from_spki_der(key_der).map_err(drop)?;
    let key = TrustedKey::new(key, Algorithm::EcdsaP256Sha256).map_err(drop)?;
    let mut trust = TrustStore::<1>::new();
    trust.add(key).map_err(drop)?;
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
        let mut started = Client::new(config, &trust, slot, store, buffers);
        let client = started.as_mut().map_err(|_| ())?;
        client.handle_connected(now);
        let mut reboot = false;
        while !reboot {
            while let Some(publish) = client.poll_transmit(now, &mut transmit[..]) {
                black_box((publish.topic, publish.payload, publish.qos));
            }
            while let Some(event) = client.poll_event() {
                match event {
                    Event::ActivateAndReboot | Event::RollBackAndReboot { .. } => reboot = true,
                    Event::SelfTestRequired => client.handle_self_test(now, true).map_err(drop)?,
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
            let _ = client.handle_message(now, topic, &payload[..payload_len]);
            if let Some(at) = client.poll_timeout() {
                now = now.max(at);
                client.handle_timeout(now);
            }
        }
        drop(started);
        flags.reset();
    }
}
