//! The discrete-event simulation: a virtual clock, one event queue, the fleet, the service.
//!
//! Events are processed in (time, sequence) order; every random draw comes from the
//! scenario's seed, so a run replays exactly. Devices and the service exchange only bytes
//! through [`crate::net`].

mod control;
mod devices;
mod images;
mod live;
mod outcome;
mod queue;
mod service;
mod stats;
mod trust;

use std::collections::BTreeMap;
use std::sync::Arc;

use ota_cloud::{InMemory, ManualClock, Settings};
use ota_core::version::Version;
use ota_device::storage::testing::{CutMode, PowerCut};

use crate::device::SimDevice;
use crate::net::Message;
use crate::release::{KeyError, Keys};
use crate::responder::Responder;
use crate::rng::SimRng;
use crate::scenario::Scenario;
use crate::storage::ImageSet;
use images::Images;
use queue::EventQueue;

pub use control::{CampaignKind, Control, StageReport, Verdict};
pub use live::{LiveError, LiveOptions};
pub use stats::{DeviceReport, Sample, Stats};
pub use trust::{ATTACK_COUNTER, ATTACK_STREAM, ATTACK_VERSION, TrustJobReport, TrustReport};

/// Simulated start time (Unix ms).
pub const START: u64 = 1_800_000_000_000;

/// How often the campaign control and the timeline sampler run (simulated ms).
const TICK_MS: u64 = 10_000;

#[derive(Debug)]
enum Event {
    ToDevice(u32, Message),
    ToService(u32, Message),
    DeviceTimer(u32),
    Reset(u32),
    SelfTest(u32, bool),
    Online(u32),
    Offline(u32),
    EngineTick,
    ControlTick,
}

impl Event {
    /// Device events that will change something later without any message: the run is not
    /// quiet while one is pending.
    fn is_wakeup(&self) -> bool {
        matches!(
            self,
            Self::Reset(_) | Self::SelfTest(..) | Self::Online(_) | Self::Offline(_)
        )
    }
}

/// One image a device can run: its bytes and version.
#[derive(Debug, Clone)]
pub struct KnownImage {
    /// The version it reports.
    pub version: Version,
    /// What it is: `factory`, `release`, `rollback` or `attack`.
    pub role: &'static str,
    /// The hardware type a release build is for (`None`: a factory image, any hardware).
    pub hardware: Option<String>,
}

/// A whole simulation.
pub struct World {
    /// The scenario.
    pub scenario: Scenario,
    now: u64,
    queue: EventQueue<Event>,
    rng: SimRng,
    service: Arc<InMemory<ManualClock>>,
    responder: Responder,
    /// How devices and the service exchanged messages, for the report.
    transport: String,
    /// The fleet.
    pub devices: Vec<SimDevice>,
    by_name: BTreeMap<&'static str, u32>,
    keys: Keys,
    /// Images devices may run, by index of the [`ImageSet`].
    pub known: Vec<KnownImage>,
    images: Arc<ImageSet>,
    /// Image index of each (role, hardware) build.
    builds: BTreeMap<(&'static str, String), usize>,
    control: Control,
    /// Counters and the timeline.
    pub stats: Stats,
    engine_tick_at: Option<u64>,
    /// Pending [`Event::is_wakeup`] events.
    wakeups: u64,
    hardware_ids: Vec<&'static str>,
    /// The `[trust]` events.
    trust: trust::TrustEvents,
    done: bool,
}

impl World {
    /// Build the fleet, the images, the service and the release key (drawn from the seed).
    /// The campaigns are planned at the first tick of [`World::run`].
    ///
    /// # Errors
    /// [`KeyError`] if the release key cannot be made (not expected from a seed).
    pub fn new(scenario: Scenario) -> Result<Self, KeyError> {
        let mut rng = SimRng::new(scenario.seed);
        let mut keys = Keys::generate(&mut rng)?;
        if let Some(spec) = &scenario.trust {
            keys = keys.with_trust(spec, scenario.seed)?;
        }
        Ok(Self::assemble(scenario, keys, rng))
    }

    /// [`World::new`] with the release signed by `keys` (an operator's key, e.g. from
    /// `ota-cloud keygen`) instead of one drawn from the seed. A `[trust]` scenario's keys
    /// are the ones `keys` carries ([`Keys::with_trust`]): without them its devices hold
    /// `keys`' fixed trust store and its trust events are not made.
    pub fn with_keys(scenario: Scenario, keys: Keys) -> Self {
        let mut rng = SimRng::new(scenario.seed);
        // Draw what key generation draws, so the rest of the run is the same either way.
        for _ in 0..4 {
            rng.u64();
        }
        Self::assemble(scenario, keys, rng)
    }

