//! Scenarios: what a simulation runs, read from TOML.
//!
//! ```toml
//! name = "default"
//! seed = 42
//! devices = 1000
//! [image]            # size and block size of the release image
//! [[hardware]]       # hardware types: share of the fleet, starting version, self-test failures
//! [[groups]]         # static thing groups a share of the fleet joins
//! [[attributes]]     # registry attributes with their values
//! [release]          # the version rolled out (and [previous], the rollback target)
//! [campaign]         # stages, rollout rate, gate, timeouts, retries
//! [network]          # latency, loss, duplication, reordering
//! [faults]           # power loss, offline windows, corrupted blocks, tampering, misfits
//! [trust]            # threshold signatures, a key rotation, attacks with a stolen key
//! ```
//! Every field has a default (see each struct), so a scenario says only what differs.
//!
//! Sizes are bounded so that a scenario cannot ask for more memory than a large machine has:
//! at most [`MAX_DEVICES`] devices (about 3.5 GB of memory at the bound with the default
//! 64 KiB image: a device costs a few KB), [`MAX_HARDWARE`] hardware types (each adds an
//! image of up to 16 MiB per release), [`MAX_GROUPS`] groups, [`MAX_ATTRIBUTES`] attributes
//! of at most [`MAX_ATTRIBUTE_VALUES`] values, [`MAX_STAGES`] stages,
//! [`MAX_TAMPERED_DEVICES`] tampered devices (each holds its own image copy) and names of
//! at most [`MAX_NAME_LEN`] bytes. The release must be newer than every hardware type it is
//! for runs, and the `[previous]` release newer than the release: otherwise devices refuse
//! them and the campaign has nothing to do.

use ota_core::version::{Version, VersionError};
use serde::Deserialize;

mod trust;

pub use trust::{AttackSpec, MAX_ATTACKS, MAX_RELEASE_KEYS, TrustSpec};

/// Most devices in a fleet.
pub const MAX_DEVICES: u32 = 1_000_000;
/// Most hardware types, and most hardware ids a release lists.
pub const MAX_HARDWARE: usize = 16;
/// Most `[[groups]]`.
pub const MAX_GROUPS: usize = 16;
/// Most `[[attributes]]`.
pub const MAX_ATTRIBUTES: usize = 16;
/// Most values of one attribute.
pub const MAX_ATTRIBUTE_VALUES: usize = 1000;
/// Most campaign stages.
pub const MAX_STAGES: usize = 100;
/// Most devices served a tampered image.
pub const MAX_TAMPERED_DEVICES: u32 = 100;
/// Longest name (scenario, hardware, group, attribute key or value, stage), in bytes.
pub const MAX_NAME_LEN: usize = 128;

/// A whole scenario.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A short name for reports.
    #[serde(default = "default_name")]
    pub name: String,
    /// Everything random comes from this seed.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Fleet size.
    #[serde(default = "default_devices")]
    pub devices: u32,
    /// The release image.
    #[serde(default)]
    pub image: ImageSpec,
    /// Hardware types.
    #[serde(default = "default_hardware")]
    pub hardware: Vec<HardwareSpec>,
    /// Static thing groups a random share of the fleet joins (a beta group, a region).
    #[serde(default)]
    pub groups: Vec<GroupSpec>,
    /// Registry attributes given to every device, each value drawn uniformly.
    #[serde(default)]
    pub attributes: Vec<AttributeSpec>,
    /// The release rolled out.
    #[serde(default)]
    pub release: ReleaseSpec,
    /// The release a rollback campaign installs (a rebuild of the old firmware with a higher
    /// version: devices refuse downgrades).
    #[serde(default)]
    pub previous: Option<ReleaseSpec>,
    /// The campaign.
    #[serde(default)]
    pub campaign: CampaignSpec,
    /// The network.
    #[serde(default)]
    pub network: NetworkSpec,
    /// Injected faults.
    #[serde(default)]
    pub faults: FaultSpec,
    /// Threshold signatures, a key rotation and attacks with a stolen key (none: one fixed
    /// release key).
    #[serde(default)]
    pub trust: Option<TrustSpec>,
    /// Give up after this much simulated time (minutes).
    #[serde(default = "default_horizon")]
    pub horizon_minutes: u64,
}

