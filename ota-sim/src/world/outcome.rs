//! The end of a run: counting outcomes and checking the invariants.

use std::collections::{BTreeMap, BTreeSet};

use ota_cloud::Engine;
use ota_core::jobs::JobExecutionStatus;

use super::control::CampaignKind;
use super::{START, World};
use crate::report::{FleetOutcome, Invariant, Percentiles, Report, Totals, Traffic, Unreachable};

/// How many offenders an invariant's detail names.
const NAMED: usize = 5;

fn status_name(s: JobExecutionStatus) -> &'static str {
    s.as_str()
}

pub(super) fn invariant(name: &str, offenders: &[String], ok_detail: String) -> Invariant {
    Invariant {
        name: name.to_string(),
        held: offenders.is_empty(),
        detail: if offenders.is_empty() {
            ok_detail
        } else {
            format!(
                "{} offenders, first: {}",
                offenders.len(),
                offenders
                    .iter()
                    .take(NAMED)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        },
    }
}

/// What counting the targeted things of every stage job finds.
#[derive(Default)]
struct Tally {
    release: Totals,
    rollback: Totals,
    /// When each finished release thing got its final status (Unix seconds since the start).
    finish_times: Vec<u64>,
    /// Targeted things without a final status, with why.
    unreachable: Vec<Unreachable>,
    /// Targeted things without a final status nor a reason for it.
    stuck: Vec<String>,
    /// Targeted things over every campaign.
    targeted: usize,
}

impl Tally {
    fn totals(&mut self, kind: CampaignKind) -> &mut Totals {
        match kind {
            CampaignKind::Release => &mut self.release,
            CampaignKind::Rollback => &mut self.rollback,
        }
    }
}

/// A stage job being counted.
struct StageJob<'a> {
    kind: CampaignKind,
    id: &'a str,
    /// Cancelled (by the campaign or its abort criteria).
    canceled: bool,
    /// The run ended before every device settled.
    run_cut_short: bool,
}

/// Minutes until `share` of the `targeted` release things had finished, from their sorted
/// finish times (`None`: never).
fn minutes_to_share(finish_times: &[u64], targeted: u64, share: f64) -> Option<f64> {
    let n = (share * targeted as f64).ceil() as usize;
    (n > 0)
        .then(|| finish_times.get(n - 1))
        .flatten()
        .map(|&s| s as f64 / 60.0)
}

impl World {
    /// The report of the run so far (call after [`World::run`]).
    pub fn report(&self) -> Report {
        let stages = self.control.reports(&self.service);
        let engine = self.service.engine();
        let mut tally = self.tally(&engine);
        tally.finish_times.sort_unstable();
        let at_share = |share| minutes_to_share(&tally.finish_times, tally.release.targeted, share);
        let time_to_finish = Percentiles {
            p50: at_share(0.5),
            p90: at_share(0.9),
            p100: at_share(1.0),
        };
        let excluded = self.excluded(&engine);
        let invariants = self.invariants(&engine, &tally);
        let trust = self.trust_report(&engine);
        drop(engine);
        Report {
            scenario: self.scenario.name.clone(),
            seed: self.scenario.seed,
            devices: self.scenario.devices,
            transport: self.transport.clone(),
            simulated_minutes: (self.now - START) as f64 / 60_000.0,
            hit_horizon: self.stats.hit_horizon,
            release: tally.release,
            rollback: tally.rollback,
            time_to_finish,
            fleet: self.fleet_outcome(),
            messages: Traffic {
                up: self.stats.messages_up,
                bytes_up: self.stats.bytes_up,
                down: self.stats.messages_down,
                bytes_down: self.stats.bytes_down,
                service: self.responder.stats(),
            },
            device_reports: self.device_reports(),
            stages,
            excluded,
            unreachable: tally.unreachable,
            invariants,
            trust,
            timeline: self.stats.timeline.clone(),
        }
    }

    /// Count the targeted things of every stage job by the status of their latest execution,
    /// and explain each one without a final status.
    fn tally(&self, engine: &Engine) -> Tally {
        let mut tally = Tally::default();
        let run_cut_short = self.stats.hit_horizon || !self.all_settled_or_offline();
        for (kind, job_id, things) in self.control.stage_jobs() {
            let job = StageJob {
                kind,
                id: &job_id,
                canceled: engine
                    .describe_job(&job_id)
                    .is_ok_and(|j| j.status == ota_cloud::jobs::model::JobStatus::Canceled),
                run_cut_short,
            };
            self.tally_job(engine, &job, &things, &mut tally);
        }
        tally
    }

