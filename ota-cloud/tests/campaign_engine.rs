//! Staged campaigns on the in-memory engine with a fake clock. Devices are simulated through
//! the `DeviceJobs` trait, moving their executions to `SUCCEEDED` or `FAILED`.

mod common;

use ota_cloud::campaign::*;
use ota_cloud::catalog::{Catalog, Incompatibility, Release, VersionReq};
use ota_cloud::jobs::model::{
    CancelJob, Comparator, JobStatus, RolloutConfig, StartNext, Target, TargetSelection,
    UpdateExecution,
};
use ota_cloud::{Clock, DeviceJobs, FleetService, JobService};
use ota_core::jobs::JobExecutionStatus::{self, *};
use ota_core::version::Version;

use common::campaign::{Svc, gate, release, service};
use common::{MIN, T0};

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

/// 2.0.0 for rev-b from 1.x, and its rollback: 1.0.0's build re-signed as 2.0.1, which
/// only a device on the bad 2.0.0 takes.
fn catalog() -> (Catalog, Release, Release) {
    let release =
        release("fw-2.0.0", "2.0.0").requiring(VersionReq::parse(">=1.0.0, <2.0.0").unwrap());
    let rollback = Release::new(
        "fw-2.0.1-rollback",
        "acme",
        v("2.0.1"),
        ["rev-b"],
        r#"{"operation":"firmware_update","version":"2.0.1","builtFrom":"1.0.0"}"#,
    )
    .requiring(VersionReq::parse("=2.0.0").unwrap());
    let mut c = Catalog::new();
    c.add(release.clone()).unwrap();
    c.add(rollback.clone()).unwrap();
    (c, release, rollback)
}

async fn device(svc: &Svc, name: &str, attrs: &[(&str, &str)]) {
    let attrs = attrs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    svc.create_thing(name, attrs).await.unwrap();
}

/// `n` rev-b devices on 1.0.0 in the group `fleet`, with `region` alternating eu/us.
async fn fleet(svc: &Svc, n: usize) -> Vec<String> {
    svc.create_group("fleet", None).await.unwrap();
    let mut names = Vec::new();
    for i in 0..n {
        let name = format!("dev-{i:03}");
        let region = if i % 2 == 0 { "eu" } else { "us" };
        device(
            svc,
            &name,
            &[
                ("hardware", "rev-b"),
                ("version", "1.0.0"),
                ("region", region),
            ],
        )
        .await;
        svc.add_thing_to_group("fleet", &name).await.unwrap();
        names.push(name);
    }
    names
}

/// The in-memory service with a [`fleet`] of `n` devices.
async fn serving(n: usize) -> Svc {
    let svc = service();
    fleet(&svc, n).await;
    svc
}

fn stage(name: &str, size: StageSize, gate: Gate) -> Stage {
    Stage::new(name, size).with_gate(gate)
}

/// Stage `canary` of one device behind `gate`, then stage `rest` with the default gate.
fn canary_then_rest(gate: Gate) -> Vec<Stage> {
    vec![
        stage("canary", StageSize::Count(1), gate),
        stage("rest", StageSize::Percent(Percent::ALL), Gate::default()),
    ]
}

fn spec(id: &str, release: &Release, stages: Vec<Stage>) -> CampaignSpec {
    CampaignSpec::new(id, release.clone(), Targets::Group("fleet".into()), stages)
}

/// As [`spec`] of the release 2.0.0 of [`catalog`], rolled back automatically to the
/// catalog's rollback release in `rollback` stages.
fn rollback_spec(id: &str, stages: Vec<Stage>, rollback: Vec<Stage>) -> CampaignSpec {
    let (_, release, previous) = catalog();
    let mut s = spec(id, &release, stages);
    s.previous = Some(previous);
    s.rollback = RollbackPolicy::Automatic { stages: rollback };
    s
}

/// Campaign `id` of the release 2.0.0 of [`catalog`] over the group `fleet` in `stages`,
/// without a rollback.
fn campaign(id: &str, stages: Vec<Stage>) -> Campaign {
    let (cat, release, _) = catalog();
    Campaign::new(spec(id, &release, stages), &cat).unwrap()
}

async fn step(c: &mut Campaign, svc: &Svc) -> Vec<String> {
    let events = c.step(svc.clock().now(), svc).await.unwrap();
    events.iter().map(tag).collect()
}

