//! [`TrustedKey`]: a public key bound to the one algorithm it may verify.

use super::ecdsa_der::Scalars;
use super::key::Inner;
use super::{
    Algorithm, CryptoError, Digest, Hasher, KeyId, KeyKind, MAX_VERIFIABLE_SIGNATURE_LEN,
    PublicKey, SignatureEncoding,
};

/// A key the device trusts, with the single algorithm (and PSS salt length) it is trusted for.
///
/// The key decides the algorithm: a P-256 key only with [`Algorithm::EcdsaP256Sha256`], an RSA
/// key only with the RSA algorithms. A signature's context (`sig-sha256-ecdsa`, an X.509
/// `signatureAlgorithm`) may select among trusted keys but never changes how one verifies.
///
/// ECDSA: high-S signatures are **accepted** by default, because AWS Signer emits them and
/// ECDSA itself allows both; call [`TrustedKey::require_low_s`] for keys whose signatures you
/// produce yourself with a low-S signer. Signature bytes are malleable either way, so never use
/// them as identifiers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedKey {
    key: PublicKey,
    algorithm: Algorithm,
    low_s: bool,
}

impl TrustedKey {
    /// Bind `key` to `algorithm`.
    ///
    /// # Errors
    /// [`CryptoError::AlgorithmNotAllowed`] if the algorithm does not fit the key, or if a PSS
    /// salt is too long for the modulus (emLen < hLen + sLen + 2).
    pub fn new(key: PublicKey, algorithm: Algorithm) -> Result<Self, CryptoError> {
        let fits = match (key.kind(), algorithm) {
            (KeyKind::P256, Algorithm::EcdsaP256Sha256) => true,
            (KeyKind::Rsa { bits }, Algorithm::RsaPssSha256 { salt_len }) => {
                let em_len = (bits as usize).saturating_sub(1).div_ceil(8);
                salt_len
                    .checked_add(32 + 2)
                    .is_some_and(|need| need <= em_len)
            }
            (KeyKind::Rsa { .. }, alg) => alg.family().is_rsa(),
            _ => false,
        };
        if fits {
            Ok(Self {
                key,
                algorithm,
                low_s: false,
            })
        } else {
            Err(CryptoError::AlgorithmNotAllowed)
        }
    }

    /// Require (`true`) or stop requiring (`false`) low-S ECDSA signatures: with it, a
    /// signature whose s > n/2 fails with [`CryptoError::HighS`]. No effect on RSA keys.
    #[must_use]
    pub const fn require_low_s(mut self, required: bool) -> Self {
        self.low_s = required;
        self
    }

    /// Whether low-S is required.
    pub const fn requires_low_s(&self) -> bool {
        self.low_s
    }

    /// The key.
    pub const fn key(&self) -> &PublicKey {
        &self.key
    }

    /// The key's id.
    pub const fn key_id(&self) -> KeyId {
        self.key.key_id()
    }

    /// The algorithm this key verifies.
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// A hasher for this key's algorithm.
    pub fn hasher(&self) -> Hasher {
        Hasher::for_algorithm(self.algorithm)
    }

    /// Verify `signature` over the message whose hash is `digest`.
    ///
    /// `encoding` says how ECDSA signature bytes are laid out; RSA ignores it (RSA signatures
    /// must be exactly the modulus length, up to 1024 bytes for RSA-8192). Does not hash
    /// anything and does not look at any other key.
    ///
    /// # Errors
    /// [`CryptoError::WrongDigest`] if `digest` is not of this algorithm's hash,
    /// [`CryptoError::BadSignatureEncoding`], [`CryptoError::HighS`] or
    /// [`CryptoError::SignatureInvalid`].
    pub fn verify_digest(
        &self,
        digest: &Digest,
        signature: &[u8],
        encoding: SignatureEncoding,
    ) -> Result<(), CryptoError> {
        if digest.algorithm() != self.algorithm.hash() {
            return Err(CryptoError::WrongDigest);
        }
        if signature.len() > MAX_VERIFIABLE_SIGNATURE_LEN {
            return Err(CryptoError::BadSignatureEncoding);
        }
        match self.key.inner() {
            Inner::P256(key) => verify_ecdsa(key, digest, signature, encoding, self.low_s),
            #[cfg(feature = "alloc")]
            Inner::Rsa(key) => verify_rsa(key, self.algorithm, digest, signature),
        }
    }

    /// Hash `message` with this key's hash, then [`TrustedKey::verify_digest`].
    ///
    /// # Errors
    /// As [`TrustedKey::verify_digest`].
    pub fn verify_message(
        &self,
        message: &[u8],
        signature: &[u8],
        encoding: SignatureEncoding,
    ) -> Result<(), CryptoError> {
        let mut hasher = self.hasher();
        hasher.update(message);
        self.verify_digest(&hasher.finalize(), signature, encoding)
    }
}

fn verify_ecdsa(
    key: &super::p256_key::P256Key,
    digest: &Digest,
    signature: &[u8],
    encoding: SignatureEncoding,
    low_s: bool,
) -> Result<(), CryptoError> {
    let signature = decode_ecdsa(signature, encoding)?;
    // The algorithm check in `verify_digest` makes this a SHA-256 digest.
    let prehash: &[u8; 32] = digest
        .as_bytes()
        .try_into()
        .map_err(|_| CryptoError::WrongDigest)?;
    key.verify(prehash, &signature, low_s)
}

/// The signature's scalars, in a frame of its own (DER parsing is not on the stack during
/// the verification).
#[inline(never)]
fn decode_ecdsa(signature: &[u8], encoding: SignatureEncoding) -> Result<Scalars, CryptoError> {
    match encoding {
        SignatureEncoding::Der => Scalars::from_der(signature),
        SignatureEncoding::Raw => Scalars::from_raw(signature),
    }
    .ok_or(CryptoError::BadSignatureEncoding)
}

