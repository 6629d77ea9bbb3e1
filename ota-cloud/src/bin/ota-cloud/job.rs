//! `ota-cloud job create | describe | cancel | list`: one AWS IoT job, for release pipelines.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use ota_cloud::campaign::CampaignServices as _;
use ota_cloud::jobs::model::{
    AbortConfig, ArnScope, CancelJob, Job, JobSpec, JobStatus, PresignedUrlConfig, RetryConfig,
    RolloutConfig, Target, TargetSelection, TimeoutConfig,
};
use ota_cloud::jobs::projection::{MAX_MINUTES, Plan, project};
use ota_cloud::schedule::SchedulingConfig;
use ota_cloud::{Clock as _, FleetService, JobService, ServiceError, SystemClock};
use ota_core::jobs::JobExecutionStatus;
use serde_json::json;

use super::backend::{BackendArgs, Output, Service, block_on, failed, json, table};
use super::plan::{RolloutFlags, render};
use super::{CliError, files, write_out};

/// Create, describe, cancel or list AWS IoT jobs (`--backend aws`), or rehearse a create on
/// an in-process engine with the same rules (`--backend memory`, the default).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: JobCommand,
}

#[derive(Debug, clap::Subcommand)]
enum JobCommand {
    Create(CreateArgs),
    Describe(DescribeArgs),
    Cancel(CancelArgs),
    List(ListArgs),
}

/// Create a snapshot (or continuous) job: print the projected rollout, then create it.
///
/// The spec is checked against AWS IoT Jobs' rules and quotas before any call. The rollout
/// comes from the flags or `--rollout FILE`: a `jobExecutionsRolloutConfig` object, or an
/// object with any of `jobExecutionsRolloutConfig`, `abortConfig`, `timeoutConfig`,
/// `jobExecutionsRetryConfig`, `schedulingConfig` and `presignedUrlConfig` (AWS JSON).
/// Re-running the same create is not an error: a job with the same id, targets and
/// document is taken as this one (exit 0); another job under the id is a failure.
#[derive(Debug, clap::Args)]
pub(crate) struct CreateArgs {
    /// The job id (1-64 of [a-zA-Z0-9_-]).
    #[arg(long, value_name = "ID")]
    job_id: String,
    /// The job document (JSON, at most 32 KB), e.g. from `ota-cloud release`.
    #[arg(long, value_name = "DOC.json")]
    document: PathBuf,
    /// A target: `thing/NAME`, `thinggroup/NAME` or a full ARN (at most 100; on AWS, of the
    /// connected region and account).
    #[arg(long = "target", value_name = "TARGET", required = true)]
    targets: Vec<String>,
    /// Free text.
    #[arg(long)]
    description: Option<String>,
    /// A continuous job (things that join a target group later get it too).
    #[arg(long)]
    continuous: bool,
    #[command(flatten)]
    policy: RolloutFlags,
    /// The IAM role AWS IoT assumes to pre-sign `${aws:iot:s3-presigned-url:...}` URLs.
    #[arg(long, value_name = "ARN")]
    presign_role: Option<String>,
    /// Seconds a pre-signed URL lives (60-3600).
    #[arg(long, value_name = "SECS", requires = "presign_role")]
    presign_expires: Option<u32>,
    /// Print the projection and the checked spec, and create nothing.
    #[arg(long)]
    dry_run: bool,
    /// The projection's horizon in minutes.
    #[arg(long, value_name = "MIN", default_value_t = 1440)]
    max_minutes: u64,
    #[command(flatten)]
    backend: BackendArgs,
}

/// Describe a job: status, counts by status, configuration.
///
/// Exit 1 when the job was cancelled (or aborted), or completed with failed, timed-out or
/// rejected things; with --wait, wait for it to complete or be cancelled first.
#[derive(Debug, clap::Args)]
pub(crate) struct DescribeArgs {
    /// The job id.
    #[arg(long, value_name = "ID")]
    job_id: String,
    /// Wait until the job is COMPLETED or CANCELED.
    #[arg(long)]
    wait: bool,
    /// Seconds between describes while waiting.
    #[arg(long, value_name = "SECS", default_value_t = 15)]
    poll_seconds: u64,
    /// Give up waiting after this many minutes (exit 1).
    #[arg(long, value_name = "MIN")]
    timeout_minutes: Option<u64>,
    #[command(flatten)]
    backend: BackendArgs,
}

/// Cancel a job: QUEUED executions are cancelled; IN_PROGRESS ones too with --force.
#[derive(Debug, clap::Args)]
pub(crate) struct CancelArgs {
    /// The job id.
    #[arg(long, value_name = "ID")]
    job_id: String,
    /// Also cancel IN_PROGRESS executions (devices can no longer report them).
    #[arg(long)]
    force: bool,
    /// The job's reasonCode (1-128 of [A-Z0-9_]).
    #[arg(long, value_name = "CODE")]
    reason_code: Option<String>,
    /// Free text.
    #[arg(long)]
    comment: Option<String>,
    #[command(flatten)]
    backend: BackendArgs,
}

