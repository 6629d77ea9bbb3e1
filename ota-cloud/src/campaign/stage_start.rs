//! Driving the current stage: re-check its devices, create its group, fill it, create its
//! job, then judge it (see `judging`), and on to the next stage while gates pass.
//! Creations are recorded as soon as they succeed, so that a step cut short by an error is
//! finished by the next one without creating anything twice; the re-check records nothing
//! until all its calls have succeeded, and is redone whole.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::assignment;
use super::command::{Command, Reply};
use super::event::{CampaignEvent, RefusalReason};
use super::judging::{Judged, described_job};
use super::planning::described;
use super::status::{CampaignState, StagePhase};
use super::step::{Next, Phase, done, failed, members, unexpected};
use super::{Campaign, CampaignError};
use crate::MAX_DESCRIPTION_LEN;
use crate::error::ServiceError;
use crate::jobs::model::{
    AbortAction, AbortConfig, AbortCriteria, Comparator, Denominator, FailureType, JobSpec, Target,
};

/// What the current stage's work is waiting for.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) enum StageWork {
    /// Nothing: look at the stage's phase.
    #[default]
    Next,
    /// Describing the stage's devices again before it starts.
    Recheck {
        next: usize,
        kept: Vec<String>,
        refused: Vec<(String, RefusalReason)>,
    },
    /// `CreateThingGroup` said it exists: are its members the stage's own?
    GroupCheck,
    /// `AddThingToThingGroup` said "not found" (`error`): was the thing deleted?
    ConfirmGone { error: String },
    /// `CreateJob` said it exists: is it the stage's own?
    JobCheck,
    /// Describing the stage's job to judge its gate.
    Judge,
}

impl Campaign {
    pub(super) fn current_next(&mut self, now: u64, work: &mut StageWork) -> Next {
        loop {
            if self.state != CampaignState::Running {
                return Next::Go(Phase::Finish);
            }
            let Some(phase) = self.stages.get(self.current).map(|s| s.phase) else {
                return Next::Go(Phase::Finish);
            };
            match phase {
                StagePhase::Planned | StagePhase::Starting => {
                    if self.paused {
                        return Next::Go(Phase::Finish);
                    }
                    if let Some(command) = self.start_next(now, work) {
                        return Next::Call(command);
                    }
                }
                StagePhase::Running | StagePhase::Soaking { .. } | StagePhase::AwaitingApproval => {
                    *work = StageWork::Judge;
                    return Next::Call(Command::DescribeJob {
                        job_id: self.stages[self.current].job_id.clone(),
                    });
                }
                _ => self.current += 1,
            }
        }
    }

    /// The next call to start the current stage; `None` when it started or was skipped.
    fn start_next(&mut self, now: u64, work: &mut StageWork) -> Option<Command> {
        let i = self.current;
        let run = &self.stages[i];
        let group = run.job_id.clone();
        match work {
            StageWork::GroupCheck => return Some(Command::ListGroupMembers { group }),
            StageWork::ConfirmGone { .. } => {
                let thing = run.devices.get(run.added)?.clone();
                return Some(Command::DescribeThing { thing });
            }
            StageWork::JobCheck => return Some(Command::DescribeJob { job_id: group }),
            StageWork::Next | StageWork::Judge if !run.checked => {
                *work = StageWork::Recheck {
                    next: 0,
                    kept: Vec::new(),
                    refused: Vec::new(),
                };
            }
            _ => {}
        }
        if let StageWork::Recheck {
            next,
            kept,
            refused,
        } = work
        {
            if let Some(thing) = run.devices.get(*next) {
                return Some(Command::DescribeThing {
                    thing: thing.clone(),
                });
            }
            let (kept, refused) = (std::mem::take(kept), std::mem::take(refused));
            *work = StageWork::Next;
            self.rechecked(now, kept, refused);
            if self.stages[i].devices.is_empty() {
                self.skip(now);
                return None;
            }
        }
        let run = &self.stages[i];
        if !run.group_created {
            return Some(Command::CreateGroup { group });
        }
        if let Some(thing) = run.devices.get(run.added) {
            return Some(Command::AddThingToGroup {
                group,
                thing: thing.clone(),
            });
        }
        if run.devices.is_empty() {
            self.skip(now);
            return None;
        }
        if !run.job_created {
            return Some(Command::CreateJob {
                spec: Box::new(self.job_spec(i)),
            });
        }
        None
    }

