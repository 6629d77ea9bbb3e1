//! Staged campaigns: one release rolled out stage by stage over any [`JobService`] +
//! [`FleetService`], each stage gated on its own health before the next starts.
//!
//! A [`Campaign`] is a state machine driven by its caller, in steps: [`Campaign::poll_command`]
//! names the next service call a step needs ([`Command`]), the caller makes it and hands the
//! answer ([`Reply`]) to [`Campaign::handle_reply`], until `poll_command` says the step is over;
//! [`Campaign::take_events`] returns what happened. It holds no futures, never sleeps and reads
//! no clock, and it is plain data (serde) between any two calls, a step under way included, so
//! a service can persist it and carry on after a restart. [`Campaign::step`] is a thin async
//! driver over the service traits ([`execute`] makes one call), and
//! [`crate::InMemory::execute`] makes calls on the in-memory engine without async. Step
//! periodically and after changes. It is idempotent: a step with nothing due changes nothing,
//! and after a service error the next step carries on from the last call that succeeded
//! (progress is recorded call by call, and "already exists" answers about the campaign's own
//! group and job are recognised as its own).
//!
//! **Planning** (first step): the targets are resolved and each is described; devices that
//! cannot take the release per the catalog are refused with a reason
//! ([`Campaign::refusals`], [`CampaignEvent::Refused`]). Eligible devices are sorted by name
//! (or shuffled with a seed, [`AssignmentOrder`]) and dealt to the stages in order
//! ([`StageSize`]), never twice; leftovers are [`Campaign::unassigned`]. A paused campaign
//! plans on its first step and starts nothing: a dry run ([`Campaign::stage_devices`]).
//!
//! **Stages**: each is one SNAPSHOT job `{campaign}-{stage}` targeting a thing group of the
//! same name made for it (a job takes at most 100 targets). Just before, the campaign
//! describes the stage's devices again and refuses those that can no longer take the
//! release. A stage left without devices is skipped (no job, no gate), so size canaries with
//! `Count` or `Percent`, which take at least one device whenever any remain.
//!
//! **Gates** ([`Gate`], judged by [`Gate::evaluate`]): minimum sample, then failure and
//! success thresholds with an explicit denominator and comparator. Then:
//! - the **soak** starts when the success condition first holds (the success threshold met
//!   or, without one, every device terminal), *not* when every execution is terminal.
//!   Failures are still judged during the soak; if the success condition stops holding, the
//!   soak starts over when it holds again;
//! - **manual approval** is asked for after the soak ([`CampaignEvent::AwaitingApproval`])
//!   and given with [`Campaign::approve`] (who, remark, time: [`Campaign::approvals`]).
//!
//! When a gate passes, the next stage starts in the same step. The passed stage's job runs
//! on for its stragglers and the stage stays **watched** until the job completes: a failure
//! verdict on it later (failure threshold, success out of reach, job cancelled outside the
//! campaign) still stops the campaign. The campaign completes when every gate has passed
//! *and* every stage job has completed, so a device that never takes its execution keeps
//! the campaign running, as it keeps its job `IN_PROGRESS` on AWS.
//!
//! **Pause** ([`Campaign::pause`]) holds progression only: no stage starts until
//! [`Campaign::resume`]. AWS cannot pause a job and a cancel cannot be undone, so the running
//! stage's job is **left as it is**: its rollout carries on and its devices keep installing.
//! Its gate is still judged: the soak runs, approvals are taken, and a failure while paused
//! still stops the campaign (and rolls back per policy).
//!
//! **Failure**: a failed gate (failure threshold reached, success threshold out of reach,
//! job cancelled outside the campaign) stops the campaign for good and cancels every job of
//! it still running, without force (`QUEUED` executions are cancelled, `IN_PROGRESS` ones
//! finish). With [`RollbackPolicy::Automatic`] it then waits for those `IN_PROGRESS`
//! executions to end (at most the longest in-progress timeout of the stages; an hour without
//! one) and starts a rollback campaign `{campaign}-rb` with the spec's `previous` release
//! and the policy's stages, over exactly the devices whose execution `SUCCEEDED` in any
//! stage. This
//! campaign's `step` drives it; its events come wrapped in [`CampaignEvent::Rollback`], and
//! its status names this campaign ([`CampaignStatus::rollback_of`]).
//!
//! **A rollback release must be newer than the bad one.** Devices refuse downgrades and
//! reinstalls, so `previous` is the old firmware *re-signed under a higher version* (bad
//! 2.0.0, rollback 2.0.1 built from 1.9.0), in the catalog, for the same hardware, with a
//! `requires` that admits the bad version. A spec that breaks this is refused
//! ([`SpecError::RollbackNotNewer`]). The rollback campaign takes its devices to run the bad
//! version ([`Eligibility::assume_version`]) rather than trust a version attribute that may
//! lag.
//!
//! Cost: two `DescribeThing` and one `AddThingToThingGroup` per device; per step, one
//! `DescribeJob` per stage being judged or watched.
//!
//! Not done: stage groups stay in the registry afterwards (the trait has no
//! `DeleteThingGroup`; AWS allows a thing 10 static groups); devices whose execution
//! succeeds after the rollback's wait are not in the rollback campaign; continuous campaigns (late joiners); approval quorums; health signals beyond job status.

