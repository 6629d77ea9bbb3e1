#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

// Layers, bottom up: `jobs` (the AWS IoT Jobs model and engine, sync and sans-IO), `fleet` and
// `schedule` (what the engine works over), `service` (async traits and their in-memory
// implementation), `campaign` and `catalog` (rollouts over the traits), `release` and
// `signing` (documents and signatures), `gateway` (the MQTT APIs' service side, sans-IO),
// `aws` (the service traits on AWS IoT and S3, feature `aws`), `durable` (the engine journaled
// on SQLite, feature `sqlite`), `serve` (the self-hosted service over all of them, feature
// `serve`).
// The command-line tool is the binary's (src/bin/ota-cloud, feature `cli`).

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "broker")]
pub mod broker;
pub mod campaign;
pub mod catalog;
#[cfg(feature = "sqlite")]
pub mod durable;
mod error;
pub mod fleet;
pub mod freshness;
pub mod gateway;
pub mod jobs;
pub mod release;
pub mod schedule;
#[cfg(feature = "serve")]
pub mod serve;
pub mod service;
pub mod signing;
mod str_slab;
#[cfg(test)]
mod testing;

pub use error::{DataPlaneError, Error, ServiceError};
pub use gateway::{
    BlockRead, Gateway, GatewayStats, MemoryStreams, Outgoing, StreamInfo, StreamSource,
};
pub use jobs::engine::{Engine, JobSelector, Notification, NotificationKind, Pacing, Settings};
pub use jobs::validate::{
    DocumentTooLong, MAX_DESCRIPTION_LEN, MAX_DOCUMENT_LEN, MAX_RATE_PER_MINUTE, MAX_RETRIES,
    MAX_TARGETS, MAX_TIMEOUT_MINUTES, PRESIGNED_MAX_SECS, PRESIGNED_MIN_SECS, check_document_len,
    check_spec,
};
pub use service::{
    Clock, DescribeExecution, DeviceJobs, FleetService, InMemory, JobService, ManualClock,
    NextOrJob, SystemClock, Thing,
};
#[cfg(feature = "mock")]
pub use service::{MockDeviceJobs, MockFleetService, MockJobService};
