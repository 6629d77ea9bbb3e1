//! Drive `ota-device`'s client in a plain loop against a scripted AWS IoT Jobs + Streams
//! service, on a simulated dual-bank device, from job notification to committed image.
//!
//! Everything a real device has is here in miniature: the MQTT "network" is
//! `ota_device::peer::exchange`, the clock is a number we advance to the client's next
//! deadline, the reset is `SimBootloader::reset`, and the release is signed right here with a
//! P-256 key the device trusts.
//!
//! Run: `cargo run -p ota-examples --example device_plain_loop`

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ota_core::crypto::{Algorithm, Digest, PublicKey, TrustStore, TrustedKey};
use ota_core::jobs::{JobId, ThingName};
use ota_core::streams::Format;
use ota_core::time::Instant;
use ota_core::version::Version;
use ota_device::peer::{ScriptedPeer, ServedJob, exchange};
use ota_device::storage::testing::{MemStateStore, PowerCut, SimBootloader};
use ota_device::{Buffers, Client, Config, Event, MIN_TRANSMIT_LEN};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The release: a 48 KiB image, its manifest, signed by the release key.
    let image: Vec<u8> = (0..48 * 1024u32).map(|i| (i % 251) as u8).collect();
    let sha = format!("{:x}", Digest::sha256(&image));
    let manifest = format!(
        r#"{{"product":"acme","hardware":"rev-b","version":"1.1.0","securityCounter":2,"size":{},"sha256":"{sha}"}}"#,
        image.len()
    );
    let release_key = SigningKey::from_slice(&[42; 32])?;
    let signature: Signature = release_key.sign(manifest.as_bytes());
    let document = format!(
        r#"{{"operation":"firmware_update","firmware":{{"manifest":"{}","signature":"{}","version":"1.1.0","stream":"fw-1_1_0"}}}}"#,
        STANDARD.encode(&manifest),
        STANDARD.encode(signature.to_der().as_bytes())
    );

    // The device trusts the release key, and runs 1.0.0.
    let point = release_key.verifying_key().to_sec1_point(false);
    let mut trust = TrustStore::<1>::new();
    trust.add(TrustedKey::new(
        PublicKey::from_sec1(point.as_bytes())?,
        Algorithm::EcdsaP256Sha256,
    )?)?;
    let thing = ThingName::new("sensor-7")?;
    let power = PowerCut::unlimited();
    let device = SimBootloader::new(64 * 1024, b"factory image 1.0.0", power.clone());
    let store = MemStateStore::new(power);

    // The service has one job for it.
    let mut peer = ScriptedPeer::new(ServedJob {
        thing,
        job_id: JobId::new("fw-1_1_0")?,
        document: &document,
        image: &image,
        stream: "fw-1_1_0",
        format: Format::Cbor,
    });

    let mut now = Instant::from_secs(1);
    let mut running = Version::new(1, 0, 0);
    // An MQTT-sized inbound buffer: a 4 KiB block plus its topic and CBOR framing.
    let (mut out, mut inbound) = (vec![0u8; MIN_TRANSMIT_LEN], vec![0u8; 8192]);
    'boot: loop {
        let (mut scratch, mut url) = (vec![0u8; 4096], vec![0u8; 0]);
        let mut config = Config::new(thing, "acme", "rev-b", running);
        config.block_size = 4096;
        let buffers = Buffers {
            scratch: &mut scratch,
            url: &mut url,
        };
        let mut client = Client::new(config, &trust, device.slot(), store.reopen(), buffers)?;
        println!(
            "[{now}] boot: running {running}, boot state {:?}",
            device.state()
        );
        client.handle_connected(now);
        loop {
            let moved = exchange(&mut client, &mut peer, now, &mut out, &mut inbound);
            while let Some(event) = client.poll_event() {
                println!("[{now}] {event:?}");
                match event {
                    Event::ActivateAndReboot => {
                        drop(client);
                        device.reset()?;
                        running = Version::new(1, 1, 0);
                        continue 'boot;
                    }
                    Event::SelfTestRequired => client.handle_self_test(now, true)?,
                    Event::JobFinished { status, .. } => {
                        println!("[{now}] job finished {status}; floor {:?}", client.floor());
                        let active = device.active_image();
                        assert_eq!(&active[..image.len()], &image[..], "the new image runs");
                        return Ok(());
                    }
                    _ => {}
                }
            }
            if moved == 0 {
                // Nothing to say: sleep until the client's next deadline.
                let Some(deadline) = client.poll_timeout() else {
                    return Err("stuck".into());
                };
                now = now.max(deadline);
                client.handle_timeout(now);
            }
        }
    }
}
