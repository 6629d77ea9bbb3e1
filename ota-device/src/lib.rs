//! A `no_std`, allocation-free, sans-IO firmware-update client for AWS IoT Jobs.
//!
//! Not built yet: this crate currently holds only its dependency on `ota-core`. The client
//! state machine (job notification to a committed or rolled-back image) is tracked in the
//! project's issue list; until it lands, use `ota_core` directly for topics, documents,
//! manifests and signature verification.
#![no_std]
#![forbid(unsafe_code)]
