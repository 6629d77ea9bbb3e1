//! A whole update through the real client over the file-backed storage
//! (`ota_device::storage::files`): `FileSlot` and `FileStateStore` on `CrashFs`, with a power
//! cut after every mutating filesystem operation of a clean run, each followed by a crash (the
//! durable state only, or torn: seeded unsynced changes half-kept), a bootloader reset
//! (`FileBoot::reset`) and a new client; and on `RealFs` in a temporary directory, a clean
//! update with a restart in the middle.
//!
//! Checked at every cut point: every boot runs the old image or the complete new one, a
//! pending mark after a crash always names a complete new image (the client never activates
//! an image it did not verify), and the job ends `SUCCEEDED` on the new image, committed, or
//! `FAILED` on the old one, with the client idle.
#![allow(clippy::std_instead_of_core)]

mod common;

use common::{HARDWARE, JOB, PRODUCT, STREAM, Signer, THING, image, leak, leak_str, v};
use ota_core::jobs::{JobExecutionStatus, JobId, ThingName};
use ota_core::streams::Format;
use ota_core::time::{Duration, Instant};
use ota_core::version::Version;
use ota_device::peer::{ScriptedPeer, ServedJob};
use ota_device::storage::files::testing::CrashFs;
use ota_device::storage::files::{Bank, FileBoot, FileSlot, FileStateStore, Fs, RealFs};
use ota_device::storage::{BootControl, BootState};
use ota_device::{Buffers, Client, Config, Event, MIN_TRANSMIT_LEN, Reason};

const CAPACITY: u32 = 64 * 1024;
const IMAGE_LEN: usize = 40_000;

/// A filesystem the rig runs on: whether its power is cut.
trait Disk: Fs + Clone + 'static {
    fn is_cut(&self) -> bool;
}

impl Disk for CrashFs {
    fn is_cut(&self) -> bool {
        Self::is_cut(self)
    }
}

impl Disk for RealFs {
    fn is_cut(&self) -> bool {
        false
    }
}

type FileClient<F> = Client<'static, FileSlot<F>, FileStateStore<F>, 2>;

/// One device on files, its client, and the scripted service, with explicit time.
struct Rig<F: Disk> {
    fs: F,
    old_image: Vec<u8>,
    new_image: Vec<u8>,
    signer: Signer,
    config: Config<'static>,
    peer: ScriptedPeer<'static>,
    client: Option<FileClient<F>>,
    now: Instant,
    events: Vec<Event>,
    handled: usize,
    boots: u64,
    /// Drop the stream's data messages after this many deliveries (a stalled download).
    hold_data_after: Option<usize>,
    deliveries: usize,
    /// `from_byte` of every `DownloadStarted`.
    download_starts: Vec<u32>,
}

impl<F: Disk> Rig<F> {
    /// A device provisioned in `fs` with the old image (v1.0.0, security counter 0), a job
    /// for the new one (v1.1.0), and a client started on it (not connected).
    fn new(fs: F) -> Self {
        let old_image = image(20_000, 0x11);
        let new_image = image(IMAGE_LEN, 0x77);
        FileBoot::provision(fs.clone(), CAPACITY, &old_image, Some(0)).unwrap();
        let signer = Signer::new(7);
        let doc = leak_str(signer.firmware_doc(&new_image, "1.1.0", 1, ""));
        let thing = ThingName::new(THING).unwrap();
        let peer_image: &'static [u8] = leak(new_image.clone());
        let peer = ScriptedPeer::new(ServedJob {
            thing,
            job_id: JobId::new(JOB).unwrap(),
            document: doc,
            image: peer_image,
            stream: STREAM,
            format: Format::Cbor,
        });
        let mut config = Config::new(thing, PRODUCT, HARDWARE, v("1.0.0"));
        config.block_size = 1024;
        config.blocks_per_request = 4;
        config.persist_every_blocks = 2;
        config.progress_every_blocks = 4;
        config.self_test_timeout = Duration::from_secs(60);
        let mut rig = Self {
            fs,
            old_image,
            new_image,
            signer,
            config,
            peer,
            client: None,
            now: Instant::from_secs(1000),
            events: Vec::new(),
            handled: 0,
            boots: 0,
            hold_data_after: None,
            deliveries: 0,
            download_starts: Vec::new(),
        };
        rig.start_client()
            .expect("the client starts on a fresh device");
        rig
    }

