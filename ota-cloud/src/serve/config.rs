//! [`ServeConfig`]: where `ota-cloud serve` keeps its data and listens, from flags or a TOML
//! file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::gateway::{Limits, MAX_PAYLOAD, Rate};

/// The service's configuration. Every field but `data` has a default; a TOML file names the
/// same fields (`data = "/var/lib/ota"`, `http = "0.0.0.0:8080"`, ...), and unknown fields are
/// refused.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// The data directory: the journal (`ota.db`), artifacts, releases, the admin token and
    /// the URL-signing key. Created if absent.
    pub data: PathBuf,
    /// The HTTP listener (admin API, artifacts, metrics, dashboard). Default
    /// `127.0.0.1:8080`.
    #[serde(default = "default_http")]
    pub http: SocketAddr,
    /// The service's MQTT endpoint for devices, default `127.0.0.1:1883`; ignored with
    /// `broker`.
    #[serde(default = "default_mqtt")]
    pub mqtt: SocketAddr,
    /// An external broker (`mqtt://HOST:PORT`) instead of the service's own endpoint: the
    /// gateway subscribes there, and the broker's ACLs decide who may publish what.
    #[serde(default)]
    pub broker: Option<String>,
    /// The MQTT topic root, default `$aws` (AWS IoT's).
    #[serde(default)]
    pub topic_root: Option<String>,
    /// The base URL devices reach the HTTP listener at, for signed artifact URLs. Default
    /// `http://` and the `http` address.
    #[serde(default)]
    pub public_url: Option<String>,
    /// Life of the artifact URLs handed to devices, seconds (60 to 604,800, as S3's
    /// pre-signed URLs). Default 3,600.
    #[serde(default = "default_url_lifetime")]
    pub url_lifetime_secs: u64,
    /// How often campaigns are stepped, milliseconds. Default 1,000.
    #[serde(default = "default_campaign_tick")]
    pub campaign_tick_ms: u64,
    /// Jobs requests one thing may make a second, on average; over it a request is
    /// `rejected` with `RequestThrottled` before it reaches the engine or the journal. 0: no
    /// limit. Default 20 (a device's update takes a handful).
    #[serde(default = "default_device_rate")]
    pub device_requests_per_second: u32,
    /// Jobs requests one thing may make at once after a quiet spell (at least 1). Default 40.
    #[serde(default = "default_device_burst")]
    pub device_request_burst: u32,
    /// Largest size of the journal's database, bytes (at least 64 KiB); `None` (the
    /// default): as large as the disk allows. Past it, calls that change state are refused
    /// as on a full disk (503, and `InternalError` to devices) while everything committed
    /// stays; restart with a larger limit to go on.
    #[serde(default)]
    pub journal_max_bytes: Option<u64>,
    /// Freeze defence: how long a signed "latest release" statement is valid, seconds
    /// (60 to 31,536,000); the service signs each again every quarter of it. Default
    /// 86,400.
    #[serde(default = "default_latest_lifetime")]
    pub latest_lifetime_secs: u64,
    /// Freeze defence: a device that has not asked for the latest statement for this long
    /// counts as silent in `/metrics`, seconds. Default 172,800.
    #[serde(default = "default_freshness_silent")]
    pub freshness_silent_secs: u64,
}

fn default_latest_lifetime() -> u64 {
    86_400
}

fn default_freshness_silent() -> u64 {
    172_800
}

fn default_http() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_mqtt() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 1883))
}

fn default_url_lifetime() -> u64 {
    3600
}

fn default_campaign_tick() -> u64 {
    1000
}

fn default_device_rate() -> u32 {
    20
}

fn default_device_burst() -> u32 {
    40
}

/// Smallest journal size limit, bytes: room for the journal's tables and a few calls.
pub const MIN_JOURNAL_BYTES: u64 = 64 * 1024;

/// Shortest and longest artifact URL life, seconds (S3's pre-signed URL bounds).
pub const URL_LIFETIME_SECS: core::ops::RangeInclusive<u64> = 60..=604_800;

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The file is not this configuration's TOML.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message (line and column included).
        message: String,
    },
    /// A value is out of range.
    #[error("{0}")]
    Invalid(String),
}

impl ServeConfig {
    /// A configuration with every default and `data`.
    pub fn new(data: impl Into<PathBuf>) -> Self {
        Self {
            data: data.into(),
            http: default_http(),
            mqtt: default_mqtt(),
            broker: None,
            topic_root: None,
            public_url: None,
            url_lifetime_secs: default_url_lifetime(),
            campaign_tick_ms: default_campaign_tick(),
            device_requests_per_second: default_device_rate(),
            device_request_burst: default_device_burst(),
            journal_max_bytes: None,
            latest_lifetime_secs: default_latest_lifetime(),
            freshness_silent_secs: default_freshness_silent(),
        }
    }

