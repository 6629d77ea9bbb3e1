//! The SDK's answers as this crate's model (`Job`, `JobExecution`, summaries), and the
//! statuses both ways.

use std::collections::HashMap;

use aws_sdk_iot::types as aws;
use ota_core::jobs::JobExecutionStatus;

use super::error::missing;
use crate::error::ServiceError;
use crate::jobs::model::{
    AbortConfig, AbortCriteria, AttemptCounts, ExponentialRate, FailureType, Job, JobExecution,
    JobExecutionSummary, JobProcessDetails, JobSpec, JobStatus, PresignedUrlConfig,
    RateIncreaseCriteria, RetryConfig, RetryCriteria, RetryFailureType, RolloutConfig,
    StatusCounts, StatusDetails, Target, TargetSelection, TimeoutConfig,
};
use crate::schedule::{
    EndBehavior, MaintenanceWindowConfig, SchedulingConfig, parse_schedule_time,
};

/// An execution status from its AWS name (`IN_PROGRESS`, ...).
pub(crate) fn execution_status(name: &str) -> Result<JobExecutionStatus, ServiceError> {
    JobExecutionStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == name)
        .ok_or_else(|| ServiceError::Unexpected(format!("unknown execution status {name:?}")))
}

fn job_status(status: &aws::JobStatus) -> Result<JobStatus, ServiceError> {
    Ok(match status {
        aws::JobStatus::Scheduled => JobStatus::Scheduled,
        aws::JobStatus::InProgress => JobStatus::InProgress,
        aws::JobStatus::Completed => JobStatus::Completed,
        aws::JobStatus::Canceled => JobStatus::Canceled,
        aws::JobStatus::DeletionInProgress => JobStatus::DeletionInProgress,
        other => {
            return Err(ServiceError::Unexpected(format!(
                "unknown job status {:?}",
                other.as_str()
            )));
        }
    })
}

/// Seconds of an SDK time (0 when absent or before 1970).
pub(crate) fn secs(t: Option<&aws_smithy_types::DateTime>) -> u64 {
    t.map_or(0, |t| u64::try_from(t.secs()).unwrap_or(0))
}

fn opt_secs(t: Option<&aws_smithy_types::DateTime>) -> Option<u64> {
    t.map(|t| u64::try_from(t.secs()).unwrap_or(0))
}

/// A non-negative SDK number.
pub(crate) fn unsigned(n: impl TryInto<u64>) -> u64 {
    n.try_into().unwrap_or(0)
}

fn count(n: Option<i32>) -> u64 {
    n.map_or(0, unsigned)
}

