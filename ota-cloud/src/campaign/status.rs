//! Where a campaign stands: [`Campaign::status`] from what the last step saw, and
//! [`Campaign::report`] with fresh counts and the failures of each stage.

use super::event::{Approval, Refusal};
use super::gate::{GateFailure, StageCounts};
use super::{Campaign, CampaignError};
use crate::service::JobService;
use crate::service::{JobReport, job_report};

/// A campaign's state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CampaignState {
    /// Not planned yet (no step so far, or the first one failed).
    NotStarted,
    /// Planned; stages running or due, or stage jobs still running.
    Running,
    /// Every stage passed or was skipped, and every stage job completed.
    Completed,
    /// A gate failed; jobs cancelled, rollback per policy.
    Stopped {
        /// The stage.
        stage: String,
        /// Why.
        failure: GateFailure,
    },
}

/// A stage's phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StagePhase {
    /// Devices assigned, nothing created.
    Planned,
    /// Its group or job is being created (a step was interrupted).
    Starting,
    /// Its job runs; the gate is judged.
    Running,
    /// The success condition holds; waiting for the soak to end.
    Soaking {
        /// Unix ms.
        until: u64,
    },
    /// Waiting for [`Campaign::approve`].
    AwaitingApproval,
    /// Its gate passed; its job still runs and is watched for failures.
    Passed,
    /// Its gate passed and its job completed.
    Finished,
    /// No devices: no job.
    Skipped,
    /// Its gate failed.
    Failed,
    /// Never started: the campaign stopped first.
    NotRun,
    /// Running when another stage's gate failed: its job was cancelled.
    Stopped,
}

/// One stage of [`CampaignStatus`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StageStatus {
    /// Its name.
    pub name: String,
    /// Its job (and thing group).
    pub job_id: String,
    /// Its phase.
    pub phase: StagePhase,
    /// Devices in it.
    pub devices: usize,
    /// Counts as the last step saw them.
    pub counts: StageCounts,
}

/// Where a campaign stands, from what its last step saw (no service call).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CampaignStatus {
    /// The campaign.
    pub id: String,
    /// Its state.
    pub state: CampaignState,
    /// Paused by [`Campaign::pause`].
    pub paused: bool,
    /// The stage being started or judged, while running (`None` once every gate passed).
    pub current_stage: Option<String>,
    /// Every stage.
    pub stages: Vec<StageStatus>,
    /// Devices eligible when planned.
    pub eligible: usize,
    /// Devices refused, at planning or at a stage's start.
    pub refused: usize,
    /// Eligible devices no stage took.
    pub unassigned: usize,
    /// The rollback campaign this one started.
    pub rollback_campaign: Option<String>,
    /// The campaign this one rolls back.
    pub rollback_of: Option<String>,
}

/// A stage of [`CampaignReport`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StageReport {
    /// Its status.
    pub status: StageStatus,
    /// Its job's fresh counts and failures with their reasons, once the job exists.
    pub job: Option<JobReport>,
}

/// A campaign's outcome for people.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CampaignReport {
    /// The status.
    pub status: CampaignStatus,
    /// Per stage, with fresh counts (`status.stages` has those the last step saw).
    pub stages: Vec<StageReport>,
    /// Every refusal.
    pub refusals: Vec<Refusal>,
    /// Every approval.
    pub approvals: Vec<Approval>,
}

impl Campaign {
    /// Where it stands, from what the last step saw.
    pub fn status(&self) -> CampaignStatus {
        let running = self.state == CampaignState::Running;
        CampaignStatus {
            id: self.spec.id.clone(),
            state: self.state.clone(),
            paused: self.paused,
            current_stage: self
                .stages
                .get(self.current)
                .filter(|_| running)
                .map(|s| s.stage.name.clone()),
            stages: self
                .stages
                .iter()
                .map(|s| StageStatus {
                    name: s.stage.name.clone(),
                    job_id: s.job_id.clone(),
                    phase: s.phase,
                    devices: s.devices.len(),
                    counts: s.counts,
                })
                .collect(),
            eligible: self.eligible,
            refused: self.refusals.len(),
            unassigned: self.unassigned.len(),
            rollback_campaign: self.rollback.as_ref().map(|r| r.spec.id.clone()),
            rollback_of: self.rollback_of.clone(),
        }
    }

    /// The status with each started stage's job described afresh, and up to
    /// `max_failures` failed devices per stage with their reasons ([`job_report`]). Reads
    /// only; changes nothing.
    ///
    /// # Errors
    /// [`CampaignError::Service`] for the first failing call.
    pub async fn report<S: JobService + ?Sized>(
        &self,
        svc: &S,
        max_failures: usize,
    ) -> Result<CampaignReport, CampaignError> {
        let status = self.status();
        let mut stages = Vec::with_capacity(self.stages.len());
        for (run, mut stage_status) in self.stages.iter().zip(status.stages.iter().cloned()) {
            let job = if run.job_created {
                let report = job_report(svc, &run.job_id, max_failures)
                    .await
                    .map_err(|e| CampaignError::service("DescribeJob", &run.job_id, e))?;
                stage_status.counts =
                    StageCounts::from_details(stage_status.devices as u64, &report.details);
                Some(report)
            } else {
                None
            };
            stages.push(StageReport {
                status: stage_status,
                job,
            });
        }
        Ok(CampaignReport {
            status,
            stages,
            refusals: self.refusals.clone(),
            approvals: self.approvals.clone(),
        })
    }
}
