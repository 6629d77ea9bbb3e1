//! The compact form a device stores its root in, made from a verified statement.
//!
//! | bytes | field |
//! |---|---|
//! | 0..4 | magic `OTR1` |
//! | 4..8 | version, little-endian `u32` |
//! | 8 | root threshold |
//! | 9 | release threshold |
//! | 10 | timestamp threshold (0: no timestamp role) |
//! | 11 | key count |
//! | then, per key | role (1 root, 2 release, 3 timestamp), algorithm code, key length (`u16` LE), key bytes |
//!
//! Keys are stored as the statement carries them (a SEC1 point, a PKCS#1 DER), so storing
//! needs no key encoder. No checksum: the record store has its own, and authenticity came
//! from the statement's signatures before it was stored.

use crate::crypto::{Base64Mode, PublicKey, TrustStore, TrustedKey};

use super::statement::{KeyAlgorithm, RootKey, RootStatement};
use super::{Root, RootError};

const MAGIC: &[u8; 4] = b"OTR1";
const HEADER_LEN: usize = 12;
const ROLE_ROOT: u8 = 1;
const ROLE_RELEASE: u8 = 2;
const ROLE_TIMESTAMP: u8 = 3;

/// Write the compact form of a statement (checked with [`Root::from_statement`] or
/// [`Root::check_update`] first) into `out`; returns its length.
///
/// # Errors
/// [`RootError::TooLarge`] when it does not fit `out`, [`RootError::BadKey`] or
/// [`RootError::BadRole`] for a statement that was not checked.
pub fn encode(statement: &RootStatement<'_>, out: &mut [u8]) -> Result<usize, RootError> {
    let timestamp = statement.timestamp.as_ref();
    let count = statement.root.keys.len()
        + statement.release.keys.len()
        + timestamp.map_or(0, |t| t.keys.len());
    let header = out.get_mut(..HEADER_LEN).ok_or(RootError::TooLarge)?;
    header[..4].copy_from_slice(MAGIC);
    header[4..8].copy_from_slice(&statement.version.to_le_bytes());
    header[8] = statement.root.threshold;
    header[9] = statement.release.threshold;
    header[10] = timestamp.map_or(0, |t| t.threshold);
    header[11] = u8::try_from(count).map_err(|_| RootError::BadRole)?;
    let mut at = HEADER_LEN;
    let roles = [
        (ROLE_ROOT, Some(&statement.root)),
        (ROLE_RELEASE, Some(&statement.release)),
        (ROLE_TIMESTAMP, timestamp),
    ];
    for (role, statement) in roles {
        for key in statement.iter().flat_map(|r| r.keys.iter()) {
            at = encode_key(role, key, out, at)?;
        }
    }
    Ok(at)
}

fn encode_key(role: u8, key: &RootKey<'_>, out: &mut [u8], at: usize) -> Result<usize, RootError> {
    let body = out.get_mut(at + 4..).ok_or(RootError::TooLarge)?;
    let len = key
        .key
        .decode_base64(body, Base64Mode::Strict)
        .map_err(|_| RootError::TooLarge)?
        .len();
    let len16 = u16::try_from(len).map_err(|_| RootError::BadKey)?;
    out[at] = role;
    out[at + 1] = key.algorithm.code();
    out[at + 2..at + 4].copy_from_slice(&len16.to_le_bytes());
    Ok(at + 4 + len)
}

/// Read a root stored by [`encode`].
///
/// # Errors
/// [`RootError::Corrupt`] for bytes that are not a stored root, [`RootError::BadKey`] or
/// [`RootError::BadRole`] for one this build cannot hold (an RSA key without `alloc`, more
/// keys than `K`).
pub fn decode<const K: usize>(bytes: &[u8]) -> Result<Root<K>, RootError> {
    let header = bytes.get(..HEADER_LEN).ok_or(RootError::Corrupt)?;
    if &header[..4] != MAGIC {
        return Err(RootError::Corrupt);
    }
    let version = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    let (root_threshold, release_threshold) = (header[8], header[9]);
    let (timestamp_threshold, count) = (header[10], header[11]);
    let mut root = TrustStore::<K>::new();
    let mut release = TrustStore::<K>::new();
    let mut timestamp = TrustStore::<K>::new();
    let mut rest = &bytes[HEADER_LEN..];
    for _ in 0..count {
        let (role, algorithm, len) = match rest {
            [role, algorithm, lo, hi, ..] => (
                *role,
                *algorithm,
                usize::from(u16::from_le_bytes([*lo, *hi])),
            ),
            _ => return Err(RootError::Corrupt),
        };
        let key_bytes = rest.get(4..4 + len).ok_or(RootError::Corrupt)?;
        let algorithm = KeyAlgorithm::from_code(algorithm).ok_or(RootError::Corrupt)?;
        let key = trusted_key(algorithm, key_bytes)?;
        let store = match role {
            ROLE_ROOT => &mut root,
            ROLE_RELEASE => &mut release,
            ROLE_TIMESTAMP => &mut timestamp,
            _ => return Err(RootError::Corrupt),
        };
        store.add(key).map_err(|_| RootError::BadRole)?;
        rest = &rest[4 + len..];
    }
    if !rest.is_empty() {
        return Err(RootError::Corrupt);
    }
    root.set_threshold(root_threshold)
        .map_err(|_| RootError::BadRole)?;
    release
        .set_threshold(release_threshold)
        .map_err(|_| RootError::BadRole)?;
    let decoded = Root::new(version, root, release)?;
    match (timestamp_threshold, timestamp.is_empty()) {
        (0, true) => Ok(decoded),
        (0, false) | (_, true) => Err(RootError::Corrupt),
        (threshold, false) => {
            timestamp
                .set_threshold(threshold)
                .map_err(|_| RootError::BadRole)?;
            decoded.with_timestamp(timestamp)
        }
    }
}

/// A key of `algorithm` from its statement bytes (SEC1 point or PKCS#1 DER).
pub(super) fn trusted_key(algorithm: KeyAlgorithm, bytes: &[u8]) -> Result<TrustedKey, RootError> {
    let public = match algorithm {
        KeyAlgorithm::EcdsaP256 => PublicKey::from_sec1(bytes),
        KeyAlgorithm::RsaPkcs1v15 | KeyAlgorithm::RsaPss => PublicKey::from_pkcs1_der(bytes),
    }
    .map_err(|_| RootError::BadKey)?;
    TrustedKey::new(public, algorithm.algorithm()).map_err(|_| RootError::BadKey)
}
