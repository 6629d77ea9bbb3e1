//! Flash faults beyond power cuts, on a whole update: read errors during the download and the
//! verification, the new image damaged after its verification and before activation, and
//! damaged boot flags in every boot state.
//!
//! What must hold in each: every boot runs the old image or the complete new one (never an
//! image that was not verified), and the run ends on the old image with the job `FAILED` or on
//! the new, committed image with the job `SUCCEEDED`.
#![allow(clippy::std_instead_of_core)]

mod common;

use common::*;
use ota_core::jobs::JobExecutionStatus;
use ota_core::streams::Format;
use ota_device::storage::testing::{
    Bank, InactiveBank, MemFlash, MemStateStore, PowerCut, ReadFault, SimBootControl, SimBootloader,
};
use ota_device::storage::{BootControl, BootState, NorFlashSlot, StorageError};
use ota_device::{Buffers, Client, Error, Event, MAX_EVENTS_PER_CALL, Reason};

const IMAGE_LEN: usize = 40_000;

fn world() -> World {
    World::build(
        |s, img| s.firmware_doc(img, "1.1.0", 1, ""),
        PowerCut::unlimited(),
        Format::Cbor,
        |_| {},
        IMAGE_LEN,
    )
}

/// Whether the bootloader runs the old image or the complete new one.
fn runs_verified_image(w: &World) -> bool {
    let image = w.boot.active_image();
    image.starts_with(&w.old_image) || image.starts_with(&w.new_image)
}

/// The end of every run: the job is final and acknowledged, the client idle, and the device
/// runs the image that matches the status.
fn check_end(w: &mut World) -> (JobExecutionStatus, Option<Reason>) {
    let status = w.peer_status();
    let active = w.boot.active_image();
    match status {
        JobExecutionStatus::Succeeded => {
            assert!(active.starts_with(&w.new_image), "SUCCEEDED, old image");
            assert_eq!(
                w.boot_state(),
                BootState::Normal,
                "SUCCEEDED, not committed"
            );
        }
        JobExecutionStatus::Failed => {
            assert!(active.starts_with(&w.old_image), "FAILED, new image runs");
            assert_ne!(w.boot_state(), BootState::Trial);
            assert_ne!(w.boot_state(), BootState::Pending);
        }
        other => panic!("ended {other:?}"),
    }
    assert!(w.client().is_idle(), "the client has finished");
    let finished = w.events.iter().rev().find_map(|e| match *e {
        Event::JobFinished { status, reason } => Some((status, reason)),
        _ => None,
    });
    let (acked, reason) = finished.expect("the final status was acknowledged");
    assert_eq!(acked, status);
    (status, reason)
}

fn activated(w: &World) -> bool {
    w.events.contains(&Event::ActivateAndReboot)
}

// ---- read errors ----

/// Reads of the inactive bank (bank B) and of the state store until the client asks for the
/// activation reset, in a run without faults.
fn reads_until_activation() -> (u64, u64) {
    let mut w = world();
    let bank = w.boot.bank_flash(Bank::B);
    let store = w.store.flash().share();
    bank.set_read_fault(ReadFault::Never);
    store.set_read_fault(ReadFault::Never);
    w.connect();
    assert!(
        activated(&w),
        "one pump runs the download to the activation"
    );
    assert_eq!(w.boot_state(), BootState::Pending);
    (bank.reads(), store.reads())
}

/// Run a whole update with `fault` on the reads of bank B (the slot being written).
fn run_with_slot_fault(fault: ReadFault) -> (World, JobExecutionStatus, Option<Reason>) {
    let mut w = world();
    let bank = w.boot.bank_flash(Bank::B);
    bank.set_read_fault(fault);
    w.connect();
    w.drive(10_000);
    assert!(runs_verified_image(&w), "{fault:?}");
    let (status, reason) = check_end(&mut w);
    (w, status, reason)
}

/// One failing read of the slot at each read of a whole update (the trailer check, the
/// verification after the download, the verification again before `mark_pending`): the
/// client reads again, so every job still succeeds, and the error did happen.
#[test]
fn a_read_error_at_each_slot_read_is_retried() {
    let (reads, _) = reads_until_activation();
    assert!(reads > 10, "{reads} reads of the slot");
    for at in 0..reads {
        let (w, status, reason) = run_with_slot_fault(ReadFault::Once { at });
        assert_eq!(
            (status, reason),
            (JobExecutionStatus::Succeeded, None),
            "read {at}"
        );
        assert_eq!(
            w.boot.bank_flash(Bank::B).failed_reads(),
            1,
            "read {at}: the error happened"
        );
    }
}

