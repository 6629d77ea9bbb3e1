//! Latest statements: who may sign them, what they must say, and their topics.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use std::format;
use std::string::String;

use super::topic::{self, Kind, Request};
use super::*;
use crate::crypto::{TrustStore, TrustedKey, p256_test_key};
use crate::manifest::Rejection;
use crate::version::Version;

fn statement(product: &str, issued: u64, expires: u64) -> String {
    format!(
        r#"{{"type":"latest","product":"{product}","version":"1.3.0","securityCounter":5,"issued":{issued},"expires":{expires}}}"#
    )
}

fn reply(statement: &str, key: &(SigningKey, TrustedKey)) -> String {
    let sig: Signature = key.0.sign(statement.as_bytes());
    format!(
        r#"{{"clientToken":"t-1","latest":"{}","signature":"{}","keyId":"{}","timestamp":5}}"#,
        STANDARD.encode(statement),
        STANDARD.encode(sig.to_der().as_bytes()),
        key.1.key_id()
    )
}

fn keys(key: &(SigningKey, TrustedKey)) -> TrustStore<2> {
    let mut store = TrustStore::new();
    store.add(key.1.clone()).unwrap();
    store
}

fn run(reply: &str, store: &TrustStore<2>, now: Option<u64>) -> Result<Latest, FreshnessError> {
    let signed = SignedLatest::parse(reply.as_bytes()).unwrap();
    let mut scratch = [0u8; MAX_LATEST_LEN];
    check(&signed, store, "acme", now, &mut scratch)
}

#[test]
fn a_statement_signed_by_the_timestamp_key_is_taken() {
    let key = p256_test_key(21);
    let text = reply(&statement("acme", 1000, 2000), &key);
    let signed = SignedLatest::parse(text.as_bytes()).unwrap();
    assert_eq!(signed.client_token.unwrap(), "t-1");
    let latest = run(&text, &keys(&key), Some(1500)).unwrap();
    assert_eq!(latest.version, Version::new(1, 3, 0));
    assert_eq!((latest.issued, latest.expires), (1000, 2000));
    // Without trusted time the expiry is not checked here (the device counts its uptime).
    assert!(run(&text, &keys(&key), None).is_ok());
}

#[test]
fn statements_that_prove_nothing_are_refused() {
    let key = p256_test_key(21);
    let other = p256_test_key(22);
    let store = keys(&key);
    let cases = [
        (
            reply(&statement("acme", 1000, 2000), &other),
            FreshnessError::NotSigned(Rejection::UnknownKey),
        ),
        (
            reply(&statement("acme", 1000, 2000), &key),
            FreshnessError::Expired {
                expires: 2000,
                now: 2001,
            },
        ),
        (
            reply(&statement("other", 1000, 2000), &key),
            FreshnessError::WrongProduct,
        ),
        (
            reply(&statement("acme", 2000, 1000), &key),
            FreshnessError::Malformed,
        ),
        (
            reply(
                &statement("acme", 1000, 2000).replace("latest", "root"),
                &key,
            ),
            FreshnessError::Malformed,
        ),
        (
            reply(
                &statement("acme", 1000, 2000).replace("\"issued\"", "\"extra\":1,\"issued\""),
                &key,
            ),
            FreshnessError::Malformed,
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(run(&text, &store, Some(2001)), Err(expected), "{text}");
    }
    let tampered =
        reply(&statement("acme", 1000, 2000), &key).replace("\"latest\":\"", "\"latest\":\"e30");
    assert!(run(&tampered, &store, None).is_err());
    assert!(matches!(
        SignedLatest::parse(br#"{"latest":"e30=","signature":"c2ln"}"#),
        Err(crate::document::DocumentError::MissingField("keyId"))
    ));
}

#[test]
fn topics_round_trip_and_refuse_others() {
    for kind in [Kind::Request, Kind::Accepted, Kind::Rejected] {
        let mut text = String::new();
        topic::write("$aws", "dev-1", kind, &mut text).unwrap();
        let (thing, parsed) = topic::parse("$aws", &text).unwrap();
        assert_eq!((thing.as_str(), parsed), ("dev-1", kind));
    }
    for other in [
        "$aws/things/dev-1/jobs/get",
        "$aws/things/dev-1/ota/latest/get/other",
        "ota/things/dev-1/ota/latest/get",
        "$aws/things/dev 1/ota/latest/get",
    ] {
        assert_eq!(topic::parse("$aws", other), None, "{other}");
    }
    let request = Request {
        product: "acme",
        stale: true,
        behind: false,
        issued: 7,
        client_token: "t",
    };
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        r#"{"product":"acme","stale":true,"behind":false,"issued":7,"clientToken":"t"}"#
    );
}
