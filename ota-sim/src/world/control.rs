//! The operator's side: `ota-cloud` campaigns over the in-memory service, stepped every tick.
//!
//! One [`Campaign`] per hardware type the release is built for (each hardware type gets its
//! own signed document, so its own catalog entry). A campaign targets the registry group of
//! its hardware (`hw-<name>`), refuses the devices the catalog says cannot take the release
//! (a running version below `minVersion`, per the registry), deals the rest to the
//! scenario's stages in a seeded shuffle, and gates each stage on `min_sample` finished
//! devices and the failure threshold (`FAILED`, `REJECTED` and `TIMED_OUT` over finished
//! devices); the engine's abort criteria stay behind the gate as a looser backstop. A failed gate stops that campaign and, with a `[previous]` release and
//! `rollback = true`, starts its rollback campaign over exactly the devices that took the
//! release. Everything about stages, gates and rollback is `ota_cloud::campaign`'s; this
//! module only translates the scenario and drives the campaign's state machine, making each
//! call it asks for on the in-memory service at once ([`ota_cloud::InMemory::execute`]).
//!
//! Scenario percent stages are cumulative (1, 10, 100); campaign stages take a share of all
//! eligible devices each, so they are converted (1, 9, the rest). Group and attribute stages
//! select from the registry (`[[groups]]`, `[[attributes]]` of the scenario).

use ota_cloud::campaign::{
    AssignmentOrder, Campaign, CampaignError, CampaignEvent, CampaignSpec, CampaignState, Gate,
    GateDenominator, Percent, RollbackPolicy, Stage, StageCounts, StagePhase, StageSize, Targets,
};
use ota_cloud::catalog::{Catalog, Release, VersionReq};
use ota_cloud::jobs::model::{
    AbortConfig, AbortCriteria, AsFields, Comparator, Denominator, FailureType, JobStatus,
    RetryConfig, RetryCriteria, RetryFailureType, RolloutConfig, StatusCounts, TimeoutConfig,
};
use ota_cloud::{InMemory, ManualClock};
use ota_core::version::{SecurityCounter, Version};
use serde::Serialize;

use super::{START, TICK_MS, World, stream_id};
use crate::release::PRODUCT;
use crate::report::status_names::StageStatuses;
use crate::scenario::{CampaignSpec as ScenarioCampaign, ReleaseSpec, StageSpec};

/// What a campaign installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    /// The scenario's release.
    Release,
    /// The `[previous]` release, after a failed gate.
    Rollback,
}

/// A stage's gate verdict, for the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Never started (an earlier gate failed, or the run ended first).
    NotStarted,
    /// Started, not judged yet when the run ended.
    Running,
    /// The gate passed.
    Passed,
    /// The gate failed.
    Failed,
    /// Running when another stage's gate failed: cancelled.
    Stopped,
    /// No devices.
    Skipped,
}

impl Verdict {
    /// Snake-case text, as in the JSON report.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotStarted => "not_started",
            Self::Running => "running",
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Stopped => "stopped",
            Self::Skipped => "skipped",
        }
    }

    fn of(phase: StagePhase) -> Self {
        match phase {
            StagePhase::Planned | StagePhase::NotRun => Self::NotStarted,
            StagePhase::Starting
            | StagePhase::Running
            | StagePhase::Soaking { .. }
            | StagePhase::AwaitingApproval => Self::Running,
            StagePhase::Passed | StagePhase::Finished => Self::Passed,
            StagePhase::Failed => Self::Failed,
            StagePhase::Stopped => Self::Stopped,
            StagePhase::Skipped => Self::Skipped,
        }
    }
}

/// One stage's results, for the reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageReport {
    /// The campaign (`rev-a`, `rev-b-rb`).
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
    /// Devices dealt to the stage.
    pub targeted: u64,
    /// Devices by the status of their latest execution (`REMOVED` ones are not written).
    #[serde(flatten, serialize_with = "AsFields::<StageStatuses>::serialize")]
    pub by_status: StatusCounts,
    /// `QUEUED`, `IN_PROGRESS`, or not admitted when the run ended.
    pub unfinished: u64,
    /// Executions over every attempt (retries included).
    pub attempts: u64,
    /// The gate's verdict.
    pub verdict: Verdict,
    /// Whether the engine's abort criteria cancelled the job.
    pub aborted: bool,
}

