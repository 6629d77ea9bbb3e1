//! The AWS IoT Jobs layer: the job model in AWS's terms, the synchronous sans-IO engine that
//! runs it, the parameter rules checked before a job is created, the `$aws/events` log, and
//! dry-run projections of a rollout policy. Knows nothing of the async service traits (see
//! [`crate::service`]) nor of campaigns.

pub mod engine;
pub mod events;
pub mod model;
pub mod projection;
pub(crate) mod validate;

pub use validate::DocumentTooLong;
