//! Floor-reset documents: a root-signed statement that lets devices install one named
//! release below their anti-rollback floor, once ([`ota_core::trust::check_floor_reset`]).

use ota_core::crypto::{TrustStore, TrustedKey};
use ota_core::document::{FloorReset, JobDocument};
use ota_core::trust::{
    FLOOR_RESET_TYPE, FloorAllowance, FloorResetStatement, KeyAlgorithm, MAX_FLOOR_RESET_LEN,
    check_floor_reset,
};
use ota_core::version::{SecurityCounter, Version};
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::manifest::check_text;
use super::{Release, ReleaseError, SignedStatement, finish};
use crate::signing::Signer;

/// What a floor-reset statement says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloorResetSpec<'a> {
    /// The product whose devices take it.
    pub product: &'a str,
    /// The hardware whose devices take it.
    pub hardware: &'a str,
    /// Devices take only a higher sequence than their last reset's (each reset is taken
    /// once); at least 1, as a device that never took one holds 0.
    pub sequence: u32,
    /// The release allowed below the floor: its version ...
    pub version: Version,
    /// ... and its security counter.
    pub security_counter: SecurityCounter,
}

/// The canonical bytes of the floor-reset statement `spec` describes (the bytes its signers
/// sign): `{"type":"floor-reset","product","hardware","sequence","version","securityCounter"}`
/// in that order, compact, checked to read back with [`FloorResetStatement`] as `spec`.
///
/// # Errors
/// [`ReleaseError::BadField`] for an unusable product or hardware (empty, quotes,
/// backslashes, control characters), a sequence of 0 (no device takes it), or a statement
/// longer than [`MAX_FLOOR_RESET_LEN`]; [`ReleaseError::SelfCheck`] when it does not read
/// back.
pub fn floor_reset_statement(spec: &FloorResetSpec<'_>) -> Result<Vec<u8>, ReleaseError> {
    check_text("product", spec.product)?;
    check_text("hardware", spec.hardware)?;
    if spec.sequence == 0 {
        return Err(ReleaseError::BadField {
            field: "sequence",
            reason: "must be at least 1 (devices take a sequence above their last reset's, 0 before any)",
        });
    }
    let bytes =
        serde_json::to_vec(&Statement(spec)).map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    if bytes.len() > MAX_FLOOR_RESET_LEN {
        return Err(ReleaseError::BadField {
            field: "statement",
            reason: "longer than the 512 bytes devices read: a shorter product, hardware or version",
        });
    }
    let read: FloorResetStatement<'_> =
        ota_core::json::from_slice(&bytes).map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    if read.kind != FLOOR_RESET_TYPE
        || read.product != spec.product
        || read.hardware != spec.hardware
        || read.sequence != spec.sequence
        || read.version != spec.version
        || read.security_counter != spec.security_counter
    {
        return Err(ReleaseError::SelfCheck(
            "the statement reads back differently".into(),
        ));
    }
    Ok(bytes)
}

/// A floor-reset document for `spec`, signed by `signer` (one of the devices' *root* keys;
/// more sign in turn with [`super::cosign`] until the root threshold is met). Before it is
/// returned, the document is parsed back and checked with
/// [`ota_core::trust::check_floor_reset`] as a device holding the signer's key as its only
/// root key (threshold 1) and of the spec's product and hardware would check it.
///
/// Does not check that the signer is a root key of the devices, that the allowed release
/// exists, or anything about the devices' floors and counters (a device whose monotonic
/// counter is above the allowed counter refuses the reset).
///
/// # Errors
/// As [`floor_reset_statement`]; [`ReleaseError::BadField`] (`keyId`) when the signer's
/// algorithm is not one a root carries (P-256, RSA PKCS#1 v1.5, RSA-PSS with a 32-byte
/// salt); [`ReleaseError::Signing`]; [`ReleaseError::DocumentTooLong`];
/// [`ReleaseError::SelfCheck`] when the document does not pass that check.
pub fn floor_reset(
    spec: &FloorResetSpec<'_>,
    signer: &dyn Signer,
) -> Result<Release, ReleaseError> {
    let statement = floor_reset_statement(spec)?;
    if KeyAlgorithm::of(signer.algorithm()).is_none() {
        return Err(ReleaseError::BadField {
            field: "keyId",
            reason: "the signer's key cannot be a root key: roots carry P-256, RSA PKCS#1 v1.5 and RSA-PSS (32-byte salt) keys",
        });
    }
    let signed = SignedStatement::sign(&statement, signer)?;
    let (statement, signature, key_id) = signed.texts()?;
    let reset = FloorReset {
        statement,
        signature,
        key_id,
        cosignatures: None,
    };
    let document =
        serde_json::to_string(&reset).map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    self_check(&document, spec, signer)?;
    finish(document, signed.signature, signed.key_id, None)
}

