/// A storage failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// Out of bounds.
    #[error("out of bounds")]
    OutOfBounds,
    /// Not aligned.
    #[error("not aligned")]
    NotAligned,
    /// Power lost.
    #[error("power loss")]
    PowerLoss,
    /// Corrupt.
    #[error("corrupt")]
    Corrupt,
    /// Other.
    #[error("other")]
    Other,
}
