//! A durable engine (feature `sqlite`): [`Durable`] is the in-memory engine behind the
//! service traits with every call that changes it journaled on SQLite first, and campaigns'
//! states stored beside it ([`Durable::save_campaign`]).
//!
//! The engine is deterministic: its state is a function of the calls made on it and the
//! times they were made at. So the journal stores exactly that, one row per call (the input
//! and its time, in order), committed to disk (WAL, `synchronous=FULL`) before the call is
//! applied and answered; opening the database replays every row into a new engine, which
//! ends in the state the old one had after its last committed call: every job, execution,
//! timer and rollout window. A call whose commit fails (a full disk) is answered with the
//! storage error and not applied. A process killed at any point loses at most a call that
//! was never answered, which its caller retries as after any lost answer. The device calls
//! of the MQTT gateway (`start-next`, `update`) are journaled the same way (see
//! `gateway::mqtt::ServedEngine`).
//!
//! One process at a time: the journal is locked (`<path>.lock`) while it is open.
//!
//! What it does not do: snapshots (a restart replays the whole journal, see the benchmark in
//! the README), compaction, or keep the pushes (`notify`, `notify-next`) produced before a
//! restart (devices ask again, as after a lost message). The engine's [`Settings`] must be
//! the same at every open ([`DurableError::SettingsChanged`] otherwise), except
//! `event_log_capacity`. Reads are not
//! journaled; they advance the engine to the clock like any call, which changes nothing a
//! later call would not.

mod input;
mod journal;

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use ota_core::jobs::{ErrorCode, JobExecutionStatus};

use crate::campaign::Campaign;
use crate::error::{DataPlaneError, ServiceError};
use crate::jobs::engine::{Engine, Notification, Settings};
use crate::jobs::model::{
    CancelExecution, CancelJob, DeviceExecution, Job, JobExecution, JobExecutionSummary, JobSpec,
    JobStatus, PendingExecutions, StartNext, UpdateExecution, UpdateOutcome,
};
use crate::service::in_memory::{describe_execution, describe_thing, fleet_error, group_members};
use crate::service::{Clock, DescribeExecution, DeviceJobs, FleetService, JobService, Thing};
use input::{Applied, Input, apply};
use journal::Journal;

/// Why the durable engine could not open or record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurableError {
    /// The database could not be read or written (a full disk, a read-only directory, a
    /// lock held by another process); the message is SQLite's.
    #[error("journal storage: {0}")]
    Storage(String),
    /// The database is of another journal format.
    #[error("journal format {0} is not this version's (1)")]
    Format(String),
    /// The database was made with other engine settings.
    #[error("the journal was made with other engine settings ({stored}), not {given}")]
    SettingsChanged {
        /// What the journal holds.
        stored: String,
        /// What was given.
        given: String,
    },
    /// An entry does not read back.
    #[error("journal corrupt: {0}")]
    Corrupt(String),
}

/// The settings a journal is bound to, as text: those that change what a replay rebuilds.
/// The text is what journals have held since format 1 (`Settings`' `Debug` text before
/// `event_log_capacity` came): a journal made by an earlier build opens with the same
/// settings. `event_log_capacity` is left out; it bounds the log a replay refills and
/// nothing else, so a reopen may change it.
fn replayed_settings(settings: &Settings) -> String {
    let Settings {
        pacing,
        allow_queued_to_terminal,
        pace_late_joiners,
        max_pending_listed,
        keep_execution_events,
        // A new field must be placed here or above: left out only if a replay does not
        // depend on it.
        event_log_capacity: _,
    } = settings;
    format!(
        "Settings {{ pacing: {pacing:?}, allow_queued_to_terminal: {allow_queued_to_terminal:?}, \
         pace_late_joiners: {pace_late_joiners:?}, max_pending_listed: {max_pending_listed:?}, \
         keep_execution_events: {keep_execution_events:?} }}"
    )
}

struct State {
    engine: Engine,
    journal: Journal,
    /// The time of the last call, so that time never runs backwards in the journal.
    last: u64,
}

/// A new engine with every journaled input applied, and the time of the last one. Pushes the
/// inputs produced are dropped (devices ask again, as after a lost message).
fn replay(
    journal: &Journal,
    epoch: u64,
    settings: Settings,
) -> Result<(Engine, u64), DurableError> {
    let mut engine = Engine::new(epoch, settings);
    let mut last = epoch;
    for (at, input) in journal.replay()? {
        engine.advance(at);
        let _ = apply(&mut engine, &input);
        last = last.max(at);
    }
    while engine.poll_notification().is_some() {}
    Ok((engine, last))
}

