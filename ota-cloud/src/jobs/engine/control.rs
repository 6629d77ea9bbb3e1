//! The control plane: jobs and executions as an operator sees them.

use std::collections::HashMap;
use std::sync::Arc;

use ota_core::jobs::JobExecutionStatus;

use super::Engine;
use super::admission::Admission;
use super::counts::Counts;
use super::job_state::JobState;
use super::slot::Slot;
use crate::error::ServiceError;
use crate::fleet::{GroupId, ThingId};
use crate::jobs::events::EventKind;
use crate::jobs::model::{
    CancelExecution, CancelJob, Job, JobExecution, JobExecutionSummary, JobSpec, JobStatus, Target,
};
use crate::jobs::validate;

/// A job's targets resolved against the fleet.
#[derive(Default)]
struct Resolved {
    /// Every thing targeted, directly or through a group: sorted, no duplicates.
    targets: Vec<ThingId>,
    /// The groups targeted.
    groups: Vec<GroupId>,
    /// The things targeted directly.
    things: Vec<ThingId>,
}

pub(crate) fn secs(ms: u64) -> u64 {
    ms / 1000
}

fn opt_secs(ms: u64) -> Option<u64> {
    (ms != 0).then_some(ms / 1000)
}

impl Engine {
    /// CreateJob: validate `spec` against the AWS quotas, resolve its targets (the members of
    /// its groups now, for both target selections), and start rolling out (or wait for the
    /// schedule's start).
    ///
    /// # Errors
    /// [`ServiceError::InvalidRequest`] naming the broken rule; [`ServiceError::ResourceAlreadyExists`] for
    /// a job id in use; [`ServiceError::ResourceNotFound`] for an unknown thing or group target.
    pub fn create_job(&mut self, spec: JobSpec) -> Result<Job, ServiceError> {
        let now = self.now;
        if self.by_id.contains_key(&spec.job_id) {
            return Err(ServiceError::ResourceAlreadyExists(format!(
                "job {}",
                spec.job_id
            )));
        }
        let v = validate::validate(spec, now)?;
        let Resolved {
            targets,
            groups,
            things,
        } = self.resolve(&v.spec.targets)?;
        let scheduled = v
            .schedule
            .as_ref()
            .and_then(|s| s.start)
            .is_some_and(|start| start > now);
        let admission = Admission::new(now, v.max_per_minute, v.ramp.as_ref());
        let id: Arc<str> = Arc::from(v.spec.job_id.as_str());
        let job = JobState {
            id: id.clone(),
            status: if scheduled {
                JobStatus::Scheduled
            } else {
                JobStatus::InProgress
            },
            created_at: now,
            last_updated_at: now,
            completed_at: None,
            reason_code: None,
            comment: None,
            force_canceled: false,
            sorted: targets.len(),
            slots: targets.into_iter().map(Slot::new).collect(),
            late: HashMap::new(),
            groups,
            things,
            admission,
            counts: Counts::default(),
            details: Default::default(),
            v,
        };
        let index = self.jobs.len() as u32;
        self.jobs.push(Some(job));
        self.by_id.insert(id.to_string(), index);
        self.events.job(now, index, &id, EventKind::JobCreated);
        self.run_due(index);
        Ok(self.describe(index))
    }

    /// The things `targets` name now: each thing, and the members of each group, sorted
    /// without duplicates. Does not follow later group changes.
    fn resolve(&self, targets: &[Target]) -> Result<Resolved, ServiceError> {
        let mut resolved = Resolved::default();
        for target in targets {
            match target {
                Target::Thing(name) => {
                    let id = self
                        .fleet
                        .thing(name)
                        .ok_or_else(|| ServiceError::ResourceNotFound(format!("thing {name}")))?;
                    resolved.things.push(id);
                    resolved.targets.push(id);
                }
                Target::Group(name) => {
                    let id = self.fleet.group(name).ok_or_else(|| {
                        ServiceError::ResourceNotFound(format!("thing group {name}"))
                    })?;
                    resolved.groups.push(id);
                    resolved.targets.extend(self.fleet.members(id));
                }
            }
        }
        resolved.targets.sort_unstable();
        resolved.targets.dedup();
        Ok(resolved)
    }

    /// DescribeJob.
    ///
    /// # Errors
    /// [`ServiceError::ResourceNotFound`].
    pub fn describe_job(&self, job_id: &str) -> Result<Job, ServiceError> {
        let index = self
            .job_index(job_id)
            .ok_or_else(|| not_found_job(job_id))?;
        Ok(self.describe(index))
    }

