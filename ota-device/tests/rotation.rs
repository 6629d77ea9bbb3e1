//! Trust roots rotated over the air: a trust-update job replaces the device's keys, a key
//! it leaves out stops verifying at once, and updates that must not apply are refused. The
//! power is cut at every write of a rotation.
#![allow(clippy::std_instead_of_core)]

mod common;

use common::*;
use ota_core::jobs::JobExecutionStatus;
use ota_core::streams::Format;
use ota_core::trust::Root;
use ota_device::storage::testing::{CutMode, PowerCut};
use ota_device::trust::RootSource;
use ota_device::{Event, Reason};

/// Root keys 1, 2, 3; the release key is the world's signer (7); 8 is a new release key.
struct Keys {
    r1: Signer,
    r2: Signer,
    r3: Signer,
    k7: Signer,
    k8: Signer,
}

fn keys() -> Keys {
    Keys {
        r1: Signer::new(1),
        r2: Signer::new(2),
        r3: Signer::new(3),
        k7: Signer::new(7),
        k8: Signer::new(8),
    }
}

/// Version 1, built into the firmware: root keys 1 and 2 (both needed), release key 7.
fn built_in(k: &Keys) -> Root<2> {
    Root::new(1, store_of(&[&k.r1, &k.r2], 2), store_of(&[&k.k7], 1)).unwrap()
}

/// Version 2: root keys 1 and 3 (both needed), release key 8; key 7 revoked.
fn second(k: &Keys) -> String {
    root_statement(2, (&[&k.r1, &k.r3], 2), (&[&k.k8], 1))
}

/// A rotating device served `document`, connected.
fn device(document: String, power: PowerCut) -> World {
    let k = keys();
    let mut w = World::new(move |_, _| document, power);
    w.rotate_trust(built_in(&k));
    w
}

fn finished(w: &World) -> Vec<(JobExecutionStatus, Option<Reason>)> {
    w.events
        .iter()
        .filter_map(|e| match *e {
            Event::JobFinished { status, reason } => Some((status, reason)),
            _ => None,
        })
        .collect()
}

/// Serve a firmware job for the world's new image, signed by `signer`, and run it.
fn firmware_job(w: &mut World, job: &'static str, signer: &Signer) {
    let doc = signer.firmware_doc(&w.new_image, "1.1.0", 1, "");
    w.peer = serve(job, doc, &w.new_image.clone(), Format::Cbor);
    w.peer.notify_next();
    w.drive(10_000);
}

#[test]
fn a_rotation_replaces_the_keys_and_a_revoked_key_stops_verifying() {
    let k = keys();
    // Signed by the current root keys (1, 2) and by the new root's own (1, 3).
    let doc = trust_doc(&second(&k), &[&k.r1, &k.r2, &k.r3]);
    let mut w = device(doc, PowerCut::unlimited());
    assert_eq!(w.root_version(), Some(1));
    w.connect();
    w.drive(10_000);
    assert_eq!(finished(&w), [(JobExecutionStatus::Succeeded, None)]);
    assert!(w.events.contains(&Event::TrustRotated { version: 2 }));
    assert_eq!(w.root_version(), Some(2));
    // Nothing was installed; the rotated root survives a reset.
    assert!(w.boot.active_image().starts_with(&w.old_image));
    w.reboot();
    assert_eq!(w.root_version(), Some(2));
    assert_eq!(w.root_sources.last(), Some(&RootSource::Stored));

    // A release signed by the revoked key 7 is refused before any download ...
    firmware_job(&mut w, "fw-by-7", &k.k7);
    assert_eq!(
        finished(&w).last(),
        Some(&(JobExecutionStatus::Rejected, Some(Reason::UnknownKey)))
    );
    assert!(w.download_starts.is_empty());
    // ... and one signed by the new key 8 installs.
    firmware_job(&mut w, "fw-by-8", &k.k8);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    assert!(w.boot.active_image().starts_with(&w.new_image));
}

