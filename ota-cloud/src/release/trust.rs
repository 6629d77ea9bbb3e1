//! Trust-update documents: a signed root statement that rotates devices' keys
//! ([`ota_core::trust`]).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ota_core::crypto::TrustedKey;
use ota_core::document::{JobDocument, TrustUpdate};
use ota_core::trust::{KeyAlgorithm, MAX_ROLE_KEYS, MAX_ROOT_LEN, Root, RootStatement};
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::manifest::check_text;
use super::{Release, ReleaseError, SignedStatement, finish};
use crate::signing::Signer;

/// One role of a root: its keys (each bound to the algorithm it verifies) and how many
/// must sign.
#[derive(Debug, Clone, Copy)]
pub struct RoleSpec<'a> {
    /// How many distinct keys of the role must sign (1 to the number of keys).
    pub threshold: u8,
    /// The keys, 1 to [`MAX_ROLE_KEYS`].
    pub keys: &'a [TrustedKey],
}

/// What a root statement says.
#[derive(Debug, Clone, Copy)]
pub struct RootSpec<'a> {
    /// The product whose devices take it.
    pub product: &'a str,
    /// Its version: devices take only a higher one than they hold.
    pub version: u32,
    /// The keys that sign the next root statement.
    pub root: RoleSpec<'a>,
    /// The keys that sign firmware manifests.
    pub release: RoleSpec<'a>,
    /// The keys that sign "latest release" statements (the freeze defence,
    /// [`crate::freshness`]), if devices are to check them.
    pub timestamp: Option<RoleSpec<'a>>,
}

/// The canonical bytes of the root statement `spec` describes (the bytes its signers sign),
/// checked to read back as a root devices can hold.
///
/// # Errors
/// [`ReleaseError::BadField`] for an unusable product, a role without keys or with more
/// than [`MAX_ROLE_KEYS`], a threshold of 0 or above the keys, or a key of an algorithm a
/// root cannot carry (RSA-PSS with a salt other than 32); [`ReleaseError::SelfCheck`] when
/// it does not read back.
pub fn root_statement(spec: &RootSpec<'_>) -> Result<Vec<u8>, ReleaseError> {
    check_text("product", spec.product)?;
    for role in [
        Some(&spec.root),
        Some(&spec.release),
        spec.timestamp.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        if role.keys.is_empty() || role.keys.len() > MAX_ROLE_KEYS {
            return Err(ReleaseError::BadField {
                field: "keys",
                reason: "each role needs 1 to 8 keys",
            });
        }
        if role
            .keys
            .iter()
            .any(|k| KeyAlgorithm::of(k.algorithm()).is_none())
        {
            return Err(ReleaseError::BadField {
                field: "keys",
                reason: "a root carries P-256, RSA PKCS#1 v1.5 and RSA-PSS (32-byte salt) keys",
            });
        }
        if role.threshold == 0 || usize::from(role.threshold) > role.keys.len() {
            return Err(ReleaseError::BadField {
                field: "threshold",
                reason: "must be at least 1 and at most the role's keys",
            });
        }
    }
    let bytes =
        serde_json::to_vec(&Statement(spec)).map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    if bytes.len() > MAX_ROOT_LEN {
        return Err(ReleaseError::BadField {
            field: "root",
            reason: "the statement is longer than the 2048 bytes devices read: fewer or smaller keys",
        });
    }
    {
        let read =
            RootStatement::parse(&bytes).map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
        Root::<MAX_ROLE_KEYS>::from_statement(&read)
            .map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    }
    Ok(bytes)
}

/// A trust-update document for `spec`, signed by `signer` (one of the *current* root keys;
/// more sign in turn with [`super::cosign`]). The statement is parsed back and the
/// signature verified with the signer's public key before it is returned.
///
/// Does not check that the signer is a root key of the devices, nor that the new root's
/// own root keys sign too (devices require both thresholds: co-sign until they are met).
///
/// # Errors
/// As [`root_statement`], plus [`ReleaseError::Signing`] and
/// [`ReleaseError::DocumentTooLong`].
pub fn trust_update(spec: &RootSpec<'_>, signer: &dyn Signer) -> Result<Release, ReleaseError> {
    let statement = root_statement(spec)?;
    let signed = SignedStatement::sign(&statement, signer)?;
    let (root, signature, key_id) = signed.texts()?;
    let update = TrustUpdate {
        root,
        signature,
        key_id,
        cosignatures: None,
    };
    let document =
        serde_json::to_string(&update).map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    self_check(&document, &statement, signer)?;
    finish(document, signed.signature, signed.key_id, None)
}

fn self_check(document: &str, statement: &[u8], signer: &dyn Signer) -> Result<(), ReleaseError> {
    let JobDocument::TrustUpdate(read) = JobDocument::parse(document.as_bytes())? else {
        return Err(ReleaseError::SelfCheck("not read as a trust update".into()));
    };
    if STANDARD.decode(read.root.to_string()).ok().as_deref() != Some(statement) {
        return Err(ReleaseError::SelfCheck(
            "the statement reads back differently".into(),
        ));
    }
    let key = TrustedKey::new(signer.public_key().clone(), signer.algorithm())
        .map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    let signature = STANDARD
        .decode(read.signature.to_string())
        .map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    key.verify_message(
        statement,
        &signature,
        ota_core::crypto::SignatureEncoding::Der,
    )
    .map_err(|e| ReleaseError::SelfCheck(format!("signature: {e}")))
}

/// The statement in canonical member order.
struct Statement<'s, 'a>(&'s RootSpec<'a>);

impl Serialize for Statement<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let spec = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("type", ota_core::trust::ROOT_TYPE)?;
        map.serialize_entry("product", spec.product)?;
        map.serialize_entry("version", &spec.version)?;
        map.serialize_entry("root", &Role(&spec.root))?;
        map.serialize_entry("release", &Role(&spec.release))?;
        if let Some(timestamp) = &spec.timestamp {
            map.serialize_entry("timestamp", &Role(timestamp))?;
        }
        map.end()
    }
}

struct Role<'s, 'a>(&'s RoleSpec<'a>);

impl Serialize for Role<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("threshold", &self.0.threshold)?;
        let keys: Vec<Key<'_>> = self.0.keys.iter().map(Key).collect();
        map.serialize_entry("keys", &keys)?;
        map.end()
    }
}

struct Key<'k>(&'k TrustedKey);

impl Serialize for Key<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let algorithm = KeyAlgorithm::of(self.0.algorithm()).ok_or_else(|| {
            S::Error::custom("a root carries RSA-PSS keys with a 32-byte salt only")
        })?;
        let mut raw = [0u8; 1100];
        let len = self
            .0
            .key()
            .write_raw(&mut raw)
            .map_err(|e| S::Error::custom(e.to_string()))?;
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("algorithm", algorithm.name())?;
        map.serialize_entry("key", &STANDARD.encode(&raw[..len]))?;
        map.end()
    }
}
