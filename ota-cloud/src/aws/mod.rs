//! The service traits on AWS (feature `aws`): [`AwsBackend`] implements [`JobService`] on
//! AWS IoT's control plane (`aws-sdk-iot`), [`DeviceJobs`] on the Jobs HTTPS data plane
//! (`aws-sdk-iotjobsdataplane`) and [`FleetService`] on the registry, and publishes release
//! images to S3 ([`AwsBackend::publish`], `aws-sdk-s3`) and as MQTT streams
//! ([`AwsBackend::create_stream`]).
//!
//! Credentials and region come from `aws-config`'s standard chain (environment, profile
//! files, SSO, web identity, ECS and EC2 metadata) unless [`AwsSettings`] gives them;
//! [`AwsSettings::endpoint_url`] points every client at one endpoint (an emulator such as
//! MiniStack). HTTPS goes through rustls on ring.
//!
//! What each call does on top of the SDK:
//! - `CreateJob` checks the spec against AWS's rules and quotas first ([`crate::check_spec`])
//!   and refuses what AWS cannot express (this crate's extensions: `maximumInFlight`, abort
//!   denominators and comparators other than the defaults) with
//!   [`ServiceError::NotExpressible`]: nothing is sent for a spec AWS would refuse. Targets are
//!   looked up by name (`DescribeThing`, `DescribeThingGroup`) so an unknown one is
//!   [`ServiceError::ResourceNotFound`] and ARNs carry the account's own partition, region and
//!   account. A target written as a full ARN ([`AwsBackend::resolve_target`]) must name the
//!   connection's partition, region and account ([`ServiceError::InvalidRequest`] otherwise).
//! - A create is idempotent by job id (`CreateJob` has no client token):
//!   [`AwsBackend::create_job_idempotent`] accepts an existing job with the same targets and
//!   document (a retried create that AWS had done).
//! - Every AWS exception maps to a [`ServiceError`] (control plane) or a [`DataPlaneError`]
//!   code (device plane); throttling is retried by the SDK's standard retry strategy
//!   ([`AwsSettings::max_attempts`]) before [`ServiceError::Throttled`] is returned.
//! - List calls follow every page.
//!
//! What it does not do: AWS's `DescribeJob` has no per-attempt counters, so [`Job::attempts`]
//! is zero; `DescribeJobExecution` has no retry count, so
//! [`JobExecution::retry_attempt`](crate::jobs::model::JobExecution::retry_attempt) is zero
//! there (the list calls carry it); `list_jobs` describes each job it lists (one call per
//! job). Devices normally use MQTT, not [`DeviceJobs`] over HTTPS; it is here for tools and
//! tests, at the data-plane endpoint the SDK resolves for the region.

/// Sends `$paginator` (a list call's `into_paginator()`) with `$backend`'s page size and runs
/// `$body` on every page's output as `$page`, returning from the enclosing function at the
/// first error (mapped by [`error::service`] with `$operation`).
macro_rules! each_page {
    ($backend:expr, $paginator:expr, $operation:literal, |$page:ident| $body:block) => {{
        let mut paginator = $paginator;
        if let Some(n) = $backend.page_size {
            paginator = paginator.page_size(n);
        }
        let mut pages = paginator.send();
        while let Some(page) = pages.next().await {
            let $page = page.map_err(|e| super::error::service($operation, e))?;
            $body
        }
    }};
}

mod connect;
mod device;
mod error;
mod fleet;
mod jobs;
mod lift;
mod lower;
mod publish;
mod stream;

pub use connect::{AwsSettings, StaticCredentials};
pub use publish::{MULTIPART_THRESHOLD, PART_SIZE, Published, S3Location};
pub use stream::CreatedStream;

#[cfg(doc)]
use crate::jobs::model::Job;
#[cfg(doc)]
use crate::service::{DeviceJobs, FleetService, JobService};
#[cfg(doc)]
use crate::{DataPlaneError, ServiceError};

/// AWS IoT Jobs, the registry and S3 behind the service traits. Cheap to clone (the SDK
/// clients are).
#[derive(Debug, Clone)]
pub struct AwsBackend {
    iot: aws_sdk_iot::Client,
    jobs: aws_sdk_iotjobsdataplane::Client,
    s3: aws_sdk_s3::Client,
    page_size: Option<i32>,
}

impl AwsBackend {
    /// The IoT control-plane client, for calls this crate does not wrap.
    pub fn iot(&self) -> &aws_sdk_iot::Client {
        &self.iot
    }

    /// The S3 client.
    pub fn s3(&self) -> &aws_sdk_s3::Client {
        &self.s3
    }
}
