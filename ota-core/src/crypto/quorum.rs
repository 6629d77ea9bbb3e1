//! [`Quorum`]: a threshold of distinct trusted keys that must all have signed the same
//! bytes (TUF's "threshold of a role's keys"), so that one stolen key cannot sign a release
//! on its own. A role is a [`TrustStore`] of its keys with a threshold: a device keeps one
//! for releases and, for rotations of its keys, one for root.
//!
//! What it does not do: parse documents (the caller lists the signatures it found, each
//! with the key id it claims), or decide which role a statement needs.

use super::{Digest, KeyId, SignatureEncoding, TrustStore};

/// Most signatures one statement may list; at most this many signers are counted.
pub const MAX_SIGNATURES: usize = 8;

/// One signature as a statement lists it: the key it claims and the signature bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedSignature<'a> {
    /// The key the signature claims to be from (trusted or not).
    pub key_id: KeyId,
    /// The signature over the statement's bytes, in the caller's encoding.
    pub signature: &'a [u8],
}

/// Why a set of signatures was not enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QuorumError {
    /// The threshold is 0, or more than the role has keys.
    #[error("threshold {threshold} of {keys} keys")]
    BadThreshold {
        /// The threshold asked for.
        threshold: u8,
        /// The keys of the role.
        keys: usize,
    },
    /// The statement lists more than [`MAX_SIGNATURES`] signatures.
    #[error("more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    /// Fewer distinct trusted keys signed than the threshold.
    #[error("{signed} of the {needed} trusted signatures needed")]
    BelowThreshold {
        /// Distinct trusted keys whose signature verified.
        signed: u8,
        /// The threshold.
        needed: u8,
    },
}

/// The keys whose signatures verified, in the order listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signers {
    ids: heapless::Vec<KeyId, MAX_SIGNATURES>,
}

impl Signers {
    /// The signers' key ids.
    pub fn iter(&self) -> core::slice::Iter<'_, KeyId> {
        self.ids.iter()
    }

    /// How many distinct trusted keys signed.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no trusted key signed.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Whether `id` signed.
    pub fn contains(&self, id: &KeyId) -> bool {
        self.ids.contains(id)
    }
}

/// A role: its trusted keys, and how many distinct ones must sign.
#[derive(Debug, Clone, Copy)]
pub struct Quorum<'s, const N: usize> {
    keys: &'s TrustStore<N>,
    threshold: u8,
}

impl<'s, const N: usize> Quorum<'s, N> {
    /// `threshold` of `keys` (1 to as many keys as there are).
    ///
    /// # Errors
    /// [`QuorumError::BadThreshold`].
    pub fn new(keys: &'s TrustStore<N>, threshold: u8) -> Result<Self, QuorumError> {
        if threshold == 0 || usize::from(threshold) > keys.len() {
            return Err(QuorumError::BadThreshold {
                threshold,
                keys: keys.len(),
            });
        }
        Ok(Self { keys, threshold })
    }

    /// The role a store holds: its keys and its own threshold
    /// ([`TrustStore::threshold`]).
    ///
    /// # Errors
    /// [`QuorumError::BadThreshold`] when keys were removed below the threshold: such a
    /// role verifies nothing until it is mended (it fails closed).
    pub fn of(keys: &'s TrustStore<N>) -> Result<Self, QuorumError> {
        Self::new(keys, keys.threshold())
    }

    /// The threshold.
    pub fn threshold(&self) -> u8 {
        self.threshold
    }

