//! Signature algorithms, their families and hashes, and ECDSA signature encodings.
//!
//! An [`Algorithm`] is fixed when a key is trusted ([`super::TrustedKey::new`]); nothing read
//! from a job document, a signature or a certificate can change it. In particular the PSS salt
//! length is policy, never detected from the signature.

/// A signature algorithm with every parameter fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// ECDSA over P-256 with SHA-256 (AWS `sig-sha256-ecdsa`, `SHA256withECDSA`).
    EcdsaP256Sha256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (`sig-sha256-rsa` with the mbedTLS PAL).
    RsaPkcs1v15Sha256,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256 and exactly `salt_len` bytes of salt.
    /// MCUboot and most signers use 32 ([`Algorithm::RSA_PSS_SHA256`]).
    RsaPssSha256 {
        /// Salt length in bytes; a signature with any other salt length is refused.
        salt_len: usize,
    },
    /// RSASSA-PKCS1-v1_5 with SHA-1, for TI CC3220SF-era `sig-sha1-rsa` documents only.
    /// SHA-1 is broken for collision resistance: enable `legacy-sha1` only for such fleets.
    #[cfg(feature = "legacy-sha1")]
    RsaPkcs1v15Sha1,
}

impl Algorithm {
    /// PSS salt length for SHA-256 (the digest length), as MCUboot and OpenSSL's default use.
    pub const PSS_SHA256_SALT_LEN: usize = 32;

    /// RSASSA-PSS with SHA-256 and a 32-byte salt.
    pub const RSA_PSS_SHA256: Self = Self::RsaPssSha256 {
        salt_len: Self::PSS_SHA256_SALT_LEN,
    };

    /// Same as [`Algorithm::RSA_PSS_SHA256`].
    pub const fn rsa_pss_sha256() -> Self {
        Self::RSA_PSS_SHA256
    }

    /// The hash the algorithm signs.
    pub const fn hash(self) -> HashAlgorithm {
        match self {
            Self::EcdsaP256Sha256 | Self::RsaPkcs1v15Sha256 | Self::RsaPssSha256 { .. } => {
                HashAlgorithm::Sha256
            }
            #[cfg(feature = "legacy-sha1")]
            Self::RsaPkcs1v15Sha1 => HashAlgorithm::Sha1,
        }
    }

    /// The algorithm without its hash and parameters.
    pub const fn family(self) -> AlgorithmFamily {
        match self {
            Self::EcdsaP256Sha256 => AlgorithmFamily::Ecdsa,
            Self::RsaPkcs1v15Sha256 => AlgorithmFamily::RsaPkcs1v15,
            #[cfg(feature = "legacy-sha1")]
            Self::RsaPkcs1v15Sha1 => AlgorithmFamily::RsaPkcs1v15,
            Self::RsaPssSha256 { .. } => AlgorithmFamily::RsaPss,
        }
    }
}

/// What a signature's context says about its algorithm, e.g. `sig-sha256-ecdsa` says ECDSA
/// with SHA-256. Used only to narrow the search in [`super::TrustStore`]; the trusted key
/// still decides every parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AlgorithmFamily {
    /// ECDSA (P-256).
    Ecdsa,
    /// RSASSA-PKCS1-v1_5.
    RsaPkcs1v15,
    /// RSASSA-PSS.
    RsaPss,
}

impl AlgorithmFamily {
    /// Whether an RSA family (PKCS#1 v1.5 or PSS).
    pub const fn is_rsa(self) -> bool {
        matches!(self, Self::RsaPkcs1v15 | Self::RsaPss)
    }
}

/// A hash function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-1 (legacy RSA only).
    #[cfg(feature = "legacy-sha1")]
    Sha1,
}

impl HashAlgorithm {
    /// Output length in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            #[cfg(feature = "legacy-sha1")]
            Self::Sha1 => 20,
        }
    }
}

/// How ECDSA signature bytes are laid out. The caller knows this from where the signature
/// came from (AWS job documents and X.509 use DER; MCUboot raw images and COSE use raw); it is
/// never guessed from the bytes. RSA signatures have one encoding (big-endian, modulus length),
/// so RSA verification ignores this value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureEncoding {
    /// ASN.1 DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`, strictly: no BER,
    /// no trailing bytes (so MCUboot's zero-padded legacy form is refused).
    Der,
    /// `r || s`, each 32 bytes big-endian (IEEE P1363), 64 bytes in total.
    Raw,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pss_default_is_salt_32() {
        assert_eq!(
            Algorithm::rsa_pss_sha256(),
            Algorithm::RsaPssSha256 { salt_len: 32 }
        );
        assert_eq!(Algorithm::RSA_PSS_SHA256.family(), AlgorithmFamily::RsaPss);
        assert_eq!(Algorithm::EcdsaP256Sha256.hash(), HashAlgorithm::Sha256);
        assert_eq!(HashAlgorithm::Sha256.output_len(), 32);
        assert!(AlgorithmFamily::RsaPkcs1v15.is_rsa());
        assert!(!AlgorithmFamily::Ecdsa.is_rsa());
    }
}
