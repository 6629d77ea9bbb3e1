//! [`Release`]: one firmware build as the backend offers it, and [`Incompatibility`]: why a
//! device cannot take it.

use ota_core::version::{SecurityCounter, Version};
use serde::{Deserialize, Serialize};

use super::requirement::VersionReq;

/// A firmware release.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    /// Unique in the catalog.
    pub id: String,
    /// Its version; devices refuse anything that does not follow their running version in
    /// semver precedence.
    pub version: Version,
    /// The product line it belongs to (update paths stay within it).
    pub product: String,
    /// Hardware ids it runs on.
    pub hardware: Vec<String>,
    /// Running versions it may be installed over; `None` for any older version.
    pub requires: Option<VersionReq>,
    /// The anti-rollback counter in its signed manifest (not checked here: the registry does
    /// not know a device's counter).
    pub security_counter: SecurityCounter,
    /// The signed job document, opaque here (JSON text for AWS).
    pub document: String,
}

impl Release {
    /// A release without a starting-version requirement, with security counter 0.
    pub fn new(
        id: impl Into<String>,
        product: impl Into<String>,
        version: Version,
        hardware: impl IntoIterator<Item = impl Into<String>>,
        document: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            version,
            product: product.into(),
            hardware: hardware.into_iter().map(Into::into).collect(),
            requires: None,
            security_counter: SecurityCounter(0),
            document: document.into(),
        }
    }

    /// This release with a starting-version requirement.
    #[must_use]
    pub fn requiring(mut self, requires: VersionReq) -> Self {
        self.requires = Some(requires);
        self
    }

    /// Whether it runs on `hardware`.
    pub fn supports(&self, hardware: &str) -> bool {
        self.hardware.iter().any(|h| h == hardware)
    }

    /// Whether a device with `hardware` running `running` can install it, checked in this
    /// order: hardware, newer than running (semver precedence, as the device compares),
    /// then `requires`. Says nothing about whether the release is in a catalog
    /// ([`super::Catalog::can_take`] does).
    ///
    /// # Errors
    /// The first check that fails.
    pub fn can_take(&self, hardware: &str, running: &Version) -> Result<(), Incompatibility> {
        if !self.supports(hardware) {
            return Err(Incompatibility::WrongHardware {
                hardware: hardware.to_string(),
                supported: self.hardware.clone(),
            });
        }
        if !self.version.cmp_precedence(running).is_gt() {
            return Err(Incompatibility::NotNewer {
                running: Box::new(*running),
                release: Box::new(self.version),
            });
        }
        match &self.requires {
            Some(requires) if !requires.matches(running) => {
                Err(Incompatibility::RunningVersionNotAllowed {
                    running: Box::new(*running),
                    requires: requires.clone(),
                })
            }
            _ => Ok(()),
        }
    }
}

/// Why a device cannot take a release. (Versions are boxed to keep the error small.)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Incompatibility {
    /// The release is not in the catalog (or differs from the catalog's entry of that id).
    #[error("release {release} is not in the catalog")]
    UnknownRelease {
        /// Its id.
        release: String,
    },
    /// The device's hardware is not among the release's.
    #[error("hardware {hardware} is not among the release's {supported:?}")]
    WrongHardware {
        /// The device's.
        hardware: String,
        /// The release's.
        supported: Vec<String>,
    },
    /// The release does not follow the running version: a downgrade or a reinstall, which
    /// devices refuse.
    #[error("release {release} is not newer than the running {running}")]
    NotNewer {
        /// The device's.
        running: Box<Version>,
        /// The release's.
        release: Box<Version>,
    },
    /// The running version does not meet the release's `requires`.
    #[error("running {running} does not meet the release's requirement {requires}")]
    RunningVersionNotAllowed {
        /// The device's.
        running: Box<Version>,
        /// The release's.
        requires: VersionReq,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::version as v;

    #[test]
    fn checks_hardware_then_order_then_requirement() {
        let r = Release::new("fw-2", "acme", v("2.0.0"), ["rev-b"], "{}")
            .requiring(VersionReq::parse(">=1.2.0").unwrap());
        assert_eq!(r.can_take("rev-b", &v("1.4.0")), Ok(()));
        assert!(matches!(
            r.can_take("rev-a", &v("3.0.0")),
            Err(Incompatibility::WrongHardware { .. })
        ));
        assert!(matches!(
            r.can_take("rev-b", &v("2.0.0+other-build")),
            Err(Incompatibility::NotNewer { .. })
        ));
        assert!(matches!(
            r.can_take("rev-b", &v("2.1.0")),
            Err(Incompatibility::NotNewer { .. })
        ));
        let err = r.can_take("rev-b", &v("1.1.0")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "running 1.1.0 does not meet the release's requirement >=1.2.0"
        );
        assert_eq!(r.can_take("rev-b", &v("2.0.0-rc.1")), Ok(()), "rc precedes");
    }

    #[test]
    fn serde_uses_camel_case_and_text_versions() {
        let r = Release::new("fw-2", "acme", v("2.0.0"), ["rev-b"], "{}")
            .requiring(VersionReq::parse("^1.2").unwrap());
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["version"], "2.0.0");
        assert_eq!(json["requires"], "^1.2");
        assert_eq!(json["securityCounter"], 0);
        let back: Release = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
    }
}
