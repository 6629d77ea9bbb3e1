//! The anti-rollback floor never goes down when the state record is lost: it comes back from
//! the running image's manifest trailer and from the device's security counter; and a device
//! that lost its record while an image was pending or on trial returns to a committed image
//! and still finishes the job.
#![allow(clippy::std_instead_of_core)]

mod common;

use common::*;
use ota_core::jobs::JobExecutionStatus;
use ota_core::streams::Format;
use ota_core::version::SecurityCounter;
use ota_device::storage::BootState;
use ota_device::storage::testing::{Bank, PowerCut};
use ota_device::{Event, Reason};

/// Counter of the first release (v1.1.0).
const COUNTER: u32 = 5;

fn world() -> World {
    World::new(
        |s, img| s.firmware_doc(img, "1.1.0", COUNTER, ""),
        PowerCut::unlimited(),
    )
}

/// Both copies of the state record gone: the store's flash holds garbage.
fn lose_record(w: &World) {
    let flash = w.store.flash();
    let garbage: Vec<u8> = (0..flash.snapshot().len())
        .map(|i| (i * 7 + 3) as u8)
        .collect();
    flash.poke(0, &garbage).unwrap();
}

/// The running bank's trailer region overwritten (e.g. a factory image without one).
fn lose_trailer(w: &World) {
    let bank = w.boot.active_bank();
    let (at, len) = ota_device::trailer::region(CAPACITY as u32, 4096).unwrap();
    w.boot
        .bank_flash(bank)
        .poke(at as usize, &vec![0x5A; len as usize])
        .unwrap();
}

/// A second job offering `version` with `counter`, served by a new peer.
fn offer(w: &mut World, version: &str, counter: u32) {
    let img = image(9_000, 0x99);
    let doc = w.signer.firmware_doc(&img, version, counter, "");
    w.peer = serve("fw-job-2", doc, &img, Format::Cbor);
}

