use serde_json::Value;

use super::*;
use crate::freshness::{LatestSpec, sign};
use crate::signing::{KeyAlgorithm, LocalSigner, PrivateKey};
use ota_core::version::{SecurityCounter, Version};

fn statement(product: &str) -> SignedLatestStatement {
    let key = PrivateKey::generate_seeded(KeyAlgorithm::P256, [5; 32]).unwrap();
    let signer = LocalSigner::with_default_algorithm(key, false).unwrap();
    let spec = LatestSpec {
        product,
        version: Version::new(1, 2, 0),
        security_counter: SecurityCounter(3),
        issued: 100,
        expires: 200,
    };
    sign(&spec, &signer).unwrap()
}

fn reply(payload: &[u8]) -> Value {
    serde_json::from_slice(payload).unwrap()
}

#[test]
fn requests_are_answered_with_the_products_statement_and_recorded() {
    let mut board = LatestBoard::default();
    let ask = br#"{"product":"acme","stale":true,"behind":false,"issued":7,"clientToken":"1:dev\u002d1"}"#;
    let (accepted, payload) = board.answer("dev-1", ask, 1_000);
    assert!(!accepted, "no statement yet");
    let r = reply(&payload);
    assert_eq!(
        (r["code"].as_str(), r["clientToken"].as_str()),
        (Some("ResourceNotFound"), Some("1:dev-1"))
    );

    board.publish(statement("acme"));
    board.publish(statement("other"));
    let (accepted, payload) = board.answer("dev-1", ask, 2_000);
    assert!(accepted);
    let r = reply(&payload);
    assert_eq!(r["clientToken"], "1:dev-1");
    assert_eq!(
        r["latest"].as_str(),
        Some(statement("acme").latest.as_str())
    );
    assert!(r["signature"].is_string() && r["keyId"].is_string());
    // Only the reply members a device reads: what the statement says is in its bytes.
    assert!(r.get("product").is_none() && r.get("version").is_none());

    let (accepted, payload) = board.answer("dev-2", b"not json", 2_000);
    assert!(!accepted);
    assert_eq!(reply(&payload)["code"], "InvalidJson");
    board.answer("dev-3", br#"{"product":"acme","behind":true}"#, 2_500);

    let summary = board.summary(10_000, 5_000);
    assert_eq!(
        summary,
        FreshnessSummary {
            asking: 2,
            stale: 1,
            behind: 1,
            silent: 2,
            requests: 4
        }
    );
    assert_eq!(board.summary(3_000, 5_000).silent, 0);
    let (thing, report) = board.reports().find(|(t, _)| *t == "dev-1").unwrap();
    assert_eq!((thing, report.issued, report.at_ms), ("dev-1", 7, 2_000));
    assert_eq!(board.statements().count(), 2);
}

#[test]
fn statements_that_would_not_check_out_are_not_signed() {
    let key = PrivateKey::generate_seeded(KeyAlgorithm::P256, [5; 32]).unwrap();
    let signer = LocalSigner::with_default_algorithm(key, false).unwrap();
    let spec = LatestSpec {
        product: "acme",
        version: Version::new(1, 0, 0),
        security_counter: SecurityCounter(0),
        issued: 200,
        expires: 100,
    };
    assert!(matches!(
        sign(&spec, &signer),
        Err(crate::release::ReleaseError::BadField {
            field: "expires",
            ..
        })
    ));
    let empty = LatestSpec {
        product: "",
        expires: 300,
        ..spec
    };
    assert!(matches!(
        sign(&empty, &signer),
        Err(crate::release::ReleaseError::BadField {
            field: "product",
            ..
        })
    ));
}