    /// Read a TOML file; relative `data` paths are taken from the file's directory.
    ///
    /// # Errors
    /// [`ConfigError`]: unreadable, not TOML, unknown fields, bad values.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut config = Self::from_toml(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.to_path_buf(),
                message,
            },
            other => other,
        })?;
        if config.data.is_relative()
            && let Some(dir) = path.parent()
        {
            config.data = dir.join(&config.data);
        }
        Ok(config)
    }

    /// Read the TOML text of a configuration.
    ///
    /// # Errors
    /// [`ConfigError::Parse`] (with an empty path), [`ConfigError::Invalid`].
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::new(),
            message: e.to_string(),
        })?;
        config.check()?;
        Ok(config)
    }

    /// Check the values' ranges.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the field.
    pub fn check(&self) -> Result<(), ConfigError> {
        if !URL_LIFETIME_SECS.contains(&self.url_lifetime_secs) {
            return Err(ConfigError::Invalid(format!(
                "url_lifetime_secs: {} is not within {}..={}",
                self.url_lifetime_secs,
                URL_LIFETIME_SECS.start(),
                URL_LIFETIME_SECS.end()
            )));
        }
        if !(60..=31_536_000).contains(&self.latest_lifetime_secs) {
            return Err(ConfigError::Invalid(format!(
                "latest_lifetime_secs: {} is not within 60..=31536000",
                self.latest_lifetime_secs
            )));
        }
        if !(10..=3_600_000).contains(&self.campaign_tick_ms) {
            return Err(ConfigError::Invalid(format!(
                "campaign_tick_ms: {} is not within 10..=3600000",
                self.campaign_tick_ms
            )));
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::Invalid(format!(
                "public_url: {url} is not an http:// or https:// URL"
            )));
        }
        if self.device_requests_per_second > 0 && self.device_request_burst == 0 {
            return Err(ConfigError::Invalid(
                "device_request_burst: 0 admits nothing (at least 1, or device_requests_per_second = 0 for no limit)".into(),
            ));
        }
        if let Some(max) = self.journal_max_bytes
            && max < MIN_JOURNAL_BYTES
        {
            return Err(ConfigError::Invalid(format!(
                "journal_max_bytes: {max} is below {MIN_JOURNAL_BYTES}"
            )));
        }
        if self.data.as_os_str().is_empty() {
            return Err(ConfigError::Invalid("data: empty path".into()));
        }
        Ok(())
    }

    /// The base URL of signed artifact URLs, without a trailing `/`.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.http),
        }
    }

    /// The topic root in use.
    pub fn topic_root(&self) -> &str {
        self.topic_root.as_deref().unwrap_or("$aws")
    }

    /// What the gateway refuses: AWS's largest payload, and the per-thing request rate.
    pub fn device_limits(&self) -> Limits {
        Limits {
            max_payload: MAX_PAYLOAD,
            jobs_rate: (self.device_requests_per_second > 0).then_some(Rate {
                per_second: self.device_requests_per_second,
                burst: self.device_request_burst,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_with_defaults() {
        let config = ServeConfig::from_toml("data = \"/srv/ota\"\nhttp = \"0.0.0.0:9000\"\n")
            .expect("valid");
        assert_eq!(config.data, PathBuf::from("/srv/ota"));
        assert_eq!(config.http, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(config.mqtt, default_mqtt());
        assert_eq!(config.url_lifetime_secs, 3600);
        assert_eq!(config.topic_root(), "$aws");
        assert_eq!(config.base_url(), "http://0.0.0.0:9000");
    }

    #[test]
    fn topic_root_defaults_to_aws() {
        let mut config = ServeConfig::new("d");
        assert_eq!(config.topic_root(), "$aws");
        config.topic_root = Some("x".into());
        assert_eq!(config.topic_root(), "x");
    }

    #[test]
    fn refuses_unknown_fields_and_bad_values() {
        let e = ServeConfig::from_toml("data = \"d\"\nhtpp = \"1.2.3.4:1\"\n").unwrap_err();
        assert!(
            matches!(&e, ConfigError::Parse { message, .. } if message.contains("htpp")),
            "{e}"
        );
        let e = ServeConfig::from_toml("http = \"127.0.0.1:1\"\n").unwrap_err();
        assert!(
            matches!(&e, ConfigError::Parse { message, .. } if message.contains("data")),
            "{e}"
        );
        let e = ServeConfig::from_toml("data = \"d\"\nurl_lifetime_secs = 5\n").unwrap_err();
        assert!(
            matches!(&e, ConfigError::Invalid(m) if m.contains("url_lifetime_secs")),
            "{e}"
        );
        let e = ServeConfig::from_toml("data = \"d\"\npublic_url = \"ftp://x\"\n").unwrap_err();
        assert!(
            matches!(&e, ConfigError::Invalid(m) if m.contains("public_url")),
            "{e}"
        );
        let e = ServeConfig::from_toml("data = \"d\"\ndevice_request_burst = 0\n").unwrap_err();
        assert!(
            matches!(&e, ConfigError::Invalid(m) if m.contains("device_request_burst")),
            "{e}"
        );
        let unlimited = ServeConfig::from_toml(
            "data = \"d\"\ndevice_requests_per_second = 0\ndevice_request_burst = 0\n",
        )
        .unwrap();
        assert_eq!(unlimited.device_limits().jobs_rate, None);
        assert_eq!(
            ServeConfig::new("d").device_limits().jobs_rate,
            Some(Rate {
                per_second: 20,
                burst: 40
            })
        );
        let e = ServeConfig::from_toml("data = \"d\"\nhttp = \"not an address\"\n").unwrap_err();
        assert!(matches!(e, ConfigError::Parse { .. }));
    }

    #[test]
    fn relative_data_is_taken_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ota.toml");
        std::fs::write(&path, "data = \"state\"\n").unwrap();
        let config = ServeConfig::from_file(&path).unwrap();
        assert_eq!(config.data, dir.path().join("state"));
        let e = ServeConfig::from_file(&dir.path().join("absent.toml")).unwrap_err();
        assert!(matches!(e, ConfigError::Read { .. }));
    }
}
