//! [`Flag`]: what a dual-bank device's boot flags record about the running image, the byte
//! each flag is stored as, and how `mark_pending`, `commit`, `roll_back` and a reset change it
//! (the table of [`BootState`]). Shared by the simulated bootloader of [`super::testing`] and
//! the file-backed one of [`super::files`]; pure functions, no storage, no bank.

use super::{BootState, StorageError};

/// The recorded flag; `RollBack` is `Trial` with a revert requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flag {
    Committed,
    Pending,
    Trial,
    RollBack,
    RolledBack,
}

impl Flag {
    /// Every flag, in the order of their codes.
    #[cfg(test)]
    pub(crate) const ALL: [Self; 5] = [
        Self::Committed,
        Self::Pending,
        Self::Trial,
        Self::RollBack,
        Self::RolledBack,
    ];

    /// The flag's byte in a record: 0 committed, 1 pending, 2 trial, 3 trial with roll-back
    /// requested, 4 rolled back.
    pub(crate) const fn code(self) -> u8 {
        match self {
            Self::Committed => 0,
            Self::Pending => 1,
            Self::Trial => 2,
            Self::RollBack => 3,
            Self::RolledBack => 4,
        }
    }

    /// The flag stored as `code`, `None` for any other byte.
    pub(crate) const fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::Committed),
            1 => Some(Self::Pending),
            2 => Some(Self::Trial),
            3 => Some(Self::RollBack),
            4 => Some(Self::RolledBack),
            _ => None,
        }
    }

    /// What `boot_state` reports.
    pub(crate) const fn state(self) -> BootState {
        match self {
            Self::Committed => BootState::Normal,
            Self::Pending => BootState::Pending,
            Self::Trial | Self::RollBack => BootState::Trial,
            Self::RolledBack => BootState::RolledBack,
        }
    }

    /// Whether the active bank runs on trial: the last committed image is in the other bank.
    #[cfg(any(test, feature = "testing"))]
    pub(crate) const fn on_trial(self) -> bool {
        matches!(self, Self::Trial | Self::RollBack)
    }

    /// The flag `mark_pending` records (`None`: nothing to write).
    pub(crate) const fn after_mark_pending(self) -> Result<Option<Self>, StorageError> {
        match self {
            Self::Committed | Self::RolledBack => Ok(Some(Self::Pending)),
            Self::Pending => Ok(None),
            Self::Trial | Self::RollBack => Err(StorageError::WrongState),
        }
    }

    /// The flag `commit` records.
    pub(crate) const fn after_commit(self) -> Result<Option<Self>, StorageError> {
        match self {
            Self::Committed => Ok(None),
            Self::Trial | Self::RolledBack => Ok(Some(Self::Committed)),
            Self::Pending | Self::RollBack => Err(StorageError::WrongState),
        }
    }

    /// The flag `roll_back` records.
    pub(crate) const fn after_roll_back(self) -> Option<Self> {
        match self {
            Self::Trial => Some(Self::RollBack),
            Self::Pending => Some(Self::Committed),
            Self::Committed | Self::RollBack | Self::RolledBack => None,
        }
    }

    /// The flag the bootloader records at reset, for the *other* bank, which it then runs:
    /// pending -> on trial; on trial (a revert requested or not) -> rolled back. `None`: the
    /// same bank runs and nothing is written.
    pub(crate) const fn after_reset(self) -> Option<Self> {
        match self {
            Self::Pending => Some(Self::Trial),
            Self::Trial | Self::RollBack => Some(Self::RolledBack),
            Self::Committed | Self::RolledBack => None,
        }
    }

    /// Whether the inactive bank may be erased or written: not while it holds a pending image
    /// or the fallback of a trial one.
    pub(crate) const fn inactive_writable(self) -> bool {
        matches!(self, Self::Committed | Self::RolledBack)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for (code, flag) in Flag::ALL.into_iter().enumerate() {
            assert_eq!(flag.code() as usize, code);
            assert_eq!(Flag::from_code(flag.code()), Some(flag));
        }
        assert_eq!(Flag::from_code(5), None);
    }

    /// The table of [`BootState`], row by row.
    #[test]
    fn transitions_follow_the_boot_state_table() {
        use BootState::*;
        for flag in Flag::ALL {
            let state = flag.state();
            let after = |f: Option<Flag>| f.unwrap_or(flag).state();
            let revert = flag == Flag::RollBack;
            let pending = flag.after_mark_pending().map(after);
            match state {
                Normal | RolledBack | Pending => assert_eq!(pending, Ok(Pending)),
                Trial => assert_eq!(pending, Err(StorageError::WrongState)),
            }
            let commit = flag.after_commit().map(after);
            match state {
                Normal | RolledBack => assert_eq!(commit, Ok(Normal)),
                Trial if !revert => assert_eq!(commit, Ok(Normal)),
                Pending | Trial => assert_eq!(commit, Err(StorageError::WrongState)),
            }
            let roll_back = if state == Pending { Normal } else { state };
            assert_eq!(after(flag.after_roll_back()), roll_back, "{flag:?}");
            let reset = match state {
                Normal => None,
                Pending => Some(Trial),
                Trial => Some(RolledBack),
                RolledBack => None,
            };
            assert_eq!(flag.after_reset().map(Flag::state), reset, "{flag:?}");
            assert_eq!(flag.on_trial(), state == Trial);
            assert_eq!(
                flag.inactive_writable(),
                matches!(state, Normal | RolledBack)
            );
        }
    }
}
