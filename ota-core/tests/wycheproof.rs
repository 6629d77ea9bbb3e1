//! Wycheproof vectors (C2SP/wycheproof `testvectors_v1`, see `tests/vectors/wycheproof/`)
//! through the public verification API: one test per file, every group, every case.
//!
//! `valid` must verify, `invalid` must fail (a key or signature parse error counts as a
//! failure), `acceptable` follows the recorded policy (MissingNull: reject). Each test prints
//! and asserts its counts.

use core::fmt::Write as _;

use ota_core::crypto::{
    Algorithm, CryptoError, PublicKey, RsaKeyPolicy, SignatureEncoding, TrustedKey,
};
use serde_json::Value;

#[path = "common/wycheproof.rs"]
mod common;
use common::{Tally, groups, hex, load, tests};

/// Verify one case with `key` (or count the key's parse error as the outcome).
fn check(
    key: &Result<TrustedKey, CryptoError>,
    case: &Value,
    enc: SignatureEncoding,
) -> Result<(), CryptoError> {
    let key = key.as_ref().map_err(|e| *e)?;
    key.verify_message(&hex(&case["msg"]), &hex(&case["sig"]), enc)
}

fn ecdsa_file(name: &str, enc: SignatureEncoding) -> (Tally, usize) {
    let file = load(name);
    let mut tally = Tally::default();
    let mut high_s_valid = 0;
    for group in groups(&file) {
        assert_eq!(group["sha"], "SHA-256");
        let key = PublicKey::from_spki_der(&hex(&group["publicKeyDer"]))
            .and_then(|k| TrustedKey::new(k, Algorithm::EcdsaP256Sha256));
        let strict = key.clone().map(|k| k.require_low_s(true));
        for case in tests(group) {
            let outcome = check(&key, case, enc);
            if case["result"] == "valid" && check(&strict, case, enc) == Err(CryptoError::HighS) {
                high_s_valid += 1;
            }
            tally.record(case, outcome, false);
        }
    }
    tally.report(name);
    println!(
        "wycheproof {name}: {high_s_valid} valid signatures are high-S (accepted by default, refused with require_low_s)"
    );
    (tally, high_s_valid)
}

#[test]
fn ecdsa_p256_sha256_der() {
    let (tally, high_s) = ecdsa_file("ecdsa_secp256r1_sha256_test.json", SignatureEncoding::Der);
    tally.assert_counts(174, 310, 0);
    assert_eq!(high_s, 71);
}

#[test]
fn ecdsa_p256_sha256_p1363() {
    let (tally, high_s) = ecdsa_file(
        "ecdsa_secp256r1_sha256_p1363_test.json",
        SignatureEncoding::Raw,
    );
    tally.assert_counts(173, 89, 0);
    assert!(high_s > 0);
}

/// Test keys: allow Wycheproof's e = 3 groups so the vectors check the signature math.
const VECTOR_POLICY: RsaKeyPolicy = RsaKeyPolicy::STRICT.allow_any_exponent();

/// RSA key for a group; also returns what the default (strict) policy says about it.
fn rsa_key(
    group: &Value,
    algorithm: Algorithm,
) -> (Result<TrustedKey, CryptoError>, Result<(), CryptoError>) {
    let der = hex(&group["publicKeyDer"]);
    let strict = PublicKey::from_spki_der(&der).map(|_| ());
    let key = PublicKey::from_spki_der_with(&der, VECTOR_POLICY)
        .and_then(|k| TrustedKey::new(k, algorithm));
    (key, strict)
}

fn pkcs1_file(name: &str) -> (Tally, usize) {
    let file = load(name);
    let mut tally = Tally::default();
    let mut strict_refused = 0;
    for group in groups(&file) {
        assert_eq!(group["sha"], "SHA-256");
        let (key, strict) = rsa_key(group, Algorithm::RsaPkcs1v15Sha256);
        if group["publicKey"]["publicExponent"] == "010001" {
            assert_eq!(strict, Ok(()), "e = 65537 keys pass the default policy");
        } else {
            assert_eq!(strict, Err(CryptoError::BadExponent));
            strict_refused += 1;
        }
        for case in tests(group) {
            // Policy for `acceptable` (only MissingNull here): reject.
            tally.record(case, check(&key, case, SignatureEncoding::Raw), false);
        }
    }
    tally.report(name);
    println!(
        "wycheproof {name}: {strict_refused} group(s) with e != 65537 refused by the default key policy"
    );
    (tally, strict_refused)
}

/// [`pkcs1_file`] of `name`: `counts` as [`Tally::assert_counts`] takes them, `MissingNull`
/// rejected, and `e3_groups` groups with e != 65537.
fn pkcs1_case(name: &str, counts: (usize, usize, usize), e3_groups: usize) {
    let (tally, e3) = pkcs1_file(name);
    tally.assert_counts(counts.0, counts.1, counts.2);
    assert_eq!(tally.acceptable_accepted, 0, "MissingNull is rejected");
    assert_eq!(e3, e3_groups);
}

