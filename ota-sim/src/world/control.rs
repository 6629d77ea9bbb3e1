//! The campaign control: what an operator's release pipeline does with the engine.
//!
//! One campaign per hardware type the release is built for (each with its own signed
//! document). The campaign picks the eligible things from the registry (right hardware,
//! running at least the release's `minVersion` and below the release), shuffles them with the
//! run's seed and splits them into the scenario's cumulative stages. Each stage is one
//! snapshot job over a static thing group, with the scenario's rollout rate, abort criteria
//! (`FAILED` and `TIMED_OUT`, each at the gate's threshold), timeout and retries.
//!
//! A stage is judged when its job completes, is aborted, or reaches the stage timeout: it
//! fails its gate when the engine aborted it, or when failures (`FAILED` + `TIMED_OUT`) reach
//! the threshold over at least `min_sample` finished things. A failed gate stops the campaign
//! (later stages are never created) and, when the scenario has a `[previous]` release and
//! `rollback = true`, starts a rollback campaign that installs it on every thing whose
//! execution of the failed release succeeded.
//!
//! Not modelled: approvals, schedules and maintenance windows (the engine has them; the
//! simulator does not drive them).

use std::collections::BTreeSet;

use ota_cloud::Engine;
use ota_cloud::model::{
    AbortConfig, AbortCriteria, Comparator, Denominator, FailureType, JobSpec, JobStatus,
    RetryConfig, RetryCriteria, RetryFailureType, RolloutConfig, Target, TimeoutConfig,
};
use ota_core::jobs::JobExecutionStatus;
use ota_core::version::Version;
use serde::Serialize;

use super::{TICK_MS, World, stream_id};
use crate::scenario::{ReleaseSpec, StageSpec};

/// What a campaign installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    /// The scenario's release.
    Release,
    /// The `[previous]` release, after a failed gate.
    Rollback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The current stage's job runs.
    Running,
    /// The current stage passed; the next starts at this time.
    Soaking(u64),
    /// A gate failed; waiting for the failed job's in-progress executions (until this time)
    /// before the rollback campaign is started.
    Stopping(u64),
    /// A gate failed and whatever follows was started.
    Stopped,
    /// Every stage passed.
    Done,
}

/// A stage's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Not created (an earlier gate failed, or the run ended first).
    NotStarted,
    /// Still running when the run ended.
    Running,
    /// The gate passed.
    Passed,
    /// The gate failed.
    Failed,
}

impl Verdict {
    /// Snake-case text, as in the JSON report.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotStarted => "not_started",
            Self::Running => "running",
            Self::Passed => "passed",
            Self::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone)]
struct Stage {
    spec: StageSpec,
    job_id: String,
    group: String,
    things: Vec<u32>,
    started_at: Option<u64>,
    judged_at: Option<u64>,
    verdict: Verdict,
}

#[derive(Debug, Clone)]
struct Campaign {
    name: String,
    kind: CampaignKind,
    hardware: String,
    version: String,
    document: String,
    stages: Vec<Stage>,
    current: usize,
    phase: Phase,
}

/// One stage's results, for the reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageReport {
    /// The campaign (`release-rev-a`, `rollback-rev-b`).
    pub campaign: String,
    /// Release or rollback.
    pub kind: CampaignKind,
    /// Hardware type.
    pub hardware: String,
    /// Version installed.
    pub version: String,
    /// Stage name.
    pub stage: String,
    /// The stage's job.
    pub job_id: String,
    /// Things targeted by this stage (new to it).
    pub targeted: u64,
    /// Latest execution per thing, by status.
    pub succeeded: u64,
    /// `FAILED`.
    pub failed: u64,
    /// `TIMED_OUT`.
    pub timed_out: u64,
    /// `REJECTED`.
    pub rejected: u64,
    /// `CANCELED`.
    pub canceled: u64,
    /// `QUEUED` or `IN_PROGRESS` when the run ended.
    pub unfinished: u64,
    /// Executions over every attempt (retries included).
    pub attempts: u64,
    /// The gate's verdict.
    pub verdict: Verdict,
    /// Whether the engine aborted the job (abort criteria).
    pub aborted: bool,
    /// Simulated minute the stage started.
    pub started_minute: Option<f64>,
    /// Simulated minute it was judged.
    pub judged_minute: Option<f64>,
}