    fn boot_flags(&self) -> FileBoot<F> {
        FileBoot::open(self.fs.clone(), CAPACITY)
    }

    /// The whole content of `bank`.
    fn bank(&self, bank: Bank) -> Vec<u8> {
        let mut data = vec![0; CAPACITY as usize];
        self.boot_flags().read_bank(bank, 0, &mut data).unwrap();
        data
    }

    fn active_image(&self) -> Vec<u8> {
        self.bank(self.boot_flags().active_bank().unwrap())
    }

    fn running_version(&self) -> Version {
        if self.active_image().starts_with(&self.new_image) {
            v("1.1.0")
        } else {
            v("1.0.0")
        }
    }

    /// Start a client on the running image, as the image's `main` does.
    fn start_client(&mut self) -> Result<(), String> {
        let boot = self.boot_flags();
        let mut config = self.config;
        config.running_version = self.running_version();
        config.random_seed ^= self.boots << 40;
        let trailer = boot.running_trailer().map_err(|e| e.to_string())?;
        config.running_trailer = leak(trailer);
        self.boots += 1;
        let buffers = Buffers {
            scratch: leak(vec![0u8; 4096]),
            url: leak(vec![0u8; 256]),
        };
        let store = FileStateStore::new(self.fs.clone());
        let slot = FileSlot::new(boot);
        let trust = self.signer.trust;
        let client = Client::new(config, trust, slot, store, buffers).map_err(|e| e.to_string())?;
        self.client = Some(client);
        self.drain_events();
        Ok(())
    }

    /// The runner starting: the bootloader's reset, then the image's client, which connects.
    /// False if the power failed in the middle.
    fn boot(&mut self) -> bool {
        self.client = None;
        let state = match self.boot_flags().reset() {
            Ok(state) => state,
            Err(e) => {
                assert!(self.fs.is_cut(), "reset failed with power on: {e:?}");
                return false;
            }
        };
        self.check_running(state);
        if let Err(e) = self.start_client() {
            assert!(self.fs.is_cut(), "the client failed to start: {e}");
            return false;
        }
        self.connect();
        true
    }

    /// What runs after a reset is the old image or the complete new one, never pending.
    fn check_running(&self, state: BootState) {
        let running = self.active_image();
        let new = running.starts_with(&self.new_image);
        assert!(
            new || running.starts_with(&self.old_image),
            "{state:?}: runs neither the old nor the complete new image"
        );
        match state {
            BootState::Trial => assert!(new, "on trial but not the new image"),
            BootState::RolledBack => assert!(!new, "rolled back to the new image"),
            BootState::Normal => {}
            BootState::Pending => panic!("pending after a reset"),
        }
    }

    fn connect(&mut self) {
        let now = self.now;
        if let Some(client) = self.client.as_mut() {
            client.handle_connected(now);
        }
        self.pump();
    }

    fn drain_events(&mut self) {
        let Some(client) = self.client.as_mut() else {
            return;
        };
        while let Some(event) = client.poll_event() {
            if let Event::DownloadStarted { from_byte, .. } = event {
                self.download_starts.push(from_byte);
            }
            self.events.push(event);
        }
    }

    /// Hand the client's publishes to the service, then deliver at most one of its messages;
    /// false if nothing moved. A device without power says nothing.
    fn pump_once(&mut self) -> bool {
        if self.fs.is_cut() {
            return false;
        }
        let mut moved = false;
        let mut buf = vec![0u8; MIN_TRANSMIT_LEN.max(2048)];
        while let Some(client) = self.client.as_mut() {
            let Some(p) = client.poll_transmit(self.now, &mut buf) else {
                break;
            };
            moved = true;
            let (topic, payload) = (p.topic.to_string(), p.payload.to_vec());
            let _ = self.peer.handle_publish(&topic, &payload);
        }
        self.drain_events();
        let mut buf = vec![0u8; 140 * 1024];
        if let Some((topic, payload)) = self.peer.poll_message(&mut buf) {
            self.deliveries += 1;
            let held = self
                .hold_data_after
                .is_some_and(|n| topic.contains("/data/") && self.deliveries > n);
            if let (false, Some(client)) = (held, self.client.as_mut()) {
                let _ = client.handle_message(self.now, topic, payload);
            }
            self.drain_events();
            moved = true;
        }
        moved
    }

