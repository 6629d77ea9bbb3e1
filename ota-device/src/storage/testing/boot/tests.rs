//! Tests of the simulated dual-bank device: scripted updates, a power cut at every operation
//! of an update, and a model-checked random walk.

use super::*;
use crate::storage::FirmwareSlot;
use crate::storage::testing::CutMode;
use proptest::prelude::*;
use std::vec;

const CAPACITY: usize = 2 * SimBootloader::SECTOR;
const BLOCK: usize = 256;

fn image(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed ^ (i >> 8) as u8)
        .collect()
}

/// The bank content `data` leaves after an erase of the sectors it needs on a bank that
/// held `before`.
fn bank_after(before: &[u8], data: &[u8]) -> Vec<u8> {
    let erased = data.len().next_multiple_of(SimBootloader::SECTOR);
    let mut bank = before.to_vec();
    bank[..erased].fill(0xFF);
    bank[..data.len()].copy_from_slice(data);
    bank
}

/// What a client does: erase what the image needs, write it in blocks.
fn download(slot: &mut impl FirmwareSlot, data: &[u8]) -> Result<(), StorageError> {
    let sectors = data.len().next_multiple_of(slot.erase_size() as usize);
    slot.erase(0, sectors as u32)?;
    for (i, block) in data.chunks(BLOCK).enumerate() {
        slot.write((i * BLOCK) as u32, block)?;
    }
    Ok(())
}

fn device(old: &[u8], power: &PowerCut) -> SimBootloader {
    SimBootloader::new(CAPACITY, old, power.clone())
}

/// A device running an old image with a new one downloaded into its slot: the images.
fn downloaded() -> (Vec<u8>, Vec<u8>, SimBootloader) {
    let (old, new) = (image(1, 3000), image(2, 5000));
    let boot = device(&old, &PowerCut::unlimited());
    download(&mut boot.slot(), &new).unwrap();
    (old, new, boot)
}

#[test]
fn doubles_are_send() {
    fn check<T: Send + 'static>() {}
    check::<SimBootloader>();
    check::<SimSlot>();
    check::<SimBootControl>();
    check::<crate::storage::testing::MemStateStore>();
}

#[test]
fn factory_state() {
    let old = image(1, 3000);
    let boot = device(&old, &PowerCut::unlimited());
    assert_eq!(
        (boot.active_bank(), boot.state()),
        (Bank::A, BootState::Normal)
    );
    assert_eq!(boot.capacity(), CAPACITY);
    assert_eq!(boot.active_image(), bank_after(&[0xFF; CAPACITY], &old));
    assert_eq!(boot.bank_image(Bank::B), vec![0xFF; CAPACITY]);
    assert_eq!(boot.power().ops(), 0);
    assert_eq!(boot.slot().capacity(), CAPACITY as u32);
    assert_eq!(Bank::A.other(), Bank::B);
}

#[test]
fn pending_trial_commit_normal() {
    let (old, new, boot) = downloaded();
    let mut slot = boot.slot();
    assert_eq!(boot.active_image(), bank_after(&[0xFF; CAPACITY], &old));
    slot.mark_pending().unwrap();
    assert_eq!(slot.boot_state(), Ok(BootState::Pending));
    assert_eq!(boot.reset(), Ok(BootState::Trial));
    assert_eq!(boot.active_bank(), Bank::B);
    assert_eq!(boot.active_image(), bank_after(&[0xFF; CAPACITY], &new));
    slot.commit().unwrap();
    assert_eq!(slot.boot_state(), Ok(BootState::Normal));
    assert_eq!(boot.reset(), Ok(BootState::Normal));
    assert_eq!(boot.active_bank(), Bank::B);
    // The old image's bank is now the slot.
    let mut head = [0; 4];
    slot.read(0, &mut head).unwrap();
    assert_eq!(head, old[..4]);
}

#[test]
fn reset_in_trial_without_commit_rolls_back() {
    let (old, _, boot) = downloaded();
    let mut slot = boot.slot();
    slot.mark_pending().unwrap();
    boot.reset().unwrap();
    assert_eq!(boot.reset(), Ok(BootState::RolledBack));
    assert_eq!(boot.active_bank(), Bank::A);
    assert_eq!(&boot.active_image()[..old.len()], &old[..]);
    // Sticky until acknowledged.
    assert_eq!(boot.reset(), Ok(BootState::RolledBack));
    slot.commit().unwrap();
    assert_eq!(boot.reset(), Ok(BootState::Normal));
    assert_eq!(boot.active_bank(), Bank::A);
}

