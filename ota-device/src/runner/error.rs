//! Why a runner stopped: [`RunnerError`].

use crate::error::Error;
use std::prelude::rust_2024::*;

/// Why [`super::run`] could not go on. Network failures are not errors: the runner reconnects.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunnerError {
    /// The broker URL is not `mqtt://`, `mqtts://`, `ws://` or `wss://` with a host, or a
    /// header built from the settings is not valid.
    #[error("bad broker URL or header: {0}")]
    BadUrl(String),
    /// TLS files missing, unreadable or unusable.
    #[error("TLS: {0}")]
    Tls(String),
    /// The client refused a call the runner made (a storage failure while applying a
    /// self-test result, for instance).
    #[error("client: {0}")]
    Client(#[from] Error),
    /// The MQTT event loop ended (its request channel closed).
    #[error("MQTT connection closed for good")]
    Closed,
}
