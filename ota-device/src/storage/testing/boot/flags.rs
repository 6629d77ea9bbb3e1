//! The persisted boot flags of [`super::SimBootloader`] and their transitions (the table of
//! [`BootState`]); pure functions, no power or storage.
//!
//! # The record
//!
//! The flags are one record of [`RECORD_LEN`] bytes, written atomically (a power cut leaves the
//! old or the new record):
//!
//! | bytes | field |
//! |---|---|
//! | 0 | magic `'F'` |
//! | 1 | active bank: 0 (A) or 1 (B) |
//! | 2 | flag: 0 committed, 1 pending, 2 trial, 3 trial with roll-back requested, 4 rolled back |
//! | 3 | `0xFF` |
//! | 4..8 | CRC-32 of bytes 0..4, little-endian |
//!
//! The simulation keeps the decoded [`Flags`]; [`Flags::encode`] and [`Flags::decode`] exist so
//! that a damaged record is detected as real firmware would detect it (see `faults.rs`): one to
//! three flipped bits always fail the CRC. A record that fails it is [`Flag::Unreadable`]:
//!
//! - [`Flags::read`] (what `boot_state` should report) fails with [`StorageError::Corrupt`];
//! - `mark_pending` and `commit` fail with [`StorageError::Corrupt`] and write nothing;
//! - `roll_back` writes nothing and succeeds: the next reset boots the last committed image
//!   anyway, which is what it asks for;
//! - the inactive bank may not be erased or written (it may hold the fallback image);
//! - at reset the bootloader boots the bank of the last committed image and writes a fresh
//!   record saying `Committed` for it ([`BootState::Normal`]). It cannot tell whether an image
//!   was on trial, so it does not claim a revert ([`BootState::RolledBack`]); a client that
//!   installed an image finds its version is not running and reports the job failed. The
//!   bank of the last committed image is kept outside this record (as MCUboot keeps
//!   `image_ok` in each image's own trailer), so damage to the record does not lose it.

use super::Bank;
use crate::storage::crc::Crc32;
use crate::storage::flag::Flag as Recorded;
use crate::storage::{BootState, StorageError};

/// Bytes of the encoded flags record.
pub(super) const RECORD_LEN: usize = 8;
const MAGIC: u8 = b'F';

/// What the record holds: a flag, or damage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flag {
    /// A readable record's flag.
    Recorded(Recorded),
    /// The record failed its CRC. `was` is the state it held before the damage (what
    /// [`Flags::state`] reports, for assertions only); `committed` is the bank of the last
    /// committed image, which the bootloader keeps outside the record.
    Unreadable { was: BootState, committed: Bank },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Flags {
    pub(super) active: Bank,
    pub(super) flag: Flag,
}

impl Flags {
    /// What the flags say, for assertions: for an unreadable record, what it said before the
    /// damage. The device's `boot_state` must use [`Flags::read`].
    pub(super) const fn state(self) -> BootState {
        match self.flag {
            Flag::Recorded(flag) => flag.state(),
            Flag::Unreadable { was, .. } => was,
        }
    }

    /// What a reader checking the CRC gets: the state, or [`StorageError::Corrupt`].
    pub(super) const fn read(self) -> Result<BootState, StorageError> {
        match self.flag {
            Flag::Unreadable { .. } => Err(StorageError::Corrupt),
            _ => Ok(self.state()),
        }
    }

    /// The bank of the last committed image.
    pub(super) const fn committed_bank(self) -> Bank {
        match self.flag {
            Flag::Recorded(flag) if flag.on_trial() => self.active.other(),
            Flag::Recorded(_) => self.active,
            Flag::Unreadable { committed, .. } => committed,
        }
    }

    /// The same flags with the record damaged.
    pub(super) const fn unreadable(self) -> Self {
        Self {
            active: self.active,
            flag: Flag::Unreadable {
                was: self.state(),
                committed: self.committed_bank(),
            },
        }
    }

    /// The record's bytes (`None` for an unreadable record).
    pub(super) fn encode(self) -> Option<[u8; RECORD_LEN]> {
        let mut raw = [
            MAGIC,
            self.active.index() as u8,
            match self.flag {
                Flag::Recorded(flag) => flag.code(),
                Flag::Unreadable { .. } => return None,
            },
            0xFF,
            0,
            0,
            0,
            0,
        ];
        let crc = Crc32::of(&raw[..4]);
        raw[4..].copy_from_slice(&crc.to_le_bytes());
        Some(raw)
    }

