//! The device client driven by arbitrary operation sequences: messages from a scripted
//! service delivered, lost, duplicated, reordered or replaced by arbitrary bytes on any
//! topic; time; power cuts; resets; self-test results; cancellation; a job created after the
//! device asked for one. No panic, and the promises hold: only a verified image is ever
//! marked pending, a firmware job is never reported SUCCEEDED before the new image is
//! committed, and (liveness) once the network works and time passes, the job the service
//! offers ends in a final status.
#![no_main]
use arbitrary::Arbitrary;
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use ota_core::crypto::{Algorithm, Digest, PublicKey, TrustStore, TrustedKey};
use ota_core::jobs::{JobId, ThingName};
use ota_core::streams::Format;
use ota_core::time::{Duration, Instant};
use ota_core::version::Version;
use ota_device::peer::{ScriptedPeer, ServedJob};
use ota_device::storage::testing::{CutMode, MemStateStore, PowerCut, SimBootloader, SimSlot};
use ota_device::storage::BootState;
use ota_device::{Buffers, Client, Config, Event};
use p256::ecdsa::signature::Signer as _;
use std::sync::OnceLock;

#[derive(Debug, Arbitrary)]
enum Op<'a> {
    Flush,
    Deliver(u8),
    Lose(u8),
    Duplicate(u8),
    Raw { topic: u8, payload: &'a [u8] },
    Advance(u32),
    Cut(u8),
    Reset,
    SelfTest(bool),
    Cancel,
    Connect,
    Create,
}

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    /// Whether the job exists from the start (otherwise `Op::Create` or the heal makes it).
    created: bool,
    ops: Vec<Op<'a>>,
}

struct Release {
    image: Vec<u8>,
    document: String,
    trust: TrustStore<1>,
}

fn release() -> &'static Release {
    static RELEASE: OnceLock<Release> = OnceLock::new();
    RELEASE.get_or_init(|| {
        let image: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 256) as u8).collect();
        let sha: String = Digest::sha256(&image).as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let manifest = format!(
            r#"{{"product":"p","hardware":"h","version":"1.1.0","securityCounter":1,"size":{},"sha256":"{sha}"}}"#,
            image.len()
        );
        let key = p256::ecdsa::SigningKey::from_slice(&[5; 32]).unwrap();
        let sig: p256::ecdsa::Signature = key.sign(manifest.as_bytes());
        let b64 = base64::engine::general_purpose::STANDARD;
        let document = format!(
            r#"{{"operation":"firmware_update","firmware":{{"manifest":"{}","signature":"{}","stream":"s"}}}}"#,
            b64.encode(&manifest),
            b64.encode(sig.to_der().as_bytes())
        );
        let point = key.verifying_key().to_sec1_point(false);
        let mut trust = TrustStore::new();
        trust.add(TrustedKey::new(PublicKey::from_sec1(point.as_bytes()).unwrap(), Algorithm::EcdsaP256Sha256).unwrap()).unwrap();
        Release { image, document, trust }
    })
}

const TOPICS: [&str; 6] = [
    "$aws/things/d/jobs/notify-next",
    "$aws/things/d/jobs/$next/get/accepted",
    "$aws/things/d/jobs/j/update/accepted",
    "$aws/things/d/jobs/j/update/rejected",
    "$aws/things/d/jobs/j/get/accepted",
    "$aws/things/d/streams/s/data/cbor",
];

fn client<'b>(
    device: &SimBootloader,
    store: &MemStateStore,
    r: &'static Release,
    scratch: &'b mut [u8],
    boot: &mut u64,
) -> Option<Client<'b, SimSlot, MemStateStore, 1>> {
    let running = if device.active_image().starts_with(&r.image) { Version::new(1, 1, 0) } else { Version::new(1, 0, 0) };
    let mut config = Config::new(ThingName::new("d").unwrap(), "p", "h", running);
    config.blocks_per_request = 2;
    // Each boot draws its own seed, as firmware does: client tokens must not repeat across
    // boots, or a late reply to the last boot's request could match.
    *boot += 1;
    config.random_seed = *boot;
    let buffers = Buffers { scratch, url: &mut [] };
    Client::new(config, &r.trust, device.slot(), store.reopen(), buffers).ok()
}

/// Check a publish of the client.
fn check_publish(device: &SimBootloader, r: &Release, payload: &[u8]) {
    let text = String::from_utf8_lossy(payload);
    if text.starts_with(r#"{"status":"SUCCEEDED""#) {
        assert_eq!(device.state(), BootState::Normal, "SUCCEEDED before commit");
        assert!(device.active_image().starts_with(&r.image), "SUCCEEDED on the old image");
    }
}

/// Take the client's events: it holds those of one call, so after every call.
fn take_events(c: &mut Client<'_, SimSlot, MemStateStore, 1>, events: &mut Vec<Event>) {
    while let Some(e) = c.poll_event() {
        events.push(e);
    }
}

/// Check the events taken; true when they ask for a reset.
fn check_events(events: &mut Vec<Event>, device: &SimBootloader, r: &Release) -> (bool, bool) {
    let (mut reset, mut self_test) = (false, false);
    for e in events.drain(..) {
        match e {
            Event::ActivateAndReboot => {
                assert_eq!(device.state(), BootState::Pending);
                let pending = device.bank_image(device.active_bank().other());
                assert!(pending.starts_with(&r.image), "marked pending an image that is not the signed one");
                reset = true;
            }
            Event::RollBackAndReboot { .. } => reset = true,
            Event::SelfTestRequired => self_test = true,
            _ => {}
        }
    }
    (reset, self_test)
}

