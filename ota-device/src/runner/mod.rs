//! The client on a real network (feature `rumqttc`, std, tokio): [`run`] binds a [`Client`]
//! to an MQTT broker through rumqttc, and to HTTP servers through ureq.
//!
//! - **MQTT** over TCP (`mqtt://`), TLS (`mqtts://`, rustls with the ring provider, a client
//!   certificate and key as AWS IoT Core authenticates devices, ALPN as an option for port
//!   443) or WebSocket (`ws://`, `wss://`, with a `Host` header of choice), all from
//!   [`MqttSettings`]. The client's topics are subscribed at QoS 1 on every connection, its
//!   publishes go out with the QoS it asks for, a lost connection is retried forever with
//!   exponential backoff and jitter, and the session is persistent by default.
//! - **HTTP** range downloads of the job's URL (a pre-signed S3 URL, say) for documents that
//!   offer HTTP: one `GET` with `Range` per [`Event::FetchRange`](crate::Event::FetchRange),
//!   on tokio's blocking pool; a failure goes back to the client, which retries with backoff
//!   and resumes where its persisted progress says, after a reconnect or a restart alike.
//! - **Logging** through `tracing` with the feature `tracing`.
//!
//! What it does not do: reset the device (it returns [`Exit::Activate`] or
//! [`Exit::RollBack`] and the caller resets; a Linux process re-executes itself), choose
//! storage (any [`FirmwareSlot`](crate::storage::FirmwareSlot) and
//! [`StateStore`](crate::storage::StateStore) do; `storage::files` is the one for Linux), or
//! authenticate the service beyond TLS (the client verifies every image it installs).
//!
//! ```no_run
//! # async fn demo(client: &mut ota_device::Client<'_, ota_device::storage::files::FileSlot<ota_device::storage::files::RealFs>, ota_device::storage::files::FileStateStore<ota_device::storage::files::RealFs>, 2>) -> Result<(), ota_device::runner::RunnerError> {
//! use ota_device::runner::{run, Exit, MqttSettings, RunOptions};
//! let settings = MqttSettings::new("mqtt://127.0.0.1:1883", "sensor-7");
//! match run(client, &settings, &mut (), RunOptions::default()).await? {
//!     Exit::Activate | Exit::RollBack(_) => { /* reset the device */ }
//!     _ => {}
//! }
//! # Ok(()) }
//! ```

#![allow(clippy::std_instead_of_core)]

mod app;
mod backoff;
mod clock;
mod error;
mod http;
mod link;
mod run;
mod settings;
mod tls;

pub use app::{Application, Exit};
pub use error::RunnerError;
pub use run::{RunOptions, run};
pub use settings::MqttSettings;
pub use tls::TlsFiles;

#[allow(unused_imports)]
use crate::client::Client;