#[test]
fn rotations_that_must_not_apply_are_refused_and_change_nothing() {
    let k = keys();
    let not_self_signed = root_statement(2, (&[&k.r3, &k.k8], 2), (&[&k.k8], 1));
    let foreign = second(&k).replace(&format!("\"{PRODUCT}\""), "\"other\"");
    let older = root_statement(1, (&[&k.r1, &k.r3], 2), (&[&k.k8], 1));
    let cases = [
        // One root key alone (a stolen one).
        (trust_doc(&second(&k), &[&k.r1]), Reason::BelowThreshold),
        // The release key cannot sign roots.
        (trust_doc(&second(&k), &[&k.k7]), Reason::UnknownKey),
        // New root keys that did not sign it.
        (
            trust_doc(&not_self_signed, &[&k.r1, &k.r2]),
            Reason::BadRoot,
        ),
        (
            trust_doc(&foreign, &[&k.r1, &k.r2, &k.r3]),
            Reason::WrongProduct,
        ),
        // A version-1 root that is not the one held: a replay.
        (
            trust_doc(&older, &[&k.r1, &k.r2, &k.r3]),
            Reason::RootNotNewer,
        ),
        (
            trust_doc(&second(&k), &[&k.r1, &k.r2]).replace("\"root\":\"", "\"root\":\"!"),
            Reason::BadEncoding,
        ),
    ];
    for (doc, reason) in cases {
        let mut w = device(doc, PowerCut::unlimited());
        w.connect();
        w.drive(10_000);
        assert_eq!(
            finished(&w),
            [(JobExecutionStatus::Rejected, Some(reason))],
            "{reason:?}"
        );
        assert_eq!(w.root_version(), Some(1));
        w.reboot();
        assert_eq!(w.root_version(), Some(1), "nothing stored");
        assert_eq!(w.root_sources.last(), Some(&RootSource::BuiltIn));
        // Key 7 still verifies.
        firmware_job(&mut w, "fw-by-7", &k.k7);
        assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    }
}

#[test]
fn a_device_with_fixed_keys_refuses_trust_updates() {
    let k = keys();
    let doc = trust_doc(&second(&k), &[&k.r1, &k.r2, &k.r3]);
    let mut w = World::new(move |_, _| doc, PowerCut::unlimited());
    w.connect();
    w.drive(10_000);
    assert_eq!(
        finished(&w),
        [(
            JobExecutionStatus::Rejected,
            Some(Reason::UnsupportedDocument)
        )]
    );
    assert_eq!(w.root_version(), None);
}

/// Cut the power at mutating operation `k` (of the state record, the trust store and the
/// slot), restart as often as it takes, and check that the device ends with the new root
/// and a SUCCEEDED job, having booted only with root 1 or root 2.
fn rotation_with_cut(k_cut: u64, mode: CutMode) {
    let k = keys();
    let power = PowerCut::unlimited();
    let doc = trust_doc(&second(&k), &[&k.r1, &k.r2, &k.r3]);
    let mut w = device(doc, power.clone());
    power.arm(k_cut, mode);
    w.connect();
    for restart in 0..10 {
        w.drive(10_000);
        if !w.power.is_cut() {
            break;
        }
        assert!(restart < 9, "too many restarts");
        w.reboot();
        let held = w.root_version();
        assert!(
            matches!(held, Some(1 | 2) | None),
            "booted with root {held:?}"
        );
    }
    assert_eq!(
        w.peer_status(),
        JobExecutionStatus::Succeeded,
        "cut at {k_cut}"
    );
    assert_eq!(w.root_version(), Some(2), "cut at {k_cut}");
    assert!(
        !w.root_sources
            .contains(&RootSource::BuiltInStoredUnreadable),
        "a cut never leaves the stored root unreadable"
    );
    w.reboot();
    assert_eq!(w.root_version(), Some(2));
}

#[test]
fn power_cut_at_every_write_of_a_rotation() {
    let k = keys();
    let clean = PowerCut::unlimited();
    let mut w = device(
        trust_doc(&second(&k), &[&k.r1, &k.r2, &k.r3]),
        clean.clone(),
    );
    let before = clean.ops();
    w.connect();
    w.drive(10_000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    let ops = clean.ops() - before;
    assert!(ops >= 2, "a rotation takes {ops} mutating operations");
    let noisy = [1, 0x5EED].map(|seed| CutMode::Noisy { seed });
    for mode in [CutMode::Clean, CutMode::Torn].into_iter().chain(noisy) {
        for cut in 0..ops {
            rotation_with_cut(cut, mode);
        }
    }
    println!("{ops} cut points: every one ended on root 2, SUCCEEDED (clean, torn and noisy cuts)");
}
