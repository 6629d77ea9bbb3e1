//! The devices' side of the simulation: boots, resets, power cuts, self-tests, and moving a
//! client's publishes onto the network.

use ota_core::time::Instant;
use ota_device::storage::testing::PowerCut;
use ota_device::trust::load_root;
use ota_device::{Config, Event as DeviceEvent, MIN_TRANSMIT_LEN};

use super::{Event, World, arm_cut, below_min_version};
use crate::device::SimDevice;
use crate::net::{Message, deliveries};
use crate::scenario::Scenario;
use crate::storage::DeviceStorage;
use crate::trust::SimTrust;

/// What the scenario's faults made of one device: its hardware type, and what it and the
/// registry say it is.
struct Identity {
    /// Index of its hardware type in the scenario.
    hw: usize,
    /// A misfit: it reports a hardware id no release is built for.
    wrong_hw: bool,
    /// It runs a version below the release's `minVersion`.
    below: bool,
    /// The version it runs.
    version: String,
    /// The version the registry has for it.
    registry_version: String,
    /// The hardware id it reports.
    hardware_id: &'static str,
    /// The hardware id the registry has for it.
    registry_hw: &'static str,
}

impl World {
    /// Make the scenario's devices from the seed, register them, arm their faults, and
    /// schedule their offline windows. `factory`: the image of each initial version.
    pub(super) fn build_fleet(&mut self, factory: &std::collections::BTreeMap<String, usize>) {
        let s = self.scenario.clone();
        let capacity = s.image.size.div_ceil(4096) * 4096 + 4096;
        // Mutating storage operations of one update, as the client does them: a write per block,
        // a record every `persist_every_blocks` (8) blocks, and six for the job's start, the
        // pending mark, the trial and the commit. A cut is armed uniformly among them.
        let blocks = u64::from(s.image.size.div_ceil(s.image.block_size));
        let ops_per_update = blocks + blocks.div_ceil(8) + 6;
        let mut tampered_left = s.faults.tampered_image_devices;
        // Exactly the fleet: a device is about 1.6 KB, and doubling would leave up to half
        // of that unused.
        self.devices.reserve_exact(s.devices as usize);
        for i in 0..s.devices {
            let name: &'static str = Box::leak(format!("dev-{i:06}").into_boxed_str());
            let id = self.draw_identity(&s);
            let image = factory.get(&id.version).copied().unwrap_or(0);
            let power = PowerCut::unlimited();
            if self.rng.chance(s.faults.power_loss) {
                arm_cut(&power, &mut self.rng, ops_per_update);
            }
            let storage = DeviceStorage::new(self.images.clone(), image, capacity, power);
            let self_test_fails = self.rng.chance(s.hardware[id.hw].self_test_failure);
            self.register(name, &id);
            if tampered_left > 0 && self.tamper(name, &id) {
                tampered_left -= 1;
            }
            self.by_name.insert(name, i);
            self.devices.push(SimDevice {
                name,
                hardware: (!id.wrong_hw).then_some(id.hw),
                hardware_id: id.hardware_id,
                initial_version: ota_core::version::Version::parse(&id.version)
                    .unwrap_or(ota_core::version::Version::new(0, 0, 0)),
                storage,
                client: None,
                parts: None,
                online: true,
                timer_at: None,
                timer_queued: None,
                self_test_fails,
                reset_pending: false,
                resets: 0,
                power_cuts: 0,
                tried_new: false,
            });
            if self.rng.chance(s.faults.offline) {
                let at = super::START + self.rng.range(0, 120 * 60_000);
                self.schedule(at, Event::Offline(i));
                self.schedule(
                    at.saturating_add(s.faults.offline_minutes.saturating_mul(60_000)),
                    Event::Online(i),
                );
            }
        }
    }

    /// Draw a device's hardware type (by the types' shares) and its misfit faults.
    fn draw_identity(&mut self, s: &Scenario) -> Identity {
        let total_share: f64 = s.hardware.iter().map(|h| h.share).sum();
        let mut pick = self.rng.unit() * total_share;
        let mut hw = s.hardware.len() - 1;
        for (k, h) in s.hardware.iter().enumerate() {
            if pick < h.share {
                hw = k;
                break;
            }
            pick -= h.share;
        }
        let initial_version = &s.hardware[hw].initial_version;
        // Misfits: half of them are registered truthfully (the campaign refuses them),
        // half are registered as fitting (the device itself refuses the release).
        let wrong_hw = self.rng.chance(s.faults.wrong_hardware);
        let below = !wrong_hw && self.rng.chance(s.faults.below_min_version);
        let honest_registry = self.rng.chance(0.5);
        let version = if below {
            below_min_version(s).to_string()
        } else {
            initial_version.clone()
        };
        let fitting = self.hardware_ids[hw];
        Identity {
            hw,
            wrong_hw,
            below,
            registry_version: if below && !honest_registry {
                initial_version.clone()
            } else {
                version.clone()
            },
            version,
            hardware_id: if wrong_hw { "rev-unknown" } else { fitting },
            registry_hw: if wrong_hw && honest_registry {
                "rev-unknown"
            } else {
                fitting
            },
        }
    }

