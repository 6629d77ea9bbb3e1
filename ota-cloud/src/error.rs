//! The crate's one error type ([`Error`]), and the two the service traits return: the
//! control plane's ([`ServiceError`], named after AWS IoT's exceptions) and the device
//! plane's ([`DataPlaneError`], a Jobs `…/rejected` reply).

use ota_core::jobs::{DetailsError, ErrorCode};

use crate::campaign::{CampaignError, SpecError};
use crate::catalog::{CatalogError, RequirementError};
use crate::fleet::FleetError;
use crate::jobs::DocumentTooLong;
use crate::jobs::model::ExecutionState;
use crate::release::ReleaseError;
use crate::schedule::{CronError, ScheduleError};
use crate::signing::SigningError;

/// Any error from this crate, by module. Each module returns its own precise type; this one
/// exists so callers can use `?` across modules (a release pipeline that signs, builds a
/// document, creates a campaign and steps it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A control-plane call failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// A device-plane call was rejected.
    #[error(transparent)]
    DataPlane(#[from] DataPlaneError),
    /// A registry operation was refused.
    #[error(transparent)]
    Fleet(#[from] FleetError),
    /// A schedule or maintenance window was refused.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// A cron expression was refused.
    #[error(transparent)]
    Cron(#[from] CronError),
    /// A job document is over AWS's size limit.
    #[error(transparent)]
    DocumentTooLong(#[from] DocumentTooLong),
    /// A catalog operation was refused.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// A version requirement did not parse.
    #[error(transparent)]
    Requirement(#[from] RequirementError),
    /// A campaign spec was refused.
    #[error(transparent)]
    CampaignSpec(#[from] SpecError),
    /// A campaign operation failed.
    #[error(transparent)]
    Campaign(#[from] CampaignError),
    /// A key could not be read, made or used.
    #[error(transparent)]
    Signing(#[from] SigningError),
    /// A release document could not be built.
    #[error(transparent)]
    Release(#[from] ReleaseError),
    /// An `ota-core` error (a version, a document, a signature).
    #[error(transparent)]
    Core(#[from] ota_core::Error),
}

/// A control-plane error, named after the AWS IoT exception it corresponds to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// A parameter breaks a rule or a quota; the message says which (`InvalidRequestException`).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A registry request the fleet refuses: a name, an attribute, a query, a limit
    /// (`InvalidRequestException`).
    #[error("invalid request: {0}")]
    InvalidFleetRequest(#[source] FleetError),
    /// `statusDetails` breaks AWS's rules (`InvalidRequestException`).
    #[error("invalid request: statusDetails: {0}")]
    InvalidStatusDetails(#[source] DetailsError),
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
    /// A remote backend throttled the call and its retries ran out (`ThrottlingException`).
    /// Transient: the same call may succeed later.
    #[error("throttled: {0}")]
    Throttled(String),
    /// A remote backend refused the caller: no credentials, expired or invalid ones, or no
    /// permission (`AccessDeniedException`, `UnauthorizedException`, `ExpiredTokenException`, ...).
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// A remote backend could not be reached or failed on its side (a connection refused, a
    /// timeout, `ServiceUnavailableException`, `InternalFailureException`). Transient.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The backend does not implement the operation (an emulator without the API, a
    /// feature the account does not have).
    #[error("not supported by this backend: {0}")]
    Unsupported(String),
    /// The spec asks for something the backend cannot express (an extension AWS does not
    /// have, say); nothing was sent.
    #[error("not expressible on this backend: {0}")]
    NotExpressible(String),
    /// A remote backend answered something this crate cannot read, or an error it does not
    /// know; the message names the operation and the service's error code.
    #[error("unexpected answer: {0}")]
    Unexpected(String),
}

impl ServiceError {
    /// Whether the same call may succeed if made again later unchanged: throttling and an
    /// unreachable or failing service. Says nothing about whether the failed call had an
    /// effect (a create that timed out may have been done: creates are checked, not
    /// repeated blindly, by callers such as campaigns).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Throttled(_) | Self::Unavailable(_))
    }
}

/// A device-plane rejection: the payload of a Jobs `…/rejected` reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
#[non_exhaustive]
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
