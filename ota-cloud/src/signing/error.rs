//! [`SigningError`]: why a key could not be loaded, generated or used.

use ota_core::crypto::{Algorithm, CryptoError, KeyKind};

/// Why a private key was refused or a signature could not be made. Every message is one line
/// that names the problem and, where there is one, the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigningError {
    /// The key is encrypted (PKCS#8 `ENCRYPTED PRIVATE KEY` or a legacy `Proc-Type:
    /// 4,ENCRYPTED` block). Passphrases are not read.
    #[error(
        "private key is encrypted; passphrases are not supported (decrypt it with `openssl pkey -in KEY -out PLAIN.pem`)"
    )]
    Encrypted,
    /// No PEM private-key block in the text.
    #[error(
        "no PEM private key found (expected BEGIN PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)"
    )]
    NoPrivateKey,
    /// The text holds a public key or a certificate where a private key was expected.
    #[error("file holds a {0}, not a private key")]
    NotAPrivateKey(&'static str),
    /// More than one private-key block.
    #[error("file holds more than one private key")]
    SeveralKeys,
    /// A PEM block is malformed (bad base64, mismatched labels, stray text).
    #[error("malformed PEM: {0}")]
    BadPem(String),
    /// The DER inside the PEM is not a valid key of its kind.
    #[error("malformed {format} private key: {detail}")]
    BadKey {
        /// `PKCS#8`, `SEC1` or `PKCS#1`.
        format: &'static str,
        /// What the decoder said.
        detail: String,
    },
    /// A PKCS#8 key of an algorithm other than EC and RSA (Ed25519, DSA, ...).
    #[error("unsupported key algorithm {0} (only P-256 and RSA keys sign releases)")]
    UnsupportedAlgorithm(String),
    /// An EC key on a curve other than P-256.
    #[error("unsupported elliptic curve {0} (only P-256 / prime256v1 is supported)")]
    UnsupportedCurve(String),
    /// An `id-RSASSA-PSS` key (`openssl genpkey -algorithm RSA-PSS`): devices trust plain
    /// `rsaEncryption` keys only.
    #[error(
        "RSA-PSS-restricted keys are not supported; use a plain RSA key (`openssl genpkey -algorithm RSA`) and sign with --pss"
    )]
    RsaPssKey,
    /// The key is valid but devices would refuse it (RSA below 2048 bits, e other than
    /// 65537, ...).
    #[error("key refused by the device key policy: {0}")]
    KeyPolicy(CryptoError),
    /// The algorithm does not fit the key (PSS with a P-256 key, ECDSA with an RSA key).
    #[error("algorithm {algorithm:?} cannot be used with a {key:?} key")]
    AlgorithmMismatch {
        /// The key.
        key: KeyKind,
        /// The algorithm asked for.
        algorithm: Algorithm,
    },
    /// The operating system RNG failed.
    #[error("random number generator failed: {0}")]
    Rng(String),
    /// Key generation failed.
    #[error("key generation failed: {0}")]
    Generate(String),
    /// Encoding a key as PEM failed.
    #[error("key encoding failed: {0}")]
    Encode(String),
    /// The signing primitive failed.
    #[error("signing failed: {0}")]
    Sign(String),
    /// The signer signs whole messages only, not a digest computed by the caller.
    #[error("this signer signs whole messages only, not a SHA-256 digest")]
    DigestUnsupported,
    /// A signature just made did not verify with the key's own public key; nothing was
    /// returned.
    #[error("signature self-check failed: the signature just made does not verify")]
    SelfCheck,
}