    fn describe(&self, index: u32) -> Job {
        let j = self.job(index);
        let processing =
            (j.status == JobStatus::InProgress && !j.admission.stopped && j.unadmitted() > 0)
                .then(|| j.v.spec.targets.iter().map(Target::arn).collect());
        let scheduled_job_rollouts = match (&j.v.schedule, j.status) {
            (Some(s), JobStatus::Scheduled | JobStatus::InProgress) if !s.windows.is_empty() => s
                .upcoming_starts(self.now, 7)
                .into_iter()
                .map(secs)
                .collect(),
            _ => Vec::new(),
        };
        Job {
            job_arn: format!("{}job/{}", crate::jobs::model::ARN_PREFIX, j.id),
            status: j.status,
            reason_code: j.reason_code.clone(),
            comment: j.comment.clone(),
            force_canceled: j.force_canceled,
            is_concurrent: processing.is_some(),
            created_at: secs(j.created_at),
            last_updated_at: secs(j.last_updated_at),
            completed_at: j.completed_at.map(secs),
            job_process_details: j.counts.process_details(processing),
            attempts: j.counts.attempts.clone(),
            scheduled_job_rollouts,
            spec: j.v.spec.clone(),
        }
    }

    /// GetJobDocument.
    ///
    /// # Errors
    /// [`ServiceError::ResourceNotFound`].
    pub fn job_document(&self, job_id: &str) -> Result<&str, ServiceError> {
        let index = self
            .job_index(job_id)
            .ok_or_else(|| not_found_job(job_id))?;
        Ok(&self.job(index).v.spec.document)
    }

    /// ListJobs, optionally filtered by status, in creation order.
    pub fn list_jobs(&self, status: Option<JobStatus>) -> Vec<Job> {
        self.live_jobs()
            .filter(|(_, j)| status.is_none_or(|s| s == j.status))
            .map(|(i, _)| self.describe(i))
            .collect()
    }