mod assignment;
mod command;
mod driver;
mod error;
mod event;
mod gate;
mod judging;
mod percent;
mod planning;
mod services;
mod spec;
mod stage_start;
mod status;
mod step;
mod stopping;

pub use command::{Command, Reply, execute};
pub use error::{CampaignError, SpecError};
pub use event::{Approval, CampaignEvent, Logged, Refusal, RefusalReason};
pub use gate::{Gate, GateDenominator, GateFailure, StageCounts, Verdict};
pub use percent::Percent;
pub use services::CampaignServices;
pub use spec::{
    AssignmentOrder, CampaignSpec, Eligibility, RollbackPolicy, Stage, StageSize, Targets,
};
pub use status::{
    CampaignReport, CampaignState, CampaignStatus, StagePhase, StageReport, StageStatus,
};

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
#[cfg(doc)]
use crate::service::{FleetService, JobService};

/// One stage as the campaign runs it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StageRun {
    stage: Stage,
    /// The job id and the thing group name: `{campaign}-{stage}`.
    job_id: String,
    devices: Vec<String>,
    phase: StagePhase,
    /// Start progress, so that a step interrupted by an error resumes where it stopped.
    checked: bool,
    group_created: bool,
    added: usize,
    job_created: bool,
    /// Its job completed (every execution terminal): no longer watched.
    job_done: bool,
    counts: StageCounts,
    soak_since: Option<u64>,
    approved: bool,
}

/// What a stopped campaign still has to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stop {
    to_cancel: Vec<String>,
    roll_back: bool,
    /// When the gate failed (Unix ms).
    since: u64,
    /// How long the rollback waits for `IN_PROGRESS` executions to end.
    wait_ms: u64,
}

/// How long a rollback waits for in-progress executions when no stage has an in-progress
/// timeout.
const ROLLBACK_WAIT_MS: u64 = 60 * 60_000;

/// A staged rollout of one release. See the [module docs](self).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Campaign {
    spec: CampaignSpec,
    rollback_of: Option<String>,
    state: CampaignState,
    paused: bool,
    stages: Vec<StageRun>,
    current: usize,
    eligible: usize,
    unassigned: Vec<String>,
    refusals: Vec<Refusal>,
    approvals: Vec<Approval>,
    log: Vec<Logged>,
    reported: usize,
    stop: Option<Stop>,
    rollback: Option<Box<Self>>,
    /// The step under way, if any.
    step: Option<step::Step>,
}

