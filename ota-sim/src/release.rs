//! The images and signed job documents of a run, made at the start from the seed.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ota_core::crypto::{Algorithm, Digest, PublicKey, TrustStore, TrustedKey};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};

use crate::rng::SimRng;

/// The product id of every simulated device.
pub const PRODUCT: &str = "ota-sim";

/// The release key and the trust store devices hold.
pub struct Keys {
    key: SigningKey,
    /// The devices' trust store.
    pub trust: &'static TrustStore<1>,
}

impl Keys {
    /// A P-256 release key from the run's random stream.
    pub fn new(rng: &mut SimRng) -> Self {
        let key = loop {
            let mut seed = [0u8; 32];
            for chunk in seed.chunks_mut(8) {
                chunk.copy_from_slice(&rng.u64().to_le_bytes());
            }
            if let Ok(k) = SigningKey::from_slice(&seed) {
                break k;
            }
        };
        let point = key.verifying_key().to_sec1_point(false);
        let public =
            PublicKey::from_sec1(point.as_bytes()).expect("a P-256 point from a valid key");
        let mut store = TrustStore::new();
        let _ = store
            .add(TrustedKey::new(public, Algorithm::EcdsaP256Sha256).expect("P-256 with ECDSA"));
        Self {
            key,
            trust: Box::leak(Box::new(store)),
        }
    }

    /// Our signed firmware-update document for `image`, built for `hardware`, served on
    /// `stream`.
    pub fn document(
        &self,
        image: &[u8],
        version: &str,
        counter: u32,
        hardware: &str,
        min_version: Option<&str>,
        stream: &str,
    ) -> String {
        let sha: String = Digest::sha256(image)
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let min = min_version
            .map(|m| format!(r#","minVersion":"{m}""#))
            .unwrap_or_default();
        let manifest = format!(
            r#"{{"product":"{PRODUCT}","hardware":"{hardware}","fileId":0,"version":"{version}","securityCounter":{counter},"size":{},"sha256":"{sha}"{min}}}"#,
            image.len()
        );
        let signature: Signature = self.key.sign(manifest.as_bytes());
        format!(
            r#"{{"operation":"firmware_update","firmware":{{"manifest":"{}","signature":"{}","version":"{version}","stream":"{stream}","fileId":0}}}}"#,
            STANDARD.encode(&manifest),
            STANDARD.encode(signature.to_der().as_bytes())
        )
    }
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
