//! What one call can leave for the application to drain: never more events than the client
//! holds ([`MAX_EVENTS_PER_CALL`]; one more would panic), and never more than one publish of a
//! kind (a newer one replaces an older one not taken yet).
//!
//! The event bound is argued in the client (every step emits at most two: `DownloadStarted` or
//! `Progress` then `FetchRange` over HTTP, `StorageFailed` then `RollBackAndReboot` at start-up)
//! and checked here by driving every kind of step; `World` drains after every call and keeps
//! the most one call left.
#![allow(clippy::std_instead_of_core)]

mod common;

use std::collections::BTreeSet;

use common::*;
use ota_core::jobs::JobExecutionStatus;
use ota_core::streams::Format;
use ota_device::storage::testing::PowerCut;
use ota_device::{Event, MAX_EVENTS_PER_CALL};

fn manifest(s: &Signer, image: &[u8]) -> String {
    s.firmware_doc(image, "1.1.0", 1, "")
}

/// The kind of an event, for coverage.
fn kind(e: &Event) -> &'static str {
    match e {
        Event::DownloadStarted { .. } => "DownloadStarted",
        Event::Progress { .. } => "Progress",
        Event::FetchRange { .. } => "FetchRange",
        Event::ActivateAndReboot => "ActivateAndReboot",
        Event::SelfTestRequired => "SelfTestRequired",
        Event::Committed => "Committed",
        Event::RollBackAndReboot { .. } => "RollBackAndReboot",
        Event::JobFinished { .. } => "JobFinished",
        Event::JobCanceled => "JobCanceled",
        Event::StorageFailed => "StorageFailed",
        Event::ReportUndelivered => "ReportUndelivered",
        _ => "other",
    }
}

