//! Targets, cancellation, deletion, completion, the device plane's answers and pushes, quotas,
//! the event log, and counters against a recount, for the in-memory engine.

mod common;

use ota_cloud::jobs::events::EventKind;
use ota_cloud::jobs::model::*;
use ota_cloud::{Engine, JobSelector, NotificationKind, ServiceError, Settings};
use ota_core::jobs::{ErrorCode, JobExecutionStatus};
use proptest::prelude::*;

use common::engine::{abort, add_fleet, noop_job};
use common::{MIN, T0};

fn fleet(n: usize) -> Engine {
    let mut e = Engine::new(T0, Settings::default());
    add_fleet(&mut e, n, |i| format!("dev-{i}"), &[("model", "m1")]);
    e
}

/// Create the job and let the rollout (1000 things per minute by default, as AWS) notify
/// every target.
fn create(e: &mut Engine, spec: JobSpec) {
    e.create_job(spec).unwrap();
    let now = e.now();
    e.advance(now + MIN);
}

/// A fleet of `n` with job `job` (nothing asked) created and rolled out, and `dev-0`'s
/// execution of it `IN_PROGRESS`.
fn started(n: usize, job: &str) -> Engine {
    let mut e = fleet(n);
    create(&mut e, noop_job(job));
    set(&mut e, "dev-0", job, JobExecutionStatus::InProgress).unwrap();
    e
}

fn status(e: &Engine, job: &str, thing: &str) -> JobExecutionStatus {
    e.describe_job_execution(job, thing, None).unwrap().status
}

fn set(
    e: &mut Engine,
    thing: &str,
    job: &str,
    s: JobExecutionStatus,
) -> Result<UpdateOutcome, ota_cloud::DataPlaneError> {
    e.update_execution(thing, job, &UpdateExecution::new(s))
}

/// CancelJobExecution's options: `force` and `expected_version`, no details.
fn cancel(force: bool, expected_version: Option<u64>) -> CancelExecution {
    CancelExecution {
        force,
        expected_version,
        status_details: None,
    }
}

fn drain(e: &mut Engine) -> Vec<(String, NotificationKind)> {
    let all: Vec<_> = std::iter::from_fn(|| e.poll_notification()).collect();
    all.into_iter()
        .map(|n| (e.thing_name(n.thing).unwrap().to_string(), n.kind))
        .collect()
}

#[test]
fn snapshot_targets_are_fixed_at_creation() {
    let mut e = fleet(3);
    create(&mut e, noop_job("snap"));
    e.create_thing("late", &[]).unwrap();
    e.add_thing_to_group("fleet", "late").unwrap();
    assert_eq!(
        e.list_job_executions_for_job("snap", None).unwrap().len(),
        3
    );
    assert!(e.describe_job_execution("snap", "late", None).is_err());
    // Leaving the group does not touch a snapshot job's execution.
    e.remove_thing_from_group("fleet", "dev-0").unwrap();
    assert_eq!(status(&e, "snap", "dev-0"), JobExecutionStatus::Queued);
}

#[test]
fn continuous_jobs_take_late_joiners_and_remove_leavers() {
    let mut e = fleet(2);
    let mut s = noop_job("cont");
    s.target_selection = TargetSelection::Continuous;
    create(&mut e, s);
    e.create_thing("late", &[]).unwrap();
    e.add_thing_to_group("fleet", "late").unwrap();
    assert_eq!(
        status(&e, "cont", "late"),
        JobExecutionStatus::Queued,
        "late joiner queued at once"
    );
    set(&mut e, "dev-0", "cont", JobExecutionStatus::InProgress).unwrap();
    e.remove_thing_from_group("fleet", "dev-0").unwrap();
    assert_eq!(status(&e, "cont", "dev-0"), JobExecutionStatus::Removed);
    // Rejoining starts over with a new execution.
    e.add_thing_to_group("fleet", "dev-0").unwrap();
    let ex = e.describe_job_execution("cont", "dev-0", None).unwrap();
    assert_eq!(
        (ex.status, ex.execution_number),
        (JobExecutionStatus::Queued, 2)
    );
    // Continuous jobs never complete on their own.
    for t in ["dev-0", "dev-1", "late"] {
        set(&mut e, t, "cont", JobExecutionStatus::Succeeded).unwrap();
    }
    assert_eq!(
        e.describe_job("cont").unwrap().status,
        JobStatus::InProgress
    );
}

