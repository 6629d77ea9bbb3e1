//! Stopping after a failed gate: mark the stages, cancel the campaign's jobs (without force),
//! wait for their `IN_PROGRESS` executions to end (at most the longest in-progress timeout
//! of the stages, an hour without one), then start the rollback campaign over every device
//! whose execution `SUCCEEDED`.

use std::collections::BTreeSet;

use ota_core::jobs::JobExecutionStatus;
use serde::{Deserialize, Serialize};

use super::command::{Command, Reply};
use super::event::CampaignEvent;
use super::gate::GateFailure;
use super::judging::described_job;
use super::spec::{ROLLBACK_SUFFIX, RollbackPolicy, Targets};
use super::status::{CampaignState, StagePhase};
use super::step::{Next, Phase, answer, done, failed, unexpected};
use super::{Campaign, CampaignError, CampaignSpec, Eligibility, Stop};
use crate::error::ServiceError;

/// The `reasonCode` of the cancels a failed gate makes.
const CANCEL_REASON: &str = "CAMPAIGN_GATE_FAILED";

/// Where the stop work is.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) enum StopWork {
    /// Cancelling the jobs in [`Stop::to_cancel`], first to last.
    #[default]
    Cancel,
    /// Checking the stage jobs for executions still in progress, from stage `next` on.
    Wait { next: usize },
    /// Listing the devices whose execution succeeded, from stage `next` on.
    Collect { next: usize, took: BTreeSet<String> },
}

impl Campaign {
    /// Stop for good because stage `i`'s gate failed: mark the stages, and leave the
    /// cancels and the rollback to the stop phase.
    pub(super) fn fail(&mut self, i: usize, now: u64, failure: GateFailure) {
        for (k, run) in self.stages.iter_mut().enumerate() {
            run.phase = match run.phase {
                _ if k == i => StagePhase::Failed,
                StagePhase::Planned => StagePhase::NotRun,
                StagePhase::Starting
                | StagePhase::Running
                | StagePhase::Soaking { .. }
                | StagePhase::AwaitingApproval => StagePhase::Stopped,
                other => other,
            };
        }
        let stage = self.stages[i].stage.name.clone();
        self.stop = Some(Stop {
            to_cancel: self
                .stages
                .iter()
                .filter(|s| s.job_created)
                .map(|s| s.job_id.clone())
                .collect(),
            roll_back: matches!(self.spec.rollback, RollbackPolicy::Automatic { .. }),
            since: now,
            wait_ms: self
                .spec
                .stages
                .iter()
                .filter_map(|s| s.timeout.and_then(|t| t.in_progress_timeout_in_minutes))
                .max()
                .map_or(super::ROLLBACK_WAIT_MS, |m| u64::from(m) * 60_000),
        });
        self.state = CampaignState::Stopped {
            stage: stage.clone(),
            failure: failure.clone(),
        };
        self.log(now, CampaignEvent::GateFailed { stage, failure });
    }

    pub(super) fn stop_next(&mut self, now: u64, work: &mut StopWork) -> Next {
        loop {
            let Some(stop) = &self.stop else {
                return Next::Go(Phase::Rollback);
            };
            match work {
                StopWork::Cancel => match stop.to_cancel.first() {
                    Some(job_id) => {
                        return Next::Call(Command::CancelJob {
                            job_id: job_id.clone(),
                            reason_code: CANCEL_REASON.into(),
                            comment: format!("campaign {} stopped: a gate failed", self.spec.id),
                        });
                    }
                    None if stop.roll_back => *work = StopWork::Wait { next: 0 },
                    None => {
                        self.stop = None;
                        return Next::Go(Phase::Rollback);
                    }
                },
                StopWork::Wait { next } => {
                    // Devices still installing may yet take the release: wait for their
                    // executions to end (or time out), up to the longest in-progress timeout.
                    let waiting = now < stop.since.saturating_add(stop.wait_ms);
                    match self.created_from(*next).filter(|_| waiting) {
                        Some(i) => {
                            *next = i;
                            return Next::Call(Command::DescribeJob {
                                job_id: self.stages[i].job_id.clone(),
                            });
                        }
                        None => {
                            *work = StopWork::Collect {
                                next: 0,
                                took: BTreeSet::new(),
                            }
                        }
                    }
                }
                StopWork::Collect { next, took } => match self.created_from(*next) {
                    Some(i) => {
                        *next = i;
                        return Next::Call(Command::ListSucceeded {
                            job_id: self.stages[i].job_id.clone(),
                        });
                    }
                    None => {
                        self.start_rollback(now, std::mem::take(took));
                        self.stop = None;
                        return Next::Go(Phase::Rollback);
                    }
                },
            }
        }
    }

