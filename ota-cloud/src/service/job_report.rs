//! A job's outcome for people: counts, and which things failed and why. Works over any
//! [`JobService`].

use ota_core::jobs::JobExecutionStatus;

use crate::error::ServiceError;
use crate::jobs::model::JobProcessDetails;
use crate::service::JobService;

/// One thing that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Failure {
    /// The thing.
    pub thing: String,
    /// `FAILED`, `REJECTED` or `TIMED_OUT`.
    pub status: JobExecutionStatus,
    /// `statusDetails.reason`, when the device gave one.
    pub reason: Option<String>,
}

/// The outcome of a job.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JobReport {
    /// The job.
    pub job_id: String,
    /// Counts by thing.
    pub details: JobProcessDetails,
    /// Things that failed, were rejected or timed out, with their reasons (at most
    /// `max_failures`).
    pub failures: Vec<Failure>,
}

/// Describe `job_id` and collect up to `max_failures` failed, rejected and timed-out
/// executions with their `reason`s. Makes one describe per failure listed: bound it.
///
/// # Errors
/// The service's errors (`ResourceNotFound` for an unknown job).
pub async fn job_report<S: JobService + ?Sized>(
    service: &S,
    job_id: &str,
    max_failures: usize,
) -> Result<JobReport, ServiceError> {
    let job = service.describe_job(job_id).await?;
    let mut failures = Vec::new();
    for status in [
        JobExecutionStatus::Failed,
        JobExecutionStatus::Rejected,
        JobExecutionStatus::TimedOut,
    ] {
        for summary in service
            .list_job_executions_for_job(job_id, Some(status))
            .await?
        {
            if failures.len() >= max_failures {
                break;
            }
            let execution = service
                .describe_job_execution(job_id, &summary.thing_name, None)
                .await?;
            failures.push(Failure {
                thing: summary.thing_name,
                status,
                reason: execution.status_details.get("reason").cloned(),
            });
        }
    }
    Ok(JobReport {
        job_id: job_id.to_string(),
        details: job.job_process_details,
        failures,
    })
}
