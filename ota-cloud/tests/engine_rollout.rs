//! Rollout, abort, timeouts, retries and scheduling of the in-memory engine, against a fake
//! clock (Unix milliseconds passed to `advance`).

mod common;

use ota_cloud::jobs::model::*;
use ota_cloud::schedule::{EndBehavior, MaintenanceWindowConfig, SchedulingConfig};
use ota_cloud::{Engine, Pacing, Settings};
use ota_core::jobs::JobExecutionStatus;

use common::engine::{abort, add_fleet, noop_job, things_in};
use common::{MIN, T0};

fn fleet(n: usize) -> Engine {
    let mut e = Engine::new(T0, Settings::default());
    add_fleet(&mut e, n, |i| format!("dev-{i:05}"), &[]);
    e
}

/// A fleet of `n` things and job `id` over it with `rollout`, just created.
fn rolling(n: usize, id: &str, rollout: RolloutConfig) -> Engine {
    let mut e = fleet(n);
    e.create_job(noop_job(id).with_rollout(rollout)).unwrap();
    e
}

/// Take up to `n` of `job`'s `QUEUED` executions through `IN_PROGRESS` to `end`.
fn finish(e: &mut Engine, job: &str, n: usize, end: JobExecutionStatus) {
    for thing in things_in(e, job, JobExecutionStatus::Queued)
        .into_iter()
        .take(n)
    {
        update(e, &thing, job, JobExecutionStatus::InProgress);
        update(e, &thing, job, end);
    }
}

/// The status of `thing`'s latest execution of `job`.
fn execution_status(e: &Engine, job: &str, thing: &str) -> JobExecutionStatus {
    e.describe_job_execution(job, thing, None).unwrap().status
}

fn notified(e: &Engine, job: &str) -> u64 {
    e.describe_job(job)
        .unwrap()
        .job_process_details
        .by_status
        .total()
}

fn update(e: &mut Engine, thing: &str, job: &str, status: JobExecutionStatus) {
    e.update_execution(thing, job, &UpdateExecution::new(status))
        .unwrap();
}

#[test]
fn maximum_per_minute_paces_notifications() {
    let mut e = rolling(300, "paced", RolloutConfig::per_minute(100));
    assert_eq!(notified(&e, "paced"), 1, "the first at once");
    e.advance(T0 + MIN - 1);
    assert_eq!(notified(&e, "paced"), 100, "100 in the first minute");
    e.advance(T0 + 2 * MIN - 1);
    assert_eq!(notified(&e, "paced"), 200);
    e.advance(T0 + 10 * MIN);
    assert_eq!(notified(&e, "paced"), 300);
    assert!(
        e.describe_job("paced")
            .unwrap()
            .job_process_details
            .processing_targets
            .is_none()
    );
}

#[test]
fn per_minute_pacing_batches_at_minute_starts() {
    let mut settings = Settings::default();
    settings.pacing = Pacing::PerMinute;
    let mut e2 = Engine::new(T0, settings);
    add_fleet(&mut e2, 250, |i| format!("d{i}"), &[]);
    let s = noop_job("batched").with_rollout(RolloutConfig::per_minute(100));
    e2.create_job(s).unwrap();
    assert_eq!(notified(&e2, "batched"), 100, "a minute's quota at once");
    e2.advance(T0 + MIN - 1);
    assert_eq!(notified(&e2, "batched"), 100);
    e2.advance(T0 + MIN);
    assert_eq!(notified(&e2, "batched"), 200);
    e2.advance(T0 + 2 * MIN);
    assert_eq!(notified(&e2, "batched"), 250);
}

/// rollout-semantics.md §3: 10 000 devices, base 50, factor 2, an increase every 1 000
/// notified, maximumPerMinute 1000: increases at 20, 30, 35, 37.5 and 38.75 minutes, all
/// notified by 43.75 minutes (against 200 minutes at a flat 50/min).
#[test]
fn exponential_ramp_reproduces_the_documented_worked_example() {
    let ramp =
        RolloutConfig::per_minute(1000).with_ramp(ExponentialRate::per_notified(50, 2.0, 1000));
    let mut e = rolling(10_000, "ramp", ramp.clone());
    // (minute, notified by then): the table of the reference, to the notification.
    let table: [(f64, u64); 7] = [
        (20.0, 1000),
        (30.0, 2000),
        (35.0, 3000),
        (37.5, 4000),
        (38.75, 5000),
        (43.75, 10_000),
        (10.0, 500),
    ];
    for (minutes, expected) in table.into_iter().take(6) {
        let at = T0 + (minutes * MIN as f64) as u64;
        e.advance(at - 1);
        assert_eq!(
            notified(&e, "ramp"),
            expected,
            "just before minute {minutes}"
        );
    }
    let mut f = rolling(10_000, "ramp", ramp);
    f.advance(T0 + 10 * MIN - 1);
    assert_eq!(notified(&f, "ramp"), 500, "50/min for the first 10 minutes");
}

