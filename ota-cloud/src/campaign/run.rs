//! [`Campaign::step`]: planning, starting stages, judging gates, stopping and rolling back.
//! Creations are recorded as soon as they succeed, so that a step cut short by an error is
//! finished by the next one without creating anything twice; planning and a stage's
//! re-check record nothing until all their reads succeed, and are redone whole.

use std::collections::{BTreeSet, HashMap, HashSet};

use ota_core::jobs::JobExecutionStatus;

use super::event::{CampaignEvent, Logged, Refusal, RefusalReason};
use super::gate::{GateFailure, StageCounts, Verdict};
use super::spec::{ROLLBACK_SUFFIX, RollbackPolicy, StageSize, Targets};
use super::status::{CampaignState, StagePhase};
use super::{Campaign, CampaignError, CampaignSpec, Eligibility, Stop, assignment};
use crate::MAX_DESCRIPTION_LEN;
use crate::error::Error;
use crate::jobs::model::{JobSpec, JobStatus, Target};
use crate::service::{FleetService, JobService};

/// The `reasonCode` of the cancels a failed gate makes.
const CANCEL_REASON: &str = "CAMPAIGN_GATE_FAILED";

/// What judging the current stage concluded.
enum Outcome {
    Hold,
    Pass,
    Fail(GateFailure),
}

fn refuse(
    refusals: &mut Vec<Refusal>,
    log: &mut Vec<Logged>,
    at: u64,
    thing: String,
    stage: Option<&str>,
    reason: RefusalReason,
) {
    log.push(Logged {
        at,
        event: CampaignEvent::Refused {
            thing: thing.clone(),
            reason: reason.clone(),
        },
    });
    refusals.push(Refusal {
        thing,
        stage: stage.map(str::to_string),
        reason,
        at,
    });
}

impl Campaign {
    /// Do what is due at `now` (Unix ms) and return the events logged since the previous
    /// successful step (those of [`Campaign::pause`], [`Campaign::resume`] and
    /// [`Campaign::approve`] included, and the rollback campaign's, wrapped). Never sleeps,
    /// reads no clock; calling it again with nothing due changes nothing.
    ///
    /// # Errors
    /// [`CampaignError::Service`] for the first failing service call;
    /// [`CampaignError::GroupTaken`] / [`CampaignError::JobTaken`] when a stage's name is
    /// used by something else. Whatever was done before the error is kept, and its events
    /// are returned by the next successful step; the next step retries the rest.
    pub async fn step<S>(&mut self, now: u64, svc: &S) -> Result<Vec<CampaignEvent>, CampaignError>
    where
        S: JobService + FleetService + ?Sized,
    {
        self.advance(now, svc).await?;
        if let Some(rollback) = self.rollback.as_deref_mut() {
            let result = rollback.advance(now, svc).await;
            for logged in &rollback.log[rollback.reported..] {
                self.log.push(Logged {
                    at: logged.at,
                    event: CampaignEvent::Rollback {
                        campaign: rollback.spec.id.clone(),
                        event: Box::new(logged.event.clone()),
                    },
                });
            }
            rollback.reported = rollback.log.len();
            result?;
        }
        let events = self.log[self.reported..]
            .iter()
            .map(|l| l.event.clone())
            .collect();
        self.reported = self.log.len();
        Ok(events)
    }

    /// This campaign's own work, without its rollback campaign.
    async fn advance<S>(&mut self, now: u64, svc: &S) -> Result<(), CampaignError>
    where
        S: JobService + FleetService + ?Sized,
    {
        if self.state == CampaignState::NotStarted {
            self.plan(now, svc).await?;
        }
        if self.state == CampaignState::Running {
            self.watch(now, svc).await?;
        }
        while self.state == CampaignState::Running {
            let Some(phase) = self.stages.get(self.current).map(|s| s.phase) else {
                break;
            };
            match phase {
                StagePhase::Planned | StagePhase::Starting => {
                    if self.paused {
                        break;
                    }
                    self.start_stage(now, svc).await?;
                    if self.stages[self.current].phase == StagePhase::Skipped {
                        self.current += 1;
                    }
                }
                StagePhase::Running | StagePhase::Soaking { .. } | StagePhase::AwaitingApproval => {
                    match self.judge(now, svc).await? {
                        Outcome::Hold => break,
                        Outcome::Pass => {
                            let run = &mut self.stages[self.current];
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
                        }
                        Outcome::Fail(failure) => self.fail(self.current, now, failure),
                    }
                }
                _ => self.current += 1,
            }
        }
        let all_done = self.stages.iter().all(|s| !s.job_created || s.job_done);
        if self.state == CampaignState::Running && self.current >= self.stages.len() && all_done {
            self.state = CampaignState::Completed;
            self.log(now, CampaignEvent::Completed);
        }
        if self.stop.is_some() {
            self.finish_stop(now, svc).await?;
        }
        Ok(())
    }

