//! The results of a run: a JSON-serializable [`Report`], the terminal summary
//! ([`table::summary`]) and the HTML page with charts ([`html::page`]).
//!
//! The report holds only simulated quantities, so the same scenario and seed give the same
//! bytes; wall-clock figures are printed by the CLI and never written into it.

pub mod html;
pub mod status_names;
pub mod table;

use std::collections::BTreeMap;

use ota_cloud::jobs::model::{AsFields, StatusCounts};
use serde::Serialize;

use crate::responder::ResponderStats;
use crate::world::{Sample, StageReport, TrustReport};
use status_names::TerminalStatuses;

/// Everything a run found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Scenario name.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// Fleet size.
    pub devices: u32,
    /// How devices and the service exchanged messages: `simulated` (the simulated network,
    /// with the scenario's latency, loss and duplication), or a real MQTT broker.
    pub transport: String,
    /// Simulated minutes from the start to the end of the run.
    pub simulated_minutes: f64,
    /// The run reached the scenario's horizon with work left.
    pub hit_horizon: bool,
    /// Latest execution of each targeted thing, over the release campaigns.
    pub release: Totals,
    /// The same over the rollback campaigns (all zero without one).
    pub rollback: Totals,
    /// Simulated minutes until 50, 90 and 100% of the release's targeted things had a final
    /// status (`None`: never reached).
    pub time_to_finish: Percentiles,
    /// Where each device ended up.
    pub fleet: FleetOutcome,
    /// Traffic.
    pub messages: Traffic,
    /// Final statuses reported by devices, by `statusDetails.reason` (`succeeded` for none).
    pub device_reports: BTreeMap<String, u64>,
    /// Every stage of every campaign.
    pub stages: Vec<StageReport>,
    /// Things the campaign filter did not target, by reason.
    pub excluded: BTreeMap<String, u64>,
    /// Targeted things without a final status, with why.
    pub unreachable: Vec<Unreachable>,
    /// The end-of-run checks.
    pub invariants: Vec<Invariant>,
    /// The `[trust]` events: roots held, the rotation, the attacks (absent without
    /// `[trust]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust: Option<TrustReport>,
    /// The timeline: a sample at every simulated minute, and one at the end.
    pub timeline: Vec<Sample>,
}

/// Things by the status of their latest execution.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Things targeted by a stage that started.
    pub targeted: u64,
    /// Things with a terminal status, by that status (`QUEUED` and `IN_PROGRESS` stay zero,
    /// counted as unfinished).
    #[serde(flatten, serialize_with = "AsFields::<TerminalStatuses>::serialize")]
    pub by_status: StatusCounts,
    /// `QUEUED`, `IN_PROGRESS`, or never admitted when the run ended.
    pub unfinished: u64,
}

/// Times to a share of finished things.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// 50%.
    pub p50: Option<f64>,
    /// 90%.
    pub p90: Option<f64>,
    /// 100%.
    pub p100: Option<f64>,
}

/// Where the fleet ended up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FleetOutcome {
    /// Devices running the release, committed.
    pub updated: u64,
    /// Devices running the release on trial, not committed yet (only when a run is cut
    /// short).
    pub on_trial: u64,
    /// Devices that booted the release on trial and went back to their old image.
    pub rolled_back: u64,
    /// Devices running the rollback release (restored by the rollback campaign).
    pub restored: u64,
    /// Devices still on their factory image.
    pub unchanged: u64,
    /// Resets (activations, roll-backs, power cuts).
    pub resets: u64,
    /// Power cuts.
    pub power_cuts: u64,
    /// Devices served a tampered image.
    pub tampered: u64,
}

/// Messages and bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Traffic {
    /// Published by devices.
    pub up: u64,
    /// Bytes published by devices (topic and payload).
    pub bytes_up: u64,
    /// Delivered to devices.
    pub down: u64,
    /// Bytes delivered to devices.
    pub bytes_down: u64,
    /// What the responder answered.
    pub service: ResponderStats,
}

/// A targeted thing without a final status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreachable {
    /// Thing name.
    pub thing: String,
    /// The job.
    pub job_id: String,
    /// Its execution's status (`none`: never admitted).
    pub status: String,
    /// Why the run ended without a final status.
    pub reason: String,
}

/// One end-of-run check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invariant {
    /// What is checked.
    pub name: String,
    /// Whether it holds.
    pub held: bool,
    /// Counts, or the first offenders.
    pub detail: String,
}

impl Report {
    /// Whether every invariant holds.
    pub fn all_invariants_hold(&self) -> bool {
        self.invariants.iter().all(|i| i.held)
    }

    /// The report as pretty JSON (deterministic: maps are ordered, floats printed exactly).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
