//! The options of the two cancellations: [`CancelJob`] and [`CancelExecution`].

use super::execution::StatusDetails;

/// CancelJob's options (besides the job).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelJob {
    /// The job's `reasonCode`: 1-128 of `[A-Z0-9_]`.
    pub reason_code: Option<String>,
    /// The job's `comment`.
    pub comment: Option<String>,
    /// Also cancel `IN_PROGRESS` executions (devices can then no longer update them).
    /// Default false.
    #[serde(default)]
    pub force: bool,
}

impl CancelJob {
    /// Without force, with `reason_code` and no comment.
    pub fn because(reason_code: impl Into<String>) -> Self {
        Self {
            reason_code: Some(reason_code.into()),
            ..Self::default()
        }
    }

    /// With force, without reason code or comment.
    pub fn forced() -> Self {
        Self {
            force: true,
            ..Self::default()
        }
    }
}

/// CancelJobExecution's options (besides the job and the thing).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelExecution {
    /// Also cancel an `IN_PROGRESS` execution. Default false.
    #[serde(default)]
    pub force: bool,
    /// Refuse unless the execution is at this version.
    pub expected_version: Option<u64>,
    /// Replaces the execution's details when given.
    pub status_details: Option<StatusDetails>,
}

impl CancelExecution {
    /// With force, without version check or details.
    pub fn forced() -> Self {
        Self {
            force: true,
            ..Self::default()
        }
    }
}
