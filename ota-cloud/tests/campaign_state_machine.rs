//! The campaign as a sans-IO state machine, driven call by call without async
//! ([`InMemory::execute`]), and saved and restored (serde JSON) before and after every call
//! of a run that goes through every phase: planning, stage starts, gates, a failed gate's
//! cancels and wait, and the rollback campaign. The restored run must end exactly as the
//! uninterrupted one.

mod common;

use std::collections::BTreeSet;

use ota_cloud::Clock;
use ota_cloud::campaign::*;
use ota_cloud::catalog::{Catalog, VersionReq};
use ota_cloud::jobs::model::{Job, StartNext, UpdateExecution};
use ota_core::jobs::JobExecutionStatus::{self, *};

use common::campaign::{Svc, gate, release, service};
use common::engine::add_fleet;
use common::{MIN, T0};

/// 20 rev-b devices on 1.0.0 in the group `fleet`.
fn fleet_service() -> Svc {
    let svc = service();
    add_fleet(
        &mut svc.engine(),
        20,
        |i| format!("dev-{i:03}"),
        &[("hardware", "rev-b"), ("version", "1.0.0")],
    );
    svc
}

/// Canary (2 devices, all must succeed), wave (10, fails at 30 %), rest; automatic rollback.
fn campaign() -> Campaign {
    let bad = release("fw-2.0.0", "2.0.0").requiring(VersionReq::parse(">=1.0.0, <2.0.0").unwrap());
    let previous = release("fw-2.0.1", "2.0.1").requiring(VersionReq::parse("=2.0.0").unwrap());
    let mut catalog = Catalog::new();
    catalog.add(bad.clone()).unwrap();
    catalog.add(previous.clone()).unwrap();
    let mut spec = CampaignSpec::new(
        "c",
        bad,
        Targets::Group("fleet".into()),
        vec![
            Stage::new("canary", StageSize::Count(2)).with_gate(gate(1, Some(100), None)),
            Stage::new("wave", StageSize::Count(10)).with_gate(gate(5, None, Some(30))),
            Stage::new("rest", StageSize::Percent(Percent::ALL)),
        ],
    );
    spec.previous = Some(previous);
    spec.rollback = RollbackPolicy::Automatic {
        stages: vec![
            Stage::new("all", StageSize::Percent(Percent::ALL)).with_gate(gate(1, None, None)),
        ],
    };
    Campaign::new(spec, &catalog).unwrap()
}

/// Runs the campaign; with `restore`, replaces it by its JSON round trip before and after
/// every call.
struct Run {
    svc: Svc,
    campaign: Campaign,
    restore: bool,
    events: Vec<CampaignEvent>,
    operations: BTreeSet<&'static str>,
    restores: usize,
}

impl Run {
    fn new(restore: bool) -> Self {
        Self {
            svc: fleet_service(),
            campaign: campaign(),
            restore,
            events: Vec::new(),
            operations: BTreeSet::new(),
            restores: 0,
        }
    }

    fn round_trip(&mut self) {
        if self.restore {
            let saved = serde_json::to_string(&self.campaign).unwrap();
            self.campaign = serde_json::from_str(&saved).unwrap();
            assert_eq!(serde_json::to_string(&self.campaign).unwrap(), saved);
            self.restores += 1;
        }
    }

    /// One step, call by call.
    fn step(&mut self) {
        let now = self.svc.clock().now();
        self.round_trip();
        while let Some(command) = self.campaign.poll_command(now) {
            self.round_trip();
            // A restored campaign asks for the same call again.
            assert_eq!(self.campaign.poll_command(now), Some(command.clone()));
            self.operations.insert(command.operation());
            let reply = self.svc.execute(&command);
            self.campaign.handle_reply(now, reply).unwrap();
            self.round_trip();
        }
        self.events.extend(self.campaign.take_events());
    }

    /// Move up to `n` of the job's executions in `from` to `to`.
    fn report(&self, job: &str, from: JobExecutionStatus, n: usize, to: JobExecutionStatus) {
        let mut engine = self.svc.engine();
        let things: Vec<String> = engine
            .list_job_executions_for_job(job, Some(from))
            .unwrap()
            .into_iter()
            .take(n)
            .map(|s| s.thing_name)
            .collect();
        for thing in things {
            engine
                .update_execution(&thing, job, &UpdateExecution::new(to))
                .unwrap();
        }
    }