/// The document reads back as a floor reset that a device of the spec's product and
/// hardware, holding only the signer's key as root key, takes with the spec's allowance.
fn self_check(
    document: &str,
    spec: &FloorResetSpec<'_>,
    signer: &dyn Signer,
) -> Result<(), ReleaseError> {
    let JobDocument::FloorReset(read) = JobDocument::parse(document.as_bytes())? else {
        return Err(ReleaseError::SelfCheck("not read as a floor reset".into()));
    };
    let mut root_keys = TrustStore::<1>::new();
    TrustedKey::new(signer.public_key().clone(), signer.algorithm())
        .and_then(|key| root_keys.add(key))
        .map_err(|e| ReleaseError::SelfCheck(format!("signer key: {e}")))?;
    let mut scratch = [0u8; MAX_FLOOR_RESET_LEN];
    let allowance = check_floor_reset(
        &read,
        &root_keys,
        spec.product,
        spec.hardware,
        spec.sequence - 1,
        &mut scratch,
    )
    .map_err(|e| ReleaseError::SelfCheck(e.to_string()))?;
    let expected = FloorAllowance {
        sequence: spec.sequence,
        version: spec.version,
        security_counter: spec.security_counter,
    };
    if allowance == expected {
        Ok(())
    } else {
        Err(ReleaseError::SelfCheck(
            "the statement allows another release than asked".into(),
        ))
    }
}

/// The statement in canonical member order.
struct Statement<'s, 'a>(&'s FloorResetSpec<'a>);

