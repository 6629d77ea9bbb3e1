//! Signature decoding and verification on arbitrary input: base64 in both modes, then the
//! bytes as a DER and as a raw r||s ECDSA signature and as RSA signatures, against fixed
//! trusted keys. Nothing may panic and nothing random may verify.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_core::crypto::{
    Algorithm, Base64Mode, Digest, MAX_SIGNATURE_LEN, PublicKey, SignatureEncoding, TrustedKey,
    decode_signature,
};

fn keys() -> [TrustedKey; 3] {
    let p256 = PublicKey::from_spki_der(include_bytes!("../../ota-core/tests/fixtures/openssl/p256_pub.der")).unwrap();
    let rsa = PublicKey::from_spki_der(include_bytes!("../../ota-core/tests/fixtures/openssl/rsa2048_pub.der")).unwrap();
    [
        TrustedKey::new(p256, Algorithm::EcdsaP256Sha256).unwrap(),
        TrustedKey::new(rsa.clone(), Algorithm::RsaPkcs1v15Sha256).unwrap(),
        TrustedKey::new(rsa, Algorithm::RsaPssSha256 { salt_len: 32 }).unwrap(),
    ]
}

fuzz_target!(|data: &[u8]| {
    let digest = Digest::sha256(b"fuzzed firmware");
    let keys = keys();
    let verify_all = |sig: &[u8]| {
        for key in &keys {
            for encoding in [SignatureEncoding::Der, SignatureEncoding::Raw] {
                assert!(key.verify_digest(&digest, sig, encoding).is_err(), "random bytes verified");
            }
        }
    };
    verify_all(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let mut buf = [0u8; MAX_SIGNATURE_LEN];
        for mode in [Base64Mode::Strict, Base64Mode::AwsLenient] {
            if let Ok(sig) = decode_signature(text, &mut buf, mode) {
                let sig = sig.to_vec();
                verify_all(&sig);
            }
        }
    }
});