#[test]
fn succeeded_criterion_gates_the_ramp_on_health() {
    let ramp =
        RolloutConfig::per_minute(1000).with_ramp(ExponentialRate::per_succeeded(10, 2.0, 5));
    let mut e = rolling(500, "gated", ramp);
    e.advance(T0 + 5 * MIN - 1);
    assert_eq!(notified(&e, "gated"), 50, "no success yet: stays at 10/min");
    finish(&mut e, "gated", 5, JobExecutionStatus::Succeeded);
    let before = notified(&e, "gated");
    e.advance(T0 + 6 * MIN - 1);
    assert_eq!(notified(&e, "gated") - before, 20, "5 successes: 20/min");
}

#[test]
fn in_flight_cap_admits_as_executions_finish() {
    let mut e = rolling(20, "capped", RolloutConfig::default().with_max_in_flight(3));
    e.advance(T0 + 10 * MIN);
    assert_eq!(notified(&e, "capped"), 3);
    let first = things_in(&e, "capped", JobExecutionStatus::Queued)[0].clone();
    update(&mut e, &first, "capped", JobExecutionStatus::InProgress);
    assert_eq!(notified(&e, "capped"), 3, "IN_PROGRESS still counts");
    update(&mut e, &first, "capped", JobExecutionStatus::Succeeded);
    e.advance(T0 + 10 * MIN + 1000);
    assert_eq!(notified(&e, "capped"), 4, "one finished, one more admitted");
}

/// rollout-semantics.md §4 worked example, reading (a) (failures over terminal executions):
/// FAILED 20% with at least 100 notified. Below the minimum there is no abort even at 83%;
/// once enough things are notified, the job is cancelled as soon as failures reach 20% of the
/// terminal executions; QUEUED executions are cancelled, IN_PROGRESS ones keep running, and
/// the rest is never notified.
#[test]
fn abort_follows_the_documented_example() {
    let mut e = fleet(1000);
    let mut s = noop_job("abort").with_rollout(RolloutConfig::per_minute(50));
    s.abort_config = Some(AbortConfig {
        criteria_list: vec![abort(FailureType::Failed, 20.0, 100)],
    });
    e.create_job(s).unwrap();
    let status = |e: &Engine| e.describe_job("abort").unwrap().status;
    // t = 1 min: 50 notified, 10 FAILED of 12 finished: below minNumberOfExecutedThings.
    e.advance(T0 + MIN - 1);
    assert_eq!(notified(&e, "abort"), 50);
    finish(&mut e, "abort", 10, JobExecutionStatus::Failed);
    finish(&mut e, "abort", 2, JobExecutionStatus::Succeeded);
    assert_eq!(
        status(&e),
        JobStatus::InProgress,
        "83% but only 50 notified"
    );
    // Successes keep the ratio under 20% (10 of 60) by the time 100 are notified.
    finish(&mut e, "abort", 36, JobExecutionStatus::Succeeded);
    e.advance(T0 + 90 * 1000);
    finish(&mut e, "abort", 12, JobExecutionStatus::Succeeded);
    e.advance(T0 + 3 * MIN - 1);
    assert_eq!(notified(&e, "abort"), 150);
    assert_eq!(status(&e), JobStatus::InProgress, "10 of 60 = 16.7%");
    // Two IN_PROGRESS, then failures: the 13th failure of 63 terminal is 20.6%.
    let running: Vec<String> = things_in(&e, "abort", JobExecutionStatus::Queued)
        .into_iter()
        .take(2)
        .collect();
    for t in &running {
        update(&mut e, t, "abort", JobExecutionStatus::InProgress);
    }
    finish(&mut e, "abort", 2, JobExecutionStatus::Failed);
    assert_eq!(status(&e), JobStatus::InProgress, "12 of 62 = 19.4%");
    finish(&mut e, "abort", 1, JobExecutionStatus::Failed);
    let job = e.describe_job("abort").unwrap();
    assert_eq!(job.status, JobStatus::Canceled);
    assert_eq!(job.reason_code.as_deref(), Some("ABORT_CANCEL"));
    assert!(
        job.comment
            .as_deref()
            .unwrap()
            .contains("Total completed executions: 63, total Failed executions: 13"),
        "{:?}",
        job.comment
    );
    let d = job.job_process_details;
    assert_eq!(
        d.by_status[JobExecutionStatus::Queued],
        0,
        "QUEUED executions cancelled"
    );
    assert_eq!(
        d.by_status[JobExecutionStatus::InProgress],
        2,
        "IN_PROGRESS ones keep running"
    );
    assert_eq!(d.by_status[JobExecutionStatus::Canceled], 150 - 63 - 2);
    let before = notified(&e, "abort");
    e.advance(T0 + 60 * MIN);
    assert_eq!(notified(&e, "abort"), before, "the rest is never notified");
    // The running ones may still report.
    update(&mut e, &running[0], "abort", JobExecutionStatus::Succeeded);
}