impl Campaign {
    /// A campaign that starts on its first [`Campaign::step`]. Its release (and rollback
    /// release) must be the catalog's entries of their ids.
    ///
    /// Every stage's job is checked against the IoT Jobs rules and quotas here, the rollback
    /// campaign's too, so that no stage fails on `CreateJob` halfway through a rollout.
    ///
    /// # Errors
    /// [`CampaignError::Spec`] with the first problem found; nothing is created.
    pub fn new(spec: CampaignSpec, catalog: &Catalog) -> Result<Self, CampaignError> {
        spec.validate()?;
        for release in std::iter::once(&spec.release).chain(&spec.previous) {
            if catalog.get(&release.id) != Some(release) {
                return Err(SpecError::NotInCatalog(release.id.clone()).into());
            }
        }
        let campaign = Self::unchecked(spec, None);
        campaign.check_jobs()?;
        if let Some(rollback) = campaign.rollback_spec(vec!["any".into()]) {
            Self::unchecked(rollback, None).check_jobs()?;
        }
        Ok(campaign)
    }

    /// Check every stage's job against the IoT Jobs rules and quotas, as `CreateJob` would.
    fn check_jobs(&self) -> Result<(), SpecError> {
        for (i, run) in self.stages.iter().enumerate() {
            crate::jobs::validate::validate(self.job_spec(i), 0).map_err(|e| {
                SpecError::InvalidJob {
                    stage: run.job_id.clone(),
                    message: e.to_string(),
                }
            })?;
        }
        Ok(())
    }

    fn unchecked(spec: CampaignSpec, rollback_of: Option<String>) -> Self {
        let stages = spec
            .stages
            .iter()
            .map(|stage| StageRun {
                stage: stage.clone(),
                job_id: format!("{}-{}", spec.id, stage.name),
                devices: Vec::new(),
                phase: StagePhase::Planned,
                checked: false,
                group_created: false,
                added: 0,
                job_created: false,
                job_done: false,
                counts: StageCounts::default(),
                soak_since: None,
                approved: false,
            })
            .collect();
        Self {
            spec,
            rollback_of,
            state: CampaignState::NotStarted,
            paused: false,
            stages,
            current: 0,
            eligible: 0,
            unassigned: Vec::new(),
            refusals: Vec::new(),
            approvals: Vec::new(),
            log: Vec::new(),
            reported: 0,
            stop: None,
            rollback: None,
            step: None,
        }
    }

    /// Its id.
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// What it was asked to do.
    pub fn spec(&self) -> &CampaignSpec {
        &self.spec
    }

    /// Every event so far, with its time (rollback events included, wrapped).
    pub fn events(&self) -> &[Logged] {
        &self.log
    }

    /// The devices left out, with why and when.
    pub fn refusals(&self) -> &[Refusal] {
        &self.refusals
    }

    /// The approvals given.
    pub fn approvals(&self) -> &[Approval] {
        &self.approvals
    }

    /// The devices of a stage (planned, or as started after the re-check); `None` for an
    /// unknown stage. Empty before planning.
    pub fn stage_devices(&self, stage: &str) -> Option<&[String]> {
        self.stages
            .iter()
            .find(|s| s.stage.name == stage)
            .map(|s| s.devices.as_slice())
    }

    /// Eligible devices no stage took.
    pub fn unassigned(&self) -> &[String] {
        &self.unassigned
    }

    /// The rollback campaign, once started.
    pub fn rollback_campaign(&self) -> Option<&Self> {
        self.rollback.as_deref()
    }

    /// The rollback campaign, to pause or approve it.
    pub fn rollback_campaign_mut(&mut self) -> Option<&mut Self> {
        self.rollback.as_deref_mut()
    }

    /// Whether it has completed or stopped (its rollback campaign may still run).
    pub fn is_finished(&self) -> bool {
        match self.state {
            CampaignState::Completed => true,
            CampaignState::Stopped { .. } => {
                self.stop.is_none() && self.rollback.as_ref().is_none_or(|r| r.is_finished())
            }
            _ => false,
        }
    }

    fn log(&mut self, at: u64, event: CampaignEvent) {
        self.log.push(Logged { at, event });
    }

