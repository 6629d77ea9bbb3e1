//! The self-hosted service (feature `serve`): the durable engine, an MQTT gateway on the
//! embedded broker (or an external one), stepped campaigns, and an HTTP server with the
//! admin API, artifacts behind signed URLs and Prometheus metrics, in one process.
//!
//! [`start`] opens (or creates) the data directory and starts every part; [`Running`] says
//! where they listen and shuts them down in order ([`Running::shutdown`]): HTTP stops taking
//! requests and finishes those under way, campaign stepping ends after its current step,
//! the gateway disconnects. Everything the engine accepted is in the journal already
//! (`ota.db`, see [`crate::durable`]), and each campaign's state is stored after every step
//! that changed it, so a kill at any point loses nothing that was answered.
//!
//! The data directory holds `ota.db` (journal and campaigns), `artifacts/`, `releases/`,
//! `device-credentials.json` (salted hashes), `admin-token` and `url-key` (both made on
//! first start, mode 0600).
//!
//! Devices reach it on its own MQTT endpoint (see `devices`): each connects as its thing
//! with a password issued by the admin API and may only touch its own topics. With an
//! external broker (`broker`), the gateway subscribes there instead, and the broker's ACLs
//! decide who may publish what.
//!
//! What it does not do yet: TLS (put it behind a reverse proxy) or client certificates.

mod api;
mod artifacts;
mod campaigns;
mod client;
mod config;
mod devices;
mod http;
mod http_server;
mod latest;
mod metrics;
mod releases;
mod secrets;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use artifacts::{
    ArtifactError, ArtifactInfo, Artifacts, MAX_NAME, RangeAnswer, UrlRefusal, parse_range,
    valid_name,
};
pub use client::HttpBackend;
pub use config::{ConfigError, MIN_JOURNAL_BYTES, ServeConfig, URL_LIFETIME_SECS};
pub use releases::{ReleaseError, Releases};
pub use secrets::Secret;

use crate::campaign::Campaign;
use crate::durable::{Durable, DurableError};
use crate::gateway::mqtt::{MqttBinding, MqttGateway, MqttGatewayStats};
use crate::gateway::{Gateway, MemoryStreams, Presigner};
use crate::jobs::engine::Settings;
use crate::service::{Clock, SystemClock};
use devices::{Credentials, Endpoint};

/// Why the service did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The configuration is refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A file or directory of the data directory cannot be made or read (a read-only or
    /// full disk, permissions).
    #[error("{path}: {source}")]
    Data {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The journal cannot be opened (another process holds it, other settings, corrupt).
    #[error("{path}: {source}")]
    Journal {
        /// The database.
        path: PathBuf,
        /// Why.
        source: DurableError,
    },
    /// The stored releases do not load.
    #[error(transparent)]
    Releases(#[from] ReleaseError),
    /// A listener cannot be bound.
    #[error("cannot listen on {addr}: {message}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        message: String,
    },
    /// `broker` is not `mqtt://HOST:PORT`.
    #[error("broker {0}: expected mqtt://HOST:PORT")]
    BrokerUrl(String),
}

/// What every part of the service shares.
pub(crate) struct Shared {
    pub(crate) engine: Arc<Durable<SystemClock>>,
    pub(crate) campaigns: tokio::sync::Mutex<BTreeMap<String, Campaign>>,
    /// Wakes the stepping task at once (a campaign created or changed).
    pub(crate) wake_campaigns: tokio::sync::Notify,
    pub(crate) releases: Releases,
    pub(crate) artifacts: Arc<Artifacts>,
    pub(crate) token: Secret,
    pub(crate) config: ServeConfig,
    pub(crate) counts: metrics::Counts,
    /// The gateway's counters.
    pub(crate) gateway_stats: Box<dyn Fn() -> MqttGatewayStats + Send + Sync>,
    /// Device credentials of the MQTT endpoint.
    pub(crate) credentials: Arc<Credentials>,
    /// The MQTT endpoint, unless an external broker is used.
    pub(crate) endpoint: Option<Arc<Endpoint>>,
    /// The freeze defence's latest statements.
    pub(crate) latest: latest::Latest,
}

impl Shared {
    pub(crate) fn now_ms(&self) -> u64 {
        self.engine.clock().now()
    }

    pub(crate) fn now_secs(&self) -> u64 {
        self.now_ms() / 1000
    }

    /// Store `campaign`'s state in the journal's database.
    pub(crate) fn save_campaign(&self, campaign: &Campaign) -> Result<(), api::ApiError> {
        self.engine
            .save_campaign(campaign)
            .map_err(|e| api::ApiError::unavailable(e.to_string()))
    }
}

/// How devices reach the service.
enum Devices {
    /// An external broker, with the gateway subscribed there.
    Broker(MqttGateway),
    /// The service's own MQTT endpoint and its task.
    Endpoint(Arc<Endpoint>, tokio::task::JoinHandle<()>),
}

