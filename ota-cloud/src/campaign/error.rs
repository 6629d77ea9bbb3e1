//! What can go wrong: a spec refused up front ([`SpecError`]), or a campaign operation
//! ([`CampaignError`]).

use ota_core::version::Version;

use crate::error::ServiceError;

/// Why a [`super::CampaignSpec`] was refused. Nothing was created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// A campaign id or stage name is empty or has a character outside `[a-zA-Z0-9_-]`.
    #[error("name {name:?}: {why}")]
    BadName {
        /// The name (its first 80 characters).
        name: String,
        /// What is wrong.
        why: &'static str,
    },
    /// A stage's job id `{campaign}-{stage}` would be longer than 64 characters.
    #[error("job id {0} would be longer than 64 characters")]
    IdTooLong(String),
    /// No stages.
    #[error("a campaign needs at least one stage")]
    NoStages,
    /// An empty thing list.
    #[error("a campaign needs at least one target")]
    NoTargets,
    /// Two stages share a name.
    #[error("stage name {0} is used twice")]
    DuplicateStage(String),
    /// A stage's size or gate is unusable.
    #[error("stage {stage}: {why}")]
    BadStage {
        /// The stage.
        stage: String,
        /// What is wrong.
        why: &'static str,
    },
    /// A stage's job would break an AWS IoT Jobs rule or quota (document not JSON or too
    /// long, rollout rate, retries, …): found before anything is created.
    #[error("stage {stage}: {message}")]
    InvalidJob {
        /// The stage (`{campaign}-{stage}` for the rollback's stages).
        stage: String,
        /// What the rule says.
        message: String,
    },
    /// The release (or the rollback release) is not the catalog's entry of its id.
    #[error("release {0} is not in the catalog, or differs from its entry")]
    NotInCatalog(String),
    /// Automatic rollback without a `previous` release.
    #[error("automatic rollback needs a previous release")]
    RollbackWithoutPrevious,
    /// The rollback release does not follow the release: devices would refuse it.
    #[error(
        "rollback release {previous} must be newer than {release}: devices refuse downgrades, \
         so re-sign the previous build under a higher version"
    )]
    RollbackNotNewer {
        /// The rollback release's version.
        previous: Box<Version>,
        /// The release's version.
        release: Box<Version>,
    },
    /// The rollback release is for another product.
    #[error("rollback release is for product {previous}, the release for {release}")]
    RollbackOtherProduct {
        /// The rollback release's product.
        previous: String,
        /// The release's product.
        release: String,
    },
}

/// Why a campaign operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CampaignError {
    /// The spec was refused.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// A service call failed; the campaign is unchanged past its last completed step, and
    /// the next `step` retries.
    #[error("{operation} {resource}: {source}")]
    Service {
        /// The AWS operation (`CreateJob`, `DescribeThing`, …).
        operation: &'static str,
        /// What it was called on.
        resource: String,
        /// The service's error.
        source: ServiceError,
    },
    /// A thing group `{campaign}-{stage}` exists and holds things outside the stage.
    #[error("thing group {0} exists with other members")]
    GroupTaken(String),
    /// A job `{campaign}-{stage}` exists with another target or document.
    #[error("job {0} exists with another target or document")]
    JobTaken(String),
    /// No stage has this name.
    #[error("no stage {0}")]
    UnknownStage(String),
    /// The stage is not waiting for an approval.
    #[error("stage {0} is not awaiting approval")]
    NotAwaitingApproval(String),
    /// An approval or a stop without the name of who made it.
    #[error("an approval or a stop needs the name of who makes it")]
    MissingApprover,
    /// The campaign has completed or stopped.
    #[error("campaign {0} has finished")]
    Finished(String),
    /// An operation that needs the campaign between steps was called while a step was under
    /// way (a step's call answered by nobody yet); step to the end first.
    #[error("a step is under way: finish it first")]
    StepUnderWay,
    /// [`super::Campaign::handle_reply`] without a call waiting for its answer.
    #[error("no service call is waiting for a reply")]
    NoCallPending,
    /// [`super::Campaign::handle_reply`] with a reply of another kind than the pending call
    /// answers (a `Thing` for a `DescribeJob`); the call is still pending.
    #[error("the reply does not answer the pending {operation} call")]
    UnexpectedReply {
        /// The pending call's AWS operation.
        operation: &'static str,
    },
}

impl CampaignError {
    pub(crate) fn service(operation: &'static str, resource: &str, source: ServiceError) -> Self {
        Self::Service {
            operation,
            resource: resource.to_string(),
            source,
        }
    }
}
