//! [`JobService`] on AWS IoT's control plane.

use async_trait::async_trait;
use ota_core::jobs::JobExecutionStatus;

use super::error::{missing, service};
use super::{AwsBackend, lift, lower};
use crate::Clock;
use crate::error::ServiceError;
use crate::jobs::model::{
    ArnScope, CancelExecution, CancelJob, Job, JobExecution, JobExecutionSummary, JobSpec,
    JobStatus, Target,
};
use crate::service::JobService;

impl AwsBackend {
    /// The ARN of a thing or thing group, from the registry (so it names this account and
    /// region). Errors: `ResourceNotFound` for an unknown one.
    async fn target_arn(&self, target: &Target) -> Result<String, ServiceError> {
        match target {
            Target::Thing(name) => {
                let out = self
                    .iot
                    .describe_thing()
                    .thing_name(name)
                    .send()
                    .await
                    .map_err(|e| service("DescribeThing", e))?;
                out.thing_arn()
                    .map(str::to_string)
                    .ok_or_else(|| missing("DescribeThing", "thingArn"))
            }
            Target::Group(name) => {
                let out = self
                    .iot
                    .describe_thing_group()
                    .thing_group_name(name)
                    .send()
                    .await
                    .map_err(|e| service("DescribeThingGroup", e))?;
                out.thing_group_arn()
                    .map(str::to_string)
                    .ok_or_else(|| missing("DescribeThingGroup", "thingGroupArn"))
            }
        }
    }

    /// The target `text` names (`thing/NAME`, `thinggroup/NAME` or a full ARN), looked up in
    /// the registry. A full ARN must name this connection's partition, region and account:
    /// another region is refused before any call, another partition or account once the
    /// registry's ARN of the same name shows this account's.
    ///
    /// # Errors
    /// [`ServiceError::InvalidRequest`] for text that is not a thing or group, or an ARN of
    /// another partition, region or account; `ResourceNotFound` for an unknown target; the
    /// transport and access errors of `DescribeThing` / `DescribeThingGroup`.
    pub async fn resolve_target(&self, text: &str) -> Result<Target, ServiceError> {
        let target = Target::parse(text).ok_or_else(|| {
            ServiceError::InvalidRequest(format!("{text:?}: not a thing or thing-group ARN"))
        })?;
        let Some(given) = ArnScope::of(text) else {
            self.target_arn(&target).await?;
            return Ok(target);
        };
        let region = self.iot.config().region().map(|r| r.as_ref().to_string());
        if let Some(region) = region.filter(|r| *r != given.region) {
            return Err(other_scope(text, &given, &format!("region {region}")));
        }
        let registered = self.target_arn(&target).await?;
        match ArnScope::of(&registered) {
            Some(ours) if ours == given => Ok(target),
            Some(ours) => Err(other_scope(text, &given, &ours.to_string())),
            None => Err(ServiceError::Unexpected(format!(
                "the registry's ARN {registered:?} for {text}"
            ))),
        }
    }

    /// `CreateJob`, accepting a job that already exists with the same targets and document
    /// (a create retried after an answer was lost): the existing job is returned. Any other
    /// job under the id is `ResourceAlreadyExists`.
    ///
    /// # Errors
    /// As [`JobService::create_job`].
    pub async fn create_job_idempotent(&self, spec: JobSpec) -> Result<Job, ServiceError> {
        let id = spec.job_id.clone();
        let (targets, document) = (spec.targets.clone(), spec.document.clone());
        match self.create_job(spec).await {
            Err(ServiceError::ResourceAlreadyExists(message)) => {
                let existing = self.describe_job(&id).await?;
                if existing.spec.targets == targets && existing.spec.document == document {
                    Ok(existing)
                } else {
                    Err(ServiceError::ResourceAlreadyExists(format!(
                        "{message} (with other targets or another document)"
                    )))
                }
            }
            other => other,
        }
    }
}

/// A target ARN of another partition, region or account than `ours` (the connection's).
fn other_scope(text: &str, given: &ArnScope, ours: &str) -> ServiceError {
    ServiceError::InvalidRequest(format!(
        "{text}: the ARN names {given}, not this connection's {ours}"
    ))
}

#[async_trait]
impl JobService for AwsBackend {
    async fn create_job(&self, spec: JobSpec) -> Result<Job, ServiceError> {
        crate::check_spec(&spec, crate::SystemClock.now())?;
        lower::check_expressible(&spec)?;
        let mut arns = Vec::with_capacity(spec.targets.len());
        for target in &spec.targets {
            arns.push(self.target_arn(target).await?);
        }
        lower::create_job(self.iot.create_job(), &spec, arns)?
            .send()
            .await
            .map_err(|e| service("CreateJob", e))?;
        self.describe_job(&spec.job_id).await
    }

    async fn describe_job(&self, job_id: &str) -> Result<Job, ServiceError> {
        let out = self
            .iot
            .describe_job()
            .job_id(job_id)
            .send()
            .await
            .map_err(|e| service("DescribeJob", e))?;
        let job = out.job().ok_or_else(|| missing("DescribeJob", "job"))?;
        let document = self.job_document(job_id).await?;
        lift::job(job, document)
    }

    async fn job_document(&self, job_id: &str) -> Result<String, ServiceError> {
        let out = self
            .iot
            .get_job_document()
            .job_id(job_id)
            .send()
            .await
            .map_err(|e| service("GetJobDocument", e))?;
        Ok(out.document().unwrap_or_default().to_string())
    }

