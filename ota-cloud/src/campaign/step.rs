//! The campaign as a state machine: [`Campaign::poll_command`] says which service call the
//! step under way needs next, [`Campaign::handle_reply`] takes its answer, and
//! [`Campaign::take_events`] hands over what happened. No futures, no clock, no I/O: the
//! caller makes the calls, and the whole campaign (a step under way included) is plain data
//! that serde can save and restore between any two calls.
//!
//! A step runs in phases, in this order: planning (first step only), watching the stages
//! whose gate passed while their job runs, driving the current stage (start it, judge its
//! gate, and on to the next stage while gates pass), the completion check, stopping after
//! a failed gate (cancels, the wait for in-progress executions, the rollback campaign's
//! creation), and last the rollback campaign's own step. Each phase's calls and answers are
//! in a module of its own (`planning`, `judging`, `stage_start`, `stopping`).

use serde::{Deserialize, Serialize};

use super::command::{Command, Reply};
use super::event::{CampaignEvent, Logged};
use super::judging::Judged;
use super::planning::Planning;
use super::stage_start::StageWork;
use super::status::{CampaignState, StagePhase};
use super::stopping::StopWork;
use super::{Campaign, CampaignError};
use crate::error::ServiceError;

/// The step under way.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Step {
    phase: Phase,
    /// The call asked for and not answered yet (never set in the rollback phase: the
    /// rollback campaign keeps its own).
    pending: Option<Command>,
}

/// Where the step under way is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) enum Phase {
    /// Resolving targets and describing them (only while not started).
    Plan(Planning),
    /// Re-judging passed stages whose job still runs, from stage `next` on.
    Watch { next: usize },
    /// Starting and judging the current stage, and the next ones while gates pass.
    Current(StageWork),
    /// The completion check.
    Finish,
    /// Cancelling and rolling back after a failed gate.
    Stop(StopWork),
    /// The rollback campaign's step.
    Rollback,
}

/// What a phase wants next.
pub(super) enum Next {
    /// This call.
    Call(Command),
    /// Move on to this phase.
    Go(Phase),
    /// The step is over.
    Done,
}

impl Campaign {
    /// The next service call the campaign needs at `now` (Unix ms), starting a step when
    /// none is under way; `None` once the step is over (a later call starts the next one).
    /// Asked again before its answer, it returns the same call: a campaign restored from a
    /// save repeats the call it was waiting for (every call is safe to repeat: an "already
    /// exists" answer about the campaign's own group or job is recognised as its own).
    ///
    /// Does not wait for anything: job progress is read when a step runs, so step
    /// periodically (see [`Campaign::poll_timeout`] for what is due at a known time).
    pub fn poll_command(&mut self, now: u64) -> Option<Command> {
        let mut step = self.step.take().unwrap_or_else(|| Step {
            phase: Phase::Plan(Planning::default()),
            pending: None,
        });
        if let Some(command) = &step.pending {
            let command = command.clone();
            self.step = Some(step);
            return Some(command);
        }
        loop {
            match self.next_in(now, &mut step.phase) {
                Next::Call(command) => {
                    if !matches!(step.phase, Phase::Rollback) {
                        step.pending = Some(command.clone());
                    }
                    self.step = Some(step);
                    return Some(command);
                }
                Next::Go(phase) => step.phase = phase,
                Next::Done => return None,
            }
        }
    }

    /// Take the answer to the call [`Campaign::poll_command`] returned, at `now`.
    ///
    /// # Errors
    /// [`CampaignError::Service`] for a failed call the campaign cannot carry on from,
    /// [`CampaignError::GroupTaken`] / [`CampaignError::JobTaken`] when a stage's name is
    /// used by something else: the step ends there, whatever it did before is kept (and its
    /// events are returned by [`Campaign::take_events`]), and the next step retries the rest.
    /// [`CampaignError::NoCallPending`] and [`CampaignError::UnexpectedReply`] for a reply
    /// that answers nothing or answers another call: ignored, the call is still pending.
    pub fn handle_reply(&mut self, now: u64, reply: Reply) -> Result<(), CampaignError> {
        let Some(mut step) = self.step.take() else {
            return Err(CampaignError::NoCallPending);
        };
        if matches!(step.phase, Phase::Rollback) {
            let Some(rollback) = self.rollback.as_deref_mut() else {
                return Err(CampaignError::NoCallPending);
            };
            let result = rollback.handle_reply(now, reply);
            match &result {
                Err(CampaignError::NoCallPending | CampaignError::UnexpectedReply { .. }) => {
                    self.step = Some(step);
                }
                Err(_) => self.wrap_rollback_events(),
                Ok(()) => self.step = Some(step),
            }
            return result;
        }
        let Some(command) = step.pending.take() else {
            self.step = Some(step);
            return Err(CampaignError::NoCallPending);
        };
        match self.reply_in(now, &mut step.phase, &command, reply) {
            Ok(()) => {
                self.step = Some(step);
                Ok(())
            }
            Err(e @ CampaignError::UnexpectedReply { .. }) => {
                step.pending = Some(command);
                self.step = Some(step);
                Err(e)
            }
            // The step ends; the next one starts over from what was recorded.
            Err(e) => Err(e),
        }
    }

