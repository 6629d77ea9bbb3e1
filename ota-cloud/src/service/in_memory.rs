//! [`InMemory`]: the engine behind the async service traits, with an injected [`Clock`].

use std::pin::pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use async_trait::async_trait;
use ota_core::jobs::JobExecutionStatus;

use super::clock::Clock;
use super::traits::{DescribeExecution, DeviceJobs, FleetService, JobService, NextOrJob, Thing};
use crate::campaign::{Command, Reply};
use crate::error::{DataPlaneError, ServiceError};
use crate::fleet::{Fleet, FleetError};
use crate::jobs::engine::{Engine, JobSelector, Notification, Settings};
use crate::jobs::model::{
    CancelExecution, CancelJob, DeviceExecution, Job, JobExecution, JobExecutionSummary, JobSpec,
    JobStatus, PendingExecutions, StartNext, UpdateExecution, UpdateOutcome,
};

/// The in-memory engine behind the service traits. Every call first brings the engine up to
/// the clock's time ([`Engine::advance`]).
#[derive(Debug)]
pub struct InMemory<C> {
    engine: Mutex<Engine>,
    clock: C,
}

impl<C: Clock> InMemory<C> {
    /// A new, empty service.
    pub fn new(clock: C, settings: Settings) -> Self {
        let now = clock.now();
        Self {
            engine: Mutex::new(Engine::new(now, settings)),
            clock,
        }
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// The engine, brought up to the clock's time.
    pub fn engine(&self) -> MutexGuard<'_, Engine> {
        let mut engine = self.engine.lock().unwrap_or_else(PoisonError::into_inner);
        engine.advance(self.clock.now());
        engine
    }

    /// Drain the pushes the engine produced so far.
    pub fn take_notifications(&self) -> Vec<Notification> {
        let mut engine = self.engine();
        std::iter::from_fn(|| engine.poll_notification()).collect()
    }
}

impl<C: Clock> InMemory<C> {
    /// Make a campaign's service call at once, without async: [`crate::campaign::execute`]
    /// on this engine, whose calls never wait (each locks and advances the engine once).
    pub fn execute(&self, command: &Command) -> Reply {
        let call = pin!(crate::campaign::execute(self, command));
        match call.poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(reply) => reply,
            Poll::Pending => unreachable!("the in-memory engine's calls never wait"),
        }
    }
}

/// DescribeThing on `fleet`.
pub(crate) fn describe_thing(fleet: &Fleet, name: &str) -> Result<Thing, ServiceError> {
    let id = fleet
        .thing(name)
        .ok_or_else(|| ServiceError::ResourceNotFound(format!("thing {name}")))?;
    let attributes = fleet
        .attributes(id)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Ok(Thing {
        name: name.to_string(),
        attributes,
    })
}

/// ListThingsInThingGroup on `fleet`, nested groups included.
pub(crate) fn group_members(fleet: &Fleet, group: &str) -> Result<Vec<String>, ServiceError> {
    let id = fleet
        .group(group)
        .ok_or_else(|| ServiceError::ResourceNotFound(format!("thing group {group}")))?;
    Ok(fleet
        .members(id)
        .into_iter()
        .filter_map(|t| fleet.thing_name(t).map(str::to_string))
        .collect())
}

/// The device plane's DescribeJobExecution on `engine`.
pub(crate) fn describe_execution(
    engine: &mut Engine,
    thing: &str,
    request: &DescribeExecution,
) -> Result<Option<DeviceExecution>, DataPlaneError> {
    let selector = match &request.job {
        NextOrJob::Next => JobSelector::Next,
        NextOrJob::Job(id) => JobSelector::Id(id),
    };
    engine.describe_execution(
        thing,
        selector,
        request.execution_number,
        request.include_document,
    )
}

pub(crate) fn fleet_error(e: FleetError) -> ServiceError {
    match e {
        FleetError::ThingNotFound | FleetError::GroupNotFound => {
            ServiceError::ResourceNotFound(e.to_string())
        }
        FleetError::AlreadyExists => ServiceError::ResourceAlreadyExists(e.to_string()),
        other => ServiceError::InvalidFleetRequest(other),
    }
}

