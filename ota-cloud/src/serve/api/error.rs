//! [`ApiError`]: every refusal of the admin API as an HTTP status and a JSON body
//! `{"code": ..., "message": ...}`, the code named as AWS names its exceptions.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::campaign::CampaignError;
use crate::error::ServiceError;
use crate::serve::artifacts::ArtifactError;
use crate::serve::releases::ReleaseError;

/// A refused request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidRequestException", message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "ResourceNotFoundException", message)
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "ConflictException", message)
    }

    pub(crate) fn unavailable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailableException",
            message,
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "code": self.code, "message": self.message });
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let message = e.to_string();
        let (status, code) = match &e {
            ServiceError::InvalidRequest(_)
            | ServiceError::InvalidFleetRequest(_)
            | ServiceError::InvalidStatusDetails(_)
            | ServiceError::NotExpressible(_) => {
                (StatusCode::BAD_REQUEST, "InvalidRequestException")
            }
            ServiceError::ResourceNotFound(_) => {
                (StatusCode::NOT_FOUND, "ResourceNotFoundException")
            }
            ServiceError::ResourceAlreadyExists(_) => {
                (StatusCode::CONFLICT, "ResourceAlreadyExistsException")
            }
            ServiceError::LimitExceeded(_) => (StatusCode::CONFLICT, "LimitExceededException"),
            ServiceError::InvalidStateTransition(_) => {
                (StatusCode::CONFLICT, "InvalidStateTransitionException")
            }
            ServiceError::VersionConflict { .. } => {
                (StatusCode::CONFLICT, "VersionConflictException")
            }
            ServiceError::Throttled(_) => (StatusCode::TOO_MANY_REQUESTS, "ThrottlingException"),
            ServiceError::AccessDenied(_) => (StatusCode::FORBIDDEN, "AccessDeniedException"),
            ServiceError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailableException",
            ),
            ServiceError::Unsupported(_) => (StatusCode::NOT_IMPLEMENTED, "UnsupportedException"),
            _ => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalFailureException",
            ),
        };
        Self::new(status, code, message)
    }
}

impl From<CampaignError> for ApiError {
    fn from(e: CampaignError) -> Self {
        match e {
            CampaignError::Service { source, .. } => source.into(),
            CampaignError::Spec(_) | CampaignError::MissingApprover => {
                Self::bad_request(e.to_string())
            }
            CampaignError::UnknownStage(_) => Self::not_found(e.to_string()),
            CampaignError::GroupTaken(_)
            | CampaignError::JobTaken(_)
            | CampaignError::NotAwaitingApproval(_)
            | CampaignError::Finished(_)
            | CampaignError::StepUnderWay => Self::conflict(e.to_string()),
            _ => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalFailureException",
                e.to_string(),
            ),
        }
    }
}

impl From<ArtifactError> for ApiError {
    fn from(e: ArtifactError) -> Self {
        match e {
            ArtifactError::BadName(_) => Self::bad_request(e.to_string()),
            ArtifactError::NotFound(_) => Self::not_found(e.to_string()),
            ArtifactError::Exists(_) => Self::conflict(e.to_string()),
            _ => Self::unavailable(e.to_string()),
        }
    }
}

impl From<ReleaseError> for ApiError {
    fn from(e: ReleaseError) -> Self {
        match e {
            ReleaseError::Catalog(_) | ReleaseError::BadId(_) => {
                if matches!(
                    e,
                    ReleaseError::Catalog(crate::catalog::CatalogError::DuplicateId(_))
                ) {
                    Self::new(
                        StatusCode::CONFLICT,
                        "ResourceAlreadyExistsException",
                        e.to_string(),
                    )
                } else {
                    Self::bad_request(e.to_string())
                }
            }
            _ => Self::unavailable(e.to_string()),
        }
    }
}