/// The campaigns of a run.
#[derive(Debug, Default)]
pub struct Control {
    campaigns: Vec<Campaign>,
    started: bool,
    /// Things the campaign filter left out, with why (thing index, reason).
    pub excluded: Vec<(u32, &'static str)>,
    finished_at: Option<u64>,
}

impl Control {
    /// When every campaign is over (all stages judged, or stopped with its rollback over).
    pub fn finished_at(&self) -> Option<u64> {
        self.finished_at
    }

    /// Every job of the run, in creation order.
    pub fn job_ids(&self) -> impl Iterator<Item = &str> {
        self.campaigns.iter().flat_map(|c| {
            c.stages
                .iter()
                .filter(|s| s.started_at.is_some())
                .map(|s| s.job_id.as_str())
        })
    }

    /// Every started stage: its campaign kind, job and things.
    pub fn stage_jobs(&self) -> impl Iterator<Item = (CampaignKind, &str, &[u32])> {
        self.campaigns.iter().flat_map(|c| {
            c.stages
                .iter()
                .filter(|s| s.started_at.is_some())
                .map(move |s| (c.kind, s.job_id.as_str(), s.things.as_slice()))
        })
    }

    /// Things targeted by any stage that started, with their job, in job order.
    pub fn targeted(&self) -> Vec<(u32, &str)> {
        self.campaigns
            .iter()
            .flat_map(|c| c.stages.iter().filter(|s| s.started_at.is_some()))
            .flat_map(|s| s.things.iter().map(move |&t| (t, s.job_id.as_str())))
            .collect()
    }

    /// Whether any gate failed.
    pub fn any_gate_failed(&self) -> bool {
        self.campaigns
            .iter()
            .any(|c| c.stages.iter().any(|s| s.verdict == Verdict::Failed))
    }