fn default_name() -> String {
    "unnamed".into()
}
fn default_seed() -> u64 {
    1
}
fn default_devices() -> u32 {
    100
}
fn default_horizon() -> u64 {
    48 * 60
}
fn default_hardware() -> Vec<HardwareSpec> {
    vec![HardwareSpec::default()]
}

/// The release image.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    /// Bytes (default 64 KiB).
    #[serde(default = "default_image_size")]
    pub size: u32,
    /// Stream block size (default 1 KiB).
    #[serde(default = "default_block_size")]
    pub block_size: u32,
}

fn default_image_size() -> u32 {
    64 * 1024
}
fn default_block_size() -> u32 {
    1024
}

impl Default for ImageSpec {
    fn default() -> Self {
        Self {
            size: default_image_size(),
            block_size: default_block_size(),
        }
    }
}

/// A hardware type of the fleet.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardwareSpec {
    /// The hardware id (`hardware` attribute, checked against signed manifests).
    #[serde(default = "default_hw")]
    pub name: String,
    /// Relative share of the fleet.
    #[serde(default = "one")]
    pub share: f64,
    /// The version devices run at the start.
    #[serde(default = "default_initial")]
    pub initial_version: String,
    /// Probability that the new release fails its self-test on this hardware.
    #[serde(default)]
    pub self_test_failure: f64,
}

fn default_hw() -> String {
    "rev-a".into()
}
fn one() -> f64 {
    1.0
}
fn default_initial() -> String {
    "1.0.0".into()
}

impl Default for HardwareSpec {
    fn default() -> Self {
        Self {
            name: default_hw(),
            share: 1.0,
            initial_version: default_initial(),
            self_test_failure: 0.0,
        }
    }
}

/// A static thing group of the fleet.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// Group name (`[a-zA-Z0-9:_-]`).
    pub name: String,
    /// Probability that a device is a member.
    pub share: f64,
}

/// A registry attribute of the fleet.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeSpec {
    /// Attribute name (not `hardware` or `version`, which the simulator sets).
    pub key: String,
    /// The values, one drawn per device.
    pub values: Vec<String>,
}

/// A release.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseSpec {
    /// Its version.
    #[serde(default = "default_release_version")]
    pub version: String,
    /// Its security counter.
    #[serde(default = "one_u32")]
    pub security_counter: u32,
    /// Hardware ids it is built for (default: every hardware type of the scenario).
    #[serde(default)]
    pub hardware: Vec<String>,
    /// Lowest running version allowed to install it.
    #[serde(default)]
    pub min_version: Option<String>,
}

fn default_release_version() -> String {
    "1.1.0".into()
}
fn one_u32() -> u32 {
    1
}

impl Default for ReleaseSpec {
    fn default() -> Self {
        Self {
            version: default_release_version(),
            security_counter: 1,
            hardware: Vec::new(),
            min_version: None,
        }
    }
}

/// One stage of the campaign.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    /// Its name.
    pub name: String,
    /// Percent of the eligible fleet, cumulative over the percent stages, the usual canary
    /// shape (1 / 10 / 100 means 1%, then up to 10%, then the rest).
    #[serde(default)]
    pub percent: Option<f64>,
    /// Or: the remaining eligible devices in this thing group.
    #[serde(default)]
    pub group: Option<String>,
    /// Or: the remaining eligible devices with this attribute, written `key=value`.
    #[serde(default)]
    pub attribute: Option<String>,
}

impl StageSpec {
    /// A percent stage.
    pub fn percent(name: &str, percent: f64) -> Self {
        Self {
            name: name.into(),
            percent: Some(percent),
            group: None,
            attribute: None,
        }
    }
}

/// The campaign.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSpec {
    /// Stages, in order.
    #[serde(default = "default_stages")]
    pub stages: Vec<StageSpec>,
    /// Things notified per minute within a stage.
    #[serde(default = "default_rate")]
    pub rollout_per_minute: u32,
    /// Devices with a final status before a stage is judged.
    #[serde(default = "default_min_sample")]
    pub min_sample: u32,
    /// Failure percentage (of finished devices) that fails a gate.
    #[serde(default = "default_failure_threshold")]
    pub failure_threshold: f64,
    /// Minutes a finished stage soaks before the next one starts.
    #[serde(default)]
    pub soak_minutes: u64,
    /// In-progress timeout of every execution.
    #[serde(default = "default_timeout")]
    pub in_progress_timeout_minutes: u32,
    /// Retries of failed and timed-out executions.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// The run ends when nothing has happened (no message, no campaign event) for this many
    /// minutes; devices still without a final status are then reported unreachable.
    #[serde(default = "default_quiet")]
    pub quiet_minutes: u64,
    /// Start a rollback campaign when a gate fails.
    #[serde(default = "yes")]
    pub rollback: bool,
}

