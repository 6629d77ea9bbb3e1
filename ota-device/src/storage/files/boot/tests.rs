//! Tests of [`FileBoot`]: provisioning, the [`BootState`] table, the security counter,
//! unreadable flags, and a power cut at every operation of the flag changes and the resets.

use super::*;
use crate::storage::FirmwareSlot;
use crate::storage::files::testing::CrashFs;
use crate::storage::files::{FileSlot, RealFs};
use proptest::prelude::*;

const CAPACITY: u32 = 4 * 4096;
const OLD: [u8; 5000] = [0x11; 5000];
const NEW: [u8; 7000] = [0x77; 7000];

/// `image` as a bank holds it.
fn bank_of(image: &[u8]) -> Vec<u8> {
    let mut bank = vec![0xFF; CAPACITY as usize];
    bank[..image.len()].copy_from_slice(image);
    bank
}

fn bank(fs: &CrashFs, bank: Bank) -> Vec<u8> {
    fs.contents(bank.file_name()).unwrap_or_default()
}

/// A device running `OLD` from bank A, with `NEW` written into bank B; and its filesystem.
fn device(counter: Option<u32>) -> (CrashFs, FileBoot<CrashFs>) {
    let fs = CrashFs::new();
    let boot = FileBoot::provision(fs.clone(), CAPACITY, &OLD, counter).unwrap();
    let mut slot = FileSlot::new(boot);
    slot.erase(0, CAPACITY).unwrap();
    slot.write(0, &NEW).unwrap();
    (fs, slot.into_boot())
}

/// [`device`] reset into a trial of `NEW`.
fn on_trial() -> FileBoot<CrashFs> {
    let (_, mut boot) = device(None);
    boot.mark_pending().unwrap();
    assert_eq!(boot.reset(), Ok(BootState::Trial));
    boot
}

/// Reset `boot`: the state it boots in and the bank it runs.
fn reset(
    boot: &mut FileBoot<CrashFs>,
) -> (Result<BootState, StorageError>, Result<Bank, StorageError>) {
    (boot.reset(), boot.active_bank())
}

#[test]
fn provision_writes_both_banks_then_the_flags() {
    let fs = CrashFs::new();
    let mut boot = FileBoot::provision(fs.clone(), CAPACITY, &OLD, None).unwrap();
    assert_eq!(boot.boot_state(), Ok(BootState::Normal));
    assert_eq!(boot.active_bank(), Ok(Bank::A));
    assert_eq!(boot.active_image_name(), Ok("bank-a.img"));
    assert_eq!(boot.security_counter(), Ok(None));
    assert_eq!(boot.is_provisioned(), Ok(true));
    assert_eq!(boot.capacity(), CAPACITY);
    let crashed = fs.crash();
    assert_eq!(bank(&crashed, Bank::A), bank_of(&OLD));
    assert_eq!(bank(&crashed, Bank::B), bank_of(&[]));
    assert_eq!(
        crashed.names(),
        ["bank-a.img", "bank-b.img", "boot.flags"],
        "no temporary file left"
    );
}

#[test]
fn provision_refuses_what_does_not_fit() {
    let fs = CrashFs::new();
    let too_long = FileBoot::provision(fs.clone(), 10, &[0; 11], None);
    assert_eq!(too_long.unwrap_err(), StorageError::OutOfBounds);
    let empty = FileBoot::provision(fs.clone(), 0, &[], None);
    assert_eq!(empty.unwrap_err(), StorageError::OutOfBounds);
    assert_eq!(fs.ops(), 0);
}

/// A power cut at every operation of provisioning over an updated device (bank B running):
/// the directory is as it was, not provisioned, or provisioned completely.
#[test]
fn reprovision_cut_at_every_operation() {
    let updated = || {
        let (fs, mut boot) = device(Some(3));
        boot.mark_pending().unwrap();
        boot.reset().unwrap();
        boot.commit().unwrap();
        let fs = fs.crash();
        (fs.clone(), FileBoot::open(fs, CAPACITY).flags().unwrap())
    };
    let (clean, _) = updated();
    FileBoot::provision(clean.clone(), CAPACITY, &OLD, None).unwrap();
    let ops = clean.ops();
    let (mut kept, mut blank, mut new) = (0, 0, 0);
    for k in 0..ops {
        for seed in [None, Some(k), Some(k + 100)] {
            let (fs, before) = updated();
            fs.cut_after(k);
            assert!(FileBoot::provision(fs.clone(), CAPACITY, &OLD, None).is_err());
            let fs = seed.map_or_else(|| fs.crash(), |seed| fs.crash_torn(seed));
            match FileBoot::open(fs.clone(), CAPACITY).flags() {
                Err(StorageError::Corrupt) => blank += 1,
                Ok(flags) if flags == before => {
                    assert_eq!(bank(&fs, Bank::B), bank_of(&NEW), "cut at {k}");
                    kept += 1;
                }
                Ok(flags) => {
                    assert_eq!(flags, Flags::committed(Bank::A, None), "cut at {k}");
                    assert_eq!(bank(&fs, Bank::A), bank_of(&OLD), "cut at {k}");
                    new += 1;
                }
                Err(e) => panic!("cut at {k}: {e:?}"),
            }
        }
    }
    assert!(kept > 0 && blank > 0 && new > 0, "{kept} {blank} {new}");
}

