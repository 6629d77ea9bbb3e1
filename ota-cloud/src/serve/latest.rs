//! The freeze defence in the service: which release is the latest per product (set through
//! the API, kept in `latest.json`), signed with the service's timestamp key
//! (`timestamp-key.pem`, made on first start, mode 0600) for `latest_lifetime_secs`, signed
//! again every quarter of that, and handed to devices by the gateway ([`LatestBoard`]).
//!
//! Devices take these statements only when their root names the timestamp key (`ota-cloud
//! root --timestamp-key`): `GET /api/v1/latest` gives it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use ota_core::version::{SecurityCounter, Version};
use serde::{Deserialize, Serialize};

use super::ServeError;
use super::secrets::{place_private, read_private};
use crate::freshness::{LatestBoard, LatestSpec, SharedBoard, SignedLatestStatement, sign};
use crate::signing::{KeyAlgorithm, LocalSigner, PrivateKey, Signer as _};

/// The latest release of a product, as set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct LatestSetting {
    pub(crate) version: Version,
    pub(crate) security_counter: u32,
}

/// Why a setting was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LatestError {
    /// The product or the statement is unusable.
    #[error("{0}")]
    Invalid(String),
    /// `latest.json` could not be written.
    #[error("latest.json: {0}")]
    Store(std::io::Error),
}

/// The service's latest statements.
pub(crate) struct Latest {
    pub(crate) board: SharedBoard,
    signer: LocalSigner,
    public_pem: String,
    settings: Mutex<BTreeMap<String, LatestSetting>>,
    path: PathBuf,
    lifetime_secs: u64,
}

impl Latest {
    /// Load (or make) the timestamp key and the settings in `data`, and sign every setting
    /// at `now_secs`.
    ///
    /// # Errors
    /// [`ServeError::Data`] for a key or settings file that cannot be read, made or parsed.
    pub(crate) fn open(data: &Path, lifetime_secs: u64, now_secs: u64) -> Result<Self, ServeError> {
        let key_path = data.join("timestamp-key.pem");
        let (signer, public_pem) =
            load_or_create_key(&key_path).map_err(|source| ServeError::Data {
                path: key_path.clone(),
                source,
            })?;
        let path = data.join("latest.json");
        let settings = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| ServeError::Data {
                path: path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(source) => return Err(ServeError::Data { path, source }),
        };
        let latest = Self {
            board: LatestBoard::shared(),
            signer,
            public_pem,
            settings: Mutex::new(settings),
            path,
            lifetime_secs,
        };
        latest.refresh(now_secs);
        Ok(latest)
    }

    /// The timestamp key's public half (SPKI PEM), for `ota-cloud root --timestamp-key`.
    pub(crate) fn public_key_pem(&self) -> &str {
        &self.public_pem
    }

    /// The timestamp key's id.
    pub(crate) fn key_id(&self) -> String {
        self.signer.key_id().to_string()
    }

    /// How long a statement is valid, seconds.
    pub(crate) fn lifetime_secs(&self) -> u64 {
        self.lifetime_secs
    }

    /// Make `setting` the latest release of `product`: sign it at `now_secs`, store it, and
    /// hand it out.
    ///
    /// # Errors
    /// [`LatestError::Invalid`] for a product a statement cannot carry (nothing changes),
    /// [`LatestError::Store`] when it cannot be stored (nothing changes).
    pub(crate) fn set(
        &self,
        product: &str,
        setting: LatestSetting,
        now_secs: u64,
    ) -> Result<SignedLatestStatement, LatestError> {
        let signed = self
            .sign(product, &setting, now_secs)
            .map_err(|e| LatestError::Invalid(e.to_string()))?;
        let mut settings = self.settings.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = settings.clone();
        next.insert(product.to_string(), setting);
        store(&self.path, &next).map_err(LatestError::Store)?;
        *settings = next;
        self.publish(signed.clone());
        Ok(signed)
    }

    /// Sign every setting again at `now_secs` (a statement that fails to sign keeps its
    /// old one, which then expires: devices notice).
    pub(crate) fn refresh(&self, now_secs: u64) {
        let settings = self
            .settings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for (product, setting) in &settings {
            match self.sign(product, setting, now_secs) {
                Ok(signed) => self.publish(signed),
                Err(e) => tracing::warn!(%product, error = %e, "latest statement not signed"),
            }
        }
    }