    async fn list_jobs(&self, status: Option<JobStatus>) -> Result<Vec<Job>, ServiceError> {
        let status = status.map(|s| {
            aws_sdk_iot::types::JobStatus::from(match s {
                JobStatus::Scheduled => "SCHEDULED",
                JobStatus::InProgress => "IN_PROGRESS",
                JobStatus::Completed => "COMPLETED",
                JobStatus::Canceled => "CANCELED",
                JobStatus::DeletionInProgress => "DELETION_IN_PROGRESS",
            })
        });
        let mut ids = Vec::new();
        each_page!(
            self,
            self.iot.list_jobs().set_status(status).into_paginator(),
            "ListJobs",
            |page| {
                ids.extend(
                    page.jobs()
                        .iter()
                        .filter_map(|j| j.job_id().map(str::to_string)),
                );
            }
        );
        let mut jobs = Vec::with_capacity(ids.len());
        for id in ids {
            match self.describe_job(&id).await {
                Ok(job) => jobs.push(job),
                // Deleted between the list and the describe.
                Err(ServiceError::ResourceNotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(jobs)
    }

    /// `CancelJob`. AWS refuses to cancel a finished job with `InvalidRequestException`; the
    /// job is then described, and a `COMPLETED` or `CANCELED` one is reported as the trait
    /// says, `InvalidStateTransition`.
    async fn cancel_job(&self, job_id: &str, cancel: CancelJob) -> Result<Job, ServiceError> {
        let sent = self
            .iot
            .cancel_job()
            .job_id(job_id)
            .set_reason_code(cancel.reason_code)
            .set_comment(cancel.comment)
            .force(cancel.force)
            .send()
            .await;
        if let Err(e) = sent {
            return Err(match service("CancelJob", e) {
                ServiceError::InvalidRequest(message) => match self.describe_job(job_id).await {
                    Ok(job) if matches!(job.status, JobStatus::Completed | JobStatus::Canceled) => {
                        ServiceError::InvalidStateTransition(message)
                    }
                    _ => ServiceError::InvalidRequest(message),
                },
                other => other,
            });
        }
        self.describe_job(job_id).await
    }

    async fn delete_job(&self, job_id: &str, force: bool) -> Result<(), ServiceError> {
        self.iot
            .delete_job()
            .job_id(job_id)
            .force(force)
            .send()
            .await
            .map_err(|e| service("DeleteJob", e))?;
        Ok(())
    }

    async fn describe_job_execution(
        &self,
        job_id: &str,
        thing: &str,
        execution_number: Option<u64>,
    ) -> Result<JobExecution, ServiceError> {
        let out = self
            .iot
            .describe_job_execution()
            .job_id(job_id)
            .thing_name(thing)
            .set_execution_number(execution_number.and_then(|n| i64::try_from(n).ok()))
            .send()
            .await
            .map_err(|e| service("DescribeJobExecution", e))?;
        let x = out
            .execution()
            .ok_or_else(|| missing("DescribeJobExecution", "execution"))?;
        lift::execution(x, thing)
    }

    async fn list_job_executions_for_job(
        &self,
        job_id: &str,
        status: Option<JobExecutionStatus>,
    ) -> Result<Vec<JobExecutionSummary>, ServiceError> {
        let status = status.map(|s| aws_sdk_iot::types::JobExecutionStatus::from(s.as_str()));
        let mut out = Vec::new();
        each_page!(
            self,
            self.iot
                .list_job_executions_for_job()
                .job_id(job_id)
                .set_status(status)
                .into_paginator(),
            "ListJobExecutionsForJob",
            |page| {
                for entry in page.execution_summaries() {
                    let thing = lift::thing_name(entry.thing_arn().unwrap_or_default());
                    if let Some(s) = entry.job_execution_summary() {
                        out.push(lift::summary(s, job_id, &thing)?);
                    }
                }
            }
        );
        Ok(out)
    }

    async fn list_job_executions_for_thing(
        &self,
        thing: &str,
        status: Option<JobExecutionStatus>,
    ) -> Result<Vec<JobExecutionSummary>, ServiceError> {
        let status = status.map(|s| aws_sdk_iot::types::JobExecutionStatus::from(s.as_str()));
        let mut out = Vec::new();
        each_page!(
            self,
            self.iot
                .list_job_executions_for_thing()
                .thing_name(thing)
                .set_status(status)
                .into_paginator(),
            "ListJobExecutionsForThing",
            |page| {
                for entry in page.execution_summaries() {
                    let job_id = entry.job_id().unwrap_or_default();
                    if let Some(s) = entry.job_execution_summary() {
                        out.push(lift::summary(s, job_id, thing)?);
                    }
                }
            }
        );
        Ok(out)
    }

    async fn cancel_job_execution(
        &self,
        job_id: &str,
        thing: &str,
        cancel: CancelExecution,
    ) -> Result<(), ServiceError> {
        let details = cancel
            .status_details
            .map(|d| d.into_iter().collect::<std::collections::HashMap<_, _>>());
        let sent = self
            .iot
            .cancel_job_execution()
            .job_id(job_id)
            .thing_name(thing)
            .force(cancel.force)
            .set_expected_version(cancel.expected_version.and_then(|v| i64::try_from(v).ok()))
            .set_status_details(details)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(e) => {
                let version_conflict = e
                    .as_service_error()
                    .is_some_and(|s| s.is_version_conflict_exception());
                let err = service("CancelJobExecution", e);
                match (version_conflict, cancel.expected_version) {
                    (true, Some(expected)) => {
                        let actual = self
                            .describe_job_execution(job_id, thing, None)
                            .await?
                            .version_number;
                        Err(ServiceError::VersionConflict { expected, actual })
                    }
                    _ => Err(err),
                }
            }
        }
    }
}