fn small(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

pub(crate) fn details(map: Option<&HashMap<String, String>>) -> StatusDetails {
    map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// The thing's name from `arn:...:thing/<name>`.
pub(crate) fn thing_name(arn: &str) -> String {
    arn.rsplit_once("thing/")
        .map_or(arn, |(_, name)| name)
        .to_string()
}

/// `DescribeJob`'s job with its document (from `GetJobDocument`).
pub(crate) fn job(job: &aws::Job, document: String) -> Result<Job, ServiceError> {
    let op = "DescribeJob";
    let job_id = job.job_id().ok_or_else(|| missing(op, "jobId"))?;
    let targets = job
        .targets()
        .iter()
        .map(|arn| {
            Target::parse(arn)
                .ok_or_else(|| ServiceError::Unexpected(format!("{op}: target {arn:?}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let spec = JobSpec {
        job_id: job_id.to_string(),
        targets,
        document,
        description: job.description().map(str::to_string),
        target_selection: match job.target_selection() {
            Some(aws::TargetSelection::Continuous) => TargetSelection::Continuous,
            _ => TargetSelection::Snapshot,
        },
        job_executions_rollout_config: job.job_executions_rollout_config().map(rollout),
        abort_config: job.abort_config().map(abort),
        timeout_config: job.timeout_config().and_then(|t| {
            t.in_progress_timeout_in_minutes()
                .map(|m| TimeoutConfig::in_progress(u32::try_from(m).unwrap_or(0)))
        }),
        job_executions_retry_config: job.job_executions_retry_config().map(retry),
        scheduling_config: job.scheduling_config().map(scheduling),
        presigned_url_config: job.presigned_url_config().and_then(|p| {
            p.role_arn().map(|role| PresignedUrlConfig {
                role_arn: role.to_string(),
                expires_in_sec: p.expires_in_sec().and_then(|s| u32::try_from(s).ok()),
            })
        }),
    };
    let status = job_status(job.status().ok_or_else(|| missing(op, "status"))?)?;
    Ok(Job {
        job_arn: job.job_arn().unwrap_or_default().to_string(),
        status,
        reason_code: job.reason_code().map(str::to_string),
        comment: job.comment().map(str::to_string),
        force_canceled: job.force_canceled().unwrap_or(false),
        is_concurrent: job.is_concurrent().unwrap_or(false),
        created_at: secs(job.created_at()),
        last_updated_at: secs(job.last_updated_at()),
        completed_at: opt_secs(job.completed_at()),
        job_process_details: job
            .job_process_details()
            .map(process_details)
            .unwrap_or_default(),
        attempts: AttemptCounts::default(),
        scheduled_job_rollouts: job
            .scheduled_job_rollouts()
            .iter()
            .filter_map(|r| r.start_time())
            .filter_map(|t| parse_schedule_time(t).ok())
            .map(|ms| ms / 1000)
            .collect(),
        spec,
    })
}

fn process_details(d: &aws::JobProcessDetails) -> JobProcessDetails {
    use JobExecutionStatus::*;
    let targets = d.processing_targets();
    JobProcessDetails {
        processing_targets: (!targets.is_empty()).then(|| targets.to_vec()),
        by_status: StatusCounts::from([
            (Canceled, count(d.number_of_canceled_things())),
            (Succeeded, count(d.number_of_succeeded_things())),
            (Failed, count(d.number_of_failed_things())),
            (Rejected, count(d.number_of_rejected_things())),
            (Queued, count(d.number_of_queued_things())),
            (InProgress, count(d.number_of_in_progress_things())),
            (Removed, count(d.number_of_removed_things())),
            (TimedOut, count(d.number_of_timed_out_things())),
        ]),
    }
}

fn rollout(r: &aws::JobExecutionsRolloutConfig) -> RolloutConfig {
    RolloutConfig {
        maximum_per_minute: r.maximum_per_minute().map(small),
        exponential_rate: r.exponential_rate().map(|e| ExponentialRate {
            base_rate_per_minute: small(e.base_rate_per_minute()),
            increment_factor: e.increment_factor(),
            rate_increase_criteria: e
                .rate_increase_criteria()
                .map(|c| RateIncreaseCriteria {
                    number_of_notified_things: c.number_of_notified_things().map(small),
                    number_of_succeeded_things: c.number_of_succeeded_things().map(small),
                })
                .unwrap_or_default(),
        }),
        maximum_in_flight: None,
    }
}

fn abort(a: &aws::AbortConfig) -> AbortConfig {
    AbortConfig {
        criteria_list: a
            .criteria_list()
            .iter()
            .map(|c| AbortCriteria {
                failure_type: match c.failure_type() {
                    aws::JobExecutionFailureType::Rejected => FailureType::Rejected,
                    aws::JobExecutionFailureType::TimedOut => FailureType::TimedOut,
                    aws::JobExecutionFailureType::All => FailureType::All,
                    _ => FailureType::Failed,
                },
                action: Default::default(),
                threshold_percentage: c.threshold_percentage(),
                min_number_of_executed_things: small(c.min_number_of_executed_things()),
                denominator: Default::default(),
                comparator: Default::default(),
            })
            .collect(),
    }
}

fn retry(r: &aws::JobExecutionsRetryConfig) -> RetryConfig {
    RetryConfig {
        criteria_list: r
            .criteria_list()
            .iter()
            .map(|c| RetryCriteria {
                failure_type: match c.failure_type() {
                    aws::RetryableFailureType::TimedOut => RetryFailureType::TimedOut,
                    aws::RetryableFailureType::All => RetryFailureType::All,
                    _ => RetryFailureType::Failed,
                },
                number_of_retries: small(c.number_of_retries()),
            })
            .collect(),
    }
}

fn scheduling(s: &aws::SchedulingConfig) -> SchedulingConfig {
    SchedulingConfig {
        start_time: s.start_time().map(str::to_string),
        end_time: s.end_time().map(str::to_string),
        end_behavior: s.end_behavior().map(|b| match b {
            aws::JobEndBehavior::Cancel => EndBehavior::Cancel,
            aws::JobEndBehavior::ForceCancel => EndBehavior::ForceCancel,
            _ => EndBehavior::StopRollout,
        }),
        maintenance_windows: s
            .maintenance_windows()
            .iter()
            .map(|w| MaintenanceWindowConfig {
                start_time: w.start_time().to_string(),
                duration_in_minutes: small(w.duration_in_minutes()),
            })
            .collect(),
    }
}

/// `DescribeJobExecution`'s execution (control plane) of `thing`.
pub(crate) fn execution(x: &aws::JobExecution, thing: &str) -> Result<JobExecution, ServiceError> {
    let op = "DescribeJobExecution";
    Ok(JobExecution {
        job_id: x.job_id().ok_or_else(|| missing(op, "jobId"))?.to_string(),
        thing_name: thing.to_string(),
        status: execution_status(x.status().ok_or_else(|| missing(op, "status"))?.as_str())?,
        status_details: details(x.status_details().and_then(|d| d.details_map())),
        force_canceled: x.force_canceled().unwrap_or(false),
        queued_at: secs(x.queued_at()),
        started_at: opt_secs(x.started_at()),
        last_updated_at: secs(x.last_updated_at()),
        execution_number: x.execution_number().map_or(1, unsigned),
        version_number: unsigned(x.version_number()),
        retry_attempt: 0,
        approximate_seconds_before_timed_out: x
            .approximate_seconds_before_timed_out()
            .map(unsigned),
    })
}

/// A list entry of job `job_id` on `thing`.
pub(crate) fn summary(
    s: &aws::JobExecutionSummary,
    job_id: &str,
    thing: &str,
) -> Result<JobExecutionSummary, ServiceError> {
    let op = "ListJobExecutions";
    Ok(JobExecutionSummary {
        job_id: job_id.to_string(),
        thing_name: thing.to_string(),
        status: execution_status(s.status().ok_or_else(|| missing(op, "status"))?.as_str())?,
        queued_at: secs(s.queued_at()),
        started_at: opt_secs(s.started_at()),
        last_updated_at: secs(s.last_updated_at()),
        execution_number: s.execution_number().map_or(1, unsigned),
        retry_attempt: s
            .retry_attempt()
            .map_or(0, |n| u32::try_from(n).unwrap_or(0)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_names_lift() {
        for s in JobExecutionStatus::ALL {
            assert_eq!(execution_status(s.as_str()), Ok(s));
            let aws = aws::JobExecutionStatus::from(s.as_str());
            assert_eq!(aws.as_str(), s.as_str());
        }
        assert!(matches!(
            execution_status("PAUSED"),
            Err(ServiceError::Unexpected(_))
        ));
        assert_eq!(
            thing_name("arn:aws:iot:eu-west-1:123456789012:thing/dev-1"),
            "dev-1"
        );
    }

    #[test]
    fn a_described_job_lifts_with_its_configuration() {
        let described = aws::Job::builder()
            .job_id("j1")
            .job_arn("arn:aws:iot:eu-west-1:123456789012:job/j1")
            .targets("arn:aws:iot:eu-west-1:123456789012:thinggroup/canary")
            .status(aws::JobStatus::InProgress)
            .target_selection(aws::TargetSelection::Snapshot)
            .created_at(aws_smithy_types::DateTime::from_secs(1_800_000_000))
            .job_executions_rollout_config(
                aws::JobExecutionsRolloutConfig::builder()
                    .maximum_per_minute(50)
                    .build(),
            )
            .job_process_details(
                aws::JobProcessDetails::builder()
                    .number_of_succeeded_things(3)
                    .number_of_failed_things(1)
                    .build(),
            )
            .build();
        let job = job(&described, "{}".into()).unwrap();
        assert_eq!(job.spec.targets, vec![Target::Group("canary".into())]);
        assert_eq!(job.status, JobStatus::InProgress);
        assert_eq!(job.created_at, 1_800_000_000);
        assert_eq!(
            job.spec
                .job_executions_rollout_config
                .and_then(|r| r.maximum_per_minute),
            Some(50)
        );
        let counts = job.job_process_details.by_status;
        assert_eq!(
            (
                counts[JobExecutionStatus::Succeeded],
                counts[JobExecutionStatus::Failed]
            ),
            (3, 1)
        );
    }
}
