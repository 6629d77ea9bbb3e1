//! The `[trust]` events of a run: the operator's rotation job, the attacker's jobs, and what
//! the report says of them.
//!
//! The rotation is a snapshot job over a group of every device, created at its minute in
//! the middle of whatever campaign stage is running: a device busy with a release takes it
//! after (AWS IoT Jobs starts the oldest queued job next). An attack is a snapshot job made
//! with stolen release key 1 over devices of the first hardware type drawn from the seed,
//! for an image of version 99.0.0 with security counter 999 (a fast-forward too, if it got
//! in). Both are made on the same in-memory service as the campaigns.

use std::collections::BTreeMap;

use ota_cloud::Engine;
use ota_cloud::jobs::model::{JobSpec, JobStatus, Target};
use ota_core::jobs::JobExecutionStatus as Status;
use ota_core::version::Version;
use ota_device::trust::RootSource;
use serde::Serialize;

use super::{START, World};
use crate::report::Invariant;
use crate::trust::TRUST_KEYS;

/// The attacker's release: version, security counter, stream.
pub const ATTACK_VERSION: &str = "99.0.0";
/// See [`ATTACK_VERSION`].
pub const ATTACK_COUNTER: u32 = 999;
/// See [`ATTACK_VERSION`].
pub const ATTACK_STREAM: &str = "fw-attack";

/// A trust event of the scenario, and the job made for it.
#[derive(Debug, Clone)]
struct Planned {
    /// When (Unix ms).
    at: u64,
    /// Devices an attack targets (0 for the rotation: every device).
    devices: u32,
    job_id: String,
    /// Things the job targets, once made.
    things: Option<Vec<String>>,
}

/// The rotation and attacks of a run.
#[derive(Debug, Clone, Default)]
pub(super) struct TrustEvents {
    rotation: Option<Planned>,
    attacks: Vec<Planned>,
    /// Boots that found the stored root unreadable and fell back to the built-in one.
    pub(super) unreadable_roots: u64,
}

/// One trust job's results, for the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrustJobReport {
    /// The job.
    pub job_id: String,
    /// Simulated minute it was made.
    pub minute: u64,
    /// Things it targets.
    pub targeted: u64,
    /// Latest execution of each: `FAILED` and `REJECTED` by `statusDetails.reason`, others
    /// by lowercase status (`not_admitted` when it has none).
    pub by_result: BTreeMap<String, u64>,
}

/// What became of the trust events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrustReport {
    /// Release keys in the devices' first root.
    pub release_keys: u8,
    /// Distinct release keys a release needs.
    pub threshold: u8,
    /// Devices by the root version they hold at the end (`1`: the one built in).
    pub roots: BTreeMap<String, u64>,
    /// The rotation job (none in the scenario, or not made before the run ended).
    pub rotation: Option<TrustJobReport>,
    /// The attacker's jobs that were made.
    pub attacks: Vec<TrustJobReport>,
    /// Devices running the attacker's image at the end.
    pub compromised: u64,
    /// Boots that found a stored root unreadable and used the built-in one.
    pub unreadable_roots: u64,
}

impl TrustEvents {
    /// The events of `spec`, none made yet.
    pub(super) fn plan(spec: Option<&crate::scenario::TrustSpec>) -> Self {
        let Some(spec) = spec else {
            return Self::default();
        };
        let at = |minute: u64| START.saturating_add(minute.saturating_mul(60_000));
        Self {
            rotation: spec.rotate_at_minute.map(|m| Planned {
                at: at(m),
                devices: 0,
                job_id: "trust-rotation-2".into(),
                things: None,
            }),
            attacks: spec
                .attacks
                .iter()
                .enumerate()
                .map(|(k, a)| Planned {
                    at: at(a.at_minute),
                    devices: a.devices,
                    job_id: format!("stolen-key-{}", k + 1),
                    things: None,
                })
                .collect(),
            unreadable_roots: 0,
        }
    }

    /// Whether every event's job has been made.
    pub(super) fn all_made(&self) -> bool {
        self.rotation
            .iter()
            .chain(&self.attacks)
            .all(|p| p.things.is_some())
    }

