//! `ota-cloud gateway`: one job served over MQTT from the in-memory engine.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ota_cloud::broker::{EMBEDDED_TOPIC_ROOT, EmbeddedBroker};
use ota_cloud::gateway::mqtt::{MqttBinding, MqttGateway};
use ota_cloud::gateway::{FileStreams, Gateway, Limits, Rate};
use ota_cloud::jobs::model::{JobSpec, RolloutConfig, Target};
use ota_cloud::{InMemory, Settings, SystemClock};
use ota_core::jobs::JobExecutionStatus;

use super::{CliError, files, write_out};

/// Serve one job to devices over MQTT: the AWS IoT Jobs MQTT API and the MQTT Streams API,
/// answered by the in-memory engine through an embedded broker (the default) or an external
/// one.
///
/// Creates the things and a snapshot job with the document, serves each --stream from its
/// file, and prints every execution's status as it changes. The engine lives in this
/// process: stopping it loses the job. The embedded broker (rumqttd) takes no `$` topics, so
/// its topic root is `ota`; devices must use the same root (linux-device --topic-root ota).
/// The gateway authenticates nobody: anyone who can publish on a thing's topics is answered
/// as that thing.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Start an embedded broker listening here.
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:1883",
        conflicts_with = "broker"
    )]
    listen: SocketAddr,
    /// Use this broker instead (mqtt://HOST:PORT).
    #[arg(long, value_name = "URL")]
    broker: Option<String>,
    /// The topic root (default: `ota` on the embedded broker, `$aws` on another).
    #[arg(long, value_name = "ROOT")]
    topic_root: Option<String>,
    /// The job id.
    #[arg(long, value_name = "ID")]
    job_id: String,
    /// The job document (JSON, as `ota-cloud release` writes it).
    #[arg(long, value_name = "DOC.json")]
    document: PathBuf,
    /// A stream to serve: its id and the file (file id 0), as ID=FILE. Repeatable.
    #[arg(long = "stream", value_name = "ID=FILE")]
    streams: Vec<String>,
    /// A thing to target (created in the engine). Repeatable; at least one.
    #[arg(long = "thing", value_name = "NAME", required = true)]
    things: Vec<String>,
    /// Things notified per minute (1-1000; default: all at once).
    #[arg(long, value_name = "R")]
    max_per_minute: Option<u32>,
    /// Jobs requests one thing may make per second before `RequestThrottled` (default: no
    /// limit).
    #[arg(long, value_name = "N")]
    jobs_rate: Option<u32>,
    /// Exit when every execution has ended: 0 if all SUCCEEDED, 1 otherwise.
    #[arg(long)]
    until_done: bool,
}

fn broker_address(url: &str) -> Result<(String, u16), CliError> {
    let bad = || CliError::usage(format!("--broker {url}: expected mqtt://HOST:PORT"));
    let rest = url.strip_prefix("mqtt://").ok_or_else(bad)?;
    let (host, port) = rest
        .trim_end_matches('/')
        .rsplit_once(':')
        .ok_or_else(bad)?;
    Ok((host.to_string(), port.parse().map_err(|_| bad())?))
}

fn streams(args: &Args) -> Result<FileStreams, CliError> {
    let mut streams = FileStreams::new();
    for spec in &args.streams {
        let (id, path) = spec
            .split_once('=')
            .ok_or_else(|| CliError::usage(format!("--stream {spec}: expected ID=FILE")))?;
        streams
            .add_file(id, 0, std::path::Path::new(path))
            .map_err(|e| CliError::failure(format!("{path}: {e}")))?;
    }
    Ok(streams)
}

/// The service with the things and the job.
fn service(args: &Args) -> Result<Arc<InMemory<SystemClock>>, CliError> {
    let document = files::read_small(&args.document, "a job document")?;
    let document = String::from_utf8(document)
        .map_err(|_| CliError::failure(format!("{}: not UTF-8", args.document.display())))?;
    let service = Arc::new(InMemory::new(SystemClock, Settings::default()));
    let mut engine = service.engine();
    for thing in &args.things {
        engine
            .create_thing(thing, &[])
            .map_err(|e| CliError::failure(format!("thing {thing}: {e}")))?;
    }
    let targets = args
        .things
        .iter()
        .map(|t| Target::Thing(t.clone()))
        .collect();
    let mut spec = JobSpec::new(&args.job_id, targets, document);
    spec.job_executions_rollout_config = args.max_per_minute.map(RolloutConfig::per_minute);
    engine
        .create_job(spec)
        .map_err(|e| CliError::failure(format!("job {}: {e}", args.job_id)))?;
    drop(engine);
    Ok(service)
}

pub(crate) fn run(args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let streams = streams(args)?;
    let service = service(args)?;
    let (host, port, root) = match &args.broker {
        Some(url) => {
            let (host, port) = broker_address(url)?;
            (host, port, "$aws")
        }
        None => {
            let broker = EmbeddedBroker::start(args.listen, 100_000)
                .map_err(|e| CliError::failure(e.to_string()))?;
            let addr = broker.addr();
            (addr.ip().to_string(), addr.port(), EMBEDDED_TOPIC_ROOT)
        }
    };
    let root = args.topic_root.as_deref().unwrap_or(root);
    let limits = Limits {
        jobs_rate: args.jobs_rate.map(|n| Rate {
            per_second: n.max(1),
            burst: n.max(1),
        }),
        ..Limits::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(e.to_string()))?;
    runtime.block_on(async {
        let binding = MqttBinding::new(&host, port, "ota-cloud-gateway");
        let gateway = Gateway::with_limits(root, limits);
        let gateway = MqttGateway::start(Arc::clone(&service), streams, gateway, binding);
        if !gateway.wait_subscribed(Duration::from_secs(30)).await {
            return Err(CliError::failure(format!("no broker at {host}:{port}")));
        }
        write_out(
            out,
            &format!(
                "gateway: serving job {} on mqtt://{host}:{port} (topic root {root})\n",
                args.job_id
            ),
        )?;
        watch(args, &service, out).await
    })
}

/// Print status changes until every execution ends (with --until-done) or forever.
async fn watch(
    args: &Args,
    service: &InMemory<SystemClock>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let mut seen: BTreeMap<String, JobExecutionStatus> = BTreeMap::new();
    loop {
        let executions = service
            .engine()
            .list_job_executions_for_job(&args.job_id, None)
            .map_err(|e| CliError::failure(e.to_string()))?;
        for e in &executions {
            if seen.get(&e.thing_name) != Some(&e.status) {
                write_out(out, &format!("{}: {}\n", e.thing_name, e.status))?;
                seen.insert(e.thing_name.clone(), e.status);
            }
        }
        let all_ended = executions.iter().all(|e| e.status.is_terminal());
        if args.until_done && all_ended {
            let failed = executions
                .iter()
                .filter(|e| e.status != JobExecutionStatus::Succeeded)
                .count();
            // Let the last replies reach the devices.
            tokio::time::sleep(Duration::from_millis(500)).await;
            return if failed == 0 {
                Ok(())
            } else {
                Err(CliError::failure(format!(
                    "{failed} executions did not succeed"
                )))
            };
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