#[test]
fn abort_denominator_and_comparator_are_explicit() {
    // 2 FAILED of 10 notified, 4 terminal: 50% of terminal, 20% of notified.
    let run = |denominator, comparator, threshold| {
        let mut e = fleet(10);
        let mut s = noop_job("a");
        s.abort_config = Some(AbortConfig {
            criteria_list: vec![AbortCriteria {
                denominator,
                comparator,
                ..abort(FailureType::Failed, threshold, 1)
            }],
        });
        e.create_job(s).unwrap();
        e.advance(T0 + MIN);
        let q = things_in(&e, "a", JobExecutionStatus::Queued);
        for (i, t) in q.iter().take(4).enumerate() {
            let end = if i < 2 {
                JobExecutionStatus::Succeeded
            } else {
                JobExecutionStatus::Failed
            };
            update(&mut e, t, "a", end);
        }
        e.describe_job("a").unwrap().status == JobStatus::Canceled
    };
    assert!(run(Denominator::Terminal, Comparator::AtLeast, 50.0));
    assert!(!run(Denominator::Terminal, Comparator::Exceeds, 50.0));
    assert!(run(Denominator::Notified, Comparator::AtLeast, 20.0));
    assert!(!run(Denominator::Notified, Comparator::Exceeds, 20.0));
    assert!(!run(Denominator::Notified, Comparator::AtLeast, 20.01));
    assert!(run(Denominator::Total, Comparator::AtLeast, 20.0));
}

#[test]
fn abort_per_failure_type() {
    for (failure_type, status) in [
        (FailureType::Rejected, JobExecutionStatus::Rejected),
        (FailureType::All, JobExecutionStatus::Rejected),
    ] {
        let mut e = fleet(4);
        let mut s = noop_job("t");
        s.abort_config = Some(AbortConfig {
            criteria_list: vec![abort(failure_type, 50.0, 2)],
        });
        e.create_job(s).unwrap();
        e.advance(T0 + MIN);
        let q = things_in(&e, "t", JobExecutionStatus::Queued);
        update(&mut e, &q[1], "t", JobExecutionStatus::Succeeded);
        update(&mut e, &q[0], "t", status);
        assert_eq!(
            e.describe_job("t").unwrap().status,
            JobStatus::Canceled,
            "{failure_type:?}"
        );
    }
    // FAILED does not count toward a REJECTED criterion.
    let mut e = fleet(4);
    let mut s = noop_job("t");
    s.abort_config = Some(AbortConfig {
        criteria_list: vec![abort(FailureType::Rejected, 50.0, 2)],
    });
    e.create_job(s).unwrap();
    e.advance(T0 + MIN);
    let q = things_in(&e, "t", JobExecutionStatus::Queued);
    update(&mut e, &q[0], "t", JobExecutionStatus::Failed);
    update(&mut e, &q[1], "t", JobExecutionStatus::Failed);
    assert_eq!(e.describe_job("t").unwrap().status, JobStatus::InProgress);
}

