//! Code-signing chains made by `tests/fixtures/x509/generate.sh` (OpenSSL CLI, fixed validity
//! dates): the good chains verify, and each bad one fails with the expected typed error.
#![cfg(feature = "x509")]

use std::path::PathBuf;

use ota_core::crypto::{CryptoError, KeyKind};
use ota_core::x509::{CertRef, CodeSigningPolicy, X509Error, verify_chain};

/// 2025-06-01T00:00:00Z: inside every "good" validity window of the fixtures.
const NOW: i64 = 1_748_736_000;

fn der(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/x509")
        .join(format!("{name}.der"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Verify `leaf` with `intermediates` against `roots` under the default policy.
fn verify(leaf: &str, intermediates: &[&str], roots: &[&str]) -> Result<KeyKind, X509Error> {
    verify_with(
        leaf,
        intermediates,
        roots,
        NOW,
        &CodeSigningPolicy::default(),
    )
}

fn verify_with(
    leaf: &str,
    intermediates: &[&str],
    roots: &[&str],
    now: i64,
    policy: &CodeSigningPolicy,
) -> Result<KeyKind, X509Error> {
    let intermediates: Vec<Vec<u8>> = intermediates.iter().map(|n| der(n)).collect();
    let roots: Vec<Vec<u8>> = roots.iter().map(|n| der(n)).collect();
    let intermediates: Vec<&[u8]> = intermediates.iter().map(Vec::as_slice).collect();
    let roots: Vec<&[u8]> = roots.iter().map(Vec::as_slice).collect();
    verify_chain(&der(leaf), &intermediates, &roots, now, policy).map(|key| key.kind())
}

/// Intermediates and roots.
type Chain = (&'static [&'static str], &'static [&'static str]);

const P256: Chain = (&["int-p256"], &["root-p256"]);
const RSA: Chain = (&["int-rsa"], &["root-rsa"]);

/// `leaf` over `chain` fails with `error` under the default policy.
fn refused(leaf: &str, chain: Chain, error: X509Error) {
    assert_eq!(verify(leaf, chain.0, chain.1), Err(error));
}

#[test]
fn p256_chain_verifies() {
    assert_eq!(verify("leaf-p256", P256.0, P256.1), Ok(KeyKind::P256));
    // Extra unrelated intermediates and roots do not get in the way.
    assert_eq!(
        verify(
            "leaf-p256",
            &["int-rsa", "int-not-ca", "int-p256"],
            &["root-rsa", "root-p256"]
        ),
        Ok(KeyKind::P256)
    );
}

#[test]
fn rsa_chain_verifies() {
    let rsa_2048 = Ok(KeyKind::Rsa { bits: 2048 });
    assert_eq!(verify("leaf-rsa", RSA.0, RSA.1), rsa_2048);
}

#[test]
fn rsa_pss_signed_leaf_verifies() {
    let rsa_2048 = Ok(KeyKind::Rsa { bits: 2048 });
    assert_eq!(verify("leaf-rsa-pss", RSA.0, RSA.1), rsa_2048);
}

#[test]
fn validity_bounds_are_inclusive_and_use_the_injected_clock() {
    let policy = CodeSigningPolicy::default();
    let not_before = 1_704_067_200; // 2024-01-01T00:00:00Z
    assert!(verify_with("leaf-p256", P256.0, P256.1, not_before, &policy).is_ok());
    assert_eq!(
        verify_with("leaf-p256", P256.0, P256.1, not_before - 1, &policy),
        Err(X509Error::NotYetValid(CertRef::Leaf))
    );
    let leaf_not_after = 2_019_686_400; // 2034-01-01T00:00:00Z
    assert!(verify_with("leaf-p256", P256.0, P256.1, leaf_not_after, &policy).is_ok());
    assert_eq!(
        verify_with("leaf-p256", P256.0, P256.1, leaf_not_after + 1, &policy),
        Err(X509Error::Expired(CertRef::Leaf))
    );
}

#[test]
fn leaf_without_code_signing_eku() {
    let missing = Err(X509Error::MissingExtendedKeyUsage(CertRef::Leaf));
    assert_eq!(verify("leaf-server-auth", P256.0, P256.1), missing);
    assert_eq!(verify("leaf-no-eku", P256.0, P256.1), missing);
    assert_eq!(
        verify("leaf-any-eku", P256.0, P256.1),
        missing,
        "anyExtendedKeyUsage does not count"
    );
    // The EKU is configurable.
    let mut server = CodeSigningPolicy::default();
    server.required_eku = Some(ota_core::x509::ID_KP_SERVER_AUTH);
    assert!(verify_with("leaf-server-auth", P256.0, P256.1, NOW, &server).is_ok());
    assert_eq!(
        verify_with("leaf-p256", P256.0, P256.1, NOW, &server),
        missing
    );
}

#[test]
fn leaf_without_digital_signature_ku() {
    let missing = Err(X509Error::MissingDigitalSignature(CertRef::Leaf));
    assert_eq!(verify("leaf-no-digital-signature", P256.0, P256.1), missing);
    assert_eq!(verify("leaf-no-ku", P256.0, P256.1), missing);
}

#[test]
fn expired_leaf() {
    refused("leaf-expired", P256, X509Error::Expired(CertRef::Leaf));
}

#[test]
fn not_yet_valid_leaf() {
    refused(
        "leaf-not-yet-valid",
        P256,
        X509Error::NotYetValid(CertRef::Leaf),
    );
}

#[test]
fn expired_intermediate() {
    let error = X509Error::Expired(CertRef::Intermediate(0));
    refused("leaf-under-expired-int", (&["int-expired"], P256.1), error);
}

#[test]
fn intermediate_with_ca_false() {
    let error = X509Error::NotCa(CertRef::Intermediate(0));
    refused("leaf-under-not-ca", (&["int-not-ca"], P256.1), error);
}

#[test]
fn intermediate_without_key_cert_sign() {
    let error = X509Error::MissingKeyCertSign(CertRef::Intermediate(0));
    refused(
        "leaf-under-no-keycertsign",
        (&["int-no-keycertsign"], P256.1),
        error,
    );
}

#[test]
fn path_len_violated() {
    assert_eq!(
        verify(
            "leaf-pathlen-violated",
            &["int2-under-pathlen0", "int-p256"],
            P256.1
        ),
        Err(X509Error::PathLenExceeded(CertRef::Intermediate(1)))
    );
}

#[test]
fn chain_depth_limit() {
    let mut policy = CodeSigningPolicy::default();
    policy.max_chain_depth = 0;
    assert_eq!(
        verify_with("leaf-p256", P256.0, P256.1, NOW, &policy),
        Err(X509Error::ChainTooDeep)
    );
}

#[test]
fn wrong_root() {
    // Same name as root-p256, other key: the intermediate's signature does not verify.
    assert_eq!(
        verify("leaf-p256", P256.0, &["root-p256-impostor"]),
        Err(X509Error::BadSignature(CertRef::Intermediate(0)))
    );
    // Unrelated root: no issuer name matches.
    assert_eq!(
        verify("leaf-p256", P256.0, RSA.1),
        Err(X509Error::NoPathToPinnedRoot)
    );
    // No intermediates: the leaf's issuer is not pinned.
    assert_eq!(
        verify("leaf-p256", &[], P256.1),
        Err(X509Error::NoPathToPinnedRoot)
    );
}

#[test]
fn rsa1024_leaf() {
    assert_eq!(
        verify("leaf-rsa1024", RSA.0, RSA.1),
        Err(X509Error::Key {
            cert: CertRef::Leaf,
            error: CryptoError::KeyTooSmall {
                bits: 1024,
                min: 2048
            }
        })
    );
}

#[test]
fn sha1_signed_link() {
    assert_eq!(
        verify("leaf-sha1", RSA.0, RSA.1),
        Err(X509Error::SignatureAlgorithmNotAllowed(CertRef::Leaf))
    );
}

#[test]
fn algorithms_can_be_disallowed() {
    let mut policy = CodeSigningPolicy::default();
    policy.algorithms.rsa_pss_sha256 = false;
    assert_eq!(
        verify_with("leaf-rsa-pss", RSA.0, RSA.1, NOW, &policy),
        Err(X509Error::SignatureAlgorithmNotAllowed(CertRef::Leaf))
    );
    assert!(verify_with("leaf-rsa", RSA.0, RSA.1, NOW, &policy).is_ok());
}

#[test]
fn ca_as_leaf() {
    assert_eq!(
        verify("leaf-ca", P256.0, P256.1),
        Err(X509Error::LeafIsCa(CertRef::Leaf))
    );
    let mut policy = CodeSigningPolicy::default();
    policy.allow_ca_leaf = true;
    assert!(verify_with("leaf-ca", P256.0, P256.1, NOW, &policy).is_ok());
}

#[test]
fn unknown_critical_extension() {
    let error = X509Error::UnknownCriticalExtension(CertRef::Leaf);
    refused("leaf-unknown-critical", P256, error);
}

#[test]
fn malformed_input() {
    assert_eq!(
        verify_chain(
            b"not a certificate",
            &[],
            &[],
            NOW,
            &CodeSigningPolicy::default()
        )
        .err(),
        Some(X509Error::Malformed(CertRef::Leaf))
    );
    let mut trailing = der("leaf-p256");
    trailing.push(0);
    let root = der("root-p256");
    assert_eq!(
        verify_chain(&trailing, &[], &[&root], NOW, &CodeSigningPolicy::default()).err(),
        Some(X509Error::Malformed(CertRef::Leaf))
    );
    assert_eq!(
        verify_chain(
            &der("leaf-p256"),
            &[],
            &[b"junk"],
            NOW,
            &CodeSigningPolicy::default()
        )
        .err(),
        Some(X509Error::Malformed(CertRef::Root(0)))
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]

    /// Mutated and truncated certificates never panic the parser or the validator.
    #[test]
    fn mutated_chains_never_panic(
        which in 0usize..3,
        index in proptest::prelude::any::<proptest::sample::Index>(),
        value in proptest::prelude::any::<u8>(),
        cut in proptest::prelude::any::<proptest::sample::Index>(),
    ) {
        let names = ["leaf-p256", "int-p256", "root-p256"];
        let mut certs: Vec<Vec<u8>> = names.iter().map(|n| der(n)).collect();
        let target = &mut certs[which];
        let i = index.index(target.len());
        target[i] = value;
        let keep = cut.index(target.len() + 1).max(i + 1);
        target.truncate(keep);
        let result = verify_chain(&certs[0], &[&certs[1]], &[&certs[2]], NOW, &CodeSigningPolicy::default());
        if value == der(names[which])[i] && keep == der(names[which]).len() {
            proptest::prop_assert!(result.is_ok());
        }
    }
}
