//! The log lines of feature `log`: an update run against the scripted service, with a test
//! logger that keeps each thread's lines (tests run in parallel threads; each reads its own).
#![allow(clippy::std_instead_of_core)]

mod common;

use std::cell::RefCell;
use std::sync::Once;

use common::*;
use log::{LevelFilter, Log, Metadata, Record};
use ota_core::jobs::JobExecutionStatus;
use ota_core::time::Duration;
use ota_device::storage::testing::{CutMode, PowerCut};
use ota_device::{Error, Event};

thread_local! {
    static LINES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Keeps every record as "LEVEL target: message" in the calling thread's [`LINES`].
struct Collect;

impl Log for Collect {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &Record<'_>) {
        let line = format!("{} {}: {}", record.level(), record.target(), record.args());
        LINES.with(|lines| lines.borrow_mut().push(line));
    }

    fn flush(&self) {}
}

static COLLECT: Collect = Collect;

/// Installs the logger (once per process) and forgets this thread's lines so far.
fn capture() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&COLLECT).expect("no other logger in this test binary");
        log::set_max_level(LevelFilter::Trace);
    });
    LINES.with(|lines| lines.borrow_mut().clear());
}

/// This thread's lines since [`capture`].
fn lines() -> Vec<String> {
    LINES.with(|lines| lines.borrow().clone())
}

/// Fails with every line when none contains `needle`.
fn assert_logged(lines: &[String], needle: &str) {
    assert!(
        lines.iter().any(|line| line.contains(needle)),
        "no line with {needle:?} in:\n{}",
        lines.join("\n")
    );
}

fn manifest_doc(s: &Signer, image: &[u8]) -> String {
    s.firmware_doc(image, "1.1.0", 1, "")
}

#[test]
fn a_committed_update_logs_its_events_and_state_changes() {
    capture();
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    w.connect();
    w.drive(1000);
    assert!(w.events.contains(&Event::Committed));
    let lines = lines();
    for needle in [
        "INFO ota_device::logging: ota event: download started, 9000 bytes from byte 0",
        "INFO ota_device::logging: ota event: progress 4096 of 9000 bytes",
        "INFO ota_device::logging: ota event: activate and reboot",
        "INFO ota_device::logging: ota event: self-test required",
        "INFO ota_device::logging: ota event: committed",
        "INFO ota_device::logging: ota event: job finished SUCCEEDED",
        "DEBUG ota_device::client::transition: ota state: describing the next job",
        "DEBUG ota_device::client::transition: ota state: downloading",
        "DEBUG ota_device::client::transition: ota state: self-test",
    ] {
        assert_logged(&lines, needle);
    }
    // Nothing of the job's identity, document or payloads: no id, no thing name.
    for secret in [JOB, THING, STREAM, w.signer.key_id.as_str()] {
        assert!(
            lines.iter().all(|line| !line.contains(secret)),
            "{secret:?} logged"
        );
    }
    assert!(
        lines
            .iter()
            .all(|line| !line.starts_with("WARN") && !line.starts_with("ERROR"))
    );
}

#[test]
fn dropped_messages_are_logged_with_their_sizes_only() {
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    capture();
    let topic = format!("$aws/things/{THING}/jobs/notify-next");
    assert_eq!(w.deliver(&topic, b"{not json"), Err(Error::Malformed));
    assert_eq!(
        w.deliver("$aws/things/other/jobs/notify-next", b"{}"),
        Err(Error::UnknownTopic)
    );
    let lines = lines();
    assert_logged(
        &lines,
        &format!(
            "DEBUG ota_device::client::messages: ota message dropped (Malformed): topic {} bytes, payload 9 bytes",
            topic.len()
        ),
    );
    assert_logged(&lines, "ota message dropped (UnknownTopic): topic 34 bytes");
    assert!(lines.iter().all(|line| !line.contains("not json")));
}

#[test]
fn a_rejected_job_is_a_warning_with_its_reason() {
    capture();
    let mut w = World::new(
        |_, img| Signer::new(9).firmware_doc(img, "1.1.0", 1, ""),
        PowerCut::unlimited(),
    );
    w.connect();
    w.drive(100);
    assert_eq!(w.peer_status(), JobExecutionStatus::Rejected);
    let lines = lines();
    assert_logged(
        &lines,
        "WARN ota_device::client::flow: ota job REJECTED: unknown_key",
    );
    assert_logged(
        &lines,
        "INFO ota_device::logging: ota event: job finished REJECTED (unknown_key)",
    );
}

#[test]
fn a_state_store_that_fails_is_an_error() {
    let mut w = World::new(manifest_doc, PowerCut::unlimited());
    w.connect_and_hold_the_download();
    capture();
    // The next flash write (a block of the resent window) fails, and so does every store
    // after it: the job fails and its record cannot be written.
    w.power.arm(0, CutMode::Clean);
    w.deliver_everything();
    // The window's reply timeout, its backoff, then the resend.
    while !w.power.is_cut() && w.advance(Duration::from_secs(3600)) {}
    let lines = lines();
    assert_logged(
        &lines,
        "ERROR ota_device::client: ota: state record not stored: PowerLoss",
    );
    assert_logged(
        &lines,
        "WARN ota_device::client::flow: ota job FAILED: storage_failure",
    );
}