#[test]
fn nested_and_dynamic_groups_as_targets() {
    let mut e = fleet(2);
    e.create_group("region", None).unwrap();
    e.create_group("site", Some("region")).unwrap();
    e.create_thing("nested", &[]).unwrap();
    e.add_thing_to_group("site", "nested").unwrap();
    e.create_dynamic_group("m1", "attributes.model:m1").unwrap();
    let mut s = JobSpec::new(
        "groups",
        vec![Target::Group("region".into()), Target::Group("m1".into())],
        "{}",
    );
    s.target_selection = TargetSelection::Continuous;
    create(&mut e, s);
    let targets: Vec<String> = e
        .list_job_executions_for_job("groups", None)
        .unwrap()
        .into_iter()
        .map(|x| x.thing_name)
        .collect();
    assert_eq!(targets.len(), 3, "{targets:?}");
    e.set_attribute("dev-0", "model", Some("m2")).unwrap();
    assert_eq!(
        status(&e, "groups", "dev-0"),
        JobExecutionStatus::Removed,
        "left the dynamic group"
    );
}

#[test]
fn snapshot_job_completes_when_every_execution_is_terminal() {
    let mut e = fleet(3);
    create(&mut e, noop_job("c"));
    set(&mut e, "dev-0", "c", JobExecutionStatus::Succeeded).unwrap();
    set(&mut e, "dev-1", "c", JobExecutionStatus::Rejected).unwrap();
    assert_eq!(e.describe_job("c").unwrap().status, JobStatus::InProgress);
    set(&mut e, "dev-2", "c", JobExecutionStatus::Failed).unwrap();
    let job = e.describe_job("c").unwrap();
    assert_eq!(job.status, JobStatus::Completed);
    assert!(job.completed_at.is_some());
    assert!(
        e.events()
            .entries()
            .any(|ev| ev.kind == EventKind::JobCompleted)
    );
}

#[test]
fn cancel_job_with_and_without_force() {
    for force in [false, true] {
        let mut e = started(3, "x");
        set(&mut e, "dev-1", "x", JobExecutionStatus::Succeeded).unwrap();
        let job = e
            .cancel_job(
                "x",
                CancelJob {
                    reason_code: Some("OPERATOR".into()),
                    comment: Some("bad build".into()),
                    force,
                },
            )
            .unwrap();
        assert_eq!(job.status, JobStatus::Canceled);
        assert_eq!(job.force_canceled, force);
        assert_eq!(status(&e, "x", "dev-2"), JobExecutionStatus::Canceled);
        assert_eq!(
            status(&e, "x", "dev-1"),
            JobExecutionStatus::Succeeded,
            "terminal untouched"
        );
        let in_progress = e.describe_job_execution("x", "dev-0", None).unwrap();
        if force {
            assert_eq!(
                (in_progress.status, in_progress.force_canceled),
                (JobExecutionStatus::Canceled, true)
            );
            let refused = set(&mut e, "dev-0", "x", JobExecutionStatus::Succeeded).unwrap_err();
            assert_eq!(
                refused.code,
                ErrorCode::InvalidStateTransition,
                "devices can no longer update it"
            );
        } else {
            assert_eq!(in_progress.status, JobExecutionStatus::InProgress);
            set(&mut e, "dev-0", "x", JobExecutionStatus::Succeeded).unwrap();
        }
        assert!(matches!(
            e.cancel_job("x", CancelJob::default()),
            Err(ServiceError::InvalidStateTransition(_))
        ));
        assert!(matches!(
            e.cancel_job("x", CancelJob::because("lower")),
            Err(ServiceError::InvalidRequest(_))
        ));
    }
}

#[test]
fn a_job_cancelled_without_force_is_cancelled_again_with_force() {
    let mut e = started(2, "x");
    e.cancel_job("x", CancelJob::because("FIRST")).unwrap();
    assert_eq!(status(&e, "x", "dev-0"), JobExecutionStatus::InProgress);
    let job = e.cancel_job("x", CancelJob::forced()).unwrap();
    assert_eq!(
        (job.status, job.force_canceled, job.reason_code.as_deref()),
        (JobStatus::Canceled, true, Some("FIRST")),
        "the reason code is kept when none is given"
    );
    let x = e.describe_job_execution("x", "dev-0", None).unwrap();
    assert_eq!(
        (x.status, x.force_canceled),
        (JobExecutionStatus::Canceled, true)
    );
    assert_eq!(
        job.job_process_details.by_status[JobExecutionStatus::Canceled],
        2
    );
    assert!(
        matches!(
            e.cancel_job("x", CancelJob::forced()),
            Err(ServiceError::InvalidStateTransition(_))
        ),
        "a job force-cancelled once is refused"
    );
}

