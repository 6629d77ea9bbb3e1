//! [`AwsSettings`] and building the three SDK clients from them.

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_iot::config::{Credentials, Region};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use super::AwsBackend;

/// A fixed access key, for emulators and tests (real accounts use the standard chain).
#[derive(Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
}

impl core::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Where and as whom to call AWS. Every field left at its default is taken from the
/// standard chain (`AWS_REGION`, `AWS_PROFILE`, `~/.aws/config`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    /// The region (`--region`).
    pub region: Option<String>,
    /// One endpoint for IoT, the Jobs data plane and S3 (`--endpoint-url`): an emulator.
    /// S3 is then addressed path-style.
    pub endpoint_url: Option<String>,
    /// A named profile of the shared config files.
    pub profile: Option<String>,
    /// A fixed access key instead of the chain.
    pub credentials: Option<StaticCredentials>,
    /// Attempts per call, the first included, under the SDK's standard retry strategy
    /// (exponential backoff with jitter on throttling and transient errors). Default 5.
    pub max_attempts: u32,
    /// Page size of list calls (AWS's default when `None`); every page is read either way.
    pub page_size: Option<i32>,
}

impl Default for AwsSettings {
    fn default() -> Self {
        Self {
            region: None,
            endpoint_url: None,
            profile: None,
            credentials: None,
            max_attempts: 5,
            page_size: None,
        }
    }
}

impl AwsSettings {
    /// The settings of an emulator at `endpoint_url` (MiniStack, moto): region `us-east-1`,
    /// access key `test` / `test`, as those emulators expect.
    pub fn emulator(endpoint_url: impl Into<String>) -> Self {
        Self {
            region: Some("us-east-1".into()),
            endpoint_url: Some(endpoint_url.into()),
            credentials: Some(StaticCredentials {
                access_key_id: "test".into(),
                secret_access_key: "test".into(),
            }),
            ..Self::default()
        }
    }
}

impl AwsBackend {
    /// Load the configuration (the standard chain, overridden by `settings`) and build the
    /// clients. Makes no call to AWS: missing or expired credentials show up as
    /// [`crate::ServiceError::AccessDenied`] on the first call.
    pub async fn connect(settings: &AwsSettings) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(Self::https_client())
            .retry_config(RetryConfig::standard().with_max_attempts(settings.max_attempts.max(1)));
        if let Some(region) = &settings.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &settings.endpoint_url {
            loader = loader.endpoint_url(url.clone());
        }
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile.clone());
        }
        if let Some(key) = &settings.credentials {
            loader = loader.credentials_provider(Credentials::new(
                key.access_key_id.clone(),
                key.secret_access_key.clone(),
                None,
                None,
                "ota-cloud settings",
            ));
        }
        let conf = loader.load().await;
        Self::from_sdk_config(&conf, settings.endpoint_url.is_some(), settings.page_size)
    }

    /// The HTTPS client [`Self::connect`] gives the SDK (rustls on ring; this crate builds
    /// the SDK without its default client). A configuration for [`Self::from_sdk_config`]
    /// needs it, or one of its own: without one, every call fails.
    pub fn https_client() -> aws_sdk_iot::config::SharedHttpClient {
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https()
    }

    /// The clients of an already loaded configuration (with an HTTP client:
    /// [`Self::https_client`]); `path_style_s3` addresses buckets in the path (emulators)
    /// rather than the host name.
    pub fn from_sdk_config(
        conf: &aws_config::SdkConfig,
        path_style_s3: bool,
        page_size: Option<i32>,
    ) -> Self {
        let s3 = aws_sdk_s3::config::Builder::from(conf)
            .force_path_style(path_style_s3)
            .build();
        Self {
            iot: aws_sdk_iot::Client::new(conf),
            jobs: aws_sdk_iotjobsdataplane::Client::new(conf),
            s3: aws_sdk_s3::Client::from_conf(s3),
            page_size,
        }
    }
}
