//! `service::job_report` tested at the trait level with `mockall` (no engine).
#![cfg(feature = "mock")]

mod common;

use std::collections::BTreeMap;

use mockall::predicate::{always, eq};
use ota_cloud::jobs::model::*;
use ota_cloud::service::job_report;
use ota_cloud::{MockJobService, ServiceError};
use ota_core::jobs::JobExecutionStatus;

use common::campaign::described;

/// Job `id`, completed, with 2 things `FAILED` and 5 `SUCCEEDED`.
fn job(id: &str) -> Job {
    let spec = JobSpec::new(id, vec![Target::Thing("t".into())], "{}");
    let things = StatusCounts::from([
        (JobExecutionStatus::Failed, 2),
        (JobExecutionStatus::Succeeded, 5),
    ]);
    Job {
        completed_at: Some(1),
        ..described(spec, JobStatus::Completed, things)
    }
}

fn summary(thing: &str, status: JobExecutionStatus) -> JobExecutionSummary {
    JobExecutionSummary {
        job_id: "j".into(),
        thing_name: thing.into(),
        status,
        queued_at: 0,
        started_at: None,
        last_updated_at: 0,
        execution_number: 1,
        retry_attempt: 0,
    }
}

fn execution(thing: &str, reason: Option<&str>) -> JobExecution {
    let mut details = BTreeMap::new();
    if let Some(r) = reason {
        details.insert("reason".to_string(), r.to_string());
    }
    JobExecution {
        job_id: "j".into(),
        thing_name: thing.into(),
        status: JobExecutionStatus::Failed,
        status_details: details,
        force_canceled: false,
        queued_at: 0,
        started_at: None,
        last_updated_at: 0,
        execution_number: 1,
        version_number: 3,
        retry_attempt: 0,
        approximate_seconds_before_timed_out: None,
    }
}

#[tokio::test]
async fn report_lists_failures_with_reasons_and_respects_the_bound() {
    let mut service = MockJobService::new();
    service
        .expect_describe_job()
        .with(eq("j"))
        .times(1)
        .returning(|id| Ok(job(id)));
    service
        .expect_list_job_executions_for_job()
        .with(eq("j"), eq(Some(JobExecutionStatus::Failed)))
        .returning(|_, _| {
            Ok(vec![
                summary("a", JobExecutionStatus::Failed),
                summary("b", JobExecutionStatus::Failed),
            ])
        });
    service
        .expect_list_job_executions_for_job()
        .with(eq("j"), always())
        .returning(|_, _| Ok(vec![]));
    service
        .expect_describe_job_execution()
        .with(eq("j"), eq("a"), eq(None))
        .times(1)
        .returning(|_, t, _| Ok(execution(t, Some("image_hash_mismatch"))));
    service
        .expect_describe_job_execution()
        .with(eq("j"), eq("b"), eq(None))
        .times(0)
        .returning(|_, t, _| Ok(execution(t, None)));
    let report = job_report(&service, "j", 1).await.unwrap();
    assert_eq!(report.details.by_status[JobExecutionStatus::Failed], 2);
    assert_eq!(report.failures.len(), 1, "bounded");
    assert_eq!(
        report.failures[0].reason.as_deref(),
        Some("image_hash_mismatch")
    );
}

#[tokio::test]
async fn report_passes_errors_through() {
    let mut service = MockJobService::new();
    service
        .expect_describe_job()
        .returning(|id| Err(ServiceError::ResourceNotFound(format!("job {id}"))));
    assert!(matches!(
        job_report(&service, "gone", 10).await,
        Err(ServiceError::ResourceNotFound(_))
    ));
}