/// The running service.
pub struct Running {
    http: SocketAddr,
    mqtt: SocketAddr,
    shared: Arc<Shared>,
    stop: tokio::sync::watch::Sender<bool>,
    devices: Devices,
    http_task: tokio::task::JoinHandle<()>,
    campaign_task: tokio::task::JoinHandle<()>,
    latest_task: tokio::task::JoinHandle<()>,
}

impl core::fmt::Debug for Running {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Running")
            .field("http", &self.http)
            .field("mqtt", &self.mqtt)
            .finish_non_exhaustive()
    }
}

fn data_error(path: &Path) -> impl FnOnce(std::io::Error) -> ServeError + '_ {
    move |source| ServeError::Data {
        path: path.to_path_buf(),
        source,
    }
}

/// The presigner of job documents: a `${aws:iot:s3-presigned-url:URL}` whose URL is one of
/// this service's artifacts (`{base}/artifacts/NAME`) becomes a signed URL living
/// `url_lifetime_secs` from the moment the message is sent; other placeholders stay.
fn presigner(config: &ServeConfig, artifacts: Arc<Artifacts>, clock: SystemClock) -> Presigner {
    let prefix = format!("{}/artifacts/", config.base_url());
    let base = config.base_url();
    let life = config.url_lifetime_secs;
    Presigner::new(move |url| {
        let name = url.strip_prefix(&prefix)?;
        valid_name(name).then(|| artifacts.signed_url(&base, name, clock.now() / 1000 + life))
    })
}

/// `mqtt://HOST:PORT` as host and port.
///
/// # Errors
/// [`ServeError::BrokerUrl`].
pub fn parse_broker_url(url: &str) -> Result<(String, u16), ServeError> {
    let bad = || ServeError::BrokerUrl(url.to_string());
    let rest = url.strip_prefix("mqtt://").ok_or_else(bad)?;
    let (host, port) = rest
        .trim_end_matches('/')
        .rsplit_once(':')
        .ok_or_else(bad)?;
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host.to_string(), port.parse().map_err(|_| bad())?))
}

/// Start the service as `config` says. Must run inside a multi-threaded tokio runtime with
/// I/O and timers enabled.
///
/// # Errors
/// [`ServeError`]; nothing keeps running then.
pub async fn start(config: ServeConfig) -> Result<Running, ServeError> {
    config.check()?;
    let data = config.data.clone();
    std::fs::create_dir_all(&data).map_err(data_error(&data))?;
    let token_path = data.join("admin-token");
    let token = Secret::load_or_create(&token_path).map_err(data_error(&token_path))?;
    let key_path = data.join("url-key");
    let key = Secret::load_or_create(&key_path).map_err(data_error(&key_path))?;
    let artifacts_dir = data.join("artifacts");
    let artifacts =
        Arc::new(Artifacts::open(&artifacts_dir, key).map_err(data_error(&artifacts_dir))?);
    let releases = Releases::open(&data.join("releases"))?;
    let db = data.join("ota.db");
    let engine = Durable::open_with_limit(
        &db,
        SystemClock,
        Settings::default(),
        config.journal_max_bytes,
    )
    .map_err(|source| ServeError::Journal {
        path: db.clone(),
        source,
    })?;
    let engine = Arc::new(engine);
    let campaigns = engine
        .campaigns()
        .map_err(|source| ServeError::Journal {
            path: db.clone(),
            source,
        })?
        .into_iter()
        .map(|c| (c.id().to_string(), c))
        .collect();

    let http_listener = tokio::net::TcpListener::bind(config.http)
        .await
        .map_err(|e| ServeError::Listen {
            addr: config.http,
            message: e.to_string(),
        })?;
    let http = http_listener.local_addr().map_err(|e| ServeError::Listen {
        addr: config.http,
        message: e.to_string(),
    })?;
    // With port 0 the base URL names the port actually bound.
    let mut config = config;
    if config.http.port() == 0 {
        config.http = http;
    }

    let credentials_path = data.join("device-credentials.json");
    let credentials =
        Arc::new(Credentials::open(&credentials_path).map_err(data_error(&credentials_path))?);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let presigner = presigner(&config, Arc::clone(&artifacts), *engine.clock());
    let latest = latest::Latest::open(
        &data,
        config.latest_lifetime_secs,
        engine.clock().now() / 1000,
    )?;
    let (mqtt, devices) = match &config.broker {
        Some(url) => {
            let (host, port) = parse_broker_url(url)?;
            let addr = tokio::net::lookup_host((host.as_str(), port))
                .await
                .ok()
                .and_then(|mut a| a.next())
                .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], port)));
            let gateway = MqttGateway::start(
                Arc::clone(&engine),
                MemoryStreams::new(),
                Gateway::with_limits(config.topic_root(), config.device_limits())
                    .with_presigner(presigner)
                    .with_latest(Arc::clone(&latest.board)),
                MqttBinding::new(&host, port, "ota-cloud-serve"),
            );
            (addr, Devices::Broker(gateway))
        }
        None => {
            let listener = tokio::net::TcpListener::bind(config.mqtt)
                .await
                .map_err(|e| ServeError::Listen {
                    addr: config.mqtt,
                    message: e.to_string(),
                })?;
            let addr = listener.local_addr().map_err(|e| ServeError::Listen {
                addr: config.mqtt,
                message: e.to_string(),
            })?;
            let endpoint = Arc::new(Endpoint::new(
                Gateway::with_limits(config.topic_root(), config.device_limits())
                    .with_presigner(presigner)
                    .with_latest(Arc::clone(&latest.board)),
                Arc::clone(&engine),
                Arc::clone(&credentials),
            ));
            let task = tokio::spawn(Arc::clone(&endpoint).serve(listener, stopped.clone()));
            (addr, Devices::Endpoint(endpoint, task))
        }
    };
    let gateway_stats: Box<dyn Fn() -> MqttGatewayStats + Send + Sync> = match &devices {
        Devices::Broker(gateway) => Box::new(gateway.stats_reader()),
        Devices::Endpoint(endpoint, _) => {
            let endpoint = Arc::clone(endpoint);
            Box::new(move || endpoint.stats())
        }
    };
    let endpoint = match &devices {
        Devices::Endpoint(endpoint, _) => Some(Arc::clone(endpoint)),
        Devices::Broker(_) => None,
    };

    let shared = Arc::new(Shared {
        engine,
        campaigns: tokio::sync::Mutex::new(campaigns),
        wake_campaigns: tokio::sync::Notify::new(),
        releases,
        artifacts,
        token,
        config,
        counts: metrics::Counts::default(),
        gateway_stats,
        credentials,
        endpoint,
        latest,
    });
    let campaign_task = tokio::spawn(campaigns::step_all(Arc::clone(&shared), stopped.clone()));
    let latest_task = tokio::spawn(latest::refresh_all(Arc::clone(&shared), stopped.clone()));
    let app = http::app(Arc::clone(&shared));
    let http_task = tokio::spawn(http_server::serve(http_listener, app, stopped));
    tracing::info!(%http, %mqtt, data = %shared.config.data.display(), topic_root = shared.config.topic_root(), "ota-cloud serve started");
    Ok(Running {
        http,
        mqtt,
        shared,
        stop,
        devices,
        http_task,
        campaign_task,
        latest_task,
    })
}