#[test]
fn in_progress_and_step_timeouts() {
    let mut e = fleet(2);
    let mut s = noop_job("to");
    s.timeout_config = Some(TimeoutConfig::in_progress(20));
    e.create_job(s).unwrap();
    // The documented step example: in-progress timer from 12:00 (T0), steps at 12:05 (7 min),
    // 12:10 (5 min), 12:13 (9 min → clamped to 12:20).
    let step = |e: &mut Engine, minutes| {
        let mut u = UpdateExecution::new(JobExecutionStatus::InProgress);
        u.step_timeout_in_minutes = Some(minutes);
        e.update_execution("dev-00000", "to", &u).unwrap();
    };
    update(&mut e, "dev-00000", "to", JobExecutionStatus::InProgress);
    e.advance(T0 + 5 * MIN);
    step(&mut e, 7);
    e.advance(T0 + 10 * MIN);
    step(&mut e, 5);
    e.advance(T0 + 13 * MIN);
    step(&mut e, 9);
    let secs = e
        .describe_job_execution("to", "dev-00000", None)
        .unwrap()
        .approximate_seconds_before_timed_out;
    assert_eq!(
        secs,
        Some(7 * 60),
        "clamped to the in-progress deadline at 12:20"
    );
    e.advance(T0 + 20 * MIN - 1);
    assert_eq!(
        execution_status(&e, "to", "dev-00000"),
        JobExecutionStatus::InProgress
    );
    e.advance(T0 + 20 * MIN);
    assert_eq!(
        execution_status(&e, "to", "dev-00000"),
        JobExecutionStatus::TimedOut
    );
    // A step timer fires on its own; -1 cancels it.
    update(&mut e, "dev-00001", "to", JobExecutionStatus::InProgress);
    let mut u = UpdateExecution::new(JobExecutionStatus::InProgress);
    u.step_timeout_in_minutes = Some(1);
    e.update_execution("dev-00001", "to", &u).unwrap();
    u.step_timeout_in_minutes = Some(-1);
    e.update_execution("dev-00001", "to", &u).unwrap();
    e.advance(T0 + 25 * MIN);
    assert_eq!(
        execution_status(&e, "to", "dev-00001"),
        JobExecutionStatus::InProgress
    );
}

#[test]
fn retries_per_failure_type_with_new_execution_numbers() {
    let mut e = fleet(1);
    let mut s = noop_job("retry");
    s.timeout_config = Some(TimeoutConfig::in_progress(1));
    s.job_executions_retry_config = Some(RetryConfig {
        criteria_list: vec![
            RetryCriteria {
                failure_type: RetryFailureType::Failed,
                number_of_retries: 2,
            },
            RetryCriteria {
                failure_type: RetryFailureType::TimedOut,
                number_of_retries: 1,
            },
        ],
    });
    e.create_job(s).unwrap();
    let thing = "dev-00000";
    for expected in 1..=2 {
        let ex = e.describe_job_execution("retry", thing, None).unwrap();
        assert_eq!(
            (ex.execution_number, ex.status),
            (expected, JobExecutionStatus::Queued)
        );
        update(&mut e, thing, "retry", JobExecutionStatus::InProgress);
        update(&mut e, thing, "retry", JobExecutionStatus::Failed);
    }
    // Third execution times out once, retried; the fourth times out for good.
    for _ in 0..2 {
        update(&mut e, thing, "retry", JobExecutionStatus::InProgress);
        let now = e.now();
        e.advance(now + MIN);
    }
    // Third: FAILED retries exhausted at 2; the 4th execution came from the TIMED_OUT retry.
    let ex = e.describe_job_execution("retry", thing, None).unwrap();
    assert_eq!(
        (ex.execution_number, ex.status, ex.retry_attempt),
        (4, JobExecutionStatus::TimedOut, 3)
    );
    let job = e.describe_job("retry").unwrap();
    assert_eq!(job.status, JobStatus::Completed);
    // Things and attempts counted separately.
    let d = &job.job_process_details;
    assert_eq!(
        (
            d.by_status[JobExecutionStatus::TimedOut],
            d.by_status[JobExecutionStatus::Failed]
        ),
        (1, 0)
    );
    let a = &job.attempts;
    assert_eq!(
        (
            a.executions,
            a.ended[JobExecutionStatus::Failed],
            a.ended[JobExecutionStatus::TimedOut]
        ),
        (4, 2, 2)
    );
    assert!(e.counters_consistent());
}

