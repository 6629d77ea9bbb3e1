//! X.509 code-signing certificate chains (feature `x509`, needs `std`).
//!
//! [`verify_chain`] builds a path from a leaf certificate through untrusted intermediates to
//! one of the device's pinned roots, checks it against a [`CodeSigningPolicy`] and returns the
//! leaf's key as a [`crate::crypto::PublicKey`]. Parsing is x509-parser's (without its
//! `verify` feature); every signature is checked with this crate's own [`crate::crypto`]
//! (P-256 and RSA through RustCrypto) over the raw `tbsCertificate`.
//!
//! Checked: the signature of every link, with the algorithm allowed by the policy for the
//! issuer's key (ecdsa-with-SHA256 on P-256; sha256WithRSAEncryption and RSASSA-PSS
//! SHA-256/MGF1-SHA-256/salt 32 on RSA ≥ 2048 bits with e = 65537); X.509 v3; the validity of
//! every certificate, roots included, at the injected time (bounds inclusive); issuers:
//! critical basicConstraints with cA, pathLenConstraint (self-issued certificates not counted),
//! keyCertSign when keyUsage is present, non-empty subject; the leaf: the policy's extKeyUsage
//! (id-kp-codeSigning by default; `anyExtendedKeyUsage` does not count) and digitalSignature;
//! keyCertSign only with cA; no duplicate extensions and no critical extension other than
//! basicConstraints, keyUsage, extKeyUsage and subjectAltName.
//!
//! Not checked: names beyond issuer/subject matching (no hostnames, no name constraints: a
//! critical nameConstraints extension is refused as unknown), certificate policies,
//! revocation (CRL, OCSP), AKI/SKI consistency, and the pinned roots' own self-signatures
//! (a pinned root is trusted as configured). No clock is read: the caller passes the time.

mod checks;
mod error;
mod path;
mod policy;
mod signature;

pub use error::{CertRef, X509Error};
pub use policy::{
    AllowedAlgorithms, CodeSigningPolicy, ID_KP_CLIENT_AUTH, ID_KP_CODE_SIGNING, ID_KP_SERVER_AUTH,
};
pub use spki::ObjectIdentifier;

use alloc::vec::Vec;

use crate::crypto::PublicKey;
use checks::{Cert, check_leaf};
use path::Search;

/// Verify a code-signing chain and return the leaf's public key.
///
/// `leaf_der` is the signing certificate, `intermediates` any untrusted certificates that may
/// complete the path (order does not matter; unusable ones are ignored), `pinned_roots` the
/// device's trust anchors, `now_unix_secs` the current time from the caller's trusted clock.
/// The leaf's key is returned only if a path to a pinned root passes every check.
///
/// # Errors
/// [`X509Error`] naming the failed check and the certificate it failed on. When several
/// candidate paths fail, the error of the path that got furthest is reported.
pub fn verify_chain(
    leaf_der: &[u8],
    intermediates: &[&[u8]],
    pinned_roots: &[&[u8]],
    now_unix_secs: i64,
    policy: &CodeSigningPolicy,
) -> Result<PublicKey, X509Error> {
    let leaf = Cert::parse(leaf_der, CertRef::Leaf)?;
    let roots = pinned_roots
        .iter()
        .enumerate()
        .map(|(i, der)| Cert::parse(der, CertRef::Root(i)))
        .collect::<Result<Vec<_>, _>>()?;
    let intermediates: Vec<Cert<'_>> = intermediates
        .iter()
        .enumerate()
        .filter_map(|(i, der)| Cert::parse(der, CertRef::Intermediate(i)).ok())
        .collect();
    check_leaf(&leaf, now_unix_secs, policy)?;
    let key =
        PublicKey::from_spki_der_with(leaf.x509.public_key().raw, policy.rsa).map_err(|error| {
            X509Error::Key {
                cert: CertRef::Leaf,
                error,
            }
        })?;
    Search::new(&intermediates, &roots, now_unix_secs, policy).run(&leaf)?;
    Ok(key)
}
