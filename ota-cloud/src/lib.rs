#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod campaign;
pub mod catalog;
#[cfg(feature = "cli")]
pub mod cli;
pub mod conformance;
pub mod engine;
mod error;
pub mod events;
pub mod fleet;
mod memory;
pub mod model;
pub mod plan;
mod quota;
pub mod release;
pub mod report;
pub mod schedule;
mod service;
pub mod signing;

pub use engine::{Engine, JobSelector, Notification, NotificationKind, Pacing, Settings};
pub use error::{DataPlaneError, Error};
pub use memory::{Clock, InMemory, ManualClock, SystemClock};
pub use quota::{
    DocumentTooLong, MAX_DESCRIPTION_LEN, MAX_DOCUMENT_LEN, MAX_RATE_PER_MINUTE, MAX_RETRIES,
    MAX_TARGETS, MAX_TIMEOUT_MINUTES, check_document_len,
};
pub use service::{DeviceJobs, FleetService, JobService, NextOrJob, Thing};
#[cfg(feature = "mock")]
pub use service::{MockDeviceJobs, MockFleetService, MockJobService};