    /// The jobs made so far.
    fn made(&self) -> impl Iterator<Item = &Planned> {
        self.rotation
            .iter()
            .chain(&self.attacks)
            .filter(|p| p.things.is_some())
    }
}

impl World {
    /// Make the jobs of the trust events that are due.
    pub(super) fn trust_step(&mut self) {
        let now = self.now;
        if let Some(p) = self.trust.rotation.clone()
            && p.things.is_none()
            && p.at <= now
        {
            let things: Vec<String> = self.devices.iter().map(|d| d.name.to_string()).collect();
            let made = self.rotation_document().and_then(|document| {
                self.make_trust_job(&p.job_id, "trust-rotation", &things, document)
            });
            self.note_trust_job(made.map(|()| things), |t| t.rotation.as_mut());
        }
        for k in 0..self.trust.attacks.len() {
            let p = self.trust.attacks[k].clone();
            if p.things.is_some() || p.at > now {
                continue;
            }
            let things = self.attack_targets(p.devices);
            let made = self.attack_document().and_then(|document| {
                let group = format!("{}-targets", p.job_id);
                self.make_trust_job(&p.job_id, &group, &things, document)
            });
            self.note_trust_job(made.map(|()| things), |t| t.attacks.get_mut(k));
        }
    }

    /// Record a made job's things, or the error (the event is then given up: `things`
    /// stays empty, so the run does not wait for it).
    fn note_trust_job(
        &mut self,
        made: Result<Vec<String>, String>,
        pick: impl FnOnce(&mut TrustEvents) -> Option<&mut Planned>,
    ) {
        let Some(planned) = pick(&mut self.trust) else {
            return;
        };
        let job_id = planned.job_id.clone();
        match made {
            Ok(things) => planned.things = Some(things),
            Err(e) => {
                planned.things = Some(Vec::new());
                self.control.errors.push(format!("{job_id}: {e}"));
            }
        }
        self.control.last_activity = self.now;
        self.after_engine();
    }

    fn rotation_document(&self) -> Result<String, String> {
        let (keys, _) = self.keys.rotating.as_ref().ok_or("no [trust] keys")?;
        keys.rotation_document()
    }

    fn attack_document(&self) -> Result<String, String> {
        let hardware = self.hardware_ids.first().ok_or("no hardware")?;
        let image = self.build("attack", hardware).ok_or("no attack image")?;
        let version = Version::parse(ATTACK_VERSION).map_err(|e| e.to_string())?;
        self.keys
            .attack_document(
                self.images.get(image),
                &version,
                ATTACK_COUNTER,
                hardware,
                ATTACK_STREAM,
            )
            .ok_or("no [trust] keys")?
    }

    /// Up to `n` devices of the first hardware type, drawn from the seed.
    fn attack_targets(&mut self, n: u32) -> Vec<String> {
        let hardware = self.hardware_ids.first().copied().unwrap_or_default();
        let mut pool: Vec<&'static str> = self
            .devices
            .iter()
            .filter(|d| d.hardware_id == hardware)
            .map(|d| d.name)
            .collect();
        let mut out = Vec::new();
        while out.len() < n as usize && !pool.is_empty() {
            let i = self.rng.range(0, pool.len() as u64 - 1) as usize;
            out.push(pool.swap_remove(i).to_string());
        }
        out.sort();
        out
    }

