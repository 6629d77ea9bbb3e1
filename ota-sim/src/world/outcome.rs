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

fn invariant(name: &str, offenders: &[String], ok_detail: String) -> Invariant {
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

impl World {
    /// The report of the run so far (call after [`World::run`]).
    pub fn report(&self) -> Report {
        let stages = self.control.reports(&self.service);
        let engine = self.service.engine();
        let mut release = Totals::default();
        let mut rollback = Totals::default();
        let mut finish_times = Vec::new();
        let mut unreachable = Vec::new();
        let mut stuck = Vec::new();
        let run_cut_short = self.stats.hit_horizon || !self.all_settled_or_offline();
        let mut targeted = 0;
        for (kind, job_id, things) in self.control.stage_jobs() {
            let job_id = job_id.as_str();
            let job_canceled = engine
                .describe_job(job_id)
                .is_ok_and(|j| j.status == ota_cloud::jobs::model::JobStatus::Canceled);
            let totals = if kind == CampaignKind::Release {
                &mut release
            } else {
                &mut rollback
            };
            let latest: BTreeMap<String, (JobExecutionStatus, u64)> = engine
                .list_job_executions_for_job(job_id, None)
                .unwrap_or_default()
                .into_iter()
                .map(|e| (e.thing_name, (e.status, e.last_updated_at)))
                .collect();
            for name in &things {
                let Some(&d) = self.by_name.get(name.as_str()) else {
                    continue;
                };
                let device = &self.devices[d as usize];
                totals.targeted += 1;
                targeted += 1;
                match latest.get(device.name) {
                    Some(&(status, at)) if status.is_terminal() => {
                        match status {
                            JobExecutionStatus::Succeeded => totals.succeeded += 1,
                            JobExecutionStatus::Failed => totals.failed += 1,
                            JobExecutionStatus::TimedOut => totals.timed_out += 1,
                            JobExecutionStatus::Rejected => totals.rejected += 1,
                            JobExecutionStatus::Canceled => totals.canceled += 1,
                            _ => totals.removed += 1,
                        }
                        if kind == CampaignKind::Release {
                            finish_times.push(at.saturating_sub(START / 1000));
                        }
                    }
                    other => {
                        totals.unfinished += 1;
                        let status = other.map_or("none", |&(s, _)| status_name(s));
                        match self.why_unfinished(
                            d,
                            other.map(|&(s, _)| s),
                            run_cut_short,
                            job_canceled,
                        ) {
                            Some(reason) => unreachable.push(Unreachable {
                                thing: device.name.to_string(),
                                job_id: job_id.to_string(),
                                status: status.to_string(),
                                reason: reason.to_string(),
                            }),
                            None => stuck.push(format!("{} ({job_id}, {status})", device.name)),
                        }
                    }
                }
            }
        }
        finish_times.sort_unstable();
        let at_share = |share: f64| {
            let n = (share * release.targeted as f64).ceil() as usize;
            (n > 0)
                .then(|| finish_times.get(n - 1))
                .flatten()
                .map(|&s| s as f64 / 60.0)
        };
        let time_to_finish = Percentiles {
            p50: at_share(0.5),
            p90: at_share(0.9),
            p100: at_share(1.0),
        };

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
        let invariants = self.invariants(&engine, stuck, &unreachable, targeted);
        drop(engine);
        Report {
            scenario: self.scenario.name.clone(),
            seed: self.scenario.seed,
            devices: self.scenario.devices,
            simulated_minutes: (self.now - START) as f64 / 60_000.0,
            hit_horizon: self.stats.hit_horizon,
            release,
            rollback,
            time_to_finish,
            fleet,
            messages: Traffic {
                up: self.stats.messages_up,
                bytes_up: self.stats.bytes_up,
                down: self.stats.messages_down,
                bytes_down: self.stats.bytes_down,
                service: self.responder.stats,
            },
            device_reports,
            stages,
            excluded,
            unreachable,
            invariants,
            timeline: self.stats.timeline.clone(),
        }
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

    fn invariants(
        &self,
        engine: &Engine,
        stuck: Vec<String>,
        unreachable: &[crate::report::Unreachable],
        targeted: usize,
    ) -> Vec<Invariant> {
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
        let n = self.devices.len();
        let jobs = engine.list_jobs(None).len();
        vec![
            invariant(
                "every device runs a signed image built for its hardware",
                &[unknown, misfit].concat(),
                format!("{n} devices checked"),
            ),
            invariant(
                "no device was downgraded",
                &downgraded,
                format!("{n} devices checked"),
            ),
            invariant(
                "every device is bootable (active and fallback banks hold complete known images)",
                &unbootable,
                format!("{n} devices checked"),
            ),
            invariant(
                "every targeted device has a final status or is listed as unreachable with a reason",
                &stuck,
                format!("{targeted} targeted, {} unreachable", unreachable.len()),
            ),
            invariant(
                "the engine's job counters equal a recount of its executions",
                &if engine.counters_consistent() {
                    Vec::new()
                } else {
                    vec!["counters differ from the recount".to_string()]
                },
                format!("{jobs} jobs recounted"),
            ),
            invariant(
                "the run settled before its horizon",
                &if self.stats.hit_horizon {
                    vec![format!(
                        "stopped at {} minutes with work left",
                        self.scenario.horizon_minutes
                    )]
                } else {
                    Vec::new()
                },
                format!("horizon {} minutes", self.scenario.horizon_minutes),
            ),
            invariant(
                "the campaigns ran without service errors",
                &self.control.errors,
                format!("{} campaigns stepped", self.control.campaign_count()),
            ),
        ]
    }
}