impl State {
    /// Commit `input` (made at `last`), then apply it. Inputs the engine refuses are
    /// journaled too (replaying them refuses them again): the journal holds every call that
    /// could change the engine, so its length counts the calls made.
    fn apply_and_commit(&mut self, input: &Input) -> Result<Applied, DurableError> {
        self.journal.append(self.last, input)?;
        Ok(apply(&mut self.engine, input))
    }
}

/// The engine with its inputs journaled on SQLite. See the [module docs](self).
pub struct Durable<C> {
    state: Mutex<State>,
    clock: C,
}

impl<C> core::fmt::Debug for Durable<C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Durable").finish_non_exhaustive()
    }
}

impl<C: Clock> Durable<C> {
    /// Open the journal at `path` (created if absent) and replay it into a new engine with
    /// `settings`.
    ///
    /// # Errors
    /// [`DurableError`]: storage, another format, other settings, a corrupt entry. Nothing
    /// is written then.
    pub fn open(path: &Path, clock: C, settings: Settings) -> Result<Self, DurableError> {
        Self::open_with_limit(path, clock, settings, None)
    }

    /// [`Durable::open`], with the database allowed at most `max_bytes` (rounded down to
    /// whole pages; `None`: no limit). Past it a call that would grow the journal fails as
    /// on a full disk ([`DurableError::Storage`], "database or disk is full") and is not
    /// applied; the calls before it stay. The limit holds for this process only: a reopen
    /// with a larger one (or none) goes on from there.
    ///
    /// # Errors
    /// As [`Durable::open`].
    pub fn open_with_limit(
        path: &Path,
        clock: C,
        settings: Settings,
        max_bytes: Option<u64>,
    ) -> Result<Self, DurableError> {
        let (journal, epoch) =
            Journal::open(path, &replayed_settings(&settings), clock.now(), max_bytes)?;
        let (engine, last) = replay(&journal, epoch, settings)?;
        Ok(Self {
            state: Mutex::new(State {
                engine,
                journal,
                last,
            }),
            clock,
        })
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    fn state(&self) -> MutexGuard<'_, State> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.clock.now().max(state.last);
        state.last = now;
        state.engine.advance(now);
        state
    }

    /// `read` on the engine, brought up to the clock's time. Changes `read` makes are not
    /// journaled: read only.
    pub fn read<T>(&self, read: impl FnOnce(&mut Engine) -> T) -> T {
        read(&mut self.state().engine)
    }

    /// Drain the pushes the engine produced since the last call.
    pub fn take_notifications(&self) -> Vec<Notification> {
        let mut state = self.state();
        std::iter::from_fn(|| state.engine.poll_notification()).collect()
    }

    /// Journal entries stored (counted at open and kept since: no query).
    pub fn journal_len(&self) -> u64 {
        self.state().journal.len()
    }

    /// Store `campaign`'s state (plain data, see [`crate::campaign`]), replacing the one
    /// stored under its id. Save after each step: a campaign restored from an older save
    /// repeats the calls made since, which it recognises as its own.
    ///
    /// # Errors
    /// [`DurableError::Storage`].
    pub fn save_campaign(&self, campaign: &Campaign) -> Result<(), DurableError> {
        let text = serde_json::to_string(campaign)
            .map_err(|e| DurableError::Storage(format!("cannot encode the campaign: {e}")))?;
        self.state().journal.put_campaign(campaign.id(), &text)
    }

    /// Every stored campaign, by id.
    ///
    /// # Errors
    /// [`DurableError::Storage`]; [`DurableError::Corrupt`] for a state that does not read.
    pub fn campaigns(&self) -> Result<Vec<Campaign>, DurableError> {
        self.state()
            .journal
            .campaigns()?
            .into_iter()
            .map(|(id, text)| {
                serde_json::from_str(&text)
                    .map_err(|e| DurableError::Corrupt(format!("campaign {id}: {e}")))
            })
            .collect()
    }

    /// Commit `input`, then apply it.
    fn record(&self, input: Input) -> Result<Applied, DurableError> {
        self.state().apply_and_commit(&input)
    }

    fn control(&self, input: Input) -> Result<Applied, ServiceError> {
        self.record(input)
            .map_err(|e| ServiceError::Unavailable(e.to_string()))
    }

    fn device(&self, input: Input) -> Result<Applied, DataPlaneError> {
        self.record(input)
            .map_err(|e| DataPlaneError::new(ErrorCode::InternalError, e.to_string()))
    }
}

/// The engine as the gateway uses it, with its device calls journaled first.
#[cfg(feature = "mqtt")]
struct Recorded<'a>(&'a mut State);