/// The campaigns of a run.
#[derive(Default)]
pub struct Control {
    /// One per hardware type, in the scenario's order.
    campaigns: Vec<(String, Campaign)>,
    started: bool,
    /// Service errors met while stepping (a healthy run has none).
    pub errors: Vec<String>,
    /// Last simulated time anything happened (a message delivered, a campaign event).
    pub(super) last_activity: u64,
}

/// One step of `campaign` at `now`, each call made on `service` at once.
fn step(
    campaign: &mut Campaign,
    now: u64,
    service: &InMemory<ManualClock>,
) -> Result<Vec<CampaignEvent>, CampaignError> {
    while let Some(command) = campaign.poll_command(now) {
        campaign.handle_reply(now, service.execute(&command))?;
    }
    Ok(campaign.take_events())
}

impl Control {
    /// Every campaign, rollback campaigns included, with its kind and hardware.
    fn all(&self) -> Vec<(CampaignKind, &str, &Campaign)> {
        let mut out = Vec::new();
        for (hw, c) in &self.campaigns {
            out.push((CampaignKind::Release, hw.as_str(), c));
            if let Some(rb) = c.rollback_campaign() {
                out.push((CampaignKind::Rollback, hw.as_str(), rb));
            }
        }
        out
    }

    /// Whether every campaign is over (completed, or stopped with its rollback over).
    pub fn finished(&self) -> bool {
        self.started && self.campaigns.iter().all(|(_, c)| c.is_finished())
    }

    /// Every stage with a job: its campaign kind, job id and devices (thing names).
    pub fn stage_jobs(&self) -> Vec<(CampaignKind, String, Vec<String>)> {
        let mut out = Vec::new();
        for (kind, _, c) in self.all() {
            for s in c.status().stages {
                if matches!(
                    s.phase,
                    StagePhase::Planned
                        | StagePhase::NotRun
                        | StagePhase::Skipped
                        | StagePhase::Starting
                ) {
                    continue;
                }
                let devices = c
                    .stage_devices(&s.name)
                    .map(<[String]>::to_vec)
                    .unwrap_or_default();
                out.push((kind, s.job_id, devices));
            }
        }
        out
    }

    /// Whether a stage is soaking (its next stage is due later).
    pub(super) fn soaking(&self) -> bool {
        self.all().iter().any(|(_, _, c)| {
            c.status()
                .stages
                .iter()
                .any(|s| matches!(s.phase, StagePhase::Soaking { .. }))
        })
    }

    /// Release campaigns (one per hardware type built for).
    pub fn campaign_count(&self) -> usize {
        self.campaigns.len()
    }

    /// Every device dealt to a stage of a release campaign.
    pub fn planned_devices(&self) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        for (_, c) in &self.campaigns {
            for s in c.status().stages {
                if !matches!(s.phase, StagePhase::Planned | StagePhase::NotRun) {
                    out.extend(c.stage_devices(&s.name).unwrap_or_default().iter().cloned());
                }
            }
        }
        out
    }

    /// Whether a release campaign refused `thing`.
    pub fn refused(&self, thing: &str) -> bool {
        self.campaigns
            .iter()
            .any(|(_, c)| c.refusals().iter().any(|r| r.thing == thing))
    }

    /// Devices the release campaigns refused, with why.
    pub fn refusals(&self) -> Vec<(String, String)> {
        self.campaigns
            .iter()
            .flat_map(|(_, c)| {
                c.refusals()
                    .iter()
                    .map(|r| (r.thing.clone(), r.reason.to_string()))
            })
            .collect()
    }

    /// Whether any release campaign's gate failed.
    pub fn any_gate_failed(&self) -> bool {
        self.campaigns
            .iter()
            .any(|(_, c)| matches!(c.status().state, CampaignState::Stopped { .. }))
    }

    /// Per-stage results, with fresh counts from the service.
    pub fn reports(
        &self,
        service: &ota_cloud::InMemory<ota_cloud::ManualClock>,
    ) -> Vec<StageReport> {
        let mut out = Vec::new();
        for (kind, hw, c) in self.all() {
            let version = c.spec().release.version.to_string();
            for s in c.status().stages {
                let job = service.engine().describe_job(&s.job_id).ok();
                // Fresh counts where the job exists; those the last step saw otherwise.
                let counts = job.as_ref().map_or(s.counts, |j| {
                    StageCounts::from_details(s.devices as u64, &j.job_process_details)
                });
                let attempts = job.as_ref().map_or(0, |j| j.attempts.executions);
                let aborted = job
                    .as_ref()
                    .is_some_and(|j| j.reason_code.as_deref() == Some("ABORT_CANCEL"));
                out.push(StageReport {
                    campaign: c.id().to_string(),
                    kind,
                    hardware: hw.to_string(),
                    version: version.clone(),
                    stage: s.name.clone(),
                    job_id: s.job_id.clone(),
                    targeted: s.devices as u64,
                    by_status: counts.by_status,
                    unfinished: (s.devices as u64).saturating_sub(counts.by_status.terminal()),
                    attempts,
                    verdict: Verdict::of(s.phase),
                    aborted,
                });
            }
        }
        out
    }
}