    /// The flags of a record, `None` if it fails its magic, fields or CRC.
    pub(super) fn decode(raw: [u8; RECORD_LEN]) -> Option<Self> {
        let crc = u32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]);
        if raw[0] != MAGIC || raw[3] != 0xFF || Crc32::of(&raw[..4]) != crc {
            return None;
        }
        let active = match raw[1] {
            0 => Bank::A,
            1 => Bank::B,
            _ => return None,
        };
        Some(Self {
            active,
            flag: Flag::Recorded(Recorded::from_code(raw[2])?),
        })
    }

    fn with(self, flag: Option<Recorded>) -> Option<Self> {
        flag.map(|flag| Self {
            flag: Flag::Recorded(flag),
            ..self
        })
    }

    /// A readable record's flag, or [`StorageError::Corrupt`].
    const fn recorded(self) -> Result<Recorded, StorageError> {
        match self.flag {
            Flag::Recorded(flag) => Ok(flag),
            Flag::Unreadable { .. } => Err(StorageError::Corrupt),
        }
    }

    pub(super) fn mark_pending(self) -> Result<Option<Self>, StorageError> {
        Ok(self.with(self.recorded()?.after_mark_pending()?))
    }

    pub(super) fn commit(self) -> Result<Option<Self>, StorageError> {
        Ok(self.with(self.recorded()?.after_commit()?))
    }

    /// Unreadable: nothing to write, the reset boots the last committed image anyway.
    pub(super) fn roll_back(self) -> Option<Self> {
        self.with(self.recorded().ok()?.after_roll_back())
    }

    /// What the bootloader writes at reset.
    pub(super) fn reset(self) -> Option<Self> {
        let flag = match self.flag {
            Flag::Recorded(flag) => flag.after_reset()?,
            // The conservative rule: the last committed image, and a fresh record for it.
            Flag::Unreadable { committed, .. } => {
                return Some(Self {
                    active: committed,
                    flag: Flag::Recorded(Recorded::Committed),
                });
            }
        };
        Some(Self {
            active: self.active.other(),
            flag: Flag::Recorded(flag),
        })
    }

    /// Whether the inactive bank may be erased or written.
    pub(super) const fn inactive_writable(self) -> bool {
        match self.flag {
            Flag::Recorded(flag) => flag.inactive_writable(),
            Flag::Unreadable { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> impl Iterator<Item = Flags> {
        [Bank::A, Bank::B].into_iter().flat_map(|active| {
            Recorded::ALL.map(|flag| Flags {
                active,
                flag: Flag::Recorded(flag),
            })
        })
    }

    #[test]
    fn records_round_trip() {
        for flags in all() {
            let raw = flags.encode().unwrap();
            assert_eq!(Flags::decode(raw), Some(flags));
            assert_eq!(flags.read(), Ok(flags.state()));
        }
        assert_eq!(Flags::decode([0xFF; RECORD_LEN]), None, "erased");
        assert_eq!(Flags::decode([0; RECORD_LEN]), None, "zeroed");
    }

    #[test]
    fn every_flip_of_up_to_three_bits_is_detected() {
        const BITS: usize = RECORD_LEN * 8;
        let flip = |raw: &mut [u8; RECORD_LEN], bit: usize| raw[bit / 8] ^= 1 << (bit % 8);
        for flags in all() {
            let raw = flags.encode().unwrap();
            for i in 0..BITS {
                for j in i..BITS {
                    for k in j..BITS {
                        let mut bad = raw;
                        flip(&mut bad, i);
                        if j != i {
                            flip(&mut bad, j);
                        }
                        if k != j {
                            flip(&mut bad, k);
                        }
                        assert_eq!(Flags::decode(bad), None, "{flags:?} bits {i} {j} {k}");
                    }
                }
            }
        }
    }

    #[test]
    fn unreadable_flags_refuse_and_reset_to_the_committed_bank() {
        for flags in all() {
            let bad = flags.unreadable();
            assert_eq!(bad.read(), Err(StorageError::Corrupt));
            assert_eq!(bad.state(), flags.state());
            assert_eq!(bad.encode(), None);
            assert_eq!(bad.mark_pending(), Err(StorageError::Corrupt));
            assert_eq!(bad.commit(), Err(StorageError::Corrupt));
            assert_eq!(bad.roll_back(), None);
            assert!(!bad.inactive_writable());
            assert_eq!(bad.unreadable(), bad, "damage again: same rule");
            let committed = match flags.flag {
                Flag::Recorded(flag) if flag.on_trial() => flags.active.other(),
                _ => flags.active,
            };
            assert_eq!(bad.committed_bank(), committed);
            let after = bad.reset().unwrap();
            assert_eq!(
                after,
                Flags {
                    active: committed,
                    flag: Flag::Recorded(Recorded::Committed)
                }
            );
            assert_eq!(after.read(), Ok(BootState::Normal));
            // Where the normal reset of these flags lands, it is on the same committed bank
            // unless an image was pending (which the unreadable rule does not try).
            let normal = flags.reset().unwrap_or(flags);
            if flags.flag != Flag::Recorded(Recorded::Pending) {
                assert_eq!(normal.active, committed);
            }
        }
    }
}