/// The slot's reads all fail from read `at` on: the verification cannot finish, so nothing is
/// ever marked pending.
#[test]
fn a_dead_slot_never_activates_an_image_it_could_not_read() {
    let (reads, _) = reads_until_activation();
    for at in 0..reads {
        let (w, status, reason) = run_with_slot_fault(ReadFault::From { at });
        // Every read from `at` on fails: the verification before activation cannot finish.
        assert_eq!(status, JobExecutionStatus::Failed, "dead from read {at}");
        assert_eq!(reason, Some(Reason::StorageFailure));
        assert!(!activated(&w), "dead from read {at}: activated");
        assert_eq!(w.boot.active_bank(), Bank::A);
    }
}

/// Seeded random read errors on the slot, from often to rare.
#[test]
fn random_slot_read_errors_fail_cleanly() {
    let (mut succeeded, mut failed) = (0, 0);
    for one_in in [3, 10, 40] {
        for seed in 0..12 {
            let fault = ReadFault::Random { seed, one_in };
            let (w, status, reason) = run_with_slot_fault(fault);
            match status {
                JobExecutionStatus::Succeeded => succeeded += 1,
                _ => {
                    failed += 1;
                    assert_eq!(reason, Some(Reason::StorageFailure), "{fault:?}");
                    assert!(!activated(&w), "{fault:?}");
                }
            }
        }
    }
    println!("random slot read errors: {succeeded} succeeded, {failed} failed");
    assert!(failed > 0);
}

/// One failing read of the state store at each of its reads up to the activation (a store
/// reads both copies before it writes): the job succeeds, or fails cleanly.
#[test]
fn a_read_error_at_each_state_store_read_fails_cleanly() {
    let (_, reads) = reads_until_activation();
    assert!(reads > 4, "{reads} reads of the state store");
    let mut outcomes = [0; 2];
    for at in 0..reads {
        let mut w = world();
        w.store.flash().set_read_fault(ReadFault::Once { at });
        w.connect();
        w.drive(10_000);
        assert!(runs_verified_image(&w), "read {at}");
        let (status, reason) = check_end(&mut w);
        outcomes[usize::from(status == JobExecutionStatus::Failed)] += 1;
        if status == JobExecutionStatus::Failed {
            assert_eq!(reason, Some(Reason::StorageFailure), "read {at}");
        }
    }
    println!(
        "one read error at each of {reads} state store reads: {} succeeded, {} failed",
        outcomes[0], outcomes[1]
    );
}

/// A read error while `Client::new` loads the record fails the start with `Error::Storage`;
/// starting again (as firmware would after a reset) works.
#[test]
fn a_read_error_while_the_client_starts_fails_the_start_only() {
    let mut w = world();
    w.client = None;
    w.store.flash().set_read_fault(ReadFault::Once { at: 0 });
    assert_eq!(
        w.start_client().err(),
        Some(Error::Storage(StorageError::Other))
    );
    w.start_client().unwrap();
    w.connect();
    w.drive(10_000);
    assert_eq!(check_end(&mut w).0, JobExecutionStatus::Succeeded);
}

// ---- the image damaged after its verification ----

/// Damage the new image in bank B as the client sends `self_test: ready` (the download's
/// verification is done; the service has not accepted yet, so `mark_pending` is to come).
fn damage_when_ready(w: &mut World, damage: impl FnOnce(&MemFlash) + 'static) {
    let bank = w.boot.bank_flash(Bank::B);
    let mut damage = Some(damage);
    w.drop_publish = Box::new(move |_, topic, payload| {
        let ready = topic.ends_with("/update") && payload.windows(7).any(|w| w == b"\"ready\"");
        if ready && let Some(damage) = damage.take() {
            damage(&bank);
        }
        false
    });
}

/// Run the update with the damage planted: the client verifies the slot again before
/// `mark_pending`, so the job fails with `image_hash_mismatch` and the damaged image is never
/// marked, let alone booted (or, if the client retried, it ends on a good new image).
fn expect_not_activated(w: &mut World, what: &str) {
    w.connect();
    w.drive(10_000);
    assert!(
        w.sent
            .iter()
            .any(|(_, p)| p.windows(7).any(|w| w == b"\"ready\""))
    );
    assert!(runs_verified_image(w), "{what}");
    let (status, reason) = check_end(w);
    match status {
        JobExecutionStatus::Failed => {
            assert!(
                !activated(w),
                "{what}: the damaged image was marked pending"
            );
            assert_eq!(w.reboots, 0, "{what}: a reset happened");
            assert_eq!(reason, Some(Reason::ImageMismatch), "{what}");
            assert_eq!(
                (w.boot.active_bank(), w.boot_state()),
                (Bank::A, BootState::Normal)
            );
        }
        // Retried: downloaded again and verified.
        _ => assert_eq!(w.boot.bank_image(Bank::B)[..IMAGE_LEN], w.new_image[..]),
    }
}