    fn pump(&mut self) {
        for _ in 0..100_000 {
            if !self.pump_once() {
                return;
            }
        }
        panic!("the message loop did not settle");
    }

    /// Act on the events like an application: reboot when asked, pass self-tests.
    fn react(&mut self) -> bool {
        let mut acted = false;
        while self.handled < self.events.len() && !self.fs.is_cut() {
            let event = self.events[self.handled];
            self.handled += 1;
            match event {
                Event::ActivateAndReboot | Event::RollBackAndReboot { .. } => {
                    // A clean restart of the process: nothing is lost.
                    self.boot();
                    acted = true;
                }
                Event::SelfTestRequired => {
                    let now = self.now;
                    if let Some(client) = self.client.as_mut() {
                        let _ = client.handle_self_test(now, true);
                    }
                    self.drain_events();
                    self.pump();
                    acted = true;
                }
                _ => {}
            }
        }
        acted
    }

    /// Let time pass to the client's next timer, if it has one within an hour.
    fn advance(&mut self) -> bool {
        let Some(at) = self.client.as_ref().and_then(|c| c.poll_timeout()) else {
            return false;
        };
        if at > self.now + Duration::from_secs(3600) {
            return false;
        }
        self.now = self.now.max(at);
        let now = self.now;
        if let Some(client) = self.client.as_mut() {
            client.handle_timeout(now);
        }
        self.drain_events();
        self.pump();
        true
    }

    /// Run like a device until the job is final and the client idle, the power is cut, or
    /// nothing is left to do.
    fn drive(&mut self) {
        for _ in 0..10_000 {
            self.pump();
            if self.fs.is_cut() {
                return;
            }
            if self.react() {
                continue;
            }
            let idle = self.client.as_ref().is_some_and(|c| c.is_idle());
            if (self.peer.status().is_terminal() && idle) || !self.advance() {
                return;
            }
        }
    }

    /// The end of a run: a final status, acknowledged, matching what runs.
    fn check_final(&mut self) -> JobExecutionStatus {
        let status = self.peer.status();
        let running = self.active_image();
        let state = self.boot_flags().boot_state().unwrap();
        match status {
            JobExecutionStatus::Succeeded => {
                assert!(running.starts_with(&self.new_image), "SUCCEEDED, old image");
                assert_eq!(state, BootState::Normal, "SUCCEEDED but not committed");
            }
            JobExecutionStatus::Failed => {
                assert!(running.starts_with(&self.old_image), "FAILED, new image");
                assert_ne!(state, BootState::Trial);
            }
            other => panic!("ended {other:?}"),
        }
        assert!(self.client.as_ref().is_some_and(|c| c.is_idle()));
        let finished = |e: &Event| matches!(e, Event::JobFinished { .. });
        assert!(
            self.events.iter().any(finished),
            "the final status was acknowledged"
        );
        status
    }
}

impl Rig<CrashFs> {
    /// The power loss: keep what the filesystem made durable (torn with `seed`), and check
    /// that a pending mark names a complete image.
    fn crash(&mut self, seed: Option<u64>) {
        self.client = None;
        self.fs = match seed {
            None => self.fs.crash(),
            Some(seed) => self.fs.crash_torn(seed),
        };
        let mut boot = self.boot_flags();
        let state = boot.boot_state().expect("the flags survive every crash");
        if state == BootState::Pending {
            let bank = boot.active_bank().unwrap().other();
            assert!(
                self.bank(bank).starts_with(&self.new_image),
                "marked pending an image that is not the complete new one"
            );
        }
    }
}

/// The mutating filesystem operations of a whole clean update (provisioning excluded).
fn clean_run_ops() -> u64 {
    let mut rig = Rig::new(CrashFs::new());
    let before = rig.fs.ops();
    rig.connect();
    rig.drive();
    assert_eq!(rig.check_final(), JobExecutionStatus::Succeeded);
    assert_eq!(rig.boots, 2, "one reboot into the new image");
    rig.fs.ops() - before
}

