//! The contents of `boot.flags` and their transitions (the table of [`BootState`]): pure
//! functions, no I/O.
//!
//! # The record
//!
//! [`RECORD_LEN`] bytes; a file of any other length, or failing a check, is unreadable:
//!
//! | bytes | field |
//! |---|---|
//! | 0..4 | magic `"OTBF"` |
//! | 4 | format version, 1 |
//! | 5 | active bank: 0 (A) or 1 (B) |
//! | 6 | flag: 0 committed, 1 pending, 2 trial, 3 trial with roll-back requested, 4 rolled back |
//! | 7 | 1 if the device has a security counter, else 0 |
//! | 8..12 | the security counter, little-endian (0 without one) |
//! | 12..16 | CRC-32 of bytes 0..12, little-endian |

use super::Bank;
use crate::storage::crc::Crc32;
use crate::storage::flag::Flag;
use crate::storage::{BootState, StorageError};

/// Bytes of the encoded record.
pub(super) const RECORD_LEN: usize = 16;
const MAGIC: [u8; 4] = *b"OTBF";
const VERSION: u8 = 1;

/// What `boot.flags` says: the bank that runs, its flag, and the security counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Flags {
    pub(super) active: Bank,
    pub(super) flag: Flag,
    pub(super) counter: Option<u32>,
}

impl Flags {
    /// Running `active`, committed.
    pub(super) const fn committed(active: Bank, counter: Option<u32>) -> Self {
        Self {
            active,
            flag: Flag::Committed,
            counter,
        }
    }

    pub(super) fn encode(self) -> [u8; RECORD_LEN] {
        let mut raw = [0; RECORD_LEN];
        raw[..4].copy_from_slice(&MAGIC);
        raw[4] = VERSION;
        raw[5] = self.active.code();
        raw[6] = self.flag.code();
        raw[7] = u8::from(self.counter.is_some());
        raw[8..12].copy_from_slice(&self.counter.unwrap_or(0).to_le_bytes());
        let crc = Crc32::of(&raw[..12]);
        raw[12..].copy_from_slice(&crc.to_le_bytes());
        raw
    }

    /// The flags of a record, or `None` if it is not one (any length, any bytes).
    pub(super) fn decode(raw: &[u8]) -> Option<Self> {
        let raw: &[u8; RECORD_LEN] = raw.try_into().ok()?;
        let [
            m0,
            m1,
            m2,
            m3,
            version,
            bank,
            flag,
            has,
            c0,
            c1,
            c2,
            c3,
            s0,
            s1,
            s2,
            s3,
        ] = *raw;
        let sound = [m0, m1, m2, m3] == MAGIC
            && version == VERSION
            && Crc32::of(&raw[..12]) == u32::from_le_bytes([s0, s1, s2, s3]);
        if !sound {
            return None;
        }
        let counter = u32::from_le_bytes([c0, c1, c2, c3]);
        let counter = match has {
            0 if counter == 0 => None,
            1 => Some(counter),
            _ => return None,
        };
        Some(Self {
            active: Bank::from_code(bank)?,
            flag: Flag::from_code(flag)?,
            counter,
        })
    }

    pub(super) const fn state(self) -> BootState {
        self.flag.state()
    }

    fn with(self, flag: Option<Flag>) -> Option<Self> {
        flag.map(|flag| Self { flag, ..self })
    }

    /// The flags `mark_pending` writes (`None`: nothing to write).
    pub(super) fn mark_pending(self) -> Result<Option<Self>, StorageError> {
        Ok(self.with(self.flag.after_mark_pending()?))
    }

    /// The flags `commit` writes.
    pub(super) fn commit(self) -> Result<Option<Self>, StorageError> {
        Ok(self.with(self.flag.after_commit()?))
    }

    /// The flags `roll_back` writes.
    pub(super) fn roll_back(self) -> Option<Self> {
        self.with(self.flag.after_roll_back())
    }

    /// The flags the bootloader writes at reset: pending -> the other bank on trial; trial (a
    /// revert requested or not) -> back to the other bank, rolled back.
    pub(super) fn reset(self) -> Option<Self> {
        let flag = self.flag.after_reset()?;
        Some(Self {
            active: self.active.other(),
            flag,
            counter: self.counter,
        })
    }

    /// The flags raising the security counter to `to` writes: none without a counter or when
    /// it is at least `to` already.
    pub(super) const fn raise(self, to: u32) -> Option<Self> {
        match self.counter {
            Some(value) if to > value => Some(Self {
                counter: Some(to),
                ..self
            }),
            _ => None,
        }
    }