#[cfg(feature = "mqtt")]
impl Recorded<'_> {
    fn device(&mut self, input: &Input) -> Result<Applied, DataPlaneError> {
        self.0
            .apply_and_commit(input)
            .map_err(|e| DataPlaneError::new(ErrorCode::InternalError, e.to_string()))
    }
}

#[cfg(feature = "mqtt")]
impl crate::gateway::GatewayEngine for Recorded<'_> {
    fn engine(&self) -> &Engine {
        &self.0.engine
    }

    fn start_next(
        &mut self,
        thing: &str,
        request: &StartNext,
    ) -> Result<Option<DeviceExecution>, DataPlaneError> {
        let input = Input::StartNext {
            thing: thing.to_string(),
            request: request.clone(),
        };
        match self.device(&input)? {
            Applied::Started(r) => r,
            other => Err(DataPlaneError::new(
                ErrorCode::InternalError,
                mismatch(&other),
            )),
        }
    }

    fn update_execution(
        &mut self,
        thing: &str,
        job_id: &str,
        update: &UpdateExecution,
    ) -> Result<UpdateOutcome, DataPlaneError> {
        let input = Input::Update {
            thing: thing.to_string(),
            job_id: job_id.to_string(),
            update: update.clone(),
        };
        match self.device(&input)? {
            Applied::Updated(r) => r,
            other => Err(DataPlaneError::new(
                ErrorCode::InternalError,
                mismatch(&other),
            )),
        }
    }

    fn poll_notification(&mut self) -> Option<Notification> {
        self.0.engine.poll_notification()
    }
}

/// The MQTT gateway on the durable engine: device calls that change it are committed to the
/// journal before the engine makes them, and refused with `InternalError` when they cannot
/// be.
#[cfg(feature = "mqtt")]
impl<C: Clock + 'static> crate::gateway::mqtt::ServedEngine for Durable<C> {
    fn serve(&self, serve: &mut dyn FnMut(&mut dyn crate::gateway::GatewayEngine)) {
        let mut state = self.state();
        serve(&mut Recorded(&mut state));
    }
}

/// An [`Applied`] of another kind than the input makes: a bug in this module.
fn mismatch(applied: &Applied) -> String {
    format!("durable: unexpected answer {applied:?}")
}

fn job(applied: Applied) -> Result<Job, ServiceError> {
    match applied {
        Applied::Job(r) => *r,
        other => Err(ServiceError::Unexpected(mismatch(&other))),
    }
}

fn done(applied: Applied) -> Result<(), ServiceError> {
    match applied {
        Applied::Done(r) => r,
        Applied::Fleet(r) => r.map_err(fleet_error),
        other => Err(ServiceError::Unexpected(mismatch(&other))),
    }
}

#[async_trait]
impl<C: Clock> JobService for Durable<C> {
    async fn create_job(&self, spec: JobSpec) -> Result<Job, ServiceError> {
        job(self.control(Input::CreateJob { spec })?)
    }
    async fn describe_job(&self, job_id: &str) -> Result<Job, ServiceError> {
        self.read(|e| e.describe_job(job_id))
    }
    async fn job_document(&self, job_id: &str) -> Result<String, ServiceError> {
        self.read(|e| e.job_document(job_id).map(str::to_string))
    }
    async fn list_jobs(&self, status: Option<JobStatus>) -> Result<Vec<Job>, ServiceError> {
        Ok(self.read(|e| e.list_jobs(status)))
    }
    async fn cancel_job(&self, job_id: &str, cancel: CancelJob) -> Result<Job, ServiceError> {
        job(self.control(Input::CancelJob {
            job_id: job_id.to_string(),
            cancel,
        })?)
    }
    async fn delete_job(&self, job_id: &str, force: bool) -> Result<(), ServiceError> {
        done(self.control(Input::DeleteJob {
            job_id: job_id.to_string(),
            force,
        })?)
    }
    async fn describe_job_execution(
        &self,
        job_id: &str,
        thing: &str,
        execution_number: Option<u64>,
    ) -> Result<JobExecution, ServiceError> {
        self.read(|e| e.describe_job_execution(job_id, thing, execution_number))
    }
    async fn list_job_executions_for_job(
        &self,
        job_id: &str,
        status: Option<JobExecutionStatus>,
    ) -> Result<Vec<JobExecutionSummary>, ServiceError> {
        self.read(|e| e.list_job_executions_for_job(job_id, status))
    }
    async fn list_job_executions_for_thing(
        &self,
        thing: &str,
        status: Option<JobExecutionStatus>,
    ) -> Result<Vec<JobExecutionSummary>, ServiceError> {
        self.read(|e| e.list_job_executions_for_thing(thing, status))
    }
    async fn cancel_job_execution(
        &self,
        job_id: &str,
        thing: &str,
        cancel: CancelExecution,
    ) -> Result<(), ServiceError> {
        done(self.control(Input::CancelExecution {
            job_id: job_id.to_string(),
            thing: thing.to_string(),
            cancel,
        })?)
    }
}

