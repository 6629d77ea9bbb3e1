//! Signing latest statements.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ota_core::crypto::{Digest, TrustStore, TrustedKey};
use ota_core::freshness::{LATEST_TYPE, LatestStatement, MAX_LATEST_LEN, SignedLatest};
use ota_core::version::{SecurityCounter, Version};
use serde::Serialize;

use crate::release::ReleaseError;
use crate::signing::Signer;

/// What a latest statement says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatestSpec<'a> {
    /// The product.
    pub product: &'a str,
    /// The latest release's version.
    pub version: Version,
    /// Its security counter.
    pub security_counter: SecurityCounter,
    /// When it is signed (Unix seconds).
    pub issued: u64,
    /// When it stops being valid (Unix seconds, not before `issued`).
    pub expires: u64,
}

/// A signed latest statement: what it says, and the members of the reply that carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedLatestStatement {
    /// Base64 of the statement bytes.
    pub latest: String,
    /// Base64 signature.
    pub signature: String,
    /// Hex key id of the signer.
    pub key_id: String,
    /// The product.
    #[serde(skip)]
    pub product: String,
    /// The release it names.
    #[serde(skip)]
    pub version: Version,
    /// When it was signed.
    #[serde(skip)]
    pub issued: u64,
    /// When it expires.
    #[serde(skip)]
    pub expires: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Statement<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    product: &'a str,
    version: String,
    security_counter: u32,
    issued: u64,
    expires: u64,
}

/// Sign `spec` with `signer` (a timestamp key). The statement is parsed back and the
/// signature checked with the device's own code before it is returned.
///
/// # Errors
/// [`ReleaseError::BadField`] for an empty product or an expiry before the issue time,
/// [`ReleaseError::Signing`], [`ReleaseError::SelfCheck`].
pub fn sign(
    spec: &LatestSpec<'_>,
    signer: &dyn Signer,
) -> Result<SignedLatestStatement, ReleaseError> {
    if spec.product.is_empty() || spec.product.contains('\\') {
        return Err(ReleaseError::BadField {
            field: "product",
            reason: "must be non-empty, without backslashes",
        });
    }
    if spec.expires < spec.issued {
        return Err(ReleaseError::BadField {
            field: "expires",
            reason: "must not be before issued",
        });
    }
    let bytes = serde_json::to_vec(&Statement {
        kind: LATEST_TYPE,
        product: spec.product,
        version: spec.version.to_string(),
        security_counter: spec.security_counter.0,
        issued: spec.issued,
        expires: spec.expires,
    })
    .map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    if bytes.len() > MAX_LATEST_LEN {
        return Err(ReleaseError::BadField {
            field: "product",
            reason: "the statement is longer than the 512 bytes devices read",
        });
    }
    LatestStatement::parse(&bytes).map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    let signature = signer.sign(&bytes)?;
    let signed = SignedLatestStatement {
        latest: STANDARD.encode(&bytes),
        signature: STANDARD.encode(&signature),
        key_id: signer.key_id().to_string(),
        product: spec.product.to_string(),
        version: spec.version,
        issued: spec.issued,
        expires: spec.expires,
    };
    self_check(&signed, &bytes, signer)?;
    Ok(signed)
}

fn self_check(
    signed: &SignedLatestStatement,
    bytes: &[u8],
    signer: &dyn Signer,
) -> Result<(), ReleaseError> {
    let reply = serde_json::to_vec(signed).map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    let read = SignedLatest::parse(&reply).map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    let mut keys = TrustStore::<1>::new();
    TrustedKey::new(signer.public_key().clone(), signer.algorithm())
        .and_then(|k| keys.add(k))
        .map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    read.signatures()
        .check(&keys, &Digest::sha256(bytes))
        .map(drop)
        .map_err(|e| ReleaseError::SelfCheck(format!("signature: {e}")))
}
