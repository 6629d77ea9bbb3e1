//! What the `job` and `campaign` commands share: which service they drive (`--backend`),
//! how they print (`--output`), and the runtime their async calls run on.

use std::fmt::Write as _;

use ota_cloud::aws::{AwsBackend, AwsSettings};
use ota_cloud::campaign::CampaignServices;
use ota_cloud::serve::HttpBackend;
use ota_cloud::{FleetService, InMemory, JobService, ServiceError, Settings, SystemClock};

use super::CliError;

/// Which service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BackendKind {
    /// An in-process engine with AWS IoT Jobs semantics that lives for this one command: a
    /// rehearsal (rules, quotas, projection); nothing is kept between commands.
    Memory,
    /// AWS IoT Jobs (credentials and region from the standard chain).
    Aws,
    /// A running `ota-cloud serve` at this URL (`http://HOST:PORT`).
    Http(String),
}

/// `--backend`'s value: `memory`, `aws` or `http://HOST:PORT`.
fn parse_backend(text: &str) -> Result<BackendKind, String> {
    match text {
        "memory" => Ok(BackendKind::Memory),
        "aws" => Ok(BackendKind::Aws),
        url if url.starts_with("http://") => HttpBackend::new(url, "")
            .map(|_| BackendKind::Http(url.trim_end_matches('/').to_string()))
            .map_err(|e| e.to_string()),
        other => Err(format!(
            "{other}: expected memory, aws or http://HOST:PORT (a running ota-cloud serve)"
        )),
    }
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum Output {
    /// Lines for people.
    #[default]
    Text,
    /// One JSON document (AWS field names), for scripts.
    Json,
}

/// The options every `job` and `campaign` command takes.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct BackendArgs {
    /// The service to drive: memory, aws, or http://HOST:PORT for a running `ota-cloud
    /// serve` (default: memory; for a campaign with a state file, the one it was started
    /// on).
    #[arg(long, value_name = "memory|aws|URL", value_parser = parse_backend)]
    pub(crate) backend: Option<BackendKind>,
    /// http://: the file holding the service's admin token (its DIR/admin-token); default:
    /// the OTA_ADMIN_TOKEN environment variable.
    #[arg(long, value_name = "FILE")]
    pub(crate) token_file: Option<std::path::PathBuf>,
    /// AWS: one endpoint for IoT, the Jobs data plane and S3 (an emulator such as MiniStack).
    #[arg(long, value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,
    /// AWS: the region (default: the standard chain's).
    #[arg(long, value_name = "R")]
    pub(crate) region: Option<String>,
    /// AWS: a named profile of the shared config files.
    #[arg(long, value_name = "NAME")]
    pub(crate) profile: Option<String>,
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub(crate) output: Output,
}

/// A service to drive: both traits, behind one type.
pub(crate) enum Service {
    Memory(Box<InMemory<SystemClock>>),
    Aws(AwsBackend),
    Http(HttpBackend),
}

impl CampaignServices for Service {
    type Jobs = dyn JobService;
    type Fleet = dyn FleetService;

    fn jobs(&self) -> &Self::Jobs {
        match self {
            Self::Memory(m) => &**m,
            Self::Aws(a) => a,
            Self::Http(h) => h,
        }
    }

    fn fleet(&self) -> &Self::Fleet {
        match self {
            Self::Memory(m) => &**m,
            Self::Aws(a) => a,
            Self::Http(h) => h,
        }
    }
}

impl BackendArgs {
    /// Refuse AWS options with the memory backend.
    /// The backend named, memory by default.
    pub(crate) fn kind(&self) -> BackendKind {
        self.backend.clone().unwrap_or(BackendKind::Memory)
    }

    fn check(&self) -> Result<(), CliError> {
        if self.kind() != BackendKind::Aws
            && (self.endpoint_url.is_some() || self.region.is_some() || self.profile.is_some())
        {
            return Err(CliError::usage(
                "--endpoint-url, --region and --profile need --backend aws",
            ));
        }
        if !matches!(self.kind(), BackendKind::Http(_)) && self.token_file.is_some() {
            return Err(CliError::usage(
                "--token-file needs --backend http://HOST:PORT",
            ));
        }
        Ok(())
    }

    /// The admin token for an http:// backend: --token-file, else OTA_ADMIN_TOKEN.
    fn token(&self) -> Result<String, CliError> {
        match &self.token_file {
            Some(path) => std::fs::read_to_string(path)
                .map(|t| t.trim().to_string())
                .map_err(|e| CliError::failure(format!("--token-file {}: {e}", path.display()))),
            None => std::env::var("OTA_ADMIN_TOKEN").map_err(|_| {
                CliError::usage(
                    "--backend http:// needs the admin token: --token-file DIR/admin-token or OTA_ADMIN_TOKEN",
                )
            }),
        }
    }

    /// The service these options name. Makes no call.
    pub(crate) async fn connect(&self) -> Result<Service, CliError> {
        self.check()?;
        Ok(match self.kind() {
            BackendKind::Memory => {
                Service::Memory(Box::new(InMemory::new(SystemClock, Settings::default())))
            }
            BackendKind::Aws => {
                let settings = aws_settings(&self.region, &self.endpoint_url, &self.profile);
                Service::Aws(AwsBackend::connect(&settings).await)
            }
            BackendKind::Http(url) => Service::Http(
                HttpBackend::new(&url, &self.token()?)
                    .map_err(|e| CliError::usage(e.to_string()))?,
            ),
        })
    }
}

/// The AWS settings of `--region`, `--endpoint-url` and `--profile`. An endpoint without a
/// region (an emulator, whose tools rarely configure one) gets `AWS_REGION` or else
/// `us-east-1`, the region every emulator serves.
pub(crate) fn aws_settings(
    region: &Option<String>,
    endpoint_url: &Option<String>,
    profile: &Option<String>,
) -> AwsSettings {
    let region = match (region, endpoint_url) {
        (None, Some(_)) => std::env::var("AWS_REGION")
            .ok()
            .or_else(|| Some("us-east-1".into())),
        _ => region.clone(),
    };
    AwsSettings {
        region,
        endpoint_url: endpoint_url.clone(),
        profile: profile.clone(),
        ..AwsSettings::default()
    }
}

/// Run `future` to its end on a runtime of this thread (the SDK needs tokio's timers and
/// I/O).
pub(crate) fn block_on<T>(future: impl Future<Output = T>) -> Result<T, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
    Ok(runtime.block_on(future))
}

/// A service error as the command's failure: one line, the operation and AWS's message.
pub(crate) fn failed(e: &ServiceError) -> CliError {
    CliError::failure(e.to_string())
}

/// `value` as pretty JSON and a line break.
pub(crate) fn json(value: &impl serde::Serialize) -> Result<String, CliError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::failure(format!("cannot write JSON: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// A table of `rows` under `header`, columns padded to their widest cell.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let mut text = String::new();
    let line = |text: &mut String, cells: &mut dyn Iterator<Item = &str>| {
        let cells: Vec<String> = cells
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        let _ = writeln!(text, "{}", cells.join("  ").trim_end());
    };
    line(&mut text, &mut header.iter().copied());
    for row in rows {
        line(&mut text, &mut row.iter().map(String::as_str));
    }
    text
}
