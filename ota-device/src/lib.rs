//! A `no_std`, allocation-free, sans-IO firmware-update client for AWS IoT Jobs.
//!
//! Work in progress: the storage layer lands first; the client state machine follows.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod storage;
