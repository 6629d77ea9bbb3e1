//! Reading stage jobs and judging gates: the watch over stages whose gate passed while their
//! job still runs, and the current stage's gate, soak and approval.

use super::command::{Command, Reply};
use super::event::CampaignEvent;
use super::gate::{GateFailure, StageCounts, Verdict};
use super::stage_start::StageWork;
use super::status::{CampaignState, StagePhase};
use super::step::{Next, Phase, answer, failed};
use super::{Campaign, CampaignError};
use crate::error::ServiceError;
use crate::jobs::model::{Job, JobStatus};

/// What judging the current stage concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Judged {
    /// Nothing more to do in this step.
    Hold,
    /// Carry on (a gate passed or failed, or a call answered).
    Continue,
}

impl Campaign {
    /// Describe the next passed stage from `next` on, or move on to the current stage.
    pub(super) fn watch_next(&mut self, next: &mut usize) -> Next {
        if self.state == CampaignState::Running
            && let Some(i) =
                (*next..self.stages.len()).find(|&i| self.stages[i].phase == StagePhase::Passed)
        {
            *next = i;
            return Next::Call(Command::DescribeJob {
                job_id: self.stages[i].job_id.clone(),
            });
        }
        Next::Go(Phase::Current(StageWork::default()))
    }

    /// A passed stage's job: a failure verdict stops the campaign; a completed job ends the
    /// watch.
    pub(super) fn watch_reply(
        &mut self,
        now: u64,
        next: &mut usize,
        command: &Command,
        reply: Reply,
    ) -> Result<(), CampaignError> {
        let i = *next;
        let failure = match self.read_job(i, command, reply)? {
            Some(failure) => Some(failure),
            None => match self.stages[i].stage.gate.evaluate(&self.stages[i].counts) {
                Verdict::Failed(failure) => Some(failure),
                _ => None,
            },
        };
        match failure {
            Some(failure) => self.fail(i, now, failure),
            None if self.stages[i].job_done => self.stages[i].phase = StagePhase::Finished,
            None => {}
        }
        *next = i + 1;
        Ok(())
    }

    /// Record stage `i`'s job from a `DescribeJob` answer: its counts and whether it
    /// completed. A job cancelled or deleted outside the campaign is a failure.
    pub(super) fn read_job(
        &mut self,
        i: usize,
        command: &Command,
        reply: Reply,
    ) -> Result<Option<GateFailure>, CampaignError> {
        let job_id = self.stages[i].job_id.clone();
        let job = match described_job(command, reply)? {
            Ok(job) => job,
            Err(ServiceError::ResourceNotFound(_)) => {
                return Ok(Some(GateFailure::JobDeleted { job_id }));
            }
            Err(e) => return Err(failed(command, e)),
        };
        let run = &mut self.stages[i];
        run.counts = StageCounts::from_details(run.devices.len() as u64, &job.job_process_details);
        run.job_done = job.status == JobStatus::Completed;
        if matches!(
            job.status,
            JobStatus::Canceled | JobStatus::DeletionInProgress
        ) {
            return Ok(Some(GateFailure::JobCanceled {
                job_id,
                reason_code: job.reason_code,
            }));
        }
        Ok(None)
    }

    /// Judge the current stage from its job's answer: gate, soak, approval.
    pub(super) fn judge_reply(
        &mut self,
        now: u64,
        command: &Command,
        reply: Reply,
    ) -> Result<Judged, CampaignError> {
        let i = self.current;
        if let Some(failure) = self.read_job(i, command, reply)? {
            self.fail(i, now, failure);
            return Ok(Judged::Continue);
        }
        let run = &mut self.stages[i];
        match run.stage.gate.evaluate(&run.counts) {
            Verdict::Failed(failure) => {
                self.fail(i, now, failure);
                Ok(Judged::Continue)
            }
            Verdict::Sampling { .. } | Verdict::Holding => {
                run.soak_since = None;
                run.phase = StagePhase::Running;
                Ok(Judged::Hold)
            }
            Verdict::Succeeding => self.succeeding(now),
        }
    }

    /// The current stage's success condition holds: soak, then approval, then pass.
    fn succeeding(&mut self, now: u64) -> Result<Judged, CampaignError> {
        let run = &mut self.stages[self.current];
        let (soak, manual) = (run.stage.gate.soak_ms, run.stage.gate.manual_approval);
        if soak > 0 {
            let since = match run.soak_since {
                Some(since) => since,
                None => {
                    let until = now.saturating_add(soak);
                    run.soak_since = Some(now);
                    run.phase = StagePhase::Soaking { until };
                    let stage = run.stage.name.clone();
                    self.log(now, CampaignEvent::SoakStarted { stage, until });
                    now
                }
            };
            if now < since.saturating_add(soak) {
                return Ok(Judged::Hold);
            }
        }
        let run = &mut self.stages[self.current];
        if manual && !run.approved {
            if run.phase != StagePhase::AwaitingApproval {
                run.phase = StagePhase::AwaitingApproval;
                let stage = run.stage.name.clone();
                self.log(now, CampaignEvent::AwaitingApproval { stage });
            }
            return Ok(Judged::Hold);
        }
        run.phase = if run.job_done {
            StagePhase::Finished
        } else {
            StagePhase::Passed
        };
        let event = CampaignEvent::GatePassed {
            stage: run.stage.name.clone(),
            counts: run.counts,
        };
        self.log(now, event);
        self.current += 1;
        Ok(Judged::Continue)
    }
}

/// A `DescribeJob` answer.
pub(super) fn described_job(
    command: &Command,
    reply: Reply,
) -> Result<Result<Job, ServiceError>, CampaignError> {
    answer(command, reply, |r| match r {
        Reply::Job(job) => Some(*job),
        _ => None,
    })
}
