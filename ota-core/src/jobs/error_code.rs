//! The `/rejected` reply of every Jobs request: `ErrorResponse` and its nine codes.

use core::fmt;

use super::response::ExecutionState;
use crate::json::JsonStr;

/// The `code` of a Jobs `ErrorResponse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum ErrorCode {
    /// The topic is in the Jobs namespace but maps to no API.
    InvalidTopic,
    /// The request is not valid UTF-8 JSON.
    InvalidJson,
    /// The request is malformed (e.g. invalid `statusDetails`).
    InvalidRequest,
    /// The update is not allowed from the execution's current status.
    InvalidStateTransition,
    /// No such job execution.
    ResourceNotFound,
    /// `expectedVersion` did not match the stored version.
    VersionMismatch,
    /// The service failed internally.
    InternalError,
    /// The request was throttled.
    RequestThrottled,
    /// A describe of an execution that is in a terminal status.
    TerminalStateReached,
    /// Any other code (kept so that a new service code is not a parse failure).
    #[serde(other)]
    Unknown,
}

/// What a device should do about a rejected request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorAction {
    /// A bug in the request: log it; resending the same request will fail again.
    Report,
    /// Transient: resend after a backoff.
    RetryLater,
    /// The execution moved on (another writer, or a reconnect race): describe it again
    /// and decide from its current state. Not a failure.
    Redescribe,
    /// The job is finished, cancelled or gone: stop working on it and clean up.
    Abandon,
}

impl ErrorCode {
    /// Every code AWS documents, in wire-table order (all but [`ErrorCode::Unknown`]).
    pub const KNOWN: [Self; 9] = [
        Self::InvalidTopic,
        Self::InvalidJson,
        Self::InvalidRequest,
        Self::InvalidStateTransition,
        Self::ResourceNotFound,
        Self::VersionMismatch,
        Self::InternalError,
        Self::RequestThrottled,
        Self::TerminalStateReached,
    ];

    /// The wire name, e.g. `VersionMismatch`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidTopic => "InvalidTopic",
            Self::InvalidJson => "InvalidJson",
            Self::InvalidRequest => "InvalidRequest",
            Self::InvalidStateTransition => "InvalidStateTransition",
            Self::ResourceNotFound => "ResourceNotFound",
            Self::VersionMismatch => "VersionMismatch",
            Self::InternalError => "InternalError",
            Self::RequestThrottled => "RequestThrottled",
            Self::TerminalStateReached => "TerminalStateReached",
            Self::Unknown => "Unknown",
        }
    }

    /// The recommended device reaction (jobs protocol reference §4).
    pub const fn action(self) -> ErrorAction {
        match self {
            Self::InternalError | Self::RequestThrottled => ErrorAction::RetryLater,
            Self::VersionMismatch => ErrorAction::Redescribe,
            Self::InvalidStateTransition | Self::ResourceNotFound | Self::TerminalStateReached => {
                ErrorAction::Abandon
            }
            Self::InvalidTopic | Self::InvalidJson | Self::InvalidRequest | Self::Unknown => {
                ErrorAction::Report
            }
        }
    }

    /// True when resending after a backoff may succeed.
    pub const fn is_retryable(self) -> bool {
        matches!(self.action(), ErrorAction::RetryLater)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The payload of every Jobs `…/rejected` topic.
///
/// `execution_state` is present only for `InvalidStateTransition` and `VersionMismatch`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorResponse<'a> {
    /// Echo of the request's token.
    #[serde(borrow)]
    pub client_token: Option<JsonStr<'a>>,
    /// Seconds since the Unix epoch.
    #[serde(default)]
    pub timestamp: u64,
    /// The current state, for `InvalidStateTransition` and `VersionMismatch`.
    #[serde(borrow)]
    pub execution_state: Option<ExecutionState<'a>>,
    /// What went wrong.
    pub code: ErrorCode,
    /// Human-readable detail, as written (decoded when read: it often quotes).
    #[serde(borrow, default)]
    pub message: JsonStr<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::JobExecutionStatus;

    #[test]
    fn parses_the_ministack_version_mismatch_reply() {
        let json = br#"{"clientToken":"tok-up-stale","timestamp":1795848872,"executionState":{"status":"IN_PROGRESS","statusDetails":{"step":"downloading","pct":"40"},"versionNumber":3},"code":"VersionMismatch","message":"Expected version 1 but found version 3"}"#;
        let e: ErrorResponse<'_> = crate::json::from_slice(json).unwrap();
        assert_eq!(e.code, ErrorCode::VersionMismatch);
        assert_eq!(e.code.action(), ErrorAction::Redescribe);
        let state = e.execution_state.unwrap();
        assert_eq!(state.status, JobExecutionStatus::InProgress);
        assert_eq!(state.version_number, 3);
        assert_eq!(state.status_details.unwrap().get("pct").unwrap(), "40");
        assert_eq!(e.client_token.unwrap(), "tok-up-stale");
    }

    #[test]
    fn all_nine_codes_and_unknown() {
        let codes = [
            ("InvalidTopic", ErrorAction::Report),
            ("InvalidJson", ErrorAction::Report),
            ("InvalidRequest", ErrorAction::Report),
            ("InvalidStateTransition", ErrorAction::Abandon),
            ("ResourceNotFound", ErrorAction::Abandon),
            ("VersionMismatch", ErrorAction::Redescribe),
            ("InternalError", ErrorAction::RetryLater),
            ("RequestThrottled", ErrorAction::RetryLater),
            ("TerminalStateReached", ErrorAction::Abandon),
        ];
        for (name, action) in codes {
            let json = std::format!(r#"{{"code":"{name}","message":"m","timestamp":1}}"#);
            let e: ErrorResponse<'_> = crate::json::from_slice(json.as_bytes()).unwrap();
            assert_eq!(e.code.as_str(), name);
            assert_eq!(e.code.action(), action);
            assert_eq!(
                serde_json::to_string(&e.code).unwrap(),
                std::format!("\"{name}\"")
            );
        }
        let e: ErrorResponse<'_> =
            crate::json::from_slice(br#"{"code":"SomethingNew","message":"","timestamp":1}"#)
                .unwrap();
        assert_eq!(e.code, ErrorCode::Unknown);
    }
}
