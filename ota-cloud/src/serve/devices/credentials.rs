//! Device credentials for the MQTT endpoint: one random password per thing, issued by the
//! admin API, stored as a salted SHA-256 in `DIR/device-credentials.json` (written whole:
//! temporary file, sync, rename). Passwords are 256 random bits, so a fast hash is enough:
//! there is nothing to guess.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::serve::secrets::{constant_time_eq, hex};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stored {
    salt: String,
    sha256: String,
}

/// The credentials of every thing that has one.
#[derive(Debug)]
pub(crate) struct Credentials {
    path: PathBuf,
    things: Mutex<BTreeMap<String, Stored>>,
}

fn digest(salt: &str, password: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(b"\n");
    hasher.update(password.as_bytes());
    hex(&hasher.finalize())
}

fn random_hex(bytes: usize) -> std::io::Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(hex(&buf))
}

impl Credentials {
    /// Load `path` (none yet is an empty set).
    ///
    /// # Errors
    /// The file cannot be read or is not a credentials file.
    pub(crate) fn open(path: &Path) -> std::io::Result<Self> {
        let things = match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: {e}", path.display()),
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(e),
        };
        Ok(Self {
            path: path.to_path_buf(),
            things: Mutex::new(things),
        })
    }

    fn store(&self, things: &BTreeMap<String, Stored>) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(things).map_err(std::io::Error::other)?;
        let temp = self.path.with_extension("json.part");
        std::fs::write(&temp, text)?;
        std::fs::File::open(&temp)?.sync_all()?;
        std::fs::rename(&temp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            #[cfg(unix)]
            std::fs::File::open(dir)?.sync_all()?;
            #[cfg(not(unix))]
            let _ = dir;
        }
        Ok(())
    }

    /// A new password for `thing`, replacing any earlier one (which stops working at once).
    /// Returned once: only its salted hash is kept.
    ///
    /// # Errors
    /// The file cannot be written; nothing changes then.
    pub(crate) fn issue(&self, thing: &str) -> std::io::Result<String> {
        let password = random_hex(32)?;
        let salt = random_hex(16)?;
        let mut things = self.things.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = things.clone();
        next.insert(
            thing.to_string(),
            Stored {
                sha256: digest(&salt, &password),
                salt,
            },
        );
        self.store(&next)?;
        *things = next;
        Ok(password)
    }

    /// Remove `thing`'s credentials. Returns whether it had any.
    ///
    /// # Errors
    /// The file cannot be written; nothing changes then.
    pub(crate) fn revoke(&self, thing: &str) -> std::io::Result<bool> {
        let mut things = self.things.lock().unwrap_or_else(PoisonError::into_inner);
        if !things.contains_key(thing) {
            return Ok(false);
        }
        let mut next = things.clone();
        next.remove(thing);
        self.store(&next)?;
        *things = next;
        Ok(true)
    }

    /// Whether `password` is `thing`'s.
    pub(crate) fn verify(&self, thing: &str, password: &[u8]) -> bool {
        let things = self.things.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(stored) = things.get(thing) else {
            return false;
        };
        let Ok(password) = std::str::from_utf8(password) else {
            return false;
        };
        constant_time_eq(
            digest(&stored.salt, password).as_bytes(),
            stored.sha256.as_bytes(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_verified_rotated_revoked_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device-credentials.json");
        let creds = Credentials::open(&path).unwrap();
        assert!(!creds.verify("d1", b"anything"));
        let first = creds.issue("d1").unwrap();
        assert!(creds.verify("d1", first.as_bytes()));
        assert!(!creds.verify("d2", first.as_bytes()));
        assert!(!creds.verify("d1", b""));
        let second = creds.issue("d1").unwrap();
        assert_ne!(first, second);
        assert!(
            !creds.verify("d1", first.as_bytes()),
            "the old password stops working"
        );
        let reloaded = Credentials::open(&path).unwrap();
        assert!(reloaded.verify("d1", second.as_bytes()));
        assert!(!std::fs::read_to_string(&path).unwrap().contains(&second));
        assert!(reloaded.revoke("d1").unwrap());
        assert!(!reloaded.revoke("d1").unwrap());
        assert!(!reloaded.verify("d1", second.as_bytes()));
    }
}