#[test]
fn roll_back_then_reset_boots_the_old_image() {
    let (old, _, mut boot) = downloaded();
    boot.mark_pending().unwrap();
    boot.reset().unwrap();
    boot.roll_back().unwrap();
    assert_eq!(boot.boot_state(), Ok(BootState::Trial));
    assert_eq!(boot.commit(), Err(StorageError::WrongState));
    boot.roll_back().unwrap();
    assert_eq!(boot.reset(), Ok(BootState::RolledBack));
    assert_eq!(&boot.active_image()[..old.len()], &old[..]);
}

#[test]
fn roll_back_while_pending_cancels() {
    let boot = device(&image(1, 100), &PowerCut::unlimited());
    let mut control = boot.control();
    control.mark_pending().unwrap();
    control.roll_back().unwrap();
    assert_eq!(boot.reset(), Ok(BootState::Normal));
    assert_eq!(boot.active_bank(), Bank::A);
}

#[test]
fn pending_and_fallback_banks_are_protected() {
    let boot = device(&image(1, 100), &PowerCut::unlimited());
    let mut slot = boot.slot();
    download(&mut slot, &image(2, 100)).unwrap();
    slot.mark_pending().unwrap();
    assert_eq!(slot.erase(0, 4096), Err(StorageError::WrongState));
    assert_eq!(slot.commit(), Err(StorageError::WrongState));
    slot.mark_pending().unwrap();
    boot.reset().unwrap();
    assert_eq!(slot.write(4096, &[0; 8]), Err(StorageError::WrongState));
    assert_eq!(slot.mark_pending(), Err(StorageError::WrongState));
    let mut buf = [0; 4];
    slot.read(0, &mut buf).unwrap();
    assert_eq!(buf, image(1, 4)[..]);
    slot.commit().unwrap();
    slot.commit().unwrap();
    slot.erase(0, 4096).unwrap();
}

#[test]
fn idle_calls_cost_no_power_op() {
    let power = PowerCut::unlimited();
    let mut boot = device(&image(1, 100), &power);
    boot.commit().unwrap();
    boot.roll_back().unwrap();
    boot.boot_state().unwrap();
    boot.reset().unwrap();
    assert_eq!(power.ops(), 0);
    boot.mark_pending().unwrap();
    boot.mark_pending().unwrap();
    assert_eq!(power.ops(), 1);
}

#[test]
fn cut_power_fails_everything() {
    let power = PowerCut::unlimited();
    let mut boot = device(&image(1, 100), &power);
    power.cut();
    assert_eq!(boot.boot_state(), Err(StorageError::PowerLoss));
    assert_eq!(boot.commit(), Err(StorageError::PowerLoss));
    assert_eq!(boot.reset(), Err(StorageError::PowerLoss));
    assert_eq!(
        boot.slot().read(0, &mut [0; 1]),
        Err(StorageError::PowerLoss)
    );
    assert_eq!(boot.slot().erase(0, 4096), Err(StorageError::PowerLoss));
}

/// The whole update as a client drives it, the reboot included; stops at the first error.
fn update(boot: &SimBootloader, new: &[u8]) -> Result<(), StorageError> {
    let mut slot = boot.slot();
    download(&mut slot, new)?;
    slot.mark_pending()?;
    boot.reset()?;
    slot.commit()
}

