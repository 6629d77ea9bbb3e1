//! Campaigns at the trait level with `mockall`: exactly which calls a stage makes, and how
//! service errors surface.
#![cfg(feature = "mock")]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use mockall::predicate::eq;
use ota_cloud::campaign::*;
use ota_cloud::catalog::{Catalog, Release};
use ota_cloud::jobs::model::*;
use ota_cloud::{MockFleetService, MockJobService, ServiceError, Thing};
use ota_core::jobs::JobExecutionStatus;
use ota_core::version::Version;

use common::campaign::described;

const DOC: &str = r#"{"operation":"firmware_update","version":"2.0.0"}"#;

/// One service made of the two mocks.
#[derive(Default)]
struct Services {
    jobs: MockJobService,
    fleet: MockFleetService,
}

impl CampaignServices for Services {
    type Jobs = MockJobService;
    type Fleet = MockFleetService;

    fn jobs(&self) -> &MockJobService {
        &self.jobs
    }

    fn fleet(&self) -> &MockFleetService {
        &self.fleet
    }
}

fn release() -> (Catalog, Release) {
    let r = common::campaign::release("fw-2.0.0", "2.0.0");
    let mut c = Catalog::new();
    c.add(r.clone()).unwrap();
    (c, r)
}

fn device(name: &str) -> Thing {
    Thing {
        name: name.into(),
        attributes: vec![
            ("hardware".into(), "rev-b".into()),
            ("version".into(), "1.0.0".into()),
        ],
    }
}

/// `spec`'s job in progress, with `queued` things `QUEUED`.
fn job(spec: JobSpec, queued: u64) -> Job {
    let things = StatusCounts::from([(JobExecutionStatus::Queued, queued)]);
    described(spec, JobStatus::InProgress, things)
}

/// The fleet group `fleet` with `members`, each a rev-b device on 1.0.0.
fn fleet_of(svc: &mut Services, members: &'static [&'static str]) {
    svc.fleet
        .expect_list_group_members()
        .with(eq("fleet"))
        .returning(move |_| Ok(members.iter().map(|m| m.to_string()).collect()));
    svc.fleet
        .expect_describe_thing()
        .returning(|name| Ok(device(name)));
}

/// [`fleet_of`] `members`, and the stage groups created and filled without error.
fn groups_made(svc: &mut Services, members: &'static [&'static str]) {
    fleet_of(svc, members);
    svc.fleet.expect_create_group().returning(|_, _| Ok(()));
    svc.fleet
        .expect_add_thing_to_group()
        .returning(|_, _| Ok(()));
}

/// A service where the stage's job exists already: creating it answers "already exists",
/// and describing it gives a job with `document` over the stage's group, `queued` things
/// queued. The fleet is the one device `a`.
fn job_exists(document: &'static str, queued: u64) -> Services {
    let mut svc = Services::default();
    groups_made(&mut svc, &["a"]);
    svc.jobs
        .expect_create_job()
        .returning(|spec| Err(ServiceError::ResourceAlreadyExists(spec.job_id)));
    svc.jobs.expect_describe_job().returning(move |id| {
        let spec = JobSpec::new(id, vec![Target::Group(id.into())], document);
        Ok(job(spec, queued))
    });
    svc
}

fn campaign(id: &str, stage: Stage) -> Campaign {
    let (catalog, release) = release();
    let spec = CampaignSpec::new(id, release, Targets::Group("fleet".into()), vec![stage]);
    Campaign::new(spec, &catalog).unwrap()
}

#[tokio::test]
async fn a_stage_creates_exactly_one_job_with_the_expected_spec() {
    let mut svc = Services::default();
    fleet_of(&mut svc, &["b", "a"]);
    svc.fleet
        .expect_create_group()
        .with(eq("m1-canary"), eq(None))
        .times(1)
        .returning(|_, _| Ok(()));
    for thing in ["a", "b"] {
        svc.fleet
            .expect_add_thing_to_group()
            .with(eq("m1-canary"), eq(thing))
            .times(1)
            .returning(|_, _| Ok(()));
    }
    let rollout = RolloutConfig::per_minute(10).with_max_in_flight(5);
    let mut expected = JobSpec::new("m1-canary", vec![Target::Group("m1-canary".into())], DOC);
    expected.description = Some("campaign m1, stage canary: release fw-2.0.0 (2.0.0)".into());
    expected.job_executions_rollout_config = Some(rollout.clone());
    expected.timeout_config = Some(TimeoutConfig::in_progress(30));
    let want = expected.clone();
    svc.jobs
        .expect_create_job()
        .withf(move |spec| *spec == want)
        .times(1)
        .returning(|spec| Ok(job(spec, 0)));
    let created = expected.clone();
    svc.jobs
        .expect_describe_job()
        .with(eq("m1-canary"))
        .times(3)
        .returning(move |_| Ok(job(created.clone(), 2)));
    let mut stage = Stage::new("canary", StageSize::Count(10)).with_rollout(rollout);
    stage.timeout = expected.timeout_config;
    let mut c = campaign("m1", stage);
    let events = c.step(0, &svc).await.unwrap();
    assert!(matches!(
        &events[..],
        [
            CampaignEvent::Planned { eligible: 2, .. },
            CampaignEvent::StageStarted { devices: 2, .. }
        ]
    ));
    // Later steps only read the job.
    assert!(c.step(1, &svc).await.unwrap().is_empty());
    assert!(c.step(2, &svc).await.unwrap().is_empty());
    assert_eq!(
        c.status().stages[0].counts.by_status[JobExecutionStatus::Queued],
        2
    );
}

