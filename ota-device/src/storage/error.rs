//! [`StorageError`]: why a flash, slot, boot-flag or state-store operation failed.

use core::any::Any;

use embedded_storage::nor_flash::{NorFlashError, NorFlashErrorKind};

/// Why a storage operation failed.
///
/// Flash driver errors collapse into this type through [`NorFlashError::kind`]
/// ([`StorageError::from_flash`]), so nothing above the flash is generic over the driver's
/// error. None of these is worth retrying with the same arguments except
/// [`StorageError::PowerLoss`] (after the reboot) and, depending on the driver,
/// [`StorageError::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum StorageError {
    /// The range does not fit the slot, flash or region (or two regions overlap).
    #[error("storage range is out of bounds")]
    OutOfBounds,
    /// An offset or length is not a multiple of the write or erase granularity.
    #[error("storage offset or length is not aligned")]
    NotAligned,
    /// Power was cut (testing doubles only): the operation may be partly applied, and every
    /// operation fails this way until the simulated device is powered again.
    #[error("power was lost")]
    PowerLoss,
    /// Stored data failed its integrity check and there is nothing to fall back to.
    #[error("stored data is corrupt")]
    Corrupt,
    /// A write hit flash that was written since its last erase (the testing flash refuses it;
    /// real NOR flash would silently store the AND of old and new data).
    #[error("flash is not erased")]
    NotErased,
    /// The boot flags do not allow this now, e.g. writing the slot or `mark_pending` while a
    /// trial image runs (the slot then holds the image to fall back to).
    #[error("not allowed in the current boot state")]
    WrongState,
    /// A state record is longer than [`super::MAX_RECORD_LEN`].
    #[error("state record is too long")]
    RecordTooLong,
    /// The buffer is shorter than the stored state record.
    #[error("buffer is too small for the stored record")]
    BufferTooSmall,
    /// Any other flash driver error.
    #[error("flash driver error")]
    Other,
}

impl StorageError {
    /// Converts a flash driver error.
    ///
    /// A driver whose error type is `StorageError` itself (the testing doubles) keeps its exact
    /// variant, so [`StorageError::PowerLoss`] survives adapters; any other error collapses
    /// through [`NorFlashError::kind`].
    pub fn from_flash<E: NorFlashError + 'static>(error: E) -> Self {
        match (&error as &dyn Any).downcast_ref::<Self>() {
            Some(own) => *own,
            None => error.kind().into(),
        }
    }
}

impl From<NorFlashErrorKind> for StorageError {
    fn from(kind: NorFlashErrorKind) -> Self {
        match kind {
            NorFlashErrorKind::NotAligned => Self::NotAligned,
            NorFlashErrorKind::OutOfBounds => Self::OutOfBounds,
            _ => Self::Other,
        }
    }
}

impl NorFlashError for StorageError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            Self::NotAligned => NorFlashErrorKind::NotAligned,
            Self::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            _ => NorFlashErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct DriverError(NorFlashErrorKind);

    impl NorFlashError for DriverError {
        fn kind(&self) -> NorFlashErrorKind {
            self.0
        }
    }

    #[test]
    fn driver_errors_collapse_by_kind() {
        let from = |k| StorageError::from_flash(DriverError(k));
        assert_eq!(
            from(NorFlashErrorKind::NotAligned),
            StorageError::NotAligned
        );
        assert_eq!(
            from(NorFlashErrorKind::OutOfBounds),
            StorageError::OutOfBounds
        );
        assert_eq!(from(NorFlashErrorKind::Other), StorageError::Other);
    }

    #[test]
    fn own_errors_keep_their_variant() {
        for e in [
            StorageError::PowerLoss,
            StorageError::NotErased,
            StorageError::WrongState,
        ] {
            assert_eq!(StorageError::from_flash(e), e);
        }
        assert_eq!(StorageError::PowerLoss.kind(), NorFlashErrorKind::Other);
        assert_eq!(
            StorageError::OutOfBounds.kind(),
            NorFlashErrorKind::OutOfBounds
        );
    }
}