#[async_trait]
impl<C: Clock> JobService for InMemory<C> {
    async fn create_job(&self, spec: JobSpec) -> Result<Job, ServiceError> {
        self.engine().create_job(spec)
    }
    async fn describe_job(&self, job_id: &str) -> Result<Job, ServiceError> {
        self.engine().describe_job(job_id)
    }
    async fn job_document(&self, job_id: &str) -> Result<String, ServiceError> {
        self.engine().job_document(job_id).map(str::to_string)
    }
    async fn list_jobs(&self, status: Option<JobStatus>) -> Result<Vec<Job>, ServiceError> {
        Ok(self.engine().list_jobs(status))
    }
    async fn cancel_job(&self, job_id: &str, cancel: CancelJob) -> Result<Job, ServiceError> {
        self.engine().cancel_job(job_id, cancel)
    }
    async fn delete_job(&self, job_id: &str, force: bool) -> Result<(), ServiceError> {
        self.engine().delete_job(job_id, force)
    }
    async fn describe_job_execution(
        &self,
        job_id: &str,
        thing: &str,
        execution_number: Option<u64>,
    ) -> Result<JobExecution, ServiceError> {
        self.engine()
            .describe_job_execution(job_id, thing, execution_number)
    }
    async fn list_job_executions_for_job(
        &self,
        job_id: &str,
        status: Option<JobExecutionStatus>,
    ) -> Result<Vec<JobExecutionSummary>, ServiceError> {
        self.engine().list_job_executions_for_job(job_id, status)
    }
    async fn list_job_executions_for_thing(
        &self,
        thing: &str,
        status: Option<JobExecutionStatus>,
    ) -> Result<Vec<JobExecutionSummary>, ServiceError> {
        self.engine().list_job_executions_for_thing(thing, status)
    }
    async fn cancel_job_execution(
        &self,
        job_id: &str,
        thing: &str,
        cancel: CancelExecution,
    ) -> Result<(), ServiceError> {
        self.engine().cancel_job_execution(job_id, thing, cancel)
    }
}

#[async_trait]
impl<C: Clock> DeviceJobs for InMemory<C> {
    async fn get_pending(&self, thing: &str) -> Result<PendingExecutions, DataPlaneError> {
        self.engine().get_pending(thing)
    }
    async fn start_next(
        &self,
        thing: &str,
        request: StartNext,
    ) -> Result<Option<DeviceExecution>, DataPlaneError> {
        self.engine().start_next(thing, &request)
    }
    async fn describe_execution(
        &self,
        thing: &str,
        request: DescribeExecution,
    ) -> Result<Option<DeviceExecution>, DataPlaneError> {
        describe_execution(&mut self.engine(), thing, &request)
    }
    async fn update_execution(
        &self,
        thing: &str,
        job_id: &str,
        update: UpdateExecution,
    ) -> Result<UpdateOutcome, DataPlaneError> {
        self.engine().update_execution(thing, job_id, &update)
    }
}

#[async_trait]
impl<C: Clock> FleetService for InMemory<C> {
    async fn create_thing(
        &self,
        name: &str,
        attributes: Vec<(String, String)>,
    ) -> Result<(), ServiceError> {
        let attrs: Vec<(&str, &str)> = attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.engine()
            .create_thing(name, &attrs)
            .map(drop)
            .map_err(fleet_error)
    }
    async fn describe_thing(&self, name: &str) -> Result<Thing, ServiceError> {
        describe_thing(self.engine().fleet(), name)
    }
    async fn delete_thing(&self, name: &str) -> Result<(), ServiceError> {
        self.engine().delete_thing(name).map_err(fleet_error)
    }
    async fn set_attribute(
        &self,
        thing: &str,
        key: &str,
        value: Option<String>,
    ) -> Result<(), ServiceError> {
        self.engine()
            .set_attribute(thing, key, value.as_deref())
            .map_err(fleet_error)
    }
    async fn create_group(&self, name: &str, parent: Option<String>) -> Result<(), ServiceError> {
        self.engine()
            .create_group(name, parent.as_deref())
            .map(drop)
            .map_err(fleet_error)
    }
    async fn create_dynamic_group(&self, name: &str, query: &str) -> Result<(), ServiceError> {
        self.engine()
            .create_dynamic_group(name, query)
            .map(drop)
            .map_err(fleet_error)
    }
    async fn add_thing_to_group(&self, group: &str, thing: &str) -> Result<(), ServiceError> {
        self.engine()
            .add_thing_to_group(group, thing)
            .map_err(fleet_error)
    }
    async fn remove_thing_from_group(&self, group: &str, thing: &str) -> Result<(), ServiceError> {
        self.engine()
            .remove_thing_from_group(group, thing)
            .map_err(fleet_error)
    }
    async fn list_group_members(&self, group: &str) -> Result<Vec<String>, ServiceError> {
        group_members(self.engine().fleet(), group)
    }
}
