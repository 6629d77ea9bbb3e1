//! Shared by the real-MQTT tests: device runners on file storage, and a service (engine,
//! gateway) with one signed job for a fleet.
#![allow(dead_code, unreachable_pub, clippy::std_instead_of_core)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

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

pub const CAPACITY: u32 = 256 * 1024;
pub const HARDWARE: &str = "rev-a";
pub const STREAM: &str = "fw-2_0_0";

/// One device's life on `dir`: boot (the bootloader's reset), run until the runner asks for a
/// reset, and again, until the job ends. Returns the final exit and the versions booted.
pub async fn device(
    broker: String,
    root: &'static str,
    thing: &str,
    dir: &Path,
    trust: &'static TrustStore<{ ota_sim::trust::TRUST_KEYS }>,
) -> (Exit, Vec<Version>) {
    device_until(broker, root, thing, dir, trust, false).await
}

/// [`device`]; with `resume_after_cancel`, a job that ends cancelled (e.g. a forged job the
/// service does not know) does not end the device's life: the runner starts again, up to
/// 1,000 times.
pub async fn device_until(
    broker: String,
    root: &'static str,
    thing: &str,
    dir: &Path,
    trust: &'static TrustStore<{ ota_sim::trust::TRUST_KEYS }>,
    resume_after_cancel: bool,
) -> (Exit, Vec<Version>) {
    let fs = RealFs::new(dir);
    FileBoot::provision(fs.clone(), CAPACITY, b"factory 1.0.0", Some(0)).unwrap();
    let mut running = Version::new(1, 0, 0);
    let mut booted = Vec::new();
    let (mut boots, mut cancels) = (0u64, 0u32);
    let mut reset = true;
    while boots < 4 {
        let mut flags = FileBoot::open(fs.clone(), CAPACITY);
        if reset {
            flags.reset().unwrap();
            booted.push(running);
            boots += 1;
        }
        let boot = boots + u64::from(cancels);
        let name = ThingName::new(thing).unwrap();
        let mut config = Config::new(name, PRODUCT, HARDWARE, running);
        config.topic_root = root;
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
        let mut settings = MqttSettings::new(broker.as_str(), thing);
        settings.reconnect_min = Duration::from_millis(50);
        settings.reconnect_max = Duration::from_millis(500);
        let options = RunOptions {
            stop_after_job: true,
            seed: boot,
            ..RunOptions::default()
        };
        let exit = run(&mut client, &settings, &mut (), options).await.unwrap();
        reset = true;
        match exit {
            Exit::Activate => running = client.target_version().unwrap(),
            Exit::RollBack(_) => {}
            Exit::JobCanceled if resume_after_cancel && cancels < 1000 => {
                cancels += 1;
                reset = false;
            }
            other => return (other, booted),
        }
    }
    panic!("{thing}: more than four boots");
}

/// A service with `n` things and job `fw-2` (a signed 2.0.0 image of `size` bytes) for all of
/// them, its gateway connected to `host:port` under `root`.
pub struct Fleet {
    pub service: Arc<InMemory<SystemClock>>,
    pub gateway: MqttGateway,
    pub things: Vec<String>,
    pub keys: Keys,
    pub firmware: Arc<[u8]>,
    /// Devices start their runner again after a cancelled job (see [`device_until`]).
    pub resume_after_cancel: bool,
}

impl Fleet {
    pub async fn start(n: usize, size: u32, host: &str, port: u16, root: &str) -> Self {
        let binding = MqttBinding::new(host, port, "ota-gateway");
        Self::start_with(n, size, Gateway::new(root), binding).await
    }

    /// [`Fleet::start`] with this gateway (its limits, its topic root) on this connection.
    pub async fn start_with(n: usize, size: u32, gateway: Gateway, binding: MqttBinding) -> Self {
        let mut rng = SimRng::new(7);
        let keys = Keys::generate(&mut rng).unwrap();
        let firmware = image(size, "2.0.0", &mut rng);
        let document = keys
            .document(&firmware, &Version::new(2, 0, 0), 1, HARDWARE, None, STREAM)
            .unwrap();
        let service = Arc::new(InMemory::new(SystemClock, Settings::default()));
        let things: Vec<String> = (0..n).map(|i| format!("linux-{i}")).collect();
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
        let gateway = MqttGateway::start(Arc::clone(&service), streams, gateway, binding);
        assert!(gateway.wait_subscribed(Duration::from_secs(10)).await);
        Self {
            service,
            gateway,
            things,
            keys,
            firmware,
            resume_after_cancel: false,
        }
    }

    /// Run every device to the end of its job (each in a temporary directory), and check
    /// that each committed the new image and the service agrees.
    pub async fn update_all(&self, broker: &str, root: &'static str, limit: Duration) {
        let dirs: Vec<_> = self
            .things
            .iter()
            .map(|_| tempfile::tempdir().unwrap())
            .collect();
        let runs: Vec<_> = self
            .things
            .iter()
            .zip(&dirs)
            .map(|(thing, dir)| {
                let (thing, dir, trust) =
                    (thing.clone(), dir.path().to_path_buf(), self.keys.trust);
                let broker = broker.to_string();
                let resume = self.resume_after_cancel;
                tokio::spawn(async move {
                    device_until(broker, root, &thing, &dir, trust, resume).await
                })
            })
            .collect();
        let mut finished = Vec::new();
        for run in runs {
            let outcome = tokio::time::timeout(limit, run)
                .await
                .expect("every device finishes in time")
                .unwrap();
            finished.push(outcome);
        }
        for ((exit, booted), (thing, dir)) in finished.iter().zip(self.things.iter().zip(&dirs)) {
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
            let active = std::fs::read(boot.active_image_path().unwrap()).unwrap();
            assert_eq!(
                &active[..self.firmware.len()],
                &self.firmware[..],
                "{thing}"
            );
            let execution = self
                .service
                .engine()
                .describe_job_execution("fw-2", thing, None)
                .unwrap();
            assert_eq!(execution.status, JobExecutionStatus::Succeeded, "{thing}");
        }
    }
}
