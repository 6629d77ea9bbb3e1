//! A test world: one simulated device (dual-bank flash, bootloader, state store, power
//! supply), a client on it, and a scripted one-job service, with explicit time.
#![allow(dead_code, unreachable_pub, clippy::std_instead_of_core)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ota_core::crypto::{Algorithm, PublicKey, TrustStore, TrustedKey};
use ota_core::jobs::{JobExecutionStatus, JobId, ThingName};
use ota_core::streams::Format;
use ota_core::time::{Duration, Instant};
use ota_core::trust::Root;
use ota_core::version::Version;
use ota_device::peer::{ScriptedPeer, ServedJob};
use ota_device::storage::BootState;
use ota_device::storage::testing::{MemStateStore, PowerCut, SimBootloader, SimSlot};
use ota_device::trust::{RootSource, Rotation, Trust, load_root};
use ota_device::{Buffers, Client, Config, Event, MIN_TRANSMIT_LEN};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};

pub const THING: &str = "dev-1";
pub const JOB: &str = "fw-job-1";
pub const STREAM: &str = "fw-stream";
pub const PRODUCT: &str = "acme";
pub const HARDWARE: &str = "rev-b";
pub const CAPACITY: usize = 64 * 1024;

/// Decides, for the n-th message with this topic and payload, whether it is lost.
pub type Filter = Box<dyn FnMut(usize, &str, &[u8]) -> bool>;

pub type TestClient = Client<'static, SimSlot, MemStateStore, 2, Trust<'static, 2>>;

pub fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

pub fn leak<T>(value: T) -> &'static mut T {
    Box::leak(Box::new(value))
}

pub fn leak_str(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// A peer serving job `job_id` for [`THING`] with `document` and a copy of `image` (both
/// leaked, for the test's life) on [`STREAM`] in `format`.
pub fn serve(
    job_id: &'static str,
    document: String,
    image: &[u8],
    format: Format,
) -> ScriptedPeer<'static> {
    ScriptedPeer::new(ServedJob {
        thing: ThingName::new(THING).unwrap(),
        job_id: JobId::new(job_id).unwrap(),
        document: leak_str(document),
        image: Box::leak(image.to_vec().into_boxed_slice()),
        stream: STREAM,
        format,
    })
}

/// A deterministic image of `len` bytes.
pub fn image(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3] ^ seed)
        .collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", ota_core::crypto::Digest::sha256(bytes))
}

/// The release signer and the trust store holding its key.
pub struct Signer {
    pub key: SigningKey,
    pub trust: &'static TrustStore<2>,
    pub key_id: String,
}

impl Signer {
    pub fn new(seed: u8) -> Self {
        let key = SigningKey::from_slice(&[seed; 32]).unwrap();
        let point = key.verifying_key().to_sec1_point(false);
        let trusted = TrustedKey::new(
            PublicKey::from_sec1(point.as_bytes()).unwrap(),
            Algorithm::EcdsaP256Sha256,
        )
        .unwrap();
        let key_id = trusted.key_id().to_string();
        let mut store = TrustStore::new();
        store.add(trusted).unwrap();
        Self {
            key,
            trust: leak(store),
            key_id,
        }
    }

    pub fn sign(&self, bytes: &[u8]) -> String {
        let sig: Signature = self.key.sign(bytes);
        STANDARD.encode(sig.to_der().as_bytes())
    }

    /// Our signed-manifest document for `image` at `version`.
    pub fn firmware_doc(&self, image: &[u8], version: &str, counter: u32, extra: &str) -> String {
        let manifest = format!(
            r#"{{"product":"{PRODUCT}","hardware":"{HARDWARE}","fileId":0,"version":"{version}","securityCounter":{counter},"size":{},"sha256":"{}"{extra}}}"#,
            image.len(),
            sha256_hex(image)
        );
        self.firmware_doc_for_manifest(&manifest, version)
    }

