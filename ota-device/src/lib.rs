#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]

#[cfg(any(test, feature = "std"))]
extern crate std;

#[macro_use]
mod logging;

mod client;
mod config;
mod error;
mod event;
pub mod inspect;
#[cfg(feature = "peer")]
pub mod peer;
mod reason;
mod record;
mod rng;
#[cfg(feature = "rumqttc")]
pub mod runner;
pub mod storage;
mod text;
pub mod trailer;
pub mod trust;
mod write;

pub use client::{
    Buffers, Client, CustomJob, MAX_EVENTS_PER_CALL, MIN_SCRATCH_LEN, MIN_TRANSMIT_LEN, Publish,
    Qos, SUBSCRIPTIONS,
};
pub use config::{Config, PreferredTransport, RetryConfig};
pub use error::Error;
pub use event::Event;
pub use reason::Reason;