/// A short name for an event, to compare sequences.
fn tag(e: &CampaignEvent) -> String {
    match e {
        CampaignEvent::Planned {
            eligible,
            refused,
            unassigned,
        } => format!("Planned({eligible},{refused},{unassigned})"),
        CampaignEvent::Refused { thing, .. } => format!("Refused({thing})"),
        CampaignEvent::StageStarted { stage, devices, .. } => {
            format!("StageStarted({stage},{devices})")
        }
        CampaignEvent::StageSkipped { stage } => format!("StageSkipped({stage})"),
        CampaignEvent::SoakStarted { stage, .. } => format!("SoakStarted({stage})"),
        CampaignEvent::AwaitingApproval { stage } => format!("AwaitingApproval({stage})"),
        CampaignEvent::Approved { stage, by } => format!("Approved({stage},{by})"),
        CampaignEvent::GatePassed { stage, .. } => format!("GatePassed({stage})"),
        CampaignEvent::GateFailed { stage, .. } => format!("GateFailed({stage})"),
        CampaignEvent::JobCanceled { job_id } => format!("JobCanceled({job_id})"),
        CampaignEvent::Paused => "Paused".into(),
        CampaignEvent::Resumed => "Resumed".into(),
        CampaignEvent::Completed => "Completed".into(),
        CampaignEvent::RolledBack {
            rollback_campaign,
            devices,
        } => format!("RolledBack({rollback_campaign},{devices})"),
        CampaignEvent::NothingToRollBack => "NothingToRollBack".into(),
        CampaignEvent::Rollback { event, .. } => format!("rb:{}", tag(event)),
        other => format!("{other:?}"),
    }
}

/// Let a minute pass (the default rollout notifies up to 1000 things a minute).
fn minute(svc: &Svc) {
    svc.clock().advance(MIN);
}

/// Move up to `n` of the job's executions in `from` to `to`, as their devices would.
async fn report(
    svc: &Svc,
    job: &str,
    from: JobExecutionStatus,
    n: usize,
    to: JobExecutionStatus,
) -> Vec<String> {
    let things: Vec<String> = svc
        .list_job_executions_for_job(job, Some(from))
        .await
        .unwrap()
        .into_iter()
        .take(n)
        .map(|s| s.thing_name)
        .collect();
    for thing in &things {
        svc.update_execution(thing, job, UpdateExecution::new(to))
            .await
            .unwrap();
    }
    things
}

/// Move up to `n` of `job`'s `QUEUED` executions to `to`, as [`report`], then step: the
/// step's events.
async fn step_after(
    c: &mut Campaign,
    svc: &Svc,
    job: &str,
    n: usize,
    to: JobExecutionStatus,
) -> Vec<String> {
    report(svc, job, Queued, n, to).await;
    step(c, svc).await
}

async fn succeed_all(svc: &Svc, job: &str) -> Vec<String> {
    report(svc, job, Queued, usize::MAX, Succeeded).await
}

#[tokio::test]
async fn three_stages_progress_automatically() {
    let svc = service();
    let all = fleet(&svc, 100).await;
    let g = gate(1, Some(100), Some(10));
    let stages = vec![
        stage("canary", StageSize::Percent(Percent::whole(1)), g.clone()),
        stage("ten", StageSize::Percent(Percent::whole(10)), g.clone()),
        stage("rest", StageSize::Percent(Percent::ALL), g),
    ];
    let mut c = campaign("c1", stages);
    assert_eq!(
        step(&mut c, &svc).await,
        ["Planned(100,0,0)", "StageStarted(canary,1)"]
    );
    minute(&svc);
    assert!(step(&mut c, &svc).await.is_empty(), "nothing reported yet");
    succeed_all(&svc, "c1-canary").await;
    assert_eq!(
        step(&mut c, &svc).await,
        ["GatePassed(canary)", "StageStarted(ten,10)"]
    );
    minute(&svc);
    succeed_all(&svc, "c1-ten").await;
    assert_eq!(
        step(&mut c, &svc).await,
        ["GatePassed(ten)", "StageStarted(rest,89)"]
    );
    minute(&svc);
    succeed_all(&svc, "c1-rest").await;
    assert_eq!(step(&mut c, &svc).await, ["GatePassed(rest)", "Completed"]);
    assert!(step(&mut c, &svc).await.is_empty());

    let status = c.status();
    assert_eq!(status.state, CampaignState::Completed);
    assert!(
        status
            .stages
            .iter()
            .all(|s| s.phase == StagePhase::Finished)
    );
    assert_eq!(
        status.stages[2].counts.by_status[JobExecutionStatus::Succeeded],
        89
    );
    // Every device in exactly one stage; each stage one snapshot job over its own group.
    let mut dealt: Vec<String> = ["canary", "ten", "rest"]
        .iter()
        .flat_map(|s| c.stage_devices(s).unwrap().to_vec())
        .collect();
    dealt.sort();
    assert_eq!(dealt, all);
    assert_eq!(c.stage_devices("canary").unwrap(), ["dev-000"]);
    let jobs = svc.list_jobs(None).await.unwrap();
    assert_eq!(jobs.len(), 3);
    for job in jobs {
        assert_eq!(job.status, JobStatus::Completed);
        assert_eq!(job.spec.target_selection, TargetSelection::Snapshot);
        assert_eq!(
            job.spec.targets,
            [Target::Group(job.spec.job_id.clone())],
            "a thing group per stage"
        );
        assert_eq!(job.spec.document, catalog().1.document);
    }
    let members = svc.list_group_members("c1-ten").await.unwrap();
    assert_eq!(members, c.stage_devices("ten").unwrap());
}