    /// The role's keys.
    pub fn keys(&self) -> &'s TrustStore<N> {
        self.keys
    }

    /// An empty count, to offer signatures to one at a time ([`Tally::offer`]): for callers
    /// that decode each signature into the same buffer rather than hold them all.
    pub fn start(&self) -> Tally<'s, N> {
        Tally {
            quorum: *self,
            signers: Signers::default(),
            claimed: heapless::Vec::new(),
            offered: 0,
            failed: false,
        }
    }

    /// Whether the threshold of distinct trusted keys signed `digest`: checks the listed
    /// signatures in order and stops as soon as it has, so a release costs `threshold`
    /// verifications when its signatures are good. A signature claiming a key outside the
    /// role, or a key already counted, is skipped unverified; one that does not verify
    /// counts for nothing (the others may still make the threshold).
    ///
    /// # Errors
    /// [`QuorumError::TooManySignatures`] (nothing verified), or
    /// [`QuorumError::BelowThreshold`].
    pub fn verify(
        &self,
        digest: &Digest,
        signatures: &[ListedSignature<'_>],
        encoding: SignatureEncoding,
    ) -> Result<Signers, QuorumError> {
        self.count(digest, signatures, encoding, true)?.finish()
    }

    /// Every listed signature that verifies with a key of the role, and whether they make
    /// the threshold (for tools that show who signed: unlike [`Quorum::verify`], it does
    /// not stop at the threshold).
    ///
    /// # Errors
    /// [`QuorumError::TooManySignatures`].
    pub fn tally(
        &self,
        digest: &Digest,
        signatures: &[ListedSignature<'_>],
        encoding: SignatureEncoding,
    ) -> Result<(Signers, bool), QuorumError> {
        let tally = self.count(digest, signatures, encoding, false)?;
        let met = tally.met();
        Ok((tally.signers, met))
    }

    fn count(
        &self,
        digest: &Digest,
        signatures: &[ListedSignature<'_>],
        encoding: SignatureEncoding,
        stop_at_threshold: bool,
    ) -> Result<Tally<'s, N>, QuorumError> {
        if signatures.len() > MAX_SIGNATURES {
            return Err(QuorumError::TooManySignatures);
        }
        let mut tally = self.start();
        for listed in signatures {
            if stop_at_threshold && tally.met() {
                break;
            }
            tally.offer(Some(&listed.key_id), digest, listed.signature, encoding)?;
        }
        Ok(tally)
    }
}

/// What [`Tally::offer`] made of a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offered {
    /// It verified with a key of the role not counted before: one more signer.
    Counted(KeyId),
    /// It claims a key outside the role (not verified).
    NotInRole,
    /// It claims a key already offered (not verified: a key counts once, judged by the
    /// first signature that claims it).
    Repeated,
    /// It claims a key of the role and does not verify with it.
    Invalid,
}

/// A count of distinct signers of the role, fed one signature at a time
/// ([`Quorum::start`]).
#[derive(Debug, Clone)]
pub struct Tally<'s, const N: usize> {
    quorum: Quorum<'s, N>,
    signers: Signers,
    /// The store positions of the role's keys claimed so far (counted or not), so that each
    /// key is judged by the first signature that claims it.
    claimed: heapless::Vec<usize, MAX_SIGNATURES>,
    offered: usize,
    failed: bool,
}

