//! What a campaign reports: [`CampaignEvent`]s in an append-only log ([`Logged`]), the
//! devices it refused ([`Refusal`]) and the approvals given ([`Approval`]).

use ota_core::version::VersionError;

use super::gate::{GateFailure, StageCounts};
use crate::catalog::Incompatibility;

/// Why a device was left out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum RefusalReason {
    /// The catalog says it cannot take the release.
    #[error(transparent)]
    Incompatible(#[from] Incompatibility),
    /// It lacks the hardware or version attribute.
    #[error("attribute {0} is missing")]
    MissingAttribute(String),
    /// Its version attribute is not a semantic version.
    #[error("version attribute {value:?}: {error}")]
    InvalidVersion {
        /// The attribute's value.
        value: String,
        /// Why it does not parse.
        error: VersionError,
    },
    /// The registry does not know it (or it was deleted).
    #[error("no such thing")]
    UnknownThing,
}

/// A device the campaign left out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Refusal {
    /// The thing.
    pub thing: String,
    /// The stage whose start re-checked it, or `None` when refused while planning.
    pub stage: Option<String>,
    /// Why.
    pub reason: RefusalReason,
    /// When (the `now` of the step).
    pub at: u64,
}

/// An operator's approval of a manual gate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Approval {
    /// The stage.
    pub stage: String,
    /// Who.
    pub by: String,
    /// Why, or anything they want on record.
    pub remark: String,
    /// When.
    pub at: u64,
}

/// Something a campaign did or saw.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum CampaignEvent {
    /// Targets resolved and devices dealt to stages.
    Planned {
        /// Devices that can take the release.
        eligible: usize,
        /// Devices refused.
        refused: usize,
        /// Eligible devices no stage took.
        unassigned: usize,
    },
    /// A device was left out.
    Refused {
        /// The thing.
        thing: String,
        /// Why.
        reason: RefusalReason,
    },
    /// A stage's job was created.
    StageStarted {
        /// The stage.
        stage: String,
        /// Its job.
        job_id: String,
        /// Devices in it.
        devices: usize,
    },
    /// A stage had no devices left (none matched, or all were refused): no job.
    StageSkipped {
        /// The stage.
        stage: String,
    },
    /// The success condition holds; the soak runs until `until`.
    SoakStarted {
        /// The stage.
        stage: String,
        /// Unix ms.
        until: u64,
    },
    /// The gate waits for [`super::Campaign::approve`].
    AwaitingApproval {
        /// The stage.
        stage: String,
    },
    /// An operator approved.
    Approved {
        /// The stage.
        stage: String,
        /// Who.
        by: String,
    },
    /// The gate passed; the next stage may start.
    GatePassed {
        /// The stage.
        stage: String,
        /// Its counts then.
        counts: StageCounts,
    },
    /// The gate failed: the campaign stops.
    GateFailed {
        /// The stage.
        stage: String,
        /// Why.
        failure: GateFailure,
    },
    /// A stage's job was cancelled (without force: `QUEUED` executions are cancelled,
    /// `IN_PROGRESS` ones finish).
    JobCanceled {
        /// The job.
        job_id: String,
    },
    /// [`super::Campaign::pause`].
    Paused,
    /// [`super::Campaign::resume`].
    Resumed,
    /// Every gate passed (or its stage was skipped) and every stage job completed.
    Completed,
    /// The rollback campaign was created.
    RolledBack {
        /// Its id.
        rollback_campaign: String,
        /// Devices it targets.
        devices: usize,
    },
    /// Rollback was due but no device had taken the release.
    NothingToRollBack,
    /// An event of the rollback campaign this campaign started.
    Rollback {
        /// The rollback campaign.
        campaign: String,
        /// Its event.
        event: Box<Self>,
    },
}

/// An event with its time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Logged {
    /// Unix ms: the `now` of the call that produced it.
    pub at: u64,
    /// What happened.
    pub event: CampaignEvent,
}