    fn minute(&self) {
        self.svc.clock().advance(MIN);
    }

    /// The scenario of the failure-threshold test in campaign_engine.rs.
    fn play(mut self) -> Self {
        self.step();
        self.minute();
        self.report("c-canary", Queued, usize::MAX, Succeeded);
        self.step();
        self.minute();
        self.report("c-wave", Queued, 3, Succeeded);
        self.report("c-wave", Queued, 2, Failed);
        let busy = self
            .svc
            .engine()
            .start_next("dev-007", &StartNext::default())
            .unwrap();
        assert_eq!(busy.unwrap().execution.job_id, "c-wave");
        self.step();
        self.minute();
        self.step();
        self.report("c-wave", InProgress, 1, Succeeded);
        self.step();
        self.minute();
        self.report("c-rb-all", Queued, usize::MAX, Succeeded);
        self.step();
        self.step();
        self
    }

    fn jobs(&self) -> Vec<Job> {
        self.svc.engine().list_jobs(None)
    }
}

#[test]
fn a_campaign_saved_and_restored_at_every_call_ends_as_the_uninterrupted_one() {
    let plain = Run::new(false).play();
    let restored = Run::new(true).play();
    // The uninterrupted run went through every phase and every kind of call.
    let tags: Vec<String> = plain.events.iter().map(|e| format!("{e:?}")).collect();
    for expected in [
        "Planned",
        "GatePassed",
        "GateFailed",
        "JobCanceled",
        "RolledBack",
    ] {
        assert!(
            tags.iter().any(|t| t.starts_with(expected)),
            "{expected}: {tags:?}"
        );
    }
    assert!(tags.iter().any(|t| t.contains("Completed")), "{tags:?}");
    assert_eq!(plain.operations.len(), 8, "{:?}", plain.operations);
    assert!(restored.restores > 100, "{}", restored.restores);
    // And the restored one ended exactly as it did.
    assert_eq!(restored.events, plain.events);
    assert_eq!(restored.campaign.status(), plain.campaign.status());
    assert_eq!(
        serde_json::to_value(&restored.campaign).unwrap(),
        serde_json::to_value(&plain.campaign).unwrap()
    );
    assert_eq!(restored.jobs(), plain.jobs());
    assert!(plain.campaign.is_finished());
}

#[test]
fn replies_that_answer_nothing_or_another_call_are_refused_and_change_nothing() {
    let svc = fleet_service();
    let mut c = campaign();
    assert_eq!(
        c.handle_reply(T0, Reply::Done),
        Err(CampaignError::NoCallPending)
    );
    let first = c.poll_command(T0).unwrap();
    assert_eq!(
        first,
        Command::ListGroupMembers {
            group: "fleet".into()
        }
    );
    assert_eq!(
        c.handle_reply(T0, Reply::Done),
        Err(CampaignError::UnexpectedReply {
            operation: "ListThingsInThingGroup"
        })
    );
    assert_eq!(c.poll_command(T0), Some(first.clone()), "still pending");
    c.handle_reply(T0, svc.execute(&first)).unwrap();
    assert!(matches!(
        c.poll_command(T0),
        Some(Command::DescribeThing { .. })
    ));
}

#[test]
fn a_failed_call_ends_the_step_and_the_next_step_starts_over() {
    let svc = fleet_service();
    let mut c = campaign();
    let first = c.poll_command(T0).unwrap();
    let failure = ota_cloud::ServiceError::LimitExceeded("slow down".into());
    assert!(matches!(
        c.handle_reply(T0, Reply::Failed(failure)),
        Err(CampaignError::Service {
            operation: "ListThingsInThingGroup",
            ..
        })
    ));
    assert_eq!(c.status().state, CampaignState::NotStarted);
    // A new step: planning again, from its first call.
    assert_eq!(c.poll_command(T0), Some(first.clone()));
    c.handle_reply(T0, svc.execute(&first)).unwrap();
    while let Some(command) = c.poll_command(T0) {
        c.handle_reply(T0, svc.execute(&command)).unwrap();
    }
    assert_eq!(c.status().state, CampaignState::Running);
    assert_eq!(c.poll_timeout(), None, "nothing soaks");
}