#[test]
fn power_cut_at_every_op_of_an_update() {
    let (old, new) = (image(1, 3000), image(2, 5000));
    let old_bank = bank_after(&[0xFF; CAPACITY], &old);
    let new_bank = bank_after(&[0xFF; CAPACITY], &new);
    let clean = PowerCut::unlimited();
    let boot = device(&old, &clean);
    update(&boot, &new).unwrap();
    assert_eq!(boot.active_image(), new_bank);
    for mode in [CutMode::Clean, CutMode::Torn] {
        for k in 0..clean.ops() {
            let power = PowerCut::unlimited();
            power.arm(k, mode);
            let boot = device(&old, &power);
            assert_eq!(update(&boot, &new), Err(StorageError::PowerLoss));
            power.restore();
            let state = boot.reset().unwrap();
            let running = boot.active_image();
            let what = format_args!("cut at op {k} ({mode:?}): {state:?}");
            match state {
                BootState::Normal | BootState::RolledBack => {
                    assert_eq!(running, old_bank, "{what}");
                    assert_eq!(boot.active_bank(), Bank::A, "{what}");
                }
                BootState::Trial => assert_eq!(running, new_bank, "{what}"),
                BootState::Pending => panic!("{what}"),
            }
            // A client that recovers: a second attempt from this state ends on the new
            // image, committed.
            if state == BootState::Trial {
                boot.control().commit().unwrap();
            } else {
                boot.control().commit().unwrap(); // acknowledges a revert, if any
                update(&boot, &new).unwrap();
            }
            assert_eq!(boot.reset(), Ok(BootState::Normal), "{what}");
            assert_eq!(boot.active_image(), new_bank, "{what}");
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Download { seed: u8, len: usize },
    MarkPending,
    Commit,
    RollBack,
    Reset,
    Arm { after: u64, torn: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (any::<u8>(), 1..=CAPACITY).prop_map(|(seed, len)| Op::Download { seed, len }),
        2 => Just(Op::MarkPending),
        2 => Just(Op::Commit),
        1 => Just(Op::RollBack),
        2 => Just(Op::Reset),
        2 => (0..40u64, any::<bool>()).prop_map(|(after, torn)| Op::Arm { after, torn }),
    ]
}

/// The flags as the test expects them: (active bank, state, revert requested).
type Model = (Bank, BootState, bool);

/// The expected flags after `op` succeeds (`None` for a refusal: `WrongState`).
fn expect(m: Model, op: &Op) -> Option<Model> {
    use BootState::*;
    let (bank, state, revert) = m;
    Some(match (op, state) {
        (Op::MarkPending, Normal | RolledBack) => (bank, Pending, false),
        (Op::MarkPending, Pending) => m,
        (Op::MarkPending, Trial) => return None,
        (Op::Commit, Normal) => m,
        (Op::Commit, Trial) if !revert => (bank, Normal, false),
        (Op::Commit, RolledBack) => (bank, Normal, false),
        (Op::Commit, Pending | Trial) => return None,
        (Op::RollBack, Trial) => (bank, Trial, true),
        (Op::RollBack, Pending) => (bank, Normal, false),
        (Op::RollBack, _) => m,
        (Op::Reset, Pending) => (bank.other(), Trial, false),
        (Op::Reset, Trial) => (bank.other(), RolledBack, false),
        (Op::Reset, _) => m,
        _ => m,
    })
}

fn observe(boot: &SimBootloader) -> Model {
    let flags = boot.control.device.flags();
    (
        flags.active,
        flags.state(),
        flags.flag == Flag::Recorded(crate::storage::flag::Flag::RollBack),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// A correct client (it marks pending only a completely written image) under random
    /// operations, resets and power cuts: the flags follow the model (old or new after a
    /// cut), the running image is always one that was completely written before its
    /// `mark_pending` (or the factory image), and nothing panics.
    #[test]
    fn random_operations_only_ever_run_complete_images(ops in proptest::collection::vec(op(), 1..40)) {
        let power = PowerCut::unlimited();
        let factory = bank_after(&[0xFF; CAPACITY], &image(0, 1000));
        let boot = device(&image(0, 1000), &power);
        let mut slot = boot.slot();
        let mut runnable = vec![factory];
        let mut complete = false;
        for op in &ops {
            let before = observe(&boot);
            let result = match *op {
                Op::Download { seed, len } => {
                    let inactive = boot.active_bank().other();
                    let want = bank_after(&boot.bank_image(inactive), &image(seed, len));
                    let result = download(&mut slot, &image(seed, len));
                    complete = result.is_ok();
                    if complete {
                        prop_assert_eq!(boot.bank_image(inactive), want);
                    }
                    result
                }
                Op::MarkPending if complete => {
                    runnable.push(boot.bank_image(boot.active_bank().other()));
                    slot.mark_pending()
                }
                Op::MarkPending => continue,
                Op::Commit => slot.commit(),
                Op::RollBack => slot.roll_back(),
                Op::Reset => {
                    complete = false;
                    boot.reset().map(drop)
                }
                Op::Arm { after, torn } => {
                    power.arm(after, if torn { CutMode::Torn } else { CutMode::Clean });
                    continue;
                }
            };
            let after = observe(&boot);
            let modelled = expect(before, op);
            match result {
                Ok(()) => prop_assert_eq!(Some(after), modelled),
                Err(StorageError::WrongState) => {
                    let download = matches!(op, Op::Download { .. });
                    prop_assert!(download || modelled.is_none(), "refused {:?}", op);
                    prop_assert_eq!(after, before);
                }
                Err(StorageError::PowerLoss) => {
                    prop_assert!(after == before || Some(after) == modelled);
                    power.restore();
                    complete = false;
                    boot.reset().unwrap();
                }
                Err(e) => prop_assert!(false, "unexpected {:?} from {:?}", e, op),
            }
            if matches!(op, Op::Reset) || result == Err(StorageError::PowerLoss) {
                prop_assert_ne!(boot.state(), BootState::Pending, "pending after a reset");
            }
            prop_assert!(runnable.contains(&boot.active_image()), "running an image never marked");
        }
    }
}
