//! The signatures a signed statement carries in a job document, and how they are checked
//! against a [`TrustStore`] and its threshold. Shared by the firmware manifest
//! ([`crate::manifest`]) and the trust-root update ([`crate::trust`]).
//!
//! A statement travels as base64 bytes; its `signature` (with `keyId`) is the first
//! signature and its `cosignatures` the others, all over exactly those bytes. ECDSA
//! signatures are DER. What it does not do: decode the statement or say what it means.

use crate::crypto::{
    Base64Mode, CryptoError, Digest, KeyId, MAX_VERIFIABLE_SIGNATURE_LEN, Quorum,
    SignatureEncoding, Signers, Tally, TrustStore,
};
use crate::document::Cosignatures;
use crate::json::JsonStr;
use crate::manifest::Rejection;

/// A statement's signatures, as written in its document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signatures<'a> {
    /// Base64 of the first signature.
    pub signature: JsonStr<'a>,
    /// Hex key id of the first signer; without it every trusted key is tried (only when
    /// there are no cosignatures).
    pub key_id: Option<JsonStr<'a>>,
    /// The other signatures, each naming its key.
    pub cosignatures: Option<Cosignatures<'a>>,
}

impl Signatures<'_> {
    /// Check that `trust`'s threshold of distinct keys signed `digest`: with the key named
    /// by `keyId` (or any trusted key) when the threshold is 1 and there are no
    /// cosignatures, otherwise the first signature then the cosignatures in order until the
    /// threshold is met (see [`Quorum`]). Returns the first key that verified.
    ///
    /// # Errors
    /// [`Rejection::Encoding`], [`Rejection::UnknownKey`] (no signature names a trusted
    /// key), [`Rejection::BadSignature`] (none verifies), or [`Rejection::BelowThreshold`]
    /// (some do, too few; or the store holds fewer keys than its threshold).
    #[inline(never)]
    pub fn check<const N: usize>(
        &self,
        trust: &TrustStore<N>,
        digest: &Digest,
    ) -> Result<KeyId, Rejection> {
        if trust.threshold() == 1 && self.cosignatures.is_none() {
            return self.check_first(trust, digest);
        }
        let tally = self.count(trust, digest, true)?;
        match (tally.met(), tally.signers().iter().next()) {
            (true, Some(first)) => Ok(*first),
            _ => Err(shortfall(&tally)),
        }
    }

    /// The first signature alone, with its `keyId` or any trusted key, whatever the
    /// threshold and the cosignatures.
    ///
    /// # Errors
    /// [`Rejection::Encoding`], [`Rejection::UnknownKey`] or [`Rejection::BadSignature`].
    pub fn check_first<const N: usize>(
        &self,
        trust: &TrustStore<N>,
        digest: &Digest,
    ) -> Result<KeyId, Rejection> {
        let mut sig_buf = [0u8; MAX_VERIFIABLE_SIGNATURE_LEN];
        let signature = self
            .signature
            .decode_base64(&mut sig_buf, Base64Mode::Strict)
            .map_err(|_| Rejection::Encoding)?;
        let key_id = self.first_key_id()?;
        let key = trust
            .verify_digest(key_id.as_ref(), digest, signature, SignatureEncoding::Der)
            .map_err(|e| match e {
                CryptoError::UnknownKeyId | CryptoError::NoMatchingKey => Rejection::UnknownKey,
                _ => Rejection::BadSignature,
            })?;
        Ok(key.key_id())
    }

    /// Every key of `trust` that signed `digest` (every signature verified: it does not stop
    /// at the threshold), and whether they make the threshold.
    ///
    /// # Errors
    /// [`Rejection::Encoding`], [`Rejection::UnknownKey`] for a `keyId` that is not 64 hex
    /// digits, [`Rejection::BelowThreshold`] when the store holds fewer keys than its
    /// threshold.
    pub fn signers<const N: usize>(
        &self,
        trust: &TrustStore<N>,
        digest: &Digest,
    ) -> Result<(Signers, bool), Rejection> {
        let tally = self.count(trust, digest, false)?;
        let met = tally.met();
        Ok((tally.signers().clone(), met))
    }

    /// Check what can be checked without keys: every signature is strict base64 that fits,
    /// every `keyId` is 64 hex digits.
    ///
    /// # Errors
    /// [`Rejection::Encoding`] or [`Rejection::UnknownKey`].
    pub fn check_encoding(&self) -> Result<(), Rejection> {
        let mut sig_buf = [0u8; MAX_VERIFIABLE_SIGNATURE_LEN];
        self.signature
            .decode_base64(&mut sig_buf, Base64Mode::Strict)
            .map_err(|_| Rejection::Encoding)?;
        self.first_key_id()?;
        for cosignature in self.cosignatures.iter().flat_map(|list| list.iter()) {
            key_id_from_hex(&cosignature.key_id).map_err(|_| Rejection::UnknownKey)?;
            cosignature
                .signature
                .decode_base64(&mut sig_buf, Base64Mode::Strict)
                .map_err(|_| Rejection::Encoding)?;
        }
        Ok(())
    }

    /// Offer the signatures to the store's quorum, one decoded at a time into the same
    /// buffer, stopping once the threshold is met when `stop_at_threshold`.
    #[inline(never)]
    fn count<'s, const N: usize>(
        &self,
        trust: &'s TrustStore<N>,
        digest: &Digest,
        stop_at_threshold: bool,
    ) -> Result<Tally<'s, N>, Rejection> {
        let quorum = Quorum::of(trust).map_err(|_| Rejection::BelowThreshold)?;
        let mut tally = quorum.start();
        let mut sig_buf = [0u8; MAX_VERIFIABLE_SIGNATURE_LEN];
        let mut offer = |tally: &mut Tally<'s, N>, key_id: Option<KeyId>, text: &JsonStr<'_>| {
            let signature = text
                .decode_base64(&mut sig_buf, Base64Mode::Strict)
                .map_err(|_| Rejection::Encoding)?;
            // At most 1 + MAX_COSIGNATURES offers: never too many.
            tally
                .offer(key_id.as_ref(), digest, signature, SignatureEncoding::Der)
                .map_err(|_| Rejection::Encoding)
                .map(drop)
        };
        offer(&mut tally, self.first_key_id()?, &self.signature)?;
        for cosignature in self.cosignatures.iter().flat_map(|list| list.iter()) {
            if stop_at_threshold && tally.met() {
                break;
            }
            let key_id = key_id_from_hex(&cosignature.key_id).map_err(|_| Rejection::UnknownKey)?;
            offer(&mut tally, Some(key_id), &cosignature.signature)?;
        }
        Ok(tally)
    }

    /// The first signer's `keyId`, when there is one.
    fn first_key_id(&self) -> Result<Option<KeyId>, Rejection> {
        self.key_id
            .as_ref()
            .map(key_id_from_hex)
            .transpose()
            .map_err(|_| Rejection::UnknownKey)
    }
}

/// Why a count of signers fell short: no trusted key named ([`Rejection::UnknownKey`]),
/// named ones that did not verify ([`Rejection::BadSignature`]), or too few that did
/// ([`Rejection::BelowThreshold`]).
fn shortfall<const N: usize>(tally: &Tally<'_, N>) -> Rejection {
    match (tally.signers().is_empty(), tally.saw_invalid()) {
        (false, _) => Rejection::BelowThreshold,
        (true, true) => Rejection::BadSignature,
        (true, false) => Rejection::UnknownKey,
    }
}

/// The key id a `keyId` names (64 hex digits once decoded), in a frame of its own: its
/// buffer is not on the stack during the verification.
#[inline(never)]
pub(crate) fn key_id_from_hex(text: &JsonStr<'_>) -> Result<KeyId, CryptoError> {
    let mut buf = [0u8; 64];
    let hex = text
        .decode(&mut buf)
        .map_err(|_| CryptoError::UnknownKeyId)?;
    KeyId::from_hex(hex)
}
