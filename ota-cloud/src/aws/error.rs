//! AWS SDK errors as this crate's: [`service`] for the control plane and the registry,
//! [`data_plane`] for the Jobs data plane, both by the exception's code, so that one mapping
//! covers every operation.

use aws_sdk_iot::error::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use ota_core::jobs::ErrorCode;

use crate::error::{DataPlaneError, ServiceError};

/// What went wrong, independent of the plane.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// The service answered with an exception code.
    Code(String),
    /// The request never got an answer (connection, timeout) or could not be signed.
    Transport { credentials: bool },
    /// The answer could not be read.
    Response,
}

fn kind<E, R>(err: &SdkError<E, R>) -> Kind
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: core::fmt::Debug,
{
    match err {
        SdkError::ServiceError(e) => Kind::Code(e.err().code().unwrap_or("").to_string()),
        SdkError::ResponseError(_) => Kind::Response,
        _ => {
            let text = format!("{}", DisplayErrorContext(err)).to_ascii_lowercase();
            Kind::Transport {
                credentials: text.contains("credential") || text.contains("identity"),
            }
        }
    }
}

/// One line: the operation, the code and the service's message (or the SDK's error chain).
fn describe<E, R>(operation: &str, err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: core::fmt::Debug,
{
    match err {
        SdkError::ServiceError(e) => {
            let code = e.err().code().unwrap_or("unknown error");
            match e.err().message() {
                Some(message) => format!("{operation}: {code}: {message}"),
                None => format!("{operation}: {code}"),
            }
        }
        other => format!("{operation}: {}", DisplayErrorContext(other)),
    }
}

/// The codes AWS (and its SDKs' retry classifiers) use for throttling.
const THROTTLING: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "RequestThrottled",
];
/// Codes for missing, invalid or expired credentials, or a permission refused.
const DENIED: &[&str] = &[
    "AccessDeniedException",
    "AccessDenied",
    "UnauthorizedException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "ExpiredTokenException",
    "ExpiredToken",
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    "ForbiddenException",
    "CertificateValidationException",
];
/// Codes for the service failing on its side.
const UNAVAILABLE: &[&str] = &[
    "ServiceUnavailableException",
    "ServiceUnavailable",
    "InternalFailureException",
    "InternalFailure",
    "InternalException",
    "InternalServerException",
    "InternalError",
];

/// A control-plane or registry error.
pub(crate) fn service<E, R>(operation: &str, err: SdkError<E, R>) -> ServiceError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: core::fmt::Debug,
{
    let message = describe(operation, &err);
    match kind(&err) {
        Kind::Code(code) => service_code(&code, message),
        Kind::Transport { credentials: true } => ServiceError::AccessDenied(message),
        Kind::Transport { credentials: false } => ServiceError::Unavailable(message),
        Kind::Response => ServiceError::Unexpected(message),
    }
}

fn service_code(code: &str, message: String) -> ServiceError {
    if is_unsupported(&message) {
        return ServiceError::Unsupported(message);
    }
    match code {
        "InvalidRequestException"
        | "ValidationException"
        | "InvalidQueryException"
        | "InvalidAggregationException"
        | "MalformedPolicyDocument" => ServiceError::InvalidRequest(message),
        "ResourceNotFoundException" | "NoSuchBucket" | "NoSuchKey" | "NoSuchUpload" => {
            ServiceError::ResourceNotFound(message)
        }
        "ResourceAlreadyExistsException" | "BucketAlreadyExists" => {
            ServiceError::ResourceAlreadyExists(message)
        }
        "LimitExceededException" => ServiceError::LimitExceeded(message),
        "InvalidStateTransitionException" | "ConflictingResourceUpdateException" => {
            ServiceError::InvalidStateTransition(message)
        }
        "VersionConflictException" | "ConflictException" => ServiceError::InvalidRequest(message),
        "IndexNotReadyException" | "InvalidOperationException" => {
            ServiceError::Unsupported(message)
        }
        c if THROTTLING.contains(&c) => ServiceError::Throttled(message),
        c if DENIED.contains(&c) => ServiceError::AccessDenied(message),
        c if UNAVAILABLE.contains(&c) => ServiceError::Unavailable(message),
        _ => ServiceError::Unexpected(message),
    }
}

