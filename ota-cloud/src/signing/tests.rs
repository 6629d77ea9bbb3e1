use std::sync::OnceLock;

use ota_core::crypto::{Algorithm, CryptoError, KeyKind, PublicKey, SignatureEncoding, TrustedKey};
use pkcs8::der::Encode as _;
use pkcs8::der::asn1::{AnyRef, OctetStringRef};
use pkcs8::{EncodePrivateKey as _, LineEnding, ObjectIdentifier};
use rsa::pkcs1::EncodeRsaPrivateKey as _;

use super::*;

/// One RSA-2048 key for the whole module: generation is slow in debug builds.
fn rsa2048() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate_seeded(KeyAlgorithm::Rsa2048, [7; 32]).unwrap())
}

fn p256() -> PrivateKey {
    PrivateKey::generate_seeded(KeyAlgorithm::P256, [1; 32]).unwrap()
}

fn verify(signer: &LocalSigner, message: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
    TrustedKey::new(signer.public_key().clone(), signer.algorithm())?.verify_message(
        message,
        signature,
        SignatureEncoding::Der,
    )
}

#[test]
fn seeded_generation_is_deterministic() {
    let a = p256();
    assert_eq!(a.kind(), KeyKind::P256);
    assert_eq!(a.public_key(), p256().public_key());
    let other = PrivateKey::generate_seeded(KeyAlgorithm::P256, [2; 32]).unwrap();
    assert_ne!(a.public_key(), other.public_key());
    assert_eq!(rsa2048().kind(), KeyKind::Rsa { bits: 2048 });
    let fresh = PrivateKey::generate(KeyAlgorithm::P256).unwrap();
    assert_ne!(fresh.public_key(), a.public_key());
}

#[test]
fn pkcs8_pem_round_trips_and_public_pem_parses() {
    for key in [p256(), rsa2048().clone()] {
        let pem = key.to_pkcs8_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let loaded = PrivateKey::from_pem(&pem).unwrap();
        assert_eq!(loaded.public_key(), key.public_key());
        let public = PublicKey::from_spki_pem(&key.public_key_pem()).unwrap();
        assert_eq!(public.key_id(), key.public_key().key_id());
        assert_eq!(
            ota_core::crypto::Digest::sha256(key.spki_der()).as_bytes(),
            key.public_key().key_id().as_bytes()
        );
    }
}

#[test]
fn sec1_and_pkcs1_pem_load() {
    let key = p256();
    let sec1 = p256::SecretKey::from_bytes(&p256::FieldBytes::from([1u8; 32]))
        .unwrap()
        .to_sec1_pem(LineEnding::LF)
        .unwrap();
    let from_sec1 = PrivateKey::from_pem(&sec1).unwrap();
    assert_eq!(from_sec1.kind(), KeyKind::P256);
    // `openssl ecparam -genkey` puts the curve in a block of its own first.
    let with_params = format!(
        "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n{}",
        sec1.as_str()
    );
    assert_eq!(
        PrivateKey::from_pem(&with_params).unwrap().public_key(),
        from_sec1.public_key()
    );
    assert_ne!(from_sec1.public_key(), key.public_key());

    let inner = match rsa2048().inner() {
        key::Inner::Rsa(k) => k.clone(),
        key::Inner::P256(_) => unreachable!(),
    };
    let pkcs1 = inner.to_pkcs1_pem(LineEnding::CRLF).unwrap();
    assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert_eq!(
        PrivateKey::from_pem(&pkcs1).unwrap().public_key(),
        rsa2048().public_key()
    );
}