    /// The first stage from `i` on whose job was created.
    fn created_from(&self, i: usize) -> Option<usize> {
        (i..self.stages.len()).find(|&k| self.stages[k].job_created)
    }

    /// Take a stop call's answer; `true` when executions are still in progress (the
    /// rollback waits for a later step).
    pub(super) fn stop_reply(
        &mut self,
        now: u64,
        work: &mut StopWork,
        command: &Command,
        reply: Reply,
    ) -> Result<bool, CampaignError> {
        match (work, command) {
            (StopWork::Cancel, Command::CancelJob { job_id, .. }) => {
                match done(command, reply)? {
                    Ok(()) => self.log(
                        now,
                        CampaignEvent::JobCanceled {
                            job_id: job_id.clone(),
                        },
                    ),
                    // Already completed, cancelled or deleted: nothing to stop.
                    Err(
                        ServiceError::InvalidStateTransition(_) | ServiceError::ResourceNotFound(_),
                    ) => {}
                    Err(e) => return Err(failed(command, e)),
                }
                if let Some(stop) = self.stop.as_mut() {
                    stop.to_cancel.retain(|j| j != job_id);
                }
            }
            (StopWork::Wait { next }, Command::DescribeJob { .. }) => {
                let job = described_job(command, reply)?.map_err(|e| failed(command, e))?;
                if job.job_process_details.by_status[JobExecutionStatus::InProgress] > 0 {
                    return Ok(true);
                }
                *next += 1;
            }
            (StopWork::Collect { next, took }, Command::ListSucceeded { .. }) => {
                let things = answer(command, reply, |r| match r {
                    Reply::Things(t) => Some(t),
                    _ => None,
                })?
                .map_err(|e| failed(command, e))?;
                took.extend(things);
                *next += 1;
            }
            _ => return Err(unexpected(command)),
        }
        Ok(false)
    }

    /// Create the rollback campaign over the devices that took the release.
    fn start_rollback(&mut self, now: u64, took: BTreeSet<String>) {
        match self.rollback_spec(took.into_iter().collect()) {
            Some(spec) => {
                let devices = match &spec.targets {
                    Targets::Things(t) => t.len(),
                    Targets::Group(_) => 0,
                };
                let rollback = Self::unchecked(spec, Some(self.spec.id.clone()));
                let event = CampaignEvent::RolledBack {
                    rollback_campaign: rollback.spec.id.clone(),
                    devices,
                };
                self.rollback = Some(Box::new(rollback));
                self.log(now, event);
            }
            None => self.log(now, CampaignEvent::NothingToRollBack),
        }
    }

    /// The rollback campaign over `devices`; `None` without devices (or without an
    /// automatic policy and a previous release, which `new` already required).
    pub(super) fn rollback_spec(&self, devices: Vec<String>) -> Option<CampaignSpec> {
        let RollbackPolicy::Automatic { stages } = &self.spec.rollback else {
            return None;
        };
        let previous = self.spec.previous.clone()?;
        if devices.is_empty() {
            return None;
        }
        Some(CampaignSpec {
            id: format!("{}{ROLLBACK_SUFFIX}", self.spec.id),
            release: previous,
            previous: None,
            targets: Targets::Things(devices),
            stages: stages.clone(),
            rollback: RollbackPolicy::Manual,
            eligibility: Eligibility {
                assume_version: Some(self.spec.release.version),
                ..self.spec.eligibility.clone()
            },
            order: self.spec.order,
            abort_backstop: self.spec.abort_backstop,
            presigned_url_config: self.spec.presigned_url_config.clone(),
        })
    }
}
