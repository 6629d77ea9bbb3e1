//! Random sequences of inputs — valid, malformed and replayed messages, losses, duplicates,
//! reordering, timeouts, power cuts, resets, self-test results, cancellation — checked against
//! the client's promises after every step:
//!
//! - it never activates an image it did not verify (whatever is pending is the signed image);
//! - it never reports `SUCCEEDED` for firmware before the new image is committed;
//! - it publishes only legal status sequences for a job;
//! - it never panics, and every boot runs the old image or the complete new one;
//! - liveness: after any sequence followed by a working network and a quiet period, the job
//!   the service offers ends in a final status.
#![allow(clippy::std_instead_of_core)]

mod common;

use common::*;
use ota_core::jobs::JobExecutionStatus;
use ota_core::time::Duration;
use ota_device::Event;
use ota_device::storage::BootState;
use ota_device::storage::testing::PowerCut;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    /// Send the client's queued publishes to the service, losing each with this chance (%).
    Flush { loss: u8 },
    /// Deliver the in-flight message at this index (mod the count): reordering.
    Deliver(usize),
    /// Deliver it twice.
    Duplicate(usize),
    /// Deliver everything in flight, in order.
    DeliverAll,
    /// Lose it.
    Lose(usize),
    /// Deliver again a message delivered earlier.
    Replay(usize),
    /// A malformed payload on one of the client's topics.
    Garbage { topic: usize, bytes: Vec<u8> },
    /// Time passes; the client's timer fires if due.
    Advance(u32),
    /// Power cut at once, then a reset.
    PowerCut,
    /// Power cut after this many more storage operations.
    ArmCut(u8),
    /// A reset with power on.
    Reset,
    /// The application reports its self-test.
    SelfTest(bool),
    /// The application acts on the last event as firmware would (reset when asked, self-test
    /// with this result when asked).
    React(bool),
    /// The service cancels the job.
    Cancel,
    /// The service creates the job (when the run started without it) and announces it.
    Create,
}

/// Mostly progress, sometimes trouble: weighted so random runs get through whole updates.
fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        160 => (0u8..30).prop_map(|loss| Op::Flush { loss }),
        160 => any::<usize>().prop_map(Op::Deliver),
        100 => Just(Op::DeliverAll),
        8 => any::<usize>().prop_map(Op::Duplicate),
        8 => any::<usize>().prop_map(Op::Lose),
        8 => any::<usize>().prop_map(Op::Replay),
        8 => (0usize..5, proptest::collection::vec(any::<u8>(), 0..40)).prop_map(|(topic, bytes)| Op::Garbage { topic, bytes }),
        40 => (0u32..120_000).prop_map(Op::Advance),
        3 => Just(Op::PowerCut),
        3 => (0u8..30).prop_map(Op::ArmCut),
        3 => Just(Op::Reset),
        8 => any::<bool>().prop_map(Op::SelfTest),
        60 => (0u8..4).prop_map(|n| Op::React(n != 0)),
        1 => Just(Op::Cancel),
        20 => Just(Op::Create),
    ]
}

struct Checker {
    world: World,
    in_flight: Vec<(String, Vec<u8>)>,
    delivered: Vec<(String, Vec<u8>)>,
    published: Vec<JobExecutionStatus>,
    random: u64,
    /// Events before the last reset: the ones after it may still want a reaction.
    events_before_boot: usize,
}

impl Checker {
    /// A device with a job for it; with `created` false the job is created later
    /// ([`Op::Create`]), so its `notify-next` can cross the boot's empty `$next/get` reply.
    fn new(afr: bool, created: bool) -> Self {
        let mut world = if afr {
            World::new(|s, img| s.afr_doc(img, 0), PowerCut::unlimited())
        } else {
            World::new(
                |s, img| s.firmware_doc(img, "1.1.0", 1, ""),
                PowerCut::unlimited(),
            )
        };
        if !created {
            world.peer.delay_creation();
        }
        let mut c = Self {
            world,
            in_flight: Vec::new(),
            delivered: Vec::new(),
            published: Vec::new(),
            random: 1,
            events_before_boot: 0,
        };
        let now = c.world.now;
        c.world.client().handle_connected(now);
        c
    }