    /// Judge again the stages whose gate passed while their job still runs: a failure
    /// verdict on one of them stops the campaign; a completed job ends the watch.
    async fn watch<S>(&mut self, now: u64, svc: &S) -> Result<(), CampaignError>
    where
        S: JobService + FleetService + ?Sized,
    {
        for i in 0..self.stages.len() {
            if self.state != CampaignState::Running {
                break;
            }
            if self.stages[i].phase != StagePhase::Passed {
                continue;
            }
            let failure = match self.read_job(i, svc).await? {
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
        }
        Ok(())
    }

    /// Describe stage `i`'s job: record its counts and whether it completed. A job
    /// cancelled or deleted outside the campaign is a failure.
    async fn read_job<S>(&mut self, i: usize, svc: &S) -> Result<Option<GateFailure>, CampaignError>
    where
        S: JobService + FleetService + ?Sized,
    {
        let job_id = self.stages[i].job_id.clone();
        let job = match svc.describe_job(&job_id).await {
            Ok(job) => job,
            Err(Error::ResourceNotFound(_)) => {
                return Ok(Some(GateFailure::JobDeleted { job_id }));
            }
            Err(e) => return Err(CampaignError::service("DescribeJob", &job_id, e)),
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

    /// Resolve targets, refuse what cannot take the release, deal the rest to stages.
    /// Nothing is recorded unless every call succeeds.
    async fn plan<S>(&mut self, now: u64, svc: &S) -> Result<(), CampaignError>
    where
        S: JobService + FleetService + ?Sized,
    {
        let mut names = match &self.spec.targets {
            Targets::Things(things) => things.clone(),
            Targets::Group(group) => svc
                .list_group_members(group)
                .await
                .map_err(|e| CampaignError::service("ListThingsInThingGroup", group, e))?,
        };
        names.sort_unstable();
        names.dedup();
        let mut eligible = Vec::new();
        let mut refused = Vec::new();
        for name in names {
            match svc.describe_thing(&name).await {
                Ok(thing) => {
                    match assignment::check(&self.spec.release, &self.spec.eligibility, &thing) {
                        Ok(()) => eligible.push(thing),
                        Err(reason) => refused.push((name, reason)),
                    }
                }
                Err(Error::ResourceNotFound(_)) => {
                    refused.push((name, RefusalReason::UnknownThing))
                }
                Err(e) => return Err(CampaignError::service("DescribeThing", &name, e)),
            }
        }
        let mut groups: HashMap<String, HashSet<String>> = HashMap::new();
        for stage in &self.spec.stages {
            if let StageSize::Group(group) = &stage.size
                && !groups.contains_key(group)
            {
                let members = svc
                    .list_group_members(group)
                    .await
                    .map_err(|e| CampaignError::service("ListThingsInThingGroup", group, e))?;
                groups.insert(group.clone(), members.into_iter().collect());
            }
        }
        assignment::arrange(&mut eligible, self.spec.order);
        let (dealt, unassigned) = assignment::assign(&self.spec.stages, &eligible, &groups);
        let refused_count = refused.len();
        for (thing, reason) in refused {
            refuse(&mut self.refusals, &mut self.log, now, thing, None, reason);
        }
        for (run, devices) in self.stages.iter_mut().zip(dealt) {
            run.devices = devices;
        }
        self.eligible = eligible.len();
        self.unassigned = unassigned;
        self.state = CampaignState::Running;
        let event = CampaignEvent::Planned {
            eligible: self.eligible,
            refused: refused_count,
            unassigned: self.unassigned.len(),
        };
        self.log(now, event);
        Ok(())
    }

    /// Re-check the current stage's devices, then create its group, fill it, create its job.
    async fn start_stage<S>(&mut self, now: u64, svc: &S) -> Result<(), CampaignError>
    where
        S: JobService + FleetService + ?Sized,
    {
        let i = self.current;
        let name = self.stages[i].stage.name.clone();
        let group = self.stages[i].job_id.clone();
        if !self.stages[i].checked {
            let mut kept = Vec::new();
            let mut refused = Vec::new();
            for thing in &self.stages[i].devices {
                match svc.describe_thing(thing).await {
                    Ok(t) => {
                        match assignment::check(&self.spec.release, &self.spec.eligibility, &t) {
                            Ok(()) => kept.push(thing.clone()),
                            Err(reason) => refused.push((thing.clone(), reason)),
                        }
                    }
                    Err(Error::ResourceNotFound(_)) => {
                        refused.push((thing.clone(), RefusalReason::UnknownThing));
                    }
                    Err(e) => return Err(CampaignError::service("DescribeThing", thing, e)),
                }
            }
            for (thing, reason) in refused {
                refuse(
                    &mut self.refusals,
                    &mut self.log,
                    now,
                    thing,
                    Some(&name),
                    reason,
                );
            }
            let run = &mut self.stages[i];
            run.devices = kept;
            run.checked = true;
            run.phase = StagePhase::Starting;
            if run.devices.is_empty() {
                self.skip(now);
                return Ok(());
            }
        }
        if !self.stages[i].group_created {
            match svc.create_group(&group, None).await {
                Ok(()) => {}
                Err(Error::ResourceAlreadyExists(_)) => {
                    let members = svc
                        .list_group_members(&group)
                        .await
                        .map_err(|e| CampaignError::service("ListThingsInThingGroup", &group, e))?;
                    let ours: HashSet<&String> = self.stages[i].devices.iter().collect();
                    if !members.iter().all(|m| ours.contains(m)) {
                        return Err(CampaignError::GroupTaken(group));
                    }
                }
                Err(e) => return Err(CampaignError::service("CreateThingGroup", &group, e)),
            }
            self.stages[i].group_created = true;
        }
        while let Some(thing) = self.stages[i].devices.get(self.stages[i].added).cloned() {
            match svc.add_thing_to_group(&group, &thing).await {
                Ok(()) => self.stages[i].added += 1,
                Err(Error::ResourceNotFound(e)) => {
                    // The thing may have been deleted since the re-check; if so, refuse it.
                    match svc.describe_thing(&thing).await {
                        Err(Error::ResourceNotFound(_)) => {
                            let run = &mut self.stages[i];
                            run.devices.remove(run.added);
                            refuse(
                                &mut self.refusals,
                                &mut self.log,
                                now,
                                thing,
                                Some(&name),
                                RefusalReason::UnknownThing,
                            );
                        }
                        _ => {
                            return Err(CampaignError::service(
                                "AddThingToThingGroup",
                                &thing,
                                Error::ResourceNotFound(e),
                            ));
                        }
                    }
                }
                Err(e) => return Err(CampaignError::service("AddThingToThingGroup", &thing, e)),
            }
        }
        if self.stages[i].devices.is_empty() {
            self.skip(now);
            return Ok(());
        }
        if !self.stages[i].job_created {
            let spec = self.job_spec(i);
            match svc.create_job(spec.clone()).await {
                Ok(_) => {}
                Err(Error::ResourceAlreadyExists(_)) => {
                    let job = svc
                        .describe_job(&spec.job_id)
                        .await
                        .map_err(|e| CampaignError::service("DescribeJob", &spec.job_id, e))?;
                    if job.spec.targets != spec.targets || job.spec.document != spec.document {
                        return Err(CampaignError::JobTaken(spec.job_id));
                    }
                }
                Err(e) => return Err(CampaignError::service("CreateJob", &spec.job_id, e)),
            }
            let run = &mut self.stages[i];
            run.job_created = true;
            run.phase = StagePhase::Running;
            let event = CampaignEvent::StageStarted {
                stage: name,
                job_id: spec.job_id,
                devices: run.devices.len(),
            };
            self.log(now, event);
        }
        Ok(())
    }

    fn skip(&mut self, now: u64) {
        let run = &mut self.stages[self.current];
        run.phase = StagePhase::Skipped;
        let stage = run.stage.name.clone();
        self.log(now, CampaignEvent::StageSkipped { stage });
    }

    /// The current stage's job: a snapshot job over its group with the release's document
    /// and the stage's rollout, timeout, retry and abort configs.
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
        spec.abort_config = run.stage.abort.clone();
        spec
    }

    /// Read the current stage's job and judge its gate, soak and approval.
    async fn judge<S>(&mut self, now: u64, svc: &S) -> Result<Outcome, CampaignError>
    where
        S: JobService + FleetService + ?Sized,
    {
        let i = self.current;
        if let Some(failure) = self.read_job(i, svc).await? {
            return Ok(Outcome::Fail(failure));
        }
        let run = &mut self.stages[i];
        match run.stage.gate.evaluate(&run.counts) {
            Verdict::Failed(failure) => Ok(Outcome::Fail(failure)),
            Verdict::Sampling { .. } | Verdict::Holding => {
                run.soak_since = None;
                run.phase = StagePhase::Running;
                Ok(Outcome::Hold)
            }
            Verdict::Succeeding => {
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
                        return Ok(Outcome::Hold);
                    }
                }
                let run = &mut self.stages[i];
                if manual && !run.approved {
                    if run.phase != StagePhase::AwaitingApproval {
                        run.phase = StagePhase::AwaitingApproval;
                        let stage = run.stage.name.clone();
                        self.log(now, CampaignEvent::AwaitingApproval { stage });
                    }
                    return Ok(Outcome::Hold);
                }
                Ok(Outcome::Pass)
            }
        }
    }