impl Running {
    /// The HTTP listener's address.
    pub fn http_addr(&self) -> SocketAddr {
        self.http
    }

    /// The MQTT address devices use (the service's endpoint, or the external broker).
    pub fn mqtt_addr(&self) -> SocketAddr {
        self.mqtt
    }

    /// The topic root devices must use.
    pub fn topic_root(&self) -> &str {
        self.shared.config.topic_root()
    }

    /// The admin API's bearer token.
    pub fn admin_token(&self) -> &str {
        self.shared.token.expose()
    }

    /// Whether devices can be served: at once with the service's own endpoint; with an
    /// external broker, once the gateway has subscribed there (waiting up to `timeout`).
    pub async fn wait_ready(&self, timeout: Duration) -> bool {
        match &self.devices {
            Devices::Broker(gateway) => gateway.wait_subscribed(timeout).await,
            Devices::Endpoint(..) => true,
        }
    }

    /// Issue MQTT credentials for `thing` (it must exist), replacing earlier ones; returns
    /// the password (as `POST /api/v1/things/{name}/credentials` does).
    ///
    /// # Errors
    /// An unknown thing; the credentials file cannot be written.
    pub async fn issue_device_credentials(&self, thing: &str) -> Result<String, String> {
        use crate::service::FleetService;
        self.shared
            .engine
            .describe_thing(thing)
            .await
            .map_err(|e| e.to_string())?;
        let password = self
            .shared
            .credentials
            .issue(thing)
            .map_err(|e| e.to_string())?;
        if let Some(endpoint) = &self.shared.endpoint {
            endpoint.disconnect(thing);
        }
        Ok(password)
    }

    /// Stop in order: HTTP takes no new requests and finishes those under way, campaign
    /// stepping ends after its current step, then the gateway disconnects. When this returns,
    /// the journal is closed and unlocked (another service may open the data directory).
    pub async fn shutdown(self) {
        tracing::info!("shutting down");
        let _ = self.stop.send(true);
        let _ = self.http_task.await;
        let _ = self.campaign_task.await;
        let _ = self.latest_task.await;
        match self.devices {
            Devices::Broker(gateway) => gateway.shutdown().await,
            Devices::Endpoint(_, task) => {
                let _ = task.await;
            }
        }
        drop(self.shared);
        tracing::info!("stopped");
    }
}
