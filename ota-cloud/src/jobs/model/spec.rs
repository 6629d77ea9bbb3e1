//! `CreateJob`'s input: [`JobSpec`].

use serde::{Deserialize, Serialize};

use super::rollout::{AbortConfig, RetryConfig, RolloutConfig, TimeoutConfig};
use super::target::Target;
use crate::schedule::SchedulingConfig;

/// Which things a job covers over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetSelection {
    /// The members at creation; the job completes when all their executions are terminal.
    #[default]
    Snapshot,
    /// Also things that join a target group later; never completes on its own. A thing that
    /// leaves the group gets `REMOVED`.
    Continuous,
}

/// A job to create, in `CreateJob`'s terms.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSpec {
    /// 1-64 characters of `[a-zA-Z0-9_-]`.
    pub job_id: String,
    /// Things and thing groups, at most 100.
    pub targets: Vec<Target>,
    /// The job document (JSON text, at most 32 KB).
    pub document: String,
    /// Free text.
    pub description: Option<String>,
    /// Snapshot (default) or continuous.
    #[serde(default)]
    pub target_selection: TargetSelection,
    /// Rollout rate and ramp.
    pub job_executions_rollout_config: Option<RolloutConfig>,
    /// Abort criteria.
    pub abort_config: Option<AbortConfig>,
    /// In-progress timeout.
    pub timeout_config: Option<TimeoutConfig>,
    /// Retries.
    pub job_executions_retry_config: Option<RetryConfig>,
    /// Start, end and maintenance windows.
    pub scheduling_config: Option<SchedulingConfig>,
    /// How AWS pre-signs `${aws:iot:s3-presigned-url:...}` placeholders in the document: the
    /// role it assumes and how long a URL lives. Required by AWS for such documents; the
    /// in-memory engine checks it and stores it, and does not pre-sign (its gateway serves
    /// documents as they are).
    pub presigned_url_config: Option<PresignedUrlConfig>,
}

/// `presignedUrlConfig`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PresignedUrlConfig {
    /// The IAM role AWS IoT assumes to pre-sign (it needs `s3:GetObject` on the object).
    pub role_arn: String,
    /// Seconds a pre-signed URL stays valid, 60..=3600 (AWS's default 3600).
    pub expires_in_sec: Option<u32>,
}

impl JobSpec {
    /// A snapshot job over `targets` with `document` and nothing else configured.
    pub fn new(
        job_id: impl Into<String>,
        targets: Vec<Target>,
        document: impl Into<String>,
    ) -> Self {
        Self {
            job_id: job_id.into(),
            targets,
            document: document.into(),
            description: None,
            target_selection: TargetSelection::Snapshot,
            job_executions_rollout_config: None,
            abort_config: None,
            timeout_config: None,
            job_executions_retry_config: None,
            scheduling_config: None,
            presigned_url_config: None,
        }
    }

    /// This spec with `rollout` as its `jobExecutionsRolloutConfig`.
    #[must_use]
    pub fn with_rollout(mut self, rollout: RolloutConfig) -> Self {
        self.job_executions_rollout_config = Some(rollout);
        self
    }
}