/// Campaign stage sizes from the scenario's stages: percent stages are cumulative among
/// themselves and become shares of all eligible devices (a last percent stage takes the
/// rest); group and attribute stages take the remaining devices they select.
fn stage_sizes(stages: &[StageSpec]) -> Vec<StageSize> {
    let mut before = 0.0;
    stages
        .iter()
        .enumerate()
        .map(|(k, s)| match (s.percent, &s.group, &s.attribute) {
            (Some(_), _, _) if k + 1 == stages.len() => StageSize::Percent(Percent::ALL),
            (Some(p), _, _) => {
                let share =
                    Percent::from_hundredths(((p - before).max(0.0) * 100.0).round() as u32);
                before = f64::max(before, p);
                StageSize::Percent(share)
            }
            (None, Some(group), _) => StageSize::Group(group.clone()),
            (None, None, Some(attribute)) => {
                let (key, value) = attribute.split_once('=').unwrap_or((attribute, ""));
                StageSize::Attribute {
                    key: key.to_string(),
                    value: value.to_string(),
                }
            }
            // The scenario check refuses a stage without a selector.
            (None, None, None) => StageSize::Count(0),
        })
        .collect()
}

fn percent(p: f64) -> Percent {
    Percent::from_hundredths((p.clamp(0.0, 100.0) * 100.0).round() as u32)
}

/// Every stage's gate: `min_sample` finished devices, then the failure threshold and its
/// complement as success threshold, over finished devices; the soak; no approval.
fn gate(spec: &ScenarioCampaign) -> Gate {
    Gate {
        min_sample: spec.min_sample.max(1),
        success_threshold: Some(percent(100.0 - spec.failure_threshold)),
        failure_threshold: Some(percent(spec.failure_threshold)),
        denominator: GateDenominator::Terminal,
        comparator: Comparator::AtLeast,
        soak_ms: spec.soak_minutes.saturating_mul(60_000),
        manual_approval: false,
    }
}

fn job_options(stage: Stage, spec: &ScenarioCampaign) -> Stage {
    let criterion = |failure_type| AbortCriteria {
        failure_type,
        action: Default::default(),
        threshold_percentage: (spec.failure_threshold * 2.0).min(100.0),
        min_number_of_executed_things: spec.min_sample.max(10),
        denominator: Denominator::Notified,
        comparator: Comparator::AtLeast,
    };
    let mut stage = stage.with_rollout(RolloutConfig {
        maximum_per_minute: Some(spec.rollout_per_minute.clamp(1, 1000)),
        ..RolloutConfig::default()
    });
    stage.timeout = Some(TimeoutConfig {
        in_progress_timeout_in_minutes: Some(spec.in_progress_timeout_minutes.clamp(1, 10_080)),
    });
    if spec.retries > 0 {
        stage.retry = Some(RetryConfig {
            criteria_list: vec![RetryCriteria {
                failure_type: RetryFailureType::All,
                number_of_retries: spec.retries.min(10),
            }],
        });
    }
    // The engine's abort criteria stay as a backstop behind the gate: over things notified,
    // at twice the gate's threshold and after at least 10 notified, so that one early failure
    // among the first few notified (whose peers are still downloading) does not cancel a
    // healthy stage before its gate has a sample.
    stage.abort = Some(AbortConfig {
        criteria_list: vec![
            criterion(FailureType::Failed),
            criterion(FailureType::TimedOut),
        ],
    });
    stage
}

