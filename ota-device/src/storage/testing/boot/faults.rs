//! Boot-flag faults of a [`SimBootloader`]: a damaged flags record
//! ([`SimBootloader::corrupt_flags`], whose docs give the rules), and what the simulated
//! bootloader does with it (`flags.rs` has the record's layout and the transitions).
//!
//! One gap: [`SimBootControl`](super::SimBootControl)'s `boot_state` (in `mod.rs`) still
//! reports, for a damaged record, what it held before the damage ([`SimBootloader::state`]);
//! it fails with [`StorageError::Corrupt`] once it reads through the CRC check,
//! `self.device.flags().read()`, as [`SimBootloader::read_flags`] does.

use super::flags::{Flags, RECORD_LEN};
use super::{Bank, SimBootloader};
use crate::storage::testing::SplitMix64;
use crate::storage::{BootState, StorageError};

impl SimBootloader {
    /// Bytes of the boot flags record.
    pub const FLAGS_LEN: usize = RECORD_LEN;

    /// Damage the boot flags record: flip one to three of its bits, chosen from `seed`.
    /// Returns the damaged record, or `None` (changing nothing) if it is unreadable already.
    /// Bypasses power and costs no operation.
    ///
    /// The flags are a record of [`Self::FLAGS_LEN`] bytes with a CRC-32, which catches any
    /// such damage: every seed makes the flags unreadable (seeds differ only in the bytes).
    /// With unreadable flags:
    ///
    /// | operation | result |
    /// |---|---|
    /// | [`SimBootloader::read_flags`] (and `boot_state`, see below) | [`StorageError::Corrupt`] |
    /// | `mark_pending`, `commit` | [`StorageError::Corrupt`], nothing written |
    /// | `roll_back` | `Ok`, nothing written: the next reset boots the last committed image anyway |
    /// | erase or write of the inactive bank ([`SimBootloader::slot`]) | [`StorageError::WrongState`]: it may hold the fallback image |
    /// | [`SimBootloader::reset`] | the conservative rule: boot the last committed image ([`SimBootloader::committed_bank`]) and write a fresh record for it, [`BootState::Normal`]; one mutating operation, and if it is cut the record stays unreadable and the next reset does it again |
    ///
    /// The bootloader keeps the bank of the last committed image outside the flags record (as
    /// MCUboot keeps `image_ok` in each image's trailer), so the damage cannot lose it. It
    /// cannot tell whether the image that ran was on trial, so the fresh record does not claim
    /// a revert ([`BootState::RolledBack`]): a client that installed an image sees that its
    /// version does not run.
    ///
    /// [`SimBootloader::state`] keeps reporting what the record held before the damage (for
    /// assertions). So does `boot_state` of [`SimBootControl`](super::SimBootControl) and
    /// [`SimSlot`](super::SimSlot) for now, until it reads through the check of
    /// [`SimBootloader::read_flags`].
    pub fn corrupt_flags(&self, seed: u64) -> Option<[u8; Self::FLAGS_LEN]> {
        let mut flags = self.control.device.lock();
        let mut raw = flags.encode()?;
        let mut rng = SplitMix64::new(seed);
        let flips = 1 + rng.below(3);
        let mut done: [Option<u64>; 3] = [None; 3];
        let mut n = 0;
        while n < flips as usize {
            let bit = rng.below(RECORD_LEN as u64 * 8);
            if !done.contains(&Some(bit)) {
                done[n] = Some(bit);
                raw[bit as usize / 8] ^= 1 << (bit % 8);
                n += 1;
            }
        }
        // CRC-32 detects every error of up to three bits in a record this short; if a record
        // ever decoded, it would take effect as it reads.
        *flags = match Flags::decode(raw) {
            Some(read) => read,
            None => flags.unreadable(),
        };
        Some(raw)
    }

    /// Whether the boot flags record is unreadable (failed its CRC).
    pub fn flags_corrupt(&self) -> bool {
        self.read_flags() == Err(StorageError::Corrupt)
    }

    /// The boot state as a reader checking the record's CRC sees it (no power check):
    /// [`StorageError::Corrupt`] for unreadable flags. [`SimBootloader::state`] gives, for
    /// those, what the record held before the damage.
    ///
    /// # Errors
    /// [`StorageError::Corrupt`].
    pub fn read_flags(&self) -> Result<BootState, StorageError> {
        self.control.device.flags().read()
    }

