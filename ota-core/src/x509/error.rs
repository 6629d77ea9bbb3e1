//! [`X509Error`]: which check of a certificate chain failed, and on which certificate.

use core::fmt;

use crate::crypto::CryptoError;

/// A certificate passed to [`super::verify_chain`], by its position in the arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertRef {
    /// The leaf (`leaf_der`).
    Leaf,
    /// `intermediates[i]`.
    Intermediate(usize),
    /// `pinned_roots[i]`.
    Root(usize),
}

impl fmt::Display for CertRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Leaf => f.write_str("leaf"),
            Self::Intermediate(i) => write!(f, "intermediate #{i}"),
            Self::Root(i) => write!(f, "pinned root #{i}"),
        }
    }
}

/// Why a code-signing certificate chain was refused.
///
/// When several candidate paths fail, the error comes from the one that got closest to a
/// pinned root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum X509Error {
    /// Not a DER certificate, or bytes after it.
    #[error("{0}: not a well-formed DER certificate")]
    Malformed(CertRef),
    /// Not an X.509 v3 certificate.
    #[error("{0}: not an X.509 v3 certificate")]
    NotV3(CertRef),
    /// `notBefore` is after the injected time.
    #[error("{0}: not yet valid")]
    NotYetValid(CertRef),
    /// `notAfter` is before the injected time.
    #[error("{0}: expired")]
    Expired(CertRef),
    /// An empty issuer name, or an empty subject on a CA certificate.
    #[error("{0}: empty issuer or CA subject name")]
    EmptyName(CertRef),
    /// An extension appears twice.
    #[error("{0}: duplicate extension")]
    DuplicateExtension(CertRef),
    /// A critical extension this validator does not process.
    #[error("{0}: unknown critical extension")]
    UnknownCriticalExtension(CertRef),
    /// basicConstraints, keyUsage or extKeyUsage does not parse, or extKeyUsage is empty.
    #[error("{0}: malformed basicConstraints, keyUsage or extKeyUsage")]
    MalformedExtension(CertRef),
    /// The leaf's extKeyUsage is missing or lacks the purpose the policy requires
    /// (`anyExtendedKeyUsage` does not count).
    #[error("{0}: extended key usage lacks the required purpose")]
    MissingExtendedKeyUsage(CertRef),
    /// The leaf's keyUsage is missing or lacks digitalSignature.
    #[error("{0}: key usage lacks digitalSignature")]
    MissingDigitalSignature(CertRef),
    /// keyCertSign is asserted without basicConstraints cA.
    #[error("{0}: keyCertSign without basicConstraints cA")]
    KeyCertSignWithoutCa(CertRef),
    /// The leaf is a CA certificate and the policy does not allow it.
    #[error("{0}: CA certificate used as the signing leaf")]
    LeafIsCa(CertRef),
    /// An issuer lacks basicConstraints with cA = true.
    #[error("{0}: issuer is not a CA (basicConstraints cA missing or false)")]
    NotCa(CertRef),
    /// An issuer's basicConstraints is not marked critical.
    #[error("{0}: basicConstraints of a CA is not critical")]
    BasicConstraintsNotCritical(CertRef),
    /// An issuer has keyUsage without keyCertSign.
    #[error("{0}: issuer key usage lacks keyCertSign")]
    MissingKeyCertSign(CertRef),
    /// An issuer's pathLenConstraint is smaller than the number of CAs below it.
    #[error("{0}: pathLenConstraint exceeded")]
    PathLenExceeded(CertRef),
    /// More intermediates than the policy's `max_chain_depth`.
    #[error("chain has more intermediates than the policy allows")]
    ChainTooDeep,
    /// A signature algorithm outside the policy (or the inner and outer algorithm differ).
    #[error("{0}: signature algorithm not allowed")]
    SignatureAlgorithmNotAllowed(CertRef),
    /// A public key the crypto policy refuses (curve, RSA size or exponent, encoding).
    #[error("{cert}: public key refused: {error}")]
    Key {
        /// The certificate holding the key.
        cert: CertRef,
        /// Why.
        error: CryptoError,
    },
    /// The certificate's signature does not verify with its issuer's key.
    #[error("{0}: signature does not verify")]
    BadSignature(CertRef),
    /// No candidate issuer leads to a pinned root.
    #[error("no path from the leaf to a pinned root")]
    NoPathToPinnedRoot,
    /// Path building gave up after its step budget (pathological input).
    #[error("path building exceeded its step budget")]
    SearchLimitExceeded,
}
