//! The device client driven by arbitrary operation sequences: messages from a scripted
//! service delivered, lost, duplicated, reordered or replaced by arbitrary bytes on any
//! topic; time; power cuts; resets; self-test results; cancellation. No panic, and the
//! promises hold: only a verified image is ever marked pending, and a firmware job is never
//! reported SUCCEEDED before the new image is committed.
#![no_main]
use arbitrary::Arbitrary;
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use ota_core::crypto::{Algorithm, Digest, PublicKey, TrustStore, TrustedKey};
use ota_core::jobs::{JobId, ThingName};
use ota_core::streams::Format;
use ota_core::time::{Duration, Instant};
use ota_core::version::Version;
use ota_device::peer::ScriptedPeer;
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
) -> Option<Client<'b, SimSlot, MemStateStore, 1>> {
    let running = if device.active_image().starts_with(&r.image) { Version::new(1, 1, 0) } else { Version::new(1, 0, 0) };
    let mut config = Config::new(ThingName::new("d").unwrap(), "p", "h", running);
    config.blocks_per_request = 2;
    let buffers = Buffers { scratch, url: &mut [] };
    Client::new(config, &r.trust, device.slot(), store.reopen(), buffers).ok()
}

fuzz_target!(|ops: Vec<Op<'_>>| {
    let r = release();
    let power = PowerCut::unlimited();
    let device = SimBootloader::new(8192, b"old", power.clone());
    let store = MemStateStore::new(power.clone());
    let mut peer = ScriptedPeer::new(ThingName::new("d").unwrap(), JobId::new("j").unwrap(), &r.document, &r.image, "s", Format::Cbor);
    let mut scratch = vec![0u8; 2048];
    let mut c = match client(&device, &store, r, &mut scratch) {
        Some(c) => c,
        None => return,
    };
    let mut now = Instant::ZERO;
    let mut in_flight: Vec<(String, Vec<u8>)> = Vec::new();
    let (mut out, mut inbound) = (vec![0u8; 1024], vec![0u8; 2048]);
    c.handle_connected(now);
    for op in ops.into_iter().take(500) {
        if power.is_cut() {
            power.restore();
            in_flight.clear();
            drop(c);
            let _ = device.reset();
            c = match client(&device, &store, r, &mut scratch) {
                Some(fresh) => fresh,
                None => return,
            };
            c.handle_connected(now);
        }
        match op {
            Op::Flush => {
                while let Some(p) = c.poll_transmit(now, &mut out) {
                    let text = String::from_utf8_lossy(p.payload);
                    if text.starts_with(r#"{"status":"SUCCEEDED""#) {
                        assert_eq!(device.state(), BootState::Normal, "SUCCEEDED before commit");
                        assert!(device.active_image().starts_with(&r.image), "SUCCEEDED on the old image");
                    }
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
            _ => {}
        }
        while let Some(e) = c.poll_event() {
            if e == Event::ActivateAndReboot {
                assert_eq!(device.state(), BootState::Pending);
                let pending = device.bank_image(device.active_bank().other());
                assert!(pending.starts_with(&r.image), "marked pending an image that is not the signed one");
                power.cut();
            }
        }
    }
});