/// One run of a scenario: the world after it.
type Scenario = (&'static str, fn() -> World);

fn driven(mut w: World) -> World {
    w.connect();
    w.drive(2000);
    w
}

fn scenarios() -> Vec<Scenario> {
    let mut list: Vec<Scenario> = vec![
        ("stream update", || {
            driven(World::new(manifest, PowerCut::unlimited()))
        }),
        ("http update", || {
            driven(World::new(
                |s, img| s.firmware_doc_http(img, "1.1.0"),
                PowerCut::unlimited(),
            ))
        }),
        ("rejected document", || {
            driven(World::new(
                |s, img| manifest(s, img).replace("\"keyId\"", "\"keyid\""),
                PowerCut::unlimited(),
            ))
        }),
        ("self-test fails", || {
            let mut w = World::new(manifest, PowerCut::unlimited());
            w.self_test = SelfTest::Fail;
            driven(w)
        }),
        ("self-test times out", || {
            let mut w = World::new(manifest, PowerCut::unlimited());
            w.self_test = SelfTest::Hang;
            driven(w)
        }),
        ("cancelled download", || {
            let mut w = World::new(manifest, PowerCut::unlimited());
            w.connect_and_hold_the_download();
            w.peer.cancel();
            w.deliver_everything();
            w.pump();
            w
        }),
        ("version mismatch", || {
            let mut w = World::new(manifest, PowerCut::unlimited());
            w.peer.touch();
            driven(w)
        }),
        ("throttled", || {
            let mut w = World::new(manifest, PowerCut::unlimited());
            w.peer.throttle(3);
            driven(w)
        }),
        ("stream never answers", || {
            let mut w = World::new(manifest, PowerCut::unlimited());
            w.drop_publish = Box::new(|_, topic, _| topic.contains("/streams/"));
            driven(w)
        }),
        ("final report never delivered", || {
            let mut w = World::new(manifest, PowerCut::unlimited());
            w.drop_publish =
                Box::new(|_, _, payload| payload.starts_with(br#"{"status":"SUCCEEDED""#));
            w.connect();
            w.drive(300);
            w
        }),
        ("custom job", || {
            let mut w = World::new(
                |_, _| r#"{"operation":"reboot"}"#.to_string(),
                PowerCut::unlimited(),
            );
            w.connect();
            let now = w.now;
            w.client()
                .report_custom_job(now, JobExecutionStatus::InProgress)
                .unwrap();
            w.pump();
            w.client()
                .report_custom_job(now, JobExecutionStatus::Succeeded)
                .unwrap();
            w.pump();
            w
        }),
    ];
    if cfg!(feature = "afr-ota") {
        list.push(("afr_ota over http", || {
            driven(World::new(
                |s, img| s.afr_doc_http(img),
                PowerCut::unlimited(),
            ))
        }));
        list.push(("afr_ota file, not firmware", || {
            driven(World::new(
                |s, img| s.afr_doc(img, 2),
                PowerCut::unlimited(),
            ))
        }));
    }
    if cfg!(all(feature = "afr-ota", feature = "json-streams")) {
        list.push(("afr_ota over json streams", || {
            driven(World::with(
                |s, img| s.afr_doc(img, 0),
                PowerCut::unlimited(),
                Format::Json,
                |_| {},
            ))
        }));
    }
    list
}

/// Power cut after each of the first storage operations of an update, then as many resets as
/// it takes: start-up at every point of the update (`Client::new` is a call too).
fn power_cut_runs() -> World {
    let mut most = World::new(manifest, PowerCut::unlimited());
    for n in 0..40 {
        let mut w = World::new(manifest, PowerCut::after(n));
        w.connect();
        for _ in 0..10 {
            w.drive(2000);
            if !w.power.is_cut() {
                break;
            }
            w.reboot();
        }
        if w.most_events_per_call > most.most_events_per_call {
            most = w;
        }
    }
    most
}

#[test]
fn no_call_leaves_more_events_than_the_client_holds() {
    let mut most = 0;
    let mut seen = BTreeSet::new();
    for (name, scenario) in scenarios() {
        let w = scenario();
        assert!(
            w.most_events_per_call <= MAX_EVENTS_PER_CALL,
            "{name}: {} events in one call",
            w.most_events_per_call
        );
        if name == "http update" {
            // DownloadStarted then FetchRange; Progress then FetchRange.
            assert_eq!(w.most_events_per_call, MAX_EVENTS_PER_CALL, "{name}");
        }
        most = most.max(w.most_events_per_call);
        seen.extend(w.events.iter().map(kind));
    }
    let w = power_cut_runs();
    assert!(w.most_events_per_call <= MAX_EVENTS_PER_CALL);
    seen.extend(w.events.iter().map(kind));
    // The bound is reached, so the queue is no larger than a call needs.
    assert_eq!(most, MAX_EVENTS_PER_CALL);
    // Every kind of event was emitted in some step (StorageFailed at start-up with unreadable
    // flags: `flash_faults::client_start_with_unreadable_flags`, bounded the same way).
    for expected in [
        "DownloadStarted",
        "Progress",
        "FetchRange",
        "ActivateAndReboot",
        "SelfTestRequired",
        "Committed",
        "RollBackAndReboot",
        "JobFinished",
        "JobCanceled",
        "ReportUndelivered",
    ] {
        assert!(
            seen.contains(expected),
            "no step emitted {expected}: {seen:?}"
        );
    }
}

/// The events of an HTTP download step are not drained before the next step: the next one
/// that emits finds the queue full, and the client says so instead of dropping one.
#[test]
#[should_panic(expected = "poll_event not drained")]
fn undrained_events_are_refused_loudly() {
    let mut w = World::new(
        |s, img| s.firmware_doc_http(img, "1.1.0"),
        PowerCut::unlimited(),
    );
    let now = w.now;
    let mut out = vec![0u8; 2048];
    let mut inbound = vec![0u8; 140 * 1024];
    w.client().handle_connected(now);
    // Publishes and replies move; events stay queued.
    for _ in 0..20 {
        while let Some(p) = w.client.as_mut().unwrap().poll_transmit(now, &mut out) {
            let (topic, payload) = (p.topic.to_string(), p.payload.to_vec());
            let _ = w.peer.handle_publish(&topic, &payload);
        }
        let Some((topic, payload)) = w.peer.poll_message(&mut inbound) else {
            break;
        };
        let (topic, payload) = (topic.to_string(), payload.to_vec());
        let _ = w.client().handle_message(now, &topic, &payload);
    }
    // `DownloadStarted` and `FetchRange` wait; the first window completes (with progress
    // due: every 4 blocks), which emits again.
    let window = w.new_image[..4096].to_vec();
    let _ = w.client().handle_http_data(now, 0, &window);
}

/// A request resent before `poll_transmit` took it goes out once, with its latest token: the
/// slot of the state's request holds one.
#[test]
fn a_resend_replaces_the_send_not_taken_yet() {
    let mut w = World::new(manifest, PowerCut::unlimited());
    let now = w.now;
    w.client().handle_connected(now);
    // No reply (nothing was published): the reply timeout, the backoff, the resend.
    for _ in 0..2 {
        let at = w.client().poll_timeout().expect("a timer");
        w.now = at;
        let now = w.now;
        w.client().handle_timeout(now);
    }
    let mut buf = vec![0u8; 2048];
    let now = w.now;
    let client = w.client.as_mut().unwrap();
    let p = client.poll_transmit(now, &mut buf).expect("the resend");
    assert!(p.topic.ends_with("/jobs/$next/get"), "{}", p.topic);
    let (topic, payload) = (p.topic.to_string(), p.payload.to_vec());
    assert!(
        client.poll_transmit(now, &mut buf).is_none(),
        "one $next/get, not two"
    );
    // Its token is the resend's: the service's answer to it is taken.
    w.peer.handle_publish(&topic, &payload).unwrap();
    let mut inbound = vec![0u8; 8192];
    let (topic, reply) = w.peer.poll_message(&mut inbound).expect("notify or reply");
    let (mut topic, mut reply) = (topic.to_string(), reply.to_vec());
    if topic.ends_with("notify-next") {
        let (t, r) = w.peer.poll_message(&mut inbound).expect("the reply");
        (topic, reply) = (t.to_string(), r.to_vec());
    }
    assert!(topic.ends_with("$next/get/accepted"), "{topic}");
    let now = w.now;
    assert_eq!(w.client().handle_message(now, &topic, &reply), Ok(None));
    assert!(
        w.client().job_id().is_some(),
        "the job was taken from the reply"
    );
}
