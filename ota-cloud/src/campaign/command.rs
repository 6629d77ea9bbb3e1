//! The service calls a campaign asks for ([`Command`]) and their answers ([`Reply`]), and
//! [`execute`], which makes one over any [`CampaignServices`] (a [`JobService`] +
//! [`FleetService`], or one of each).
//!
//! A backend that is not async (the in-memory engine, a simulator) or that batches calls
//! (the AWS backend) executes commands itself: each maps to one trait call, and its reply
//! to one [`Reply`] variant, as [`execute`] shows.

use ota_core::jobs::JobExecutionStatus;
use serde::{Deserialize, Serialize};

use super::CampaignServices;
use crate::error::ServiceError;
use crate::jobs::model::{CancelJob, Job, JobSpec};
use crate::service::{FleetService, JobService, Thing};

/// One service call a campaign needs made, named after the AWS API it corresponds to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Command {
    /// `ListThingsInThingGroup`, nested groups included: answer [`Reply::Members`].
    ListGroupMembers {
        /// The group.
        group: String,
    },
    /// `DescribeThing`: answer [`Reply::Thing`].
    DescribeThing {
        /// The thing.
        thing: String,
    },
    /// `CreateThingGroup` without a parent: answer [`Reply::Done`].
    CreateGroup {
        /// The group.
        group: String,
    },
    /// `AddThingToThingGroup`: answer [`Reply::Done`].
    AddThingToGroup {
        /// The group.
        group: String,
        /// The thing.
        thing: String,
    },
    /// `CreateJob`: answer [`Reply::Done`].
    CreateJob {
        /// The job.
        spec: Box<JobSpec>,
    },
    /// `DescribeJob`: answer [`Reply::Job`].
    DescribeJob {
        /// The job.
        job_id: String,
    },
    /// `CancelJob` without force: answer [`Reply::Done`].
    CancelJob {
        /// The job.
        job_id: String,
        /// Its `reasonCode`.
        reason_code: String,
        /// Its `comment`.
        comment: String,
    },
    /// `ListJobExecutionsForJob` with status `SUCCEEDED`: answer [`Reply::Things`].
    ListSucceeded {
        /// The job.
        job_id: String,
    },
}

impl Command {
    /// The AWS operation's name, for errors and logs.
    pub fn operation(&self) -> &'static str {
        match self {
            Self::ListGroupMembers { .. } => "ListThingsInThingGroup",
            Self::DescribeThing { .. } => "DescribeThing",
            Self::CreateGroup { .. } => "CreateThingGroup",
            Self::AddThingToGroup { .. } => "AddThingToThingGroup",
            Self::CreateJob { .. } => "CreateJob",
            Self::DescribeJob { .. } => "DescribeJob",
            Self::CancelJob { .. } => "CancelJob",
            Self::ListSucceeded { .. } => "ListJobExecutionsForJob",
        }
    }

    /// The resource it is about (a group, thing or job id), for errors.
    pub fn resource(&self) -> &str {
        match self {
            Self::ListGroupMembers { group } | Self::CreateGroup { group } => group,
            Self::DescribeThing { thing } | Self::AddThingToGroup { thing, .. } => thing,
            Self::CreateJob { spec } => &spec.job_id,
            Self::DescribeJob { job_id }
            | Self::CancelJob { job_id, .. }
            | Self::ListSucceeded { job_id } => job_id,
        }
    }
}

/// The answer to a [`Command`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Reply {
    /// The group's members.
    Members(Vec<String>),
    /// The thing.
    Thing(Thing),
    /// The call succeeded and there is nothing to read.
    Done,
    /// The job.
    Job(Box<Job>),
    /// Thing names (of the succeeded executions).
    Things(Vec<String>),
    /// The call failed.
    Failed(ServiceError),
}

impl<T> From<Result<T, ServiceError>> for Reply
where
    Self: From<T>,
{
    fn from(result: Result<T, ServiceError>) -> Self {
        result.map_or_else(Self::Failed, Self::from)
    }
}

impl From<()> for Reply {
    fn from((): ()) -> Self {
        Self::Done
    }
}

impl From<Thing> for Reply {
    fn from(thing: Thing) -> Self {
        Self::Thing(thing)
    }
}

impl From<Job> for Reply {
    fn from(job: Job) -> Self {
        Self::Job(Box::new(job))
    }
}

/// Make `command` over the service traits.
pub async fn execute<S>(svc: &S, command: &Command) -> Reply
where
    S: CampaignServices + ?Sized,
{
    let (jobs, fleet) = (svc.jobs(), svc.fleet());
    match command {
        Command::ListGroupMembers { group } => fleet
            .list_group_members(group)
            .await
            .map_or_else(Reply::Failed, Reply::Members),
        Command::DescribeThing { thing } => fleet.describe_thing(thing).await.into(),
        Command::CreateGroup { group } => fleet.create_group(group, None).await.into(),
        Command::AddThingToGroup { group, thing } => {
            fleet.add_thing_to_group(group, thing).await.into()
        }
        Command::CreateJob { spec } => jobs.create_job((**spec).clone()).await.map(drop).into(),
        Command::DescribeJob { job_id } => jobs.describe_job(job_id).await.into(),
        Command::CancelJob {
            job_id,
            reason_code,
            comment,
        } => {
            let cancel = CancelJob {
                comment: Some(comment.clone()),
                ..CancelJob::because(reason_code)
            };
            jobs.cancel_job(job_id, cancel).await.map(drop).into()
        }
        Command::ListSucceeded { job_id } => jobs
            .list_job_executions_for_job(job_id, Some(JobExecutionStatus::Succeeded))
            .await
            .map_or_else(Reply::Failed, |list| {
                Reply::Things(list.into_iter().map(|s| s.thing_name).collect())
            }),
    }
}