#[tokio::test]
async fn service_errors_surface_as_typed_errors_and_the_next_step_retries() {
    let mut svc = Services::default();
    fleet_of(&mut svc, &["a"]);
    svc.fleet
        .expect_create_group()
        .times(1)
        .returning(|_, _| Ok(()));
    svc.fleet
        .expect_add_thing_to_group()
        .times(1)
        .returning(|_, _| Ok(()));
    let calls = AtomicUsize::new(0);
    svc.jobs
        .expect_create_job()
        .times(2)
        .returning(move |spec| match calls.fetch_add(1, Ordering::SeqCst) {
            0 => Err(ServiceError::LimitExceeded("concurrent jobs".into())),
            _ => Ok(job(spec, 0)),
        });
    svc.jobs
        .expect_describe_job()
        .returning(|id| Ok(job(JobSpec::new(id, vec![], DOC), 1)));
    let mut c = campaign("m2", Stage::new("all", StageSize::Count(1)));
    let err = c.step(0, &svc).await.unwrap_err();
    assert_eq!(
        err,
        CampaignError::Service {
            operation: "CreateJob",
            resource: "m2-all".into(),
            source: ServiceError::LimitExceeded("concurrent jobs".into()),
        }
    );
    assert_eq!(c.status().stages[0].phase, StagePhase::Starting);
    // The retry creates only the job; the events of the failed step come with it.
    let events = c.step(1, &svc).await.unwrap();
    assert!(matches!(
        &events[..],
        [
            CampaignEvent::Planned { .. },
            CampaignEvent::StageStarted { .. }
        ]
    ));
}

#[tokio::test]
async fn registry_errors_leave_the_campaign_unplanned() {
    let mut svc = Services::default();
    svc.fleet
        .expect_list_group_members()
        .returning(|_| Ok(vec!["a".into(), "b".into()]));
    svc.fleet
        .expect_describe_thing()
        .with(eq("a"))
        .returning(|name| Ok(device(name)));
    svc.fleet
        .expect_describe_thing()
        .with(eq("b"))
        .returning(|_| Err(ServiceError::InvalidRequest("throttled".into())));
    let mut c = campaign("m3", Stage::new("all", StageSize::Count(1)));
    assert!(matches!(
        c.step(0, &svc).await,
        Err(CampaignError::Service {
            operation: "DescribeThing",
            source: ServiceError::InvalidRequest(_),
            ..
        })
    ));
    assert_eq!(c.status().state, CampaignState::NotStarted);
    assert!(c.refusals().is_empty() && c.events().is_empty());
}

#[tokio::test]
async fn a_job_or_group_of_someone_else_is_not_adopted() {
    // A job with the stage's id but another document.
    let svc = job_exists("{}", 0);
    let mut c = campaign("m4", Stage::new("all", StageSize::Count(1)));
    assert_eq!(
        c.step(0, &svc).await,
        Err(CampaignError::JobTaken("m4-all".into()))
    );

    // The same job (a reply lost on the way back) is taken as the campaign's own.
    let svc = job_exists(DOC, 1);
    let mut c = campaign("m4", Stage::new("all", StageSize::Count(1)));
    assert!(c.step(0, &svc).await.is_ok());
    assert_eq!(c.status().stages[0].phase, StagePhase::Running);

    // A group with the stage's name holding other things.
    let mut svc = Services::default();
    fleet_of(&mut svc, &["a"]);
    svc.fleet
        .expect_create_group()
        .returning(|name, _| Err(ServiceError::ResourceAlreadyExists(name.into())));
    svc.fleet
        .expect_list_group_members()
        .with(eq("m5-all"))
        .returning(|_| Ok(vec!["stranger".into()]));
    let mut c = campaign("m5", Stage::new("all", StageSize::Count(1)));
    assert_eq!(
        c.step(0, &svc).await,
        Err(CampaignError::GroupTaken("m5-all".into()))
    );
}