    /// [`Self::tally`] for one stage job over its `things`.
    fn tally_job(&self, engine: &Engine, job: &StageJob<'_>, things: &[String], tally: &mut Tally) {
        // By device, read one execution at a time: at 100,000 devices a collected list was
        // the run's peak of memory.
        let mut latest: Vec<Option<(JobExecutionStatus, u64)>> = vec![None; self.devices.len()];
        for e in engine.job_executions(job.id, None).into_iter().flatten() {
            if let Some(&d) = self.by_name.get(e.thing_name.as_str()) {
                latest[d as usize] = Some((e.status, e.last_updated_at));
            }
        }
        for name in things {
            let Some(&d) = self.by_name.get(name.as_str()) else {
                continue;
            };
            tally.totals(job.kind).targeted += 1;
            tally.targeted += 1;
            match latest[d as usize] {
                Some((status, at)) if status.is_terminal() => {
                    tally.totals(job.kind).by_status[status] += 1;
                    if job.kind == CampaignKind::Release {
                        tally.finish_times.push(at.saturating_sub(START / 1000));
                    }
                }
                other => {
                    tally.totals(job.kind).unfinished += 1;
                    self.tally_unfinished(d, job, other.map(|(s, _)| s), tally);
                }
            }
        }
    }

    /// List targeted device `d`, without a final status, as unreachable (with why) or as
    /// stuck.
    fn tally_unfinished(
        &self,
        d: u32,
        job: &StageJob<'_>,
        status: Option<JobExecutionStatus>,
        tally: &mut Tally,
    ) {
        let name = self.devices[d as usize].name;
        let status_text = status.map_or("none", status_name);
        match self.why_unfinished(d, status, job.run_cut_short, job.canceled) {
            Some(reason) => tally.unreachable.push(Unreachable {
                thing: name.to_string(),
                job_id: job.id.to_string(),
                status: status_text.to_string(),
                reason: reason.to_string(),
            }),
            None => tally
                .stuck
                .push(format!("{name} ({}, {status_text})", job.id)),
        }
    }

    /// Where each device ended up.
    fn fleet_outcome(&self) -> FleetOutcome {
        let mut fleet = FleetOutcome {
            resets: self.stats.resets,
            tampered: self.stats.tampered_devices.len() as u64,
            ..FleetOutcome::default()
        };
        for device in &self.devices {
            fleet.power_cuts += u64::from(device.power_cuts);
            let committed = device.storage.boot_state() == ota_device::storage::BootState::Normal;
            match device.storage.running_image().map(|i| self.known[i].role) {
                Some("release") if committed => fleet.updated += 1,
                Some("release") => fleet.on_trial += 1,
                Some("rollback") => fleet.restored += 1,
                _ if device.tried_new => fleet.rolled_back += 1,
                _ => fleet.unchanged += 1,
            }
        }
        fleet
    }

    /// Final statuses reported by devices, by reason (`succeeded` and other statuses
    /// without one by their lowercase name).
    fn device_reports(&self) -> BTreeMap<String, u64> {
        let mut device_reports = BTreeMap::new();
        for reports in self.stats.reports.values() {
            for r in reports {
                let key = r.reason.map_or_else(
                    || status_name(r.status).to_ascii_lowercase(),
                    |reason| reason.as_str().to_string(),
                );
                *device_reports.entry(key).or_insert(0) += 1;
            }
        }
        device_reports
    }

    /// Devices no release campaign targeted, by why: refused by a campaign, no release for
    /// their registered hardware, or their stage never started.
    fn excluded(&self, engine: &Engine) -> BTreeMap<String, u64> {
        let mut excluded = BTreeMap::new();
        for (_, reason) in self.control.refusals() {
            *excluded.entry(reason).or_insert(0) += 1;
        }
        let in_a_campaign: BTreeSet<String> = self.control.planned_devices();
        for device in &self.devices {
            let registered = engine
                .fleet()
                .thing(device.name)
                .and_then(|id| engine.fleet().attribute(id, "hardware"));
            if registered.is_none_or(|hw| self.build("release", hw).is_none()) {
                *excluded
                    .entry("no release for its registered hardware".to_string())
                    .or_insert(0) += 1;
            } else if !in_a_campaign.contains(device.name) && !self.control.refused(device.name) {
                *excluded
                    .entry("its stage never started".to_string())
                    .or_insert(0) += 1;
            }
        }
        excluded
    }