#[test]
fn signatures_verify_as_a_device_checks_them() {
    let message = b"manifest bytes";
    let ecdsa = LocalSigner::with_default_algorithm(p256(), false).unwrap();
    assert_eq!(ecdsa.algorithm(), Algorithm::EcdsaP256Sha256);
    let sig = ecdsa.sign(message).unwrap();
    assert_eq!(sig[0], 0x30, "DER SEQUENCE");
    verify(&ecdsa, message, &sig).unwrap();
    assert_eq!(
        verify(&ecdsa, b"other", &sig),
        Err(CryptoError::SignatureInvalid)
    );
    assert_eq!(ecdsa.key_id(), ecdsa.key().public_key().key_id());

    let v15 = LocalSigner::with_default_algorithm(rsa2048().clone(), false).unwrap();
    assert_eq!(v15.algorithm(), Algorithm::RsaPkcs1v15Sha256);
    let sig = v15.sign(message).unwrap();
    assert_eq!(sig.len(), 256);
    verify(&v15, message, &sig).unwrap();
    // PKCS#1 v1.5 is deterministic, blinding or not.
    assert_eq!(v15.sign(message).unwrap(), sig);

    let pss = LocalSigner::with_default_algorithm(rsa2048().clone(), true).unwrap();
    assert_eq!(pss.algorithm(), Algorithm::RSA_PSS_SHA256);
    let sig = pss.sign(message).unwrap();
    verify(&pss, message, &sig).unwrap();
    assert_ne!(pss.sign(message).unwrap(), sig, "salted");
    // A v1.5 verifier refuses the PSS signature.
    assert_eq!(
        verify(&v15, message, &sig),
        Err(CryptoError::SignatureInvalid)
    );
}

#[test]
fn signing_a_digest_gives_the_signature_of_the_message() {
    use sha2::Digest as _;
    let message = b"an image streamed from disk";
    let sha256: [u8; 32] = sha2::Sha256::digest(message).into();

    let ecdsa = LocalSigner::with_default_algorithm(p256(), false).unwrap();
    let from_digest = ecdsa.sign_digest(&sha256).unwrap();
    // RFC 6979 nonces: the same bytes as signing the message, and as p256's own
    // message-signing path (what `sign` used before it signed digests).
    assert_eq!(from_digest, ecdsa.sign(message).unwrap());
    let super::key::Inner::P256(key) = ecdsa.key().inner() else {
        panic!("a P-256 key");
    };
    let direct: p256::ecdsa::DerSignature =
        p256::ecdsa::signature::Signer::try_sign(key, message).unwrap();
    assert_eq!(from_digest, direct.as_bytes());
    verify(&ecdsa, message, &from_digest).unwrap();

    let v15 = LocalSigner::with_default_algorithm(rsa2048().clone(), false).unwrap();
    assert_eq!(
        v15.sign_digest(&sha256).unwrap(),
        v15.sign(message).unwrap()
    );
    let pss = LocalSigner::with_default_algorithm(rsa2048().clone(), true).unwrap();
    verify(&pss, message, &pss.sign_digest(&sha256).unwrap()).unwrap();
}

#[test]
fn signers_refuse_digests_unless_they_say_otherwise() {
    let signer = testing::MessageSigner {
        inner: LocalSigner::with_default_algorithm(p256(), false).unwrap(),
        alter: <[u8]>::to_vec,
    };
    assert_eq!(
        signer.sign_digest(&[0; 32]),
        Err(SigningError::DigestUnsupported)
    );
}

#[test]
fn algorithm_must_fit_the_key() {
    let mismatch = |r: Result<LocalSigner, SigningError>| {
        matches!(r, Err(SigningError::AlgorithmMismatch { .. }))
    };
    assert!(mismatch(LocalSigner::with_default_algorithm(p256(), true)));
    assert!(mismatch(LocalSigner::new(
        p256(),
        Algorithm::RsaPkcs1v15Sha256
    )));
    assert!(mismatch(LocalSigner::new(
        rsa2048().clone(),
        Algorithm::EcdsaP256Sha256
    )));
    // Salt too long for a 2048-bit modulus.
    assert!(mismatch(LocalSigner::new(
        rsa2048().clone(),
        Algorithm::RsaPssSha256 { salt_len: 300 }
    )));
    let err = LocalSigner::with_default_algorithm(p256(), true).unwrap_err();
    assert!(!err.to_string().contains('\n'));
}