    /// The world before anything runs: images, service, then the fleet, drawn from `rng` in
    /// that order.
    fn assemble(scenario: Scenario, keys: Keys, mut rng: SimRng) -> Self {
        let keys_rotate = keys.rotating.is_some();
        let mut responder = Responder::new("$aws");
        let images = Images::make(&scenario, &mut rng, &mut responder);
        let hardware_ids: Vec<&'static str> = scenario
            .hardware
            .iter()
            .map(|h| &*Box::leak(h.name.clone().into_boxed_str()))
            .collect();
        // The engine's event log is bounded (65,536 entries by default) at any fleet size.
        let service = Arc::new(InMemory::new(ManualClock::new(START), Settings::default()));
        let mut world = Self {
            now: START,
            queue: EventQueue::default(),
            service,
            responder,
            transport: "simulated".into(),
            devices: Vec::new(),
            by_name: BTreeMap::new(),
            keys,
            known: images.known,
            builds: images.builds,
            images: Arc::new(images.set),
            control: Control::default(),
            stats: Stats::default(),
            engine_tick_at: None,
            wakeups: 0,
            hardware_ids,
            trust: trust::TrustEvents::plan(scenario.trust.as_ref().filter(|_| keys_rotate)),
            done: false,
            rng,
            scenario,
        };
        world.build_fleet(&images.factory);
        world
    }

    fn schedule(&mut self, at: u64, event: Event) {
        if event.is_wakeup() {
            self.wakeups += 1;
        }
        self.queue.push(at, event);
    }

    /// Deliver `m` to device `d` or from it (`event`) after each of `delays` (from
    /// [`crate::net::deliveries`]): copied for all but the last delivery, which takes it, so
    /// the usual single delivery copies nothing.
    fn schedule_deliveries(
        &mut self,
        delays: Vec<u64>,
        d: u32,
        m: Message,
        event: fn(u32, Message) -> Event,
    ) {
        let Some((&last, rest)) = delays.split_last() else {
            return;
        };
        for &delay in rest {
            self.schedule(self.now + delay, event(d, m.clone()));
        }
        self.schedule(self.now + last, event(d, m));
    }

    /// The simulated time (Unix ms).
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Run to the end (everything settled, or the horizon), calling `progress` now and then
    /// with (simulated minutes, devices finished).
    pub fn run(&mut self, mut progress: impl FnMut(u64, u64)) {
        let horizon = START.saturating_add(self.scenario.horizon_minutes.saturating_mul(60_000));
        self.start();
        let mut last_report = 0;
        while let Some((at, event)) = self.queue.pop() {
            if at > horizon {
                self.stats.hit_horizon = true;
                break;
            }
            self.now = self.now.max(at);
            self.service.clock().set(self.now);
            self.dispatch(event);
            if self.done {
                break;
            }
            let minute = (self.now - START) / 60_000;
            if minute != last_report {
                last_report = minute;
                progress(minute, self.stats.finished_devices());
            }
        }
        self.sample();
    }

    fn dispatch(&mut self, event: Event) {
        if event.is_wakeup() {
            self.wakeups -= 1;
        }
        match event {
            Event::ToDevice(d, m) => self.deliver_to_device(d, m),
            Event::ToService(d, m) => self.deliver_to_service(d, m),
            Event::DeviceTimer(d) => self.device_timer(d),
            Event::Reset(d) => self.reset(d),
            Event::SelfTest(d, passed) => self.self_test(d, passed),
            Event::Online(d) => self.online(d, true),
            Event::Offline(d) => self.online(d, false),
            Event::EngineTick => self.engine_tick(),
            Event::ControlTick => self.control_tick(),
        }
    }

    fn start(&mut self) {
        for d in 0..self.devices.len() as u32 {
            self.boot(d);
        }
        self.control_tick();
    }
}

/// The stream a release's build for `hardware` is served on.
pub fn stream_id(version: &str, hardware: &str) -> String {
    let safe = |t: &str| {
        t.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect::<String>()
    };
    format!("fw-{}-{}", safe(version), safe(hardware))
}

/// The version devices "below the required starting version" run.
pub fn below_min_version(scenario: &Scenario) -> &'static str {
    let _ = scenario;
    "0.9.0"
}

/// A power cut armed on `power`, torn, at one of the first `ops` storage operations.
fn arm_cut(power: &PowerCut, rng: &mut SimRng, ops: u64) {
    power.arm(rng.range(0, ops.saturating_sub(1)), CutMode::Torn);
}