    fn all_settled_or_offline(&self) -> bool {
        (0..self.devices.len() as u32)
            .all(|d| self.device_settled(d) || !self.devices[d as usize].online)
    }

    /// Why targeted device `d` has no final status, or `None` when nothing explains it (an
    /// idle, connected, powered device with work waiting: a stuck device).
    fn why_unfinished(
        &self,
        d: u32,
        status: Option<JobExecutionStatus>,
        run_cut_short: bool,
        job_canceled: bool,
    ) -> Option<&'static str> {
        let device = &self.devices[d as usize];
        if status.is_none() && job_canceled {
            return Some("the job was cancelled before it reached the thing");
        }
        if !device.online {
            return Some("offline when the run ended");
        }
        if device.client.is_none() {
            return Some("powered off when the run ended");
        }
        let idle = self.device_settled(d);
        match status {
            None if run_cut_short || self.stats.hit_horizon => {
                Some("not admitted before the run ended")
            }
            Some(JobExecutionStatus::InProgress) if !idle => {
                Some("still updating when the run ended")
            }
            Some(JobExecutionStatus::Queued) if !idle => {
                Some("busy with another job when the run ended")
            }
            _ if self.stats.hit_horizon => Some("the run reached its horizon"),
            _ => None,
        }
    }

    /// The end-of-run checks: the devices' images, then the run's own.
    fn invariants(&self, engine: &Engine, tally: &Tally) -> Vec<Invariant> {
        let mut out = self.device_invariants();
        out.extend(self.trust_invariants(engine));
        out.extend(self.run_invariants(engine, tally));
        out
    }

    /// Every device runs a known image built for its hardware, none was downgraded, every
    /// one is bootable.
    fn device_invariants(&self) -> Vec<Invariant> {
        let mut unknown = Vec::new();
        let mut misfit = Vec::new();
        let mut downgraded = Vec::new();
        let mut unbootable = Vec::new();
        for device in &self.devices {
            match device.storage.running_image() {
                None => unknown.push(device.name.to_string()),
                Some(i) => {
                    let image = &self.known[i];
                    if image.version < device.initial_version {
                        downgraded.push(format!(
                            "{} runs {} (started on {})",
                            device.name, image.version, device.initial_version
                        ));
                    }
                    if let Some(hw) = image.hardware.as_deref()
                        && hw != device.hardware_id
                    {
                        misfit.push(format!(
                            "{} ({}) runs the {} build for {hw}",
                            device.name, device.hardware_id, image.role
                        ));
                    }
                }
            }
            if device.storage.bootable_images().iter().any(Option::is_none) {
                unbootable.push(device.name.to_string());
            }
        }
        let checked = format!("{} devices checked", self.devices.len());
        vec![
            invariant(
                "every device runs a signed image built for its hardware",
                &[unknown, misfit].concat(),
                checked.clone(),
            ),
            invariant("no device was downgraded", &downgraded, checked.clone()),
            invariant(
                "every device is bootable (active and fallback banks hold complete known images)",
                &unbootable,
                checked,
            ),
        ]
    }

    /// Every targeted device accounted for, the engine's counters consistent, the run
    /// settled in time and without service errors.
    fn run_invariants(&self, engine: &Engine, tally: &Tally) -> Vec<Invariant> {
        let jobs = engine.list_jobs(None).len();
        let horizon = self.scenario.horizon_minutes;
        let recount = if engine.counters_consistent() {
            Vec::new()
        } else {
            vec!["counters differ from the recount".to_string()]
        };
        let late = if self.stats.hit_horizon {
            vec![format!("stopped at {horizon} minutes with work left")]
        } else {
            Vec::new()
        };
        vec![
            invariant(
                "every targeted device has a final status or is listed as unreachable with a reason",
                &tally.stuck,
                format!(
                    "{} targeted, {} unreachable",
                    tally.targeted,
                    tally.unreachable.len()
                ),
            ),
            invariant(
                "the engine's job counters equal a recount of its executions",
                &recount,
                format!("{jobs} jobs recounted"),
            ),
            invariant(
                "the run settled before its horizon",
                &late,
                format!("horizon {horizon} minutes"),
            ),
            invariant(
                "the campaigns ran without service errors",
                &self.control.errors,
                format!("{} campaigns stepped", self.control.campaign_count()),
            ),
        ]
    }
}
