//! The firmware catalog: [`Release`]s with their hardware, starting-version requirement
//! ([`VersionReq`]) and signed document; whether a device can take one
//! ([`Catalog::can_take`], with a typed [`Incompatibility`]); and the shortest chain of
//! upgrades from a running version to a release ([`Catalog::update_path`]).
//!
//! Versions compare by semver precedence, as devices do: a release is "newer" only if it
//! precedes nothing the device runs, so a reinstall or downgrade is never offered. Rolling
//! back therefore means a re-signed build of the old firmware under a *higher* version (see
//! [`crate::campaign`]).
//!
//! Not here: security counters (the registry does not know a device's), release lifecycle
//! (draft, deprecated), persistence.

mod path;
mod release;
mod requirement;

use std::collections::BTreeMap;

use ota_core::version::Version;

pub use release::{Incompatibility, Release};
pub use requirement::{MAX_COMPARATORS, MAX_REQUIREMENT_LEN, Op, RequirementError, VersionReq};

/// Why [`Catalog::add`] refused a release.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// A release already has this id.
    #[error("release id {0} is taken")]
    DuplicateId(String),
    /// The id or product is empty.
    #[error("release id and product must not be empty")]
    EmptyName,
    /// The release lists no hardware.
    #[error("release {0} lists no hardware")]
    NoHardware(String),
    /// A release of the same product with the same version (by precedence) shares hardware
    /// with it: devices could not tell them apart.
    #[error("release {existing} of {product} already has version {version} on shared hardware")]
    VersionTaken {
        /// The product.
        product: String,
        /// The version.
        version: Box<Version>,
        /// The release that has it.
        existing: String,
    },
    /// The release's job document is longer than AWS IoT Jobs accepts.
    #[error("release {id}: {error}")]
    DocumentTooLong {
        /// The release.
        id: String,
        /// Its length and the limit.
        error: crate::DocumentTooLong,
    },
}