fuzz_target!(|input: Input<'_>| {
    let Input { created, ops } = input;
    let r = release();
    let power = PowerCut::unlimited();
    let device = SimBootloader::new(8192, b"old", power.clone());
    let store = MemStateStore::new(power.clone());
    let mut peer = ScriptedPeer::new(ServedJob {
        thing: ThingName::new("d").unwrap(),
        job_id: JobId::new("j").unwrap(),
        document: &r.document,
        image: &r.image,
        stream: "s",
        format: Format::Cbor,
    });
    if !created {
        peer.delay_creation();
    }
    let mut scratch = vec![0u8; 2048];
    let mut boots = 0;
    let mut c = match client(&device, &store, r, &mut scratch, &mut boots) {
        Some(c) => c,
        None => return,
    };
    let mut events = Vec::new();
    take_events(&mut c, &mut events);
    let mut now = Instant::ZERO;
    let mut in_flight: Vec<(String, Vec<u8>)> = Vec::new();
    let (mut out, mut inbound) = (vec![0u8; 1024], vec![0u8; 2048]);
    c.handle_connected(now);
    take_events(&mut c, &mut events);
    for op in ops.into_iter().take(500) {
        if power.is_cut() {
            power.restore();
            in_flight.clear();
            drop(c);
            let _ = device.reset();
            c = match client(&device, &store, r, &mut scratch, &mut boots) {
                Some(fresh) => fresh,
                None => return,
            };
            take_events(&mut c, &mut events);
            c.handle_connected(now);
            take_events(&mut c, &mut events);
        }
        match op {
            Op::Flush => {
                while let Some(p) = c.poll_transmit(now, &mut out) {
                    check_publish(&device, r, p.payload);
                    let _ = peer.handle_publish(p.topic, p.payload);
                }
                while let Some((t, p)) = peer.poll_message(&mut inbound) {
                    in_flight.push((t.to_string(), p.to_vec()));
                }
            }
            Op::Deliver(i) | Op::Lose(i) | Op::Duplicate(i) if !in_flight.is_empty() => {
                let (t, p) = in_flight.remove(usize::from(i) % in_flight.len());
                let times = match op { Op::Lose(_) => 0, Op::Duplicate(_) => 2, _ => 1 };
                for _ in 0..times {
                    let _ = c.handle_message(now, &t, &p);
                    take_events(&mut c, &mut events);
                }
            }
            Op::Raw { topic, payload } => {
                let _ = c.handle_message(now, TOPICS[usize::from(topic) % TOPICS.len()], payload);
            }
            Op::Advance(ms) => {
                now += Duration::from_millis(u64::from(ms));
                c.handle_timeout(now);
            }
            Op::Cut(n) => power.arm(u64::from(n % 16), CutMode::Torn),
            Op::Reset => power.cut(),
            Op::SelfTest(passed) => {
                let _ = c.handle_self_test(now, passed);
            }
            Op::Cancel => peer.cancel(),
            Op::Connect => c.handle_connected(now),
            Op::Create => peer.create(),
            _ => {}
        }
        take_events(&mut c, &mut events);
        if check_events(&mut events, &device, r).0 {
            power.cut();
        }
    }
    // Liveness: the job exists, the network works from now on, the application does what
    // the client asks, and time moves to each timer.
    peer.create();
    power.disarm();
    let mut pending_self_test = false;
    for _ in 0..20_000 {
        if power.is_cut() {
            power.restore();
            drop(c);
            let _ = device.reset();
            c = match client(&device, &store, r, &mut scratch, &mut boots) {
                Some(fresh) => fresh,
                None => panic!("the client does not start after a reset"),
            };
            in_flight.clear();
            take_events(&mut c, &mut events);
            c.handle_connected(now);
            take_events(&mut c, &mut events);
        }
        let mut moved = false;
        while let Some(p) = c.poll_transmit(now, &mut out) {
            check_publish(&device, r, p.payload);
            let _ = peer.handle_publish(p.topic, p.payload);
            moved = true;
        }
        while let Some((t, p)) = peer.poll_message(&mut inbound) {
            in_flight.push((t.to_string(), p.to_vec()));
        }
        for (t, p) in std::mem::take(&mut in_flight) {
            let _ = c.handle_message(now, &t, &p);
            take_events(&mut c, &mut events);
            moved = true;
        }
        let (reset, self_test) = check_events(&mut events, &device, r);
        pending_self_test |= self_test;
        if reset {
            power.cut();
            continue;
        }
        if pending_self_test {
            pending_self_test = false;
            let _ = c.handle_self_test(now, true);
            take_events(&mut c, &mut events);
            continue;
        }
        if moved {
            continue;
        }
        if peer.status().is_terminal() && c.is_idle() {
            return;
        }
        let Some(at) = c.poll_timeout() else { break };
        now = now.max(at);
        c.handle_timeout(now);
        take_events(&mut c, &mut events);
    }
    panic!("the job is still {} (client idle: {}) after the network healed", peer.status(), c.is_idle());
});