    /// Whether the inactive bank may be erased or written: not while it holds a pending image
    /// or the fallback of a trial one.
    pub(super) const fn inactive_writable(self) -> bool {
        self.flag.inactive_writable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    fn all() -> impl Iterator<Item = Flags> {
        let counters = [None, Some(0), Some(7), Some(u32::MAX)];
        [Bank::A, Bank::B].into_iter().flat_map(move |active| {
            Flag::ALL.into_iter().flat_map(move |flag| {
                counters.map(|counter| Flags {
                    active,
                    flag,
                    counter,
                })
            })
        })
    }

    #[test]
    fn records_round_trip() {
        for flags in all() {
            assert_eq!(Flags::decode(&flags.encode()), Some(flags));
        }
        assert_eq!(Flags::decode(&[0xFF; RECORD_LEN]), None);
        assert_eq!(Flags::decode(&[0; RECORD_LEN]), None);
        let good = Flags::committed(Bank::A, None).encode();
        assert_eq!(Flags::decode(&good[..RECORD_LEN - 1]), None, "torn");
        let mut long = good.to_vec();
        long.push(0);
        assert_eq!(Flags::decode(&long), None, "trailing bytes");
    }

    #[test]
    fn every_single_and_double_bit_flip_is_detected() {
        for flags in all() {
            let raw = flags.encode();
            for i in 0..RECORD_LEN * 8 {
                for j in i..RECORD_LEN * 8 {
                    let mut bad = raw;
                    bad[i / 8] ^= 1 << (i % 8);
                    if j != i {
                        bad[j / 8] ^= 1 << (j % 8);
                    }
                    assert_eq!(Flags::decode(&bad), None, "{flags:?} bits {i} {j}");
                }
            }
        }
    }

    /// The table of [`BootState`], row by row.
    #[test]
    fn transitions_follow_the_boot_state_table() {
        use BootState::*;
        for flags in all() {
            let state = flags.state();
            let after = |f: Option<Flags>| f.unwrap_or(flags);
            let pending = flags.mark_pending().map(after).map(Flags::state);
            let commit = flags.commit().map(after).map(Flags::state);
            let roll_back = after(flags.roll_back());
            let reset = after(flags.reset());
            let revert = flags.flag == Flag::RollBack;
            match state {
                Normal | RolledBack => assert_eq!(pending, Ok(Pending)),
                Pending => assert_eq!(pending, Ok(Pending)),
                Trial => assert_eq!(pending, Err(StorageError::WrongState)),
            }
            match state {
                Normal | RolledBack => assert_eq!(commit, Ok(Normal)),
                Trial if !revert => assert_eq!(commit, Ok(Normal)),
                Pending | Trial => assert_eq!(commit, Err(StorageError::WrongState)),
            }
            let expected_roll_back = if state == Pending { Normal } else { state };
            assert_eq!(roll_back.state(), expected_roll_back, "{flags:?}");
            assert_eq!(roll_back.active, flags.active);
            let (reset_state, swapped) = match state {
                Normal => (Normal, false),
                Pending => (Trial, true),
                Trial => (RolledBack, true),
                RolledBack => (RolledBack, false),
            };
            assert_eq!(reset.state(), reset_state, "{flags:?}");
            assert_eq!(reset.active == flags.active.other(), swapped);
            assert_eq!(
                flags.inactive_writable(),
                matches!(state, Normal | RolledBack)
            );
            for next in [roll_back, reset] {
                assert_eq!(next.counter, flags.counter, "only a raise changes it");
            }
        }
    }

    #[test]
    fn raise_never_lowers() {
        let none = Flags::committed(Bank::A, None);
        assert_eq!(none.raise(5), None, "no counter: nothing to do");
        let five = Flags::committed(Bank::B, Some(5));
        assert_eq!(five.raise(4), None);
        assert_eq!(five.raise(5), None);
        assert_eq!(five.raise(6).map(|f| f.counter), Some(Some(6)));
        assert_eq!(
            five.raise(6).map(|f| (f.active, f.flag)),
            Some((Bank::B, Flag::Committed))
        );
    }

    proptest! {
        /// No bytes make decoding panic, and whatever decodes encodes back to the same bytes.
        #[test]
        fn any_bytes_decode_without_panic(raw in proptest::collection::vec(any::<u8>(), 0..40)) {
            if let Some(flags) = Flags::decode(&raw) {
                prop_assert_eq!(flags.encode().to_vec(), raw);
            }
        }

        /// A valid record with one byte changed to anything never decodes to other flags.
        #[test]
        fn a_changed_byte_is_detected(index in 0..RECORD_LEN, value in any::<u8>(), pick in 0usize..40) {
            let flags: Vec<Flags> = all().collect();
            let flags = flags[pick % flags.len()];
            let mut raw = flags.encode();
            raw[index] = value;
            let decoded = Flags::decode(&raw);
            prop_assert!(decoded.is_none() || decoded == Some(flags));
        }
    }
}
