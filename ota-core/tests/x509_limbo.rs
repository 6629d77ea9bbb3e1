//! x509-limbo (C2SP/x509-limbo, regenerated at 8a2e6f4 without BetterTLS; see
//! `tests/vectors/x509-limbo/PROVENANCE.md`) through `ota_core::x509::verify_chain`.
//!
//! Each testcase's `trusted_certs` are the pinned roots, `untrusted_intermediates` the
//! intermediates, `validation_time` the injected clock (floored to whole seconds), and its
//! `extended_key_usage` / `key_usage` set the policy's required EKU and digitalSignature check.
//! Cases whose outcome depends on what the validator does not implement are skipped by
//! [`skip_reason`], with the reason printed and counted. Every case that runs must match the
//! expected result. `LIMBO_DEBUG=1` prints every case's result, skipped ones included.
#![cfg(feature = "x509")]

use std::collections::BTreeMap;
use std::path::PathBuf;

use ota_core::crypto::PublicKey;
use ota_core::x509::{
    CodeSigningPolicy, ID_KP_CLIENT_AUTH, ID_KP_SERVER_AUTH, ObjectIdentifier, X509Error,
    verify_chain,
};
use serde_json::Value;
use x509_parser::prelude::{FromDer as _, X509Certificate};

/// Clock for testcases without `validation_time` ("now" in limbo): the regenerated
/// certificates of those cases are valid from 1970 to 2969, so any fixed time works.
const DEFAULT_TIME: i64 = 1_704_067_200; // 2024-01-01T00:00:00Z

/// Features (limbo's optional-behaviour tags) whose cases we can run: chain depth, path
/// building under pathological input, and the CABF subscriber-key rules (our key policy is
/// stricter except for one rule, skipped below).
const RUNNABLE_FEATURES: [&str; 3] = [
    "max-chain-depth",
    "denial-of-service",
    "pedantic-webpki-subscriber-key",
];

/// Testcase id prefixes whose outcome depends on name checks (SAN, CN, name constraints),
/// which a code-signing validator does not perform.
const NAME_DEPENDENT: [&str; 8] = [
    "rfc5280::nc::",
    "webpki::nc::",
    "rfc5280::san::",
    "webpki::san::",
    "webpki::cn::",
    "cve::cve-2025-61727",
    "rfc5280::ca-as-leaf-wrong-san",
    "pathological::nc-dos-",
];

/// FAILURE cases that are failures only under rules this validator does not enforce.
const UNENFORCED_RULES: [(&str, &str); 12] = [
    (
        "rfc5280::aki::leaf-missing-aki",
        "AKI/SKI presence rules are not enforced",
    ),
    (
        "rfc5280::aki::intermediate-missing-aki",
        "AKI/SKI presence rules are not enforced",
    ),
    (
        "rfc5280::ski::root-missing-ski",
        "AKI/SKI presence rules are not enforced",
    ),
    (
        "rfc5280::ski::intermediate-missing-ski",
        "AKI/SKI presence rules are not enforced",
    ),
    (
        "webpki::aki::root-with-aki-missing-keyidentifier",
        "CABF AKI profile rules are not enforced",
    ),
    (
        "webpki::aki::root-with-aki-authoritycertissuer",
        "CABF AKI profile rules are not enforced",
    ),
    (
        "webpki::aki::root-with-aki-authoritycertserialnumber",
        "CABF AKI profile rules are not enforced",
    ),
    (
        "webpki::aki::root-with-aki-all-fields",
        "CABF AKI profile rules are not enforced",
    ),
    (
        "webpki::aki::root-with-aki-ski-mismatch",
        "CABF AKI profile rules are not enforced",
    ),
    (
        "webpki::forbidden-rsa-not-divisible-by-8-in-root",
        "CABF rule (RSA modulus a multiple of 8 bits) is not in our key policy",
    ),
    (
        "webpki::malformed-aia",
        "authorityInfoAccess contents are not checked (CABF rule)",
    ),
    (
        "webpki::forbidden-rsa-key-not-divisible-by-8-in-leaf",
        "CABF rule (RSA modulus a multiple of 8 bits) is not in our key policy",
    ),
];

