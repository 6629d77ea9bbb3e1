//! The freeze defence end to end, in process: an ota-device client (root with a timestamp
//! role) asks the gateway for the latest statement; the service signs statements onto the
//! board, stops refreshing them (a freeze), then names a newer release. The device's
//! reports reach the board's counts, which the service's metrics show.

use ota_cloud::freshness::{LatestBoard, LatestSpec, SharedBoard, sign};
use ota_cloud::gateway::{Gateway, MemoryStreams, Outgoing};
use ota_cloud::signing::{KeyAlgorithm, LocalSigner, PrivateKey, Signer as _};
use ota_cloud::{Engine, Settings};
use ota_core::crypto::{TrustStore, TrustedKey};
use ota_core::jobs::ThingName;
use ota_core::time::{Duration, Instant};
use ota_core::trust::Root;
use ota_core::version::{SecurityCounter, Version};
use ota_device::storage::testing::{MemStateStore, PowerCut, SimBootloader};
use ota_device::trust::Rotation;
use ota_device::{Buffers, Client, Config, Event};

const HOUR: u64 = 3600;

fn signer(seed: u8) -> LocalSigner {
    let key = PrivateKey::generate_seeded(KeyAlgorithm::P256, [seed; 32]).unwrap();
    LocalSigner::with_default_algorithm(key, false).unwrap()
}

fn store(signer: &LocalSigner) -> TrustStore<2> {
    let mut store = TrustStore::new();
    store
        .add(TrustedKey::new(signer.public_key().clone(), signer.algorithm()).unwrap())
        .unwrap();
    store
}

/// Sign "the latest release is `version`", issued at `issued` for a day, onto the board.
fn publish(board: &SharedBoard, timestamp: &LocalSigner, version: &str, issued: u64) {
    let spec = LatestSpec {
        product: "acme",
        version: Version::parse(version).unwrap(),
        security_counter: SecurityCounter(1),
        issued,
        expires: issued + 24 * HOUR,
    };
    board
        .lock()
        .unwrap()
        .publish(sign(&spec, timestamp).unwrap());
}

#[test]
fn a_frozen_device_is_counted_stale_and_a_newer_release_behind() {
    let timestamp = signer(40);
    let mut root = Root::<2>::new(1, store(&signer(41)), store(&signer(42)))
        .unwrap()
        .with_timestamp(store(&timestamp))
        .unwrap();
    let power = PowerCut::unlimited();
    let boot = SimBootloader::new(64 * 1024, &[0x11; 1000], power.clone());
    let mut root_store = MemStateStore::new(power.clone());
    let mut config = Config::new(
        ThingName::new("dev-1").unwrap(),
        "acme",
        "rev-b",
        Version::new(1, 0, 0),
    );
    config.freshness_max_age = Some(Duration::from_secs(2 * HOUR));
    let (mut scratch, mut url) = ([0u8; 4096], [0u8; 256]);
    let mut client = Client::new(
        config,
        Rotation::new(&mut root, &mut root_store),
        boot.slot(),
        MemStateStore::new(power),
        Buffers {
            scratch: &mut scratch,
            url: &mut url,
        },
    )
    .unwrap();

    let mut engine = Engine::new(0, Settings::default());
    engine.create_thing("dev-1", &[]).unwrap();
    let board = LatestBoard::shared();
    let mut gateway = Gateway::new("$aws").with_latest(board.clone());
    let mut streams = MemoryStreams::new();
    let mut events = Vec::new();
    // Every publish of the client through the gateway, every reply back, until quiet.
    let mut exchange =
        |client: &mut Client<'_, _, _, 2, _>, now: Instant, events: &mut Vec<Event>| {
            let mut buf = [0u8; 2048];
            // The service's clock is the device's here.
            engine.advance(now.as_millis());
            loop {
                let mut out: Vec<Outgoing> = Vec::new();
                while let Some(p) = client.poll_transmit(now, &mut buf) {
                    let (topic, payload) = (p.topic.to_string(), p.payload.to_vec());
                    gateway.handle_publish(&mut engine, &mut streams, &topic, &payload, &mut out);
                }
                if out.is_empty() {
                    break;
                }
                for reply in out {
                    let _ = client.handle_message(now, &reply.topic, &reply.payload);
                }
            }
            while let Some(e) = client.poll_event() {
                events.push(e);
            }
        };

    publish(&board, &timestamp, "1.0.0", 1_000);
    let mut now = Instant::from_secs(0);
    client.handle_connected(now);
    exchange(&mut client, now, &mut events);
    assert_eq!(client.latest_release(), Some(Version::new(1, 0, 0)));
    let summary = board.lock().unwrap().summary(0, 2 * HOUR * 1000);
    assert_eq!((summary.asking, summary.stale, summary.behind), (1, 0, 0));

    // The service stops refreshing: the device checks hourly and, after two hours of the
    // same statement, reports itself stale.
    for _ in 0..4 {
        now += Duration::from_secs(HOUR);
        client.handle_timeout(now);
        exchange(&mut client, now, &mut events);
    }
    assert!(
        events.contains(&Event::Stale { last_issued: 1_000 }),
        "{events:?}"
    );
    let summary = board
        .lock()
        .unwrap()
        .summary(4 * HOUR * 1000, 2 * HOUR * 1000);
    assert_eq!((summary.stale, summary.behind), (1, 0));

    // A newer statement names release 1.2.0: fresh again, and behind.
    publish(&board, &timestamp, "1.2.0", 20_000);
    now += Duration::from_secs(HOUR);
    client.handle_timeout(now);
    exchange(&mut client, now, &mut events);
    assert!(events.contains(&Event::Fresh { issued: 20_000 }));
    assert!(events.contains(&Event::Behind));
    assert_eq!(client.latest_release(), Some(Version::new(1, 2, 0)));
    now += Duration::from_secs(HOUR);
    client.handle_timeout(now);
    exchange(&mut client, now, &mut events);
    let summary = board
        .lock()
        .unwrap()
        .summary(6 * HOUR * 1000, 2 * HOUR * 1000);
    assert_eq!((summary.stale, summary.behind, summary.silent), (0, 1, 0));
    // A device that stops asking is silent after the period.
    let later = board
        .lock()
        .unwrap()
        .summary(10 * HOUR * 1000, 2 * HOUR * 1000);
    assert_eq!(later.silent, 1);
    assert!(gateway.stats.latest_requests >= 6);
}