    fn sign(
        &self,
        product: &str,
        setting: &LatestSetting,
        now_secs: u64,
    ) -> Result<SignedLatestStatement, crate::release::ReleaseError> {
        let spec = LatestSpec {
            product,
            version: setting.version,
            security_counter: SecurityCounter(setting.security_counter),
            issued: now_secs,
            expires: now_secs.saturating_add(self.lifetime_secs),
        };
        sign(&spec, &self.signer)
    }

    fn publish(&self, signed: SignedLatestStatement) {
        self.board
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .publish(signed);
    }
}

/// The timestamp key in `path`, made (P-256, PKCS#8 PEM, mode 0600) if absent, and its
/// public half (SPKI PEM).
fn load_or_create_key(path: &Path) -> std::io::Result<(LocalSigner, String)> {
    let invalid = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
    if !path.exists() {
        let key = PrivateKey::generate(KeyAlgorithm::P256).map_err(|e| invalid(e.to_string()))?;
        let pem = key.to_pkcs8_pem().map_err(|e| invalid(e.to_string()))?;
        place_private(path, pem.as_bytes())?;
    }
    let text = read_private(path)?;
    let key = PrivateKey::from_pem(&text).map_err(|e| invalid(e.to_string()))?;
    let public = key.public_key_pem();
    let signer =
        LocalSigner::with_default_algorithm(key, false).map_err(|e| invalid(e.to_string()))?;
    Ok((signer, public))
}

/// Write `settings` whole to `path` (a temporary file, synced, renamed into place).
fn store(path: &Path, settings: &BTreeMap<String, LatestSetting>) -> std::io::Result<()> {
    let text = serde_json::to_vec_pretty(settings).map_err(std::io::Error::other)?;
    let temp = path.with_extension("json.part");
    let written = (|| {
        std::fs::write(&temp, &text)?;
        std::fs::File::open(&temp)?.sync_all()?;
        std::fs::rename(&temp, path)?;
        #[cfg(unix)]
        if let Some(dir) = path.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Sign every statement again every quarter of their lifetime, until `stopped`.
pub(crate) async fn refresh_all(
    shared: std::sync::Arc<super::Shared>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let period = std::time::Duration::from_secs((shared.latest.lifetime_secs() / 4).max(1));
    loop {
        tokio::select! {
            () = tokio::time::sleep(period) => shared.latest.refresh(shared.now_secs()),
            _ = stopped.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_and_key_survive_a_restart_and_statements_are_fresh() {
        let dir = tempfile::tempdir().unwrap();
        let latest = Latest::open(dir.path(), 3600, 1_000).unwrap();
        let setting = LatestSetting {
            version: Version::new(1, 2, 0),
            security_counter: 3,
        };
        let signed = latest.set("acme", setting.clone(), 1_000).unwrap();
        assert_eq!((signed.issued, signed.expires), (1_000, 4_600));
        assert!(matches!(
            latest.set("", setting.clone(), 1_000),
            Err(LatestError::Invalid(_))
        ));
        let key = latest.key_id();

        let again = Latest::open(dir.path(), 3600, 2_000).unwrap();
        assert_eq!(again.key_id(), key, "the same timestamp key");
        let board = again.board.lock().unwrap();
        let statement = board.statements().next().unwrap();
        assert_eq!(
            (statement.product.as_str(), statement.issued),
            ("acme", 2_000)
        );
        assert_eq!(statement.version, Version::new(1, 2, 0));
    }

    #[test]
    fn a_readable_key_or_a_corrupt_settings_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("latest.json"), b"{not json").unwrap();
        assert!(matches!(
            Latest::open(dir.path(), 3600, 0),
            Err(ServeError::Data { .. })
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let other = tempfile::tempdir().unwrap();
            let key = other.path().join("timestamp-key.pem");
            std::fs::write(&key, b"x").unwrap();
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(Latest::open(other.path(), 3600, 0).is_err());
        }
    }
}