#[tokio::test]
async fn min_sample_holds_judgement() {
    let svc = serving(20).await;
    let stages = vec![stage("wave", StageSize::Count(20), gate(5, None, Some(40)))];
    let mut c = campaign("c2", stages);
    step(&mut c, &svc).await;
    minute(&svc);
    report(&svc, "c2-wave", Queued, 2, Failed).await;
    assert!(
        step(&mut c, &svc).await.is_empty(),
        "2 of 2 failed, but the sample is 5"
    );
    report(&svc, "c2-wave", Queued, 2, Succeeded).await;
    assert!(step(&mut c, &svc).await.is_empty(), "4 terminal");
    assert_eq!(
        step_after(&mut c, &svc, "c2-wave", 1, Succeeded).await,
        ["GateFailed(wave)", "JobCanceled(c2-wave)"],
        "2 of 5 = 40 %"
    );
    match c.status().state {
        CampaignState::Stopped {
            stage,
            failure:
                GateFailure::FailureThreshold {
                    failures,
                    denominator,
                    ..
                },
        } => assert_eq!((stage.as_str(), failures, denominator), ("wave", 2, 5)),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn soak_time_holds_the_next_stage() {
    let svc = serving(4).await;
    let soaked = Gate {
        soak_ms: 30 * MIN,
        ..gate(1, Some(100), None)
    };
    let mut c = campaign("c3", canary_then_rest(soaked));
    step(&mut c, &svc).await;
    minute(&svc);
    succeed_all(&svc, "c3-canary").await;
    let soak_start = svc.clock().now();
    assert_eq!(step(&mut c, &svc).await, ["SoakStarted(canary)"]);
    assert_eq!(
        c.status().stages[0].phase,
        StagePhase::Soaking {
            until: soak_start + 30 * MIN
        }
    );
    svc.clock().set(soak_start + 30 * MIN - 1);
    assert!(step(&mut c, &svc).await.is_empty(), "still soaking");
    svc.clock().set(soak_start + 30 * MIN);
    assert_eq!(
        step(&mut c, &svc).await,
        ["GatePassed(canary)", "StageStarted(rest,3)"]
    );
}

#[tokio::test]
async fn a_failure_during_the_soak_fails_the_gate() {
    let svc = serving(10).await;
    // 80 % of the terminal ones must succeed; 30 % failed fails.
    let g = Gate {
        soak_ms: 10 * MIN,
        ..gate(1, Some(80), Some(30))
    };
    let mut c = campaign("c3b", vec![stage("all", StageSize::Count(10), g)]);
    step(&mut c, &svc).await;
    minute(&svc);
    assert_eq!(
        step_after(&mut c, &svc, "c3b-all", 4, Succeeded).await,
        ["SoakStarted(all)"]
    );
    minute(&svc);
    assert_eq!(
        step_after(&mut c, &svc, "c3b-all", 2, Failed).await,
        ["GateFailed(all)", "JobCanceled(c3b-all)"],
        "2 of 6 = 33 %"
    );
}

#[tokio::test]
async fn manual_approval_holds_until_approve() {
    let svc = serving(3).await;
    let manual = Gate {
        manual_approval: true,
        ..gate(1, Some(100), None)
    };
    let mut c = campaign("c4", canary_then_rest(manual));
    step(&mut c, &svc).await;
    assert_eq!(
        c.approve("canary", "alice", "too early", T0),
        Err(CampaignError::NotAwaitingApproval("canary".into()))
    );
    minute(&svc);
    succeed_all(&svc, "c4-canary").await;
    assert_eq!(step(&mut c, &svc).await, ["AwaitingApproval(canary)"]);
    svc.clock().advance(24 * 60 * MIN);
    assert!(
        step(&mut c, &svc).await.is_empty(),
        "waits as long as it takes"
    );
    assert_eq!(c.status().stages[1].phase, StagePhase::Planned);
    assert_eq!(
        c.approve("nope", "alice", "", T0),
        Err(CampaignError::UnknownStage("nope".into()))
    );
    assert_eq!(
        c.approve("canary", " ", "", T0),
        Err(CampaignError::MissingApprover)
    );
    let at = svc.clock().now();
    c.approve("canary", "alice", "canary metrics look fine", at)
        .unwrap();
    assert_eq!(
        step(&mut c, &svc).await,
        [
            "Approved(canary,alice)",
            "GatePassed(canary)",
            "StageStarted(rest,2)"
        ]
    );
    assert_eq!(
        c.approvals(),
        [Approval {
            stage: "canary".into(),
            by: "alice".into(),
            remark: "canary metrics look fine".into(),
            at,
        }]
    );
}

#[tokio::test]
async fn pause_holds_progression_and_leaves_the_running_job_alone() {
    let svc = serving(10).await;
    let stages = vec![
        stage("one", StageSize::Count(5), Gate::default()),
        stage("two", StageSize::Count(5), Gate::default()),
    ];
    let mut c = campaign("c5", stages);
    // Paused before the first step: a dry run that plans and starts nothing.
    c.pause(T0).unwrap();
    assert_eq!(step(&mut c, &svc).await, ["Paused", "Planned(10,0,0)"]);
    assert_eq!(c.stage_devices("two").unwrap().len(), 5);
    assert!(svc.list_jobs(None).await.unwrap().is_empty());
    c.resume(T0).unwrap();
    assert_eq!(step(&mut c, &svc).await, ["Resumed", "StageStarted(one,5)"]);
    // Paused while stage one runs: its job carries on, devices keep installing.
    c.pause(T0).unwrap();
    c.pause(T0).unwrap();
    minute(&svc);
    assert_eq!(
        step(&mut c, &svc).await,
        ["Paused"],
        "pausing twice logs once"
    );
    let job = svc.describe_job("c5-one").await.unwrap();
    assert_eq!(job.status, JobStatus::InProgress);
    assert_eq!(
        job.job_process_details.by_status[JobExecutionStatus::Queued],
        5
    );
    succeed_all(&svc, "c5-one").await;
    assert_eq!(
        step(&mut c, &svc).await,
        ["GatePassed(one)"],
        "the gate is judged, the next stage waits"
    );
    assert!(c.status().paused);
    assert_eq!(c.status().current_stage.as_deref(), Some("two"));
    assert!(step(&mut c, &svc).await.is_empty());
    c.resume(svc.clock().now()).unwrap();
    assert_eq!(step(&mut c, &svc).await, ["Resumed", "StageStarted(two,5)"]);
    minute(&svc);
    succeed_all(&svc, "c5-two").await;
    assert_eq!(step(&mut c, &svc).await, ["GatePassed(two)", "Completed"]);
    assert!(matches!(c.pause(T0), Err(CampaignError::Finished(_))));
}

#[tokio::test]
async fn failure_threshold_stops_cancels_and_rolls_back_the_devices_that_took_it() {
    let svc = serving(20).await;
    let (cat, _, previous) = catalog();
    let stages = vec![
        stage("canary", StageSize::Count(2), gate(1, Some(100), None)),
        stage("wave", StageSize::Count(10), gate(5, None, Some(30))),
        stage("rest", StageSize::Percent(Percent::ALL), Gate::default()),
    ];
    let back = stage("all", StageSize::Percent(Percent::ALL), gate(1, None, None));
    let mut c = Campaign::new(rollback_spec("c6", stages, vec![back]), &cat).unwrap();
    step(&mut c, &svc).await;
    minute(&svc);
    let canaries = succeed_all(&svc, "c6-canary").await;
    assert_eq!(
        step(&mut c, &svc).await,
        ["GatePassed(canary)", "StageStarted(wave,10)"]
    );
    minute(&svc);
    let took = report(&svc, "c6-wave", Queued, 3, Succeeded).await;
    report(&svc, "c6-wave", Queued, 2, Failed).await;
    let busy = svc
        .start_next("dev-007", StartNext::default())
        .await
        .unwrap();
    assert_eq!(
        busy.unwrap().execution.job_id,
        "c6-wave",
        "one device mid-install"
    );
    assert_eq!(
        step(&mut c, &svc).await,
        ["GateFailed(wave)", "JobCanceled(c6-wave)"],
        "2 of 5 = 40 %; the canary's job had completed, nothing to cancel there"
    );
    // The rollback waits for the device mid-install: it may yet take the release.
    assert!(c.rollback_campaign().is_none() && !c.is_finished());
    minute(&svc);
    assert!(step(&mut c, &svc).await.is_empty(), "still installing");
    let late = report(&svc, "c6-wave", InProgress, 1, Succeeded).await;
    assert_eq!(late, ["dev-007"]);
    assert_eq!(
        step(&mut c, &svc).await,
        [
            "RolledBack(c6-rb,6)",
            "rb:Planned(6,0,0)",
            "rb:StageStarted(all,6)",
        ],
    );
    // The stage's job: QUEUED executions cancelled, the IN_PROGRESS one left to finish.
    let wave = svc.describe_job("c6-wave").await.unwrap();
    assert_eq!(wave.status, JobStatus::Canceled);
    assert_eq!(wave.reason_code.as_deref(), Some("CAMPAIGN_GATE_FAILED"));
    let d = &wave.job_process_details;
    assert_eq!(
        (
            d.by_status[JobExecutionStatus::Canceled],
            d.by_status[JobExecutionStatus::Succeeded]
        ),
        (4, 4)
    );
    assert!(svc.describe_job("c6-rest").await.is_err(), "never started");
    assert_eq!(c.status().stages[2].phase, StagePhase::NotRun);
    // The rollback campaign: exactly the devices that succeeded, with the previous build.
    let mut expected: Vec<String> = canaries.into_iter().chain(took).chain(late).collect();
    expected.sort();
    let rb = c.rollback_campaign().unwrap();
    assert_eq!(rb.id(), "c6-rb");
    assert_eq!(rb.status().rollback_of.as_deref(), Some("c6"));
    assert_eq!(c.status().rollback_campaign.as_deref(), Some("c6-rb"));
    assert_eq!(rb.stage_devices("all").unwrap(), expected);
    let mut members = svc.list_group_members("c6-rb-all").await.unwrap();
    members.sort();
    assert_eq!(members, expected);
    assert_eq!(
        svc.job_document("c6-rb-all").await.unwrap(),
        previous.document
    );
    // The original's step drives the rollback to its end.
    minute(&svc);
    succeed_all(&svc, "c6-rb-all").await;
    assert_eq!(
        step(&mut c, &svc).await,
        ["rb:GatePassed(all)", "rb:Completed"]
    );
    assert_eq!(
        c.rollback_campaign().unwrap().status().state,
        CampaignState::Completed
    );
}

#[tokio::test]
async fn passed_stages_stay_watched_until_their_jobs_complete() {
    let svc = serving(20).await;
    let stages = vec![
        stage("first", StageSize::Count(10), gate(2, Some(50), Some(30))),
        stage("second", StageSize::Count(10), Gate::default()),
    ];
    let mut c = campaign("c12", stages);
    step(&mut c, &svc).await;
    minute(&svc);
    assert_eq!(
        step_after(&mut c, &svc, "c12-first", 2, Succeeded).await,
        ["GatePassed(first)", "StageStarted(second,10)"],
        "2 of 2 terminal succeeded"
    );
    assert_eq!(c.status().stages[0].phase, StagePhase::Passed);
    // Its stragglers fail after the gate passed: 3 of 5 terminal.
    assert_eq!(
        step_after(&mut c, &svc, "c12-first", 3, Failed).await,
        [
            "GateFailed(first)",
            "JobCanceled(c12-first)",
            "JobCanceled(c12-second)"
        ]
    );
    let phases: Vec<StagePhase> = c.status().stages.iter().map(|s| s.phase).collect();
    assert_eq!(phases, [StagePhase::Failed, StagePhase::Stopped]);
}

#[tokio::test]
async fn completion_waits_for_every_stage_job() {
    let svc = serving(4).await;
    let stages = vec![stage("all", StageSize::Count(4), gate(1, Some(50), None))];
    let mut c = campaign("c13", stages);
    step(&mut c, &svc).await;
    minute(&svc);
    assert_eq!(
        step_after(&mut c, &svc, "c13-all", 2, Succeeded).await,
        ["GatePassed(all)"]
    );
    let status = c.status();
    assert_eq!(status.state, CampaignState::Running);
    assert_eq!(status.current_stage, None, "every gate passed");
    succeed_all(&svc, "c13-all").await;
    assert_eq!(step(&mut c, &svc).await, ["Completed"]);
    assert_eq!(c.status().stages[0].phase, StagePhase::Finished);
}

#[tokio::test]
async fn nothing_to_roll_back_when_no_device_took_the_release() {
    let svc = serving(5).await;
    let stages = vec![stage("all", StageSize::Count(5), gate(1, None, Some(50)))];
    let back = Stage::new("all", StageSize::Percent(Percent::ALL));
    let mut c = Campaign::new(rollback_spec("c6b", stages, vec![back]), &catalog().0).unwrap();
    step(&mut c, &svc).await;
    minute(&svc);
    assert_eq!(
        step_after(&mut c, &svc, "c6b-all", 1, Failed).await,
        [
            "GateFailed(all)",
            "JobCanceled(c6b-all)",
            "NothingToRollBack"
        ]
    );
    assert!(c.rollback_campaign().is_none());
}

#[tokio::test]
async fn incompatible_devices_are_refused_with_reasons() {
    let svc = serving(3).await;
    for (name, attrs) in [
        ("old-hw", &[("hardware", "rev-a"), ("version", "1.0.0")][..]),
        ("too-old", &[("hardware", "rev-b"), ("version", "0.9.0")]),
        ("current", &[("hardware", "rev-b"), ("version", "2.0.0")]),
        ("newer", &[("hardware", "rev-b"), ("version", "2.1.0")]),
        ("no-version", &[("hardware", "rev-b")]),
        ("garbled", &[("hardware", "rev-b"), ("version", "v1")]),
    ] {
        device(&svc, name, attrs).await;
        svc.add_thing_to_group("fleet", name).await.unwrap();
    }
    let stages = vec![
        stage("one", StageSize::Count(1), Gate::default()),
        stage("two", StageSize::Percent(Percent::ALL), Gate::default()),
    ];
    let mut c = campaign("c7", stages);
    let events = step(&mut c, &svc).await;
    assert_eq!(events.last().unwrap(), "StageStarted(one,1)");
    assert!(events.contains(&"Planned(3,6,0)".to_string()));
    let reason = |thing: &str| {
        c.refusals()
            .iter()
            .find(|r| r.thing == thing)
            .map(|r| r.reason.clone())
            .unwrap()
    };
    assert!(matches!(
        reason("old-hw"),
        RefusalReason::Incompatible(Incompatibility::WrongHardware { .. })
    ));
    assert!(matches!(
        reason("too-old"),
        RefusalReason::Incompatible(Incompatibility::RunningVersionNotAllowed { .. })
    ));
    for already in ["current", "newer"] {
        assert!(matches!(
            reason(already),
            RefusalReason::Incompatible(Incompatibility::NotNewer { .. })
        ));
    }
    assert_eq!(
        reason("no-version"),
        RefusalReason::MissingAttribute("version".into())
    );
    assert!(matches!(
        reason("garbled"),
        RefusalReason::InvalidVersion { .. }
    ));
    assert!(c.refusals().iter().all(|r| r.stage.is_none() && r.at == T0));
    // A device updated by other means after planning is refused when its stage starts.
    svc.set_attribute("dev-002", "version", Some("2.0.0".into()))
        .await
        .unwrap();
    svc.delete_thing("dev-001").await.unwrap();
    minute(&svc);
    succeed_all(&svc, "c7-one").await;
    assert_eq!(
        step(&mut c, &svc).await,
        [
            "GatePassed(one)",
            "Refused(dev-001)",
            "Refused(dev-002)",
            "StageSkipped(two)",
            "Completed"
        ]
    );
    let late = &c.refusals()[c.refusals().len() - 2..];
    assert_eq!(late[0].reason, RefusalReason::UnknownThing);
    assert_eq!(late[1].stage.as_deref(), Some("two"));
    assert!(svc.describe_job("c7-two").await.is_err(), "no job for it");
    assert_eq!(c.status().refused, 8);
}

#[tokio::test]
async fn stage_sizes_by_percent_count_group_and_attribute() {
    let svc = serving(20).await;
    svc.create_group("lab", None).await.unwrap();
    for lab in ["dev-005", "dev-013", "dev-017"] {
        svc.add_thing_to_group("lab", lab).await.unwrap();
    }
    let stages = vec![
        stage("lab", StageSize::Group("lab".into()), Gate::default()),
        stage(
            "eu",
            StageSize::Attribute {
                key: "region".into(),
                value: "eu".into(),
            },
            Gate::default(),
        ),
        stage("two", StageSize::Count(2), Gate::default()),
        stage(
            "half",
            StageSize::Percent(Percent::whole(25)),
            Gate::default(),
        ),
    ];
    let mut c = campaign("c8", stages);
    c.pause(T0).unwrap();
    step(&mut c, &svc).await;
    let devices = |s: &str| c.stage_devices(s).unwrap().to_vec();
    assert_eq!(devices("lab"), ["dev-005", "dev-013", "dev-017"]);
    assert_eq!(
        devices("eu").len(),
        10,
        "every even device: none is in the lab"
    );
    assert!(devices("eu").iter().all(|d| !devices("lab").contains(d)));
    assert_eq!(devices("two"), ["dev-001", "dev-003"]);
    assert_eq!(
        devices("half"),
        ["dev-007", "dev-009", "dev-011", "dev-015", "dev-019"],
        "25 % of 20 eligible"
    );
    assert_eq!(c.unassigned().len(), 0);
    // Seeded shuffle: reproducible, and the canaries are not the first names.
    let (cat, release, _) = catalog();
    let shuffled = |seed| {
        let mut s = spec("c8s", &release, vec![Stage::new("c", StageSize::Count(3))]);
        s.order = AssignmentOrder::Shuffled { seed };
        Campaign::new(s, &cat).unwrap()
    };
    let (mut a, mut b) = (shuffled(9), shuffled(9));
    a.pause(T0).unwrap();
    b.pause(T0).unwrap();
    step(&mut a, &svc).await;
    step(&mut b, &svc).await;
    assert_eq!(a.stage_devices("c"), b.stage_devices("c"));
    assert_ne!(
        a.stage_devices("c").unwrap(),
        ["dev-000", "dev-001", "dev-002"]
    );
    assert_eq!(a.unassigned().len(), 17);
}

#[tokio::test]
async fn comparator_and_denominator_edges_on_the_engine() {
    let svc = serving(10).await;
    // Exactly 10 % fails: `>=` stops the campaign, `>` lets it complete.
    let comparing = |comparator| Gate {
        comparator,
        ..gate(10, None, Some(10))
    };
    // 1 failure among the first 2 reports: 50 % of terminal, 10 % of the stage.
    let over = |denominator| Gate {
        denominator,
        ..gate(2, None, Some(20))
    };
    let (ge, term) = (
        ["GateFailed(all)"],
        ["GateFailed(all)", "JobCanceled(term-all)"],
    );
    for (id, g, succeeded, expected) in [
        ("ge", comparing(Comparator::AtLeast), 9, &ge[..]),
        (
            "gt",
            comparing(Comparator::Exceeds),
            9,
            &["GatePassed(all)", "Completed"],
        ),
        ("term", over(GateDenominator::Terminal), 1, &term),
        ("total", over(GateDenominator::StageTotal), 1, &[]),
    ] {
        let mut c = campaign(id, vec![stage("all", StageSize::Count(10), g)]);
        step(&mut c, &svc).await;
        minute(&svc);
        let job = format!("{id}-all");
        report(&svc, &job, Queued, 1, Failed).await;
        report(&svc, &job, Queued, succeeded, Succeeded).await;
        assert_eq!(step(&mut c, &svc).await, expected, "{id}");
    }
}

#[tokio::test]
async fn a_job_cancelled_outside_the_campaign_fails_its_gate() {
    let svc = serving(4).await;
    let mut c = campaign(
        "c9",
        vec![stage("all", StageSize::Count(4), Gate::default())],
    );
    step(&mut c, &svc).await;
    svc.cancel_job("c9-all", CancelJob::because("OPERATOR"))
        .await
        .unwrap();
    assert_eq!(step(&mut c, &svc).await, ["GateFailed(all)"]);
    assert!(matches!(
        c.status().state,
        CampaignState::Stopped {
            failure: GateFailure::JobCanceled { .. },
            ..
        }
    ));
}

#[tokio::test]
async fn steps_are_idempotent_and_report_counts_per_stage() {
    let svc = serving(6).await;
    let stages = vec![
        stage("a", StageSize::Count(3), gate(1, Some(50), None)),
        stage("b", StageSize::Count(3), Gate::default()),
    ];
    let mut c = campaign("c10", stages);
    step(&mut c, &svc).await;
    for _ in 0..3 {
        assert!(step(&mut c, &svc).await.is_empty());
    }
    minute(&svc);
    report(&svc, "c10-a", Queued, 1, Failed).await;
    assert_eq!(
        step_after(&mut c, &svc, "c10-a", 1, Succeeded).await,
        ["GatePassed(a)", "StageStarted(b,3)"],
        "1 of 2 terminal = 50 %"
    );
    for _ in 0..3 {
        assert!(step(&mut c, &svc).await.is_empty());
    }
    assert_eq!(svc.list_jobs(None).await.unwrap().len(), 2);
    // Stage a's last device reports after its gate passed: the report sees it.
    report(&svc, "c10-a", Queued, 1, Succeeded).await;
    let r = c.report(&svc, 10).await.unwrap();
    assert_eq!(
        r.stages[0].status.counts.by_status[JobExecutionStatus::Succeeded],
        2
    );
    assert_eq!(
        r.status.stages[0].counts.by_status[JobExecutionStatus::Succeeded],
        1,
        "as the step saw it"
    );
    let job = r.stages[0].job.as_ref().unwrap();
    assert_eq!(job.failures.len(), 1);
    assert_eq!(job.failures[0].status, Failed);
    assert!(r.stages[1].job.is_some());
    assert_eq!(r.status.current_stage.as_deref(), Some("b"));
    // Everything is in the log with its time.
    assert!(c.events().iter().all(|l| l.at >= T0));
}

#[tokio::test]
async fn spec_problems_are_refused_up_front() {
    let (cat, release, previous) = catalog();
    let all = vec![Stage::new("all", StageSize::Percent(Percent::ALL))];
    let mut s = rollback_spec("c11", all.clone(), all);
    // The rollback release must be newer than the bad one (devices refuse downgrades).
    let mut old = previous.clone();
    old.version = v("1.0.0");
    s.previous = Some(old);
    assert!(matches!(
        Campaign::new(s.clone(), &cat),
        Err(CampaignError::Spec(SpecError::RollbackNotNewer { .. }))
    ));
    s.previous = Some(previous);
    assert!(Campaign::new(s.clone(), &cat).is_ok());
    let mut unknown = release.clone();
    unknown.id = "fw-9".into();
    s.release = unknown;
    assert_eq!(
        Campaign::new(s, &cat).unwrap_err(),
        CampaignError::Spec(SpecError::NotInCatalog("fw-9".into()))
    );
}

#[tokio::test]
async fn job_rules_are_checked_before_anything_is_created() {
    let (cat, release, _) = catalog();
    let mut fast = Stage::new("all", StageSize::Percent(Percent::ALL));
    fast.rollout = Some(RolloutConfig::per_minute(5000));
    let s = spec("c14", &release, vec![fast.clone()]);
    assert!(matches!(
        Campaign::new(s, &cat),
        Err(CampaignError::Spec(SpecError::InvalidJob { stage, .. })) if stage == "c14-all"
    ));
    // The rollback campaign's stages too.
    let s = rollback_spec(
        "c14",
        vec![Stage::new("all", StageSize::Count(1))],
        vec![fast],
    );
    assert!(matches!(
        Campaign::new(s, &cat),
        Err(CampaignError::Spec(SpecError::InvalidJob { stage, .. })) if stage == "c14-rb-all"
    ));
    // A document that is not JSON.
    let mut bad = release.clone();
    bad.id = "fw-bad".into();
    bad.version = v("2.0.5");
    bad.document = "not json".into();
    let mut cat = cat;
    cat.add(bad.clone()).unwrap();
    let s = spec("c15", &bad, vec![Stage::new("all", StageSize::Count(1))]);
    assert!(matches!(
        Campaign::new(s, &cat),
        Err(CampaignError::Spec(SpecError::InvalidJob { .. }))
    ));
}

#[tokio::test]
async fn an_operator_stop_cancels_the_running_job_and_starts_no_rollback() {
    let svc = serving(6).await;
    let stages = vec![
        stage("one", StageSize::Count(3), Gate::default()),
        stage("two", StageSize::Count(3), Gate::default()),
    ];
    let (cat, _, _) = catalog();
    let rollback = vec![stage(
        "rb",
        StageSize::Percent(Percent::ALL),
        Gate::default(),
    )];
    let mut c = Campaign::new(rollback_spec("c20", stages, rollback), &cat).unwrap();
    step(&mut c, &svc).await;
    assert!(matches!(
        c.stop(" ", "why", T0),
        Err(CampaignError::MissingApprover)
    ));
    c.stop("ops", "bad build", T0).unwrap();
    assert!(matches!(
        &c.status().state,
        CampaignState::Stopped {
            stage,
            failure: GateFailure::Stopped { by, .. },
        } if stage == "one" && by == "ops"
    ));
    step(&mut c, &svc).await;
    let job = svc.describe_job("c20-one").await.unwrap();
    assert_eq!(job.status, JobStatus::Canceled);
    assert!(
        c.is_finished(),
        "no rollback campaign despite the automatic policy"
    );
    assert!(c.rollback_campaign().is_none());
    assert!(
        svc.describe_job("c20-two").await.is_err(),
        "stage two never ran"
    );
    assert!(matches!(
        c.stop("ops", "again", T0),
        Err(CampaignError::Finished(_))
    ));
}

#[tokio::test]
async fn the_abort_backstop_puts_the_gate_on_the_stage_job() {
    let svc = serving(4).await;
    let (cat, release, _) = catalog();
    let mut s = spec(
        "c21",
        &release,
        vec![stage("all", StageSize::Count(4), gate(2, None, Some(25)))],
    );
    s.abort_backstop = true;
    let mut c = Campaign::new(s, &cat).unwrap();
    step(&mut c, &svc).await;
    let job = svc.describe_job("c21-all").await.unwrap();
    let abort = job.spec.abort_config.expect("the backstop");
    let criterion = &abort.criteria_list[0];
    assert_eq!(criterion.threshold_percentage, 25.0);
    assert_eq!(criterion.min_number_of_executed_things, 2);
    assert_eq!(
        criterion.failure_type,
        ota_cloud::jobs::model::FailureType::All
    );
    // Without the flag, no abort config is added.
    let svc = serving(4).await;
    let mut c = campaign(
        "c22",
        vec![stage("all", StageSize::Count(4), gate(2, None, Some(25)))],
    );
    step(&mut c, &svc).await;
    assert!(
        svc.describe_job("c22-all")
            .await
            .unwrap()
            .spec
            .abort_config
            .is_none()
    );
}