impl Serialize for Statement<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let spec = self.0;
        let mut map = s.serialize_map(Some(6))?;
        map.serialize_entry("type", FLOOR_RESET_TYPE)?;
        map.serialize_entry("product", spec.product)?;
        map.serialize_entry("hardware", spec.hardware)?;
        map.serialize_entry("sequence", &spec.sequence)?;
        map.serialize_entry("version", &spec.version)?;
        map.serialize_entry("securityCounter", &spec.security_counter)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use ota_core::crypto::{TrustStore, TrustedKey};
    use ota_core::document::FloorReset;
    use ota_core::manifest::Rejection;
    use ota_core::trust::{
        FloorAllowance, FloorResetError, MAX_FLOOR_RESET_LEN, Root, check_floor_reset,
    };
    use ota_core::version::SecurityCounter;

    use super::super::cosign;
    use super::*;
    use crate::signing::{KeyAlgorithm, LocalSigner, PrivateKey};
    use crate::testing::version as v;

    fn p256(seed: u8) -> LocalSigner {
        let key = PrivateKey::generate_seeded(KeyAlgorithm::P256, [seed; 32]).unwrap();
        LocalSigner::with_default_algorithm(key, false).unwrap()
    }

    fn spec() -> FloorResetSpec<'static> {
        FloorResetSpec {
            product: "acme",
            hardware: "rev-b",
            sequence: 1,
            version: v("1.2.1"),
            security_counter: SecurityCounter(6),
        }
    }

    /// A root of version 1 whose root role is `root_keys` (`threshold` of them) and whose
    /// release role is an unrelated key.
    fn root(root_keys: &[&LocalSigner], threshold: u8) -> Root<4> {
        let mut root = TrustStore::new();
        for s in root_keys {
            root.add(TrustedKey::new(s.public_key().clone(), s.algorithm()).unwrap())
                .unwrap();
        }
        root.set_threshold(threshold).unwrap();
        let release_key = p256(99);
        let mut release = TrustStore::new();
        release
            .add(
                TrustedKey::new(release_key.public_key().clone(), release_key.algorithm()).unwrap(),
            )
            .unwrap();
        Root::new(1, root, release).unwrap()
    }

    /// What a device of acme/rev-b holding `root`, whose last reset was `last`, decides.
    fn device(
        root: &Root<4>,
        document: &str,
        last: u32,
    ) -> Result<FloorAllowance, FloorResetError> {
        let reset = FloorReset::parse(document.as_bytes()).unwrap();
        let mut scratch = [0u8; MAX_FLOOR_RESET_LEN];
        check_floor_reset(&reset, root.root(), "acme", "rev-b", last, &mut scratch)
    }

    #[test]
    fn the_statement_is_canonical() {
        assert_eq!(
            String::from_utf8(floor_reset_statement(&spec()).unwrap()).unwrap(),
            r#"{"type":"floor-reset","product":"acme","hardware":"rev-b","sequence":1,"version":"1.2.1","securityCounter":6}"#
        );
    }

    #[test]
    fn a_floor_reset_round_trips_through_the_device_check() {
        let a = p256(1);
        let release = floor_reset(&spec(), &a).unwrap();
        assert!(
            release
                .document
                .starts_with(r#"{"operation":"floor_reset","reset":{"statement":""#),
            "{}",
            release.document
        );
        assert_eq!(release.key_id, a.key_id());
        assert!(release.manifest.is_none());
        let allowance = device(&root(&[&a], 1), &release.document, 0).unwrap();
        assert_eq!(
            allowance,
            FloorAllowance {
                sequence: 1,
                version: v("1.2.1"),
                security_counter: SecurityCounter(6),
            }
        );
        // Taken once; other keys, other hardware refuse it.
        assert_eq!(
            device(&root(&[&a], 1), &release.document, 1),
            Err(FloorResetError::NotNewer {
                last: 1,
                offered: 1
            })
        );
        assert_eq!(
            device(&root(&[&p256(2)], 1), &release.document, 0),
            Err(FloorResetError::NotAuthorized(Rejection::UnknownKey))
        );
        let rev_c = floor_reset(
            &FloorResetSpec {
                hardware: "rev-c",
                ..spec()
            },
            &a,
        )
        .unwrap();
        assert_eq!(
            device(&root(&[&a], 1), &rev_c.document, 0),
            Err(FloorResetError::WrongHardware)
        );
    }

    #[test]
    fn a_cosigned_floor_reset_meets_a_threshold_of_two() {
        let (a, b) = (p256(1), p256(2));
        let two_of_two = root(&[&a, &b], 2);
        let by_a = floor_reset(&spec(), &a).unwrap();
        assert_eq!(
            device(&two_of_two, &by_a.document, 0),
            Err(FloorResetError::NotAuthorized(Rejection::BelowThreshold))
        );
        let by_ab = cosign(&by_a.document, &b).unwrap();
        assert_eq!(
            device(&two_of_two, &by_ab.document, 0).map(|a| a.sequence),
            Ok(1)
        );
    }

    #[test]
    fn unusable_fields_are_refused() {
        let a = p256(1);
        let field = |spec: FloorResetSpec<'_>| match floor_reset(&spec, &a) {
            Err(ReleaseError::BadField { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(FloorResetSpec {
                product: "",
                ..spec()
            }),
            "product"
        );
        assert_eq!(
            field(FloorResetSpec {
                hardware: "rev\"b",
                ..spec()
            }),
            "hardware"
        );
        assert_eq!(
            field(FloorResetSpec {
                hardware: "rev\nb",
                ..spec()
            }),
            "hardware"
        );
        assert_eq!(
            field(FloorResetSpec {
                sequence: 0,
                ..spec()
            }),
            "sequence"
        );
        let long = "p".repeat(MAX_FLOOR_RESET_LEN);
        assert_eq!(
            field(FloorResetSpec {
                product: &long,
                ..spec()
            }),
            "statement"
        );
        // The largest values still read back.
        let most = FloorResetSpec {
            sequence: u32::MAX,
            security_counter: SecurityCounter(u32::MAX),
            version: v("4294967295.4294967295.4294967295-rc.1+build.7"),
            ..spec()
        };
        let release = floor_reset(&most, &a).unwrap();
        assert_eq!(
            device(&root(&[&a], 1), &release.document, u32::MAX - 1)
                .map(|a| (a.version, a.security_counter)),
            Ok((most.version, most.security_counter))
        );
    }
}
