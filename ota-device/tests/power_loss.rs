//! Power cut at every mutating flash and state operation of a whole update: clean, torn (a
//! clean prefix of the cut write or erase) and noisy (what real NOR flash leaves: partly
//! programmed bits after a write, partly erased garbage that is not erased after an erase,
//! seeded; see `MemFlash`).
//!
//! For each cut point the device restarts (bootloader, new client, reconnect) as often as it
//! takes, and the test checks what the product promises: every boot runs the old image or a
//! verified new one, a download resumes from persisted progress instead of block 0 (and never
//! beyond what is really written), and the run ends on either the old or the new committed
//! image with the matching final job status.
#![allow(clippy::std_instead_of_core)]

mod common;

use common::*;
use ota_core::jobs::JobExecutionStatus;
use ota_core::streams::Format;
use ota_device::Event;
use ota_device::storage::BootState;
use ota_device::storage::testing::{Bank, CutMode, PowerCut, ReadFault};

const IMAGE_LEN: usize = 40_000;
const SECTOR: usize = 4096;
const WINDOW: usize = 4 * 1024;

fn world(power: PowerCut) -> World {
    World::build(
        |s, img| s.firmware_doc(img, "1.1.0", 1, ""),
        power,
        Format::Cbor,
        |_| {},
        IMAGE_LEN,
    )
}

/// Bytes at the start of the inactive bank that already hold the new image.
fn written_prefix(w: &World) -> usize {
    let bank = w.boot.active_bank().other();
    let data = w.boot.bank_image(bank);
    data.iter()
        .zip(&w.new_image)
        .take_while(|(a, b)| a == b)
        .count()
}

/// Whether the image bank being downloaded into holds a byte that is neither erased nor the
/// new image's: partly programmed bits, which only a noisy cut leaves (the bank starts erased).
fn partly_programmed(w: &World) -> bool {
    let bank = w.boot.bank_image(Bank::B);
    bank.iter()
        .zip(&w.new_image)
        .any(|(&got, &want)| got != 0xFF && got != want)
}

struct Outcome {
    status: JobExecutionStatus,
    resumed_from: Vec<u32>,
    /// A cut left partly programmed bits in the image bank.
    partial_bits: bool,
}

/// A whole update with the armed cut, and `read_fault` on the reads of the image bank.
fn run_with_cut(power: PowerCut, read_fault: ReadFault) -> Outcome {
    let mut w = world(power.clone());
    w.boot.bank_flash(Bank::B).set_read_fault(read_fault);
    w.connect();
    let mut resumed_from = Vec::new();
    let mut partial_bits = false;
    for restart in 0..10 {
        w.drive(10_000);
        if !w.power.is_cut() {
            break;
        }
        assert!(restart < 9, "too many restarts");
        // The cut happened; note what is really in flash, then reset.
        let downloading = w.boot.active_bank() == Bank::A && w.boot_state() == BootState::Normal;
        let prefix = if downloading { written_prefix(&w) } else { 0 };
        partial_bits |= downloading && partly_programmed(&w);
        let starts_before = w.download_starts.len();
        w.reboot();
        let image = w.boot.active_image();
        assert!(
            image.starts_with(&w.old_image) || image.starts_with(&w.new_image),
            "booted something that is neither the old nor a complete new image"
        );
        w.drive(10_000);
        if downloading && w.download_starts.len() > starts_before {
            let from = w.download_starts[starts_before] as usize;
            assert!(
                from <= prefix,
                "resumed at {from} beyond the {prefix} bytes really written"
            );
            assert!(
                from + SECTOR + WINDOW >= prefix,
                "resumed at {from}, {prefix} bytes were written"
            );
            resumed_from.push(from as u32);
        }
        if !w.power.is_cut() {
            break;
        }
    }
    let status = w.peer_status();
    let active = w.boot.active_image();
    match status {
        JobExecutionStatus::Succeeded => {
            assert!(
                active.starts_with(&w.new_image),
                "SUCCEEDED but the old image runs"
            );
            assert_eq!(
                w.boot_state(),
                BootState::Normal,
                "SUCCEEDED but not committed"
            );
        }
        JobExecutionStatus::Failed => {
            assert!(
                active.starts_with(&w.old_image),
                "FAILED but the new image runs"
            );
            assert_ne!(w.boot_state(), BootState::Trial);
        }
        other => panic!("ended {other:?}"),
    }
    assert!(w.client().is_idle(), "the client has finished");
    let finished: Vec<_> = w
        .events
        .iter()
        .filter(|e| matches!(e, Event::JobFinished { .. }))
        .collect();
    assert!(!finished.is_empty(), "the final status was acknowledged");
    Outcome {
        status,
        resumed_from,
        partial_bits,
    }
}

fn every_cut(mode: CutMode) {
    every_cut_with(mode, ReadFault::Never);
}

fn every_cut_with(mode: CutMode, read_fault: ReadFault) {
    let clean = PowerCut::unlimited();
    let mut w = world(clean.clone());
    w.connect();
    w.drive(10_000);
    assert_eq!(w.peer_status(), JobExecutionStatus::Succeeded);
    let ops = clean.ops();
    assert!(ops > 60, "a whole update takes {ops} mutating operations");
    let (mut succeeded, mut failed, mut resumed, mut partial) = (0, 0, 0, 0);
    for k in 0..ops {
        let power = PowerCut::unlimited();
        power.arm(k, mode);
        let outcome = run_with_cut(power, read_fault);
        match outcome.status {
            JobExecutionStatus::Succeeded => succeeded += 1,
            _ => failed += 1,
        }
        resumed += outcome
            .resumed_from
            .iter()
            .filter(|&&from| from > 0)
            .count();
        partial += usize::from(outcome.partial_bits);
    }
    println!(
        "{ops} cut points ({mode:?}, reads {read_fault:?}): {succeeded} succeeded, {failed} failed (rolled back), {resumed} downloads resumed past block 0, {partial} left partly programmed bits"
    );
    // Only noisy cuts leave partly programmed bits, and they do on image writes.
    match mode {
        CutMode::Noisy { .. } => assert!(partial > ops as usize / 4, "{partial} of {ops}"),
        _ => assert_eq!(partial, 0),
    }
    assert!(succeeded > 0);
    if read_fault != ReadFault::Never {
        // A read error fails the job wherever it lands in the verification.
        return;
    }
    assert!(
        resumed > ops as usize / 4,
        "downloads resume from persisted progress ({resumed} of {ops})"
    );
}

#[test]
fn power_cut_at_every_operation() {
    every_cut(CutMode::Clean);
}

#[test]
fn torn_write_at_every_operation() {
    every_cut(CutMode::Torn);
}

/// Seeds of the noisy cuts: each seed damages every cut point differently.
const NOISY_SEEDS: [u64; 6] = [0, 1, 2, 3, 0x5EED, 0xDEAD_BEEF_F00D];

#[test]
fn noisy_cut_at_every_operation() {
    for seed in NOISY_SEEDS {
        every_cut(CutMode::Noisy { seed });
    }
}

/// Noisy cuts with, on top, a failing read of the image bank (the slot) now and then: the same
/// promises hold, the read errors only turn some runs into clean failures.
#[test]
fn noisy_cut_at_every_operation_with_slot_read_errors() {
    for seed in [0, 1] {
        every_cut_with(
            CutMode::Noisy { seed },
            ReadFault::Random { seed, one_in: 50 },
        );
    }
}