#[test]
fn cancel_and_delete_executions_and_jobs() {
    let mut e = started(3, "x");
    assert!(matches!(
        e.cancel_job_execution("x", "dev-0", cancel(false, None)),
        Err(ServiceError::InvalidStateTransition(_))
    ));
    assert!(matches!(
        e.cancel_job_execution("x", "dev-0", cancel(true, Some(1))),
        Err(ServiceError::VersionConflict {
            expected: 1,
            actual: 2
        })
    ));
    e.cancel_job_execution("x", "dev-0", cancel(true, Some(2)))
        .unwrap();
    e.cancel_job_execution("x", "dev-1", cancel(false, None))
        .unwrap();
    assert!(matches!(
        e.cancel_job_execution("x", "dev-1", cancel(false, None)),
        Err(ServiceError::InvalidStateTransition(_))
    ));
    assert!(matches!(
        e.delete_job_execution("x", "dev-2", 1, false),
        Err(ServiceError::InvalidStateTransition(_))
    ));
    e.delete_job_execution("x", "dev-1", 1, false).unwrap();
    assert!(matches!(
        e.describe_job_execution("x", "dev-1", None),
        Err(ServiceError::ResourceNotFound(_))
    ));
    assert!(matches!(
        e.delete_job("x", false),
        Err(ServiceError::InvalidStateTransition(_))
    ));
    e.delete_job("x", true).unwrap();
    assert!(matches!(
        e.describe_job("x"),
        Err(ServiceError::ResourceNotFound(_))
    ));
    assert!(
        e.get_pending("dev-2").unwrap().queued.is_empty(),
        "the deleted job's executions are gone"
    );
    // The id can be used again once deleted.
    create(&mut e, noop_job("x"));
    assert!(matches!(
        e.create_job(noop_job("x")),
        Err(ServiceError::ResourceAlreadyExists(_))
    ));
}

#[test]
fn device_plane_answers_like_aws() {
    let mut e = fleet(1);
    create(&mut e, noop_job("a"));
    e.advance(T0 + 1000);
    create(&mut e, noop_job("b"));
    // start-next: oldest QUEUED first, moves to IN_PROGRESS, version 1 → 2.
    let started = e
        .start_next("dev-0", &StartNext::default())
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            started.execution.job_id.as_str(),
            started.execution.status,
            started.execution.version_number
        ),
        ("a", JobExecutionStatus::InProgress, 2)
    );
    assert_eq!(
        started.job_document.as_deref(),
        Some(r#"{"operation":"noop"}"#)
    );
    // start-next again returns the IN_PROGRESS one.
    assert_eq!(
        e.start_next("dev-0", &StartNext::default())
            .unwrap()
            .unwrap()
            .execution
            .job_id,
        "a"
    );
    let next = e
        .describe_execution("dev-0", JobSelector::Next, None, false)
        .unwrap()
        .unwrap();
    assert_eq!(
        (next.execution.job_id.as_str(), next.job_document),
        ("a", None)
    );
    // expectedVersion first, then the transition.
    let mut u = UpdateExecution::new(JobExecutionStatus::Succeeded);
    u.expected_version = Some(1);
    let err = e.update_execution("dev-0", "a", &u).unwrap_err();
    assert_eq!(err.code, ErrorCode::VersionMismatch);
    assert_eq!(err.execution_state.unwrap().version_number, 2);
    u.expected_version = Some(2);
    u.include_job_execution_state = true;
    let ok = e.update_execution("dev-0", "a", &u).unwrap();
    assert_eq!(ok.execution_state.unwrap().version_number, 3);
    // Terminal: updates refused with the state, describes refused as terminal.
    let err = set(&mut e, "dev-0", "a", JobExecutionStatus::InProgress).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidStateTransition);
    assert_eq!(
        err.execution_state.unwrap().status,
        JobExecutionStatus::Succeeded
    );
    let err = e
        .describe_execution("dev-0", JobSelector::Id("a"), None, true)
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::TerminalStateReached);
    // A device may not set service statuses.
    let err = set(&mut e, "dev-0", "b", JobExecutionStatus::Canceled).unwrap_err();
    assert_eq!(
        (err.code, err.execution_state),
        (ErrorCode::InvalidStateTransition, None)
    );
    // Unknown job or thing.
    assert_eq!(
        set(&mut e, "dev-0", "nope", JobExecutionStatus::InProgress)
            .unwrap_err()
            .code,
        ErrorCode::ResourceNotFound
    );
    assert_eq!(
        e.get_pending("ghost").unwrap_err().code,
        ErrorCode::ResourceNotFound
    );
    // Limits.
    let mut u = UpdateExecution::new(JobExecutionStatus::InProgress);
    u.status_details = Some([("bad key".to_string(), "v".to_string())].into());
    assert_eq!(
        e.update_execution("dev-0", "b", &u).unwrap_err().code,
        ErrorCode::InvalidRequest
    );
    u.status_details = None;
    u.step_timeout_in_minutes = Some(0);
    assert_eq!(
        e.update_execution("dev-0", "b", &u).unwrap_err().code,
        ErrorCode::InvalidRequest
    );
    // Nothing pending: $next has no execution.
    set(&mut e, "dev-0", "b", JobExecutionStatus::Rejected).unwrap();
    assert_eq!(
        e.describe_execution("dev-0", JobSelector::Next, None, true)
            .unwrap(),
        None
    );
    assert_eq!(e.start_next("dev-0", &StartNext::default()).unwrap(), None);
    let pending = e.get_pending("dev-0").unwrap();
    assert!(pending.queued.is_empty() && pending.in_progress.is_empty());
}

