//! The device plane: what the MQTT (and HTTPS) Jobs API does, exactly as AWS answers it.

use ota_core::jobs::{ErrorCode, JobExecutionStatus};

use super::Engine;
use super::slot::Millis;
use crate::error::DataPlaneError;
use crate::jobs::model::{
    DeviceExecution, ExecutionState, PendingExecutions, StartNext, StatusDetails, UpdateExecution,
    UpdateOutcome,
};
use crate::jobs::validate::MAX_TIMEOUT_MINUTES;

use JobExecutionStatus::*;

/// Which execution a describe names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobSelector<'a> {
    /// `$next`.
    Next,
    /// A job id.
    Id(&'a str),
}

fn err(code: ErrorCode, message: impl Into<String>) -> DataPlaneError {
    DataPlaneError::new(code, message)
}

/// AWS limits on `statusDetails`, by the rule the device checks with
/// ([`ota_core::jobs::check_details`]): at most 10 entries, keys `[a-zA-Z0-9:_-]{1,128}`,
/// values `[^\p{C}]{1,1024}`.
fn check_details(details: &StatusDetails) -> Result<(), DataPlaneError> {
    ota_core::jobs::check_details(details.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(
        |e| {
            err(
                ErrorCode::InvalidRequest,
                format!("invalid statusDetails: {e}"),
            )
        },
    )
}

fn check_step(step: Option<i64>) -> Result<(), DataPlaneError> {
    match step {
        None | Some(-1) => Ok(()),
        Some(m) if (1..=i64::from(MAX_TIMEOUT_MINUTES)).contains(&m) => Ok(()),
        Some(m) => Err(err(
            ErrorCode::InvalidRequest,
            format!("stepTimeoutInMinutes {m} must be 1..=10080 or -1"),
        )),
    }
}

impl Engine {
    fn thing_id(&self, thing: &str) -> Result<crate::fleet::ThingId, DataPlaneError> {
        self.fleet.thing(thing).ok_or_else(|| {
            err(
                ErrorCode::ResourceNotFound,
                format!("thing {thing} not found"),
            )
        })
    }

    /// The execution as the device's API shows it: the control plane's view, with the
    /// document when asked for.
    fn device_view(&self, job: u32, slot: u32, include_document: bool) -> DeviceExecution {
        DeviceExecution {
            execution: self.execution_view(job, slot),
            job_document: include_document.then(|| self.job(job).v.spec.document.clone()),
        }
    }

    fn state(&self, job: u32, slot: u32) -> ExecutionState {
        let j = self.job(job);
        let s = &j.slots[slot as usize];
        ExecutionState {
            status: s.status.unwrap_or(Queued),
            status_details: j.details_map(slot),
            version_number: u64::from(s.version_number),
        }
    }

    /// GetPendingJobExecutions: the thing's `IN_PROGRESS` and `QUEUED` executions (at most
    /// [`super::Settings::max_pending_listed`] of each), oldest queued first.
    ///
    /// # Errors
    /// `ResourceNotFound` for an unknown thing.
    pub fn get_pending(&self, thing: &str) -> Result<PendingExecutions, DataPlaneError> {
        let thing_id = self.thing_id(thing)?;
        let mut pending = PendingExecutions::default();
        let mut queued = Vec::new();
        for (index, j) in self.live_jobs() {
            let Some(slot) = j.slot_of(thing_id) else {
                continue;
            };
            match j.slots[slot as usize].status {
                Some(InProgress) => pending.in_progress.push(self.summary(index, slot)),
                Some(Queued) => queued.push((j.slots[slot as usize].queued_at.get(), index, slot)),
                _ => {}
            }
        }
        queued.sort_unstable();
        pending.queued = queued
            .into_iter()
            .map(|(_, i, s)| self.summary(i, s))
            .collect();
        pending
            .in_progress
            .truncate(self.settings.max_pending_listed);
        pending.queued.truncate(self.settings.max_pending_listed);
        Ok(pending)
    }

    /// StartNextPendingJobExecution: the thing's `IN_PROGRESS` execution if any; else its
    /// oldest `QUEUED` one moves to `IN_PROGRESS` (with `statusDetails` and a step timer).
    /// `None` when nothing is pending. Sends no notification (as AWS).
    ///
    /// # Errors
    /// `ResourceNotFound` (unknown thing), `InvalidRequest` (details or step timeout).
    pub fn start_next(
        &mut self,
        thing: &str,
        request: &StartNext,
    ) -> Result<Option<DeviceExecution>, DataPlaneError> {
        let thing_id = self.thing_id(thing)?;
        check_details(&request.status_details)?;
        check_step(request.step_timeout_in_minutes)?;
        let Some((job, slot)) = self.next_pending(thing_id) else {
            return Ok(None);
        };
        if self.job(job).slots[slot as usize].status == Some(Queued) {
            let details =
                (!request.status_details.is_empty()).then(|| request.status_details.clone());
            self.start(job, slot, details, request.step_timeout_in_minutes);
        }
        Ok(Some(self.device_view(job, slot, true)))
    }

    /// Move a `QUEUED` execution to `IN_PROGRESS`, or update an `IN_PROGRESS` one.
    fn start(&mut self, job: u32, slot: u32, details: Option<StatusDetails>, step: Option<i64>) {
        let now = self.now;
        let timeout = self.job(job).v.in_progress_timeout_min;
        let j = self.job_mut(job);
        if let Some(d) = details {
            j.set_details(slot, &d);
        }
        let s = &mut j.slots[slot as usize];
        let first = s.status == Some(Queued);
        // An IN_PROGRESS execution's deadline always has its entry in the timer heap (an
        // entry goes only when it fires, and then the execution times out).
        let queued_deadline = if first { None } else { s.deadline() };
        s.version_number += 1;
        if first {
            s.started_at = Millis::new(now);
            s.in_progress_deadline =
                Millis::new(timeout.map_or(0, |m| now.saturating_add(u64::from(m) * 60_000)));
        }
        match step {
            Some(-1) => s.step_deadline = Millis::ZERO,
            Some(m) => {
                let deadline = now.saturating_add(m as u64 * 60_000);
                // Never beyond the in-progress deadline.
                s.step_deadline = Millis::new(match s.in_progress_deadline.get() {
                    0 => deadline,
                    p => deadline.min(p),
                });
            }
            None => {}
        }
        let (deadline, execution) = (s.deadline(), s.execution_number);
        // A progress update that leaves the deadline where it was queues nothing: each used
        // to queue another entry, which stayed until its deadline passed.
        if let Some(d) = deadline.filter(|&d| Some(d) != queued_deadline) {
            self.push_timer(d, job, slot, execution);
        }
        if first {
            self.set_status(job, slot, InProgress);
        } else {
            let j = self.job_mut(job);
            j.slots[slot as usize].last_updated_at = Millis::new(now);
            j.last_updated_at = now;
        }
    }

    /// DescribeJobExecution (device plane). `$next` gives the next pending execution
    /// (`None` when nothing is pending); a job id gives that job's execution.
    ///
    /// # Errors
    /// `ResourceNotFound` (unknown thing, job or execution), `TerminalStateReached` (the
    /// execution, or the asked-for older execution number, is terminal).
    pub fn describe_execution(
        &self,
        thing: &str,
        job: JobSelector<'_>,
        execution_number: Option<u64>,
        include_document: bool,
    ) -> Result<Option<DeviceExecution>, DataPlaneError> {
        let thing_id = self.thing_id(thing)?;
        let (index, slot) = match job {
            JobSelector::Next => match self.next_pending(thing_id) {
                Some(found) => found,
                None => return Ok(None),
            },
            JobSelector::Id(id) => self.device_locate(id, thing_id, thing)?,
        };
        let s = &self.job(index).slots[slot as usize];
        match execution_number {
            Some(n) if n > u64::from(s.execution_number) => {
                return Err(err(
                    ErrorCode::ResourceNotFound,
                    format!("execution {n} not found"),
                ));
            }
            Some(n) if n < u64::from(s.execution_number) => {
                return Err(err(
                    ErrorCode::TerminalStateReached,
                    format!("execution {n} is terminal"),
                ));
            }
            _ => {}
        }
        if s.status.is_some_and(JobExecutionStatus::is_terminal) {
            return Err(err(
                ErrorCode::TerminalStateReached,
                "the execution is in a terminal state",
            ));
        }
        Ok(Some(self.device_view(index, slot, include_document)))
    }

    fn device_locate(
        &self,
        job_id: &str,
        thing_id: crate::fleet::ThingId,
        thing: &str,
    ) -> Result<(u32, u32), DataPlaneError> {
        let not_found = || {
            err(
                ErrorCode::ResourceNotFound,
                format!("no execution of job {job_id} for {thing}"),
            )
        };
        let index = self.job_index(job_id).ok_or_else(not_found)?;
        let slot = self.job(index).slot_of(thing_id).ok_or_else(not_found)?;
        if self.job(index).slots[slot as usize].status.is_none() {
            return Err(not_found());
        }
        Ok((index, slot))
    }

    /// UpdateJobExecution, checked in AWS's order: execution exists, `expectedVersion`, the
    /// status is one a device may set, the execution is not terminal, the transition is legal,
    /// the details and step timeout are within limits. Then the status, details and timers
    /// change and `versionNumber` increases.
    ///
    /// # Errors
    /// `ResourceNotFound`, `VersionMismatch` (with `executionState`),
    /// `InvalidStateTransition` (with `executionState` when the execution is terminal),
    /// `InvalidRequest`.
    pub fn update_execution(
        &mut self,
        thing: &str,
        job_id: &str,
        update: &UpdateExecution,
    ) -> Result<UpdateOutcome, DataPlaneError> {
        let thing_id = self.thing_id(thing)?;
        let (index, slot) = self.device_locate(job_id, thing_id, thing)?;
        self.check_version(index, slot, update)?;
        self.check_transition(index, slot, update)?;
        if let Some(details) = &update.status_details {
            check_details(details)?;
        }
        check_step(update.step_timeout_in_minutes)?;
        self.apply_update(index, slot, update);
        Ok(UpdateOutcome {
            execution_state: update
                .include_job_execution_state
                .then(|| self.state(index, slot)),
            job_document: update
                .include_job_document
                .then(|| self.job(index).v.spec.document.clone()),
        })
    }

    /// The update's `executionNumber` and `expectedVersion`, when given, against the
    /// execution's. Does not look at the status.
    fn check_version(
        &self,
        index: u32,
        slot: u32,
        update: &UpdateExecution,
    ) -> Result<(), DataPlaneError> {
        let s = &self.job(index).slots[slot as usize];
        if update
            .execution_number
            .is_some_and(|n| n != u64::from(s.execution_number))
        {
            let state = self.state(index, slot);
            return Err(err(
                ErrorCode::InvalidStateTransition,
                "that execution is not the current one",
            )
            .with_state(state));
        }
        if let Some(expected) = update.expected_version
            && expected != u64::from(s.version_number)
        {
            let message = format!(
                "Expected version {expected} but found version {}",
                s.version_number
            );
            return Err(
                err(ErrorCode::VersionMismatch, message).with_state(self.state(index, slot))
            );
        }
        Ok(())
    }

    /// Whether a device may set the update's status, and from the execution's current one
    /// (`QUEUED` → `SUCCEEDED`/`FAILED` only with `allow_queued_to_terminal`).
    fn check_transition(
        &self,
        index: u32,
        slot: u32,
        update: &UpdateExecution,
    ) -> Result<(), DataPlaneError> {
        if !update.status.is_device_settable() {
            return Err(err(
                ErrorCode::InvalidStateTransition,
                format!("a device cannot set {}", update.status),
            ));
        }
        let current = self.job(index).slots[slot as usize]
            .status
            .unwrap_or(Queued);
        let legal = current.device_may_transition(update.status)
            || (self.settings.allow_queued_to_terminal
                && current == Queued
                && matches!(update.status, Succeeded | Failed));
        if !legal {
            let state = self.state(index, slot);
            return Err(err(
                ErrorCode::InvalidStateTransition,
                format!("{current} to {} is not allowed", update.status),
            )
            .with_state(state));
        }
        Ok(())
    }

    fn apply_update(&mut self, job: u32, slot: u32, update: &UpdateExecution) {
        if update.status == InProgress {
            return self.start(
                job,
                slot,
                update.status_details.clone(),
                update.step_timeout_in_minutes,
            );
        }
        let j = self.job_mut(job);
        j.slots[slot as usize].version_number += 1;
        if let Some(d) = &update.status_details {
            j.set_details(slot, d);
        }
        self.set_status(job, slot, update.status);
    }
}
