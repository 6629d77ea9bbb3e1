//! Errors of the control plane ([`Error`]) and of the device plane ([`DataPlaneError`]).

use ota_core::jobs::ErrorCode;

use crate::jobs::model::ExecutionState;

/// A control-plane error, named after the AWS IoT exception it corresponds to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter breaks a rule or a quota; the message says which (`InvalidRequestException`).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// No such job, thing, group or execution (`ResourceNotFoundException`).
    #[error("not found: {0}")]
    ResourceNotFound(String),
    /// The job id (or thing, group) is taken (`ResourceAlreadyExistsException`).
    #[error("already exists: {0}")]
    ResourceAlreadyExists(String),
    /// An account quota (`LimitExceededException`).
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    /// The operation is not allowed in the current status (`InvalidStateTransitionException`).
    #[error("invalid state transition: {0}")]
    InvalidStateTransition(String),
    /// `expectedVersion` did not match (`VersionConflictException`).
    #[error("version conflict: expected {expected}, found {actual}")]
    VersionConflict {
        /// What the caller expected.
        expected: u64,
        /// What is stored.
        actual: u64,
    },
}

/// A device-plane rejection: the payload of a Jobs `…/rejected` reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct DataPlaneError {
    /// The AWS error code.
    pub code: ErrorCode,
    /// Human-readable detail.
    pub message: String,
    /// The execution's state, for `InvalidStateTransition` and `VersionMismatch`.
    pub execution_state: Option<ExecutionState>,
}

impl DataPlaneError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            execution_state: None,
        }
    }

    pub(crate) fn with_state(mut self, state: ExecutionState) -> Self {
        self.execution_state = Some(state);
        self
    }
}