    /// Record the re-check: refusals and the devices kept.
    fn rechecked(&mut self, now: u64, kept: Vec<String>, refused: Vec<(String, RefusalReason)>) {
        let name = self.stages[self.current].stage.name.clone();
        for (thing, reason) in refused {
            self.refuse(now, thing, Some(&name), reason);
        }
        let run = &mut self.stages[self.current];
        run.devices = kept;
        run.checked = true;
        run.phase = StagePhase::Starting;
    }

    pub(super) fn current_reply(
        &mut self,
        now: u64,
        work: &mut StageWork,
        command: &Command,
        reply: Reply,
    ) -> Result<Judged, CampaignError> {
        match (&*work, command) {
            (StageWork::Judge, Command::DescribeJob { .. }) => {
                *work = StageWork::Next;
                return self.judge_reply(now, command, reply);
            }
            (StageWork::Recheck { .. }, _) => self.recheck_reply(work, command, reply)?,
            (_, Command::CreateGroup { .. } | Command::ListGroupMembers { .. }) => {
                self.group_reply(work, command, reply)?;
            }
            (_, Command::AddThingToGroup { .. } | Command::DescribeThing { .. }) => {
                self.add_reply(now, work, command, reply)?;
            }
            (_, Command::CreateJob { .. } | Command::DescribeJob { .. }) => {
                self.job_reply(now, work, command, reply)?;
            }
            _ => return Err(unexpected(command)),
        }
        Ok(Judged::Continue)
    }

    /// A device described again before its stage starts.
    fn recheck_reply(
        &self,
        work: &mut StageWork,
        command: &Command,
        reply: Reply,
    ) -> Result<(), CampaignError> {
        let (
            StageWork::Recheck {
                next,
                kept,
                refused,
            },
            Command::DescribeThing { thing },
        ) = (work, command)
        else {
            return Err(unexpected(command));
        };
        match described(command, reply)? {
            Ok(t) => match assignment::check(&self.spec.release, &self.spec.eligibility, &t) {
                Ok(()) => kept.push(thing.clone()),
                Err(reason) => refused.push((thing.clone(), reason)),
            },
            Err(ServiceError::ResourceNotFound(_)) => {
                refused.push((thing.clone(), RefusalReason::UnknownThing));
            }
            Err(e) => return Err(failed(command, e)),
        }
        *next += 1;
        Ok(())
    }

    /// The stage's group created, or found to exist: its members must be the stage's own.
    fn group_reply(
        &mut self,
        work: &mut StageWork,
        command: &Command,
        reply: Reply,
    ) -> Result<(), CampaignError> {
        let run = &mut self.stages[self.current];
        match (&*work, command) {
            (StageWork::Next, Command::CreateGroup { .. }) => match done(command, reply)? {
                Ok(()) => run.group_created = true,
                Err(ServiceError::ResourceAlreadyExists(_)) => *work = StageWork::GroupCheck,
                Err(e) => return Err(failed(command, e)),
            },
            (StageWork::GroupCheck, Command::ListGroupMembers { group }) => {
                let members = members(command, reply)?.map_err(|e| failed(command, e))?;
                let ours: HashSet<&String> = run.devices.iter().collect();
                if !members.iter().all(|m| ours.contains(m)) {
                    return Err(CampaignError::GroupTaken(group.clone()));
                }
                run.group_created = true;
                *work = StageWork::Next;
            }
            _ => return Err(unexpected(command)),
        }
        Ok(())
    }