#[test]
fn at_most_ten_retries() {
    let mut e = fleet(1);
    let mut s = noop_job("ten");
    s.job_executions_retry_config = Some(RetryConfig {
        criteria_list: vec![RetryCriteria {
            failure_type: RetryFailureType::Failed,
            number_of_retries: 10,
        }],
    });
    e.create_job(s).unwrap();
    for _ in 0..11 {
        update(&mut e, "dev-00000", "ten", JobExecutionStatus::InProgress);
        update(&mut e, "dev-00000", "ten", JobExecutionStatus::Failed);
    }
    let ex = e.describe_job_execution("ten", "dev-00000", None).unwrap();
    assert_eq!(
        (ex.execution_number, ex.status),
        (11, JobExecutionStatus::Failed)
    );
}

#[test]
fn scheduled_job_waits_for_its_start_and_applies_end_behaviours() {
    for (behavior, queued_after, in_progress_after) in [
        (
            EndBehavior::StopRollout,
            JobExecutionStatus::Queued,
            JobExecutionStatus::InProgress,
        ),
        (
            EndBehavior::Cancel,
            JobExecutionStatus::Canceled,
            JobExecutionStatus::InProgress,
        ),
        (
            EndBehavior::ForceCancel,
            JobExecutionStatus::Canceled,
            JobExecutionStatus::Canceled,
        ),
    ] {
        let mut e = fleet(200);
        let mut s = noop_job("sched").with_rollout(RolloutConfig::per_minute(2));
        s.scheduling_config = Some(SchedulingConfig {
            start_time: Some(ota_cloud::schedule::format_schedule_time(T0 + 60 * MIN)),
            end_time: Some(ota_cloud::schedule::format_schedule_time(T0 + 120 * MIN)),
            end_behavior: Some(behavior),
            maintenance_windows: vec![],
        });
        e.create_job(s).unwrap();
        assert_eq!(
            e.describe_job("sched").unwrap().status,
            JobStatus::Scheduled
        );
        e.advance(T0 + 60 * MIN - 1);
        assert_eq!(notified(&e, "sched"), 0);
        e.advance(T0 + 60 * MIN);
        assert_eq!(
            e.describe_job("sched").unwrap().status,
            JobStatus::InProgress
        );
        assert_eq!(notified(&e, "sched"), 1);
        e.advance(T0 + 61 * MIN);
        let q = things_in(&e, "sched", JobExecutionStatus::Queued);
        update(&mut e, &q[0], "sched", JobExecutionStatus::InProgress);
        e.advance(T0 + 121 * MIN);
        assert_eq!(
            notified(&e, "sched"),
            120,
            "2 per minute for the 60 minutes, then the end"
        );
        let ex = e.describe_job_execution("sched", &q[1], None).unwrap();
        assert_eq!(ex.status, queued_after, "{behavior:?}");
        let ex = e.describe_job_execution("sched", &q[0], None).unwrap();
        assert_eq!(ex.status, in_progress_after, "{behavior:?}");
    }
}

#[test]
fn maintenance_windows_gate_admission() {
    let mut e = fleet(500);
    let mut s = noop_job("win").with_rollout(RolloutConfig::per_minute(10));
    let start = T0 + 60 * MIN;
    s.scheduling_config = Some(SchedulingConfig {
        start_time: Some(ota_cloud::schedule::format_schedule_time(start)),
        end_time: None,
        end_behavior: None,
        // Every hour at minute 0, for 10 minutes.
        maintenance_windows: vec![MaintenanceWindowConfig {
            start_time: "cron(0 * * * ? *)".into(),
            duration_in_minutes: 10,
        }],
    });
    e.create_job(s).unwrap();
    let civil_minute = |t: u64| (t / MIN) % 60;
    // Walk a few hours: notifications happen only in the first 10 minutes of each hour.
    let mut last = 0;
    let mut t = start;
    while t < start + 180 * MIN {
        t += MIN / 2;
        e.advance(t);
        let now = notified(&e, "win");
        if now > last {
            assert!(
                civil_minute(t - 1) < 10 || civil_minute(t) < 11,
                "notified at minute {}",
                civil_minute(t)
            );
        }
        last = now;
    }
    assert!(last > 0);
}