#[test]
fn rsa_pkcs1v15_2048_sha256() {
    pkcs1_case("rsa_signature_2048_sha256_test.json", (9, 249, 1), 2);
}

#[test]
fn rsa_pkcs1v15_3072_sha256() {
    pkcs1_case("rsa_signature_3072_sha256_test.json", (8, 250, 1), 1);
}

/// RSA-8192: 1024-byte signatures, longer than `MAX_SIGNATURE_LEN`, verify with `alloc`
/// (and the invalid ones, wrong lengths included, are refused).
#[test]
fn rsa_pkcs1v15_8192_sha256() {
    pkcs1_case("rsa_signature_8192_sha256_test.json", (7, 250, 1), 0);
}

/// A PSS file whose groups all use SHA-256 and MGF1-SHA-256; the salt length is taken from the
/// group's `sLen` because the test says so (production takes it from policy).
fn pss_file(name: &str) -> Tally {
    let file = load(name);
    let mut tally = Tally::default();
    for group in groups(&file) {
        assert_eq!(
            (&group["sha"], &group["mgf"], &group["mgfSha"]),
            (&"SHA-256".into(), &"MGF1".into(), &"SHA-256".into())
        );
        let salt_len = group["sLen"].as_u64().expect("sLen") as usize;
        let (key, strict) = rsa_key(group, Algorithm::RsaPssSha256 { salt_len });
        assert_eq!(strict, Ok(()));
        for case in tests(group) {
            tally.record(case, check(&key, case, SignatureEncoding::Raw), false);
        }
    }
    tally.report(name);
    tally
}

#[test]
fn rsa_pss_2048_sha256_mgf1_32() {
    pss_file("rsa_pss_2048_sha256_mgf1_32_test.json").assert_counts(63, 45, 0);
}

#[test]
fn rsa_pss_3072_sha256_mgf1_32() {
    pss_file("rsa_pss_3072_sha256_mgf1_32_test.json").assert_counts(63, 45, 0);
}

#[test]
fn rsa_pss_2048_sha256_mgf1_0() {
    pss_file("rsa_pss_2048_sha256_mgf1_0_test.json").assert_counts(61, 42, 0);
}

/// Every case in `rsa_pss_misc` is `valid` under its own parameters. Under our fixed policy
/// (SHA-256, MGF1-SHA-256, salt 32) only the matching group may verify; all others must be
/// refused, which shows the parameters come from policy and not from the signature.
#[test]
fn rsa_pss_misc_parameters_come_from_policy() {
    let name = "rsa_pss_misc_test.json";
    let file = load(name);
    let (mut matching, mut matching_ok, mut other, mut other_refused) = (0, 0, 0, 0);
    let (mut own_salt, mut own_salt_ok) = (0, 0);
    let mut failures = String::new();
    for group in groups(&file) {
        let sha256 =
            group["sha"] == "SHA-256" && group["mgf"] == "MGF1" && group["mgfSha"] == "SHA-256";
        let salt_len = group["sLen"].as_u64().expect("sLen") as usize;
        let policy = rsa_key(group, Algorithm::RSA_PSS_SHA256).0;
        let own = rsa_key(group, Algorithm::RsaPssSha256 { salt_len }).0;
        for case in tests(group) {
            assert_eq!(case["result"], "valid");
            let outcome = check(&policy, case, SignatureEncoding::Raw);
            if sha256 && salt_len == Algorithm::PSS_SHA256_SALT_LEN {
                matching += 1;
                matching_ok += usize::from(outcome.is_ok());
            } else {
                other += 1;
                other_refused += usize::from(outcome.is_err());
            }
            if sha256 {
                // Sanity: the signature math works when the policy is set to the group's salt.
                own_salt += 1;
                own_salt_ok += usize::from(check(&own, case, SignatureEncoding::Raw).is_ok());
            }
            let expected = sha256 && salt_len == Algorithm::PSS_SHA256_SALT_LEN;
            if outcome.is_ok() != expected {
                let _ = writeln!(
                    failures,
                    "  tcId {} sha {} mgfSha {} sLen {}: {:?}",
                    case["tcId"], group["sha"], group["mgfSha"], salt_len, outcome
                );
            }
        }
    }
    println!(
        "wycheproof {name}: {} cases; policy-matching (SHA-256/MGF1-SHA-256/salt 32) {matching_ok}/{matching} accepted; \
         other parameters {other_refused}/{other} refused; SHA-256 groups with policy salt = sLen {own_salt_ok}/{own_salt} accepted",
        matching + other
    );
    assert!(failures.is_empty(), "{name} failures:\n{failures}");
    assert_eq!((matching, other), (1, 149));
    assert_eq!(own_salt_ok, own_salt);
    assert_eq!(own_salt, 6);
}
