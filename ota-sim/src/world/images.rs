//! The images of a run, drawn from the seed: a factory image per starting version, and a
//! build of the release (and of the rollback release) per hardware type it is for, each a
//! different image on its own stream, as on a real fleet; with `[[trust.attacks]]`, the
//! attacker's image.

use std::collections::BTreeMap;

use ota_core::version::Version;

use super::{KnownImage, below_min_version, stream_id};
use crate::release::image;
use crate::responder::Responder;
use crate::rng::SimRng;
use crate::scenario::Scenario;
use crate::storage::ImageSet;

/// Every image made, and what each one is.
#[derive(Default)]
pub(super) struct Images {
    /// The bytes, by index.
    pub(super) set: ImageSet,
    /// What each image of `set` is, at the same index.
    pub(super) known: Vec<KnownImage>,
    /// The factory image of each starting version.
    pub(super) factory: BTreeMap<String, usize>,
    /// The image of each (role, hardware) build.
    pub(super) builds: BTreeMap<(&'static str, String), usize>,
}

impl Images {
    /// Draw the factory images, then the builds (serving each on its stream from
    /// `responder`).
    pub(super) fn make(scenario: &Scenario, rng: &mut SimRng, responder: &mut Responder) -> Self {
        let mut images = Self::default();
        images.add_factory(scenario, rng);
        images.add_builds(scenario, rng, responder);
        images.add_attack(scenario, rng, responder);
        images
    }

    /// The attacker's image for the first hardware type, when the scenario has attacks.
    fn add_attack(&mut self, scenario: &Scenario, rng: &mut SimRng, responder: &mut Responder) {
        let attacked = scenario
            .trust
            .as_ref()
            .is_some_and(|t| !t.attacks.is_empty());
        let Some(hw) = scenario.hardware.first().filter(|_| attacked) else {
            return;
        };
        let bytes = image(scenario.image.size, "attacker", rng);
        responder.add_stream(super::ATTACK_STREAM, bytes.clone());
        let index = self.add(
            bytes,
            super::ATTACK_VERSION,
            "attack",
            Some(hw.name.clone()),
        );
        self.builds.insert(("attack", hw.name.clone()), index);
    }

    /// One factory image per distinct starting version, plus the below-minimum one.
    fn add_factory(&mut self, scenario: &Scenario, rng: &mut SimRng) {
        let mut versions: Vec<String> = scenario
            .hardware
            .iter()
            .map(|h| h.initial_version.clone())
            .collect();
        versions.push(below_min_version(scenario).to_string());
        for v in versions {
            if !self.factory.contains_key(&v) {
                let index = self.add(image(scenario.image.size, &v, rng), &v, "factory", None);
                self.factory.insert(v, index);
            }
        }
    }

    /// One build of the release, and of the rollback release when there is one, per
    /// hardware type each is for (every type when the release names none).
    fn add_builds(&mut self, scenario: &Scenario, rng: &mut SimRng, responder: &mut Responder) {
        let releases = [
            ("release", Some(&scenario.release)),
            ("rollback", scenario.previous.as_ref()),
        ];
        for (role, spec) in releases {
            let Some(spec) = spec else { continue };
            let targets: Vec<String> = if spec.hardware.is_empty() {
                scenario.hardware.iter().map(|h| h.name.clone()).collect()
            } else {
                spec.hardware.clone()
            };
            for hw in targets {
                let label = format!("{} {hw}", spec.version);
                let bytes = image(scenario.image.size, &label, rng);
                responder.add_stream(&stream_id(&spec.version, &hw), bytes.clone());
                let index = self.add(bytes, &spec.version, role, Some(hw.clone()));
                self.builds.insert((role, hw), index);
            }
        }
    }

    /// Add `bytes` as an image of `version`; returns its index.
    fn add(
        &mut self,
        bytes: std::sync::Arc<[u8]>,
        version: &str,
        role: &'static str,
        hardware: Option<String>,
    ) -> usize {
        let index = self.set.add(bytes);
        self.known.push(KnownImage {
            version: Version::parse(version).unwrap_or(Version::new(0, 0, 0)),
            role,
            hardware,
        });
        index
    }
}