/// `statusDetails` that AWS refuses are refused by the rule the device checks with
/// (`ota_core::jobs::check_details`), as `InvalidRequest`; `"` and `\\` are accepted.
#[test]
fn status_details_follow_the_aws_rule_the_device_checks() {
    let mut e = fleet(1);
    create(&mut e, noop_job("a"));
    let details = |pairs: &[(&str, &str)]| -> StatusDetails {
        pairs
            .iter()
            .map(|&(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let keys: Vec<String> = (0..11).map(|i| format!("k{i}")).collect();
    let eleven: StatusDetails = keys.iter().map(|k| (k.clone(), "v".to_string())).collect();
    let (key129, value1025) = ("k".repeat(129), "v".repeat(1025));
    let (value200b, value00ad, valuee000) = ("a\u{200B}b", "a\u{00AD}b", "a\u{E000}b");
    let refused = [
        details(&[("reason", value200b)]),
        details(&[("reason", value00ad)]),
        details(&[("reason", valuee000)]),
        details(&[("k\u{200B}", "v")]),
        details(&[("k\u{00AD}", "v")]),
        details(&[("k\u{E000}", "v")]),
        details(&[(key129.as_str(), "v")]),
        details(&[("reason", value1025.as_str())]),
        eleven,
    ];
    for d in refused {
        let mut u = UpdateExecution::new(JobExecutionStatus::InProgress);
        u.status_details = Some(d.clone());
        let err = e.update_execution("dev-0", "a", &u).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest, "{d:?}");
        let start = StartNext {
            status_details: d.clone(),
            ..StartNext::default()
        };
        let err = e.start_next("dev-0", &start).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest, "{d:?}");
        let err = e
            .cancel_job_execution(
                "a",
                "dev-0",
                CancelExecution {
                    status_details: Some(d.clone()),
                    ..CancelExecution::forced()
                },
            )
            .unwrap_err();
        assert!(
            matches!(err, ServiceError::InvalidStatusDetails(_)),
            "{d:?}: {err:?}"
        );
    }
    assert_eq!(status(&e, "a", "dev-0"), JobExecutionStatus::Queued);
    // What AWS accepts, the engine accepts: quotes, backslashes, 10 entries, 1024 characters.
    let quoted = r#"said "no" to C:\fw"#;
    let mut u = UpdateExecution::new(JobExecutionStatus::InProgress);
    u.status_details = Some(details(&[("reason", quoted)]));
    e.update_execution("dev-0", "a", &u).unwrap();
    let state = e.describe_job_execution("a", "dev-0", None).unwrap();
    assert_eq!(state.status_details["reason"], quoted);
    let ten: StatusDetails = keys[..10]
        .iter()
        .map(|k| (k.clone(), "é".repeat(1024)))
        .collect();
    u.status_details = Some(ten);
    e.update_execution("dev-0", "a", &u).unwrap();
}

#[test]
fn notify_and_notify_next_when_aws_sends_them() {
    let mut e = fleet(1);
    drain(&mut e);
    create(&mut e, noop_job("a"));
    assert_eq!(
        drain(&mut e),
        [
            ("dev-0".into(), NotificationKind::Notify),
            ("dev-0".into(), NotificationKind::NotifyNext)
        ]
    );
    create(&mut e, noop_job("b"));
    assert_eq!(
        drain(&mut e),
        [("dev-0".into(), NotificationKind::Notify)],
        "queued behind: notify only"
    );
    e.start_next("dev-0", &StartNext::default()).unwrap();
    assert_eq!(drain(&mut e), [], "start-next: neither");
    set(&mut e, "dev-0", "a", JobExecutionStatus::InProgress).unwrap();
    assert_eq!(drain(&mut e), [], "progress: neither");
    set(&mut e, "dev-0", "a", JobExecutionStatus::Succeeded).unwrap();
    assert_eq!(
        drain(&mut e),
        [
            ("dev-0".into(), NotificationKind::Notify),
            ("dev-0".into(), NotificationKind::NotifyNext)
        ]
    );
    e.cancel_job("b", CancelJob::default()).unwrap();
    assert_eq!(
        drain(&mut e),
        [
            ("dev-0".into(), NotificationKind::Notify),
            ("dev-0".into(), NotificationKind::NotifyNext)
        ]
    );
    assert_eq!(
        e.describe_execution("dev-0", JobSelector::Next, None, false)
            .unwrap(),
        None,
        "notify-next without execution"
    );
}

#[test]
fn quotas_are_checked_up_front_with_precise_errors() {
    let mut e = fleet(1);
    type Mutation = Box<dyn Fn(&mut JobSpec)>;
    let cases: Vec<(Mutation, &str)> = vec![
        (Box::new(|s| s.job_id = "bad id".into()), "jobId"),
        (Box::new(|s| s.job_id = "j".repeat(65)), "jobId"),
        (
            Box::new(|s| s.document = format!("{{\"x\":\"{}\"}}", "a".repeat(32_768))),
            "document",
        ),
        (
            Box::new(|s| s.document = "not json".into()),
            "document is not JSON",
        ),
        (Box::new(|s| s.targets = vec![]), "targets"),
        (
            Box::new(|s| s.targets = (0..101).map(|i| Target::Thing(format!("t{i}"))).collect()),
            "targets",
        ),
        (
            Box::new(|s| s.job_executions_rollout_config = Some(RolloutConfig::per_minute(1001))),
            "maximumPerMinute",
        ),
        (
            Box::new(|s| s.job_executions_rollout_config = Some(RolloutConfig::per_minute(0))),
            "maximumPerMinute",
        ),
        (
            Box::new(|s| {
                s.job_executions_retry_config = Some(RetryConfig {
                    criteria_list: vec![RetryCriteria {
                        failure_type: RetryFailureType::Failed,
                        number_of_retries: 11,
                    }],
                })
            }),
            "numberOfRetries",
        ),
        (
            Box::new(|s| s.timeout_config = Some(TimeoutConfig::in_progress(10_081))),
            "inProgressTimeoutInMinutes",
        ),
        (
            Box::new(|s| {
                s.abort_config = Some(AbortConfig {
                    criteria_list: vec![abort(FailureType::Failed, 100.5, 1)],
                })
            }),
            "thresholdPercentage",
        ),
        (
            Box::new(|s| {
                s.abort_config = Some(AbortConfig {
                    criteria_list: vec![abort(FailureType::Failed, 10.123, 1)],
                })
            }),
            "two decimals",
        ),
        (
            Box::new(|s| {
                s.job_executions_rollout_config = Some(
                    RolloutConfig::default().with_ramp(ExponentialRate::per_notified(10, 1.25, 1)),
                )
            }),
            "incrementFactor",
        ),
    ];
    for (mutate, needle) in cases {
        let mut s = noop_job("q");
        mutate(&mut s);
        match e.create_job(s) {
            Err(ServiceError::InvalidRequest(message)) => assert!(
                message.contains(needle),
                "{message} should mention {needle}"
            ),
            other => panic!("expected InvalidRequest about {needle}, got {other:?}"),
        }
    }
    assert!(matches!(
        e.create_job(JobSpec::new("q", vec![Target::Thing("ghost".into())], "{}")),
        Err(ServiceError::ResourceNotFound(_))
    ));
}

#[test]
fn events_mirror_aws_and_metrics_derive_from_them() {
    let mut e = started(2, "ev");
    set(&mut e, "dev-0", "ev", JobExecutionStatus::Succeeded).unwrap();
    set(&mut e, "dev-1", "ev", JobExecutionStatus::Failed).unwrap();
    let topics: Vec<String> = e.events().entries().map(|ev| ev.topic()).collect();
    assert!(
        topics.contains(&"$aws/events/jobExecution/ev/succeeded".to_string()),
        "{topics:?}"
    );
    assert!(topics.contains(&"$aws/events/job/ev/completed".to_string()));
    let m = e.events().metrics();
    assert_eq!(m, e.events().recount());
    assert_eq!(
        (m.jobs_created, m.jobs_completed, m.jobs_in_progress),
        (1, 1, 0)
    );
    assert_eq!(
        (
            m.queued_job_execution_total_count,
            m.successful_job_execution_total_count,
            m.failed_job_execution_total_count
        ),
        (2, 1, 1)
    );
    let seqs: Vec<u64> = e.events().entries().map(|ev| ev.sequence).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "append-only, gap-free"
    );
}

