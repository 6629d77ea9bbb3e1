//! A complete 1 MiB update through the client (download over CBOR stream blocks into
//! in-memory flash, read-back verification against the signed manifest, activation, trial
//! boot, commit), against SHA-256 of the same bytes measured in the same run.

use core::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use embedded_storage::nor_flash::ReadNorFlash as _;
use ota_core::crypto::{Algorithm, Digest, PublicKey, TrustStore, TrustedKey};
use ota_core::jobs::{JobId, ThingName};
use ota_core::streams::Format;
use ota_core::time::Instant;
use ota_core::version::Version;
use ota_device::peer::{ScriptedPeer, ServedJob, exchange};
use ota_device::storage::testing::{MemStateStore, PowerCut, SimBootloader};
use ota_device::{Buffers, Client, Config, Event};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};

const IMAGE: usize = 1 << 20;
/// Each bank: the image and, in its last sectors, the manifest trailer's region.
const BANK: usize = IMAGE + 64 * 1024;

struct Release {
    image: Vec<u8>,
    document: String,
    trust: TrustStore<1>,
}

fn release() -> Release {
    let image: Vec<u8> = (0..IMAGE as u32)
        .map(|i| i.wrapping_mul(2_654_435_761).to_le_bytes()[3])
        .collect();
    let sha = format!("{:x}", Digest::sha256(&image));
    let manifest = format!(
        r#"{{"product":"acme","hardware":"rev-b","version":"1.1.0","securityCounter":1,"size":{IMAGE},"sha256":"{sha}"}}"#
    );
    let key = SigningKey::from_slice(&[3; 32]).unwrap();
    let signature: Signature = key.sign(manifest.as_bytes());
    let document = format!(
        r#"{{"operation":"firmware_update","firmware":{{"manifest":"{}","signature":"{}","stream":"fw"}}}}"#,
        STANDARD.encode(&manifest),
        STANDARD.encode(signature.to_der().as_bytes())
    );
    let point = key.verifying_key().to_sec1_point(false);
    let mut trust = TrustStore::new();
    trust
        .add(
            TrustedKey::new(
                PublicKey::from_sec1(point.as_bytes()).unwrap(),
                Algorithm::EcdsaP256Sha256,
            )
            .unwrap(),
        )
        .unwrap();
    Release {
        image,
        document,
        trust,
    }
}

/// One whole update; returns the number of messages exchanged.
fn update(
    release: &Release,
    device: &SimBootloader,
    store: &MemStateStore,
    block_size: u32,
) -> usize {
    let thing = ThingName::new("bench").unwrap();
    let mut peer = ScriptedPeer::new(ServedJob {
        thing,
        job_id: JobId::new("job").unwrap(),
        document: &release.document,
        image: &release.image,
        stream: "fw",
        format: Format::Cbor,
    });
    let (mut out, mut inbound) = (vec![0u8; 1024], vec![0u8; block_size as usize + 512]);
    let mut scratch = vec![0u8; block_size.max(4096) as usize];
    let mut running = Version::new(1, 0, 0);
    let mut messages = 0;
    let mut now = Instant::ZERO;
    loop {
        let mut config = Config::new(thing, "acme", "rev-b", running);
        config.block_size = block_size;
        config.blocks_per_request = 64;
        config.persist_every_blocks = 64;
        let buffers = Buffers {
            scratch: &mut scratch,
            url: &mut [],
        };
        let mut client = Client::new(
            config,
            &release.trust,
            device.slot(),
            store.reopen(),
            buffers,
        )
        .unwrap();
        client.handle_connected(now);
        let mut reboot = false;
        loop {
            let moved = exchange(&mut client, &mut peer, now, &mut out, &mut inbound);
            messages += moved;
            while let Some(event) = client.poll_event() {
                match event {
                    Event::ActivateAndReboot => reboot = true,
                    Event::SelfTestRequired => client.handle_self_test(now, true).unwrap(),
                    Event::JobFinished { status, reason } => {
                        assert_eq!(
                            status,
                            ota_core::jobs::JobExecutionStatus::Succeeded,
                            "{reason:?}"
                        );
                        // The first 4 KiB read back, not a copy of the whole bank.
                        let mut head = vec![0u8; 4096];
                        device
                            .bank_flash(device.active_bank())
                            .read(0, &mut head)
                            .unwrap();
                        assert_eq!(head, release.image[..4096]);
                        return messages;
                    }
                    _ => {}
                }
            }
            if reboot {
                break;
            }
            if moved == 0 {
                now = client.poll_timeout().expect("a timer while waiting");
                client.handle_timeout(now);
            }
        }
        drop(client);
        device.reset().unwrap();
        running = Version::new(1, 1, 0);
    }
}

fn bench(c: &mut Criterion) {
    let release = release();
    let mut group = c.benchmark_group("update_1MiB");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(IMAGE as u64));
    group.bench_function("sha256_baseline", |b| {
        b.iter(|| Digest::sha256(black_box(&release.image)))
    });
    for block_size in [1024u32, 4096] {
        group.bench_function(
            format!("client_cbor_{}KiB_blocks", block_size / 1024),
            |b| {
                b.iter_batched(
                    || {
                        let power = PowerCut::unlimited();
                        (
                            SimBootloader::new(BANK, b"factory", power.clone()),
                            MemStateStore::new(power),
                        )
                    },
                    |(device, store)| update(&release, &device, &store, block_size),
                    BatchSize::PerIteration,
                )
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