    /// Leave `thing` out, at planning (`stage: None`) or at a stage's start.
    fn refuse(&mut self, at: u64, thing: String, stage: Option<&str>, reason: RefusalReason) {
        let event = CampaignEvent::Refused {
            thing: thing.clone(),
            reason: reason.clone(),
        };
        self.log(at, event);
        self.refusals.push(Refusal {
            thing,
            stage: stage.map(str::to_string),
            reason,
            at,
        });
    }

    /// Hold progression: no stage starts until [`Campaign::resume`]. The running stage's
    /// job is left alone and its gate still judged (see the [module docs](self)). Pausing a
    /// paused campaign does nothing.
    ///
    /// # Errors
    /// [`CampaignError::Finished`].
    pub fn pause(&mut self, now: u64) -> Result<(), CampaignError> {
        if self.is_finished() {
            return Err(CampaignError::Finished(self.spec.id.clone()));
        }
        if !self.paused {
            self.paused = true;
            self.log(now, CampaignEvent::Paused);
        }
        Ok(())
    }

    /// Let stages start again (on the next step). Resuming a running campaign does nothing.
    ///
    /// # Errors
    /// [`CampaignError::Finished`].
    pub fn resume(&mut self, now: u64) -> Result<(), CampaignError> {
        if self.is_finished() {
            return Err(CampaignError::Finished(self.spec.id.clone()));
        }
        if self.paused {
            self.paused = false;
            self.log(now, CampaignEvent::Resumed);
        }
        Ok(())
    }

    /// Stop for good on an operator's word, between steps: the current stage is marked
    /// failed with [`GateFailure::Stopped`], later ones not run, and the next step cancels
    /// every job of the campaign still running, without force (`QUEUED` executions are
    /// cancelled, `IN_PROGRESS` ones finish), as after a failed gate. Unlike a failed gate it
    /// never starts a rollback, whatever the policy: the operator decides what comes next.
    ///
    /// # Errors
    /// [`CampaignError::Finished`] if it has completed or stopped already;
    /// [`CampaignError::StepUnderWay`] while a step waits for a call's answer.
    pub fn stop(&mut self, by: &str, reason: &str, now: u64) -> Result<(), CampaignError> {
        if self.is_finished() || matches!(self.state, CampaignState::Stopped { .. }) {
            return Err(CampaignError::Finished(self.spec.id.clone()));
        }
        if by.trim().is_empty() {
            return Err(CampaignError::MissingApprover);
        }
        if self.step.is_some() {
            return Err(CampaignError::StepUnderWay);
        }
        let failure = GateFailure::Stopped {
            by: by.to_string(),
            reason: reason.to_string(),
        };
        let i = self.current.min(self.stages.len().saturating_sub(1));
        self.fail(i, now, failure);
        if let Some(stop) = &mut self.stop {
            stop.roll_back = false;
        }
        Ok(())
    }

    /// Approve the manual gate of `stage`, which must be awaiting approval; the next step
    /// passes the gate (unless a failure came first). Recorded in [`Campaign::approvals`].
    ///
    /// # Errors
    /// [`CampaignError::UnknownStage`], [`CampaignError::NotAwaitingApproval`],
    /// [`CampaignError::MissingApprover`] for an empty `by`.
    pub fn approve(
        &mut self,
        stage: &str,
        by: &str,
        remark: &str,
        now: u64,
    ) -> Result<(), CampaignError> {
        let run = self
            .stages
            .iter_mut()
            .find(|s| s.stage.name == stage)
            .ok_or_else(|| CampaignError::UnknownStage(stage.to_string()))?;
        if run.phase != StagePhase::AwaitingApproval || self.state != CampaignState::Running {
            return Err(CampaignError::NotAwaitingApproval(stage.to_string()));
        }
        if by.trim().is_empty() {
            return Err(CampaignError::MissingApprover);
        }
        run.approved = true;
        self.approvals.push(Approval {
            stage: stage.to_string(),
            by: by.to_string(),
            remark: remark.to_string(),
            at: now,
        });
        self.log(
            now,
            CampaignEvent::Approved {
                stage: stage.to_string(),
                by: by.to_string(),
            },
        );
        Ok(())
    }
}