/// One to three seeded bit flips anywhere in the image.
#[test]
fn image_damaged_after_verification_is_not_activated() {
    for seed in 0..24 {
        let mut w = world();
        let flips = 1 + (seed as usize % 3);
        damage_when_ready(&mut w, move |bank| {
            bank.flip_bits(0, IMAGE_LEN, flips, seed).unwrap();
        });
        expect_not_activated(&mut w, &format!("{flips} bits flipped, seed {seed}"));
    }
}

/// One byte changed at the first, the middle and the last byte of the image.
#[test]
fn image_damaged_at_its_ends_is_not_activated() {
    for (at, byte) in [(0, 0x00), (IMAGE_LEN - 1, 0xFF), (IMAGE_LEN / 2, 0x5A)] {
        let mut w = world();
        damage_when_ready(&mut w, move |bank| {
            let mut b = bank.snapshot()[at];
            b = if b == byte { !byte } else { byte };
            bank.poke(at, &[b]).unwrap();
        });
        expect_not_activated(&mut w, &format!("byte {at}"));
    }
}

// ---- damaged boot flags ----

/// Where in an update the flags get damaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Before the job: the factory image, committed.
    Idle,
    /// The new image marked, the reset not yet done.
    Pending,
    /// The new image booted on trial, its self-test asked for.
    Trial,
    /// Reset in trial without a commit: the bootloader went back to the old image.
    RolledBack,
    /// After the update: the new image committed.
    Committed,
}

const STAGES: [Stage; 5] = [
    Stage::Idle,
    Stage::Pending,
    Stage::Trial,
    Stage::RolledBack,
    Stage::Committed,
];

/// Forget the events the staging acted on: `World::drive` acts on every event in
/// `World::events` from the first, and must not reset the device again for them.
fn forget_handled(w: &mut World) {
    w.events.retain(|e| {
        !matches!(
            e,
            Event::ActivateAndReboot
                | Event::RollBackAndReboot { .. }
                | Event::SelfTestRequired
                | Event::FetchRange { .. }
        )
    });
}

/// A world in `stage` (no power cuts). Events the client emitted last and nobody acted on yet
/// (`ActivateAndReboot` in `Pending`, `SelfTestRequired` in `Trial`) stay for `World::drive`.
fn world_at(stage: Stage) -> World {
    let mut w = world();
    match stage {
        Stage::Idle => {}
        Stage::Pending => w.connect(),
        Stage::Trial => {
            w.connect();
            forget_handled(&mut w);
            w.reboot();
        }
        Stage::RolledBack => {
            w.connect();
            forget_handled(&mut w);
            w.reboot();
            // Reset without answering the self-test.
            forget_handled(&mut w);
            w.reboot();
        }
        Stage::Committed => {
            w.connect();
            w.drive(10_000);
            forget_handled(&mut w);
        }
    }
    let expected = match stage {
        Stage::Idle | Stage::Committed => BootState::Normal,
        Stage::Pending => BootState::Pending,
        Stage::Trial => BootState::Trial,
        Stage::RolledBack => BootState::RolledBack,
    };
    assert_eq!(w.boot_state(), expected, "{stage:?}");
    w
}

/// The status a run must end with after the flags were damaged in `stage`: the conservative
/// rule reverts anything not committed.
fn expected_status(stage: Stage) -> JobExecutionStatus {
    match stage {
        Stage::Idle | Stage::Committed => JobExecutionStatus::Succeeded,
        Stage::Pending | Stage::Trial | Stage::RolledBack => JobExecutionStatus::Failed,
    }
}

/// After the damage: reset, and the bootloader boots the last committed image.
#[test]
fn damaged_flags_then_reset_boot_the_last_committed_image() {
    for stage in STAGES {
        for seed in 0..4 {
            let mut w = world_at(stage);
            let committed = w.boot.committed_bank();
            let image = w.boot.bank_image(committed);
            assert!(w.boot.corrupt_flags(seed).is_some());
            assert!(w.boot.flags_corrupt());
            w.reboot();
            assert!(
                !w.boot.flags_corrupt(),
                "{stage:?}: the reset repaired the flags"
            );
            assert_eq!(w.boot.active_bank(), committed, "{stage:?}");
            assert_eq!(w.boot.active_image(), image);
            assert!(runs_verified_image(&w), "{stage:?}");
            w.drive(10_000);
            assert_eq!(check_end(&mut w).0, expected_status(stage), "{stage:?}");
        }
    }
}