    /// A snapshot job with `document` over a new group `group` holding `things`.
    fn make_trust_job(
        &mut self,
        job_id: &str,
        group: &str,
        things: &[String],
        document: String,
    ) -> Result<(), String> {
        let mut engine = self.service.engine();
        engine
            .create_group(group, None)
            .map_err(|e| e.to_string())?;
        for thing in things {
            engine
                .add_thing_to_group(group, thing)
                .map_err(|e| e.to_string())?;
        }
        engine
            .create_job(JobSpec::new(
                job_id,
                vec![Target::Group(group.to_string())],
                document,
            ))
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// A boot loaded the trust root from `source`.
    pub(super) fn note_root_source(&mut self, source: RootSource) {
        if source == RootSource::BuiltInStoredUnreadable {
            self.trust.unreadable_roots += 1;
        }
    }

    /// The root version device `d` holds in its root record (1 when none is stored).
    fn stored_root_version(&self, d: usize) -> Option<u32> {
        match self.devices[d].storage.root_record() {
            None => Some(1),
            Some(bytes) => ota_core::trust::decode::<TRUST_KEYS>(&bytes)
                .ok()
                .map(|r| r.version()),
        }
    }

    /// The `trust` section of the report (`None` without `[trust]`).
    pub(super) fn trust_report(&self, engine: &Engine) -> Option<TrustReport> {
        let (_, spec) = self.keys.rotating.as_ref()?;
        let mut roots = BTreeMap::new();
        for d in 0..self.devices.len() {
            let key = self
                .stored_root_version(d)
                .map_or_else(|| "unreadable".to_string(), |v| v.to_string());
            *roots.entry(key).or_insert(0) += 1;
        }
        let job = |p: &Planned| job_report(engine, p);
        Some(TrustReport {
            release_keys: spec.release_keys,
            threshold: spec.threshold,
            roots,
            rotation: self
                .trust
                .rotation
                .as_ref()
                .filter(|p| p.things.is_some())
                .map(job),
            attacks: self
                .trust
                .attacks
                .iter()
                .filter(|p| p.things.is_some())
                .map(job)
                .collect(),
            compromised: self.compromised().len() as u64,
            unreadable_roots: self.trust.unreadable_roots,
        })
    }

    /// Devices running the attacker's image.
    fn compromised(&self) -> Vec<String> {
        self.devices
            .iter()
            .filter(|d| {
                d.storage
                    .running_image()
                    .is_some_and(|i| self.known[i].role == "attack")
            })
            .map(|d| d.name.to_string())
            .collect()
    }

    /// The trust checks: nobody runs the attacker's image; every device whose rotation
    /// succeeded keeps root 2 in its record.
    pub(super) fn trust_invariants(&self, engine: &Engine) -> Vec<Invariant> {
        if self.keys.rotating.is_none() {
            return Vec::new();
        }
        let attacked: usize = self
            .trust
            .made()
            .filter(|p| p.devices > 0)
            .map(|p| p.things.as_ref().map_or(0, Vec::len))
            .sum();
        let mut out = vec![super::outcome::invariant(
            "no device installed a release signed below the threshold",
            &self.compromised(),
            format!("{attacked} devices attacked with a stolen release key"),
        )];
        if let Some(rotation) = self.trust.rotation.as_ref().filter(|p| p.things.is_some()) {
            let mut lost = Vec::new();
            let mut rotated = 0;
            for e in engine
                .list_job_executions_for_job(&rotation.job_id, None)
                .unwrap_or_default()
            {
                if e.status != Status::Succeeded {
                    continue;
                }
                rotated += 1;
                let d = self.by_name.get(e.thing_name.as_str()).copied();
                let version = d.and_then(|d| self.stored_root_version(d as usize));
                if version != Some(2) {
                    lost.push(format!("{} holds root {version:?}", e.thing_name));
                }
            }
            out.push(super::outcome::invariant(
                "every device that reported the rotation holds root 2 in its record",
                &lost,
                format!("{rotated} devices rotated"),
            ));
        }
        out
    }
}

/// A made job's results, from the engine.
fn job_report(engine: &Engine, p: &Planned) -> TrustJobReport {
    let things = p.things.as_deref().unwrap_or_default();
    let mut by_result = BTreeMap::new();
    for thing in things {
        let key = match engine.describe_job_execution(&p.job_id, thing, None) {
            Ok(e) => e
                .status_details
                .get("reason")
                .filter(|_| matches!(e.status, Status::Failed | Status::Rejected))
                .cloned()
                .unwrap_or_else(|| e.status.as_str().to_ascii_lowercase()),
            Err(_) => "not_admitted".to_string(),
        };
        *by_result.entry(key).or_insert(0) += 1;
    }
    TrustJobReport {
        job_id: p.job_id.clone(),
        minute: p.at.saturating_sub(START) / 60_000,
        targeted: things.len() as u64,
        by_result,
    }
}

/// Whether the job of every made trust event is over (completed or cancelled).
pub(super) fn jobs_over(engine: &Engine, events: &TrustEvents) -> bool {
    events.made().all(|p| {
        engine
            .describe_job(&p.job_id)
            .map_or(true, |j| j.status != JobStatus::InProgress)
    })
}