impl World {
    /// The catalog entry of `release` for hardware `hw`: its signed document.
    fn catalog_release(
        &self,
        release: &ReleaseSpec,
        hw: &str,
        image: usize,
    ) -> Result<Release, String> {
        let version = Version::parse(&release.version)
            .map_err(|e| format!("version {}: {e}", release.version))?;
        let min = release
            .min_version
            .as_deref()
            .map(Version::parse)
            .transpose()
            .map_err(|e| format!("minVersion: {e}"))?;
        let document = self.keys.document(
            self.images.get(image),
            &version,
            release.security_counter,
            hw,
            min,
            &stream_id(&release.version, hw),
        )?;
        let mut entry = Release::new(
            format!("{}-{hw}", release.version),
            PRODUCT,
            version,
            [hw],
            document,
        );
        entry.security_counter = SecurityCounter(release.security_counter);
        if let Some(m) = &release.min_version {
            entry =
                entry.requiring(VersionReq::parse(&format!(">={m}")).map_err(|e| e.to_string())?);
        }
        Ok(entry)
    }

    /// Plan the campaigns: one per hardware type the release is built for.
    fn start_campaigns(&mut self) -> Result<(), String> {
        let hardware: Vec<String> = if self.scenario.release.hardware.is_empty() {
            self.scenario
                .hardware
                .iter()
                .map(|h| h.name.clone())
                .collect()
        } else {
            self.scenario.release.hardware.clone()
        };
        for hw in hardware {
            if let Some(campaign) = self.plan_campaign(&hw)? {
                self.control.campaigns.push((hw, campaign));
            }
        }
        Ok(())
    }

    /// The campaign of hardware `hw`, over group `hw-<hw>`, with its rollback when the
    /// scenario asks for one; `None` without a release build for `hw`.
    fn plan_campaign(&self, hw: &str) -> Result<Option<Campaign>, String> {
        let spec = &self.scenario.campaign;
        let Some(release_image) = self.build("release", hw) else {
            return Ok(None);
        };
        let mut catalog = Catalog::new();
        let release = self.catalog_release(&self.scenario.release, hw, release_image)?;
        catalog.add(release.clone()).map_err(|e| e.to_string())?;
        let previous = match (&self.scenario.previous, self.build("rollback", hw)) {
            (Some(p), Some(image)) if spec.rollback => {
                let entry = self.catalog_release(p, hw, image)?;
                catalog.add(entry.clone()).map_err(|e| e.to_string())?;
                Some(entry)
            }
            _ => None,
        };
        let gate = gate(spec);
        let stages = spec
            .stages
            .iter()
            .zip(stage_sizes(&spec.stages))
            .map(|(s, size)| {
                job_options(
                    Stage::new(s.name.clone(), size).with_gate(gate.clone()),
                    spec,
                )
            })
            .collect();
        let mut campaign = CampaignSpec::new(
            hw.to_string(),
            release,
            Targets::Group(format!("hw-{hw}")),
            stages,
        );
        campaign.order = AssignmentOrder::Shuffled {
            seed: self.scenario.seed,
        };
        if let Some(previous) = previous {
            campaign.previous = Some(previous);
            let restore = job_options(
                Stage::new("restore", StageSize::Percent(Percent::ALL)),
                spec,
            );
            campaign.rollback = RollbackPolicy::Automatic {
                stages: vec![restore],
            };
        }
        Campaign::new(campaign, &catalog)
            .map(Some)
            .map_err(|e| e.to_string())
    }

    /// Every tick: step the campaigns, sample the timeline, and decide whether the run is
    /// over.
    pub(super) fn control_tick(&mut self) {
        self.trust_step();
        self.control_step();
        if (self.now - START) % 60_000 < TICK_MS {
            self.sample();
        }
        self.after_engine();
        self.done = self.run_over();
        if !self.done {
            self.schedule(self.now + TICK_MS, super::Event::ControlTick);
        }
    }

