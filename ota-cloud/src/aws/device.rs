//! [`DeviceJobs`] on the Jobs HTTPS data plane (`aws-sdk-iotjobsdataplane`).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_iotjobsdataplane::types as data;
use ota_core::jobs::{ErrorCode, JobExecutionStatus};

use super::error::data_plane;
use super::{AwsBackend, lift};
use crate::error::DataPlaneError;
use crate::jobs::model::{
    DeviceExecution, ExecutionState, JobExecution, JobExecutionSummary, PendingExecutions,
    StartNext, StatusDetails, UpdateExecution, UpdateOutcome,
};
use crate::service::{DescribeExecution, DeviceJobs, NextOrJob};

fn unreadable(operation: &str, what: impl core::fmt::Display) -> DataPlaneError {
    DataPlaneError::new(ErrorCode::InternalError, format!("{operation}: {what}"))
}

fn status(
    operation: &str,
    s: Option<&data::JobExecutionStatus>,
) -> Result<JobExecutionStatus, DataPlaneError> {
    let s = s.ok_or_else(|| unreadable(operation, "no status"))?;
    lift::execution_status(s.as_str()).map_err(|e| unreadable(operation, e))
}

fn device_execution(
    operation: &str,
    x: &data::JobExecution,
    thing: &str,
) -> Result<DeviceExecution, DataPlaneError> {
    let execution = JobExecution {
        job_id: x
            .job_id()
            .ok_or_else(|| unreadable(operation, "no jobId"))?
            .to_string(),
        thing_name: x.thing_name().unwrap_or(thing).to_string(),
        status: status(operation, x.status())?,
        status_details: lift::details(x.status_details()),
        force_canceled: false,
        queued_at: lift::unsigned(x.queued_at()),
        started_at: x.started_at().map(lift::unsigned),
        last_updated_at: lift::unsigned(x.last_updated_at()),
        execution_number: x.execution_number().map_or(1, lift::unsigned),
        version_number: lift::unsigned(x.version_number()),
        retry_attempt: 0,
        approximate_seconds_before_timed_out: x
            .approximate_seconds_before_timed_out()
            .map(lift::unsigned),
    };
    Ok(DeviceExecution {
        execution,
        job_document: x.job_document().map(str::to_string),
    })
}

fn summaries(
    list: &[data::JobExecutionSummary],
    status: JobExecutionStatus,
    thing: &str,
) -> Vec<JobExecutionSummary> {
    list.iter()
        .map(|s| JobExecutionSummary {
            job_id: s.job_id().unwrap_or_default().to_string(),
            thing_name: thing.to_string(),
            status,
            queued_at: lift::unsigned(s.queued_at()),
            started_at: s.started_at().map(lift::unsigned),
            last_updated_at: lift::unsigned(s.last_updated_at()),
            execution_number: s.execution_number().map_or(1, lift::unsigned),
            retry_attempt: 0,
        })
        .collect()
}

fn detail_map(details: StatusDetails) -> HashMap<String, String> {
    details.into_iter().collect()
}

impl AwsBackend {
    /// The HTTPS data plane reports a stale `expectedVersion` as `InvalidRequestException`
    /// (MQTT says `VersionMismatch` and carries the execution's state). When the execution's
    /// version is not `expected`, the update's refusal is that: `VersionMismatch` with the
    /// state, as over MQTT. Otherwise `err` stands.
    async fn version_mismatch(
        &self,
        thing: &str,
        job_id: &str,
        expected: u64,
        err: DataPlaneError,
    ) -> DataPlaneError {
        let described = self
            .describe_execution(
                thing,
                DescribeExecution::latest(NextOrJob::Job(job_id.to_string()), false),
            )
            .await;
        match described {
            Ok(Some(x)) if x.execution.version_number != expected => {
                let state = ExecutionState {
                    status: x.execution.status,
                    status_details: x.execution.status_details,
                    version_number: x.execution.version_number,
                };
                DataPlaneError::new(ErrorCode::VersionMismatch, err.message).with_state(state)
            }
            _ => err,
        }
    }
}

#[async_trait]
impl DeviceJobs for AwsBackend {
    async fn get_pending(&self, thing: &str) -> Result<PendingExecutions, DataPlaneError> {
        let out = self
            .jobs
            .get_pending_job_executions()
            .thing_name(thing)
            .send()
            .await
            .map_err(|e| data_plane("GetPendingJobExecutions", e))?;
        Ok(PendingExecutions {
            in_progress: summaries(
                out.in_progress_jobs(),
                JobExecutionStatus::InProgress,
                thing,
            ),
            queued: summaries(out.queued_jobs(), JobExecutionStatus::Queued, thing),
        })
    }

    async fn start_next(
        &self,
        thing: &str,
        request: StartNext,
    ) -> Result<Option<DeviceExecution>, DataPlaneError> {
        let op = "StartNextPendingJobExecution";
        let details =
            (!request.status_details.is_empty()).then(|| detail_map(request.status_details));
        let out = self
            .jobs
            .start_next_pending_job_execution()
            .thing_name(thing)
            .set_status_details(details)
            .set_step_timeout_in_minutes(request.step_timeout_in_minutes)
            .send()
            .await
            .map_err(|e| data_plane(op, e))?;
        out.execution()
            .map(|x| device_execution(op, x, thing))
            .transpose()
    }

    async fn describe_execution(
        &self,
        thing: &str,
        request: DescribeExecution,
    ) -> Result<Option<DeviceExecution>, DataPlaneError> {
        let op = "DescribeJobExecution";
        let job_id = match request.job {
            NextOrJob::Next => "$next".to_string(),
            NextOrJob::Job(id) => id,
        };
        let out = self
            .jobs
            .describe_job_execution()
            .thing_name(thing)
            .job_id(job_id)
            .include_job_document(request.include_document)
            .set_execution_number(request.execution_number.and_then(|n| i64::try_from(n).ok()))
            .send()
            .await
            .map_err(|e| data_plane(op, e))?;
        out.execution()
            .map(|x| device_execution(op, x, thing))
            .transpose()
    }

    async fn update_execution(
        &self,
        thing: &str,
        job_id: &str,
        update: UpdateExecution,
    ) -> Result<UpdateOutcome, DataPlaneError> {
        let op = "UpdateJobExecution";
        let expected = update.expected_version;
        let sent = self
            .jobs
            .update_job_execution()
            .thing_name(thing)
            .job_id(job_id)
            .status(data::JobExecutionStatus::from(update.status.as_str()))
            .set_status_details(update.status_details.map(detail_map))
            .set_expected_version(expected.and_then(|v| i64::try_from(v).ok()))
            .set_execution_number(update.execution_number.and_then(|v| i64::try_from(v).ok()))
            .include_job_execution_state(update.include_job_execution_state)
            .include_job_document(update.include_job_document)
            .set_step_timeout_in_minutes(update.step_timeout_in_minutes)
            .send()
            .await;
        let out = match sent {
            Ok(out) => out,
            Err(e) => {
                let err = data_plane(op, e);
                return Err(match expected {
                    Some(v) if err.code == ErrorCode::InvalidRequest => {
                        self.version_mismatch(thing, job_id, v, err).await
                    }
                    _ => err,
                });
            }
        };
        let execution_state = out
            .execution_state()
            .map(|s| {
                Ok::<_, DataPlaneError>(ExecutionState {
                    status: status(op, s.status())?,
                    status_details: lift::details(s.status_details()),
                    version_number: lift::unsigned(s.version_number()),
                })
            })
            .transpose()?;
        Ok(UpdateOutcome {
            execution_state,
            job_document: out.job_document().map(str::to_string),
        })
    }
}
