//! What a campaign is asked to do: [`CampaignSpec`] with its [`Stage`]s, and the checks
//! made before anything is created.

use ota_core::version::Version;

use super::error::SpecError;
use super::gate::Gate;
use super::percent::Percent;
use crate::catalog::Release;
use crate::jobs::model::{
    AbortConfig, PresignedUrlConfig, RetryConfig, RolloutConfig, TimeoutConfig,
};

/// Longest job id AWS accepts (stage job ids are `{campaign}-{stage}`).
const MAX_JOB_ID_LEN: usize = 64;
/// Suffix of a rollback campaign's id.
pub(crate) const ROLLBACK_SUFFIX: &str = "-rb";

/// Which things a campaign covers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Targets {
    /// These things (duplicates ignored).
    Things(Vec<String>),
    /// The members of this thing group (nested groups included) when the campaign plans.
    Group(String),
}

/// How many of the campaign's eligible devices a stage takes, from those no earlier stage
/// took.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StageSize {
    /// This many (fewer if fewer remain).
    Count(u32),
    /// This share of **all** the campaign's eligible devices, rounded up, capped at those
    /// remaining (so `100 %` as the last stage means "everything left"; `1 %` then `10 %`
    /// covers 11 % after two stages).
    Percent(Percent),
    /// The remaining devices that are members of this thing group.
    Group(String),
    /// The remaining devices whose attribute `key` is `value`.
    Attribute {
        /// Attribute name.
        key: String,
        /// Value to match exactly.
        value: String,
    },
}

/// One stage: a snapshot job over its devices, and the gate that must pass before the next
/// stage starts.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Stage {
    /// `[a-zA-Z0-9_-]+`; the job and thing group are `{campaign}-{name}`.
    pub name: String,
    /// Which devices.
    pub size: StageSize,
    /// The job's `jobExecutionsRolloutConfig` (rate, exponential ramp, in-flight cap).
    pub rollout: Option<RolloutConfig>,
    /// The job's `timeoutConfig`.
    pub timeout: Option<TimeoutConfig>,
    /// The job's `jobExecutionsRetryConfig`.
    pub retry: Option<RetryConfig>,
    /// The job's `abortConfig`, passed through as a backstop. The gate stays the authority;
    /// a job cancelled by its abort config fails the gate ([`super::GateFailure::JobCanceled`]).
    pub abort: Option<AbortConfig>,
    /// When the next stage may start.
    #[serde(default)]
    pub gate: Gate,
}

impl Stage {
    /// A stage with the default gate and no job options.
    pub fn new(name: impl Into<String>, size: StageSize) -> Self {
        Self {
            name: name.into(),
            size,
            rollout: None,
            timeout: None,
            retry: None,
            abort: None,
            gate: Gate::default(),
        }
    }

    /// This stage with `gate`.
    #[must_use]
    pub fn with_gate(mut self, gate: Gate) -> Self {
        self.gate = gate;
        self
    }

    /// This stage with a rollout config.
    #[must_use]
    pub fn with_rollout(mut self, rollout: RolloutConfig) -> Self {
        self.rollout = Some(rollout);
        self
    }
}

/// How the campaign learns a device's hardware and running version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Eligibility {
    /// Thing attribute with the hardware id (default `hardware`).
    pub hardware_attribute: String,
    /// Thing attribute with the running version (default `version`).
    pub version_attribute: String,
    /// Take every device to run this version instead of reading the attribute. Rollback
    /// campaigns set it to the bad release's version: their devices just reported
    /// `SUCCEEDED` with it, and the attribute may lag.
    pub assume_version: Option<Version>,
}

impl Default for Eligibility {
    fn default() -> Self {
        Self {
            hardware_attribute: "hardware".into(),
            version_attribute: "version".into(),
            assume_version: None,
        }
    }
}

/// In which order eligible devices are dealt to stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum AssignmentOrder {
    /// By thing name (bytes): reproducible, but the same devices are always first.
    #[default]
    ByName,
    /// By name, then shuffled with this seed (a fixed generator, the same on every
    /// platform; not cryptographic): reproducible, and the canaries are spread out.
    Shuffled {
        /// The seed.
        seed: u64,
    },
}

/// What a failed gate does beyond stopping the campaign and cancelling its jobs.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub enum RollbackPolicy {
    /// Nothing more: the devices that took the release keep it.
    #[default]
    Manual,
    /// Start a rollback campaign (`{campaign}-rb`) with the spec's `previous` release over
    /// exactly the devices whose execution `SUCCEEDED`, in these stages.
    Automatic {
        /// The rollback campaign's stages (usually fewer, larger and faster).
        stages: Vec<Stage>,
    },
}

