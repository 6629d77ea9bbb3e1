//! Helpers shared by the integration tests; each test uses a part of them.
#![allow(dead_code, unreachable_pub)]

pub mod args;
pub mod campaign;
#[cfg(feature = "cli")]
pub mod cli;
pub mod engine;
pub mod http;
pub mod scratch;

/// The tests' clock origin, Unix milliseconds (2027-01-15).
pub const T0: u64 = 1_800_000_000_000;

/// A minute, in milliseconds.
pub const MIN: u64 = 60_000;
