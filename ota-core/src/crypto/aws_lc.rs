//! Feature `aws-lc`: signature verification by AWS-LC (`aws-lc-rs`) on std hosts, behind
//! the same functions as the portable code, so nothing above them changes: the P-256
//! backend (`p256_key_aws_lc.rs`) and [`RsaVerifier`] here.
//!
//! Only the arithmetic moves. Keys are still parsed and policy-checked by ota-core (so the
//! keys accepted and their ids are the same), and the signature's length and encoding are
//! checked before AWS-LC is asked. Cases AWS-LC has no parameters for (SHA-1, a PSS salt
//! other than 32 bytes, a modulus under 2048 bits accepted by a relaxed policy) stay with
//! the `rsa` crate.

use aws_lc_rs::digest::{Digest as LcDigest, SHA256};
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PSS_2048_8192_SHA256};

use super::{Algorithm, CryptoError};

/// A SHA-256 value as AWS-LC's prehash.
pub(crate) fn sha256_prehash(digest: &[u8; 32]) -> LcDigest {
    // Only a length other than SHA-256's fails, and the array has that length.
    LcDigest::import_less_safe(digest, &SHA256).unwrap_or_else(|_| unreachable!())
}

/// An RSA key parsed by AWS-LC once, for PKCS#1 v1.5 and for PSS (AWS-LC fixes the padding
/// when it parses).
#[derive(Clone)]
pub(crate) struct RsaVerifier {
    pkcs1v15: ParsedPublicKey,
    pss: ParsedPublicKey,
}

/// The smallest modulus AWS-LC's parameters take.
const MIN_BITS: u32 = 2048;

impl RsaVerifier {
    /// AWS-LC's copy of the PKCS#1 `RSAPublicKey` `der` (already parsed and checked by
    /// ota-core), of `bits` bits; `None` below 2048 bits or if AWS-LC refuses it, and the
    /// `rsa` crate verifies instead.
    pub(crate) fn new(der: &[u8], bits: u32) -> Option<Self> {
        if bits < MIN_BITS {
            return None;
        }
        Some(Self {
            pkcs1v15: ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der).ok()?,
            pss: ParsedPublicKey::new(&RSA_PSS_2048_8192_SHA256, der).ok()?,
        })
    }

    /// Verify `signature` (of the modulus' length: the caller checked) over the SHA-256
    /// `digest` under `algorithm`; `None` when AWS-LC has no parameters for it (SHA-1, a PSS
    /// salt other than 32 bytes).
    pub(crate) fn verify(
        &self,
        algorithm: Algorithm,
        digest: &[u8],
        signature: &[u8],
    ) -> Option<Result<(), CryptoError>> {
        let key = match algorithm {
            Algorithm::RsaPkcs1v15Sha256 => &self.pkcs1v15,
            Algorithm::RsaPssSha256 { salt_len: 32 } => &self.pss,
            _ => return None,
        };
        let digest: &[u8; 32] = digest.try_into().ok()?;
        Some(
            key.verify_digest_sig(&sha256_prehash(digest), signature)
                .map_err(|_| CryptoError::SignatureInvalid),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{Digest, PublicKey, RsaKeyPolicy, SignatureEncoding, TrustedKey};

    const RSA2048: &[u8] = include_bytes!("../../tests/fixtures/openssl/rsa2048_pkcs1_pub.der");
    const RSA2048_SIG: &[u8] =
        include_bytes!("../../tests/fixtures/openssl/rsa2048_pkcs1v15_sig.bin");
    const MESSAGE: &[u8] = include_bytes!("../../tests/fixtures/openssl/message.bin");

    #[test]
    fn pkcs1v15_and_pss32_are_aws_lc_s_the_rest_is_not() {
        let verifier = RsaVerifier::new(RSA2048, 2048).expect("AWS-LC parses a 2048-bit key");
        let digest = Digest::sha256(MESSAGE);
        let hash = digest.as_bytes();
        assert_eq!(
            verifier.verify(Algorithm::RsaPkcs1v15Sha256, hash, RSA2048_SIG),
            Some(Ok(()))
        );
        let mut flipped = RSA2048_SIG.to_vec();
        flipped[100] ^= 1;
        assert_eq!(
            verifier.verify(Algorithm::RsaPkcs1v15Sha256, hash, &flipped),
            Some(Err(CryptoError::SignatureInvalid))
        );
        // A PKCS#1 v1.5 signature is not a PSS one: AWS-LC answers, and refuses.
        assert_eq!(
            verifier.verify(Algorithm::RsaPssSha256 { salt_len: 32 }, hash, RSA2048_SIG),
            Some(Err(CryptoError::SignatureInvalid))
        );
        // Parameters AWS-LC has no constant for are left to the `rsa` crate.
        assert_eq!(
            verifier.verify(Algorithm::RsaPssSha256 { salt_len: 20 }, hash, RSA2048_SIG),
            None
        );
        assert_eq!(
            verifier.verify(Algorithm::EcdsaP256Sha256, hash, RSA2048_SIG),
            None
        );
    }

    #[test]
    fn a_key_under_2048_bits_stays_with_the_rsa_crate() {
        let der = include_bytes!("../../tests/fixtures/openssl/rsa1024_pub.der");
        assert!(RsaVerifier::new(der, 1024).is_none());
        // Still loadable with a relaxed policy, and verified by the `rsa` crate.
        let relaxed = RsaKeyPolicy::STRICT.with_min_bits(1024);
        let key = PublicKey::from_spki_der_with(der, relaxed).expect("1024-bit key, relaxed");
        let trusted = TrustedKey::new(key, Algorithm::RsaPkcs1v15Sha256).unwrap();
        assert_eq!(
            trusted.verify_digest(
                &Digest::sha256(MESSAGE),
                &[0u8; 128],
                SignatureEncoding::Der
            ),
            Err(CryptoError::SignatureInvalid)
        );
    }

    #[test]
    fn the_p256_backend_verifies_openssl_s_signature_and_refuses_a_changed_digest() {
        let spki = include_bytes!("../../tests/fixtures/openssl/p256_pub.der");
        let signature = include_bytes!("../../tests/fixtures/openssl/p256_sig.der");
        let key = PublicKey::from_spki_der(spki).unwrap();
        let trusted = TrustedKey::new(key, Algorithm::EcdsaP256Sha256).unwrap();
        let digest = Digest::sha256(MESSAGE);
        assert_eq!(
            trusted.verify_digest(&digest, signature, SignatureEncoding::Der),
            Ok(())
        );
        assert_eq!(
            trusted.verify_digest(&Digest::sha256(b"other"), signature, SignatureEncoding::Der),
            Err(CryptoError::SignatureInvalid)
        );
    }
}