    /// Stop for good because stage `i`'s gate failed: mark the stages, and leave the
    /// cancels and the rollback to [`Campaign::finish_stop`].
    fn fail(&mut self, i: usize, now: u64, failure: GateFailure) {
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

    /// Cancel the campaign's jobs (without force), wait for their `IN_PROGRESS` executions to
    /// end (at most the longest in-progress timeout of the stages, an hour without one), then
    /// start the rollback campaign over every device whose execution `SUCCEEDED`.
    async fn finish_stop<S>(&mut self, now: u64, svc: &S) -> Result<(), CampaignError>
    where
        S: JobService + FleetService + ?Sized,
    {
        while let Some(job_id) = self
            .stop
            .as_ref()
            .and_then(|s| s.to_cancel.first().cloned())
        {
            let comment = format!("campaign {} stopped: a gate failed", self.spec.id);
            match svc
                .cancel_job(&job_id, Some(CANCEL_REASON.into()), Some(comment), false)
                .await
            {
                Ok(_) => self.log(now, CampaignEvent::JobCanceled { job_id }),
                // Already completed, cancelled or deleted: nothing to stop.
                Err(Error::InvalidStateTransition(_) | Error::ResourceNotFound(_)) => {}
                Err(e) => return Err(CampaignError::service("CancelJob", &job_id, e)),
            }
            if let Some(stop) = self.stop.as_mut() {
                stop.to_cancel.remove(0);
            }
        }
        if let Some(stop) = self.stop.as_ref().filter(|s| s.roll_back) {
            // Devices still installing may yet take the release: wait for their executions
            // to end (or time out), up to the longest in-progress timeout.
            if now < stop.since.saturating_add(stop.wait_ms) {
                for run in self.stages.iter().filter(|s| s.job_created) {
                    let job = svc
                        .describe_job(&run.job_id)
                        .await
                        .map_err(|e| CampaignError::service("DescribeJob", &run.job_id, e))?;
                    if job.job_process_details.number_of_in_progress_things > 0 {
                        return Ok(());
                    }
                }
            }
            let mut took = BTreeSet::new();
            for run in self.stages.iter().filter(|s| s.job_created) {
                let succeeded = svc
                    .list_job_executions_for_job(&run.job_id, Some(JobExecutionStatus::Succeeded))
                    .await
                    .map_err(|e| {
                        CampaignError::service("ListJobExecutionsForJob", &run.job_id, e)
                    })?;
                took.extend(succeeded.into_iter().map(|s| s.thing_name));
            }
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
        self.stop = None;
        Ok(())
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
        })
    }
}