/// The damage while the client runs: it meets it at its next flag or slot operation; the
/// next reset (asked for by the client, or later) boots the last committed image.
#[test]
fn damaged_flags_while_running_keep_the_device_bootable() {
    for stage in STAGES {
        let mut w = world_at(stage);
        let committed = w.boot.committed_bank();
        w.boot.corrupt_flags(7);
        if stage == Stage::Idle {
            w.connect();
        }
        // A bounded run: with the slot locked, a job is retried until a reset.
        w.drive(100);
        if w.boot.flags_corrupt() {
            // Nothing reset the device: the device runs what it ran, no job is final yet.
            assert!(runs_verified_image(&w), "{stage:?}");
            println!(
                "{stage:?}: no reset after the damage; job {:?}",
                w.peer_status()
            );
            w.reboot();
            w.drive(10_000);
        }
        assert!(!w.boot.flags_corrupt());
        assert!(runs_verified_image(&w), "{stage:?}");
        let (status, _) = check_end(&mut w);
        assert_eq!(status, expected_status(stage), "{stage:?}");
        if stage != Stage::Idle {
            assert_eq!(w.boot.active_bank(), committed, "{stage:?}");
        }
    }
}

/// A boot control that checks the flags record (what `SimBootControl::boot_state` does once
/// it reads through `SimBootloader::read_flags`).
struct CheckedFlags {
    control: SimBootControl,
    boot: SimBootloader,
}

impl BootControl for CheckedFlags {
    fn mark_pending(&mut self) -> Result<(), StorageError> {
        self.control.mark_pending()
    }
    fn boot_state(&mut self) -> Result<BootState, StorageError> {
        self.control.boot_state()?;
        self.boot.read_flags()
    }
    fn commit(&mut self) -> Result<(), StorageError> {
        self.control.commit()
    }
    fn roll_back(&mut self) -> Result<(), StorageError> {
        self.control.roll_back()
    }
}

type CheckedClient = Client<'static, NorFlashSlot<InactiveBank, CheckedFlags>, MemStateStore, 2>;

/// `Client::new` as `World::start_client` calls it, over a slot whose `boot_state` checks the
/// flags record.
fn start_checked(w: &World) -> Result<CheckedClient, Error> {
    let mut config = w.config;
    config.running_version = w.running_version();
    config.running_trailer = Box::leak(w.boot.running_trailer().into_boxed_slice());
    let (bank, control) = w.boot.slot().into_parts();
    let flags = CheckedFlags {
        control,
        boot: w.boot.clone(),
    };
    let buffers = Buffers {
        scratch: Box::leak(vec![0u8; 4096].into_boxed_slice()),
        url: Box::leak(vec![0u8; 256].into_boxed_slice()),
    };
    Client::new(
        config,
        w.signer.trust,
        NorFlashSlot::new(bank, flags),
        w.store.reopen(),
        buffers,
    )
}

/// When `boot_state` fails with `Corrupt` at start-up (the flags damaged after the
/// bootloader ran), the client still starts, writing nothing but what the stage needs: an
/// installed image's job is recorded FAILED (`storage_failure`) and a reset is asked for;
/// otherwise it only reports `StorageFailed`. After the reset (the simulated bootloader repairs
/// the flags) the device runs a verified image and the job ends as the stage says.
#[test]
fn client_start_with_unreadable_flags() {
    for stage in STAGES {
        let mut w = world_at(stage);
        w.client = None;
        assert!(
            start_checked(&w).is_ok(),
            "{stage:?}: starts with readable flags"
        );
        w.boot.corrupt_flags(11);
        let mut client = start_checked(&w).unwrap_or_else(|e| {
            panic!("{stage:?}: the client starts with unreadable flags: {e:?}")
        });
        let mut events = Vec::new();
        while let Some(e) = client.poll_event() {
            events.push(e);
        }
        assert!(
            events.contains(&Event::StorageFailed),
            "{stage:?}: {events:?}"
        );
        assert!(events.len() <= MAX_EVENTS_PER_CALL, "{stage:?}: {events:?}");
        drop(client);
        // The firmware resets; the bootloader repairs the flags, the client starts.
        w.reboot();
        assert!(
            w.client.is_some(),
            "{stage:?}: the client starts after the reset"
        );
        assert!(start_checked(&w).is_ok());
        w.drive(10_000);
        assert!(runs_verified_image(&w));
        assert_eq!(check_end(&mut w).0, expected_status(stage), "{stage:?}");
    }
}
