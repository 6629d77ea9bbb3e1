//! The release key, images and signed job documents of a run.
//!
//! Documents are made by `ota-cloud`'s release path ([`ota_cloud::release::firmware_update`]):
//! the same code an operator's `ota-cloud release` runs, self-check included.

use std::sync::Arc;

use ota_cloud::release::{FirmwareSpec, ManifestSpec, cosign, firmware_update};
use ota_cloud::signing::{KeyAlgorithm, LocalSigner, PrivateKey, Signer as _, SigningError};
use ota_core::crypto::{TrustStore, TrustedKey};
use ota_core::version::{SecurityCounter, Version};

use crate::rng::SimRng;
use crate::scenario::TrustSpec;
use crate::trust::{TRUST_KEYS, TrustKeys};

/// The product id of every simulated device.
pub const PRODUCT: &str = "ota-sim";

/// Why the release key or a document could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key could not be loaded or used.
    #[error("release key: {0}")]
    Signing(#[from] SigningError),
    /// The key's algorithm is not one devices accept.
    #[error("release key: {0}")]
    Untrusted(String),
    /// A key was given for a scenario with `[trust]`, whose keys come from its seed.
    #[error("a scenario with [trust] signs with the keys it draws from its seed, not --key")]
    TrustScenario,
}

/// The release key and the trust store devices hold.
pub struct Keys {
    signer: LocalSigner,
    /// The devices' trust store.
    pub trust: &'static TrustStore<TRUST_KEYS>,
    /// The keys of a `[trust]` scenario: releases are then signed by its release keys, and
    /// devices hold its root instead of `trust`.
    pub rotating: Option<(TrustKeys, TrustSpec)>,
}

impl Keys {
    /// A P-256 release key drawn from the run's random stream.
    ///
    /// # Errors
    /// Never in practice (key generation from a seed); typed for the signature of
    /// [`Keys::from_pem`].
    pub fn generate(rng: &mut SimRng) -> Result<Self, KeyError> {
        let mut seed = [0u8; 32];
        for chunk in seed.chunks_mut(8) {
            chunk.copy_from_slice(&rng.u64().to_le_bytes());
        }
        Self::with_key(PrivateKey::generate_seeded(KeyAlgorithm::P256, seed)?)
    }

    /// A release key from OpenSSL PEM text (what `ota-cloud keygen` writes): P-256, or RSA
    /// signing PKCS#1 v1.5.
    ///
    /// # Errors
    /// [`KeyError`] when the PEM is not a usable private key.
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        Self::with_key(PrivateKey::from_pem(text)?)
    }

    fn with_key(key: PrivateKey) -> Result<Self, KeyError> {
        let signer = LocalSigner::with_default_algorithm(key, false)?;
        let trusted = TrustedKey::new(signer.public_key().clone(), signer.algorithm())
            .map_err(|e| KeyError::Untrusted(e.to_string()))?;
        let mut store = TrustStore::new();
        store
            .add(trusted)
            .map_err(|e| KeyError::Untrusted(format!("{e:?}")))?;
        Ok(Self {
            signer,
            trust: Box::leak(Box::new(store)),
            rotating: None,
        })
    }

    /// These keys with the keys of a `[trust]` scenario (drawn from `seed`).
    ///
    /// # Errors
    /// [`KeyError`] if a key cannot be made.
    pub fn with_trust(mut self, spec: &TrustSpec, seed: u64) -> Result<Self, KeyError> {
        self.rotating = Some((TrustKeys::generate(spec, seed)?, spec.clone()));
        Ok(self)
    }

    /// The signed firmware-update document for `image` at `version`, built for `hardware`,
    /// served on `stream`: signed by the release key, or by the threshold of release keys of
    /// a `[trust]` scenario (the first signs, the others co-sign).
    ///
    /// # Errors
    /// The release path's error, as text (a version or stream the document cannot carry).
    pub fn document(
        &self,
        image: &[u8],
        version: &Version,
        counter: u32,
        hardware: &str,
        min_version: Option<Version>,
        stream: &str,
    ) -> Result<String, String> {
        let signers = match &self.rotating {
            Some((keys, spec)) => keys.release_signers(spec),
            None => vec![&self.signer],
        };
        let mut manifest = ManifestSpec::new(PRODUCT, hardware, *version);
        manifest.security_counter = SecurityCounter(counter);
        manifest.min_version = min_version;
        signed_document(image, manifest, stream, &signers)
    }

    /// What the holder of stolen release key 1 of a `[trust]` scenario signs: a
    /// firmware-update document for `image` at `version` with security counter `counter`,
    /// signed by that key alone. `None` without `[trust]`.
    ///
    /// # Errors
    /// The release path's error, as text.
    pub fn attack_document(
        &self,
        image: &[u8],
        version: &Version,
        counter: u32,
        hardware: &str,
        stream: &str,
    ) -> Option<Result<String, String>> {
        let (keys, _) = self.rotating.as_ref()?;
        let mut manifest = ManifestSpec::new(PRODUCT, hardware, *version);
        manifest.security_counter = SecurityCounter(counter);
        Some(signed_document(image, manifest, stream, &[keys.stolen()]))
    }
}

/// `image`'s document for `manifest`, served on `stream`, signed by the first of `signers`
/// and co-signed by the others.
fn signed_document(
    image: &[u8],
    manifest: ManifestSpec<'_>,
    stream: &str,
    signers: &[&LocalSigner],
) -> Result<String, String> {
    let Some((first, others)) = signers.split_first() else {
        return Err("no signer".into());
    };
    let mut spec = FirmwareSpec::new(manifest);
    spec.stream = Some(stream);
    let mut document = firmware_update(image, &spec, *first)
        .map(|r| r.document)
        .map_err(|e| e.to_string())?;
    for signer in others {
        document = cosign(&document, *signer)
            .map(|r| r.document)
            .map_err(|e| e.to_string())?;
    }
    Ok(document)
}

/// A deterministic image of `size` bytes for `version`.
pub fn image(size: u32, version: &str, rng: &mut SimRng) -> Arc<[u8]> {
    let mut bytes = Vec::with_capacity(size as usize);
    let mut header = format!("firmware {version}\n").into_bytes();
    header.truncate(size as usize);
    bytes.extend_from_slice(&header);
    while bytes.len() < size as usize {
        let word = rng.u64().to_le_bytes();
        let n = (size as usize - bytes.len()).min(8);
        bytes.extend_from_slice(&word[..n]);
    }
    bytes.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ota_core::document::JobDocument;

    #[test]
    fn documents_verify_with_the_devices_trust_store() {
        let mut rng = SimRng::new(1);
        let keys = Keys::generate(&mut rng).unwrap();
        let img = image(3000, "1.2.0", &mut rng);
        let doc = keys
            .document(&img, &Version::new(1, 2, 0), 3, "rev-a", None, "fw-1_2_0")
            .unwrap();
        assert!(matches!(
            JobDocument::parse(doc.as_bytes()),
            Ok(JobDocument::Firmware(_))
        ));
        // Same seed, same key: the run is reproducible.
        let again = Keys::generate(&mut SimRng::new(1)).unwrap();
        assert_eq!(again.signer.public_key(), keys.signer.public_key());
        assert!(Keys::from_pem("not a key").is_err());
    }
}
