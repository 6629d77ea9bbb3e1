//! Errors of the crypto module: [`CryptoError`] for keys and signatures, [`ImageError`] for the
//! streaming image check.

/// Why a key, a signature or a trust-store operation was refused.
///
/// Every variant is a final answer, nothing here worth retrying with the same input, except
/// the two of feature `p256-accelerator` ([`CryptoError::NoP256Accelerator`],
/// [`CryptoError::P256AcceleratorFault`]), which are about the device, not the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The key is not valid DER / SEC1 / PEM, or not a valid point or modulus.
    #[error("public key is not validly encoded")]
    BadKeyEncoding,
    /// A PEM key decodes to more than [`super::MAX_SPKI_LEN`] bytes.
    #[error("public key encoding is too long")]
    KeyTooLong,
    /// The key's algorithm or curve is not P-256 or RSA (`rsaEncryption`).
    #[error("public key algorithm or curve is not supported")]
    UnsupportedKeyAlgorithm,
    /// The RSA modulus is shorter than the policy minimum (2048 bits by default).
    #[error("RSA key of {bits} bits is below the minimum of {min} bits")]
    KeyTooSmall {
        /// Modulus length of the key.
        bits: u32,
        /// Minimum the policy accepts.
        min: u32,
    },
    /// The RSA modulus is longer than 8192 bits.
    #[error("RSA key of {bits} bits is above the maximum of 8192 bits")]
    KeyTooLarge {
        /// Modulus length of the key.
        bits: u32,
    },
    /// The RSA public exponent is not 65537 (or not acceptable to the policy).
    #[error("RSA public exponent is not allowed (only 65537 is)")]
    BadExponent,
    /// The algorithm does not fit the key (P-256 key with RSA, RSA key with ECDSA, PSS salt
    /// longer than the modulus allows).
    #[error("signature algorithm is not allowed for this key")]
    AlgorithmNotAllowed,
    /// The digest was made with a different hash than the key's algorithm uses.
    #[error("digest hash does not match the key's algorithm")]
    WrongDigest,
    /// The signature bytes do not parse in the requested encoding (bad DER, wrong length,
    /// r or s zero or out of range).
    #[error("signature is not validly encoded")]
    BadSignatureEncoding,
    /// The ECDSA signature has a high S and the key requires low-S.
    #[error("ECDSA signature has a high S value and the key requires low-S")]
    HighS,
    /// The signature is well-formed but does not verify.
    #[error("signature does not verify")]
    SignatureInvalid,
    /// No key with this id is in the trust store.
    #[error("no trusted key has this key id")]
    UnknownKeyId,
    /// No key in the trust store uses the requested algorithm family and hash.
    #[error("no trusted key uses the requested algorithm")]
    NoMatchingKey,
    /// A key id is not 64 hexadecimal characters.
    #[error("key id is not 64 hexadecimal characters")]
    BadKeyIdHex,
    /// Base64 text is empty (after skipping whitespace in lenient mode).
    #[error("base64 text is empty")]
    Base64Empty,
    /// A character outside the standard base64 alphabet (whitespace counts in strict mode).
    #[error("invalid base64 character at byte {offset}")]
    Base64InvalidCharacter {
        /// Byte offset of the character in the text.
        offset: usize,
    },
    /// Missing, misplaced or excess `=` padding, or a length that no encoding produces.
    #[error("invalid base64 padding or length")]
    Base64BadPadding,
    /// The unused low bits of the last symbol are not zero (a second spelling of the same bytes).
    #[error("non-canonical base64: trailing bits are not zero")]
    Base64NonCanonical,
    /// The decoded bytes do not fit the output buffer ([`super::MAX_SIGNATURE_LEN`] for
    /// [`super::decode_signature`]).
    #[error("base64 text decodes to more bytes than allowed")]
    Base64TooLong,
    /// A PEM block lacks its `BEGIN`/`END` lines or has the wrong label.
    #[error("PEM block is malformed or has the wrong label")]
    BadPem,
    /// The trust store has no free slot.
    #[error("trust store is full")]
    StoreFull,
    /// A key with the same key id is already in the trust store.
    #[error("trust store already holds this key")]
    DuplicateKey,
    /// The operation needs a feature that is not compiled in (RSA without `alloc`, SHA-1
    /// without `legacy-sha1`).
    #[error("not supported in this build (feature disabled)")]
    Unsupported,
    /// Feature `p256-accelerator` without `std`: a P-256 signature was to be verified and no
    /// accelerator is installed (`ota_core::crypto::install_p256_accelerator`). The
    /// signature is refused, not accepted.
    #[error("no P-256 accelerator is installed")]
    NoP256Accelerator,
    /// Feature `p256-accelerator`: the accelerator gave no verdict (a hardware fault, a
    /// timeout). The signature is refused, not accepted; ota-core does not retry.
    #[error("the P-256 accelerator gave no verdict")]
    P256AcceleratorFault,
}

/// Why a streamed image was refused by [`super::ImageVerifier`] or [`super::ImageHasher`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// More bytes arrived than the expected length.
    #[error("image is longer than the expected {expected} bytes")]
    TooLong {
        /// The expected length.
        expected: u64,
    },
    /// The image ended before the expected length.
    #[error("image has {received} bytes, expected {expected}")]
    TooShort {
        /// The expected length.
        expected: u64,
        /// Bytes received.
        received: u64,
    },
    /// The image's digest differs from the expected one.
    #[error("image digest does not match")]
    DigestMismatch,
}