    /// Register thing `name` with its hardware, version and drawn attributes, in the group
    /// of its registered hardware and in the groups it draws.
    fn register(&mut self, name: &str, id: &Identity) {
        let mut engine = self.service.engine();
        // Registry errors cannot happen with these names; a thing missing from the
        // registry would show up as never targeted.
        let mut attributes: Vec<(&str, &str)> = vec![
            ("hardware", id.registry_hw),
            ("version", &id.registry_version),
        ];
        for a in &self.scenario.attributes {
            let v = self.rng.range(0, a.values.len() as u64 - 1) as usize;
            attributes.push((&a.key, &a.values[v]));
        }
        let _ = engine.create_thing(name, &attributes);
        let mut groups = vec![format!("hw-{}", id.registry_hw)];
        for g in &self.scenario.groups {
            if self.rng.chance(g.share) {
                groups.push(g.name.clone());
            }
        }
        for group in groups {
            if engine.fleet().group(&group).is_none() {
                let _ = engine.create_group(&group, None);
            }
            let _ = engine.add_thing_to_group(&group, name);
        }
    }

    /// Half the time, serve `name` a release image with one bit flipped, when it fits the
    /// release (the right hardware, a version the release accepts) and has a build.
    /// Returns whether it did.
    fn tamper(&mut self, name: &str, id: &Identity) -> bool {
        let Some(build) = self.build("release", self.hardware_ids[id.hw]) else {
            return false;
        };
        if id.wrong_hw || id.below || !self.rng.chance(0.5) {
            return false;
        }
        let mut bytes = self.images.get(build).to_vec();
        let at = (self.rng.range(0, bytes.len() as u64 - 1)) as usize;
        bytes[at] ^= 0x01;
        self.responder.tamper_for(name, bytes.into());
        self.stats.tampered_devices.push(name.to_string());
        true
    }

    /// The image of the `role` build (`release`, `rollback`) for `hardware`, if there is one.
    pub(super) fn build(&self, role: &'static str, hardware: &str) -> Option<usize> {
        self.builds.get(&(role, hardware.to_string())).copied()
    }

    /// Whether device `d` runs a build of the release.
    fn runs_release(&self, d: u32) -> bool {
        self.devices[d as usize]
            .storage
            .running_image()
            .is_some_and(|i| self.known[i].role == "release")
    }