#[async_trait]
impl<C: Clock> DeviceJobs for Durable<C> {
    async fn get_pending(&self, thing: &str) -> Result<PendingExecutions, DataPlaneError> {
        self.read(|e| e.get_pending(thing))
    }
    async fn start_next(
        &self,
        thing: &str,
        request: StartNext,
    ) -> Result<Option<DeviceExecution>, DataPlaneError> {
        let input = Input::StartNext {
            thing: thing.to_string(),
            request,
        };
        match self.device(input)? {
            Applied::Started(r) => r,
            other => Err(DataPlaneError::new(
                ErrorCode::InternalError,
                mismatch(&other),
            )),
        }
    }
    async fn describe_execution(
        &self,
        thing: &str,
        request: DescribeExecution,
    ) -> Result<Option<DeviceExecution>, DataPlaneError> {
        self.read(|e| describe_execution(e, thing, &request))
    }
    async fn update_execution(
        &self,
        thing: &str,
        job_id: &str,
        update: UpdateExecution,
    ) -> Result<UpdateOutcome, DataPlaneError> {
        let input = Input::Update {
            thing: thing.to_string(),
            job_id: job_id.to_string(),
            update,
        };
        match self.device(input)? {
            Applied::Updated(r) => r,
            other => Err(DataPlaneError::new(
                ErrorCode::InternalError,
                mismatch(&other),
            )),
        }
    }
}

#[async_trait]
impl<C: Clock> FleetService for Durable<C> {
    async fn create_thing(
        &self,
        name: &str,
        attributes: Vec<(String, String)>,
    ) -> Result<(), ServiceError> {
        done(self.control(Input::CreateThing {
            name: name.to_string(),
            attributes,
        })?)
    }
    async fn describe_thing(&self, name: &str) -> Result<Thing, ServiceError> {
        self.read(|e| describe_thing(e.fleet(), name))
    }
    async fn delete_thing(&self, name: &str) -> Result<(), ServiceError> {
        done(self.control(Input::DeleteThing {
            name: name.to_string(),
        })?)
    }
    async fn set_attribute(
        &self,
        thing: &str,
        key: &str,
        value: Option<String>,
    ) -> Result<(), ServiceError> {
        done(self.control(Input::SetAttribute {
            thing: thing.to_string(),
            key: key.to_string(),
            value,
        })?)
    }
    async fn create_group(&self, name: &str, parent: Option<String>) -> Result<(), ServiceError> {
        done(self.control(Input::CreateGroup {
            name: name.to_string(),
            parent,
        })?)
    }
    async fn create_dynamic_group(&self, name: &str, query: &str) -> Result<(), ServiceError> {
        done(self.control(Input::CreateDynamicGroup {
            name: name.to_string(),
            query: query.to_string(),
        })?)
    }
    async fn add_thing_to_group(&self, group: &str, thing: &str) -> Result<(), ServiceError> {
        done(self.control(Input::AddToGroup {
            group: group.to_string(),
            thing: thing.to_string(),
        })?)
    }
    async fn remove_thing_from_group(&self, group: &str, thing: &str) -> Result<(), ServiceError> {
        done(self.control(Input::RemoveFromGroup {
            group: group.to_string(),
            thing: thing.to_string(),
        })?)
    }
    async fn list_group_members(&self, group: &str) -> Result<Vec<String>, ServiceError> {
        self.read(|e| group_members(e.fleet(), group))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journals_made_before_the_log_capacity_came_still_open() {
        // What `format!("{:?}", Settings::default())` gave before `event_log_capacity`.
        let stored = "Settings { pacing: Spread, allow_queued_to_terminal: true, \
                      pace_late_joiners: false, max_pending_listed: 10, \
                      keep_execution_events: true }";
        let mut settings = Settings::default();
        assert_eq!(replayed_settings(&settings), stored);
        settings.event_log_capacity = 7;
        assert_eq!(
            replayed_settings(&settings),
            stored,
            "the capacity is not bound"
        );
        settings.keep_execution_events = false;
        assert_ne!(replayed_settings(&settings), stored);
    }
}