fn pem_to_der(pem: &str) -> Vec<u8> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).expect("PEM certificate");
    pem.contents
}

fn ders(list: &Value) -> Vec<Vec<u8>> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|p| pem_to_der(p.as_str().expect("PEM")))
        .collect()
}

/// Whether a certificate is inside the code-signing profile: a key our crypto policy
/// accepts (P-256, RSA >= 2048 with e = 65537) and, if its own signature is checked (not a
/// pinned root), an allowed signature algorithm.
fn in_profile(der: &[u8], signature_checked: bool) -> bool {
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return false;
    };
    let alg = cert.signature_algorithm.algorithm.to_id_string();
    let alg_ok = [
        "1.2.840.10045.4.3.2",
        "1.2.840.113549.1.1.11",
        "1.2.840.113549.1.1.10",
    ]
    .contains(&alg.as_str());
    (alg_ok || !signature_checked) && PublicKey::from_spki_der(cert.public_key().raw).is_ok()
}

fn is_ca(der: &[u8]) -> bool {
    X509Certificate::from_der(der)
        .ok()
        .and_then(|(_, c)| c.basic_constraints().ok().flatten().map(|bc| bc.value.ca))
        .unwrap_or(false)
}

/// Why a testcase is not run, or `None` to run it.
fn skip_reason(case: &Value) -> Option<String> {
    let id = case["id"].as_str().expect("id");
    for feature in case["features"].as_array().expect("features") {
        let feature = feature.as_str().expect("feature");
        if !RUNNABLE_FEATURES.contains(&feature) {
            let why = match feature {
                "has-crl" => "revocation (CRLs) is not implemented",
                "has-policy-constraints" | "has-cert-policies" | "no-cert-policies" => {
                    "certificate policies are not implemented"
                }
                "name-constraint-dn" | "pedantic-public-suffix-wildcard" => {
                    "name checks are not implemented"
                }
                f if f.starts_with("pedantic-") => {
                    "pedantic profile rule (limbo feature pedantic-*) is not enforced"
                }
                _ => "limbo feature not implemented",
            };
            return Some(format!("{why} [{feature}]"));
        }
    }
    if NAME_DEPENDENT.iter().any(|p| id.starts_with(p)) {
        return Some(
            "outcome depends on names (SAN/CN/name constraints/hostname), which are not checked"
                .into(),
        );
    }
    if let Some((_, why)) = UNENFORCED_RULES.iter().find(|(i, _)| *i == id) {
        return Some((*why).to_string());
    }
    if case["extended_key_usage"]
        .as_array()
        .expect("eku")
        .iter()
        .any(|e| !["serverAuth", "clientAuth"].contains(&e.as_str().unwrap_or("")))
    {
        return Some("asks for an EKU other than serverAuth/clientAuth".into());
    }
    if case["key_usage"]
        .as_array()
        .expect("ku")
        .iter()
        .any(|k| k != "digitalSignature")
    {
        return Some("asks for a key usage other than digitalSignature".into());
    }
    if case["expected_result"] == "SUCCESS" {
        let leaf = pem_to_der(case["peer_certificate"].as_str().expect("peer"));
        if is_ca(&leaf) {
            return Some(
                "SUCCESS needs a CA certificate as leaf, which our code-signing profile refuses"
                    .into(),
            );
        }
        let roots_ok = ders(&case["trusted_certs"])
            .iter()
            .all(|der| in_profile(der, false));
        let others = [ders(&case["untrusted_intermediates"]), vec![leaf]].concat();
        if !roots_ok || !others.iter().all(|der| in_profile(der, true)) {
            return Some(
                "SUCCESS case has keys or signature algorithms outside the code-signing profile"
                    .into(),
            );
        }
    }
    None
}