    /// The events logged since the previous call (those of [`Campaign::pause`],
    /// [`Campaign::resume`] and [`Campaign::approve`] included, and the rollback campaign's,
    /// wrapped in [`CampaignEvent::Rollback`]).
    pub fn take_events(&mut self) -> Vec<CampaignEvent> {
        self.take_logged().into_iter().map(|l| l.event).collect()
    }

    /// When something time-driven is next due (Unix ms): a soak's end, or the end of the
    /// rollback's wait for in-progress executions, this campaign's or its rollback
    /// campaign's. Job progress is not predicted: step periodically as well.
    pub fn poll_timeout(&self) -> Option<u64> {
        let soaks = self.stages.iter().filter_map(|s| match s.phase {
            StagePhase::Soaking { until } => Some(until),
            _ => None,
        });
        let wait = self
            .stop
            .as_ref()
            .filter(|s| s.roll_back)
            .map(|s| s.since.saturating_add(s.wait_ms));
        let rollback = self.rollback.as_ref().and_then(|r| r.poll_timeout());
        soaks.chain(wait).chain(rollback).min()
    }

    fn take_logged(&mut self) -> Vec<Logged> {
        let new = self.log[self.reported..].to_vec();
        self.reported = self.log.len();
        new
    }

    /// Copy the rollback campaign's new events into this log, wrapped.
    fn wrap_rollback_events(&mut self) {
        let Some(rollback) = self.rollback.as_deref_mut() else {
            return;
        };
        let campaign = rollback.spec.id.clone();
        for logged in rollback.take_logged() {
            self.log.push(Logged {
                at: logged.at,
                event: CampaignEvent::Rollback {
                    campaign: campaign.clone(),
                    event: Box::new(logged.event),
                },
            });
        }
    }

    fn next_in(&mut self, now: u64, phase: &mut Phase) -> Next {
        match phase {
            Phase::Plan(planning) => self.plan_next(now, planning),
            Phase::Watch { next } => self.watch_next(next),
            Phase::Current(work) => self.current_next(now, work),
            Phase::Finish => self.finish(now),
            Phase::Stop(work) => self.stop_next(now, work),
            Phase::Rollback => match self.rollback.as_deref_mut().map(|r| r.poll_command(now)) {
                Some(Some(command)) => Next::Call(command),
                _ => {
                    self.wrap_rollback_events();
                    Next::Done
                }
            },
        }
    }

    fn reply_in(
        &mut self,
        now: u64,
        phase: &mut Phase,
        command: &Command,
        reply: Reply,
    ) -> Result<(), CampaignError> {
        match phase {
            Phase::Plan(planning) => self.plan_reply(planning, command, reply),
            Phase::Watch { next } => self.watch_reply(now, next, command, reply),
            Phase::Current(work) => {
                if self.current_reply(now, work, command, reply)? == Judged::Hold {
                    *phase = Phase::Finish;
                }
                Ok(())
            }
            Phase::Stop(work) => {
                if self.stop_reply(now, work, command, reply)? {
                    // Executions still in progress: the rollback waits for a later step.
                    *phase = Phase::Rollback;
                }
                Ok(())
            }
            Phase::Finish | Phase::Rollback => Err(unexpected(command)),
        }
    }

    /// Every gate passed and every stage job completed: the campaign completes. Then the
    /// stop work, if a gate failed.
    fn finish(&mut self, now: u64) -> Next {
        let all_done = self.stages.iter().all(|s| !s.job_created || s.job_done);
        if self.state == CampaignState::Running && self.current >= self.stages.len() && all_done {
            self.state = CampaignState::Completed;
            self.log(now, CampaignEvent::Completed);
        }
        if self.stop.is_some() {
            Next::Go(Phase::Stop(StopWork::default()))
        } else {
            Next::Go(Phase::Rollback)
        }
    }
}

/// The error for a reply that does not answer `command`.
pub(super) fn unexpected(command: &Command) -> CampaignError {
    CampaignError::UnexpectedReply {
        operation: command.operation(),
    }
}

/// The answer to `command` as `pick` reads it: `Ok(Err(e))` for a failed call.
///
/// # Errors
/// [`CampaignError::UnexpectedReply`] when the reply is of another kind.
pub(super) fn answer<T>(
    command: &Command,
    reply: Reply,
    pick: impl FnOnce(Reply) -> Option<T>,
) -> Result<Result<T, ServiceError>, CampaignError> {
    match reply {
        Reply::Failed(e) => Ok(Err(e)),
        other => pick(other).map(Ok).ok_or_else(|| unexpected(command)),
    }
}

/// An answer that carries nothing.
pub(super) fn done(
    command: &Command,
    reply: Reply,
) -> Result<Result<(), ServiceError>, CampaignError> {
    answer(command, reply, |r| matches!(r, Reply::Done).then_some(()))
}

/// A `ListThingsInThingGroup` answer.
pub(super) fn members(
    command: &Command,
    reply: Reply,
) -> Result<Result<Vec<String>, ServiceError>, CampaignError> {
    answer(command, reply, |r| match r {
        Reply::Members(m) => Some(m),
        _ => None,
    })
}

/// `command`'s failure as a campaign error.
pub(super) fn failed(command: &Command, e: ServiceError) -> CampaignError {
    CampaignError::service(command.operation(), command.resource(), e)
}
