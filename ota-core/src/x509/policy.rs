//! [`CodeSigningPolicy`]: what a code-signing chain must satisfy.

use spki::ObjectIdentifier;

use crate::crypto::RsaKeyPolicy;

/// id-kp-codeSigning, 1.3.6.1.5.5.7.3.3.
pub const ID_KP_CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
/// id-kp-serverAuth, 1.3.6.1.5.5.7.3.1.
pub const ID_KP_SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
/// id-kp-clientAuth, 1.3.6.1.5.5.7.3.2.
pub const ID_KP_CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");

/// Which certificate signature algorithms are accepted. Keys must also pass
/// [`CodeSigningPolicy::rsa`] (RSA) or be P-256 (ECDSA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct AllowedAlgorithms {
    /// ecdsa-with-SHA256 by a P-256 key.
    pub ecdsa_p256_sha256: bool,
    /// sha256WithRSAEncryption (PKCS#1 v1.5).
    pub rsa_pkcs1v15_sha256: bool,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, 32-byte salt, trailer 1 (any other parameters are
    /// refused).
    pub rsa_pss_sha256: bool,
}

impl AllowedAlgorithms {
    /// All three.
    pub const ALL: Self = Self {
        ecdsa_p256_sha256: true,
        rsa_pkcs1v15_sha256: true,
        rsa_pss_sha256: true,
    };
}

/// The checks [`super::verify_chain`] applies. Start from [`CodeSigningPolicy::default`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CodeSigningPolicy {
    /// The purpose the leaf's extKeyUsage must list: id-kp-codeSigning by default.
    /// `None` skips the EKU check (only for testing other profiles; a code-signing device
    /// should always require one).
    pub required_eku: Option<ObjectIdentifier>,
    /// The leaf must have keyUsage with digitalSignature (default `true`).
    pub require_digital_signature: bool,
    /// Whether a CA certificate (basicConstraints cA = true) may be the signing leaf
    /// (default `false`).
    pub allow_ca_leaf: bool,
    /// Most intermediates between leaf and pinned root, not counting self-issued ones
    /// (RFC 5280 counts them the same way for pathLenConstraint). Default 3.
    pub max_chain_depth: usize,
    /// Accepted certificate signature algorithms (default: all three).
    pub algorithms: AllowedAlgorithms,
    /// RSA keys anywhere in the chain (default [`RsaKeyPolicy::STRICT`]: ≥ 2048 bits,
    /// e = 65537).
    pub rsa: RsaKeyPolicy,
}

impl CodeSigningPolicy {
    /// The defaults: codeSigning EKU, digitalSignature, no CA leaf, 3 intermediates, all
    /// three algorithms, strict RSA.
    pub const DEFAULT: Self = Self {
        required_eku: Some(ID_KP_CODE_SIGNING),
        require_digital_signature: true,
        allow_ca_leaf: false,
        max_chain_depth: 3,
        algorithms: AllowedAlgorithms::ALL,
        rsa: RsaKeyPolicy::STRICT,
    };
}

impl Default for CodeSigningPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}