    /// The bank holding the last committed image: the one the bootloader falls back to, and
    /// the one it boots when the flags are unreadable.
    pub fn committed_bank(&self) -> Bank {
        self.control.device.flags().committed_bank()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::testing::{CutMode, PowerCut};
    use crate::storage::{BootControl, FirmwareSlot};
    use std::vec;
    use std::vec::Vec;

    const CAPACITY: usize = 2 * SimBootloader::SECTOR;

    /// A device in `state`, with image `1` committed in bank A and image `2` in bank B when
    /// B was written; returns it and the bank of the committed image.
    fn device_in(state: BootState) -> (SimBootloader, PowerCut) {
        let power = PowerCut::unlimited();
        let mut boot = SimBootloader::new(CAPACITY, &[1; 100], power.clone());
        if state == BootState::Normal {
            return (boot, power);
        }
        let mut slot = boot.slot();
        slot.erase(0, CAPACITY as u32).unwrap();
        slot.write(0, &[2; 104]).unwrap();
        boot.mark_pending().unwrap();
        if state != BootState::Pending {
            boot.reset().unwrap();
        }
        if state == BootState::RolledBack {
            boot.reset().unwrap();
        }
        assert_eq!(boot.state(), state);
        (boot, power)
    }

    const STATES: [BootState; 4] = [
        BootState::Normal,
        BootState::Pending,
        BootState::Trial,
        BootState::RolledBack,
    ];

    #[test]
    fn corrupt_flags_are_unreadable_in_every_state() {
        for state in STATES {
            for seed in 0..20 {
                let (mut boot, power) = device_in(state);
                let ops = power.ops();
                let raw = boot.corrupt_flags(seed).unwrap();
                assert!(boot.flags_corrupt(), "{state:?} seed {seed}");
                assert_eq!(boot.read_flags(), Err(StorageError::Corrupt));
                assert_eq!(boot.state(), state, "what the record held");
                assert_eq!(boot.corrupt_flags(seed + 1), None, "already unreadable");
                // Refusals write nothing.
                assert_eq!(boot.mark_pending(), Err(StorageError::Corrupt));
                assert_eq!(boot.commit(), Err(StorageError::Corrupt));
                assert_eq!(boot.roll_back(), Ok(()));
                let mut slot = boot.slot();
                assert_eq!(slot.erase(0, 4096), Err(StorageError::WrongState));
                assert_eq!(slot.write(0, &[0; 8]), Err(StorageError::WrongState));
                assert_eq!(power.ops(), ops);
                assert_eq!(raw.len(), RECORD_LEN);
            }
        }
    }

    #[test]
    fn seeds_damage_differently() {
        let records: Vec<_> = (0..8)
            .map(|seed| device_in(BootState::Normal).0.corrupt_flags(seed).unwrap())
            .collect();
        let distinct = records
            .iter()
            .enumerate()
            .filter(|(i, r)| !records[..*i].contains(r))
            .count();
        assert!(distinct > 4, "{records:?}");
    }

    #[test]
    fn reset_with_unreadable_flags_boots_the_last_committed_image() {
        for state in STATES {
            let (boot, power) = device_in(state);
            let committed = boot.committed_bank();
            let image = boot.bank_image(committed);
            // Trial runs B, falling back to A; the others run the committed bank.
            let expected = if state == BootState::Trial {
                Bank::A
            } else {
                boot.active_bank()
            };
            assert_eq!(committed, expected, "{state:?}");
            boot.corrupt_flags(3);
            let ops = power.ops();
            assert_eq!(boot.reset(), Ok(BootState::Normal), "{state:?}");
            assert_eq!(power.ops(), ops + 1, "one write repairs the record");
            assert!(!boot.flags_corrupt());
            assert_eq!(boot.active_bank(), committed);
            assert_eq!(boot.active_image(), image);
            assert_eq!(&image[..100], &[1; 100], "bank A's factory image");
            // The device works again: a new update can go through.
            let mut slot = boot.slot();
            slot.erase(0, CAPACITY as u32).unwrap();
            slot.write(0, &[3; 8]).unwrap();
            slot.mark_pending().unwrap();
            assert_eq!(boot.reset(), Ok(BootState::Trial));
            slot.commit().unwrap();
            assert_eq!(boot.active_image()[..8], [3; 8]);
        }
    }

    #[test]
    fn a_cut_repair_is_redone_at_the_next_reset() {
        for mode in [CutMode::Clean, CutMode::Torn, CutMode::Noisy { seed: 5 }] {
            let (boot, power) = device_in(BootState::Trial);
            boot.corrupt_flags(9);
            power.arm(0, mode);
            assert_eq!(boot.reset(), Err(StorageError::PowerLoss));
            power.restore();
            assert!(
                boot.flags_corrupt(),
                "{mode:?}: the record is written atomically"
            );
            assert_eq!(boot.reset(), Ok(BootState::Normal));
            assert_eq!(boot.active_bank(), Bank::A);
        }
    }

    #[test]
    fn a_committed_update_moves_the_committed_bank() {
        let (mut boot, _) = device_in(BootState::Trial);
        boot.commit().unwrap();
        assert_eq!(boot.committed_bank(), Bank::B);
        boot.corrupt_flags(1);
        assert_eq!(boot.reset(), Ok(BootState::Normal));
        assert_eq!(boot.active_bank(), Bank::B);
        assert_eq!(boot.active_image()[..104], vec![2; 104]);
    }

    #[test]
    fn boot_state_reports_unreadable_flags() {
        for state in STATES {
            let (mut boot, _) = device_in(state);
            boot.corrupt_flags(0);
            assert_eq!(boot.boot_state(), Err(StorageError::Corrupt), "{state:?}");
            assert_eq!(boot.slot().boot_state(), Err(StorageError::Corrupt));
        }
    }
}
