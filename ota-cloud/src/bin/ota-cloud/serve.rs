//! `ota-cloud serve`: the self-hosted service (see `ota_cloud::serve`) until SIGTERM or
//! Ctrl-C.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ota_cloud::serve::{self, ServeConfig};

use super::{CliError, write_out};

/// Run the OTA service: the durable engine (SQLite in --data), an MQTT endpoint for devices
/// with the Jobs gateway, campaigns, and an HTTP server with the admin API (/api/v1/, bearer
/// token in DIR/admin-token), signed artifact URLs (/artifacts/), Prometheus metrics
/// (/metrics) and a live dashboard (/).
///
/// Runs until SIGTERM or Ctrl-C, then stops gracefully: requests under way finish, the
/// campaign step under way finishes. Everything answered is already on disk. Logs go to
/// stderr (RUST_LOG filters them, default `info`).
///
/// Devices connect to the MQTT listener as their thing (client id and user name the thing's
/// name, password from POST /api/v1/things/NAME/credentials) under the topic root `$aws`,
/// and may touch only their own thing's topics. With --broker, the gateway subscribes on
/// that broker instead and its ACLs decide who may publish what.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The data directory (created if absent). Required unless --config names it.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// A TOML configuration file (fields as `ota_cloud::serve::ServeConfig`); flags given
    /// here override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The HTTP listener [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,
    /// The MQTT endpoint for devices [default: 127.0.0.1:1883].
    #[arg(long, value_name = "ADDR", conflicts_with = "broker")]
    mqtt: Option<SocketAddr>,
    /// Serve devices through this broker instead of the service's own endpoint
    /// (mqtt://HOST:PORT).
    #[arg(long, value_name = "URL")]
    broker: Option<String>,
    /// The MQTT topic root [default: $aws].
    #[arg(long, value_name = "ROOT")]
    topic_root: Option<String>,
    /// The base URL devices reach the HTTP listener at, for signed artifact URLs
    /// [default: http:// and the --http address].
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Log lines as JSON objects instead of text.
    #[arg(long)]
    log_json: bool,
}

/// The configuration from --config and the flags.
fn config(args: &Args) -> Result<ServeConfig, CliError> {
    let mut config = match (&args.config, &args.data) {
        (Some(path), _) => {
            ServeConfig::from_file(path).map_err(|e| CliError::usage(e.to_string()))?
        }
        (None, Some(data)) => ServeConfig::new(data),
        (None, None) => return Err(CliError::usage("--data DIR or --config FILE is required")),
    };
    if let Some(data) = &args.data {
        config.data.clone_from(data);
    }
    if let Some(http) = args.http {
        config.http = http;
    }
    if let Some(mqtt) = args.mqtt {
        config.mqtt = mqtt;
    }
    if args.broker.is_some() {
        config.broker.clone_from(&args.broker);
    }
    if args.topic_root.is_some() {
        config.topic_root.clone_from(&args.topic_root);
    }
    if args.public_url.is_some() {
        config.public_url.clone_from(&args.public_url);
    }
    config.check().map_err(|e| CliError::usage(e.to_string()))?;
    if let Some(url) = &config.broker {
        serve::parse_broker_url(url).map_err(|e| CliError::usage(e.to_string()))?;
    }
    Ok(config)
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rumqttd=warn"));
    use std::io::IsTerminal as _;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    // A subscriber set earlier (tests running several commands) stays.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Resolves at SIGTERM or Ctrl-C.
async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

pub(crate) fn run(args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let config = config(args)?;
    let token_path = config.data.join("admin-token");
    init_logs(args.log_json);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let running = serve::start(config)
            .await
            .map_err(|e| CliError::failure(e.to_string()))?;
        let ready = running.wait_ready(Duration::from_secs(30)).await;
        write_out(
            out,
            &format!(
                "ota-cloud serve: http://{} (admin token in {}), mqtt://{} (topic root {}){}\n",
                running.http_addr(),
                token_path.display(),
                running.mqtt_addr(),
                running.topic_root(),
                if ready {
                    ""
                } else {
                    "; the gateway is not connected to the broker yet"
                }
            ),
        )?;
        terminated().await;
        running.shutdown().await;
        Ok(())
    })
}