/// Releases by id.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    releases: BTreeMap<String, Release>,
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a release. Nothing is ever replaced: publish a new id instead.
    ///
    /// # Errors
    /// [`CatalogError`] for a duplicate id, an empty id or product, no hardware, a document
    /// over [`crate::MAX_DOCUMENT_LEN`], or a version already given to the same product on
    /// shared hardware.
    pub fn add(&mut self, release: Release) -> Result<(), CatalogError> {
        if release.id.is_empty() || release.product.is_empty() {
            return Err(CatalogError::EmptyName);
        }
        if release.hardware.is_empty() {
            return Err(CatalogError::NoHardware(release.id));
        }
        if let Err(error) = crate::check_document_len(release.document.len() as u64) {
            return Err(CatalogError::DocumentTooLong {
                id: release.id,
                error,
            });
        }
        if self.releases.contains_key(&release.id) {
            return Err(CatalogError::DuplicateId(release.id));
        }
        if let Some(existing) = self.releases.values().find(|r| {
            r.product == release.product
                && r.version.cmp_precedence(&release.version).is_eq()
                && r.hardware.iter().any(|h| release.supports(h))
        }) {
            return Err(CatalogError::VersionTaken {
                product: release.product,
                version: Box::new(release.version),
                existing: existing.id.clone(),
            });
        }
        self.releases.insert(release.id.clone(), release);
        Ok(())
    }

    /// The release with this id.
    pub fn get(&self, id: &str) -> Option<&Release> {
        self.releases.get(id)
    }

    /// Every release, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Release> {
        self.releases.values()
    }

    /// How many releases.
    pub fn len(&self) -> usize {
        self.releases.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.releases.is_empty()
    }

    /// The releases that run on `hardware`, oldest first (ties by id). Whatever the device
    /// runs: filter with [`Catalog::can_take`].
    pub fn releases_for(&self, hardware: &str) -> Vec<&Release> {
        let mut found: Vec<&Release> = self
            .releases
            .values()
            .filter(|r| r.supports(hardware))
            .collect();
        found.sort_by(|a, b| {
            a.version
                .cmp_precedence(&b.version)
                .then_with(|| a.id.cmp(&b.id))
        });
        found
    }

    /// Whether a device with `hardware` running `running` can install `release` directly:
    /// the release must be this catalog's entry of its id, then [`Release::can_take`].
    ///
    /// # Errors
    /// [`Incompatibility::UnknownRelease`], or the release's first failing check.
    pub fn can_take(
        &self,
        release: &Release,
        hardware: &str,
        running: &Version,
    ) -> Result<(), Incompatibility> {
        if self.get(&release.id) != Some(release) {
            return Err(Incompatibility::UnknownRelease {
                release: release.id.clone(),
            });
        }
        release.can_take(hardware, running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(id: &str, version: &str, hardware: &[&str]) -> Release {
        Release::new(
            id,
            "acme",
            Version::parse(version).unwrap(),
            hardware.iter().copied(),
            "{}",
        )
    }

    #[test]
    fn add_refuses_ambiguous_releases() {
        let mut c = Catalog::new();
        c.add(release("fw-1", "1.0.0", &["a"])).unwrap();
        assert_eq!(
            c.add(release("fw-1", "1.1.0", &["a"])),
            Err(CatalogError::DuplicateId("fw-1".into()))
        );
        assert!(matches!(
            c.add(release("fw-1b", "1.0.0+rebuild", &["b", "a"])),
            Err(CatalogError::VersionTaken { .. })
        ));
        assert_eq!(
            c.add(release("fw-x", "1.0.0", &[])),
            Err(CatalogError::NoHardware("fw-x".into()))
        );
        assert_eq!(
            c.add(release("", "1.0.0", &["a"])),
            Err(CatalogError::EmptyName)
        );
        c.add(release("fw-1-b", "1.0.0", &["b"])).unwrap();
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn add_refuses_a_document_over_the_jobs_limit() {
        let mut c = Catalog::new();
        let mut long = release("fw-2", "2.0.0", &["a"]);
        long.document = format!(r#"{{"x":"{}"}}"#, "y".repeat(1_048_576));
        let err = c.add(long).unwrap_err();
        assert_eq!(
            err.to_string(),
            "release fw-2: document too long: 1048584 bytes, at most 32768"
        );
        assert!(c.is_empty());
    }

    #[test]
    fn releases_for_lists_by_version() {
        let mut c = Catalog::new();
        for r in [
            release("z", "1.0.0", &["a"]),
            release("y", "2.0.0", &["a", "b"]),
            release("x", "1.5.0", &["b"]),
        ] {
            c.add(r).unwrap();
        }
        let ids = |hw| -> Vec<String> {
            c.releases_for(hw)
                .into_iter()
                .map(|r| r.id.clone())
                .collect()
        };
        assert_eq!(ids("a"), ["z", "y"]);
        assert_eq!(ids("b"), ["x", "y"]);
        assert!(ids("c").is_empty());
    }

    #[test]
    fn can_take_refuses_releases_not_in_the_catalog() {
        let mut c = Catalog::new();
        let r = release("fw-2", "2.0.0", &["a"]);
        let running = Version::new(1, 0, 0);
        assert!(matches!(
            c.can_take(&r, "a", &running),
            Err(Incompatibility::UnknownRelease { .. })
        ));
        c.add(r.clone()).unwrap();
        assert_eq!(c.can_take(&r, "a", &running), Ok(()));
        let mut altered = r.clone();
        altered.document = "{\"tampered\":true}".into();
        assert!(matches!(
            c.can_take(&altered, "a", &running),
            Err(Incompatibility::UnknownRelease { .. })
        ));
        assert!(matches!(
            c.can_take(&r, "a", &Version::new(2, 0, 0)),
            Err(Incompatibility::NotNewer { .. })
        ));
    }
}
