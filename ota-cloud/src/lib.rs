//! Backend side of firmware updates: the job model and rollout policy of AWS IoT Jobs behind
//! traits, and an in-memory engine with AWS IoT Jobs semantics driven by an injected clock.
//!
//! Work in progress: modules land one by one.
#![forbid(unsafe_code)]

pub mod fleet;
pub mod schedule;