/// A power cut at every operation of provisioning: the directory is provisioned completely
/// or not at all.
#[test]
fn provision_cut_at_every_operation() {
    let clean = CrashFs::new();
    FileBoot::provision(clean.clone(), CAPACITY, &OLD, Some(1)).unwrap();
    let ops = clean.ops();
    for k in 0..ops {
        for seed in [None, Some(k), Some(k + 100)] {
            let fs = CrashFs::new();
            fs.cut_after(k);
            assert!(FileBoot::provision(fs.clone(), CAPACITY, &OLD, Some(1)).is_err());
            let fs = seed.map_or_else(|| fs.crash(), |seed| fs.crash_torn(seed));
            let boot = FileBoot::open(fs.clone(), CAPACITY);
            if boot.is_provisioned().unwrap() {
                assert_eq!(bank(&fs, Bank::A), bank_of(&OLD), "cut at {k}");
                assert_eq!(bank(&fs, Bank::B), bank_of(&[]), "cut at {k}");
            }
        }
    }
}

#[test]
fn an_update_committed() {
    let (fs, mut boot) = device(None);
    boot.mark_pending().unwrap();
    assert_eq!(boot.boot_state(), Ok(BootState::Pending));
    assert_eq!(boot.active_bank(), Ok(Bank::A));
    assert_eq!(reset(&mut boot), (Ok(BootState::Trial), Ok(Bank::B)));
    assert_eq!(bank(&fs, Bank::B), bank_of(&NEW));
    boot.commit().unwrap();
    assert_eq!(reset(&mut boot), (Ok(BootState::Normal), Ok(Bank::B)));
}

#[test]
fn a_trial_not_committed_is_reverted_and_stays_reported() {
    let mut boot = on_trial();
    assert_eq!(reset(&mut boot), (Ok(BootState::RolledBack), Ok(Bank::A)));
    assert_eq!(boot.reset(), Ok(BootState::RolledBack), "sticky");
    boot.commit().unwrap();
    assert_eq!(reset(&mut boot), (Ok(BootState::Normal), Ok(Bank::A)));
}

#[test]
fn roll_back_in_trial_and_while_pending() {
    let mut boot = on_trial();
    boot.roll_back().unwrap();
    assert_eq!(boot.boot_state(), Ok(BootState::Trial));
    assert_eq!(boot.commit(), Err(StorageError::WrongState));
    assert_eq!(boot.mark_pending(), Err(StorageError::WrongState));
    assert_eq!(reset(&mut boot), (Ok(BootState::RolledBack), Ok(Bank::A)));
    let (_, mut boot) = device(None);
    boot.mark_pending().unwrap();
    boot.roll_back().unwrap();
    assert_eq!(reset(&mut boot), (Ok(BootState::Normal), Ok(Bank::A)));
}

#[test]
fn calls_that_change_nothing_write_nothing() {
    let (fs, mut boot) = device(Some(4));
    let ops = fs.ops();
    boot.commit().unwrap();
    boot.roll_back().unwrap();
    boot.boot_state().unwrap();
    boot.reset().unwrap();
    boot.raise_security_counter(4).unwrap();
    boot.raise_security_counter(0).unwrap();
    assert_eq!(fs.ops(), ops);
    boot.mark_pending().unwrap();
    assert_eq!(fs.ops(), ops + 4, "one atomic replace");
    boot.mark_pending().unwrap();
    assert_eq!(fs.ops(), ops + 4);
}

#[test]
fn the_security_counter_only_rises_and_survives() {
    let (_, mut none) = device(None);
    none.raise_security_counter(9).unwrap();
    assert_eq!(none.security_counter(), Ok(None));
    let (fs, mut boot) = device(Some(3));
    assert_eq!(boot.security_counter(), Ok(Some(3)));
    boot.raise_security_counter(2).unwrap();
    assert_eq!(boot.security_counter(), Ok(Some(3)));
    boot.raise_security_counter(5).unwrap();
    boot.mark_pending().unwrap();
    boot.reset().unwrap();
    boot.commit().unwrap();
    let mut reopened = FileBoot::open(fs.crash(), CAPACITY);
    assert_eq!(reopened.security_counter(), Ok(Some(5)));
    assert_eq!(reopened.boot_state(), Ok(BootState::Normal));
}

