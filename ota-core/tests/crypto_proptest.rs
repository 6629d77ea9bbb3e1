//! Property tests for the crypto module: no input panics the decoders, parsers or verifiers;
//! base64 agrees with the `base64` crate; the image checks bind the exact length and content.

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_PAD_INDIFFERENT};
use ota_core::crypto::{
    Algorithm, Base64Mode, Digest, ImageError, ImageHasher, ImageVerifier, MAX_SIGNATURE_LEN,
    PublicKey, SignatureEncoding, TrustedKey, decode_signature,
};
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/openssl")
            .join(name),
    )
    .expect("fixture")
}

fn sha256(data: &[u8]) -> [u8; 32] {
    Digest::sha256(data).as_bytes().try_into().unwrap()
}

fn decode(text: &str, mode: Base64Mode) -> Option<Vec<u8>> {
    let mut out = [0u8; MAX_SIGNATURE_LEN];
    decode_signature(text, &mut out, mode)
        .ok()
        .map(<[u8]>::to_vec)
}

/// Strings over the base64 alphabet plus the characters that matter to the decoder.
fn base64ish() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[A-Za-z0-9+/=\n\r \t-]{0,40}").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn base64_never_panics(text in any::<String>()) {
        let _ = decode(&text, Base64Mode::Strict);
        let _ = decode(&text, Base64Mode::AwsLenient);
    }

    #[test]
    fn base64_never_panics_near_the_alphabet(text in base64ish()) {
        let _ = decode(&text, Base64Mode::Strict);
        let _ = decode(&text, Base64Mode::AwsLenient);
    }

    /// Strict mode accepts exactly what the `base64` crate's canonical standard engine does
    /// (with the same bytes), within the size limit.
    #[test]
    fn strict_agrees_with_base64_crate(text in base64ish()) {
        let ours = decode(&text, Base64Mode::Strict);
        let theirs = STANDARD.decode(&text).ok().filter(|v| !v.is_empty());
        prop_assert_eq!(ours, theirs);
    }

    /// Lenient mode is the AWS agent's decoder (`ota_base64.c`), written here a second way:
    /// drop every `\r` and `\n`; then spaces may only end the text; then at most two `=`,
    /// all after the last symbol; what is left decodes as the `base64` crate's
    /// padding-indifferent engine decodes it without its `=` (a lone last symbol and
    /// non-zero unused bits refused). Empty results are refused (the one kept difference).
    #[test]
    fn lenient_agrees_with_agent_model(text in base64ish()) {
        let ours = decode(&text, Base64Mode::AwsLenient);
        let lines: String = text.chars().filter(|&c| c != '\r' && c != '\n').collect();
        let body = lines.trim_end_matches(' ');
        let symbols = body.trim_end_matches('=');
        let padding = body.len() - symbols.len();
        let theirs = if body.contains(' ') || padding > 2 || symbols.contains('=') {
            None
        } else {
            STANDARD_PAD_INDIFFERENT.decode(symbols).ok().filter(|v| !v.is_empty())
        };
        prop_assert_eq!(ours, theirs);
    }

    #[test]
    fn base64_round_trip(bytes in proptest::collection::vec(any::<u8>(), 1..=MAX_SIGNATURE_LEN), wrap in 1usize..80) {
        let text = STANDARD.encode(&bytes);
        prop_assert_eq!(decode(&text, Base64Mode::Strict), Some(bytes.clone()));
        // Line-wrapped with CRLF, the way tools and the AWS console produce it.
        let wrapped: String = text.as_bytes().chunks(wrap).map(|c| core::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\r\n");
        prop_assert_eq!(decode(&wrapped, Base64Mode::AwsLenient), Some(bytes.clone()));
        let unpadded = text.trim_end_matches('=');
        prop_assert_eq!(decode(unpadded, Base64Mode::AwsLenient), Some(bytes));
    }

    #[test]
    fn base64_over_limit_is_an_error(extra in 1usize..64) {
        let text = STANDARD.encode(vec![0u8; MAX_SIGNATURE_LEN + extra]);
        prop_assert!(decode(&text, Base64Mode::Strict).is_none());
        prop_assert!(decode(&text, Base64Mode::AwsLenient).is_none());
    }

    #[test]
    fn image_verifier_exact_length_passes(image in proptest::collection::vec(any::<u8>(), 0..3000), chunk in 1usize..700) {
        let mut v = ImageVerifier::new(image.len() as u64, sha256(&image));
        for c in image.chunks(chunk) {
            prop_assert!(v.update(c).is_ok());
        }
        prop_assert_eq!(v.finish(), Ok(()));
    }

    #[test]
    fn image_verifier_one_byte_more_or_less_fails(image in proptest::collection::vec(any::<u8>(), 1..3000), extra in any::<u8>()) {
        let len = image.len() as u64;
        // One byte more: refused at the update that carries it.
        let mut v = ImageVerifier::new(len, sha256(&image));
        prop_assert!(v.update(&image).is_ok());
        prop_assert_eq!(v.update(&[extra]), Err(ImageError::TooLong { expected: len }));
        prop_assert_eq!(v.finish(), Err(ImageError::TooLong { expected: len }));
        // One byte less.
        let mut v = ImageVerifier::new(len, sha256(&image));
        prop_assert!(v.update(&image[..image.len() - 1]).is_ok());
        prop_assert_eq!(v.finish(), Err(ImageError::TooShort { expected: len, received: len - 1 }));
        // Same for the digest-returning hasher.
        let mut h = ImageHasher::new_unsigned_length(len - 1);
        prop_assert!(h.update(&image).is_err());
    }

    #[test]
    fn image_verifier_any_flipped_byte_fails(image in proptest::collection::vec(any::<u8>(), 1..3000), index in any::<prop::sample::Index>(), bit in 0u8..8) {
        let mut tampered = image.clone();
        tampered[index.index(image.len())] ^= 1 << bit;
        let mut v = ImageVerifier::new(image.len() as u64, sha256(&image));
        prop_assert!(v.update(&tampered).is_ok());
        prop_assert_eq!(v.finish(), Err(ImageError::DigestMismatch));
    }

    #[test]
    fn key_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1200)) {
        let _ = PublicKey::from_spki_der(&bytes);
        let _ = PublicKey::from_sec1(&bytes);
        let _ = PublicKey::from_pkcs1_der(&bytes);
        let _ = PublicKey::from_spki_pem(&String::from_utf8_lossy(&bytes));
    }

    /// Mutations of real keys reach deeper into the DER and point parsers.
    #[test]
    fn mutated_keys_never_panic(which in 0usize..3, index in any::<prop::sample::Index>(), value in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let der = fixture(["p256_pub.der", "rsa2048_pub.der", "rsa2048_pkcs1_pub.der"][which]);
        let mut mutated = der.clone();
        mutated[index.index(der.len())] = value;
        mutated.truncate(cut.index(der.len() + 1));
        let _ = PublicKey::from_spki_der(&mutated);
        let _ = PublicKey::from_pkcs1_der(&mutated);
        let _ = PublicKey::from_sec1(mutated.get(26..).unwrap_or_default());
    }

    #[test]
    fn verifiers_never_panic_on_arbitrary_signatures(sig in proptest::collection::vec(any::<u8>(), 0..600), msg in proptest::collection::vec(any::<u8>(), 0..64)) {
        let p256 = TrustedKey::new(PublicKey::from_spki_der(&fixture("p256_pub.der")).unwrap(), Algorithm::EcdsaP256Sha256).unwrap();
        prop_assert!(p256.verify_message(&msg, &sig, SignatureEncoding::Der).is_err());
        prop_assert!(p256.verify_message(&msg, &sig, SignatureEncoding::Raw).is_err());
        let rsa = PublicKey::from_spki_der(&fixture("rsa2048_pub.der")).unwrap();
        for alg in [Algorithm::RsaPkcs1v15Sha256, Algorithm::RSA_PSS_SHA256] {
            let key = TrustedKey::new(rsa.clone(), alg).unwrap();
            prop_assert!(key.verify_message(&msg, &sig, SignatureEncoding::Raw).is_err());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Modulus-length garbage gets through the length check into the RSA math.
    #[test]
    fn rsa_never_panics_on_modulus_length_garbage(sig in proptest::collection::vec(any::<u8>(), 256)) {
        let rsa = PublicKey::from_spki_der(&fixture("rsa2048_pub.der")).unwrap();
        for alg in [Algorithm::RsaPkcs1v15Sha256, Algorithm::RSA_PSS_SHA256, Algorithm::RsaPssSha256 { salt_len: 0 }] {
            let key = TrustedKey::new(rsa.clone(), alg).unwrap();
            prop_assert!(key.verify_message(b"m", &sig, SignatureEncoding::Raw).is_err());
        }
    }
}