fn default_stages() -> Vec<StageSpec> {
    vec![StageSpec::percent("all", 100.0)]
}
fn default_rate() -> u32 {
    1000
}
fn default_min_sample() -> u32 {
    5
}
fn default_failure_threshold() -> f64 {
    20.0
}
fn default_timeout() -> u32 {
    60
}
fn default_retries() -> u32 {
    2
}
fn default_quiet() -> u64 {
    60
}
fn yes() -> bool {
    true
}

impl Default for CampaignSpec {
    fn default() -> Self {
        Self {
            stages: default_stages(),
            rollout_per_minute: default_rate(),
            min_sample: default_min_sample(),
            failure_threshold: default_failure_threshold(),
            soak_minutes: 0,
            quiet_minutes: default_quiet(),
            in_progress_timeout_minutes: default_timeout(),
            retries: default_retries(),
            rollback: true,
        }
    }
}

/// The network between devices and the service.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// Shortest one-way latency (ms).
    #[serde(default = "default_latency_min")]
    pub latency_min_ms: u64,
    /// Longest one-way latency (ms); latencies are uniform in between, so messages reorder.
    #[serde(default = "default_latency_max")]
    pub latency_max_ms: u64,
    /// Probability a message is lost.
    #[serde(default)]
    pub loss: f64,
    /// Probability a message is delivered twice.
    #[serde(default)]
    pub duplicate: f64,
}

fn default_latency_min() -> u64 {
    20
}
fn default_latency_max() -> u64 {
    120
}

impl Default for NetworkSpec {
    fn default() -> Self {
        Self {
            latency_min_ms: default_latency_min(),
            latency_max_ms: default_latency_max(),
            loss: 0.0,
            duplicate: 0.0,
        }
    }
}

/// Injected faults.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Probability per device of one power cut at a random storage operation of its update.
    #[serde(default)]
    pub power_loss: f64,
    /// Fraction of devices that go offline once, for `offline_minutes`, at a random time.
    #[serde(default)]
    pub offline: f64,
    /// How long an offline device stays offline.
    #[serde(default = "default_offline_minutes")]
    pub offline_minutes: u64,
    /// Probability per data block that one byte of it is corrupted in transit.
    #[serde(default)]
    pub corrupt_block: f64,
    /// Devices that are served a tampered image (one byte changed at the source).
    #[serde(default)]
    pub tampered_image_devices: u32,
    /// Fraction of devices with a hardware id no release is built for.
    #[serde(default)]
    pub wrong_hardware: f64,
    /// Fraction of devices running a version below the release's `min_version`.
    #[serde(default)]
    pub below_min_version: f64,
}

fn default_offline_minutes() -> u64 {
    30
}

/// Why a scenario was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// Not TOML of the expected shape.
    #[error("scenario: {0}")]
    Toml(#[from] toml::de::Error),
    /// A value out of range.
    #[error("scenario: {0}")]
    Invalid(String),
}

/// A [`ScenarioError::Invalid`] with `message`.
fn invalid(message: &str) -> Result<(), ScenarioError> {
    Err(ScenarioError::Invalid(message.to_string()))
}

impl Scenario {
    /// Parse and check a scenario.
    ///
    /// # Errors
    /// [`ScenarioError`] naming the problem.
    pub fn parse(text: &str) -> Result<Self, ScenarioError> {
        let s: Self = toml::from_str(text)?;
        s.check()?;
        Ok(s)
    }