/// A campaign to run.
///
/// **Rollback releases.** Devices refuse anything that does not follow their running
/// version, so `previous` must be the old firmware re-signed under a version **higher than
/// the bad release's** (bad 2.0.0, rollback 2.0.1 built from 1.9.0's sources), supporting
/// the same hardware, with a `requires` (if any) that admits the bad version. Both
/// releases must be in the catalog.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CampaignSpec {
    /// `[a-zA-Z0-9_-]+`, short enough that every `{id}-{stage}` (and `{id}-rb-{stage}`) is
    /// a valid job id (64 characters).
    pub id: String,
    /// What to install.
    pub release: Release,
    /// What to roll back to (see the type docs).
    pub previous: Option<Release>,
    /// Which things.
    pub targets: Targets,
    /// In order; each device is in at most one.
    pub stages: Vec<Stage>,
    /// What a failed gate does.
    #[serde(default)]
    pub rollback: RollbackPolicy,
    /// Attribute names.
    #[serde(default)]
    pub eligibility: Eligibility,
    /// Device order.
    #[serde(default)]
    pub order: AssignmentOrder,
    /// Give each stage's job an `abortConfig` from its gate's failure threshold (failures of
    /// every kind, at least the gate's minimum sample executed) when the stage has none of
    /// its own: the service then cancels the job by itself if nobody steps the campaign (the
    /// pipeline that runs it died). The campaign's own gate normally acts first; an abort
    /// shows up as [`super::GateFailure::JobCanceled`] with reason code `ABORT_CANCEL`.
    #[serde(default)]
    pub abort_backstop: bool,
    /// The `presignedUrlConfig` of every stage's job (and the rollback's), for releases
    /// whose document points at S3 through `${aws:iot:s3-presigned-url:...}`.
    #[serde(default)]
    pub presigned_url_config: Option<PresignedUrlConfig>,
}

impl CampaignSpec {
    /// A campaign without rollback, with default attribute names and devices by name.
    pub fn new(
        id: impl Into<String>,
        release: Release,
        targets: Targets,
        stages: Vec<Stage>,
    ) -> Self {
        Self {
            id: id.into(),
            release,
            previous: None,
            targets,
            stages,
            rollback: RollbackPolicy::Manual,
            eligibility: Eligibility::default(),
            order: AssignmentOrder::ByName,
            abort_backstop: false,
            presigned_url_config: None,
        }
    }

    /// Check names, lengths, sizes, gates and the rollback release (not the catalog).
    pub(crate) fn validate(&self) -> Result<(), SpecError> {
        check_name(&self.id)?;
        if matches!(&self.targets, Targets::Things(t) if t.is_empty()) {
            return Err(SpecError::NoTargets);
        }
        check_stages(&self.id, &self.stages)?;
        if let RollbackPolicy::Automatic { stages } = &self.rollback {
            let previous = self
                .previous
                .as_ref()
                .ok_or(SpecError::RollbackWithoutPrevious)?;
            if !previous
                .version
                .cmp_precedence(&self.release.version)
                .is_gt()
            {
                return Err(SpecError::RollbackNotNewer {
                    previous: Box::new(previous.version),
                    release: Box::new(self.release.version),
                });
            }
            if previous.product != self.release.product {
                return Err(SpecError::RollbackOtherProduct {
                    previous: previous.product.clone(),
                    release: self.release.product.clone(),
                });
            }
            check_stages(&format!("{}{ROLLBACK_SUFFIX}", self.id), stages)?;
        }
        Ok(())
    }
}

fn check_name(name: &str) -> Result<(), SpecError> {
    let why = if name.is_empty() {
        "empty"
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        "only [a-zA-Z0-9_-] may be used"
    } else {
        return Ok(());
    };
    Err(SpecError::BadName {
        name: name.chars().take(80).collect(),
        why,
    })
}

