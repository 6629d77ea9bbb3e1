//! The persisted boot flags of [`super::SimBootloader`] and their transitions (the table of
//! [`BootState`]); pure functions, no power or storage.

use super::Bank;
use crate::storage::{BootState, StorageError};

/// The persisted flag; `RollBack` is `Trial` with a revert requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flag {
    Committed,
    Pending,
    Trial,
    RollBack,
    RolledBack,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Flags {
    pub(super) active: Bank,
    pub(super) flag: Flag,
}

impl Flags {
    pub(super) const fn state(self) -> BootState {
        match self.flag {
            Flag::Committed => BootState::Normal,
            Flag::Pending => BootState::Pending,
            Flag::Trial | Flag::RollBack => BootState::Trial,
            Flag::RolledBack => BootState::RolledBack,
        }
    }

    const fn with(self, flag: Flag) -> Option<Self> {
        Some(Self { flag, ..self })
    }

    pub(super) fn mark_pending(self) -> Result<Option<Self>, StorageError> {
        match self.flag {
            Flag::Committed | Flag::RolledBack => Ok(self.with(Flag::Pending)),
            Flag::Pending => Ok(None),
            Flag::Trial | Flag::RollBack => Err(StorageError::WrongState),
        }
    }

    pub(super) fn commit(self) -> Result<Option<Self>, StorageError> {
        match self.flag {
            Flag::Committed => Ok(None),
            Flag::Trial | Flag::RolledBack => Ok(self.with(Flag::Committed)),
            Flag::Pending | Flag::RollBack => Err(StorageError::WrongState),
        }
    }

    pub(super) fn roll_back(self) -> Option<Self> {
        match self.flag {
            Flag::Trial => self.with(Flag::RollBack),
            Flag::Pending => self.with(Flag::Committed),
            Flag::Committed | Flag::RollBack | Flag::RolledBack => None,
        }
    }

    /// What the bootloader writes at reset.
    pub(super) fn reset(self) -> Option<Self> {
        let swap = |flag| {
            Some(Self {
                active: self.active.other(),
                flag,
            })
        };
        match self.flag {
            Flag::Pending => swap(Flag::Trial),
            Flag::Trial | Flag::RollBack => swap(Flag::RolledBack),
            Flag::Committed | Flag::RolledBack => None,
        }
    }

    /// Whether the inactive bank may be erased or written.
    pub(super) const fn inactive_writable(self) -> bool {
        matches!(self.flag, Flag::Committed | Flag::RolledBack)
    }
}
