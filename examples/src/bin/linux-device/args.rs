//! The command line.

use std::path::PathBuf;

use clap::Parser;

/// A Linux device that updates itself over MQTT: AWS IoT Jobs and Streams (or HTTP), signed
/// images, power-safe file storage, and a "reboot" that re-executes the process.
#[derive(Debug, Parser)]
#[command(name = "linux-device")]
pub(crate) struct Args {
    /// The broker: mqtt://HOST:PORT, mqtts://HOST:PORT, ws://HOST:PORT/PATH or
    /// wss://HOST:PORT/PATH.
    #[arg(long)]
    pub(crate) broker: String,
    /// The Host header of the WebSocket upgrade (when it differs from the URL's host).
    #[arg(long)]
    pub(crate) ws_host: Option<String>,
    /// Device certificate (PEM), for mqtts:// and wss://.
    #[arg(long, requires = "key")]
    pub(crate) cert: Option<PathBuf>,
    /// Device private key (PEM).
    #[arg(long, requires = "cert")]
    pub(crate) key: Option<PathBuf>,
    /// CA certificates to trust (PEM), for mqtts:// and wss://.
    #[arg(long)]
    pub(crate) ca: Option<PathBuf>,
    /// ALPN protocol to offer (AWS IoT Core on port 443: x-amzn-mqtt-ca).
    #[arg(long)]
    pub(crate) alpn: Option<String>,
    /// A file holding the MQTT password (user name: the thing name), for brokers that ask
    /// for one, such as `ota-cloud serve` (POST /api/v1/things/NAME/credentials).
    #[arg(long, value_name = "FILE")]
    pub(crate) password_file: Option<PathBuf>,
    /// The thing name (also the MQTT client id).
    #[arg(long)]
    pub(crate) thing: String,
    /// The release public key (SubjectPublicKeyInfo PEM, P-256 or RSA).
    #[arg(long)]
    pub(crate) trust: PathBuf,
    /// The directory holding the images, the boot flags and the update state.
    #[arg(long)]
    pub(crate) state_dir: PathBuf,
    /// The product id images must be built for.
    #[arg(long)]
    pub(crate) product: String,
    /// The hardware revision images must be built for.
    #[arg(long)]
    pub(crate) hardware: String,
    /// The factory version: the version of the image a new state directory starts with.
    #[arg(long)]
    pub(crate) version: String,
    /// The topic root ($aws on AWS IoT, mosquitto and ota-cloud serve; ota-cloud gateway's
    /// embedded broker uses "ota").
    #[arg(long, default_value = "$aws")]
    pub(crate) topic_root: String,
    /// Exit after one job: 0 when an update was committed, 1 when the job ended REJECTED or
    /// FAILED, 3 when it was cancelled.
    #[arg(long)]
    pub(crate) once: bool,
    /// Bytes per image bank.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    pub(crate) capacity: u32,
    /// Stream block size.
    #[arg(long, default_value_t = 4096)]
    pub(crate) block_size: u32,
    /// Fail the self-test of a new image (to watch a rollback).
    #[arg(long)]
    pub(crate) fail_self_test: bool,
}