fn assert_unreadable(fs: &CrashFs, boot: &mut FileBoot<CrashFs>) {
    let ops = fs.ops();
    assert_eq!(boot.boot_state(), Err(StorageError::Corrupt));
    assert_eq!(boot.mark_pending(), Err(StorageError::Corrupt));
    assert_eq!(boot.commit(), Err(StorageError::Corrupt));
    assert_eq!(boot.roll_back(), Err(StorageError::Corrupt));
    assert_eq!(boot.security_counter(), Err(StorageError::Corrupt));
    assert_eq!(boot.raise_security_counter(1), Err(StorageError::Corrupt));
    assert_eq!(boot.reset(), Err(StorageError::Corrupt));
    assert_eq!(boot.active_bank(), Err(StorageError::Corrupt));
    assert_eq!(boot.running_trailer(), Err(StorageError::Corrupt));
    assert_eq!(boot.is_provisioned(), Ok(false));
    assert_eq!(fs.ops(), ops, "nothing written");
}

#[test]
fn missing_or_damaged_flags_are_unreadable_until_repaired() {
    let fs = CrashFs::new();
    assert_unreadable(&fs, &mut FileBoot::open(fs.clone(), CAPACITY));
    let (fs, mut boot) = device(Some(2));
    let good = fs.contents(FileBoot::<CrashFs>::FLAGS).unwrap();
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x10;
        fs.poke(FileBoot::<CrashFs>::FLAGS, &bad);
        assert_unreadable(&fs, &mut boot);
    }
    fs.poke(FileBoot::<CrashFs>::FLAGS, &good[..good.len() - 1]);
    assert_unreadable(&fs, &mut boot);
    boot.repair(Bank::B, Some(2)).unwrap();
    assert_eq!(boot.boot_state(), Ok(BootState::Normal));
    assert_eq!(boot.active_bank(), Ok(Bank::B));
    assert_eq!(boot.security_counter(), Ok(Some(2)));
}

#[test]
fn running_trailer_is_the_end_of_the_active_bank() {
    let (fs, boot) = device(None);
    let trailer = boot.running_trailer().unwrap();
    let (at, len) = crate::trailer::region(CAPACITY, FileSlot::<CrashFs>::ERASE_SIZE).unwrap();
    assert_eq!(trailer.len(), len as usize);
    assert_eq!(trailer, bank(&fs, Bank::A)[at as usize..]);
    let small = FileBoot::provision(CrashFs::new(), 4096, &[1; 10], None).unwrap();
    assert_eq!(small.running_trailer(), Ok(Vec::new()));
}

#[test]
fn a_real_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut boot = FileBoot::provision(RealFs::new(dir.path()), CAPACITY, &OLD, None).unwrap();
    assert_eq!(boot.active_image_path(), Ok(dir.path().join("bank-a.img")));
    let mut slot = FileSlot::new(FileBoot::open(RealFs::new(dir.path()), CAPACITY));
    slot.erase(0, CAPACITY).unwrap();
    slot.write(0, &NEW).unwrap();
    slot.mark_pending().unwrap();
    assert_eq!(boot.reset(), Ok(BootState::Trial));
    let path = boot.active_image_path().unwrap();
    assert_eq!(path, dir.path().join("bank-b.img"));
    assert_eq!(std::fs::read(path).unwrap(), bank_of(&NEW));
    boot.commit().unwrap();
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["bank-a.img", "bank-b.img", "boot.flags"]);
}

proptest! {
    /// No flags file makes anything panic: it is readable flags or `Corrupt`.
    #[test]
    fn any_flags_file_is_flags_or_corrupt(raw in proptest::collection::vec(any::<u8>(), 0..40)) {
        let (fs, mut boot) = device(None);
        fs.poke(FileBoot::<CrashFs>::FLAGS, &raw);
        match boot.boot_state() {
            Ok(_) => prop_assert!(boot.reset().is_ok()),
            Err(e) => prop_assert_eq!(e, StorageError::Corrupt),
        }
    }
}

/// A call the power-cut scenarios make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    MarkPending,
    Reset,
    Commit,
    RollBack,
}

const SCENARIOS: [&[Step]; 4] = {
    use Step::*;
    [
        // An update kept.
        &[MarkPending, Reset, Commit],
        // An update rejected on trial, the revert acknowledged.
        &[MarkPending, Reset, RollBack, Reset, Commit],
        // An update cancelled before the reset.
        &[MarkPending, RollBack],
        // A trial image never committed: reverted at the next reset.
        &[MarkPending, Reset, Reset, Commit],
    ]
};

