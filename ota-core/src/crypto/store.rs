//! [`TrustStore`]: the fixed set of keys a device accepts signatures from.

use super::{
    AlgorithmFamily, CryptoError, Digest, KeyId, QuorumError, SignatureEncoding, TrustedKey,
};

/// Up to `N` trusted keys, in a fixed-capacity array (no allocation), and how many of them
/// must sign a release (the [threshold](TrustStore::threshold), 1 unless set).
///
/// The store is the only source of verification keys. A job document never picks a key
/// outside it: the AWS `certfile` field is at most a lookup name that the integrator maps to a
/// [`KeyId`] in this store, never a path to load a key from, and there is no fallback key.
///
/// The threshold applies where a statement may carry several signatures (this project's
/// firmware document, through [`super::Quorum::of`]); `afr_ota` documents carry one
/// signature and are verified with [`TrustStore::verify_digest`], which ignores it: a device
/// that requires more than one signer should refuse `afr_ota` documents (ota-device's
/// `Config::accept_afr_ota`).
#[derive(Clone, Debug)]
pub struct TrustStore<const N: usize> {
    keys: heapless::Vec<TrustedKey, N>,
    threshold: u8,
}

impl<const N: usize> Default for TrustStore<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> TrustStore<N> {
    /// An empty store with a threshold of 1.
    pub const fn new() -> Self {
        Self {
            keys: heapless::Vec::new(),
            threshold: 1,
        }
    }

    /// How many distinct keys of the store must sign a release (at least 1).
    pub const fn threshold(&self) -> u8 {
        self.threshold
    }

    /// Require `threshold` distinct keys of the store to sign a release (TUF's threshold;
    /// e.g. 2 of 3 release keys, so that one stolen key cannot sign alone). Set it once the
    /// keys are added.
    ///
    /// # Errors
    /// [`QuorumError::BadThreshold`] for 0, or more than the store holds; the threshold is
    /// then unchanged.
    pub fn set_threshold(&mut self, threshold: u8) -> Result<(), QuorumError> {
        super::Quorum::new(self, threshold)?;
        self.threshold = threshold;
        Ok(())
    }

    /// Add a key.
    ///
    /// # Errors
    /// [`CryptoError::DuplicateKey`] if a key with the same id is present (whatever its
    /// algorithm: one key, one algorithm), [`CryptoError::StoreFull`] if all `N` slots are used.
    pub fn add(&mut self, key: TrustedKey) -> Result<(), CryptoError> {
        if self.get(&key.key_id()).is_some() {
            return Err(CryptoError::DuplicateKey);
        }
        self.keys.push(key).map_err(|_| CryptoError::StoreFull)
    }

    /// Remove (revoke) the key with this id; returns it if it was present. The threshold is
    /// kept: a store left with fewer keys than its threshold verifies no quorum (it fails
    /// closed) until keys are added or the threshold lowered.
    pub fn remove(&mut self, id: &KeyId) -> Option<TrustedKey> {
        let index = self.keys.iter().position(|k| k.key_id() == *id)?;
        Some(self.keys.remove(index))
    }

    /// The key with this id.
    pub fn get(&self, id: &KeyId) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| k.key_id() == *id)
    }

    /// Where the key with this id is in [`TrustStore::iter`]'s order.
    pub fn position(&self, id: &KeyId) -> Option<usize> {
        self.keys.iter().position(|k| k.key_id() == *id)
    }

    /// The keys, in insertion order.
    pub fn iter(&self) -> core::slice::Iter<'_, TrustedKey> {
        self.keys.iter()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the store has no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Verify `signature` over `digest` with a trusted key and return the key that verified.
    ///
    /// With `key_id`, only that key is tried. Without, every key whose algorithm hashes with
    /// `digest`'s hash function is tried in insertion order, and the first success wins; each
    /// try costs one signature verification. Use [`TrustStore::verify_digest_for`] to also
    /// restrict the algorithm family (e.g. ECDSA for `sig-sha256-ecdsa`).
    ///
    /// # Errors
    /// [`CryptoError::UnknownKeyId`], [`CryptoError::NoMatchingKey`] when no key fits the
    /// digest, or the failure of the key(s) tried (see [`TrustedKey::verify_digest`]; when
    /// several keys fail differently, [`CryptoError::SignatureInvalid`]).
    pub fn verify_digest(
        &self,
        key_id: Option<&KeyId>,
        digest: &Digest,
        signature: &[u8],
        encoding: SignatureEncoding,
    ) -> Result<&TrustedKey, CryptoError> {
        self.verify(None, key_id, digest, signature, encoding)
    }

    /// [`TrustStore::verify_digest`] restricted to keys of `family`. With a `key_id` whose key
    /// is of another family, fails with [`CryptoError::AlgorithmNotAllowed`].
    ///
    /// # Errors
    /// As [`TrustStore::verify_digest`], plus [`CryptoError::AlgorithmNotAllowed`].
    pub fn verify_digest_for(
        &self,
        family: AlgorithmFamily,
        key_id: Option<&KeyId>,
        digest: &Digest,
        signature: &[u8],
        encoding: SignatureEncoding,
    ) -> Result<&TrustedKey, CryptoError> {
        self.verify(Some(family), key_id, digest, signature, encoding)
    }

    fn verify(
        &self,
        family: Option<AlgorithmFamily>,
        key_id: Option<&KeyId>,
        digest: &Digest,
        signature: &[u8],
        encoding: SignatureEncoding,
    ) -> Result<&TrustedKey, CryptoError> {
        let family_ok = |k: &TrustedKey| family.is_none_or(|f| k.algorithm().family() == f);
        if let Some(id) = key_id {
            let key = self.get(id).ok_or(CryptoError::UnknownKeyId)?;
            if !family_ok(key) {
                return Err(CryptoError::AlgorithmNotAllowed);
            }
            return key.verify_digest(digest, signature, encoding).map(|()| key);
        }
        let mut failure = None;
        let candidates = self
            .keys
            .iter()
            .filter(|k| family_ok(k) && k.algorithm().hash() == digest.algorithm());
        for key in candidates {
            match key.verify_digest(digest, signature, encoding) {
                Ok(()) => return Ok(key),
                Err(e) => {
                    failure = match failure {
                        None => Some(e),
                        Some(prev) if prev == e => Some(e),
                        Some(_) => Some(CryptoError::SignatureInvalid),
                    }
                }
            }
        }
        Err(failure.unwrap_or(CryptoError::NoMatchingKey))
    }
}