    fn chance(&mut self, percent: u8) -> bool {
        self.random = self
            .random
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.random >> 33) % 100 < u64::from(percent)
    }

    fn flush(&mut self, loss: u8) {
        let mut buf = vec![0u8; 2048];
        let now = self.world.now;
        let mut out = Vec::new();
        if self.world.power.is_cut() {
            return;
        }
        while let Some(p) = self.world.client().poll_transmit(now, &mut buf) {
            out.push((p.topic.to_string(), p.payload.to_vec()));
        }
        for (topic, payload) in out {
            if topic.ends_with("/update") {
                self.check_status_publish(&payload);
            }
            if !self.chance(loss) {
                let _ = self.world.peer.handle_publish(&topic, &payload);
            }
        }
        let mut buf = vec![0u8; 8192];
        while let Some((t, p)) = self.world.peer.poll_message(&mut buf) {
            self.in_flight.push((t.to_string(), p.to_vec()));
        }
    }

    fn check_status_publish(&mut self, payload: &[u8]) {
        let text = String::from_utf8_lossy(payload);
        let status = JobExecutionStatus::ALL
            .into_iter()
            .find(|s| text.starts_with(&format!(r#"{{"status":"{}""#, s.as_str())))
            .expect("an update carries a status");
        assert!(status.is_device_settable(), "published {status}");
        if status == JobExecutionStatus::Succeeded {
            let w = &self.world;
            assert_eq!(w.boot.state(), BootState::Normal, "SUCCEEDED before commit");
            assert!(
                w.boot.active_image().starts_with(&w.new_image),
                "SUCCEEDED on the old image"
            );
        }
        if let Some(&last) = self.published.last() {
            let legal = match (last, status) {
                (JobExecutionStatus::InProgress, _) => true,
                // A retry of a final status, or FAILED where REJECTED was refused.
                (a, b) if a == b => true,
                (JobExecutionStatus::Rejected, JobExecutionStatus::Failed) => true,
                _ => false,
            };
            assert!(
                legal,
                "published {status} after {last}: {:?}",
                self.published
            );
        }
        self.published.push(status);
    }

    fn deliver(&mut self, topic: &str, payload: &[u8]) {
        if self.world.power.is_cut() {
            return;
        }
        let now = self.world.now;
        let _ = self.world.client().handle_message(now, topic, payload);
        self.after_events();
    }

    /// Check every new event and act as the application would for resets.
    fn after_events(&mut self) {
        let start = self.world.events.len();
        if let Some(client) = self.world.client.as_mut() {
            while let Some(e) = client.poll_event() {
                self.world.events.push(e);
            }
        }
        let new: Vec<Event> = self.world.events[start..].to_vec();
        for e in new {
            match e {
                Event::ActivateAndReboot => {
                    let pending = self.world.boot.state();
                    assert_eq!(pending, BootState::Pending);
                    let bank = self.world.boot.active_bank().other();
                    let image = self.world.boot.bank_image(bank);
                    assert!(
                        image.starts_with(&self.world.new_image),
                        "activated an image that is not the signed one"
                    );
                }
                Event::RollBackAndReboot { .. } => {}
                _ => {}
            }
        }
    }

    fn reset(&mut self) {
        self.in_flight.clear();
        self.events_before_boot = self.world.events.len();
        for _ in 0..5 {
            self.world.client = None;
            if self.world.power.is_cut() {
                self.world.power.restore();
            }
            if self.world.boot.reset().is_ok() && self.world.start_client().is_ok() {
                break;
            }
        }
        self.world.power.disarm();
        if self.world.client.is_none() {
            self.world.power.restore();
            self.world.boot.reset().unwrap();
            self.world.start_client().unwrap();
        }
        let image = self.world.boot.active_image();
        assert!(
            image.starts_with(&self.world.old_image) || image.starts_with(&self.world.new_image)
        );
        let now = self.world.now;
        self.world.client().handle_connected(now);
        self.after_events();
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Flush { loss } => self.flush(loss),
            Op::Deliver(i) | Op::Duplicate(i) | Op::Lose(i) if !self.in_flight.is_empty() => {
                let i = i % self.in_flight.len();
                let (topic, payload) = self.in_flight.remove(i);
                if !matches!(op, Op::Lose(_)) {
                    self.deliver(&topic, &payload);
                    if matches!(op, Op::Duplicate(_)) {
                        self.deliver(&topic, &payload);
                    }
                    self.delivered.push((topic, payload));
                }
            }
            Op::DeliverAll => {
                for (topic, payload) in core::mem::take(&mut self.in_flight) {
                    self.deliver(&topic, &payload);
                    self.delivered.push((topic, payload));
                }
            }
            Op::React(passed) => match self.world.events.last() {
                Some(Event::ActivateAndReboot | Event::RollBackAndReboot { .. }) => self.reset(),
                Some(Event::SelfTestRequired) => self.apply(Op::SelfTest(passed)),
                _ => {}
            },
            Op::Replay(i) if !self.delivered.is_empty() => {
                let (topic, payload) = self.delivered[i % self.delivered.len()].clone();
                self.deliver(&topic, &payload);
            }
            Op::Garbage { topic, bytes } => {
                let topics = [
                    "$aws/things/dev-1/jobs/notify-next",
                    "$aws/things/dev-1/jobs/$next/get/accepted",
                    "$aws/things/dev-1/jobs/fw-job-1/update/accepted",
                    "$aws/things/dev-1/jobs/fw-job-1/update/rejected",
                    "$aws/things/dev-1/streams/fw-stream/data/cbor",
                ];
                self.deliver(topics[topic], &bytes);
            }
            Op::Advance(ms) => {
                self.world.now += Duration::from_millis(u64::from(ms));
                let now = self.world.now;
                if !self.world.power.is_cut() {
                    self.world.client().handle_timeout(now);
                    self.after_events();
                }
            }
            Op::PowerCut => {
                self.world.power.cut();
                self.reset();
            }
            Op::ArmCut(n) => self
                .world
                .power
                .arm(u64::from(n), ota_device::storage::testing::CutMode::Torn),
            Op::Reset => self.reset(),
            Op::SelfTest(passed) if !self.world.power.is_cut() => {
                let now = self.world.now;
                let _ = self.world.client().handle_self_test(now, passed);
                self.after_events();
            }
            Op::Cancel => self.world.peer.cancel(),
            Op::Create => self.world.peer.create(),
            _ => {}
        }
        if self.world.power.is_cut() {
            self.reset();
        }
    }

    /// The network heals and stays working: the job exists, every message is delivered in
    /// order, the application reacts to every event, and time moves to each timer. Returns
    /// when the job is final and the client idle, or after `steps` steps.
    fn heal(&mut self, steps: usize) {
        self.world.peer.create();
        // What happened since the last boot may still want its reaction (a self-test answered
        // twice is refused harmlessly).
        let mut handled = self.events_before_boot;
        for _ in 0..steps {
            if self.world.power.is_cut() {
                self.reset();
            }
            self.flush(0);
            if !self.in_flight.is_empty() {
                self.apply(Op::DeliverAll);
                continue;
            }
            if handled < self.world.events.len() {
                let event = self.world.events[handled];
                handled += 1;
                match event {
                    Event::SelfTestRequired => self.apply(Op::SelfTest(true)),
                    Event::ActivateAndReboot | Event::RollBackAndReboot { .. } => self.reset(),
                    _ => {}
                }
                continue;
            }
            if self.world.peer.status().is_terminal() && self.world.client().is_idle() {
                return;
            }
            let Some(at) = self.world.client().poll_timeout() else {
                return;
            };
            let wait = at.saturating_since(self.world.now).as_millis();
            self.apply(Op::Advance(u32::try_from(wait).unwrap_or(u32::MAX)));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_for_any_input_sequence(afr in any::<bool>(), created in any::<bool>(), ops in proptest::collection::vec(op(), 1..400)) {
        let mut c = Checker::new(afr, created);
        for op in ops {
            c.apply(op);
        }
    }

    #[test]
    fn every_offered_job_ends_once_the_network_works(afr in any::<bool>(), created in any::<bool>(), ops in proptest::collection::vec(op(), 1..300)) {
        let mut c = Checker::new(afr, created);
        for op in ops {
            c.apply(op);
        }
        c.heal(20_000);
        let status = c.world.peer.status();
        prop_assert!(status.is_terminal(), "the job is still {status} (client idle: {}, timer: {:?})", c.world.client().is_idle(), c.world.client().poll_timeout());
        prop_assert!(c.world.client().is_idle(), "the client is still busy");
    }
}

#[test]
fn a_long_random_run_still_finishes_the_update() {
    // With reliable delivery at the end, whatever happened before, the job ends and the
    // device runs a committed image matching the status.
    let mut c = Checker::new(false, true);
    let ops = [
        Op::Flush { loss: 30 },
        Op::Deliver(3),
        Op::Advance(20_000),
        Op::PowerCut,
        Op::Deliver(0),
        Op::Flush { loss: 0 },
    ];
    for op in ops {
        c.apply(op);
    }
    for _ in 0..5000 {
        c.flush(0);
        if !c.in_flight.is_empty() {
            c.apply(Op::Deliver(0));
            continue;
        }
        if c.world.events.last() == Some(&Event::SelfTestRequired) {
            c.apply(Op::SelfTest(true));
            continue;
        }
        if matches!(
            c.world.events.last(),
            Some(Event::ActivateAndReboot | Event::RollBackAndReboot { .. })
        ) {
            c.reset();
            continue;
        }
        if c.world.peer.status().is_terminal() && c.world.client().is_idle() {
            break;
        }
        c.apply(Op::Advance(60_000));
    }
    assert_eq!(c.world.peer.status(), JobExecutionStatus::Succeeded);
}

#[test]
fn random_runs_reach_every_stage() {
    // The property above is only as good as the states it reaches: sample sequences from a
    // fixed seed and check that activation, self-test, commit, roll-back and every final
    // status all happen in some of them.
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(op(), 400..800),
    );
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    for _ in 0..300 {
        let (afr, created, ops) = strategy.new_tree(&mut runner).unwrap().current();
        let mut c = Checker::new(afr, created);
        for op in ops {
            c.apply(op);
        }
        for e in &c.world.events {
            let stage = match e {
                Event::ActivateAndReboot => "activate",
                Event::SelfTestRequired => "self-test",
                Event::Committed => "commit",
                Event::RollBackAndReboot { .. } => "roll back",
                Event::JobCanceled => "cancel",
                _ => continue,
            };
            *seen.entry(stage).or_default() += 1;
        }
        for s in &c.published {
            *seen.entry(s.as_str()).or_default() += 1;
        }
    }
    println!("stages reached: {seen:?}");
    for stage in [
        "activate",
        "self-test",
        "commit",
        "roll back",
        "cancel",
        "SUCCEEDED",
        "FAILED",
        "IN_PROGRESS",
    ] {
        assert!(
            seen.get(stage).copied().unwrap_or(0) > 0,
            "no random run reached {stage}: {seen:?}"
        );
    }
}