    /// CancelJob: stop the rollout and cancel `QUEUED` executions; with `force`, also
    /// `IN_PROGRESS` ones (devices can then no longer update them). A job cancelled without
    /// force can be cancelled again with force, for the `IN_PROGRESS` executions it left.
    ///
    /// # Errors
    /// [`ServiceError::ResourceNotFound`]; [`ServiceError::InvalidStateTransition`] for a job
    /// completed or being deleted, or already cancelled (unless this cancel is forced and the
    /// first was not).
    pub fn cancel_job(&mut self, job_id: &str, cancel: CancelJob) -> Result<Job, ServiceError> {
        let index = self
            .job_index(job_id)
            .ok_or_else(|| not_found_job(job_id))?;
        if let Some(code) = &cancel.reason_code
            && (code.is_empty()
                || code.len() > 128
                || !code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'))
        {
            return Err(ServiceError::InvalidRequest(format!(
                "reasonCode {code:?}: 1-128 of [A-Z0-9_]"
            )));
        }
        let job = self.job(index);
        match job.status {
            JobStatus::Scheduled | JobStatus::InProgress => self.cancel_job_internal(index, cancel),
            JobStatus::Canceled if cancel.force && !job.force_canceled => {
                self.force_cancel_canceled(index, cancel);
            }
            other => {
                return Err(ServiceError::InvalidStateTransition(format!(
                    "job {job_id} is {other:?}"
                )));
            }
        }
        Ok(self.describe(index))
    }

    /// DeleteJob: remove the job and all its executions. A job that is not completed or
    /// cancelled, or that still has `IN_PROGRESS` executions, needs `force`.
    ///
    /// # Errors
    /// [`ServiceError::ResourceNotFound`]; [`ServiceError::InvalidStateTransition`] without `force`.
    pub fn delete_job(&mut self, job_id: &str, force: bool) -> Result<(), ServiceError> {
        let index = self
            .job_index(job_id)
            .ok_or_else(|| not_found_job(job_id))?;
        let j = self.job(index);
        let busy = matches!(j.status, JobStatus::InProgress | JobStatus::Scheduled)
            || j.counts.things[JobExecutionStatus::InProgress] > 0;
        if busy && !force {
            return Err(ServiceError::InvalidStateTransition(format!(
                "job {job_id} is not finished: delete it with force"
            )));
        }
        let now = self.now;
        let j = self.jobs[index as usize].take().expect("live job");
        self.by_id.remove(job_id);
        self.events.job(now, index, &j.id, EventKind::JobDeleted);
        for s in j.slots.iter().filter(|s| s.status.is_some()) {
            self.events
                .execution_deleted(now, index, s.thing, s.execution_number);
        }
        for s in j.slots.iter().filter(|s| s.is_pending()) {
            self.announce(s.thing);
        }
        Ok(())
    }

    pub(super) fn execution_view(&self, index: u32, slot: u32) -> JobExecution {
        let j = self.job(index);
        let s = &j.slots[slot as usize];
        JobExecution {
            job_id: j.id.to_string(),
            thing_name: self
                .fleet
                .thing_name(s.thing)
                .unwrap_or_default()
                .to_string(),
            status: s.status.unwrap_or(JobExecutionStatus::Queued),
            status_details: j.details_map(slot),
            force_canceled: s.force_canceled,
            queued_at: secs(s.queued_at.get()),
            started_at: opt_secs(s.started_at.get()),
            last_updated_at: secs(s.last_updated_at.get()),
            execution_number: u64::from(s.execution_number),
            version_number: u64::from(s.version_number),
            retry_attempt: u32::from(s.retries_failed) + u32::from(s.retries_timed_out),
            approximate_seconds_before_timed_out: s
                .deadline()
                .map(|d| d.saturating_sub(self.now).div_ceil(1000)),
        }
    }

    pub(super) fn summary(&self, index: u32, slot: u32) -> JobExecutionSummary {
        let e = self.execution_view(index, slot);
        JobExecutionSummary {
            job_id: e.job_id,
            thing_name: e.thing_name,
            status: e.status,
            queued_at: e.queued_at,
            started_at: e.started_at,
            last_updated_at: e.last_updated_at,
            execution_number: e.execution_number,
            retry_attempt: e.retry_attempt,
        }
    }

    /// The job and the thing's slot, if the thing has an execution of the job.
    pub(super) fn locate(&self, job_id: &str, thing: &str) -> Result<(u32, u32), ServiceError> {
        let index = self
            .job_index(job_id)
            .ok_or_else(|| not_found_job(job_id))?;
        let thing_id = self
            .fleet
            .thing(thing)
            .ok_or_else(|| ServiceError::ResourceNotFound(format!("thing {thing}")))?;
        self.job(index)
            .slot_of(thing_id)
            .filter(|&s| self.job(index).slots[s as usize].status.is_some())
            .map(|slot| (index, slot))
            .ok_or_else(|| {
                ServiceError::ResourceNotFound(format!("execution of job {job_id} on {thing}"))
            })
    }

    /// DescribeJobExecution (control plane): the latest execution, or `execution_number`.
    ///
    /// # Errors
    /// [`ServiceError::ResourceNotFound`] for an unknown job, thing, execution or execution number
    /// (this engine keeps only each thing's latest execution).
    pub fn describe_job_execution(
        &self,
        job_id: &str,
        thing: &str,
        execution_number: Option<u64>,
    ) -> Result<JobExecution, ServiceError> {
        let (index, slot) = self.locate(job_id, thing)?;
        let view = self.execution_view(index, slot);
        if execution_number.is_some_and(|n| n != view.execution_number) {
            return Err(ServiceError::ResourceNotFound(format!(
                "execution {} of job {job_id} on {thing}",
                execution_number.unwrap_or(0)
            )));
        }
        Ok(view)
    }

    /// ListJobExecutionsForJob, in target order, optionally filtered by status.
    ///
    /// # Errors
    /// [`ServiceError::ResourceNotFound`].
    pub fn list_job_executions_for_job(
        &self,
        job_id: &str,
        status: Option<JobExecutionStatus>,
    ) -> Result<Vec<JobExecutionSummary>, ServiceError> {
        Ok(self.job_executions(job_id, status)?.collect())
    }

    /// [`Engine::list_job_executions_for_job`] one summary at a time, for a caller that
    /// reads a million executions without holding them all. The summaries are made as the
    /// iterator is read.
    ///
    /// # Errors
    /// [`ServiceError::ResourceNotFound`].
    pub fn job_executions(
        &self,
        job_id: &str,
        status: Option<JobExecutionStatus>,
    ) -> Result<impl Iterator<Item = JobExecutionSummary> + '_, ServiceError> {
        let index = self
            .job_index(job_id)
            .ok_or_else(|| not_found_job(job_id))?;
        Ok((0..self.job(index).slots.len() as u32)
            .filter_map(move |slot| self.listed(index, slot, status)))
    }

    /// ListJobExecutionsForThing, in job creation order, optionally filtered by status.
    ///
    /// # Errors
    /// [`ServiceError::ResourceNotFound`] for an unknown thing.
    pub fn list_job_executions_for_thing(
        &self,
        thing: &str,
        status: Option<JobExecutionStatus>,
    ) -> Result<Vec<JobExecutionSummary>, ServiceError> {
        let thing_id = self
            .fleet
            .thing(thing)
            .ok_or_else(|| ServiceError::ResourceNotFound(format!("thing {thing}")))?;
        Ok(self
            .live_jobs()
            .filter_map(|(job, j)| self.listed(job, j.slot_of(thing_id)?, status))
            .collect())
    }