/// A campaign whose single stage has one failure of two devices, with a 50 % threshold.
fn failing(svc: &mut Services, id: &'static str, rollback: RollbackPolicy) -> Campaign {
    groups_made(svc, &["a", "b"]);
    svc.jobs
        .expect_create_job()
        .returning(|spec| Ok(job(spec, 0)));
    svc.jobs.expect_describe_job().returning(|id| {
        if id.contains("-rb-") {
            // The rollback's stage: its one device queued.
            return Ok(job(JobSpec::new(id, vec![], DOC), 1));
        }
        let mut j = job(JobSpec::new(id, vec![], DOC), 0);
        j.job_process_details.by_status[JobExecutionStatus::Failed] = 1;
        j.job_process_details.by_status[JobExecutionStatus::Succeeded] = 1;
        Ok(j)
    });
    svc.jobs
        .expect_cancel_job()
        .withf(move |job_id, cancel| {
            job_id == format!("{id}-all")
                && cancel.reason_code.as_deref() == Some("CAMPAIGN_GATE_FAILED")
                && !cancel.force
        })
        .times(1)
        .returning(|id, _| Ok(job(JobSpec::new(id, vec![], DOC), 0)));
    let gate = Gate {
        failure_threshold: Some(Percent::whole(50)),
        ..Gate::default()
    };
    let (catalog, release) = release();
    let mut previous = release.clone();
    previous.id = "fw-2.0.1".into();
    previous.version = Version::new(2, 0, 1);
    let mut catalog = catalog;
    catalog.add(previous.clone()).unwrap();
    let stage = Stage::new("all", StageSize::Count(2)).with_gate(gate);
    let mut spec = CampaignSpec::new(id, release, Targets::Group("fleet".into()), vec![stage]);
    spec.previous = Some(previous);
    spec.rollback = rollback;
    Campaign::new(spec, &catalog).unwrap()
}

#[tokio::test]
async fn a_failed_gate_cancels_the_job_without_force() {
    let mut svc = Services::default();
    let mut c = failing(&mut svc, "m6", RollbackPolicy::Manual);
    let events = c.step(0, &svc).await.unwrap();
    assert!(matches!(
        events.last(),
        Some(CampaignEvent::JobCanceled { job_id }) if job_id == "m6-all"
    ));
    // Manual rollback policy: nothing is listed, nothing more is created.
    assert!(c.step(1, &svc).await.unwrap().is_empty());
}

#[tokio::test]
async fn rollback_listing_errors_are_typed_and_retried_without_cancelling_twice() {
    let mut svc = Services::default();
    let policy = RollbackPolicy::Automatic {
        stages: vec![Stage::new("all", StageSize::Percent(Percent::ALL))],
    };
    let mut c = failing(&mut svc, "m7", policy);
    let calls = AtomicUsize::new(0);
    svc.jobs
        .expect_list_job_executions_for_job()
        .with(eq("m7-all"), eq(Some(JobExecutionStatus::Succeeded)))
        .times(2)
        .returning(move |job, _| match calls.fetch_add(1, Ordering::SeqCst) {
            0 => Err(ServiceError::InvalidRequest("throttled".into())),
            _ => Ok(vec![JobExecutionSummary {
                job_id: job.into(),
                thing_name: "a".into(),
                status: JobExecutionStatus::Succeeded,
                queued_at: 0,
                started_at: None,
                last_updated_at: 0,
                execution_number: 1,
                retry_attempt: 0,
            }]),
        });
    assert!(matches!(
        c.step(0, &svc).await,
        Err(CampaignError::Service {
            operation: "ListJobExecutionsForJob",
            ..
        })
    ));
    // The retry lists again and does not cancel again (`times(1)`); the rollback campaign
    // plans and starts in the same step as it is created.
    svc.fleet
        .expect_create_group()
        .with(eq("m7-rb-all"), eq(None))
        .returning(|_, _| Ok(()));
    let events = c.step(1, &svc).await.unwrap();
    let tail: Vec<&CampaignEvent> = events.iter().skip(4).collect();
    assert!(
        matches!(
            &tail[..],
            [
                CampaignEvent::RolledBack { devices: 1, .. },
                CampaignEvent::Rollback { .. },
                CampaignEvent::Rollback { .. },
            ]
        ),
        "{events:#?}"
    );
    assert_eq!(
        c.rollback_campaign().unwrap().stage_devices("all").unwrap(),
        ["a"]
    );
}