#[test]
fn other_algorithms_and_curves_are_named() {
    // RFC 8410 §10.3 example Ed25519 private key.
    let ed25519 = "-----BEGIN PRIVATE KEY-----\n\
        MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n\
        -----END PRIVATE KEY-----\n";
    assert_eq!(
        PrivateKey::from_pem(ed25519).unwrap_err(),
        SigningError::UnsupportedAlgorithm("Ed25519".into())
    );

    let ec = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
    let p384 = ObjectIdentifier::new_unwrap("1.3.132.0.34");
    let info = pkcs8::PrivateKeyInfoRef::new(
        pkcs8::AlgorithmIdentifierRef {
            oid: ec,
            parameters: Some(AnyRef::from(&p384)),
        },
        OctetStringRef::new(&[4; 8]).unwrap(),
    );
    let der = info.to_der().unwrap();
    assert_eq!(
        PrivateKey::from_pkcs8_der(&der).unwrap_err(),
        SigningError::UnsupportedCurve("P-384 (secp384r1)".into())
    );

    let pss_oid = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
    let info = pkcs8::PrivateKeyInfoRef::new(
        pkcs8::AlgorithmIdentifierRef {
            oid: pss_oid,
            parameters: None,
        },
        OctetStringRef::new(&[0; 8]).unwrap(),
    );
    assert_eq!(
        PrivateKey::from_pkcs8_der(&info.to_der().unwrap()).unwrap_err(),
        SigningError::RsaPssKey
    );
}

#[test]
fn malformed_and_weak_keys_are_refused() {
    for der in [&[][..], &[0x30, 0x03, 0x02, 0x01, 0x00], &[0xff; 40]] {
        assert!(matches!(
            PrivateKey::from_pkcs8_der(der),
            Err(SigningError::BadKey {
                format: "PKCS#8",
                ..
            })
        ));
        assert!(matches!(
            PrivateKey::from_sec1_der(der),
            Err(SigningError::BadKey { format: "SEC1", .. })
        ));
        assert!(matches!(
            PrivateKey::from_pkcs1_der(der),
            Err(SigningError::BadKey {
                format: "PKCS#1",
                ..
            })
        ));
    }
    let mut rng = <chacha20::ChaCha20Rng as rand_core::SeedableRng>::from_seed([3; 32]);
    let small = rsa::PrivateKey::new(&mut rng, 1024).unwrap();
    let der = small.to_pkcs8_der().unwrap();
    assert_eq!(
        PrivateKey::from_pkcs8_der(der.as_bytes()).unwrap_err(),
        SigningError::KeyPolicy(CryptoError::KeyTooSmall {
            bits: 1024,
            min: 2048
        })
    );
}

#[test]
fn debug_does_not_show_the_secret() {
    let key = p256();
    let text = format!("{key:?}");
    assert!(text.contains(&key.public_key().key_id().to_string()));
    let secret = match key.inner() {
        key::Inner::P256(k) => k.to_bytes(),
        key::Inner::Rsa(_) => unreachable!(),
    };
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!text.contains(&hex));
    assert!(
        !format!(
            "{:?}",
            LocalSigner::with_default_algorithm(key, false).unwrap()
        )
        .contains(&hex)
    );
}

#[test]
fn key_algorithm_names() {
    let names: Vec<_> = KeyAlgorithm::ALL.iter().map(|a| a.as_str()).collect();
    assert_eq!(names, ["p256", "rsa2048", "rsa3072"]);
}

mod no_panic {
    use proptest::prelude::*;

    use super::*;

    fn pem_like() -> impl Strategy<Value = String> {
        let labels = prop::sample::select(vec![
            "PRIVATE KEY",
            "EC PRIVATE KEY",
            "RSA PRIVATE KEY",
            "EC PARAMETERS",
            "PUBLIC KEY",
            "ENCRYPTED PRIVATE KEY",
            "X",
        ]);
        (labels, "[A-Za-z0-9+/=\n :,-]{0,200}", any::<bool>()).prop_map(|(label, body, close)| {
            let end = if close {
                format!("-----END {label}-----")
            } else {
                String::new()
            };
            format!("-----BEGIN {label}-----\n{body}\n{end}")
        })
    }

    proptest! {
        #[test]
        fn key_loading_never_panics(text in "\\PC{0,300}", pem in pem_like(), der in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = PrivateKey::from_pem(&text);
            let _ = PrivateKey::from_pem(&pem);
            let _ = PrivateKey::from_pkcs8_der(&der);
            let _ = PrivateKey::from_sec1_der(&der);
            let _ = PrivateKey::from_pkcs1_der(&der);
        }

        #[test]
        fn corrupted_real_keys_never_panic(index in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let mut der = p256().to_pkcs8_pem().map(|pem| {
                pkcs8::der::pem::decode_vec(pem.as_bytes()).unwrap().1
            }).unwrap();
            let i = index.index(der.len());
            der[i] = byte;
            let _ = PrivateKey::from_pkcs8_der(&der);
        }
    }
}