fn update_to_1_1(w: &mut World) {
    w.connect();
    w.drive(10_000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    assert_eq!(w.running_version(), w.new_version);
    assert_eq!(
        w.client().floor().security_counter,
        SecurityCounter(COUNTER)
    );
}

/// Connect and run (messages and timers, no reset) until the image is marked pending.
fn run_until_pending(w: &mut World) {
    w.connect();
    for _ in 0..10_000 {
        if w.boot_state() == BootState::Pending {
            break;
        }
        w.pump();
        if !w.advance(ota_core::time::Duration::from_secs(60))
            && w.boot_state() != BootState::Pending
        {
            break;
        }
    }
    assert_eq!(w.boot_state(), BootState::Pending);
}

fn restart(w: &mut World) {
    w.client = None;
    w.start_client().expect("client starts");
}

#[test]
fn a_lost_record_keeps_the_floor_from_the_running_images_trailer() {
    let mut w = world();
    update_to_1_1(&mut w);
    lose_record(&w);
    restart(&mut w);
    let floor = w.client().floor();
    assert_eq!(floor.security_counter, SecurityCounter(COUNTER));
    assert_eq!(floor.version, v("1.1.0"));
    // A newer version whose counter is below the floor is refused before anything is written.
    offer(&mut w, "1.2.0", COUNTER - 1);
    w.connect();
    w.drive(1_000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Rejected);
    assert!(
        w.statuses_sent()
            .last()
            .unwrap()
            .contains(Reason::CounterBelowFloor.as_str())
    );
}

#[test]
fn a_lost_record_keeps_the_floor_from_the_security_counter() {
    let mut w = world();
    w.boot = w.boot.clone().with_security_counter(1);
    restart(&mut w);
    update_to_1_1(&mut w);
    assert_eq!(w.boot.security_counter(), Some(COUNTER), "raised at commit");
    // No trailer and no record: the counter alone holds the floor.
    lose_trailer(&w);
    lose_record(&w);
    restart(&mut w);
    assert_eq!(
        w.client().floor().security_counter,
        SecurityCounter(COUNTER)
    );
    offer(&mut w, "1.2.0", COUNTER - 1);
    w.connect();
    w.drive(1_000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Rejected);
}

#[test]
fn the_counter_is_raised_only_after_the_commit_and_repaired_at_start() {
    let mut w = World::with(
        |s, img| s.firmware_doc(img, "1.1.0", COUNTER, ""),
        PowerCut::unlimited(),
        Format::Cbor,
        |c| c.self_test_timeout = ota_core::time::Duration::from_secs(30 * 86_400),
    );
    w.boot = w.boot.clone().with_security_counter(1);
    restart(&mut w);
    w.self_test = SelfTest::Hang;
    w.connect();
    w.drive(10_000);
    // On trial, self-test outstanding: the fallback image must still be allowed to boot.
    assert_eq!(w.boot_state(), BootState::Trial);
    assert_eq!(w.boot.security_counter(), Some(1));
    let now = w.now;
    w.client().handle_self_test(now, true).unwrap();
    w.pump();
    assert_eq!(w.boot.security_counter(), Some(COUNTER));
    // A counter behind the record (its raise lost to a power cut; here: a fresh one) is
    // brought up to the floor at the next start.
    w.boot = w.boot.clone().with_security_counter(2);
    restart(&mut w);
    assert_eq!(w.boot.security_counter(), Some(COUNTER));
}

#[test]
fn a_corrupt_trailer_does_not_lower_the_floor_of_the_record() {
    let mut w = world();
    update_to_1_1(&mut w);
    lose_trailer(&w);
    restart(&mut w);
    assert_eq!(
        w.client().floor().security_counter,
        SecurityCounter(COUNTER)
    );
}

#[test]
fn a_trailer_for_another_version_is_ignored() {
    // The factory image runs from bank A; a trailer of the 1.1.0 release placed there (as if
    // left over) names another version than the running 1.0.0 and must not count.
    let mut w = world();
    update_to_1_1(&mut w);
    let trailer = w.boot.running_trailer();
    let (at, _) = ota_device::trailer::region(CAPACITY as u32, 4096).unwrap();
    let mut fresh = world();
    fresh
        .boot
        .bank_flash(Bank::A)
        .poke(at as usize, &trailer)
        .unwrap();
    restart(&mut fresh);
    assert_eq!(fresh.client().floor().security_counter, SecurityCounter(0));
}

#[test]
fn a_trial_boot_with_a_lost_record_rolls_back_and_the_job_still_finishes() {
    let mut w = world();
    // Run until the image is pending, then reset by hand to lose the record in between.
    run_until_pending(&mut w);
    w.client = None;
    assert_eq!(w.boot.reset().unwrap(), BootState::Trial);
    lose_record(&w);
    let seen = w.events.len();
    w.start_client().expect("client starts");
    assert!(
        w.events[seen..].contains(&Event::RollBackAndReboot {
            reason: Reason::StateLost
        }),
        "{:?}",
        &w.events[seen..]
    );
    w.client = None;
    assert_eq!(w.boot.reset().unwrap(), BootState::RolledBack);
    assert_eq!(w.running_version(), w.old_version);
    // The service still holds the job IN_PROGRESS: the client takes it again and finishes.
    w.events.clear(); // `drive` acts on every event in the list
    w.start_client().expect("client starts");
    w.connect();
    w.drive(20_000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    assert_eq!(w.running_version(), w.new_version);
    assert_eq!(w.boot_state(), BootState::Normal);
}

#[test]
fn a_pending_image_with_a_lost_record_is_withdrawn_and_the_job_still_finishes() {
    let mut w = world();
    run_until_pending(&mut w);
    w.client = None;
    lose_record(&w);
    w.start_client().expect("client starts");
    assert_eq!(w.boot_state(), BootState::Normal, "the mark is withdrawn");
    w.events.clear(); // `drive` acts on every event in the list
    w.connect();
    w.drive(20_000);
    assert_eq!(
        w.peer_status(),
        JobExecutionStatus::Succeeded,
        "{:#?}\n{:?}",
        w.statuses_sent(),
        w.events
    );
    assert_eq!(w.running_version(), w.new_version);
}