/// An emulator's answer to an API it does not have (MiniStack: `InvalidRequestException`,
/// "Unsupported IoT path: POST /dynamic-thing-groups/x").
fn is_unsupported(message: &str) -> bool {
    message.contains("Unsupported IoT path") || message.contains("not yet implemented")
}

/// A Jobs data-plane error, as the `…/rejected` reply MQTT would have carried. Transport
/// failures and unreadable answers are `InternalError` with the reason in the message
/// (the data plane's codes have nothing closer).
pub(crate) fn data_plane<E, R>(operation: &str, err: SdkError<E, R>) -> DataPlaneError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: core::fmt::Debug,
{
    let message = describe(operation, &err);
    let code = match kind(&err) {
        Kind::Code(code) => match code.as_str() {
            "InvalidRequestException" | "CertificateValidationException" => {
                ErrorCode::InvalidRequest
            }
            "ResourceNotFoundException" => ErrorCode::ResourceNotFound,
            "InvalidStateTransitionException" => ErrorCode::InvalidStateTransition,
            "TerminalStateException" => ErrorCode::TerminalStateReached,
            "ConflictException" | "VersionMismatch" => ErrorCode::VersionMismatch,
            c if THROTTLING.contains(&c) => ErrorCode::RequestThrottled,
            _ => ErrorCode::InternalError,
        },
        Kind::Transport { .. } | Kind::Response => ErrorCode::InternalError,
    };
    DataPlaneError::new(code, message)
}

/// An answer without a field AWS always sends.
pub(crate) fn missing(operation: &str, field: &str) -> ServiceError {
    ServiceError::Unexpected(format!("{operation}: the answer has no {field}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_codes_map_to_typed_errors() {
        type Check = fn(&ServiceError) -> bool;
        let m = || "op: m".to_string();
        let cases: [(&str, Check); 10] = [
            ("InvalidRequestException", |e| {
                matches!(e, ServiceError::InvalidRequest(_))
            }),
            ("ResourceNotFoundException", |e| {
                matches!(e, ServiceError::ResourceNotFound(_))
            }),
            ("ResourceAlreadyExistsException", |e| {
                matches!(e, ServiceError::ResourceAlreadyExists(_))
            }),
            ("LimitExceededException", |e| {
                matches!(e, ServiceError::LimitExceeded(_))
            }),
            ("InvalidStateTransitionException", |e| {
                matches!(e, ServiceError::InvalidStateTransition(_))
            }),
            ("ThrottlingException", |e| {
                matches!(e, ServiceError::Throttled(_))
            }),
            ("ExpiredTokenException", |e| {
                matches!(e, ServiceError::AccessDenied(_))
            }),
            ("UnauthorizedException", |e| {
                matches!(e, ServiceError::AccessDenied(_))
            }),
            ("ServiceUnavailableException", |e| {
                matches!(e, ServiceError::Unavailable(_))
            }),
            ("SomethingNewException", |e| {
                matches!(e, ServiceError::Unexpected(_))
            }),
        ];
        for (code, ok) in cases {
            let e = service_code(code, m());
            assert!(ok(&e), "{code}: {e:?}");
        }
        assert!(matches!(
            service_code(
                "InvalidRequestException",
                "CreateStream: InvalidRequestException: Unsupported IoT path: POST /streams/s"
                    .into()
            ),
            ServiceError::Unsupported(_)
        ));
        assert!(service_code("ThrottlingException", m()).is_transient());
        assert!(!service_code("InvalidRequestException", m()).is_transient());
    }
}