    /// Check every value against its range (what [`Scenario::parse`] does after reading
    /// the TOML); call it again after changing a field. Does not run anything.
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] naming the first value out of range.
    pub fn check(&self) -> Result<(), ScenarioError> {
        if self.devices == 0 || self.devices > MAX_DEVICES {
            return Err(ScenarioError::Invalid(format!(
                "devices must be 1 to {MAX_DEVICES}, not {}",
                self.devices
            )));
        }
        self.check_sizes()?;
        self.check_names()?;
        self.check_rates()?;
        self.check_image()?;
        if self.campaign.stages.is_empty() {
            return invalid("at least one stage");
        }
        for stage in &self.campaign.stages {
            self.check_stage(stage)?;
        }
        self.check_groups()?;
        self.check_versions()?;
        if let Some(trust) = &self.trust {
            trust.check(self.horizon_minutes)?;
        }
        self.check_durations()
    }

    /// Hardware shares, probabilities, the failure threshold and the latencies within their
    /// ranges.
    fn check_rates(&self) -> Result<(), ScenarioError> {
        if self.hardware.is_empty()
            || self
                .hardware
                .iter()
                .any(|h| !(h.share.is_finite() && h.share > 0.0))
        {
            return invalid("at least one hardware type, each with a positive share");
        }
        for p in [
            self.network.loss,
            self.network.duplicate,
            self.faults.power_loss,
            self.faults.offline,
            self.faults.corrupt_block,
            self.faults.wrong_hardware,
            self.faults.below_min_version,
        ] {
            if !(0.0..=1.0).contains(&p) {
                return invalid("probabilities must be within 0..=1");
            }
        }
        if !(0.0..=100.0).contains(&self.campaign.failure_threshold) {
            return invalid("failure_threshold must be within 0..=100");
        }
        if self.network.latency_min_ms > self.network.latency_max_ms
            || self.network.latency_max_ms > 3_600_000
        {
            return invalid("latency_min_ms above latency_max_ms");
        }
        Ok(())
    }

    /// The image's size and block size.
    fn check_image(&self) -> Result<(), ScenarioError> {
        if !self.image.block_size.is_power_of_two()
            || !(256..=131_072).contains(&self.image.block_size)
        {
            return invalid("block_size must be a power of two in 256..=131072");
        }
        if self.image.size < 256 || self.image.size > 16 * 1024 * 1024 {
            return invalid("image size must be 256 bytes to 16 MiB");
        }
        Ok(())
    }

    /// One selector per stage, within range, naming a group or attribute value the scenario
    /// has.
    fn check_stage(&self, stage: &StageSpec) -> Result<(), ScenarioError> {
        let set = [
            stage.percent.is_some(),
            stage.group.is_some(),
            stage.attribute.is_some(),
        ];
        if set.iter().filter(|&&b| b).count() != 1 {
            return Err(ScenarioError::Invalid(format!(
                "stage {}: give exactly one of percent, group, attribute",
                stage.name
            )));
        }
        if stage.percent.is_some_and(|p| !(0.0..=100.0).contains(&p)) {
            return invalid("stage percents must be within 0..=100");
        }
        if let Some(g) = &stage.group
            && !self.groups.iter().any(|x| &x.name == g)
        {
            return Err(ScenarioError::Invalid(format!(
                "stage {}: no group {g} in [[groups]]",
                stage.name
            )));
        }
        if let Some(a) = &stage.attribute {
            let Some((k, v)) = a.split_once('=') else {
                return Err(ScenarioError::Invalid(format!(
                    "stage {}: attribute must be key=value",
                    stage.name
                )));
            };
            if !self
                .attributes
                .iter()
                .any(|x| x.key == k && x.values.iter().any(|y| y == v))
            {
                return Err(ScenarioError::Invalid(format!(
                    "stage {}: no attribute {k} with value {v} in [[attributes]]",
                    stage.name
                )));
            }
        }
        Ok(())
    }

    /// Groups and attributes well named, with shares in range and values.
    fn check_groups(&self) -> Result<(), ScenarioError> {
        for g in &self.groups {
            if !(0.0..=1.0).contains(&g.share) || g.name.is_empty() || g.name.starts_with("hw-") {
                return invalid(
                    "groups need a name (not starting with hw-) and a share within 0..=1",
                );
            }
        }
        for a in &self.attributes {
            if a.values.is_empty() || a.key.is_empty() || a.key == "hardware" || a.key == "version"
            {
                return invalid(
                    "attributes need a key (not hardware or version) and at least one value",
                );
            }
        }
        Ok(())
    }

    /// The horizon, quiet period, soak and offline durations within their bounds.
    fn check_durations(&self) -> Result<(), ScenarioError> {
        const WEEK: u64 = 7 * 24 * 60;
        if self.horizon_minutes == 0 || self.horizon_minutes > 52 * WEEK {
            return invalid("horizon_minutes must be 1 to 524160 (a year)");
        }
        if self.campaign.quiet_minutes == 0 || self.campaign.quiet_minutes > WEEK {
            return invalid("quiet_minutes must be 1 to 10080 (a week)");
        }
        if self.campaign.soak_minutes > WEEK || self.faults.offline_minutes > WEEK {
            return invalid("soak_minutes and offline_minutes must be at most 10080 (a week)");
        }
        Ok(())
    }

    /// Counts within their bounds.
    fn check_sizes(&self) -> Result<(), ScenarioError> {
        let too_many = |what: &str, n: usize, max: usize| {
            Err(ScenarioError::Invalid(format!(
                "at most {max} {what}, not {n}"
            )))
        };
        if self.hardware.len() > MAX_HARDWARE {
            return too_many("hardware types", self.hardware.len(), MAX_HARDWARE);
        }
        for (what, spec) in [
            ("release", Some(&self.release)),
            ("previous", self.previous.as_ref()),
        ] {
            if let Some(spec) = spec
                && spec.hardware.len() > MAX_HARDWARE
            {
                return too_many(
                    &format!("{what} hardware ids"),
                    spec.hardware.len(),
                    MAX_HARDWARE,
                );
            }
        }
        if self.groups.len() > MAX_GROUPS {
            return too_many("groups", self.groups.len(), MAX_GROUPS);
        }
        if self.attributes.len() > MAX_ATTRIBUTES {
            return too_many("attributes", self.attributes.len(), MAX_ATTRIBUTES);
        }
        if let Some(a) = self
            .attributes
            .iter()
            .find(|a| a.values.len() > MAX_ATTRIBUTE_VALUES)
        {
            return too_many(
                &format!("values of attribute {}", a.key),
                a.values.len(),
                MAX_ATTRIBUTE_VALUES,
            );
        }
        if self.campaign.stages.len() > MAX_STAGES {
            return too_many("stages", self.campaign.stages.len(), MAX_STAGES);
        }
        if self.faults.tampered_image_devices > MAX_TAMPERED_DEVICES {
            return Err(ScenarioError::Invalid(format!(
                "tampered_image_devices must be at most {MAX_TAMPERED_DEVICES}, not {}",
                self.faults.tampered_image_devices
            )));
        }
        Ok(())
    }

    /// Every name (scenario, hardware, groups, attributes and their values, stages) at most
    /// [`MAX_NAME_LEN`] bytes.
    fn check_names(&self) -> Result<(), ScenarioError> {
        let names = std::iter::once(&self.name)
            .chain(self.hardware.iter().map(|h| &h.name))
            .chain(self.release.hardware.iter())
            .chain(self.previous.iter().flat_map(|p| p.hardware.iter()))
            .chain(self.groups.iter().map(|g| &g.name))
            .chain(self.attributes.iter().map(|a| &a.key))
            .chain(self.attributes.iter().flat_map(|a| a.values.iter()))
            .chain(self.campaign.stages.iter().map(|s| &s.name));
        for name in names {
            if name.len() > MAX_NAME_LEN {
                let shown: String = name.chars().take(20).collect();
                return Err(ScenarioError::Invalid(format!(
                    "name {shown:?}... is {} bytes, at most {MAX_NAME_LEN}",
                    name.len()
                )));
            }
        }
        Ok(())
    }

    /// Every version parses, the release is newer than what the hardware types it is for
    /// run, and the rollback release is newer than the release.
    fn check_versions(&self) -> Result<(), ScenarioError> {
        let release = parse_version("release version", &self.release.version)?;
        if let Some(m) = &self.release.min_version {
            parse_version("release min_version", m)?;
        }
        let mut targeted = 0;
        for h in &self.hardware {
            let initial = parse_version("initial_version", &h.initial_version)?;
            let built_for =
                self.release.hardware.is_empty() || self.release.hardware.contains(&h.name);
            if !built_for {
                continue;
            }
            targeted += 1;
            if !release.cmp_precedence(&initial).is_gt() {
                return Err(ScenarioError::Invalid(format!(
                    "release version {release} is not newer than {}'s initial_version {initial}: devices refuse it, so nothing would be updated",
                    h.name
                )));
            }
        }
        if targeted == 0 {
            return Err(ScenarioError::Invalid(format!(
                "release hardware {:?} names none of the fleet's hardware types, so nothing would be updated",
                self.release.hardware
            )));
        }
        if let Some(p) = &self.previous {
            let previous = parse_version("previous version", &p.version)?;
            if let Some(m) = &p.min_version {
                parse_version("previous min_version", m)?;
            }
            if !previous.cmp_precedence(&release).is_gt() {
                return Err(ScenarioError::Invalid(format!(
                    "previous version {previous} is not newer than the release version {release}: devices would refuse the rollback"
                )));
            }
        }
        Ok(())
    }

    /// The names of the shipped scenarios.
    pub const BUILTIN: [&'static str; 6] = [
        "default",
        "bad-release",
        "large",
        "stress",
        "stress-harsh",
        "key-rotation",
    ];

    /// The scenarios shipped with the simulator, by name.
    pub fn builtin(name: &str) -> Option<&'static str> {
        match name {
            "default" => Some(include_str!("../scenarios/default.toml")),
            "bad-release" => Some(include_str!("../scenarios/bad-release.toml")),
            "large" => Some(include_str!("../scenarios/large.toml")),
            "stress" => Some(include_str!("../scenarios/stress.toml")),
            "stress-harsh" => Some(include_str!("../scenarios/stress-harsh.toml")),
            "key-rotation" => Some(include_str!("../scenarios/key-rotation.toml")),
            _ => None,
        }
    }
}