/// List jobs (every page), optionally by status.
#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {
    /// Only jobs in this status.
    #[arg(long, value_enum)]
    status: Option<StatusArg>,
    #[command(flatten)]
    backend: BackendArgs,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum StatusArg {
    Scheduled,
    InProgress,
    Completed,
    Canceled,
}

pub(crate) fn run(args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    match &args.command {
        JobCommand::Create(a) => create(a, out),
        JobCommand::Describe(a) => describe(a, out),
        JobCommand::Cancel(a) => cancel(a, out),
        JobCommand::List(a) => list(a, out),
    }
}

/// The parts of a job configuration file besides the rollout.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct JobConfig {
    job_executions_rollout_config: Option<RolloutConfig>,
    abort_config: Option<AbortConfig>,
    timeout_config: Option<TimeoutConfig>,
    job_executions_retry_config: Option<RetryConfig>,
    scheduling_config: Option<SchedulingConfig>,
    presigned_url_config: Option<PresignedUrlConfig>,
}

const CONFIG_KEYS: [&str; 6] = [
    "jobExecutionsRolloutConfig",
    "abortConfig",
    "timeoutConfig",
    "jobExecutionsRetryConfig",
    "schedulingConfig",
    "presignedUrlConfig",
];

/// `--rollout FILE`: a job configuration (any of [`CONFIG_KEYS`]) or a bare rollout config.
fn read_config(path: &std::path::Path) -> Result<JobConfig, CliError> {
    let text = files::read_small(path, "a job configuration")?;
    let bad = |e: &dyn std::fmt::Display| {
        CliError::failure(format!(
            "{}: not a rollout or job configuration: {e}",
            path.display()
        ))
    };
    let value: serde_json::Value = serde_json::from_slice(&text).map_err(|e| bad(&e))?;
    let combined = value
        .as_object()
        .is_some_and(|o| o.keys().any(|k| CONFIG_KEYS.contains(&k.as_str())));
    if combined {
        serde_json::from_value(value).map_err(|e| bad(&e))
    } else {
        let rollout = serde_json::from_value(value).map_err(|e| bad(&e))?;
        Ok(JobConfig {
            job_executions_rollout_config: Some(rollout),
            ..JobConfig::default()
        })
    }
}

fn targets(args: &CreateArgs) -> Result<Vec<Target>, CliError> {
    args.targets
        .iter()
        .map(|t| {
            Target::parse(t).ok_or_else(|| {
                CliError::usage(format!(
                    "--target {t:?}: not a thing or thing group (thing/NAME, thinggroup/NAME \
                     or arn:aws:iot:REGION:ACCOUNT:thing/NAME)"
                ))
            })
        })
        .collect()
}

fn spec(args: &CreateArgs) -> Result<JobSpec, CliError> {
    let document = files::read_document(&args.document)?;
    let document = String::from_utf8(document)
        .map_err(|_| CliError::failure(format!("{}: not UTF-8", args.document.display())))?;
    let mut spec = JobSpec::new(args.job_id.clone(), targets(args)?, document);
    spec.description = args.description.clone();
    if args.continuous {
        spec.target_selection = TargetSelection::Continuous;
    }
    match args.policy.file() {
        Some(path) => {
            let config = read_config(path)?;
            spec.job_executions_rollout_config = config.job_executions_rollout_config;
            spec.abort_config = config.abort_config;
            spec.timeout_config = config.timeout_config;
            spec.job_executions_retry_config = config.job_executions_retry_config;
            spec.scheduling_config = config.scheduling_config;
            spec.presigned_url_config = config.presigned_url_config;
        }
        None => {
            let rollout = args.policy.flags_policy()?;
            if rollout != RolloutConfig::default() {
                spec.job_executions_rollout_config = Some(rollout);
            }
        }
    }
    if let Some(role) = &args.presign_role {
        spec.presigned_url_config = Some(PresignedUrlConfig {
            role_arn: role.clone(),
            expires_in_sec: args.presign_expires,
        });
    }
    ota_cloud::check_spec(&spec, SystemClock.now()).map_err(|e| CliError::usage(e.to_string()))?;
    Ok(spec)
}

/// On AWS, the --target values given as full ARNs: each must name this connection's
/// partition, region and account (exit 2 otherwise) and exist (exit 1).
async fn check_target_arns(service: &Service, args: &CreateArgs) -> Result<(), CliError> {
    let Service::Aws(aws) = service else {
        return Ok(());
    };
    for text in args.targets.iter().filter(|t| ArnScope::of(t).is_some()) {
        aws.resolve_target(text).await.map_err(|e| match e {
            ServiceError::InvalidRequest(message) => CliError::usage(format!("--target {message}")),
            other => failed(&other),
        })?;
    }
    Ok(())
}