#[derive(Debug, Clone)]
enum Op {
    Start(usize),
    Set(usize, usize, u8),
    Advance(u32),
    CancelJob(usize, bool),
    CancelExecution(usize, usize, bool),
    Leave(usize),
    Join(usize),
    DeleteThing(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..8).prop_map(Op::Start),
        (0usize..3, 0usize..8, 0u8..6).prop_map(|(j, t, s)| Op::Set(j, t, s)),
        (0u32..600_000).prop_map(Op::Advance),
        (0usize..3, any::<bool>()).prop_map(|(j, f)| Op::CancelJob(j, f)),
        (0usize..3, 0usize..8, any::<bool>()).prop_map(|(j, t, f)| Op::CancelExecution(j, t, f)),
        (0usize..8).prop_map(Op::Leave),
        (0usize..8).prop_map(Op::Join),
        (0usize..8).prop_map(Op::DeleteThing),
    ]
}

proptest! {
    /// jobProcessDetails (and the attempt counters and the event metrics) always equal a
    /// recount from the executions, whatever happens.
    #[test]
    fn counters_equal_a_recount_after_any_operations(ops in proptest::collection::vec(op(), 1..120)) {
        let mut e = fleet(8);
        let mut a = noop_job("j0");
        a.job_executions_retry_config = Some(RetryConfig { criteria_list: vec![RetryCriteria { failure_type: RetryFailureType::All, number_of_retries: 2 }] });
        a.timeout_config = Some(TimeoutConfig::in_progress(3));
        a.job_executions_rollout_config = Some(RolloutConfig::per_minute(3).with_max_in_flight(5));
        e.create_job(a).unwrap();
        let mut b = noop_job("j1");
        b.target_selection = TargetSelection::Continuous;
        b.abort_config = Some(AbortConfig { criteria_list: vec![abort(FailureType::All, 50.0, 3)] });
        e.create_job(b).unwrap();
        create(&mut e, noop_job("j2"));
        let statuses = [JobExecutionStatus::InProgress, JobExecutionStatus::Succeeded, JobExecutionStatus::Failed,
            JobExecutionStatus::Rejected, JobExecutionStatus::Queued, JobExecutionStatus::Canceled];
        let mut now = T0;
        for op in ops {
            let thing = |i: usize| format!("dev-{i}");
            let job = |j: usize| format!("j{j}");
            match op {
                Op::Start(t) => { let _ = e.start_next(&thing(t), &StartNext::default()); }
                Op::Set(j, t, s) => { let _ = set(&mut e, &thing(t), &job(j), statuses[s as usize]); }
                Op::Advance(ms) => { now += u64::from(ms); e.advance(now); }
                Op::CancelJob(j, f) => { let _ = e.cancel_job(&job(j), CancelJob { force: f, ..CancelJob::default() }); }
                Op::CancelExecution(j, t, f) => { let _ = e.cancel_job_execution(&job(j), &thing(t), cancel(f, None)); }
                Op::Leave(t) => { let _ = e.remove_thing_from_group("fleet", &thing(t)); }
                Op::Join(t) => { let _ = e.add_thing_to_group("fleet", &thing(t)); }
                Op::DeleteThing(t) => { let _ = e.delete_thing(&thing(t)); }
            }
            prop_assert!(e.counters_consistent());
            prop_assert_eq!(e.events().metrics(), e.events().recount());
            for j in e.list_jobs(None) {
                let d = &j.job_process_details;
                let listed = e.list_job_executions_for_job(&j.spec.job_id, None).unwrap();
                let count = |s| listed.iter().filter(|x| x.status == s).count() as u64;
                for status in JobExecutionStatus::ALL {
                    prop_assert_eq!(d.by_status[status], count(status), "{}", status);
                }
            }
        }
    }
}