/// `text` as a version, or an error that says `what` is not a version and why.
fn parse_version(what: &str, text: &str) -> Result<Version, ScenarioError> {
    Version::parse(text).map_err(|e| {
        let why = match e {
            VersionError::LabelTooLong => e.to_string(),
            VersionError::BadLabel => {
                "its pre-release or build label has an invalid identifier".into()
            }
            VersionError::BadNumber => {
                "a number part has a leading zero or does not fit in 32 bits".into()
            }
            _ => "expected MAJOR.MINOR.PATCH[-PRE][+BUILD], e.g. 1.2.0".into(),
        };
        ScenarioError::Invalid(format!("{what} `{text}` is not a version: {why}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_what_a_scenario_leaves_out() {
        let s = Scenario::parse("devices = 3").unwrap();
        assert_eq!(s.devices, 3);
        assert_eq!(s.hardware, vec![HardwareSpec::default()]);
        assert_eq!(s.image, ImageSpec::default());
        assert_eq!(s.campaign.stages.len(), 1);
        assert_eq!(s.campaign.quiet_minutes, 60);
        assert!(s.previous.is_none());
    }

    #[test]
    fn shipped_scenarios_parse() {
        for name in Scenario::BUILTIN {
            let s = Scenario::parse(Scenario::builtin(name).unwrap()).unwrap();
            assert_eq!(s.name, name);
        }
    }

    #[test]
    fn bad_scenarios_are_refused_with_a_reason() {
        let refused = |text: &str| match Scenario::parse(text) {
            Err(e) => e.to_string(),
            Ok(s) => panic!("accepted {text:?}: {s:?}"),
        };
        assert!(refused("devcies = 3").contains("devcies"), "unknown keys");
        assert!(refused("devices = 0").contains("devices"));
        assert!(refused("[network]\nloss = 1.5").contains("probabilities"));
        assert!(refused("[network]\nloss = nan").contains("probabilities"));
        assert!(refused("[image]\nblock_size = 1000").contains("block_size"));
        assert!(refused("[image]\nsize = 11").contains("size"));
        assert!(refused("[release]\nversion = \"1.x\"").contains("release version"));
        assert!(refused("[previous]\nversion = \"two\"").contains("previous version"));
        assert!(refused("[[hardware]]\ninitial_version = \"\"").contains("initial_version"));
        assert!(refused("[[hardware]]\nshare = nan").contains("share"));
        assert!(refused("horizon_minutes = 18446744073709551615").contains("horizon"));
        assert!(refused("[campaign]\nquiet_minutes = 0").contains("quiet"));
        assert!(refused("[campaign]\nfailure_threshold = 101.0").contains("failure_threshold"));
        assert!(refused("[faults]\noffline_minutes = 99999999").contains("offline_minutes"));
        assert!(refused("devices = \"many\"").contains("devices"));
        let stages = |s: &str| format!("[campaign]\nstages = [{s}]");
        assert!(refused(&stages("{ name = \"x\" }")).contains("exactly one"));
        assert!(
            refused(&stages("{ name = \"x\", percent = 5.0, group = \"g\" }"))
                .contains("exactly one")
        );
        assert!(refused(&stages("{ name = \"x\", group = \"beta\" }")).contains("no group beta"));
        assert!(refused(&stages("{ name = \"x\", attribute = \"region\" }")).contains("key=value"));
        assert!(
            refused("[[attributes]]\nkey = \"version\"\nvalues = [\"1\"]").contains("attributes")
        );
    }

    #[test]
    fn sizes_are_bounded() {
        let refused = |text: &str| Scenario::parse(text).unwrap_err().to_string();
        assert_eq!(
            refused("devices = 1000001"),
            "scenario: devices must be 1 to 1000000, not 1000001"
        );
        assert!(Scenario::parse("devices = 1000000").is_ok());
        let hardware: String = (0..17)
            .map(|i| format!("[[hardware]]\nname = \"hw{i}\"\n"))
            .collect();
        assert!(refused(&hardware).contains("at most 16 hardware types"));
        let groups: String = (0..17)
            .map(|i| format!("[[groups]]\nname = \"g{i}\"\nshare = 0.5\n"))
            .collect();
        assert!(refused(&groups).contains("at most 16 groups"));
        let values: Vec<String> = (0..1001).map(|i| format!("\"v{i}\"")).collect();
        let attribute = format!(
            "[[attributes]]\nkey = \"k\"\nvalues = [{}]",
            values.join(",")
        );
        assert!(refused(&attribute).contains("at most 1000 values of attribute k"));
        let stages: Vec<String> = (0..101)
            .map(|i| format!("{{ name = \"s{i}\", percent = 100.0 }}"))
            .collect();
        let stages = format!("[campaign]\nstages = [{}]", stages.join(","));
        assert!(refused(&stages).contains("at most 100 stages"));
        assert!(
            refused("[faults]\ntampered_image_devices = 4294967295")
                .contains("tampered_image_devices must be at most 100")
        );
        let long = format!("name = \"{}\"", "n".repeat(129));
        assert!(refused(&long).contains("is 129 bytes, at most 128"));
        let release_hw: Vec<String> = (0..17).map(|i| format!("\"hw{i}\"")).collect();
        let release_hw = format!("[release]\nhardware = [{}]", release_hw.join(","));
        assert!(refused(&release_hw).contains("at most 16 release hardware ids"));
    }

    #[test]
    fn check_applies_to_a_changed_scenario() {
        let mut s = Scenario::parse("devices = 3").unwrap();
        s.devices = 1_000_000_000;
        assert!(
            s.check()
                .unwrap_err()
                .to_string()
                .contains("devices must be 1 to 1000000")
        );
        s.devices = 0;
        assert!(s.check().is_err());
    }

    #[test]
    fn a_version_that_is_no_version_is_called_that() {
        let err = Scenario::parse("[release]\nversion = \"banana\"")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "scenario: release version `banana` is not a version: expected MAJOR.MINOR.PATCH[-PRE][+BUILD], e.g. 1.2.0"
        );
        let err = Scenario::parse("[release]\nversion = \"1.01.0\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("leading zero"), "{err}");
        let err = Scenario::parse("[[hardware]]\ninitial_version = \"1.0\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("initial_version `1.0` is not a version"),
            "{err}"
        );
    }

    #[test]
    fn a_release_that_is_not_newer_is_refused() {
        let refused = |text: &str| Scenario::parse(text).unwrap_err().to_string();
        let err = refused("[release]\nversion = \"1.0.0\"");
        assert_eq!(
            err,
            "scenario: release version 1.0.0 is not newer than rev-a's initial_version 1.0.0: devices refuse it, so nothing would be updated"
        );
        assert!(refused("[release]\nversion = \"0.9.0\"").contains("not newer"));
        // Only the hardware types the release is built for count.
        let text = "[[hardware]]\nname = \"old\"\ninitial_version = \"1.0.0\"\n\
                    [[hardware]]\nname = \"new\"\ninitial_version = \"2.0.0\"\n\
                    [release]\nversion = \"1.1.0\"\n";
        assert!(refused(text).contains("new's initial_version 2.0.0"));
        assert!(Scenario::parse(&format!("{text}hardware = [\"old\"]")).is_ok());
        assert!(refused("[release]\nhardware = [\"rev-z\"]").contains("names none"));
        assert!(
            refused("[previous]\nversion = \"1.0.5\"")
                .contains("previous version 1.0.5 is not newer than the release version 1.1.0")
        );
        assert!(Scenario::parse("[previous]\nversion = \"1.1.1\"").is_ok());
    }
}