/// How many things the targets name now (groups' members, nested ones included).
async fn count_things(service: &Service, spec: &JobSpec) -> Result<u32, ServiceError> {
    let mut things = std::collections::BTreeSet::new();
    for target in &spec.targets {
        match target {
            Target::Thing(name) => {
                things.insert(name.clone());
            }
            Target::Group(name) => {
                things.extend(service.fleet().list_group_members(name).await?);
            }
        }
    }
    Ok(u32::try_from(things.len()).unwrap_or(u32::MAX))
}

/// In the memory backend, the targets as things and (empty) groups, so that the rehearsal
/// creates the job the way the service would.
async fn rehearse_targets(service: &Service, spec: &JobSpec) -> Result<(), ServiceError> {
    let Service::Memory(m) = service else {
        return Ok(());
    };
    for target in &spec.targets {
        match target {
            Target::Thing(name) => m.create_thing(name, vec![]).await?,
            Target::Group(name) => m.create_group(name, None).await?,
        }
    }
    Ok(())
}

/// The rollout of `spec` over `things` things, projected over `max_minutes` (none for no
/// things).
fn projection(spec: &JobSpec, things: u32, max_minutes: u64) -> Result<Option<Plan>, CliError> {
    if things == 0 {
        return Ok(None);
    }
    let rollout = RolloutConfig {
        maximum_in_flight: None,
        ..spec
            .job_executions_rollout_config
            .clone()
            .unwrap_or_default()
    };
    project(things, rollout, None, max_minutes)
        .map(Some)
        .map_err(|e| failed(&e))
}

/// The projection as text: the targets' count, then the timeline.
fn projection_text(spec: &JobSpec, things: u32, plan: Option<&Plan>) -> String {
    let mut text = format!("job {}: {things} things targeted now\n", spec.job_id);
    match plan {
        Some(p) => text.push_str(&render(p, things, false)),
        None => text.push_str("no things in the targets yet: nothing to project\n"),
    }
    text
}

/// `CreateJob` on `service` (on AWS, accepting the same job already there).
async fn create_on(service: &Service, spec: &JobSpec) -> Result<Job, ServiceError> {
    match service {
        Service::Aws(aws) => aws.create_job_idempotent(spec.clone()).await,
        Service::Memory(m) => m.create_job(spec.clone()).await,
        Service::Http(h) => h.create_job(spec.clone()).await,
    }
}

/// What `job create` prints: the projection before the call (text: at once, so that a
/// failed create still shows it), then the job; as JSON, one document after the call, with
/// `job` null when nothing was created.
fn create(args: &CreateArgs, out: &mut dyn Write) -> Result<(), CliError> {
    if args.max_minutes > MAX_MINUTES {
        return Err(CliError::usage(format!(
            "--max-minutes must be at most {MAX_MINUTES}"
        )));
    }
    let mut inputs = vec![args.document.as_path()];
    inputs.extend(args.policy.file());
    files::refuse_stdout_over_inputs(&inputs)?;
    let spec = spec(args)?;
    block_on(async {
        let service = args.backend.connect().await?;
        check_target_arns(&service, args).await?;
        rehearse_targets(&service, &spec)
            .await
            .map_err(|e| failed(&e))?;
        let things = count_things(&service, &spec)
            .await
            .map_err(|e| failed(&e))?;
        let plan = projection(&spec, things, args.max_minutes)?;
        let output = args.backend.output;
        if output == Output::Text {
            write_out(out, &projection_text(&spec, things, plan.as_ref()))?;
        }
        let created = if args.dry_run {
            Ok(None)
        } else {
            create_on(&service, &spec).await.map(Some)
        };
        let job = created.as_ref().ok().and_then(Option::as_ref);
        let text = match output {
            Output::Json => json(&json!({
                "dryRun": args.dry_run,
                "things": things,
                "projection": plan.as_ref().map(|p| json!({
                    "allNotifiedAfterMinutes": p.all_notified_at_min,
                    "points": p.points.iter().map(|x| json!({
                        "minute": x.minute, "notified": x.notified,
                    })).collect::<Vec<_>>(),
                })),
                "spec": spec,
                "job": job,
            }))?,
            Output::Text => match job {
                Some(job) => job_text(job),
                None if args.dry_run => "dry run: nothing created\n".into(),
                None => String::new(),
            },
        };
        write_out(out, &text)?;
        created.map(drop).map_err(|e| failed(&e))
    })?
}

/// Failed, timed-out and rejected things of `job`.
fn failures(job: &Job) -> u64 {
    job.job_process_details.by_status.failures()
}