    /// Per-stage results from the engine's counts.
    pub fn reports(&self, engine: &Engine) -> Vec<StageReport> {
        let mut out = Vec::new();
        for c in &self.campaigns {
            for s in &c.stages {
                let job = s
                    .started_at
                    .and_then(|_| engine.describe_job(&s.job_id).ok());
                let d = job
                    .as_ref()
                    .map(|j| j.job_process_details.clone())
                    .unwrap_or_default();
                let minute = |t: u64| (t - super::START) as f64 / 60_000.0;
                out.push(StageReport {
                    campaign: c.name.clone(),
                    kind: c.kind,
                    hardware: c.hardware.clone(),
                    version: c.version.clone(),
                    stage: s.spec.name.clone(),
                    job_id: s.job_id.clone(),
                    targeted: s.things.len() as u64,
                    succeeded: d.number_of_succeeded_things,
                    failed: d.number_of_failed_things,
                    timed_out: d.number_of_timed_out_things,
                    rejected: d.number_of_rejected_things,
                    canceled: d.number_of_canceled_things,
                    unfinished: d.number_of_queued_things + d.number_of_in_progress_things,
                    attempts: job.as_ref().map_or(0, |j| j.attempts.executions),
                    verdict: if s.verdict == Verdict::Running && s.started_at.is_none() {
                        Verdict::NotStarted
                    } else {
                        s.verdict
                    },
                    aborted: job
                        .as_ref()
                        .is_some_and(|j| j.reason_code.as_deref() == Some("ABORT_CANCEL")),
                    started_minute: s.started_at.map(minute),
                    judged_minute: s.judged_at.map(minute),
                });
            }
        }
        out
    }
}

/// Things per stage from cumulative percents of `n` eligible things.
fn stage_sizes(stages: &[StageSpec], n: usize) -> Vec<usize> {
    let mut done = 0;
    stages
        .iter()
        .map(|s| {
            let upto = ((s.percent / 100.0 * n as f64).ceil() as usize).clamp(done, n);
            let size = upto - done;
            done = upto;
            size
        })
        .collect()
}

fn ids_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl World {
    /// Every tick: start campaigns, judge stages, start the next ones, sample the timeline,
    /// and decide whether the run is over.
    pub(super) fn control_tick(&mut self) {
        if !self.control.started {
            self.control.started = true;
            let release = self.scenario.release.clone();
            self.start_campaigns(CampaignKind::Release, &release, None);
        }
        for c in 0..self.control.campaigns.len() {
            self.step_campaign(c);
        }
        if self.control.finished_at.is_none()
            && self
                .control
                .campaigns
                .iter()
                .all(|c| matches!(c.phase, Phase::Done | Phase::Stopped))
        {
            self.control.finished_at = Some(self.now);
        }
        if (self.now - super::START) % 60_000 < TICK_MS {
            self.sample();
        }
        self.after_engine();
        self.done = self.run_over();
        if !self.done {
            self.schedule(self.now + TICK_MS, super::Event::ControlTick);
        }
    }

    fn run_over(&self) -> bool {
        let Some(finished) = self.control.finished_at else {
            return false;
        };
        let drain = u64::from(self.scenario.campaign.in_progress_timeout_minutes)
            * 60_000
            * u64::from(self.scenario.campaign.retries + 1);
        let engine = self.service.engine();
        let jobs_over = self.control.job_ids().all(|id| {
            engine
                .describe_job(id)
                .is_ok_and(|j| j.status != JobStatus::InProgress)
        });
        drop(engine);
        (jobs_over && (0..self.devices.len() as u32).all(|d| self.device_settled(d)))
            || self.now > finished + drain
    }

    /// Create the campaigns of `release`, one per hardware type it is built for; `only` limits
    /// targets (a rollback's things).
    fn start_campaigns(
        &mut self,
        kind: CampaignKind,
        release: &ReleaseSpec,
        only: Option<(&str, &BTreeSet<u32>)>,
    ) {
        let hardware: Vec<String> = if release.hardware.is_empty() {
            self.scenario
                .hardware
                .iter()
                .map(|h| h.name.clone())
                .collect()
        } else {
            release.hardware.clone()
        };
        let version = Version::parse(&release.version).unwrap_or(Version::new(0, 0, 0));
        let min = release
            .min_version
            .as_deref()
            .and_then(|m| Version::parse(m).ok());
        let image_index = match kind {
            CampaignKind::Release => self.release_index(),
            CampaignKind::Rollback => self
                .known
                .iter()
                .position(|k| k.role == "rollback")
                .unwrap_or(0),
        };
        let image = self.images.get(image_index).clone();
        let stream = stream_id(&release.version);
        for hw in hardware {
            if only.is_some_and(|(h, _)| h != hw) {
                continue;
            }
            let mut eligible = Vec::new();
            {
                let engine = self.service.engine();
                let fleet = engine.fleet();
                for (i, device) in self.devices.iter().enumerate() {
                    let i = i as u32;
                    if only.is_some_and(|(_, set)| !set.contains(&i)) {
                        continue;
                    }
                    let Some(id) = fleet.thing(device.name) else {
                        continue;
                    };
                    let registered_hw = fleet.attribute(id, "hardware").unwrap_or("");
                    let registered = fleet
                        .attribute(id, "version")
                        .and_then(|v| Version::parse(v).ok());
                    if registered_hw != hw {
                        if kind == CampaignKind::Release
                            && !self
                                .scenario
                                .hardware
                                .iter()
                                .any(|h| h.name == registered_hw)
                        {
                            self.control
                                .excluded
                                .push((i, "registry: no build for this hardware"));
                        }
                        continue;
                    }
                    match registered {
                        Some(v) if min.is_some_and(|m| v < m) => self
                            .control
                            .excluded
                            .push((i, "registry: below the release's minVersion")),
                        Some(v) if kind == CampaignKind::Release && v >= version => self
                            .control
                            .excluded
                            .push((i, "registry: already up to date")),
                        Some(_) => eligible.push(i),
                        None => self
                            .control
                            .excluded
                            .push((i, "registry: no version attribute")),
                    }
                }
            }
            // The stage order is the run's: shuffle with the seed.
            for k in (1..eligible.len()).rev() {
                let j = self.rng.range(0, k as u64) as usize;
                eligible.swap(k, j);
            }
            let stages_spec = match kind {
                CampaignKind::Release => self.scenario.campaign.stages.clone(),
                CampaignKind::Rollback => vec![StageSpec {
                    name: "restore".into(),
                    percent: 100.0,
                }],
            };
            let prefix = match kind {
                CampaignKind::Release => "release",
                CampaignKind::Rollback => "rollback",
            };
            let name = format!("{prefix}-{hw}");
            let base = ids_safe(&format!("{prefix}-{}-{hw}", release.version));
            let mut at = 0;
            let stages = stage_sizes(&stages_spec, eligible.len())
                .into_iter()
                .zip(stages_spec)
                .enumerate()
                .map(|(k, (size, spec))| {
                    let things = eligible[at..at + size].to_vec();
                    at += size;
                    Stage {
                        job_id: format!("{base}-s{k}"),
                        group: format!("{base}-s{k}"),
                        spec,
                        things,
                        started_at: None,
                        judged_at: None,
                        verdict: Verdict::Running,
                    }
                })
                .collect();
            let document = self.keys.document(
                &image,
                &release.version,
                release.security_counter,
                &hw,
                release.min_version.as_deref(),
                &stream,
            );
            self.control.campaigns.push(Campaign {
                name,
                kind,
                hardware: hw,
                version: release.version.clone(),
                document,
                stages,
                current: 0,
                phase: Phase::Soaking(self.now),
            });
        }
    }

    fn job_spec(&self, c: &Campaign, stage: &Stage) -> JobSpec {
        let spec = &self.scenario.campaign;
        let mut job = JobSpec::new(
            stage.job_id.clone(),
            vec![Target::Group(stage.group.clone())],
            c.document.clone(),
        );
        job.description = Some(format!(
            "{} {} stage {}",
            c.name, c.version, stage.spec.name
        ));
        job.job_executions_rollout_config = Some(RolloutConfig {
            maximum_per_minute: Some(spec.rollout_per_minute.clamp(1, 1000)),
            ..RolloutConfig::default()
        });
        let criterion = |failure_type| AbortCriteria {
            failure_type,
            action: Default::default(),
            threshold_percentage: spec.failure_threshold,
            min_number_of_executed_things: spec.min_sample.max(1),
            denominator: Denominator::Notified,
            comparator: Comparator::AtLeast,
        };
        job.abort_config = Some(AbortConfig {
            criteria_list: vec![
                criterion(FailureType::Failed),
                criterion(FailureType::TimedOut),
            ],
        });
        job.timeout_config = Some(TimeoutConfig {
            in_progress_timeout_in_minutes: Some(spec.in_progress_timeout_minutes.clamp(1, 10_080)),
        });
        if spec.retries > 0 {
            job.job_executions_retry_config = Some(RetryConfig {
                criteria_list: vec![RetryCriteria {
                    failure_type: RetryFailureType::All,
                    number_of_retries: spec.retries.min(10),
                }],
            });
        }
        job
    }

    fn start_stage(&mut self, c: usize) {
        let campaign = &self.control.campaigns[c];
        let stage = &campaign.stages[campaign.current];
        let spec = self.job_spec(campaign, stage);
        let (group, things) = (stage.group.clone(), stage.things.clone());
        let mut engine = self.service.engine();
        let created = engine.create_group(&group, None).is_ok()
            && things.iter().all(|&t| {
                engine
                    .add_thing_to_group(&group, self.devices[t as usize].name)
                    .is_ok()
            })
            && engine.create_job(spec).is_ok();
        drop(engine);
        let campaign = &mut self.control.campaigns[c];
        let current = campaign.current;
        let stage = &mut campaign.stages[current];
        if created {
            stage.started_at = Some(self.now);
            campaign.phase = Phase::Running;
        } else {
            // The engine refused the job (a quota, or an empty stage): the stage is skipped.
            stage.judged_at = Some(self.now);
            stage.verdict = if stage.things.is_empty() {
                Verdict::Passed
            } else {
                Verdict::Failed
            };
            campaign.phase = if stage.verdict == Verdict::Passed {
                Phase::Soaking(self.now)
            } else {
                Phase::Stopped
            };
            if stage.verdict == Verdict::Passed {
                campaign.current += 1;
            }
        }
    }

    fn step_campaign(&mut self, c: usize) {
        let spec = self.scenario.campaign.clone();
        let stage_timeout = spec.stage_timeout_minutes * 60_000;
        match self.control.campaigns[c].phase {
            Phase::Done | Phase::Stopped => {}
            Phase::Soaking(until) => {
                let campaign = &mut self.control.campaigns[c];
                if campaign.current >= campaign.stages.len() {
                    campaign.phase = Phase::Done;
                } else if self.now >= until {
                    self.start_stage(c);
                }
            }
            Phase::Running => {
                let campaign = &self.control.campaigns[c];
                let stage = &campaign.stages[campaign.current];
                let Ok(job) = self.service.engine().describe_job(&stage.job_id) else {
                    return;
                };
                let d = &job.job_process_details;
                let over = job.status != JobStatus::InProgress
                    || self.now >= stage.started_at.unwrap_or(self.now) + stage_timeout;
                if !over {
                    return;
                }
                let aborted = job.reason_code.as_deref() == Some("ABORT_CANCEL");
                let failures = d.number_of_failed_things + d.number_of_timed_out_things;
                let finished =
                    failures + d.number_of_succeeded_things + d.number_of_rejected_things;
                let failing = finished >= u64::from(spec.min_sample)
                    && failures as f64 * 100.0 >= spec.failure_threshold * finished as f64;
                let campaign = &mut self.control.campaigns[c];
                let current = campaign.current;
                let stage = &mut campaign.stages[current];
                stage.judged_at = Some(self.now);
                if aborted || failing {
                    stage.verdict = Verdict::Failed;
                    let job_id = stage.job_id.clone();
                    if job.status == JobStatus::InProgress {
                        let _ = self.service.engine().cancel_job(
                            &job_id,
                            Some("GATE_FAILED".into()),
                            Some("stage gate failed".into()),
                            false,
                        );
                    }
                    campaign.phase = Phase::Stopping(
                        self.now + u64::from(spec.in_progress_timeout_minutes) * 60_000,
                    );
                } else {
                    stage.verdict = Verdict::Passed;
                    campaign.current += 1;
                    campaign.phase = Phase::Soaking(self.now + spec.soak_minutes * 60_000);
                }
            }
            Phase::Stopping(until) => {
                let campaign = &self.control.campaigns[c];
                let stage = &campaign.stages[campaign.current];
                let engine = self.service.engine();
                let busy = engine
                    .describe_job(&stage.job_id)
                    .is_ok_and(|j| j.job_process_details.number_of_in_progress_things > 0);
                if busy && self.now < until {
                    return;
                }
                // Every thing of this campaign whose release execution succeeded.
                let mut restore = BTreeSet::new();
                for s in campaign.stages.iter().filter(|s| s.started_at.is_some()) {
                    for e in engine
                        .list_job_executions_for_job(&s.job_id, Some(JobExecutionStatus::Succeeded))
                        .unwrap_or_default()
                    {
                        if let Some(&d) = self.by_name.get(e.thing_name.as_str()) {
                            restore.insert(d);
                        }
                    }
                }
                drop(engine);
                let (kind, hardware) = (campaign.kind, campaign.hardware.clone());
                self.control.campaigns[c].phase = Phase::Stopped;
                if kind == CampaignKind::Release
                    && spec.rollback
                    && !restore.is_empty()
                    && let Some(previous) = self.scenario.previous.clone()
                {
                    self.start_campaigns(
                        CampaignKind::Rollback,
                        &previous,
                        Some((&hardware, &restore)),
                    );
                    self.control.finished_at = None;
                }
            }
        }
    }

    /// One timeline point from the engine's job counts.
    pub(super) fn sample(&mut self) {
        let engine = self.service.engine();
        let mut s = super::Sample {
            minute: (self.now - super::START) as f64 / 60_000.0,
            ..Default::default()
        };
        for id in self.control.job_ids() {
            let Ok(job) = engine.describe_job(id) else {
                continue;
            };
            let d = job.job_process_details;
            s.queued += d.number_of_queued_things;
            s.in_progress += d.number_of_in_progress_things;
            s.succeeded += d.number_of_succeeded_things;
            s.failed += d.number_of_failed_things;
            s.timed_out += d.number_of_timed_out_things;
            s.rejected += d.number_of_rejected_things;
            s.canceled += d.number_of_canceled_things;
            s.removed += d.number_of_removed_things;
        }
        s.admitted = s.queued
            + s.in_progress
            + s.succeeded
            + s.failed
            + s.timed_out
            + s.rejected
            + s.canceled
            + s.removed;
        drop(engine);
        self.stats.timeline.push(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumulative_stages_split_the_fleet() {
        let stages = |p: &[f64]| {
            p.iter()
                .map(|&percent| StageSpec {
                    name: String::new(),
                    percent,
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            stage_sizes(&stages(&[1.0, 10.0, 100.0]), 1000),
            vec![10, 90, 900]
        );
        assert_eq!(stage_sizes(&stages(&[1.0, 10.0, 100.0]), 7), vec![1, 0, 6]);
        assert_eq!(
            stage_sizes(&stages(&[50.0, 20.0, 100.0]), 10),
            vec![5, 0, 5]
        );
        assert_eq!(stage_sizes(&stages(&[100.0]), 0), vec![0]);
        assert_eq!(ids_safe("release-1.1.0+b"), "release-1_1_0_b");
    }
}
