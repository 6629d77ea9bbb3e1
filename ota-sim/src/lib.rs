//! A deterministic fleet simulator binding `ota-device` and `ota-cloud`.
//!
//! Not built yet: this crate currently holds only its dependency on `ota-core`.
