//! Freeze defence on the device: the signed "latest release" statement is asked for beside
//! every `$next/get`, only newer statements count, and a device that gets none for its
//! period (or whose newest one expired by trusted time) reports itself stale.
#![allow(clippy::std_instead_of_core)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::*;
use ota_core::time::Duration;
use ota_core::trust::Root;
use ota_device::storage::testing::PowerCut;
use ota_device::{Error, Event};

const MAX_AGE: Duration = Duration::from_secs(2 * 3600);
const LATEST_TOPIC: &str = "$aws/things/dev-1/ota/latest/get";

/// Root 1 with root key 1, release key 7 (the world's signer) and timestamp key 31.
fn root_with_timestamp(timestamp: &Signer) -> Root<2> {
    Root::new(
        1,
        store_of(&[&Signer::new(1)], 1),
        store_of(&[&Signer::new(7)], 1),
    )
    .unwrap()
    .with_timestamp(store_of(&[timestamp], 1))
    .unwrap()
}

/// An idle device (no job on the service) asking for latest statements.
fn device() -> World {
    let mut w = World::with(
        |s, img| s.firmware_doc(img, "1.1.0", 1, ""),
        PowerCut::unlimited(),
        ota_core::streams::Format::Cbor,
        |c| {
            c.freshness_max_age = Some(MAX_AGE);
            c.idle_check_interval = Duration::from_secs(3600);
        },
    );
    w.peer.delay_creation();
    w.rotate_trust(root_with_timestamp(&Signer::new(31)));
    w
}

/// A reply to the latest request `request` (its payload), for a statement of `version`
/// issued at `issued`, signed by `signer`.
fn reply(request: &[u8], version: &str, issued: u64, signer: &Signer) -> String {
    let request: serde_json::Value = serde_json::from_slice(request).unwrap();
    let statement = format!(
        r#"{{"type":"latest","product":"{PRODUCT}","version":"{version}","securityCounter":1,"issued":{issued},"expires":{}}}"#,
        issued + 86_400
    );
    format!(
        r#"{{"clientToken":{},"latest":"{}","signature":"{}","keyId":"{}"}}"#,
        request["clientToken"],
        STANDARD.encode(&statement),
        signer.sign(statement.as_bytes()),
        signer.key_id
    )
}

/// The latest requests sent so far, parsed.
fn requests(w: &World) -> Vec<serde_json::Value> {
    w.sent
        .iter()
        .filter(|(topic, _)| topic == LATEST_TOPIC)
        .map(|(_, payload)| serde_json::from_slice(payload).unwrap())
        .collect()
}

fn last_request(w: &World) -> Vec<u8> {
    let (_, payload) = w
        .sent
        .iter()
        .rev()
        .find(|(t, _)| t == LATEST_TOPIC)
        .unwrap();
    payload.clone()
}

/// Answer the last request with `version` issued at `issued`.
fn answer(w: &mut World, version: &str, issued: u64, signer: &Signer) -> Result<(), Error> {
    let payload = reply(&last_request(w), version, issued, signer);
    w.deliver(&format!("{LATEST_TOPIC}/accepted"), payload.as_bytes())
}

/// Let `hours` of idle checks pass.
fn idle(w: &mut World, hours: u64) {
    let until = w.now + Duration::from_secs(hours * 3600);
    while w.now < until && w.advance(until.saturating_since(w.now)) {}
    w.now = until;
}