impl<const N: usize> Tally<'_, N> {
    /// Offer one signature over `digest`, claiming `key_id` or, with `None`, any key of the
    /// role not claimed yet (each such try costs a verification). Takes at most
    /// [`MAX_SIGNATURES`] offers.
    ///
    /// # Errors
    /// [`QuorumError::TooManySignatures`] on offer [`MAX_SIGNATURES`] + 1.
    pub fn offer(
        &mut self,
        key_id: Option<&KeyId>,
        digest: &Digest,
        signature: &[u8],
        encoding: SignatureEncoding,
    ) -> Result<Offered, QuorumError> {
        if self.offered >= MAX_SIGNATURES {
            return Err(QuorumError::TooManySignatures);
        }
        self.offered += 1;
        let outcome = match key_id {
            Some(id) => self.offer_claimed(id, digest, signature, encoding),
            None => self.offer_unclaimed(digest, signature, encoding),
        };
        if outcome == Offered::Invalid {
            self.failed = true;
        }
        Ok(outcome)
    }

    fn offer_claimed(
        &mut self,
        id: &KeyId,
        digest: &Digest,
        signature: &[u8],
        encoding: SignatureEncoding,
    ) -> Offered {
        let keys = self.quorum.keys;
        let Some(at) = keys.position(id) else {
            return Offered::NotInRole;
        };
        if self.claimed.contains(&at) {
            return Offered::Repeated;
        }
        self.claim(at);
        match keys.iter().nth(at) {
            Some(key) if key.verify_digest(digest, signature, encoding).is_ok() => self.count(*id),
            _ => Offered::Invalid,
        }
    }

    fn offer_unclaimed(
        &mut self,
        digest: &Digest,
        signature: &[u8],
        encoding: SignatureEncoding,
    ) -> Offered {
        let found = self.quorum.keys.iter().enumerate().find(|(at, key)| {
            !self.claimed.contains(at)
                && key.algorithm().hash() == digest.algorithm()
                && key.verify_digest(digest, signature, encoding).is_ok()
        });
        match found {
            Some((at, key)) => {
                self.claim(at);
                self.count(key.key_id())
            }
            None => Offered::Invalid,
        }
    }

    fn claim(&mut self, at: usize) {
        // Cannot overflow: at most MAX_SIGNATURES offers are taken, each claims one key.
        let _ = self.claimed.push(at);
    }

    fn count(&mut self, id: KeyId) -> Offered {
        // Cannot overflow: a key is counted once, after its claim.
        let _ = self.signers.ids.push(id);
        Offered::Counted(id)
    }

    /// Whether the threshold is met.
    pub fn met(&self) -> bool {
        self.signers.len() >= usize::from(self.quorum.threshold)
    }

    /// Whether a signature claiming a key of the role (or, unclaimed, any key) did not
    /// verify.
    pub fn saw_invalid(&self) -> bool {
        self.failed
    }

    /// The signers so far.
    pub fn signers(&self) -> &Signers {
        &self.signers
    }

    /// The signers when they make the threshold.
    ///
    /// # Errors
    /// [`QuorumError::BelowThreshold`].
    pub fn finish(self) -> Result<Signers, QuorumError> {
        if self.met() {
            Ok(self.signers)
        } else {
            Err(QuorumError::BelowThreshold {
                signed: u8::try_from(self.signers.len()).unwrap_or(u8::MAX),
                needed: self.quorum.threshold,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::signature::Signer as _;
    use p256::ecdsa::{Signature, SigningKey};
    use std::vec::Vec;

    use super::*;
    use crate::crypto::{TrustedKey, p256_test_key};

    const MESSAGE: &[u8] = br#"{"product":"acme","version":"2.0.0"}"#;

    /// Release keys 1, 2, 3 trusted; key 9 is not.
    fn role() -> (Vec<(SigningKey, TrustedKey)>, TrustStore<4>) {
        let keys: Vec<_> = [1, 2, 3, 9].into_iter().map(p256_test_key).collect();
        let mut store = TrustStore::new();
        for (_, trusted) in &keys[..3] {
            store.add(trusted.clone()).unwrap();
        }
        (keys, store)
    }

    fn sign(k: &(SigningKey, TrustedKey), message: &[u8]) -> Vec<u8> {
        let signature: Signature = k.0.sign(message);
        signature.to_der().as_bytes().to_vec()
    }

    fn listed<'a>(k: &(SigningKey, TrustedKey), signature: &'a [u8]) -> ListedSignature<'a> {
        ListedSignature {
            key_id: k.1.key_id(),
            signature,
        }
    }

    #[test]
    fn two_of_three_distinct_trusted_keys_are_needed() {
        let (keys, store) = role();
        let quorum = Quorum::new(&store, 2).unwrap();
        let digest = Digest::sha256(MESSAGE);
        let sigs: Vec<Vec<u8>> = keys.iter().map(|k| sign(k, MESSAGE)).collect();
        let verify =
            |list: &[ListedSignature<'_>]| quorum.verify(&digest, list, SignatureEncoding::Der);

        // Two trusted keys: accepted, and the signers are named.
        let signers = verify(&[listed(&keys[0], &sigs[0]), listed(&keys[2], &sigs[2])]).unwrap();
        assert_eq!(signers.len(), 2);
        assert!(signers.contains(&keys[0].1.key_id()) && signers.contains(&keys[2].1.key_id()));

        // One stolen key alone, however often it is listed, is not enough.
        let below = QuorumError::BelowThreshold {
            signed: 1,
            needed: 2,
        };
        assert_eq!(verify(&[listed(&keys[1], &sigs[1])]), Err(below));
        assert_eq!(
            verify(&[listed(&keys[1], &sigs[1]), listed(&keys[1], &sigs[1])]),
            Err(below)
        );
        // An untrusted key does not count, nor does a trusted key's id on another's signature.
        assert_eq!(
            verify(&[listed(&keys[1], &sigs[1]), listed(&keys[3], &sigs[3])]),
            Err(below)
        );
        assert_eq!(
            verify(&[listed(&keys[1], &sigs[1]), listed(&keys[0], &sigs[3])]),
            Err(below)
        );
        // A signature over other bytes does not count.
        let other = sign(&keys[0], b"{\"version\":\"9.9.9\"}");
        assert_eq!(
            verify(&[listed(&keys[0], &other), listed(&keys[1], &sigs[1])]),
            Err(below)
        );
        // A bad signature does not spoil good ones listed after it.
        assert!(
            verify(&[
                listed(&keys[0], &other),
                listed(&keys[1], &sigs[1]),
                listed(&keys[2], &sigs[2])
            ])
            .is_ok()
        );
        // A key listed first with a bad signature is judged by it.
        assert_eq!(
            verify(&[
                listed(&keys[0], &other),
                listed(&keys[0], &sigs[0]),
                listed(&keys[1], &sigs[1])
            ]),
            Err(below)
        );
    }

    #[test]
    fn verify_stops_at_the_threshold_and_tally_counts_everyone() {
        let (keys, store) = role();
        let digest = Digest::sha256(MESSAGE);
        let sigs: Vec<Vec<u8>> = keys.iter().map(|k| sign(k, MESSAGE)).collect();
        let all: Vec<_> = keys.iter().zip(&sigs).map(|(k, s)| listed(k, s)).collect();
        let quorum = Quorum::new(&store, 2).unwrap();
        assert_eq!(
            quorum
                .verify(&digest, &all, SignatureEncoding::Der)
                .unwrap()
                .len(),
            2
        );
        let (signers, met) = quorum.tally(&digest, &all, SignatureEncoding::Der).unwrap();
        assert_eq!((signers.len(), met), (3, true));
        let one = Quorum::new(&store, 3).unwrap();
        let (signers, met) = one
            .tally(&digest, &all[1..], SignatureEncoding::Der)
            .unwrap();
        assert_eq!((signers.len(), met), (2, false));
    }

    #[test]
    fn thresholds_and_list_lengths_are_bounded() {
        let (keys, store) = role();
        assert_eq!(
            Quorum::new(&store, 0).err(),
            Some(QuorumError::BadThreshold {
                threshold: 0,
                keys: 3
            })
        );
        assert_eq!(
            Quorum::new(&store, 4).err(),
            Some(QuorumError::BadThreshold {
                threshold: 4,
                keys: 3
            })
        );
        let quorum = Quorum::new(&store, 1).unwrap();
        let signature = sign(&keys[0], MESSAGE);
        let many = [listed(&keys[0], &signature); MAX_SIGNATURES + 1];
        assert_eq!(
            quorum.verify(&Digest::sha256(MESSAGE), &many, SignatureEncoding::Der),
            Err(QuorumError::TooManySignatures)
        );
        assert!(
            quorum
                .verify(
                    &Digest::sha256(MESSAGE),
                    &many[..MAX_SIGNATURES],
                    SignatureEncoding::Der
                )
                .is_ok()
        );
    }
}