fn policy_for(case: &Value) -> CodeSigningPolicy {
    let mut policy = CodeSigningPolicy::default();
    let ekus = case["extended_key_usage"].as_array().expect("eku");
    policy.required_eku = ekus.first().map(|e| -> ObjectIdentifier {
        if e == "serverAuth" {
            ID_KP_SERVER_AUTH
        } else {
            ID_KP_CLIENT_AUTH
        }
    });
    policy.require_digital_signature = !case["key_usage"].as_array().expect("ku").is_empty();
    if let Some(depth) = case["max_chain_depth"].as_u64() {
        policy.max_chain_depth = depth as usize;
    } else {
        policy.max_chain_depth = 8;
    }
    policy
}

/// RFC 3339 `YYYY-MM-DDTHH:MM:SS[.fff]+00:00` to Unix seconds, fractions floored.
fn unix_time(text: &str) -> i64 {
    let num = |range: core::ops::Range<usize>| -> i64 { text[range].parse().expect("digits") };
    assert!(
        text.ends_with("+00:00") || text.ends_with('Z'),
        "UTC expected: {text}"
    );
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    let (hh, mm, ss) = (num(11..13), num(14..16), num(17..19));
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + hh * 3600 + mm * 60 + ss
}

/// Run one testcase through `verify_chain`.
fn run_case(case: &Value) -> Result<PublicKey, X509Error> {
    let roots = ders(&case["trusted_certs"]);
    let intermediates = ders(&case["untrusted_intermediates"]);
    let leaf = pem_to_der(case["peer_certificate"].as_str().expect("peer"));
    let now = case["validation_time"]
        .as_str()
        .map_or(DEFAULT_TIME, unix_time);
    let roots: Vec<&[u8]> = roots.iter().map(Vec::as_slice).collect();
    let intermediates: Vec<&[u8]> = intermediates.iter().map(Vec::as_slice).collect();
    verify_chain(&leaf, &intermediates, &roots, now, &policy_for(case))
}

#[test]
fn unix_time_parses_limbo_times() {
    assert_eq!(unix_time("1970-01-01T00:00:03+00:00"), 3);
    assert_eq!(unix_time("2024-03-01T00:00:00.999+00:00"), 1_709_251_200);
    assert_eq!(unix_time("2024-01-01T00:00:00+00:00"), DEFAULT_TIME);
}

#[test]
fn x509_limbo() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/x509-limbo/limbo-regenerated-8a2e6f4-no-bettertls.json");
    let limbo: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("limbo file")).expect("JSON");
    let cases = limbo["testcases"].as_array().expect("testcases");
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let (mut run, mut passed, mut run_success, mut run_failure) = (0, 0, 0, 0);
    let mut mismatches = String::new();
    for case in cases {
        if let Some(why) = skip_reason(case) {
            if std::env::var_os("LIMBO_DEBUG").is_some() {
                let result = run_case(case);
                println!(
                    "skip {} expected {} would get {result:?} ({why})",
                    case["id"], case["expected_result"]
                );
            }
            *skipped.entry(why).or_default() += 1;
            continue;
        }
        run += 1;
        let expect_ok = case["expected_result"] == "SUCCESS";
        if expect_ok {
            run_success += 1
        } else {
            run_failure += 1
        }
        let result = run_case(case);
        if std::env::var_os("LIMBO_DEBUG").is_some() {
            println!(
                "run {} expected {} got {result:?}",
                case["id"], case["expected_result"]
            );
        }
        if result.is_ok() == expect_ok {
            passed += 1;
        } else {
            mismatches.push_str(&format!(
                "  {} expected {}, got {:?}\n",
                case["id"], case["expected_result"], result
            ));
        }
    }
    let skipped_total: usize = skipped.values().sum();
    println!(
        "x509-limbo: {} testcases; run {run} ({run_success} SUCCESS, {run_failure} FAILURE), passed {passed}; skipped {skipped_total}:",
        cases.len()
    );
    for (why, n) in &skipped {
        println!("  skipped {n:3}: {why}");
    }
    assert!(mismatches.is_empty(), "limbo mismatches:\n{mismatches}");
    assert_eq!(run + skipped_total, cases.len());
    assert_eq!(passed, run);
    // Pinned so that a change in what runs is noticed (update with the skip list).
    assert_eq!((run, run_success, run_failure), (81, 30, 51));
}