/// Whether `job` is done and how: `Some(true)` completed without failures, `Some(false)`
/// cancelled or completed with failures, `None` still running.
fn outcome(job: &Job) -> Option<bool> {
    match job.status {
        JobStatus::Completed => Some(failures(job) == 0),
        JobStatus::Canceled | JobStatus::DeletionInProgress => Some(false),
        JobStatus::Scheduled | JobStatus::InProgress => None,
    }
}

fn job_text(job: &Job) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "job {}: {}", job.spec.job_id, job.status.as_str());
    if let Some(reason) = &job.reason_code {
        let _ = writeln!(text, "reason: {reason}");
    }
    let counts: Vec<String> = job
        .job_process_details
        .by_status
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{} {n}", s.as_str()))
        .collect();
    let _ = writeln!(
        text,
        "things: {}",
        if counts.is_empty() {
            "none yet".to_string()
        } else {
            counts.join(", ")
        }
    );
    let targets: Vec<String> = job.spec.targets.iter().map(Target::arn).collect();
    let _ = writeln!(text, "targets: {}", targets.join(" "));
    text
}

fn describe(args: &DescribeArgs, out: &mut dyn Write) -> Result<(), CliError> {
    if args.poll_seconds == 0 {
        return Err(CliError::usage("--poll-seconds must be at least 1"));
    }
    let job = block_on(async {
        let service = args.backend.connect().await?;
        let jobs = service.jobs();
        let deadline = args
            .timeout_minutes
            .map(|m| std::time::Instant::now() + Duration::from_secs(m.saturating_mul(60)));
        loop {
            let job = match jobs.describe_job(&args.job_id).await {
                Ok(job) => job,
                // Throttling or the endpoint down while waiting: try again next poll.
                Err(e) if args.wait && e.is_transient() => {
                    eprintln!("{e}; retrying");
                    tokio::time::sleep(Duration::from_secs(args.poll_seconds)).await;
                    continue;
                }
                Err(e) => return Err(failed(&e)),
            };
            if !args.wait || outcome(&job).is_some() {
                return Ok(job);
            }
            if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                return Err(CliError::failure(format!(
                    "job {} still {} after {} minutes",
                    args.job_id,
                    job.status.as_str(),
                    args.timeout_minutes.unwrap_or(0)
                )));
            }
            tokio::time::sleep(Duration::from_secs(args.poll_seconds)).await;
        }
    })??;
    let text = match args.backend.output {
        Output::Json => json(&job)?,
        Output::Text => job_text(&job),
    };
    write_out(out, &text)?;
    match outcome(&job) {
        Some(false) if job.status == JobStatus::Completed => Err(CliError::failure(format!(
            "job {} completed with {} failed, timed-out or rejected things",
            args.job_id,
            failures(&job)
        ))),
        Some(false) => Err(CliError::failure(format!(
            "job {} was cancelled ({})",
            args.job_id,
            job.reason_code.as_deref().unwrap_or("no reason code")
        ))),
        _ => Ok(()),
    }
}

fn cancel(args: &CancelArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let job = block_on(async {
        let service = args.backend.connect().await?;
        let jobs = service.jobs();
        let cancel = CancelJob {
            reason_code: args.reason_code.clone(),
            comment: args.comment.clone(),
            force: args.force,
        };
        jobs.cancel_job(&args.job_id, cancel)
            .await
            .map_err(|e| failed(&e))
    })??;
    let text = match args.backend.output {
        Output::Json => json(&job)?,
        Output::Text => job_text(&job),
    };
    write_out(out, &text)
}

fn list(args: &ListArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let status = args.status.map(|s| match s {
        StatusArg::Scheduled => JobStatus::Scheduled,
        StatusArg::InProgress => JobStatus::InProgress,
        StatusArg::Completed => JobStatus::Completed,
        StatusArg::Canceled => JobStatus::Canceled,
    });
    let jobs = block_on(async {
        let service = args.backend.connect().await?;
        let jobs = service.jobs();
        jobs.list_jobs(status).await.map_err(|e| failed(&e))
    })??;
    let text = match args.backend.output {
        Output::Json => json(&jobs)?,
        Output::Text => {
            let rows: Vec<Vec<String>> = jobs
                .iter()
                .map(|j| {
                    let c = &j.job_process_details.by_status;
                    vec![
                        j.spec.job_id.clone(),
                        j.status.as_str().to_string(),
                        c[JobExecutionStatus::Succeeded].to_string(),
                        failures(j).to_string(),
                        (c[JobExecutionStatus::Queued] + c[JobExecutionStatus::InProgress])
                            .to_string(),
                    ]
                })
                .collect();
            table(&["JOB", "STATUS", "SUCCEEDED", "FAILED", "PENDING"], &rows)
        }
    };
    write_out(out, &text)
}
