//! The whole update flow against the scripted service, one behaviour per test, with explicit
//! time.
#![allow(clippy::std_instead_of_core)]

mod common;

use common::*;
use ota_core::jobs::JobExecutionStatus;
use ota_core::streams::{Format, StreamMessage as _};
use ota_core::time::Duration;
use ota_device::storage::BootState;
use ota_device::storage::testing::{Bank, PowerCut};
use ota_device::{Event, Reason};

fn manifest_doc(s: &Signer, image: &[u8]) -> String {
    s.firmware_doc(image, "1.1.0", 1, "")
}

/// The `"clientToken":"…"` member of a published update, as it stands in the JSON.
fn client_token(update: &str) -> String {
    let token = update.split("\"clientToken\":\"").nth(1).unwrap();
    let token = token.split('"').next().unwrap();
    format!("\"clientToken\":\"{token}\"")
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

#[test]
fn signed_manifest_update_commits_the_new_image() {
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    w.connect();
    w.drive(1000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    assert_eq!(finished(&w), [(JobExecutionStatus::Succeeded, None)]);
    assert!(w.boot.active_image().starts_with(&w.new_image));
    assert_eq!(w.boot_state(), BootState::Normal);
    assert!(w.events.contains(&Event::Committed));
    assert_eq!(w.reboots, 1);
    let floor = w.client().floor();
    assert_eq!((floor.version, floor.security_counter.0), (v("1.1.0"), 1));
    assert!(w.client().is_idle());
}

#[test]
fn status_details_use_the_aws_agent_keys() {
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    w.connect();
    w.drive(1000);
    let statuses = w.statuses_sent();
    let has = |needle: &str| statuses.iter().any(|s| s.contains(needle));
    // 9000 bytes in 1 KiB blocks: 9 blocks.
    assert!(
        has(r#"{"status":"IN_PROGRESS","statusDetails":{"receive":"0/9"},"expectedVersion":1"#),
        "{statuses:#?}"
    );
    assert!(has(r#""receive":"4/9""#), "{statuses:#?}");
    assert!(
        has(r#""statusDetails":{"self_test":"ready","updatedBy":"0x01000000"}"#),
        "{statuses:#?}"
    );
    assert!(
        has(r#""statusDetails":{"self_test":"active","updatedBy":"0x01000000"}"#),
        "{statuses:#?}"
    );
    assert!(
        has(
            r#"{"status":"SUCCEEDED","statusDetails":{"reason":"accepted  v1.1.0","updatedBy":"  v1.1.0"}"#
        ),
        "{statuses:#?}"
    );
}

#[test]
#[cfg(all(feature = "afr-ota", feature = "json-streams"))]
fn afr_ota_update_over_json_streams() {
    let mut w = World::with(
        |s, img| s.afr_doc(img, 0),
        PowerCut::unlimited(),
        Format::Json,
        |_| {},
    );
    w.connect();
    w.drive(1000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    assert!(w.boot.active_image().starts_with(&w.new_image));
    assert_eq!(w.boot_state(), BootState::Normal);
}

#[test]
#[cfg(feature = "afr-ota")]
fn afr_ota_non_firmware_file_succeeds_without_activation() {
    let mut w = World::new(|s, img| s.afr_doc(img, 2), PowerCut::unlimited());
    w.connect();
    w.drive(1000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    assert_eq!(w.reboots, 0);
    assert!(!w.events.contains(&Event::ActivateAndReboot));
    assert!(w.boot.active_image().starts_with(&w.old_image));
}

#[test]
#[cfg(feature = "afr-ota")]
fn a_device_configured_to_refuse_afr_ota_rejects_it_unread() {
    // afr_ota's unsigned fileType: changed from 0 (firmware) to 2, a signed firmware would be
    // reported SUCCEEDED without being installed (the test above). A device that takes only
    // signed manifests refuses the format whatever the field says, firmware or not.
    for file_type in [0, 2] {
        let mut w = World::with(
            |s, img| s.afr_doc(img, file_type),
            PowerCut::unlimited(),
            Format::Cbor,
            |c| c.accept_afr_ota = false,
        );
        w.connect();
        w.drive(1000);
        assert_eq!(w.peer_status(), JobExecutionStatus::Rejected);
        assert_eq!(
            finished(&w),
            [(
                JobExecutionStatus::Rejected,
                Some(Reason::UnsupportedDocument)
            )]
        );
        assert!(w.boot.active_image().starts_with(&w.old_image));
        assert!(!w.events.contains(&Event::ActivateAndReboot));
    }
}

/// A device whose store needs two signers, with `document` served and the client restarted
/// on that store (nothing was delivered yet).
fn two_signer_world(document: impl FnOnce(&Signer, &[u8]) -> String) -> World {
    let mut w = World::new(document, PowerCut::unlimited());
    w.signer.trust = w.signer.both_needed(&Signer::new(8));
    w.start_client().unwrap();
    w
}

#[test]
fn a_two_signer_device_installs_only_what_both_keys_signed() {
    let mut w =
        two_signer_world(|s, img| s.firmware_doc_cosigned(img, "1.1.0", &[&Signer::new(8)]));
    w.connect();
    w.drive(1000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    assert!(w.boot.active_image().starts_with(&w.new_image));

    // One key's signature alone (a stolen key), or twice: refused before any download.
    let once = |s: &Signer, img: &[u8]| s.firmware_doc_cosigned(img, "1.1.0", &[]);
    let twice = |s: &Signer, img: &[u8]| s.firmware_doc_cosigned(img, "1.1.0", &[s]);
    for document in [once, twice] {
        let mut w = two_signer_world(document);
        w.connect();
        w.drive(1000);
        assert_eq!(
            finished(&w),
            [(JobExecutionStatus::Rejected, Some(Reason::BelowThreshold))]
        );
        assert!(w.download_starts.is_empty());
        assert!(w.boot.active_image().starts_with(&w.old_image));
    }
}

#[test]
#[cfg(feature = "afr-ota")]
fn a_two_signer_device_refuses_afr_ota_unread() {
    // afr_ota carries one signature: it can never make a threshold of two.
    let mut w = two_signer_world(|s, img| s.afr_doc(img, 0));
    w.connect();
    w.drive(1000);
    assert_eq!(
        finished(&w),
        [(
            JobExecutionStatus::Rejected,
            Some(Reason::UnsupportedDocument)
        )]
    );
    assert!(!w.events.contains(&Event::ActivateAndReboot));
}

#[test]
#[cfg(feature = "afr-ota")]
fn tampered_afr_file_fails_its_signature_check_and_is_never_activated() {
    // The document signs other bytes than the stream serves.
    let mut w = World::new(
        |s, img| {
            let mut other = img.to_vec();
            other[100] ^= 1;
            s.afr_doc(&other, 0)
                .replace(&other.len().to_string(), &img.len().to_string())
        },
        PowerCut::unlimited(),
    );
    w.connect();
    w.drive(1000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Failed);
    assert_eq!(
        finished(&w),
        [(
            JobExecutionStatus::Failed,
            Some(Reason::SignatureCheckFailed)
        )]
    );
    assert_eq!(w.boot_state(), BootState::Normal);
    assert!(w.boot.active_image().starts_with(&w.old_image));
    assert!(!w.events.contains(&Event::ActivateAndReboot));
}

/// A document that fails validation is REJECTED with its reason before any flash write.
fn assert_rejected_before_any_write(
    document: impl FnOnce(&Signer, &[u8]) -> String,
    reason: Reason,
) {
    let mut w = World::new(document, PowerCut::unlimited());
    w.connect();
    w.drive(100);
    assert_eq!(w.peer_status(), JobExecutionStatus::Rejected, "{reason:?}");
    assert_eq!(finished(&w), [(JobExecutionStatus::Rejected, Some(reason))]);
    let inactive = w.boot.bank_image(Bank::B);
    assert!(
        inactive.iter().all(|&b| b == 0xff),
        "{reason:?}: the slot was written"
    );
    let status = w.statuses_sent().pop().unwrap();
    assert!(
        status.contains(&format!(r#""reason":"{}""#, reason.as_str())),
        "{status}"
    );
}

#[test]
fn rejects_a_bad_signature() {
    assert_rejected_before_any_write(
        |s, img| {
            let other = Signer::new(9);
            let doc = other.firmware_doc(img, "1.1.0", 1, "");
            doc.replace(&other.key_id, &s.key_id)
        },
        Reason::BadSignature,
    );
}

#[test]
fn rejects_an_unknown_key() {
    assert_rejected_before_any_write(
        |_, img| Signer::new(9).firmware_doc(img, "1.1.0", 1, ""),
        Reason::UnknownKey,
    );
}

/// A v1.1.0 document whose manifest (counter 1) is for `hardware` and describes an image of
/// `size` bytes hashing to `sha256`.
fn doc_for_manifest_of(s: &Signer, hardware: &str, size: usize, sha256: &str) -> String {
    let manifest = format!(
        r#"{{"product":"acme","hardware":"{hardware}","version":"1.1.0","securityCounter":1,"size":{size},"sha256":"{sha256}"}}"#
    );
    s.firmware_doc_for_manifest(&manifest, "1.1.0")
}

#[test]
fn rejects_wrong_hardware() {
    assert_rejected_before_any_write(
        |s, img| doc_for_manifest_of(s, "rev-a", img.len(), &sha256_hex(img)),
        Reason::WrongHardware,
    );
}

#[test]
fn rejects_a_version_at_or_below_the_floor() {
    assert_rejected_before_any_write(
        |s, img| s.firmware_doc(img, "1.0.0", 1, ""),
        Reason::NotNewer,
    );
    assert_rejected_before_any_write(
        |s, img| s.firmware_doc(img, "0.9.9", 1, ""),
        Reason::NotNewer,
    );
}

#[test]
fn rejects_a_security_counter_below_the_floor() {
    // First update to counter 5, then a newer version with counter 3.
    let mut w = World::new(
        |s, img| s.firmware_doc(img, "1.1.0", 5, ""),
        PowerCut::unlimited(),
    );
    w.connect();
    w.drive(1000);
    assert_eq!(w.client().floor().security_counter.0, 5);
    let doc = w.signer.firmware_doc(&w.new_image, "1.2.0", 3, "");
    w.peer = serve("fw-job-2", doc, &w.new_image, Format::Cbor);
    w.drive(100);
    assert_eq!(w.peer_status(), JobExecutionStatus::Rejected);
    assert_eq!(
        finished(&w).last(),
        Some(&(
            JobExecutionStatus::Rejected,
            Some(Reason::CounterBelowFloor)
        ))
    );
}

#[test]
fn rejects_an_expired_manifest_with_trusted_time() {
    let mut w = World::new(
        |s, img| s.firmware_doc(img, "1.1.0", 1, r#","expires":1700000000"#),
        PowerCut::unlimited(),
    );
    let now = w.now;
    w.client().set_trusted_time(now, 1_700_000_000);
    w.connect();
    w.drive(100);
    assert_eq!(
        finished(&w),
        [(JobExecutionStatus::Rejected, Some(Reason::Expired))]
    );
}

#[test]
fn rejects_an_image_larger_than_the_slot() {
    assert_rejected_before_any_write(
        |s, _| {
            let room = ota_device::trailer::region(CAPACITY as u32, 4096)
                .unwrap()
                .0;
            doc_for_manifest_of(s, HARDWARE, room as usize + 1, &sha256_hex(b"x"))
        },
        Reason::TooLarge,
    );
}

#[test]
fn rejects_a_malformed_document() {
    assert_rejected_before_any_write(
        |_, _| r#"{"operation":"firmware_update","firmware":{"signature":"MEQ="}}"#.to_string(),
        Reason::BadDocument,
    );
}

#[test]
fn cancel_by_notify_next_without_execution_stops_the_download() {
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    w.connect_and_hold_the_download();
    assert!(
        w.events
            .iter()
            .any(|e| matches!(e, Event::DownloadStarted { .. }))
    );
    w.peer.cancel();
    w.deliver_everything();
    w.pump();
    assert!(w.events.contains(&Event::JobCanceled));
    assert!(w.client().is_idle());
    assert_eq!(w.client().job_id(), None);
    // Time passes (the idle check included): nothing more is asked for the cancelled job.
    let sent = w.sent.len();
    for _ in 0..10 {
        assert!(
            w.advance(Duration::from_secs(3600)),
            "an idle client keeps a timer"
        );
    }
    assert!(w.sent[sent..].iter().all(|(t, _)| !t.contains("/streams/")));
    assert!(w.sent[sent..].iter().any(|(t, _)| t.ends_with("$next/get")));
    assert_eq!(w.boot_state(), BootState::Normal);
}

#[test]
fn a_notify_next_for_the_same_job_is_not_a_cancel() {
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    w.connect_and_hold_the_download();
    w.peer.notify_next();
    w.deliver_everything();
    w.pump();
    assert!(!w.events.contains(&Event::JobCanceled));
    w.drive(1000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
}

#[test]
fn a_failed_or_hung_self_test_rolls_back_and_reports_failed() {
    for (self_test, reason, wire) in [
        (SelfTest::Fail, Reason::SelfTestFailed, "self_test_failed"),
        (SelfTest::Hang, Reason::SelfTestTimeout, "self_test_timeout"),
    ] {
        let mut w = World::new(manifest_doc, PowerCut::unlimited());
        w.self_test = self_test;
        w.connect();
        w.drive(1000);
        assert_eq!(w.peer_status(), JobExecutionStatus::Failed);
        assert!(w.events.contains(&Event::RollBackAndReboot { reason }));
        assert_eq!(finished(&w), [(JobExecutionStatus::Failed, Some(reason))]);
        assert!(w.boot.active_image().starts_with(&w.old_image));
        assert_eq!(w.client().floor().version, v("1.0.0"));
        let failed = w.statuses_sent().pop().unwrap();
        let wire = format!(r#""reason":"{wire}""#);
        assert!(failed.contains(&wire), "{failed}");
    }
}

#[test]
fn activation_waits_for_the_ready_update_to_be_accepted() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    // Lose the accepted reply to the first `self_test: ready` update.
    let ready_token: Rc<RefCell<Option<String>>> = Rc::default();
    let dropped = Rc::new(std::cell::Cell::new(false));
    let seen = ready_token.clone();
    w.drop_publish = Box::new(move |_, _, payload| {
        let text = String::from_utf8_lossy(payload);
        if text.contains("\"ready\"") && seen.borrow().is_none() {
            *seen.borrow_mut() = Some(client_token(&text));
        }
        false
    });
    let (seen, d) = (ready_token.clone(), dropped.clone());
    w.drop_delivery = Box::new(move |_, topic, payload| {
        let text = String::from_utf8_lossy(payload);
        let matches = seen
            .borrow()
            .as_ref()
            .is_some_and(|t| text.contains(t.as_str()));
        if topic.ends_with("/update/accepted") && matches && !d.get() {
            d.set(true);
            return true;
        }
        false
    });
    w.connect();
    assert!(dropped.get(), "the accepted reply was lost");
    assert!(
        !w.events.contains(&Event::ActivateAndReboot),
        "activation before acceptance"
    );
    w.drive(1000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    let readies = w
        .statuses_sent()
        .iter()
        .filter(|s| s.contains("\"ready\""))
        .count();
    assert_eq!(readies, 2, "the ready update was sent again");
}

#[test]
fn version_mismatch_redescribes_and_continues() {
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    w.peer.touch();
    w.connect();
    w.drive(1000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    let gets: Vec<_> = w
        .sent
        .iter()
        .filter(|(t, _)| t.ends_with(&format!("/jobs/{JOB}/get")))
        .collect();
    assert_eq!(gets.len(), 1, "one re-describe");
}

#[test]
fn throttling_backs_off_and_retries() {
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    w.peer.throttle(3);
    let start = w.now;
    w.connect();
    w.drive(1000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    // Three backoffs of at least 0.5, 1 and 2 seconds passed.
    assert!(w.now - start >= Duration::from_millis(3500));
}

#[test]
fn a_cancelled_job_ends_a_pending_report_with_invalid_state_transition() {
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    // Lose the accepted reply of the start update, cancel, then the retry is refused.
    w.drop_delivery = Box::new(|_, topic, _| topic.ends_with("/update/accepted"));
    w.connect();
    w.peer.cancel();
    w.drop_delivery = Box::new(|_, topic, _| topic.ends_with("notify-next"));
    w.drive(1000);
    assert!(w.events.contains(&Event::JobCanceled));
    assert!(w.client().is_idle());
}

#[test]
fn lost_requests_are_retried_with_bounded_backoff_then_the_job_fails() {
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    // The stream never answers.
    w.drop_publish = Box::new(|_, topic, _| topic.contains("/streams/"));
    w.connect();
    w.drive(1000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Failed);
    assert_eq!(
        finished(&w),
        [(JobExecutionStatus::Failed, Some(Reason::DownloadTimeout))]
    );
    let requests: Vec<_> = w
        .sent
        .iter()
        .filter(|(t, _)| t.contains("/streams/"))
        .collect();
    assert_eq!(requests.len(), 8, "max_attempts requests");
}

#[test]
fn custom_jobs_go_to_the_application() {
    let mut w = World::new(
        |_, _| r#"{"operation":"reboot","delay":5}"#.to_string(),
        PowerCut::unlimited(),
    );
    w.connect();
    assert_eq!(w.custom_jobs, [JOB], "handed over by handle_message");
    assert_eq!(w.peer_status(), JobExecutionStatus::Queued, "not failed");
    let now = w.now;
    w.client()
        .report_custom_job(now, JobExecutionStatus::InProgress)
        .unwrap();
    w.pump();
    assert_eq!(w.peer_status(), JobExecutionStatus::InProgress);
    w.client()
        .report_custom_job(now, JobExecutionStatus::Succeeded)
        .unwrap();
    w.pump();
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    assert!(w.client().is_idle());
}

/// Run the update of `w`, whose document has the application fetch the image over HTTP:
/// it succeeds, through ranges the application fetched, and the new image runs.
fn update_over_http(w: &mut World) {
    w.connect();
    w.drive(1000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    assert!(
        w.events
            .iter()
            .any(|e| matches!(e, Event::FetchRange { .. }))
    );
    assert!(w.boot.active_image().starts_with(&w.new_image));
}

#[test]
fn http_download_through_application_fetched_ranges() {
    let mut w = World::new(
        |s, img| s.firmware_doc_http(img, "1.1.0"),
        PowerCut::unlimited(),
    );
    update_over_http(&mut w);
    assert!(
        !w.sent.iter().any(|(t, _)| t.contains("/streams/")),
        "no MQTT stream used"
    );
}

#[test]
fn terminal_state_on_redescribe_abandons_the_job() {
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    // The start update meets a stale version, and the job is cancelled before the redescribe.
    w.peer.touch();
    let cancel_after_mismatch = std::rc::Rc::new(std::cell::Cell::new(false));
    let flag = cancel_after_mismatch.clone();
    w.drop_publish = Box::new(move |_, topic, _| {
        if topic.ends_with(&format!("/jobs/{JOB}/get")) {
            flag.set(true);
        }
        false
    });
    let now = w.now;
    w.client().handle_connected(now);
    for _ in 0..1000 {
        if cancel_after_mismatch.get() {
            break;
        }
        w.pump_once();
    }
    assert!(cancel_after_mismatch.get(), "a redescribe was sent");
    // The cancel's notify-next is lost: only the describe reply can tell.
    w.drop_delivery = Box::new(|_, topic, _| topic.ends_with("notify-next"));
    w.peer.cancel();
    w.pump();
    assert!(w.events.contains(&Event::JobCanceled));
    assert!(w.client().is_idle());
    // Nothing of the image was written (only the manifest trailer, at the take).
    let (image_end, _) = ota_device::trailer::region(CAPACITY as u32, 4096).unwrap();
    let bank = w.boot.bank_image(Bank::B);
    assert!(bank[..image_end as usize].iter().all(|&b| b == 0xff));
}

#[test]
#[cfg(feature = "afr-ota")]
fn afr_ota_over_http() {
    let mut w = World::new(|s, img| s.afr_doc_http(img), PowerCut::unlimited());
    update_over_http(&mut w);
}

#[test]
fn block_sizes_across_the_allowed_range() {
    for (block_size, format) in [
        (256, Format::Cbor),
        (256, Format::Json),
        (4096, Format::Json),
        (131_072, Format::Cbor),
    ] {
        if format == Format::Json && !cfg!(feature = "json-streams") {
            continue;
        }
        let mut w = World::with(manifest_doc, PowerCut::unlimited(), format, |c| {
            c.block_size = block_size
        });
        w.connect();
        w.drive(5000);
        assert_eq!(
            w.peer_status(),
            JobExecutionStatus::Succeeded,
            "{block_size} {format:?}"
        );
        let requests = w
            .sent
            .iter()
            .filter(|(t, _)| t.contains("/streams/"))
            .count();
        let expected_windows = w.new_image.len().div_ceil(block_size as usize).div_ceil(4);
        assert_eq!(
            requests, expected_windows,
            "one request per window at {block_size}"
        );
    }
    // Outside the range, or not a power of two: refused at construction.
    for bad in [128, 1000, 262_144] {
        let mut config = ota_device::Config::new(
            ota_core::jobs::ThingName::new(THING).unwrap(),
            PRODUCT,
            HARDWARE,
            v("1.0.0"),
        );
        config.block_size = bad;
        let w = World::new(manifest_doc, PowerCut::unlimited());
        let buffers = ota_device::Buffers {
            scratch: Box::leak(vec![0u8; 1 << 18].into_boxed_slice()),
            url: &mut [],
        };
        let result = ota_device::Client::new(
            config,
            w.signer.trust,
            w.boot.slot(),
            w.store.reopen(),
            buffers,
        );
        assert!(matches!(result, Err(ota_device::Error::BadConfig)), "{bad}");
    }
}

/// Collect the data blocks the peer sends, without delivering them.
fn run_to_first_window(w: &mut World) -> Vec<(String, Vec<u8>)> {
    let held = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let h = held.clone();
    w.drop_delivery = Box::new(move |_, topic, payload| {
        if topic.contains("/data/") {
            h.borrow_mut().push((topic.to_string(), payload.to_vec()));
            return true;
        }
        false
    });
    w.connect();
    w.deliver_everything();
    held.take()
}

#[test]
fn out_of_order_and_duplicate_blocks_are_handled() {
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    let blocks = run_to_first_window(&mut w);
    assert_eq!(blocks.len(), 4, "a window of four blocks");
    let now = w.now;
    // Last first, then the rest backwards, with a duplicate in between.
    let deliver = |w: &mut World, i: usize| {
        let (t, p) = &blocks[i];
        w.client().handle_message(now, t, p)
    };
    let ignored = Err(ota_device::Error::Ignored);
    for (block, outcome, why) in [
        (3, Ok(None), "the last block first"),
        (2, Ok(None), "backwards"),
        (3, ignored, "a duplicate is ignored"),
        (1, Ok(None), "backwards"),
        (0, Ok(None), "the window is complete"),
        (0, ignored, "a block of a finished window is ignored"),
    ] {
        assert_eq!(deliver(&mut w, block), outcome, "block {block}: {why}");
    }
    w.drive(1000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    assert!(w.boot.active_image().starts_with(&w.new_image));
}

#[test]
fn blocks_of_another_file_or_stream_are_ignored() {
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    let blocks = run_to_first_window(&mut w);
    let now = w.now;
    let (topic, payload) = &blocks[0];
    // The same block re-encoded with another file id.
    let block = ota_core::streams::DataBlock::decode_cbor(payload, &mut []).unwrap();
    let other_file = ota_core::streams::DataBlock {
        file_id: 9,
        ..block
    };
    let mut buf = vec![0u8; 2048];
    let n = other_file.encode_cbor(&mut buf).unwrap();
    assert_eq!(
        w.client().handle_message(now, topic, &buf[..n]),
        Err(ota_device::Error::Ignored)
    );
    // The right block on another stream's topic.
    let other_stream = topic.replace(STREAM, "other-stream");
    assert_eq!(
        w.client().handle_message(now, &other_stream, payload),
        Err(ota_device::Error::Ignored)
    );
    // A block whose length does not match is malformed.
    let short = ota_core::streams::DataBlock {
        payload: &block.payload[..10],
        ..block
    };
    let n = short.encode_cbor(&mut buf).unwrap();
    assert_eq!(
        w.client().handle_message(now, topic, &buf[..n]),
        Err(ota_device::Error::Malformed)
    );
    // The genuine blocks still complete the update.
    for (t, p) in &blocks {
        w.client().handle_message(now, t, p).unwrap();
    }
    w.drive(1000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
}

#[test]
fn stream_rejections_fail_the_job_or_back_off() {
    use ota_core::streams::{StreamErrorCode, StreamRejected};
    let encode = |code| {
        let mut buf = vec![0u8; 256];
        let n = StreamRejected {
            code,
            message: Some(ota_core::json::JsonStr::text("no")),
            client_token: None,
        }
        .encode_cbor(&mut buf)
        .unwrap();
        buf.truncate(n);
        buf
    };
    let topic = format!("$aws/things/{THING}/streams/{STREAM}/rejected/cbor");
    // The first window rejected with `code`, then the update driven on.
    let rejected = |code| {
        let mut w = World::new(manifest_doc, PowerCut::unlimited());
        run_to_first_window(&mut w);
        let now = w.now;
        w.client()
            .handle_message(now, &topic, &encode(code))
            .unwrap();
        w.drive(1000);
        w
    };
    // A retryable code: the window is asked for again after a backoff.
    let w = rejected(StreamErrorCode::InternalError);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    // A final code: FAILED with the reason, nothing activated.
    let w = rejected(StreamErrorCode::BlockSizeOutOfBounds);
    assert_eq!(
        finished(&w),
        [(JobExecutionStatus::Failed, Some(Reason::StreamRejected))]
    );
    assert_eq!(w.boot_state(), BootState::Normal);
}

#[test]
fn commit_waits_for_the_active_update_to_be_accepted() {
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    // Every reply to `self_test: active` is lost: the client never asks for the self-test,
    // never commits, and finally rolls back.
    let active_tokens = std::rc::Rc::new(std::cell::RefCell::new(Vec::<String>::new()));
    let seen = active_tokens.clone();
    w.drop_publish = Box::new(move |_, _, payload| {
        let text = String::from_utf8_lossy(payload);
        if text.contains("\"active\"") {
            seen.borrow_mut().push(client_token(&text));
        }
        false
    });
    let seen = active_tokens.clone();
    w.drop_delivery = Box::new(move |_, topic, payload| {
        let text = String::from_utf8_lossy(payload);
        topic.ends_with("/update/accepted")
            && seen.borrow().iter().any(|t| text.contains(t.as_str()))
    });
    w.connect();
    w.drive(1000);
    assert!(!w.events.contains(&Event::SelfTestRequired));
    assert!(!w.events.contains(&Event::Committed));
    assert!(w.events.contains(&Event::RollBackAndReboot {
        reason: Reason::NoResponse
    }));
    assert!(
        w.boot.active_image().starts_with(&w.old_image),
        "rolled back to the old image"
    );
    assert!(
        active_tokens.borrow().len() >= 8,
        "the active update was retried"
    );
}

#[test]
fn backoff_is_exponential_bounded_and_jittered_by_seed() {
    fn resend_gaps(seed: u64) -> Vec<u64> {
        let mut w = World::with(manifest_doc, PowerCut::unlimited(), Format::Cbor, |c| {
            c.random_seed = seed;
            c.retry.max_attempts = 8;
        });
        let times = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let t = times.clone();
        // Lose every $next/get; record when each was sent.
        w.drop_publish = Box::new(move |_, topic, _| {
            if topic.ends_with("$next/get") {
                t.borrow_mut().push(());
                return true;
            }
            false
        });
        w.drop_delivery = Box::new(|_, _, _| true);
        let mut sent_at = Vec::new();
        w.connect();
        sent_at.push(w.now.as_millis());
        // The retries come within 70 s of each other; after the last, only the idle check
        // (at least 30 minutes away) is left.
        while w.advance(Duration::from_secs(120)) {
            if times.borrow().len() > sent_at.len() {
                sent_at.push(w.now.as_millis());
            }
        }
        sent_at.windows(2).map(|p| p[1] - p[0]).collect()
    }
    let a = resend_gaps(1);
    let b = resend_gaps(1);
    let c = resend_gaps(2);
    assert_eq!(a, b, "same seed, same timing");
    assert_ne!(a, c, "another seed, other jitter");
    assert_eq!(a.len(), 7, "8 attempts");
    for (i, gap) in a.iter().enumerate() {
        // 10 s reply timeout plus a backoff of (1 s << attempt) capped at 60 s, jittered into
        // its upper half.
        let backoff = (1000u64 << (i + 1)).min(60_000);
        assert!(
            *gap >= 10_000 + backoff / 2 && *gap <= 10_000 + backoff,
            "gap {i}: {gap} ms"
        );
    }
}

/// Publishes of the client, polled now (the world does not forward them).
fn take_publishes(w: &mut World) -> Vec<(String, Vec<u8>)> {
    let now = w.now;
    let mut buf = vec![0u8; 2048];
    let mut out = Vec::new();
    while let Some(p) = w.client().poll_transmit(now, &mut buf) {
        out.push((p.topic.to_string(), p.payload.to_vec()));
    }
    out
}

/// Replies of the peer, polled now (the world does not deliver them).
fn take_replies(w: &mut World) -> Vec<(String, Vec<u8>)> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Vec::new();
    while let Some((t, p)) = w.peer.poll_message(&mut buf) {
        out.push((t.to_string(), p.to_vec()));
    }
    out
}

#[test]
fn a_late_empty_next_reply_does_not_drop_the_job_taken_meanwhile() {
    // The sequence the fleet simulator found: the boot's `$next/get` finds nothing; the job
    // is created and its `notify-next` overtakes that (empty) reply; the client takes the
    // job and its IN_PROGRESS update is lost; then the late empty reply arrives.
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    w.peer.delay_creation();
    let now = w.now;
    w.client().handle_connected(now);
    for (topic, payload) in take_publishes(&mut w) {
        w.peer.handle_publish(&topic, &payload).unwrap();
    }
    let late = take_replies(&mut w);
    assert!(late.len() == 1 && late[0].0.ends_with("$next/get/accepted"));
    assert!(!String::from_utf8_lossy(&late[0].1).contains("execution"));
    w.peer.create();
    for (topic, payload) in take_replies(&mut w) {
        assert!(topic.ends_with("notify-next"));
        w.client().handle_message(now, &topic, &payload).unwrap();
    }
    let lost = take_publishes(&mut w);
    assert!(lost[0].0.ends_with("/update") && lost[0].1.starts_with(br#"{"status":"IN_PROGRESS""#));
    assert_eq!(
        w.client().handle_message(now, &late[0].0, &late[0].1),
        Err(ota_device::Error::Ignored),
        "a reply to no outstanding request changes nothing"
    );
    assert_eq!(w.client().job_id(), Some(JOB));
    assert!(!w.events.contains(&Event::JobCanceled));
    // The start update is resent after its reply timeout and the update completes.
    w.drive(1000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    assert_eq!(finished(&w), [(JobExecutionStatus::Succeeded, None)]);
}

#[test]
fn an_idle_client_finds_a_job_whose_notification_was_lost() {
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    w.peer.delay_creation();
    w.connect();
    assert!(w.client().is_idle());
    let idle_since = w.now;
    // The job's only notification is lost.
    w.peer.create();
    w.drop_delivery = Box::new(|_, topic, _| topic.ends_with("notify-next"));
    w.pump();
    assert_eq!(w.peer_status(), JobExecutionStatus::Queued);
    let check = w
        .client()
        .poll_timeout()
        .expect("an idle client keeps a timer");
    let wait = check - idle_since;
    assert!(
        wait >= Duration::from_secs(1800) && wait <= Duration::from_secs(3600),
        "idle check after {wait:?}"
    );
    w.drive(1000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
}

#[test]
fn a_stale_empty_notify_next_is_checked_before_the_job_is_dropped() {
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    w.connect_and_hold_the_download();
    // A notify-next saying nothing is pending, as one sent before the job was created and
    // delivered late.
    let now = w.now;
    let topic = format!("$aws/things/{THING}/jobs/notify-next");
    w.client()
        .handle_message(now, &topic, br#"{"timestamp":1}"#)
        .unwrap();
    let asked = take_publishes(&mut w);
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].0, format!("$aws/things/{THING}/jobs/{JOB}/get"));
    // The service says the job is still in progress: it goes on.
    w.peer.handle_publish(&asked[0].0, &asked[0].1).unwrap();
    w.deliver_everything();
    w.drive(1000);
    assert!(!w.events.contains(&Event::JobCanceled));
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
}

#[test]
fn a_lost_acceptance_of_the_final_report_still_finishes_the_job() {
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    // Once SUCCEEDED is sent, its acceptances (and the notify-next after it) are lost: the
    // retry is refused as a transition out of SUCCEEDED, which says an attempt landed.
    let succeeded_sent = std::rc::Rc::new(std::cell::Cell::new(false));
    let flag = succeeded_sent.clone();
    w.drop_publish = Box::new(move |_, topic, payload| {
        if topic.ends_with("/update") && payload.starts_with(br#"{"status":"SUCCEEDED""#) {
            flag.set(true);
        }
        false
    });
    let seen = succeeded_sent.clone();
    w.drop_delivery = Box::new(move |_, topic, _| {
        seen.get() && (topic.ends_with("/update/accepted") || topic.ends_with("notify-next"))
    });
    w.connect();
    w.drive(1000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    assert_eq!(finished(&w), [(JobExecutionStatus::Succeeded, None)]);
    assert!(!w.events.contains(&Event::JobCanceled));
}