fn check_stages(campaign: &str, stages: &[Stage]) -> Result<(), SpecError> {
    if stages.is_empty() {
        return Err(SpecError::NoStages);
    }
    for (i, stage) in stages.iter().enumerate() {
        check_name(&stage.name)?;
        let job_id = format!("{campaign}-{}", stage.name);
        if job_id.len() > MAX_JOB_ID_LEN {
            return Err(SpecError::IdTooLong(job_id));
        }
        if stages[..i].iter().any(|s| s.name == stage.name) {
            return Err(SpecError::DuplicateStage(stage.name.clone()));
        }
        let bad = |why| SpecError::BadStage {
            stage: stage.name.clone(),
            why,
        };
        match &stage.size {
            StageSize::Count(0) => return Err(bad("a count of 0 devices")),
            StageSize::Percent(p) if *p == Percent::whole(0) => {
                return Err(bad("a share of 0%"));
            }
            StageSize::Percent(p) if !p.is_valid() => return Err(bad("a share above 100%")),
            StageSize::Group(g) if g.is_empty() => return Err(bad("an empty group name")),
            StageSize::Attribute { key, .. } if key.is_empty() => {
                return Err(bad("an empty attribute name"));
            }
            _ => {}
        }
        if let Some(why) = stage.gate.problem() {
            return Err(bad(why));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(version: &str) -> Release {
        Release::new("fw", "acme", Version::parse(version).unwrap(), ["a"], "{}")
    }

    fn spec(id: &str, stages: Vec<Stage>) -> CampaignSpec {
        CampaignSpec::new(id, release("2.0.0"), Targets::Group("fleet".into()), stages)
    }

    #[test]
    fn names_and_job_id_lengths_are_checked() {
        let one = || vec![Stage::new("canary", StageSize::Count(1))];
        assert!(spec("c1", one()).validate().is_ok());
        assert!(matches!(
            spec("c 1", one()).validate(),
            Err(SpecError::BadName { .. })
        ));
        assert!(matches!(
            spec(&"c".repeat(58), one()).validate(),
            Err(SpecError::IdTooLong(_))
        ));
        assert!(
            spec(&"c".repeat(57), one()).validate().is_ok(),
            "64 characters"
        );
        assert!(
            spec(&"c".repeat(58), vec![Stage::new("s", StageSize::Count(1))])
                .validate()
                .is_ok()
        );
        let dup = vec![
            Stage::new("a", StageSize::Count(1)),
            Stage::new("a", StageSize::Count(2)),
        ];
        assert_eq!(
            spec("c", dup).validate(),
            Err(SpecError::DuplicateStage("a".into()))
        );
        assert_eq!(spec("c", vec![]).validate(), Err(SpecError::NoStages));
        let mut s = spec("c", one());
        s.targets = Targets::Things(vec![]);
        assert_eq!(s.validate(), Err(SpecError::NoTargets));
    }

    #[test]
    fn sizes_and_gates_are_checked() {
        for size in [
            StageSize::Count(0),
            StageSize::Percent(Percent::whole(0)),
            StageSize::Percent(Percent::whole(101)),
            StageSize::Group(String::new()),
        ] {
            assert!(matches!(
                spec("c", vec![Stage::new("s", size)]).validate(),
                Err(SpecError::BadStage { .. })
            ));
        }
        let gate = Gate {
            failure_threshold: Some(Percent::whole(0)),
            ..Gate::default()
        };
        let stage = Stage::new("s", StageSize::Count(1)).with_gate(gate);
        assert!(spec("c", vec![stage]).validate().is_err());
    }

    #[test]
    fn rollback_release_must_be_newer_and_of_the_same_product() {
        let stages = vec![Stage::new("all", StageSize::Percent(Percent::ALL))];
        let mut s = spec("c", stages.clone());
        s.rollback = RollbackPolicy::Automatic {
            stages: stages.clone(),
        };
        assert_eq!(s.validate(), Err(SpecError::RollbackWithoutPrevious));
        s.previous = Some(release("1.9.0"));
        assert!(matches!(
            s.validate(),
            Err(SpecError::RollbackNotNewer { .. })
        ));
        s.previous = Some(release("2.0.0+rebuilt"));
        assert!(
            matches!(s.validate(), Err(SpecError::RollbackNotNewer { .. })),
            "build metadata does not make a version newer"
        );
        let mut other = release("2.0.1");
        other.product = "other".into();
        s.previous = Some(other);
        assert!(matches!(
            s.validate(),
            Err(SpecError::RollbackOtherProduct { .. })
        ));
        s.previous = Some(release("2.0.1"));
        assert_eq!(s.validate(), Ok(()));
        s.id = "c".repeat(60);
        assert!(
            matches!(s.validate(), Err(SpecError::IdTooLong(id)) if id.ends_with("-rb-all")),
            "rollback job ids are checked too"
        );
    }
}