#[test]
fn newer_statements_keep_a_device_fresh_and_their_absence_is_reported() {
    let timestamp = Signer::new(31);
    let mut w = device();
    let mut buf = [0u8; 128];
    assert_eq!(
        w.client().subscription(5, &mut buf),
        Some("$aws/things/dev-1/ota/latest/get/+")
    );
    w.connect();
    let first = requests(&w);
    assert_eq!(first.len(), 1, "asked beside the first $next/get");
    assert_eq!(first[0]["product"], PRODUCT);
    assert_eq!(
        (first[0]["stale"].as_bool(), first[0]["issued"].as_u64()),
        (Some(false), Some(0))
    );
    answer(&mut w, "1.0.0", 1_000, &timestamp).unwrap();

    // Only the same statement again for three hours: a freeze.
    for _ in 0..3 {
        idle(&mut w, 1);
        assert_eq!(
            answer(&mut w, "1.0.0", 1_000, &timestamp),
            Err(Error::Ignored)
        );
    }
    idle(&mut w, 1);
    assert_eq!(
        w.events
            .iter()
            .filter(|e| matches!(e, Event::Stale { .. }))
            .count(),
        1,
        "reported once: {:?}",
        w.events
    );
    assert!(w.events.contains(&Event::Stale { last_issued: 1_000 }));
    assert_eq!(requests(&w).last().unwrap()["stale"], true);

    // A newer statement naming a newer release: fresh again, and behind.
    answer(&mut w, "1.2.0", 9_000, &timestamp).unwrap();
    assert!(w.events.contains(&Event::Fresh { issued: 9_000 }));
    assert!(w.events.contains(&Event::Behind));
    assert_eq!(w.client().latest_release(), Some(v("1.2.0")));
    idle(&mut w, 1);
    let last = requests(&w).pop().unwrap();
    assert_eq!(
        (last["stale"].as_bool(), last["behind"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(last["issued"], 9_000);
}

#[test]
fn statements_that_prove_nothing_change_nothing() {
    let timestamp = Signer::new(31);
    let mut w = device();
    w.connect();
    answer(&mut w, "1.0.0", 5_000, &timestamp).unwrap();
    idle(&mut w, 1);
    // Signed by the release key, not a timestamp key; an older one; a reply to no request.
    assert_eq!(
        answer(&mut w, "1.3.0", 6_000, &Signer::new(7)),
        Err(Error::Malformed)
    );
    assert_eq!(
        answer(&mut w, "1.3.0", 4_000, &timestamp),
        Err(Error::Ignored)
    );
    assert_eq!(w.client().latest_release(), Some(v("1.0.0")));
    let unasked = reply(br#"{"clientToken":"1:dev-1"}"#, "1.3.0", 7_000, &timestamp);
    assert_eq!(
        w.deliver(&format!("{LATEST_TOPIC}/accepted"), unasked.as_bytes()),
        Err(Error::Ignored)
    );

    // After a reset the stored bound holds: the statement of 5,000 is not new any more.
    w.reboot();
    assert_eq!(
        answer(&mut w, "1.0.0", 5_000, &timestamp),
        Err(Error::Ignored)
    );
    // Each request is answered once.
    assert_eq!(
        answer(&mut w, "1.0.0", 5_001, &timestamp),
        Err(Error::Ignored)
    );
    idle(&mut w, 1);
    assert!(answer(&mut w, "1.0.0", 5_001, &timestamp).is_ok());
}

#[test]
fn trusted_time_refuses_expired_statements_and_makes_a_device_stale_early() {
    let timestamp = Signer::new(31);
    let mut w = device();
    w.connect();
    answer(&mut w, "1.0.0", 1_000, &timestamp).unwrap();
    // The clock says the statement (valid for a day) has expired, within the period.
    let now = w.now;
    w.client().set_trusted_time(now, 1_000 + 86_400 + 1);
    idle(&mut w, 1);
    assert!(w.events.contains(&Event::Stale { last_issued: 1_000 }));
    assert_eq!(
        answer(&mut w, "1.0.0", 2_000, &timestamp),
        Err(Error::Malformed)
    );
}

#[test]
fn without_the_setting_or_a_timestamp_role_nothing_is_asked() {
    let mut fixed = World::new(
        |s, img| s.firmware_doc(img, "1.1.0", 1, ""),
        PowerCut::unlimited(),
    );
    fixed.config.freshness_max_age = Some(MAX_AGE);
    fixed.start_client().unwrap();
    fixed.connect();
    fixed.drive(10_000);
    assert!(
        requests(&fixed).is_empty(),
        "fixed keys have no timestamp role"
    );
    let mut buf = [0u8; 128];
    assert_eq!(fixed.client().subscription(5, &mut buf), None);

    let mut unset = World::new(
        |s, img| s.firmware_doc(img, "1.1.0", 1, ""),
        PowerCut::unlimited(),
    );
    unset.rotate_trust(root_with_timestamp(&Signer::new(31)));
    unset.connect();
    unset.drive(10_000);
    assert!(requests(&unset).is_empty(), "freshness_max_age unset");
}

#[test]
fn rotating_the_timestamp_keys_forgets_a_statement_dated_in_the_future() {
    /// Two centuries ahead: what a stolen timestamp key signs to freeze the device for good.
    const FUTURE: u64 = 9_000_000_000;
    let (stolen, new) = (Signer::new(31), Signer::new(32));
    // Root 2: the same root and release keys, timestamp key 32 instead of 31.
    let keys = root_statement(2, (&[&Signer::new(1)], 1), (&[&Signer::new(7)], 1));
    let root_2 = format!(
        r#"{},"timestamp":{{"threshold":1,"keys":[{}]}}}}"#,
        keys.strip_suffix('}').unwrap(),
        new.root_key_json()
    );
    let document = trust_doc(&root_2, &[&Signer::new(1)]);
    let mut w = World::with(
        move |_, _| document,
        PowerCut::unlimited(),
        ota_core::streams::Format::Cbor,
        |c| {
            c.freshness_max_age = Some(MAX_AGE);
            c.idle_check_interval = Duration::from_secs(3600);
        },
    );
    w.peer.delay_creation();
    w.rotate_trust(root_with_timestamp(&stolen));
    w.connect();
    answer(&mut w, "1.0.0", FUTURE, &stolen).unwrap();
    // Every honest statement after it is "not newer", across a reboot too.
    w.reboot();
    assert_eq!(answer(&mut w, "1.0.0", 2_000, &stolen), Err(Error::Ignored));

    // The operator rotates the timestamp key.
    w.peer.create();
    w.peer.notify_next();
    w.drive(10_000);
    assert!(w.events.contains(&Event::TrustRotated { version: 2 }));
    // The bound taken under the old key is forgotten, after a reboot as well ...
    w.reboot();
    assert_eq!(w.root_version(), Some(2));
    answer(&mut w, "1.0.0", 2_000, &new).unwrap();
    assert_eq!(w.client().latest_release(), Some(v("1.0.0")));
    // ... the new key's statements are bound as before ...
    idle(&mut w, 1);
    assert_eq!(answer(&mut w, "1.0.0", 2_000, &new), Err(Error::Ignored));
    w.reboot();
    assert_eq!(answer(&mut w, "1.0.0", 1_999, &new), Err(Error::Ignored));
    // ... and the stolen key signs nothing any more.
    idle(&mut w, 1);
    assert_eq!(
        answer(&mut w, "1.0.0", FUTURE + 1, &stolen),
        Err(Error::Malformed)
    );
    idle(&mut w, 1);
    answer(&mut w, "1.0.0", 3_000, &new).unwrap();
}
