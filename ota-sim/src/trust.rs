//! The keys of a `[trust]` scenario and the device's side of them.
//!
//! [`TrustKeys`] holds every private key of the run (drawn from the seed): three root keys
//! (two needed), the release keys of the scenario, the key a rotation adds. It makes the
//! root built into the devices' firmware (version 1), the trust-update document that
//! rotates it (version 2: release key 1 revoked, the new key added, signed by two root
//! keys), and the documents an attacker holding release key 1 can make.
//!
//! [`SimTrust`] is what a simulated device's client verifies with: the fixed trust store of
//! a plain scenario, or a root held in RAM and kept in the device's root record.

use ota_cloud::release::{RoleSpec, RootSpec, cosign, trust_update};
use ota_cloud::signing::{KeyAlgorithm, LocalSigner, PrivateKey, Signer as _};
use ota_core::crypto::{TrustStore, TrustedKey};
use ota_core::trust::{MAX_ROOT_LEN, Root};
use ota_device::Reason;
use ota_device::trust::{Rotation, TrustSource, apply_update};

use crate::release::{KeyError, PRODUCT};
use crate::rng::SimRng;
use crate::scenario::TrustSpec;
use crate::storage::SimRootStore;

/// Keys per role a simulated device holds (the trust stores' capacity).
pub const TRUST_KEYS: usize = 4;

/// Root keys, and how many of them sign a root.
const ROOT_KEYS: usize = 3;
const ROOT_THRESHOLD: u8 = 2;

/// Every private key of a `[trust]` run, and the roots they make.
pub struct TrustKeys {
    root: Vec<LocalSigner>,
    /// Release keys; index 0 is "release key 1", the one the attacker holds.
    release: Vec<LocalSigner>,
    /// The key the rotation adds.
    replacement: LocalSigner,
    threshold: u8,
    /// The root built into the devices' firmware (version 1).
    pub built_in: Root<TRUST_KEYS>,
}

fn signer(rng: &mut SimRng) -> Result<LocalSigner, KeyError> {
    let mut seed = [0u8; 32];
    for chunk in seed.chunks_mut(8) {
        chunk.copy_from_slice(&rng.u64().to_le_bytes());
    }
    let key = PrivateKey::generate_seeded(KeyAlgorithm::P256, seed)?;
    Ok(LocalSigner::with_default_algorithm(key, false)?)
}

fn trusted(signers: &[&LocalSigner]) -> Result<Vec<TrustedKey>, KeyError> {
    signers
        .iter()
        .map(|s| {
            TrustedKey::new(s.public_key().clone(), s.algorithm())
                .map_err(|e| KeyError::Untrusted(e.to_string()))
        })
        .collect()
}

fn store(keys: &[TrustedKey], threshold: u8) -> Result<TrustStore<TRUST_KEYS>, KeyError> {
    let mut store = TrustStore::new();
    for key in keys {
        store
            .add(key.clone())
            .map_err(|e| KeyError::Untrusted(format!("{e:?}")))?;
    }
    store
        .set_threshold(threshold)
        .map_err(|e| KeyError::Untrusted(format!("{e:?}")))?;
    Ok(store)
}

impl TrustKeys {
    /// The keys of `spec`, drawn from a stream of their own (seeded from `seed`), so that a
    /// scenario's other draws do not move when `[trust]` is added.
    ///
    /// # Errors
    /// [`KeyError`] if a key cannot be made (not expected from a seed).
    pub fn generate(spec: &TrustSpec, seed: u64) -> Result<Self, KeyError> {
        let mut rng = SimRng::new(seed ^ 0x7472_7573_745f_6b65);
        let root = (0..ROOT_KEYS)
            .map(|_| signer(&mut rng))
            .collect::<Result<Vec<_>, _>>()?;
        let release = (0..spec.release_keys)
            .map(|_| signer(&mut rng))
            .collect::<Result<Vec<_>, _>>()?;
        let replacement = signer(&mut rng)?;
        let root_keys = trusted(&root.iter().collect::<Vec<_>>())?;
        let release_keys = trusted(&release.iter().collect::<Vec<_>>())?;
        let built_in = Root::new(
            1,
            store(&root_keys, ROOT_THRESHOLD)?,
            store(&release_keys, spec.threshold)?,
        )
        .map_err(|e| KeyError::Untrusted(e.to_string()))?;
        Ok(Self {
            root,
            release,
            replacement,
            threshold: spec.threshold,
            built_in,
        })
    }

    /// The release keys that sign the operator's releases, first one first.
    pub fn release_signers(&self, spec: &TrustSpec) -> Vec<&LocalSigner> {
        spec.release_signers()
            .filter_map(|i| self.release.get(i))
            .collect()
    }

    /// Release key 1: the stolen one.
    pub fn stolen(&self) -> &LocalSigner {
        &self.release[0]
    }

    /// The trust-update document of root version 2: the same root keys, release key 1
    /// replaced by a new key, the same threshold; signed by two root keys.
    ///
    /// # Errors
    /// The release path's error, as text.
    pub fn rotation_document(&self) -> Result<String, String> {
        let root_keys =
            trusted(&self.root.iter().collect::<Vec<_>>()).map_err(|e| e.to_string())?;
        let kept: Vec<&LocalSigner> = self
            .release
            .iter()
            .skip(1)
            .chain(core::iter::once(&self.replacement))
            .collect();
        let release_keys = trusted(&kept).map_err(|e| e.to_string())?;
        let spec = RootSpec {
            product: PRODUCT,
            version: 2,
            root: RoleSpec {
                threshold: ROOT_THRESHOLD,
                keys: &root_keys,
            },
            release: RoleSpec {
                threshold: self.threshold,
                keys: &release_keys,
            },
            timestamp: None,
        };
        let first = trust_update(&spec, &self.root[0]).map_err(|e| e.to_string())?;
        cosign(&first.document, &self.root[1])
            .map(|r| r.document)
            .map_err(|e| e.to_string())
    }
}

/// What a simulated device's client verifies with.
pub enum SimTrust {
    /// One release key, built in (a scenario without `[trust]`).
    Fixed(&'static TrustStore<TRUST_KEYS>),
    /// A root that trust-update jobs rotate, kept in the device's root record.
    Rotating {
        /// The root held.
        root: Box<Root<TRUST_KEYS>>,
        /// Where it is kept.
        store: SimRootStore,
    },
}

impl TrustSource<TRUST_KEYS> for SimTrust {
    fn release(&self) -> &TrustStore<TRUST_KEYS> {
        match self {
            Self::Fixed(store) => store,
            Self::Rotating { root, .. } => root.release(),
        }
    }

    fn root(&self) -> Option<&Root<TRUST_KEYS>> {
        match self {
            Self::Fixed(_) => None,
            Self::Rotating { root, .. } => Some(root),
        }
    }

    fn rotates(&self) -> bool {
        matches!(self, Self::Rotating { .. })
    }

    fn apply_update(
        &mut self,
        raw_document: &[u8],
        product: &str,
        scratch: &mut [u8; MAX_ROOT_LEN],
    ) -> Result<u32, Reason> {
        match self {
            Self::Fixed(_) => Err(Reason::UnsupportedDocument),
            Self::Rotating { root, store } => {
                let mut rotation = Rotation::new(root, store);
                apply_update(&mut rotation, raw_document, product, scratch)
            }
        }
    }
}