    /// A device added to the stage's group, or found to be gone.
    fn add_reply(
        &mut self,
        now: u64,
        work: &mut StageWork,
        command: &Command,
        reply: Reply,
    ) -> Result<(), CampaignError> {
        match (&mut *work, command) {
            (StageWork::Next, Command::AddThingToGroup { .. }) => match done(command, reply)? {
                Ok(()) => self.stages[self.current].added += 1,
                Err(ServiceError::ResourceNotFound(error)) => {
                    *work = StageWork::ConfirmGone { error }
                }
                Err(e) => return Err(failed(command, e)),
            },
            (StageWork::ConfirmGone { error }, Command::DescribeThing { thing }) => {
                // Deleted since the re-check: refuse it. Otherwise the add's error stands.
                let Err(ServiceError::ResourceNotFound(_)) = described(command, reply)? else {
                    return Err(CampaignError::service(
                        "AddThingToThingGroup",
                        thing,
                        ServiceError::ResourceNotFound(std::mem::take(error)),
                    ));
                };
                let run = &mut self.stages[self.current];
                run.devices.remove(run.added);
                let name = run.stage.name.clone();
                self.refuse(now, thing.clone(), Some(&name), RefusalReason::UnknownThing);
                *work = StageWork::Next;
            }
            _ => return Err(unexpected(command)),
        }
        Ok(())
    }

    /// The stage's job created, or found to exist: it must be the stage's own.
    fn job_reply(
        &mut self,
        now: u64,
        work: &mut StageWork,
        command: &Command,
        reply: Reply,
    ) -> Result<(), CampaignError> {
        match (&*work, command) {
            (StageWork::Next, Command::CreateJob { .. }) => match done(command, reply)? {
                Ok(()) => self.stage_started(now),
                Err(ServiceError::ResourceAlreadyExists(_)) => *work = StageWork::JobCheck,
                Err(e) => return Err(failed(command, e)),
            },
            (StageWork::JobCheck, Command::DescribeJob { job_id }) => {
                let job = described_job(command, reply)?.map_err(|e| failed(command, e))?;
                let spec = self.job_spec(self.current);
                if job.spec.targets != spec.targets || job.spec.document != spec.document {
                    return Err(CampaignError::JobTaken(job_id.clone()));
                }
                *work = StageWork::Next;
                self.stage_started(now);
            }
            _ => return Err(unexpected(command)),
        }
        Ok(())
    }

    /// The current stage's job exists: the stage runs.
    fn stage_started(&mut self, now: u64) {
        let run = &mut self.stages[self.current];
        run.job_created = true;
        run.phase = StagePhase::Running;
        let event = CampaignEvent::StageStarted {
            stage: run.stage.name.clone(),
            job_id: run.job_id.clone(),
            devices: run.devices.len(),
        };
        self.log(now, event);
    }

    fn skip(&mut self, now: u64) {
        let run = &mut self.stages[self.current];
        run.phase = StagePhase::Skipped;
        let stage = run.stage.name.clone();
        self.log(now, CampaignEvent::StageSkipped { stage });
    }

    /// Stage `i`'s job: a snapshot job over its group with the release's document and the
    /// stage's rollout, timeout, retry and abort configs.
    pub(super) fn job_spec(&self, i: usize) -> JobSpec {
        let run = &self.stages[i];
        let release = &self.spec.release;
        let mut spec = JobSpec::new(
            run.job_id.clone(),
            vec![Target::Group(run.job_id.clone())],
            release.document.clone(),
        );
        let mut description = format!(
            "campaign {}, stage {}: release {} ({})",
            self.spec.id, run.stage.name, release.id, release.version
        );
        if description.len() > MAX_DESCRIPTION_LEN {
            description = format!(
                "campaign {}, stage {}: release {}",
                self.spec.id, run.stage.name, release.version
            );
        }
        spec.description = Some(description);
        spec.job_executions_rollout_config = run.stage.rollout.clone();
        spec.timeout_config = run.stage.timeout;
        spec.job_executions_retry_config = run.stage.retry.clone();
        spec.presigned_url_config = self.spec.presigned_url_config.clone();
        spec.abort_config = run.stage.abort.clone().or_else(|| {
            if !self.spec.abort_backstop {
                return None;
            }
            let threshold = run.stage.gate.failure_threshold?;
            Some(AbortConfig {
                criteria_list: vec![AbortCriteria {
                    failure_type: FailureType::All,
                    action: AbortAction::Cancel,
                    threshold_percentage: f64::from(threshold.hundredths()) / 100.0,
                    min_number_of_executed_things: run.stage.gate.min_sample.max(1),
                    denominator: Denominator::default(),
                    comparator: Comparator::default(),
                }],
            })
        });
        spec
    }
}