#[cfg(feature = "alloc")]
fn verify_rsa(
    rsa_key: &super::key::RsaKey,
    algorithm: Algorithm,
    digest: &Digest,
    signature: &[u8],
) -> Result<(), CryptoError> {
    use rsa::Pkcs1v15Sign;
    use rsa::pss::Pss;

    if signature.len() != (rsa_key.bits as usize).div_ceil(8) {
        return Err(CryptoError::BadSignatureEncoding);
    }
    let hash = digest.as_bytes();
    #[cfg(feature = "aws-lc")]
    if let Some(result) = rsa_key
        .aws_lc
        .as_ref()
        .and_then(|aws_lc| aws_lc.verify(algorithm, hash, signature))
    {
        return result;
    }
    let key = &rsa_key.key;
    let result = match algorithm {
        Algorithm::RsaPkcs1v15Sha256 => {
            key.verify(Pkcs1v15Sign::new::<sha2::Sha256>(), hash, signature)
        }
        Algorithm::RsaPssSha256 { salt_len } => key.verify(
            Pss::<sha2::Sha256>::new_with_salt(salt_len),
            hash,
            signature,
        ),
        #[cfg(feature = "legacy-sha1")]
        Algorithm::RsaPkcs1v15Sha1 => {
            key.verify(Pkcs1v15Sign::new::<sha1::Sha1>(), hash, signature)
        }
        Algorithm::EcdsaP256Sha256 => return Err(CryptoError::AlgorithmNotAllowed),
    };
    result.map_err(|_| CryptoError::SignatureInvalid)
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::signature::hazmat::PrehashSigner as _;
    use p256::ecdsa::{Signature, SigningKey};

    use super::*;

    #[test]
    fn the_longest_der_p256_signature_fits_the_verifiable_length() {
        // r and s with the top bit set need a leading zero: 2 + 2 * (2 + 33) bytes.
        let mut int = [0u8; 35];
        int[..4].copy_from_slice(&[0x02, 33, 0x00, 0x80]);
        int[34] = 1;
        let mut der = std::vec![0x30, 70];
        der.extend_from_slice(&int);
        der.extend_from_slice(&int);
        assert_eq!(der.len(), 72);
        assert!(p256::ecdsa::Signature::from_der(&der).is_ok());
        assert!(der.len() <= crate::crypto::MAX_VERIFIABLE_SIGNATURE_LEN);
        #[cfg(not(feature = "alloc"))]
        assert_eq!(crate::crypto::MAX_VERIFIABLE_SIGNATURE_LEN, 72);
    }

    fn signer() -> (SigningKey, TrustedKey) {
        let signing = SigningKey::from_slice(&[0x42; 32]).unwrap();
        let point = signing.verifying_key().to_sec1_point(false);
        let key = PublicKey::from_sec1(point.as_bytes()).unwrap();
        (
            signing,
            TrustedKey::new(key, Algorithm::EcdsaP256Sha256).unwrap(),
        )
    }

    /// The same signature with s replaced by n - s.
    fn flip_s(sig: &Signature) -> Signature {
        let (r, s) = sig.split_scalars();
        Signature::from_scalars(r, -s).unwrap()
    }

    #[test]
    fn high_s_accepted_by_default_refused_when_low_s_required() {
        let (signing, key) = signer();
        let digest = Digest::sha256(b"firmware");
        let sig: Signature = signing.sign_prehash(digest.as_bytes()).unwrap();
        let (low, high) = if sig.normalize_s() == sig {
            (sig, flip_s(&sig))
        } else {
            (flip_s(&sig), sig)
        };
        for s in [low, high] {
            let raw = s.to_bytes();
            key.verify_digest(&digest, &raw, SignatureEncoding::Raw)
                .unwrap();
            key.verify_digest(&digest, s.to_der().as_bytes(), SignatureEncoding::Der)
                .unwrap();
        }
        let strict = key.require_low_s(true);
        assert!(strict.requires_low_s());
        strict
            .verify_digest(&digest, &low.to_bytes(), SignatureEncoding::Raw)
            .unwrap();
        assert_eq!(
            strict.verify_digest(&digest, &high.to_bytes(), SignatureEncoding::Raw),
            Err(CryptoError::HighS)
        );
    }

    #[test]
    fn der_with_trailing_zero_is_refused() {
        let (signing, key) = signer();
        let digest = Digest::sha256(b"firmware");
        let sig: Signature = signing.sign_prehash(digest.as_bytes()).unwrap();
        let mut der = sig.to_der().as_bytes().to_vec();
        key.verify_digest(&digest, &der, SignatureEncoding::Der)
            .unwrap();
        der.push(0);
        assert_eq!(
            key.verify_digest(&digest, &der, SignatureEncoding::Der),
            Err(CryptoError::BadSignatureEncoding)
        );
        assert_eq!(
            key.verify_digest(
                &digest,
                &[0; MAX_VERIFIABLE_SIGNATURE_LEN + 1],
                SignatureEncoding::Der
            ),
            Err(CryptoError::BadSignatureEncoding)
        );
    }

    #[cfg(feature = "legacy-sha1")]
    #[test]
    fn digest_hash_must_match_algorithm() {
        let (_, key) = signer();
        let mut h = Hasher::new(super::super::HashAlgorithm::Sha1);
        h.update(b"x");
        assert_eq!(
            key.verify_digest(&h.finalize(), &[1; 64], SignatureEncoding::Raw),
            Err(CryptoError::WrongDigest)
        );
    }
}
