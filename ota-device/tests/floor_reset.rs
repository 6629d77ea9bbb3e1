//! Fast-forward recovery: a release signed with a wrong, huge security counter is committed
//! and every correct release after it is refused, until the root keys sign a floor reset
//! that lets the device install the release re-signed with the right counter, once.
#![allow(clippy::std_instead_of_core)]

mod common;

use common::*;
use ota_core::jobs::JobExecutionStatus;
use ota_core::streams::Format;
use ota_core::trust::Root;
use ota_core::version::SecurityCounter;
use ota_device::storage::testing::PowerCut;
use ota_device::{Event, Reason};

/// Root keys 1 and 2 (both needed), release key 7 (the world's signer).
fn built_in() -> Root<2> {
    Root::new(
        1,
        store_of(&[&Signer::new(1), &Signer::new(2)], 2),
        store_of(&[&Signer::new(7)], 1),
    )
    .unwrap()
}

fn reset(sequence: u32, counter: u32) -> String {
    format!(
        r#"{{"type":"floor-reset","product":"{PRODUCT}","hardware":"{HARDWARE}","sequence":{sequence},"version":"1.1.0","securityCounter":{counter}}}"#
    )
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

/// Serve `document` as job `job` and run it.
fn run(w: &mut World, job: &'static str, document: String) -> (JobExecutionStatus, Option<Reason>) {
    w.peer = serve(job, document, &w.new_image.clone(), Format::Cbor);
    w.peer.notify_next();
    w.drive(10_000);
    *finished(w).last().unwrap()
}

/// A device that committed release 1.1.0 signed with security counter 1000 by mistake.
fn fast_forwarded() -> World {
    let mut w = World::new(
        |s, img| s.firmware_doc(img, "1.1.0", 1000, ""),
        PowerCut::unlimited(),
    );
    w.rotate_trust(built_in());
    w.connect();
    w.drive(10_000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    assert_eq!(w.client().floor().security_counter, SecurityCounter(1000));
    w
}

#[test]
fn a_root_signed_reset_lets_the_corrected_release_in_once() {
    let (r1, r2, k7) = (Signer::new(1), Signer::new(2), Signer::new(7));
    let mut w = fast_forwarded();
    let corrected = |w: &World| k7.firmware_doc(&w.new_image, "1.1.0", 6, "");
    // The release re-signed with the right counter is refused: the floor is at 1000.
    let doc = corrected(&w);
    assert_eq!(run(&mut w, "fixed-1", doc).0, JobExecutionStatus::Rejected);

    // The root keys allow it, once.
    let (status, _) = run(&mut w, "reset-1", reset_doc(&reset(1, 6), &[&r1, &r2]));
    assert_eq!(status, JobExecutionStatus::Succeeded);
    assert!(w.events.contains(&Event::FloorResetAllowed {
        security_counter: 6
    }));
    assert_eq!(
        w.client().floor_reset_allowance(),
        Some((v("1.1.0"), SecurityCounter(6)))
    );
    let doc = corrected(&w);
    assert_eq!(
        run(&mut w, "fixed-2", doc),
        (JobExecutionStatus::Succeeded, None)
    );
    let floor = w.client().floor();
    assert_eq!(
        (floor.version, floor.security_counter),
        (v("1.1.0"), SecurityCounter(6))
    );
    // The floor stays lowered across a reset (the running trailer now says 6).
    w.reboot();
    assert_eq!(w.client().floor().security_counter, SecurityCounter(6));

    // Spent: the same release again is refused, and the same reset grants nothing anew.
    let doc = corrected(&w);
    assert_eq!(run(&mut w, "fixed-3", doc).0, JobExecutionStatus::Rejected);
    let (status, _) = run(&mut w, "reset-again", reset_doc(&reset(1, 6), &[&r1, &r2]));
    assert_eq!(status, JobExecutionStatus::Succeeded, "reported as taken");
    let doc = corrected(&w);
    assert_eq!(run(&mut w, "fixed-4", doc).0, JobExecutionStatus::Rejected);
}

#[test]
fn resets_without_the_root_threshold_or_replayed_are_refused() {
    let (r1, r2, k7) = (Signer::new(1), Signer::new(2), Signer::new(7));
    let mut w = fast_forwarded();
    let cases = [
        (reset_doc(&reset(1, 6), &[&r1]), Reason::BelowThreshold),
        (reset_doc(&reset(1, 6), &[&k7]), Reason::UnknownKey),
        (
            reset_doc(&reset(1, 6).replace(HARDWARE, "rev-z"), &[&r1, &r2]),
            Reason::WrongHardware,
        ),
    ];
    for (n, (doc, reason)) in cases.into_iter().enumerate() {
        let job: &'static str = Box::leak(format!("bad-reset-{n}").into_boxed_str());
        assert_eq!(
            run(&mut w, job, doc),
            (JobExecutionStatus::Rejected, Some(reason))
        );
    }
    assert!(
        !w.events
            .iter()
            .any(|e| matches!(e, Event::FloorResetAllowed { .. }))
    );
    let doc = k7.firmware_doc(&w.new_image, "1.1.0", 6, "");
    assert_eq!(
        run(&mut w, "still-refused", doc).0,
        JobExecutionStatus::Rejected
    );

    // Reset 2 taken; reset 1, older, is refused.
    let (status, _) = run(&mut w, "reset-2", reset_doc(&reset(2, 6), &[&r1, &r2]));
    assert_eq!(status, JobExecutionStatus::Succeeded);
    assert_eq!(
        run(&mut w, "reset-1", reset_doc(&reset(1, 6), &[&r1, &r2])),
        (JobExecutionStatus::Rejected, Some(Reason::ResetNotNewer))
    );
}

#[test]
fn a_device_with_fixed_keys_refuses_floor_resets() {
    let (r1, r2) = (Signer::new(1), Signer::new(2));
    let doc = reset_doc(&reset(1, 6), &[&r1, &r2]);
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
}