    /// Plan the campaigns (the first time), then step each at the current time.
    pub(super) fn control_step(&mut self) {
        if !self.control.started {
            self.control.started = true;
            self.control.last_activity = self.now;
            if let Err(e) = self.start_campaigns() {
                self.control
                    .errors
                    .push(format!("planning the campaigns: {e}"));
            }
        }
        let now = self.now;
        for (_, campaign) in &mut self.control.campaigns {
            match step(campaign, now, &self.service) {
                Ok(events) if !events.is_empty() => self.control.last_activity = now,
                Ok(_) => {}
                Err(e) => self.control.errors.push(format!("{}: {e}", campaign.id())),
            }
        }
    }

    /// Over when every campaign is over and every device idle, or when nothing has happened
    /// for the quiet period and nothing is due: no campaign soaking, no device about to
    /// reset, reconnect or finish a self-test, no engine timer (timeouts, admissions).
    /// Devices still without a final status are then reported unreachable, with why.
    fn run_over(&self) -> bool {
        if !self.control.errors.is_empty() {
            return true;
        }
        // The scan over the fleet goes last: it runs every tick, and the campaigns are
        // unfinished for most of a run.
        let over = self.control.finished()
            && self.trust.all_made()
            && super::trust::jobs_over(&self.service.engine(), &self.trust)
            && (0..self.devices.len() as u32).all(|d| self.device_settled(d));
        if over {
            return true;
        }
        let quiet = self.scenario.campaign.quiet_minutes.saturating_mul(60_000);
        let nothing_due = self.wakeups == 0
            && self.engine_tick_at.is_none()
            && !self.control.soaking()
            && self.trust.all_made();
        nothing_due && self.now >= self.control.last_activity.saturating_add(quiet)
    }

    /// One timeline point from the engine's job counts.
    pub(super) fn sample(&mut self) {
        let engine = self.service.engine();
        let mut s = super::Sample {
            minute: (self.now - START) as f64 / 60_000.0,
            ..Default::default()
        };
        for job in engine.list_jobs(None) {
            if job.status == JobStatus::DeletionInProgress {
                continue;
            }
            s.by_status += &job.job_process_details.by_status;
        }
        s.admitted = s.by_status.total();
        drop(engine);
        self.stats.timeline.push(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumulative_stages_become_shares() {
        let hundredths = |p: &[f64]| {
            let specs: Vec<StageSpec> = p.iter().map(|&p| StageSpec::percent("s", p)).collect();
            stage_sizes(&specs)
                .into_iter()
                .map(|s| match s {
                    StageSize::Percent(p) => p.hundredths(),
                    other => panic!("{other:?}"),
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(hundredths(&[1.0, 10.0, 100.0]), vec![100, 900, 10_000]);
        assert_eq!(hundredths(&[2.5, 20.0, 60.0]), vec![250, 1750, 10_000]);
        assert_eq!(hundredths(&[50.0, 20.0, 100.0]), vec![5000, 0, 10_000]);
        assert_eq!(hundredths(&[100.0]), vec![10_000]);
        assert_eq!(percent(120.0).hundredths(), 10_000);
        let group = StageSpec {
            name: "b".into(),
            percent: None,
            group: Some("beta".into()),
            attribute: None,
        };
        let attribute = StageSpec {
            name: "e".into(),
            percent: None,
            group: None,
            attribute: Some("region=eu".into()),
        };
        assert_eq!(
            stage_sizes(&[group, attribute, StageSpec::percent("rest", 100.0)]),
            vec![
                StageSize::Group("beta".into()),
                StageSize::Attribute {
                    key: "region".into(),
                    value: "eu".into()
                },
                StageSize::Percent(Percent::ALL)
            ]
        );
    }

    #[test]
    fn phases_map_to_verdicts() {
        assert_eq!(Verdict::of(StagePhase::Finished), Verdict::Passed);
        assert_eq!(
            Verdict::of(StagePhase::Soaking { until: 0 }),
            Verdict::Running
        );
        assert_eq!(Verdict::of(StagePhase::NotRun), Verdict::NotStarted);
        assert_eq!(Verdict::of(StagePhase::Failed).as_str(), "failed");
    }
}