    fn config(&mut self, d: u32) -> Config<'static> {
        let device = &self.devices[d as usize];
        let running = device
            .storage
            .running_image()
            .map_or(device.initial_version, |i| self.known[i].version);
        let seed = self.rng.u64();
        self.devices[d as usize].config(running, self.scenario.image.block_size, seed)
    }

    /// Power on: the client starts from the persisted record and connects.
    pub(super) fn boot(&mut self, d: u32) {
        let config = self.config(d);
        let trust = match &self.keys.rotating {
            None => SimTrust::Fixed(self.keys.trust),
            Some((keys, _)) => {
                let mut store = self.devices[d as usize].storage.root_store();
                match load_root(&mut store, keys.built_in.clone()) {
                    Ok((root, source)) => {
                        self.note_root_source(source);
                        SimTrust::Rotating {
                            root: Box::new(root),
                            store,
                        }
                    }
                    // A cut while reading it: as for a refused client.
                    Err(_) => return self.power_cut(d),
                }
            }
        };
        let scratch = crate::device::scratch_len(
            self.scenario.image.block_size,
            self.scenario.trust.is_some(),
        );
        let device = &mut self.devices[d as usize];
        if device.boot(config, trust, scratch).is_err() {
            // A cut during the boot itself: try again after the next reset.
            return self.power_cut(d);
        }
        if device.online {
            let now = Instant::from_millis(self.now);
            if let Some(c) = device.client.as_mut() {
                c.handle_connected(now);
            }
        }
        self.poke(d);
    }

    /// After any call into a client: publish what it wants to publish, act on its events,
    /// and set its timer.
    pub(super) fn poke(&mut self, d: u32) {
        if self.devices[d as usize].storage.power().is_cut() {
            return self.power_cut(d);
        }
        let now = Instant::from_millis(self.now);
        let mut out = Vec::new();
        let mut events = Vec::new();
        let mut buf = [0u8; MIN_TRANSMIT_LEN];
        let device = &mut self.devices[d as usize];
        let Some(client) = device.client.as_mut() else {
            return;
        };
        while let Some(p) = client.poll_transmit(now, &mut buf) {
            out.push(Message {
                topic: p.topic.to_string(),
                payload: p.payload.to_vec(),
            });
        }
        while let Some(e) = client.poll_event() {
            events.push(e);
        }
        let timer = client.poll_timeout().map(|t| t.as_millis());
        let online = device.online;
        // The event is scheduled no earlier than now; `timer_at` holds the time it fires.
        let timer = timer.map(|t| t.max(self.now));
        if timer != device.timer_at {
            device.timer_at = timer;
            if let Some(t) = timer
                && device.timer_queued.is_none_or(|queued| t < queued)
            {
                device.timer_queued = Some(t);
                self.schedule(t, Event::DeviceTimer(d));
            }
        }
        for m in out {
            self.stats.count_up(&m);
            if !online {
                continue;
            }
            let delays = deliveries(&self.scenario.network, &mut self.rng);
            self.schedule_deliveries(delays, d, m, Event::ToService);
        }
        for e in events {
            self.on_device_event(d, e);
        }
    }

    fn on_device_event(&mut self, d: u32, e: DeviceEvent) {
        match e {
            DeviceEvent::ActivateAndReboot | DeviceEvent::RollBackAndReboot { .. } => {
                self.schedule_reset(d, 2_000)
            }
            DeviceEvent::SelfTestRequired => {
                let passed = !(self.devices[d as usize].self_test_fails && self.runs_release(d));
                let after = self.rng.range(5_000, 60_000);
                self.schedule(self.now + after, Event::SelfTest(d, passed));
            }
            DeviceEvent::JobFinished { status, reason } => {
                self.stats.finished(d, self.now, status, reason)
            }
            DeviceEvent::Committed => self.stats.committed += 1,
            _ => {}
        }
    }

    fn schedule_reset(&mut self, d: u32, after: u64) {
        let device = &mut self.devices[d as usize];
        if !device.reset_pending {
            device.reset_pending = true;
            self.schedule(self.now + after, Event::Reset(d));
        }
    }

    fn power_cut(&mut self, d: u32) {
        self.devices[d as usize].cut_power();
        let after = self.rng.range(5_000, 60_000);
        self.schedule_reset(d, after);
    }

    pub(super) fn reset(&mut self, d: u32) {
        self.devices[d as usize].reset();
        if self.runs_release(d) {
            self.devices[d as usize].tried_new = true;
        }
        self.stats.resets += 1;
        self.boot(d);
    }

    pub(super) fn deliver_to_device(&mut self, d: u32, m: Message) {
        let device = &mut self.devices[d as usize];
        if !device.online {
            return;
        }
        let Some(client) = device.client.as_mut() else {
            return;
        };
        let now = Instant::from_millis(self.now);
        // Refused messages (stale, duplicated, malformed) are the client's business.
        let _ = client.handle_message(now, &m.topic, &m.payload);
        self.stats.count_down(&m);
        self.poke(d);
    }

    pub(super) fn device_timer(&mut self, d: u32) {
        let device = &mut self.devices[d as usize];
        if device.timer_queued == Some(self.now) {
            device.timer_queued = None;
        }
        match device.timer_at {
            Some(at) if at == self.now => {}
            // Moved later since this event was queued: queue it for then, once.
            Some(at) if at > self.now && device.timer_queued.is_none() => {
                device.timer_queued = Some(at);
                return self.schedule(at, Event::DeviceTimer(d));
            }
            _ => return,
        }
        device.timer_at = None;
        let Some(client) = device.client.as_mut() else {
            return;
        };
        client.handle_timeout(Instant::from_millis(self.now));
        self.poke(d);
    }

    pub(super) fn self_test(&mut self, d: u32, passed: bool) {
        let device = &mut self.devices[d as usize];
        let Some(client) = device.client.as_mut() else {
            return;
        };
        let _ = client.handle_self_test(Instant::from_millis(self.now), passed);
        self.poke(d);
    }

    pub(super) fn online(&mut self, d: u32, online: bool) {
        let device = &mut self.devices[d as usize];
        device.online = online;
        if online {
            if let Some(c) = device.client.as_mut() {
                c.handle_connected(Instant::from_millis(self.now));
            }
            self.poke(d);
        }
    }

    /// Whether the device has nothing left to do (idle client, no reset pending).
    pub(super) fn device_settled(&self, d: u32) -> bool {
        let device = &self.devices[d as usize];
        !device.reset_pending && device.client.as_ref().is_some_and(|c| c.is_idle())
    }
}
