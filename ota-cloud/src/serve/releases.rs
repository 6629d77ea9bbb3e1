//! [`Releases`]: the catalog of releases, one JSON file per release in the data directory,
//! each written whole (temporary file, sync, rename) before it is accepted.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::catalog::{Catalog, CatalogError, Release};

use super::artifacts::valid_name;

/// Why a release was not stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReleaseError {
    /// The catalog refused it (a taken id, a version taken on shared hardware, ...).
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The id cannot name a file (use `A-Z a-z 0-9 . _ -`).
    #[error("release id {0:?}: use 1 to 128 of A-Z a-z 0-9 . _ - not starting with a dot")]
    BadId(String),
    /// The disk refused.
    #[error("release storage: {0}")]
    Io(#[from] std::io::Error),
    /// A stored release does not read back.
    #[error("{path}: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// The stored catalog.
#[derive(Debug)]
pub struct Releases {
    dir: PathBuf,
    catalog: Mutex<Catalog>,
}

impl Releases {
    /// Load every release in `dir` (created if absent).
    ///
    /// # Errors
    /// [`ReleaseError::Io`], [`ReleaseError::Corrupt`] for a file that is not a release or
    /// that the catalog refuses.
    pub fn open(dir: &Path) -> Result<Self, ReleaseError> {
        std::fs::create_dir_all(dir)?;
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        let mut catalog = Catalog::new();
        for path in paths {
            let corrupt = |message: String| ReleaseError::Corrupt {
                path: path.clone(),
                message,
            };
            let text = std::fs::read_to_string(&path)?;
            let release: Release =
                serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
            catalog.add(release).map_err(|e| corrupt(e.to_string()))?;
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            catalog: Mutex::new(catalog),
        })
    }

    /// Add `release`: checked by the catalog, written, then added.
    ///
    /// # Errors
    /// [`ReleaseError`]; nothing is stored then.
    pub fn add(&self, release: Release) -> Result<(), ReleaseError> {
        if !valid_name(&release.id) {
            return Err(ReleaseError::BadId(release.id));
        }
        let mut catalog = self.catalog.lock().unwrap_or_else(PoisonError::into_inner);
        let mut trial = catalog.clone();
        trial.add(release.clone())?;
        let text = serde_json::to_string_pretty(&release)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let path = self.dir.join(format!("{}.json", release.id));
        let temp = self.dir.join(format!(".{}.json.part", release.id));
        let written = (|| {
            std::fs::write(&temp, text.as_bytes())?;
            std::fs::File::open(&temp)?.sync_all()?;
            std::fs::rename(&temp, &path)?;
            #[cfg(unix)]
            std::fs::File::open(&self.dir)?.sync_all()?;
            Ok::<_, std::io::Error>(())
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(e.into());
        }
        *catalog = trial;
        Ok(())
    }

    /// A copy of the catalog.
    pub fn catalog(&self) -> Catalog {
        self.catalog
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ota_core::version::Version;

    fn release(id: &str, version: &str) -> Release {
        Release::new(
            id,
            "sensor",
            Version::parse(version).unwrap(),
            ["board-a"],
            "{\"operation\":\"update\"}",
        )
    }

    #[test]
    fn stored_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let releases = Releases::open(dir.path()).unwrap();
        releases.add(release("fw-1.0.0", "1.0.0")).unwrap();
        releases.add(release("fw-1.1.0", "1.1.0")).unwrap();
        assert!(matches!(
            releases.add(release("fw-1.0.0", "1.2.0")),
            Err(ReleaseError::Catalog(CatalogError::DuplicateId(_)))
        ));
        assert!(matches!(
            releases.add(release("fw-again", "1.1.0")),
            Err(ReleaseError::Catalog(CatalogError::VersionTaken { .. }))
        ));
        assert!(matches!(
            releases.add(release("../x", "9.0.0")),
            Err(ReleaseError::BadId(_))
        ));
        let reopened = Releases::open(dir.path()).unwrap();
        assert_eq!(reopened.catalog().len(), 2);
        assert_eq!(
            reopened.catalog().get("fw-1.1.0"),
            Some(&release("fw-1.1.0", "1.1.0"))
        );
    }

    #[test]
    fn a_corrupt_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bad.json"), "{").unwrap();
        assert!(matches!(
            Releases::open(dir.path()),
            Err(ReleaseError::Corrupt { .. })
        ));
    }
}
