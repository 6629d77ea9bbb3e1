//! The traits: the control plane ([`JobService`]), the device plane ([`DeviceJobs`])
//! and the registry ([`FleetService`]). The in-memory engine implements them
//! ([`crate::InMemory`]); the AWS backend (`crate::aws`, feature `aws`) implements the same
//! ones, so that callers and the conformance suite need not change.
//!
//! With the `mock` feature, `mockall` mocks (`MockJobService`, `MockDeviceJobs`,
//! `MockFleetService`) are generated for unit tests of callers.

use async_trait::async_trait;
use ota_core::jobs::JobExecutionStatus;

use crate::error::{DataPlaneError, ServiceError};
use crate::jobs::model::{
    CancelExecution, CancelJob, DeviceExecution, Job, JobExecution, JobExecutionSummary, JobSpec,
    JobStatus, PendingExecutions, StartNext, UpdateExecution, UpdateOutcome,
};

/// Which execution a device-plane describe names (owned, for the async traits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextOrJob {
    /// `$next`.
    Next,
    /// A job id.
    Job(String),
}

/// DescribeJobExecution's input on the device plane (owned, for the async traits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeExecution {
    /// Which execution: `$next`, or a job's.
    pub job: NextOrJob,
    /// A specific execution number (the latest when absent).
    pub execution_number: Option<u64>,
    /// Include the job document in the answer.
    pub include_document: bool,
}

impl DescribeExecution {
    /// The latest execution of `job`, with its document when `include_document`.
    pub fn latest(job: NextOrJob, include_document: bool) -> Self {
        Self {
            job,
            execution_number: None,
            include_document,
        }
    }
}

/// The IoT Jobs control plane.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait JobService: Send + Sync {
    /// CreateJob. Errors: `InvalidRequest` (a rule or quota, named), `ResourceAlreadyExists`,
    /// `ResourceNotFound` (a target), `LimitExceeded`.
    async fn create_job(&self, spec: JobSpec) -> Result<Job, ServiceError>;
    /// DescribeJob. Errors: `ResourceNotFound`.
    async fn describe_job(&self, job_id: &str) -> Result<Job, ServiceError>;
    /// GetJobDocument. Errors: `ResourceNotFound`.
    async fn job_document(&self, job_id: &str) -> Result<String, ServiceError>;
    /// ListJobs, optionally by status. Errors: none from the engine; transport errors from
    /// remote backends.
    async fn list_jobs(&self, status: Option<JobStatus>) -> Result<Vec<Job>, ServiceError>;
    /// CancelJob (`force` also cancels `IN_PROGRESS` executions). Errors: `ResourceNotFound`,
    /// `InvalidStateTransition` (already finished), `InvalidRequest` (reason code).
    async fn cancel_job(&self, job_id: &str, cancel: CancelJob) -> Result<Job, ServiceError>;
    /// DeleteJob. Errors: `ResourceNotFound`, `InvalidStateTransition` (unfinished, without
    /// `force`).
    async fn delete_job(&self, job_id: &str, force: bool) -> Result<(), ServiceError>;
    /// DescribeJobExecution. Errors: `ResourceNotFound`.
    async fn describe_job_execution(
        &self,
        job_id: &str,
        thing: &str,
        execution_number: Option<u64>,
    ) -> Result<JobExecution, ServiceError>;
    /// ListJobExecutionsForJob. Errors: `ResourceNotFound`.
    async fn list_job_executions_for_job(
        &self,
        job_id: &str,
        status: Option<JobExecutionStatus>,
    ) -> Result<Vec<JobExecutionSummary>, ServiceError>;
    /// ListJobExecutionsForThing. Errors: `ResourceNotFound`.
    async fn list_job_executions_for_thing(
        &self,
        thing: &str,
        status: Option<JobExecutionStatus>,
    ) -> Result<Vec<JobExecutionSummary>, ServiceError>;
    /// CancelJobExecution. Errors: `ResourceNotFound`, `VersionConflict`,
    /// `InvalidStateTransition`, `InvalidRequest`.
    async fn cancel_job_execution(
        &self,
        job_id: &str,
        thing: &str,
        cancel: CancelExecution,
    ) -> Result<(), ServiceError>;
}

/// The IoT Jobs device plane (what the MQTT and HTTPS Jobs APIs map to).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait DeviceJobs: Send + Sync {
    /// GetPendingJobExecutions. Errors: `ResourceNotFound`.
    async fn get_pending(&self, thing: &str) -> Result<PendingExecutions, DataPlaneError>;
    /// StartNextPendingJobExecution. Errors: `ResourceNotFound`, `InvalidRequest`.
    async fn start_next(
        &self,
        thing: &str,
        request: StartNext,
    ) -> Result<Option<DeviceExecution>, DataPlaneError>;
    /// DescribeJobExecution (`$next` or a job). Errors: `ResourceNotFound`,
    /// `TerminalStateReached`.
    async fn describe_execution(
        &self,
        thing: &str,
        request: DescribeExecution,
    ) -> Result<Option<DeviceExecution>, DataPlaneError>;
    /// UpdateJobExecution. Errors: `ResourceNotFound`, `VersionMismatch`,
    /// `InvalidStateTransition`, `InvalidRequest`.
    async fn update_execution(
        &self,
        thing: &str,
        job_id: &str,
        update: UpdateExecution,
    ) -> Result<UpdateOutcome, DataPlaneError>;
}

/// A thing as the registry describes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Thing {
    /// Its name.
    pub name: String,
    /// Its attributes.
    pub attributes: Vec<(String, String)>,
}

/// Things and thing groups.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait FleetService: Send + Sync {
    /// CreateThing. Errors: `InvalidRequest` (name), `ResourceAlreadyExists`.
    async fn create_thing(
        &self,
        name: &str,
        attributes: Vec<(String, String)>,
    ) -> Result<(), ServiceError>;
    /// DescribeThing. Errors: `ResourceNotFound`.
    async fn describe_thing(&self, name: &str) -> Result<Thing, ServiceError>;
    /// DeleteThing (its pending executions are `REMOVED`). Errors: `ResourceNotFound`.
    async fn delete_thing(&self, name: &str) -> Result<(), ServiceError>;
    /// Set or remove an attribute. Errors: `ResourceNotFound`, `InvalidRequest`.
    async fn set_attribute(
        &self,
        thing: &str,
        key: &str,
        value: Option<String>,
    ) -> Result<(), ServiceError>;
    /// CreateThingGroup, optionally under a parent. Errors: `InvalidRequest`,
    /// `ResourceAlreadyExists`, `ResourceNotFound` (parent).
    async fn create_group(&self, name: &str, parent: Option<String>) -> Result<(), ServiceError>;
    /// CreateDynamicThingGroup. Errors: `InvalidRequest` (query, with its position),
    /// `ResourceAlreadyExists`.
    async fn create_dynamic_group(&self, name: &str, query: &str) -> Result<(), ServiceError>;
    /// AddThingToThingGroup. Errors: `ResourceNotFound`, `InvalidRequest` (dynamic group).
    async fn add_thing_to_group(&self, group: &str, thing: &str) -> Result<(), ServiceError>;
    /// RemoveThingFromThingGroup. Errors: `ResourceNotFound`, `InvalidRequest`.
    async fn remove_thing_from_group(&self, group: &str, thing: &str) -> Result<(), ServiceError>;
    /// ListThingsInThingGroup, nested groups included. Errors: `ResourceNotFound`.
    async fn list_group_members(&self, group: &str) -> Result<Vec<String>, ServiceError>;
}