    /// The summary of an execution that exists and has `status` (any status for `None`).
    fn listed(
        &self,
        job: u32,
        slot: u32,
        status: Option<JobExecutionStatus>,
    ) -> Option<JobExecutionSummary> {
        let current = self.job(job).slots[slot as usize].status?;
        status
            .is_none_or(|wanted| wanted == current)
            .then(|| self.summary(job, slot))
    }

    /// CancelJobExecution: `QUEUED` → `CANCELED`; `IN_PROGRESS` only with `force`.
    ///
    /// # Errors
    /// [`ServiceError::ResourceNotFound`]; [`ServiceError::VersionConflict`] for a stale `expected_version`;
    /// [`ServiceError::InvalidStateTransition`] for a terminal execution or an `IN_PROGRESS` one
    /// without `force`; [`ServiceError::InvalidRequest`] for `statusDetails` that break AWS's rule
    /// ([`ota_core::jobs::check_details`]).
    pub fn cancel_job_execution(
        &mut self,
        job_id: &str,
        thing: &str,
        cancel: CancelExecution,
    ) -> Result<(), ServiceError> {
        let CancelExecution {
            force,
            expected_version,
            status_details,
        } = cancel;
        let (index, slot) = self.locate(job_id, thing)?;
        if let Some(details) = &status_details {
            ota_core::jobs::check_details(details.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .map_err(ServiceError::InvalidStatusDetails)?;
        }
        let s = &self.job(index).slots[slot as usize];
        let version = u64::from(s.version_number);
        if let Some(expected) = expected_version
            && expected != version
        {
            return Err(ServiceError::VersionConflict {
                expected,
                actual: version,
            });
        }
        match s.status {
            Some(JobExecutionStatus::Queued) => {}
            Some(JobExecutionStatus::InProgress) if force => {}
            Some(JobExecutionStatus::InProgress) => {
                return Err(ServiceError::InvalidStateTransition(
                    "the execution is IN_PROGRESS: cancel it with force".into(),
                ));
            }
            _ => {
                return Err(ServiceError::InvalidStateTransition(
                    "the execution is in a terminal status".into(),
                ));
            }
        }
        let j = self.job_mut(index);
        let s = &mut j.slots[slot as usize];
        s.force_canceled = force && s.status == Some(JobExecutionStatus::InProgress);
        if let Some(details) = status_details {
            j.set_details(slot, &details);
        }
        self.set_status(index, slot, JobExecutionStatus::Canceled);
        Ok(())
    }

    /// DeleteJobExecution: forget the latest execution (`execution_number` must name it). A
    /// pending one needs `force`.
    ///
    /// # Errors
    /// [`ServiceError::ResourceNotFound`]; [`ServiceError::InvalidStateTransition`] for a pending execution
    /// without `force`.
    pub fn delete_job_execution(
        &mut self,
        job_id: &str,
        thing: &str,
        execution_number: u64,
        force: bool,
    ) -> Result<(), ServiceError> {
        let (index, slot) = self.locate(job_id, thing)?;
        let s = &self.job(index).slots[slot as usize];
        if u64::from(s.execution_number) != execution_number {
            return Err(ServiceError::ResourceNotFound(format!(
                "execution {execution_number} of job {job_id} on {thing}"
            )));
        }
        if s.is_pending() && !force {
            return Err(ServiceError::InvalidStateTransition(
                "the execution is not terminal: delete it with force".into(),
            ));
        }
        let (was_pending, thing_id) = (s.is_pending(), s.thing);
        let now = self.now;
        let j = self.job_mut(index);
        j.clear_details(slot);
        let s = &mut j.slots[slot as usize];
        let execution = s.execution_number;
        // Deleted, not just finished: the target no longer counts at all, and it stays behind
        // the admission cursor, so it is not notified again. A rare operation: the counters
        // are recounted.
        *s = Slot::new(thing_id);
        j.counts = Counts::recount(j.slots.iter());
        self.events
            .execution_deleted(now, index, thing_id, execution);
        if was_pending {
            self.announce(thing_id);
        }
        self.check_completion(index);
        Ok(())
    }

    /// The ids of the things targeted by `job_id`, in target order (for tests and tools).
    ///
    /// # Errors
    /// [`ServiceError::ResourceNotFound`].
    pub fn job_things(&self, job_id: &str) -> Result<Vec<ThingId>, ServiceError> {
        let index = self
            .job_index(job_id)
            .ok_or_else(|| not_found_job(job_id))?;
        Ok(self.job(index).slots.iter().map(|s| s.thing).collect())
    }

    /// Whether each job's counters equal a recount from its executions.
    pub fn counters_consistent(&self) -> bool {
        self.live_jobs()
            .all(|(_, j)| Counts::recount(j.slots.iter()) == j.counts)
    }
}

fn not_found_job(job_id: &str) -> ServiceError {
    ServiceError::ResourceNotFound(format!("job {job_id}"))
}
