//! The real transport end to end, with nothing installed: an embedded rumqttd broker on
//! loopback, `ota-cloud`'s gateway on it (`gateway::mqtt`), and device runners
//! (`ota_device::runner`) on power-safe file storage in temporary directories, each taking
//! a signed update from notification to a committed image over real MQTT connections.
#![allow(clippy::std_instead_of_core)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ota_cloud::broker::{EMBEDDED_TOPIC_ROOT, EmbeddedBroker};
use ota_cloud::gateway::mqtt::{MqttBinding, MqttGateway};
use ota_cloud::gateway::{Gateway, MemoryStreams};
use ota_cloud::jobs::model::{JobSpec, Target};
use ota_cloud::{InMemory, Settings, SystemClock};
use ota_core::crypto::TrustStore;
use ota_core::jobs::{JobExecutionStatus, ThingName};
use ota_core::version::Version;
use ota_device::runner::{Exit, MqttSettings, RunOptions, run};
use ota_device::storage::files::{FileBoot, FileSlot, FileStateStore, RealFs};
use ota_device::{Buffers, Client, Config};
use ota_sim::release::{Keys, PRODUCT, image};
use ota_sim::rng::SimRng;

const CAPACITY: u32 = 256 * 1024;
const HARDWARE: &str = "rev-a";
const STREAM: &str = "fw-2_0_0";

/// One device's life on `dir`: boot (the bootloader's reset), run until the runner asks for a
/// reset, and again, until the job ends. Returns the final exit and the versions booted.
async fn device(
    broker: SocketAddr,
    thing: &str,
    dir: &Path,
    trust: &'static TrustStore<1>,
) -> (Exit, Vec<Version>) {
    let fs = RealFs::new(dir);
    FileBoot::provision(fs.clone(), CAPACITY, b"factory 1.0.0", Some(0)).unwrap();
    let mut running = Version::new(1, 0, 0);
    let mut booted = Vec::new();
    for boot in 0..4u64 {
        let mut flags = FileBoot::open(fs.clone(), CAPACITY);
        flags.reset().unwrap();
        booted.push(running);
        let name = ThingName::new(thing).unwrap();
        let mut config = Config::new(name, PRODUCT, HARDWARE, running);
        config.topic_root = EMBEDDED_TOPIC_ROOT;
        config.block_size = 4096;
        config.random_seed = boot + 1;
        let (mut scratch, mut url) = (vec![0u8; 8192], vec![0u8; 2048]);
        let buffers = Buffers {
            scratch: &mut scratch,
            url: &mut url,
        };
        let slot = FileSlot::new(flags);
        let store = FileStateStore::new(fs.clone());
        let mut client = Client::new(config, trust, slot, store, buffers).unwrap();
        let mut settings = MqttSettings::new(format!("mqtt://{broker}"), thing);
        settings.reconnect_min = Duration::from_millis(50);
        settings.reconnect_max = Duration::from_millis(500);
        let options = RunOptions {
            stop_after_job: true,
            seed: boot,
            ..RunOptions::default()
        };
        let exit = run(&mut client, &settings, &mut (), options).await.unwrap();
        match exit {
            Exit::Activate => running = client.target_version().unwrap(),
            Exit::RollBack(_) => {}
            other => return (other, booted),
        }
    }
    panic!("{thing}: more than four boots");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_update_over_an_embedded_broker() {
    let broker = EmbeddedBroker::start("127.0.0.1:0".parse().unwrap(), 64).unwrap();
    let mut rng = SimRng::new(7);
    let keys = Keys::generate(&mut rng).unwrap();
    let firmware = image(100_000, "2.0.0", &mut rng);
    let document = keys
        .document(&firmware, &Version::new(2, 0, 0), 1, HARDWARE, None, STREAM)
        .unwrap();

    let service = Arc::new(InMemory::new(SystemClock, Settings::default()));
    let things: Vec<String> = (0..4).map(|i| format!("linux-{i}")).collect();
    {
        let mut engine = service.engine();
        for thing in &things {
            engine.create_thing(thing, &[]).unwrap();
        }
        let targets = things.iter().map(|t| Target::Thing(t.clone())).collect();
        engine
            .create_job(JobSpec::new("fw-2", targets, document))
            .unwrap();
    }
    let mut streams = MemoryStreams::new();
    streams.add_file(STREAM, 0, firmware.clone());
    let addr = broker.addr();
    let binding = MqttBinding::new(&addr.ip().to_string(), addr.port(), "ota-gateway");
    let gateway = MqttGateway::start(
        Arc::clone(&service),
        streams,
        Gateway::new(EMBEDDED_TOPIC_ROOT),
        binding,
    );
    assert!(gateway.wait_subscribed(Duration::from_secs(10)).await);

    let dirs: Vec<_> = things
        .iter()
        .map(|_| tempfile::tempdir().unwrap())
        .collect();
    let runs = things.iter().zip(&dirs).map(|(thing, dir)| {
        let (thing, dir, trust) = (thing.clone(), dir.path().to_path_buf(), keys.trust);
        tokio::spawn(async move { device(addr, &thing, &dir, trust).await })
    });
    let mut finished = Vec::new();
    for run in runs.collect::<Vec<_>>() {
        let outcome = tokio::time::timeout(Duration::from_secs(120), run)
            .await
            .expect("a device finishes within two minutes")
            .unwrap();
        finished.push(outcome);
    }
    for ((exit, booted), (thing, dir)) in finished.iter().zip(things.iter().zip(&dirs)) {
        assert_eq!(
            *exit,
            Exit::JobFinished {
                status: JobExecutionStatus::Succeeded,
                reason: None
            },
            "{thing}"
        );
        assert_eq!(
            booted,
            &[Version::new(1, 0, 0), Version::new(2, 0, 0)],
            "{thing}"
        );
        let boot = FileBoot::open(RealFs::new(dir.path()), CAPACITY);
        let path = boot.active_image_path().unwrap();
        let active = std::fs::read(path).unwrap();
        assert_eq!(
            &active[..firmware.len()],
            &firmware[..],
            "{thing} runs the new image"
        );
        let execution = service
            .engine()
            .describe_job_execution("fw-2", thing, None)
            .unwrap();
        assert_eq!(execution.status, JobExecutionStatus::Succeeded, "{thing}");
    }
    let stats = gateway.stats();
    assert!(stats.gateway.blocks >= (things.len() * firmware.len() / 4096) as u64);
    assert_eq!(stats.shed, 0);
    assert!(stats.notifications >= things.len() as u64);
}