    /// Our document for `image`, fetched over HTTP only.
    pub fn firmware_doc_http(&self, image: &[u8], version: &str) -> String {
        self.firmware_doc(image, version, 1, "").replace(
            &format!(r#""stream":"{STREAM}","fileId":0"#),
            r#""url":"https://example.com/fw.bin""#,
        )
    }

    pub fn firmware_doc_for_manifest(&self, manifest: &str, version: &str) -> String {
        self.cosigned_doc_for_manifest(manifest, version, &[])
    }

    /// [`Signer::firmware_doc`] with `cosigners`' signatures over the same manifest.
    pub fn firmware_doc_cosigned(
        &self,
        image: &[u8],
        version: &str,
        cosigners: &[&Self],
    ) -> String {
        let manifest = format!(
            r#"{{"product":"{PRODUCT}","hardware":"{HARDWARE}","fileId":0,"version":"{version}","securityCounter":1,"size":{},"sha256":"{}"}}"#,
            image.len(),
            sha256_hex(image)
        );
        self.cosigned_doc_for_manifest(&manifest, version, cosigners)
    }

    fn cosigned_doc_for_manifest(
        &self,
        manifest: &str,
        version: &str,
        cosigners: &[&Self],
    ) -> String {
        let entries: Vec<String> = cosigners
            .iter()
            .map(|c| {
                format!(
                    r#"{{"keyId":"{}","signature":"{}"}}"#,
                    c.key_id,
                    c.sign(manifest.as_bytes())
                )
            })
            .collect();
        let cosignatures = if entries.is_empty() {
            String::new()
        } else {
            format!(r#","cosignatures":[{}]"#, entries.join(","))
        };
        format!(
            r#"{{"operation":"firmware_update","firmware":{{"manifest":"{}","signature":"{}","keyId":"{}"{cosignatures},"version":"{version}","stream":"{STREAM}","fileId":0}}}}"#,
            STANDARD.encode(manifest),
            self.sign(manifest.as_bytes()),
            self.key_id
        )
    }

    /// A store trusting this signer's key and `other`'s, needing both.
    pub fn both_needed(&self, other: &Self) -> &'static TrustStore<2> {
        let mut store = self.trust.clone();
        for key in other.trust.iter() {
            store.add(key.clone()).unwrap();
        }
        store.set_threshold(2).unwrap();
        leak(store)
    }

    /// An AWS `afr_ota` document for `image` offering HTTP only.
    pub fn afr_doc_http(&self, image: &[u8]) -> String {
        format!(
            r#"{{"afr_ota":{{"protocols":["HTTP"],"files":[{{"filepath":"/fw","filesize":{},"fileid":0,"certfile":null,"update_data_url":"https://s3.example.com/fw?X-Amz-Signature=1","auth_scheme":"aws.s3.presigned","sig-sha256-ecdsa":"{}"}}]}}}}"#,
            image.len(),
            self.sign(image)
        )
    }

    /// An AWS `afr_ota` document for `image`, signed over the file.
    pub fn afr_doc(&self, image: &[u8], file_type: u8) -> String {
        format!(
            r#"{{"afr_ota":{{"protocols":["MQTT"],"streamname":"{STREAM}","files":[{{"filepath":"/fw","filesize":{},"fileid":0,"certfile":"code-sign","fileType":{file_type},"sig-sha256-ecdsa":"{}"}}]}}}}"#,
            image.len(),
            self.sign(image)
        )
    }
}

impl Signer {
    /// This signer's key as a root statement lists it.
    pub fn root_key_json(&self) -> String {
        let point = self.key.verifying_key().to_sec1_point(false);
        format!(
            r#"{{"algorithm":"ecdsa-p256-sha256","key":"{}"}}"#,
            STANDARD.encode(point.as_bytes())
        )
    }
}

/// A store of `signers`' keys needing `threshold` of them.
pub fn store_of(signers: &[&Signer], threshold: u8) -> TrustStore<2> {
    let mut store = TrustStore::new();
    for signer in signers {
        for key in signer.trust.iter() {
            store.add(key.clone()).unwrap();
        }
    }
    store.set_threshold(threshold).unwrap();
    store
}

/// A root statement of `version` for the test product.
pub fn root_statement(
    version: u32,
    (root, root_threshold): (&[&Signer], u8),
    (release, release_threshold): (&[&Signer], u8),
) -> String {
    let role = |keys: &[&Signer], threshold: u8| {
        let keys: Vec<String> = keys.iter().map(|k| k.root_key_json()).collect();
        format!(r#"{{"threshold":{threshold},"keys":[{}]}}"#, keys.join(","))
    };
    format!(
        r#"{{"type":"root","product":"{PRODUCT}","version":{version},"root":{},"release":{}}}"#,
        role(root, root_threshold),
        role(release, release_threshold)
    )
}

/// A trust-update document for `statement`, signed by `signers` in order (the first as
/// `signature`, the others as cosignatures).
pub fn trust_doc(statement: &str, signers: &[&Signer]) -> String {
    signed_doc("trust_update", "trust", "root", statement, signers)
}

/// A floor-reset document for `statement`, signed like [`trust_doc`].
pub fn reset_doc(statement: &str, signers: &[&Signer]) -> String {
    signed_doc("floor_reset", "reset", "statement", statement, signers)
}

/// `{"operation":OPERATION,"OBJECT":{"MEMBER":<statement>, signatures…}}`.
fn signed_doc(
    operation: &str,
    object: &str,
    member: &str,
    statement: &str,
    signers: &[&Signer],
) -> String {
    let rest: Vec<String> = signers[1..]
        .iter()
        .map(|s| {
            format!(
                r#"{{"keyId":"{}","signature":"{}"}}"#,
                s.key_id,
                s.sign(statement.as_bytes())
            )
        })
        .collect();
    let cosignatures = if rest.is_empty() {
        String::new()
    } else {
        format!(r#","cosignatures":[{}]"#, rest.join(","))
    };
    format!(
        r#"{{"operation":"{operation}","{object}":{{"{member}":"{}","signature":"{}","keyId":"{}"{cosignatures}}}}}"#,
        STANDARD.encode(statement),
        signers[0].sign(statement.as_bytes()),
        signers[0].key_id
    )
}

/// What the application does when the client asks for a self-test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelfTest {
    Pass,
    Fail,
    /// Never answer (the client's self-test timer fires).
    Hang,
}

/// The whole world of one test.
pub struct World {
    pub boot: SimBootloader,
    pub store: MemStateStore,
    pub power: PowerCut,
    pub old_image: Vec<u8>,
    pub new_image: Vec<u8>,
    pub old_version: Version,
    pub new_version: Version,
    pub signer: Signer,
    pub config: Config<'static>,
    pub client: Option<TestClient>,
    pub peer: ScriptedPeer<'static>,
    pub now: Instant,
    pub events: Vec<Event>,
    /// Every publish of the client, in order.
    pub sent: Vec<(String, Vec<u8>)>,
    /// Drop the n-th client publish (counting from 0) when it returns true.
    pub drop_publish: Filter,
    /// Drop the n-th peer message when it returns true.
    pub drop_delivery: Filter,
    pub deliveries: usize,
    pub self_test: SelfTest,
    pub reboots: u32,
    /// Clients started so far; each boot gets its own seed, as firmware draws one at boot.
    pub boots: u64,
    /// `DownloadStarted { from_byte }` of every start.
    pub download_starts: Vec<u32>,
    /// The ids of the custom jobs `handle_message` handed over.
    pub custom_jobs: Vec<String>,
    /// The most events one call (`Client::new` or one `handle_*`) left to drain.
    pub most_events_per_call: usize,
    /// A rotating trust root (see [`World::rotate_trust`]); fixed keys when `None`.
    pub rotation: Option<RotationRig>,
    /// Where each boot took its root from.
    pub root_sources: Vec<RootSource>,
}

/// A device whose keys rotate: the root its firmware was built with, and the record store
/// the rotated root is kept in (on the world's power).
pub struct RotationRig {
    pub built_in: Root<2>,
    pub store: MemStateStore,
}

impl World {
    /// A device running `old` (v1.0.0) with a job for `new` (v1.1.0) described by `document`
    /// (built from the signer), over `format` streams.
    pub fn new(document: impl FnOnce(&Signer, &[u8]) -> String, power: PowerCut) -> Self {
        Self::with(document, power, Format::Cbor, |_| {})
    }

    pub fn with(
        document: impl FnOnce(&Signer, &[u8]) -> String,
        power: PowerCut,
        format: Format,
        tweak: impl FnOnce(&mut Config<'static>),
    ) -> Self {
        Self::build(document, power, format, tweak, 9_000)
    }

    /// [`World::with`] with a new image of `new_len` bytes.
    pub fn build(
        document: impl FnOnce(&Signer, &[u8]) -> String,
        power: PowerCut,
        format: Format,
        tweak: impl FnOnce(&mut Config<'static>),
        new_len: usize,
    ) -> Self {
        let old_image = image(20_000, 0x11);
        let new_image = image(new_len, 0x77);
        let signer = Signer::new(7);
        let peer = serve(JOB, document(&signer, &new_image), &new_image, format);
        let thing = ThingName::new(THING).unwrap();
        let boot = SimBootloader::new(CAPACITY, &old_image, power.clone());
        let store = MemStateStore::new(power.clone());
        let mut config = Config::new(thing, PRODUCT, HARDWARE, v("1.0.0"));
        config.stream_format = format;
        config.block_size = 1024;
        config.blocks_per_request = 4;
        config.persist_every_blocks = 2;
        config.progress_every_blocks = 4;
        config.self_test_timeout = Duration::from_secs(60);
        tweak(&mut config);
        let mut world = Self {
            boot,
            store,
            power,
            old_image,
            new_image,
            old_version: v("1.0.0"),
            new_version: v("1.1.0"),
            signer,
            config,
            client: None,
            peer,
            now: Instant::from_secs(1000),
            events: Vec::new(),
            sent: Vec::new(),
            drop_publish: Box::new(|_, _, _| false),
            drop_delivery: Box::new(|_, _, _| false),
            deliveries: 0,
            self_test: SelfTest::Pass,
            reboots: 0,
            boots: 0,
            download_starts: Vec::new(),
            custom_jobs: Vec::new(),
            most_events_per_call: 0,
            rotation: None,
            root_sources: Vec::new(),
        };
        world
            .start_client()
            .expect("client starts on a fresh device");
        world
    }

    /// The version of whatever image the bootloader runs now.
    pub fn running_version(&self) -> Version {
        let active = self.boot.active_image();
        if active.starts_with(&self.new_image) {
            self.new_version
        } else {
            self.old_version
        }
    }

    /// Build the client for the running image (as firmware does at boot).
    pub fn start_client(&mut self) -> Result<(), ota_device::Error> {
        let mut config = self.config;
        config.running_version = self.running_version();
        config.random_seed = self.config.random_seed ^ (self.boots << 40);
        // As firmware does: the running bank's manifest trailer, memory-mapped.
        config.running_trailer = Box::leak(self.boot.running_trailer().into_boxed_slice());
        self.boots += 1;
        let buffers = Buffers {
            scratch: Box::leak(
                vec![0u8; 4096.max(self.config.block_size as usize)].into_boxed_slice(),
            ),
            url: Box::leak(vec![0u8; 256].into_boxed_slice()),
        };
        let store = self.store.reopen();
        let trust: Trust<'static, 2> = match &self.rotation {
            // As firmware does at boot: the stored root, or the built-in one.
            Some(rig) => {
                let mut trust_store = rig.store.reopen();
                let (root, source) = load_root(&mut trust_store, rig.built_in.clone())?;
                self.root_sources.push(source);
                Rotation::new(Box::leak(Box::new(root)), Box::leak(Box::new(trust_store))).into()
            }
            None => self.signer.trust.into(),
        };
        self.client = Some(Client::new(
            config,
            trust,
            self.boot.slot(),
            store,
            buffers,
        )?);
        self.drain_events();
        Ok(())
    }

    /// From the next start on, the device's keys rotate, starting from `built_in`; the
    /// client is restarted now (call before anything was delivered).
    pub fn rotate_trust(&mut self, built_in: Root<2>) {
        self.rotation = Some(RotationRig {
            built_in,
            store: MemStateStore::new(self.power.clone()),
        });
        self.start_client()
            .expect("client starts with a rotating root");
    }

    /// Hand the client a message as if the service had sent it, and take its events.
    pub fn deliver(&mut self, topic: &str, payload: &[u8]) -> Result<(), ota_device::Error> {
        let now = self.now;
        let result = self.client().handle_message(now, topic, payload).map(drop);
        self.drain_events();
        self.pump();
        result
    }

    /// The root the running client holds.
    pub fn root_version(&self) -> Option<u32> {
        self.client.as_ref()?.trust_root().map(Root::version)
    }

    pub fn client(&mut self) -> &mut TestClient {
        self.client.as_mut().expect("client running")
    }

    /// Reset the device: the bootloader runs, then a new client starts and connects.
    pub fn reboot(&mut self) {
        self.reboots += 1;
        self.client = None;
        if self.power.is_cut() {
            // The power comes back for good; a planned reset keeps any cut still armed.
            self.power.restore();
        }
        if self.boot.reset().is_err() || self.start_client().is_err() {
            // The armed cut hit the bootloader's flag write or the client's start: the power
            // is off again; the caller resets once more.
            assert!(self.power.is_cut(), "reset failed with power on");
            return;
        }
        self.connect();
    }

    pub fn connect(&mut self) {
        let now = self.now;
        self.client().handle_connected(now);
        self.pump();
    }

    /// Connect, with the stream's deliveries held after the first few blocks: the download
    /// is in flight until [`World::deliver_everything`].
    pub fn connect_and_hold_the_download(&mut self) {
        self.drop_delivery = Box::new(|n, topic, _| topic.contains("/data/") && n > 4);
        self.connect();
    }

    /// Deliver every message from now on.
    pub fn deliver_everything(&mut self) {
        self.drop_delivery = Box::new(|_, _, _| false);
    }

    /// Take the events of the last call (the harness drains after every call).
    fn drain_events(&mut self) {
        let Some(client) = self.client.as_mut() else {
            return;
        };
        let before = self.events.len();
        while let Some(e) = client.poll_event() {
            if let Event::DownloadStarted { from_byte, .. } = e {
                self.download_starts.push(from_byte);
            }
            self.events.push(e);
        }
        let count = self.events.len() - before;
        self.most_events_per_call = self.most_events_per_call.max(count);
    }

    /// Hand every publish of the client to the peer (unless dropped), then take its events:
    /// what an application does after every call. False if nothing was published.
    fn flush_client(&mut self) -> bool {
        let mut moved = false;
        let mut buf = vec![0u8; MIN_TRANSMIT_LEN.max(2048)];
        while let Some(client) = self.client.as_mut() {
            let now = self.now;
            let Some(p) = client.poll_transmit(now, &mut buf) else {
                break;
            };
            moved = true;
            let (topic, payload) = (p.topic.to_string(), p.payload.to_vec());
            let index = self.sent.len();
            self.sent.push((topic.clone(), payload.clone()));
            if !(self.drop_publish)(index, &topic, &payload) {
                let _ = self.peer.handle_publish(&topic, &payload);
            }
        }
        self.drain_events();
        moved
    }

    /// Move messages both ways until nothing moves (no time passes).
    pub fn pump(&mut self) {
        for _ in 0..100_000 {
            if !self.pump_once() {
                return;
            }
        }
        panic!("message loop did not settle");
    }

    /// Send what the client has, then deliver at most one peer message; false if nothing
    /// moved.
    pub fn pump_once(&mut self) -> bool {
        // A device without power says nothing.
        if self.power.is_cut() {
            return false;
        }
        {
            let mut moved = self.flush_client();
            let mut buf = vec![0u8; 140 * 1024];
            while let Some((topic, payload)) = self.peer.poll_message(&mut buf) {
                moved = true;
                let (topic, payload) = (topic.to_string(), payload.to_vec());
                let index = self.deliveries;
                self.deliveries += 1;
                if (self.drop_delivery)(index, &topic, &payload) {
                    continue;
                }
                let now = self.now;
                if let Some(client) = self.client.as_mut()
                    && let Ok(Some(custom)) = client.handle_message(now, &topic, &payload)
                {
                    self.custom_jobs.push(custom.job_id.to_string());
                }
                self.drain_events();
                // Deliver one at a time so the client's replies interleave as on a network.
                break;
            }
            moved
        }
    }

    /// Let time pass to the client's next timer (at most `limit`); false if it has none.
    pub fn advance(&mut self, limit: Duration) -> bool {
        let Some(at) = self.client.as_ref().and_then(|c| c.poll_timeout()) else {
            return false;
        };
        if at > self.now + limit {
            return false;
        }
        self.now = self.now.max(at);
        let now = self.now;
        self.client().handle_timeout(now);
        self.pump();
        true
    }

    /// Act on events like an application: reboot when asked, answer self-tests. Returns true
    /// if it did something.
    fn react(&mut self, handled: &mut usize) -> bool {
        let mut acted = false;
        while *handled < self.events.len() {
            let event = self.events[*handled];
            *handled += 1;
            match event {
                Event::ActivateAndReboot | Event::RollBackAndReboot { .. } => {
                    self.reboot();
                    acted = true;
                }
                Event::FetchRange { offset, len } => {
                    // The application fetches the range and feeds it in uneven chunks.
                    let data = self.new_image[offset as usize..(offset + len) as usize].to_vec();
                    for chunk in data.chunks(700) {
                        let now = self.now;
                        let at = offset + (chunk.as_ptr() as usize - data.as_ptr() as usize) as u32;
                        let _ = self.client().handle_http_data(now, at, chunk);
                        self.flush_client();
                    }
                    self.pump();
                    acted = true;
                }
                Event::SelfTestRequired => match self.self_test {
                    SelfTest::Pass | SelfTest::Fail => {
                        let now = self.now;
                        let passed = self.self_test == SelfTest::Pass;
                        let _ = self.client().handle_self_test(now, passed);
                        self.pump();
                        acted = true;
                    }
                    SelfTest::Hang => {}
                },
                _ => {}
            }
        }
        acted
    }

    /// Run like a device would until the job is final and the client idle, or a step budget
    /// runs out. Power cuts (a storage op failing) are handled by the caller through
    /// `on_cut`: it is called when the power is found cut.
    pub fn drive(&mut self, max_steps: usize) {
        let mut handled = 0;
        for _ in 0..max_steps {
            self.pump();
            if self.power.is_cut() {
                return;
            }
            if self.react(&mut handled) {
                continue;
            }
            let done = self.peer.status().is_terminal()
                && self.client.as_ref().is_some_and(|c| c.is_idle());
            if done {
                return;
            }
            if !self.advance(Duration::from_secs(3600)) {
                return;
            }
        }
    }

    pub fn final_events(&self) -> Vec<Event> {
        self.events
            .iter()
            .copied()
            .filter(|e| matches!(e, Event::JobFinished { .. }))
            .collect()
    }

    pub fn statuses_sent(&self) -> Vec<String> {
        self.sent
            .iter()
            .filter(|(t, _)| t.ends_with("/update"))
            .map(|(_, p)| String::from_utf8_lossy(p).into_owned())
            .collect()
    }

    pub fn boot_state(&self) -> BootState {
        self.boot.state()
    }

    pub fn peer_status(&self) -> JobExecutionStatus {
        self.peer.status()
    }
}