struct Outcome {
    status: JobExecutionStatus,
    /// The download restarted after the crash from a byte past 0.
    resumed: bool,
}

/// A whole update with the power cut after `k` operations, a crash, a reset, and on to the
/// end.
fn run_with_cut(k: u64, seed: Option<u64>) -> Outcome {
    let mut rig = Rig::new(CrashFs::new());
    rig.fs.cut_after(k);
    rig.connect();
    rig.drive();
    assert!(rig.fs.is_cut(), "cut at {k}: the cut never came");
    let starts = rig.download_starts.len();
    rig.crash(seed);
    assert!(rig.boot(), "no second cut is armed");
    rig.drive();
    assert!(!rig.fs.is_cut());
    let resumed = rig.download_starts[starts..]
        .first()
        .is_some_and(|&b| b > 0);
    let status = rig.check_final();
    if status == JobExecutionStatus::Failed {
        // Only a cut while the new image ran on trial, uncommitted, may fail the job: the
        // bootloader reverts it. A damaged download or record must never show.
        let reason = rig.events.iter().rev().find_map(|e| match *e {
            Event::JobFinished { reason, .. } => reason,
            _ => None,
        });
        assert_eq!(reason, Some(Reason::RolledBackByBootloader), "cut at {k}");
    }
    Outcome { status, resumed }
}

fn every_cut(seed: impl Fn(u64) -> Option<u64>) -> (u64, usize, usize) {
    let ops = clean_run_ops();
    assert!(ops > 100, "a whole update takes {ops} operations");
    let (mut succeeded, mut resumed) = (0, 0);
    for k in 0..ops {
        let outcome = run_with_cut(k, seed(k));
        succeeded += usize::from(outcome.status == JobExecutionStatus::Succeeded);
        resumed += usize::from(outcome.resumed);
    }
    println!("{ops} cut points: {succeeded} succeeded, {resumed} downloads resumed past byte 0");
    assert!(
        succeeded > ops as usize / 2,
        "{succeeded} of {ops} succeeded"
    );
    assert!(resumed > ops as usize / 4, "{resumed} of {ops} resumed");
    (ops, succeeded, resumed)
}

#[test]
fn power_cut_at_every_operation_then_a_clean_crash() {
    every_cut(|_| None);
}

#[test]
fn power_cut_at_every_operation_then_a_torn_crash() {
    every_cut(Some);
    every_cut(|k| Some(k.wrapping_mul(0x9E37_79B9) ^ 0xF11E));
}

/// `RealFs` in a temporary directory: a download stalls half-way, the process goes away
/// (everything dropped), a new one opens the directory, resets and resumes, and the update
/// completes.
#[test]
fn real_files_update_with_a_restart_in_the_middle() {
    let dir = tempfile::tempdir().unwrap();
    let mut rig = Rig::new(RealFs::new(dir.path()));
    rig.hold_data_after = Some(16);
    rig.connect();
    assert_eq!(rig.peer.status(), JobExecutionStatus::InProgress);
    assert_eq!(rig.download_starts, [0]);
    // Everything goes; the directory stays.
    rig.client = None;
    rig.fs = RealFs::new(dir.path());
    rig.hold_data_after = None;
    assert!(rig.boot());
    rig.drive();
    assert_eq!(rig.check_final(), JobExecutionStatus::Succeeded);
    assert!(
        rig.download_starts[1] > 0,
        "resumed: {:?}",
        rig.download_starts
    );
    let boot = FileBoot::open(RealFs::new(dir.path()), CAPACITY);
    let path = boot.active_image_path().unwrap();
    assert_eq!(path, dir.path().join(Bank::B.file_name()));
    let file = std::fs::read(&path).unwrap();
    assert_eq!(file.len(), CAPACITY as usize);
    assert!(file.starts_with(&rig.new_image));
    assert_eq!(
        FileBoot::open(RealFs::new(dir.path()), CAPACITY).security_counter(),
        Ok(Some(1))
    );
}