fn step(boot: &mut FileBoot<CrashFs>, step: Step) -> Result<(), StorageError> {
    match step {
        Step::MarkPending => boot.mark_pending(),
        Step::Reset => boot.reset().map(drop),
        Step::Commit => boot.commit(),
        Step::RollBack => boot.roll_back(),
    }
}

/// Run `steps`, recording the flags before the first and after each; the index of the step
/// that failed.
fn run(boot: &mut FileBoot<CrashFs>, steps: &[Step], seen: &mut Vec<Flags>) -> Result<(), usize> {
    seen.push(boot.flags().map_err(|_| 0usize)?);
    for (i, &s) in steps.iter().enumerate() {
        step(boot, s).map_err(|_| i)?;
        seen.push(boot.flags().map_err(|_| i)?);
    }
    Ok(())
}

/// After a crash and a reset: a bootable image runs (the old one committed or rolled back
/// to, or the complete new one on trial or committed), never a pending state.
fn assert_bootable(fs: &CrashFs, boot: &FileBoot<CrashFs>, state: BootState, what: &str) {
    let active = boot.active_bank().unwrap();
    let image = bank(fs, active);
    match (state, active) {
        (BootState::Normal | BootState::RolledBack, Bank::A) => {
            assert_eq!(image, bank_of(&OLD), "{what}");
        }
        (BootState::Normal | BootState::Trial, Bank::B) => {
            assert_eq!(image, bank_of(&NEW), "{what}");
        }
        _ => panic!("{what}: {state:?} on {active:?}"),
    }
    assert_eq!(
        bank(fs, Bank::B),
        bank_of(&NEW),
        "{what}: the new image is intact"
    );
}

/// From any state a crash leaves, the device reaches the new image, committed, with
/// idempotent calls.
fn finish_update(fs: &CrashFs, boot: &mut FileBoot<CrashFs>, state: BootState) {
    let active = boot.active_bank().unwrap();
    if state == BootState::Trial {
        boot.commit().unwrap();
    } else if active == Bank::A {
        boot.commit().unwrap();
        boot.mark_pending().unwrap();
        assert_eq!(boot.reset(), Ok(BootState::Trial));
        boot.commit().unwrap();
    }
    assert_eq!(boot.reset(), Ok(BootState::Normal));
    assert_eq!(bank(fs, boot.active_bank().unwrap()), bank_of(&NEW));
}

/// One cut point of one scenario: cut after `k` operations, crash (clean, or torn with
/// `seed`), reopen, reset, check.
fn cut_once(steps: &[Step], trajectory: &[Flags], k: u64, seed: Option<u64>) {
    let (fs, mut boot) = device(Some(7));
    fs.cut_after(k);
    let mut seen = Vec::new();
    let failed = run(&mut boot, steps, &mut seen).unwrap_err();
    let fs = seed.map_or_else(|| fs.crash(), |seed| fs.crash_torn(seed));
    let mut boot = FileBoot::open(fs.clone(), CAPACITY);
    let what = std::format!("{steps:?} cut at {k}, seed {seed:?}");
    let flags = boot.flags().unwrap();
    assert!(
        flags == trajectory[failed] || flags == trajectory[failed + 1],
        "{what}: {flags:?} is neither the old nor the new flags"
    );
    let state = boot.reset().unwrap();
    assert_eq!(Ok(flags.reset().unwrap_or(flags)), boot.flags(), "{what}");
    assert_ne!(state, BootState::Pending, "{what}");
    assert_bootable(&fs, &boot, state, &what);
    assert_eq!(boot.security_counter(), Ok(Some(7)), "{what}");
    finish_update(&fs, &mut boot, state);
}

/// A power cut at every filesystem operation of every flag change and reset of four update
/// scenarios, each followed by a clean crash and by torn ones: the flags are the old or the
/// new ones, and after the bootloader's reset a complete image runs.
#[test]
fn power_cut_at_every_operation_of_the_flags() {
    let mut cut_points = 0;
    for steps in SCENARIOS {
        let (fs, mut boot) = device(Some(7));
        let before = fs.ops();
        let mut trajectory = Vec::new();
        run(&mut boot, steps, &mut trajectory).unwrap();
        let ops = fs.ops() - before;
        assert_eq!(ops, 4 * steps.len() as u64, "{steps:?}: every step writes");
        for k in 0..ops {
            for seed in [None, Some(0), Some(1), Some(k + 2)] {
                cut_once(steps, &trajectory, k, seed);
            }
        }
        cut_points += ops;
    }
    assert_eq!(cut_points, 4 * (3 + 5 + 2 + 4));
}
