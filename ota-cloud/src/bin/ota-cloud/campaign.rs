//! `ota-cloud campaign run | status | pause | resume | stop | approve`: a staged campaign
//! driven from a release pipeline, its state in a file between commands.
//!
//! The state file holds the campaign (plain data, see `ota_cloud::campaign`) and the backend
//! it runs on. Every command takes an exclusive lock on `STATE.lock` while it reads, steps
//! and writes the state, so `pause` or `stop` from another shell lands between two steps of
//! a running `campaign run`, which reads the file again before each step. The file is
//! replaced atomically: a command killed at any point leaves the previous state or the new.

use std::fmt::Write as _;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ota_cloud::campaign::{Campaign, CampaignEvent, CampaignSpec, CampaignState, CampaignStatus};
use ota_cloud::catalog::Catalog;
use ota_cloud::{Clock as _, SystemClock};
use serde::{Deserialize, Serialize};

use super::backend::{BackendArgs, BackendKind, Output, Service, block_on, json};
use super::{CliError, files, write_out};

/// Run a staged campaign on AWS IoT Jobs (or rehearse it in memory), and steer it.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: CampaignCommand,
}

#[derive(Debug, clap::Subcommand)]
enum CampaignCommand {
    Run(RunArgs),
    Status(StateArgs),
    Pause(StateArgs),
    Resume(StateArgs),
    Stop(StopArgs),
    Approve(ApproveArgs),
}

/// Run a campaign until it completes (exit 0) or stops (exit 1: a gate failed, the
/// campaign was stopped, or a call failed for a reason retrying does not fix).
///
/// The first run creates the campaign from --spec (with --document as its release's
/// document) and writes --state; a later run with the same --state resumes where the
/// previous one left off (a pipeline re-run, a killed runner). Throttling and an
/// unreachable endpoint are retried at the next poll. --backend (and its options) on an
/// existing campaign moves it to that backend once a step succeeds there; the other
/// commands (status, pause, resume, stop, approve) take the backend from the state file.
#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    /// The campaign (JSON: `ota_cloud::campaign::CampaignSpec`).
    #[arg(long, value_name = "SPEC.json")]
    spec: Option<PathBuf>,
    /// The release's job document (from `ota-cloud release`), when the spec leaves
    /// `release.document` out.
    #[arg(long, value_name = "DOC.json")]
    document: Option<PathBuf>,
    /// The campaign's state file.
    #[arg(long, value_name = "STATE.json")]
    state: PathBuf,
    /// Seconds between steps.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    poll_seconds: u64,
    /// Plan only: print the stages' devices (with --output json: the stages and their device
    /// counts), create nothing and write no state.
    #[arg(long)]
    dry_run: bool,
    /// Stop after this many steps: for CI jobs that poll. Exit 0 if the campaign is still
    /// running, 1 if the last step failed (the endpoint down, throttled); the state is saved
    /// either way and the next run resumes it.
    #[arg(long, value_name = "N")]
    max_steps: Option<u64>,
    #[command(flatten)]
    backend: BackendArgs,
}

/// The state file and where to print.
#[derive(Debug, clap::Args)]
pub(crate) struct StateArgs {
    /// The campaign's state file.
    #[arg(long, value_name = "STATE.json")]
    state: PathBuf,
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
}

/// Stop a campaign for good: its running jobs are cancelled (without force) at once; no
/// rollback is started.
#[derive(Debug, clap::Args)]
pub(crate) struct StopArgs {
    #[command(flatten)]
    common: StateArgs,
    /// Who stops it.
    #[arg(long, value_name = "NAME")]
    by: String,
    /// Why.
    #[arg(long, default_value = "stopped by an operator")]
    reason: String,
}

/// Approve a stage's manual gate.
#[derive(Debug, clap::Args)]
pub(crate) struct ApproveArgs {
    #[command(flatten)]
    common: StateArgs,
    /// The stage.
    #[arg(long)]
    stage: String,
    /// Who approves.
    #[arg(long, value_name = "NAME")]
    by: String,
    /// A remark kept with the approval.
    #[arg(long, default_value = "")]
    remark: String,
}

/// The backend a campaign runs on, kept in its state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedBackend {
    kind: String,
    endpoint_url: Option<String>,
    region: Option<String>,
    profile: Option<String>,
    /// http://: the service's URL and the token file named (the token itself is not kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_file: Option<PathBuf>,
}

impl SavedBackend {
    fn of(args: &BackendArgs) -> Self {
        let (kind, url) = match args.kind() {
            BackendKind::Memory => ("memory", None),
            BackendKind::Aws => ("aws", None),
            BackendKind::Http(url) => ("http", Some(url)),
        };
        Self {
            kind: kind.into(),
            endpoint_url: args.endpoint_url.clone(),
            region: args.region.clone(),
            profile: args.profile.clone(),
            url,
            token_file: args.token_file.clone(),
        }
    }

    fn args(&self, output: Output) -> Result<BackendArgs, CliError> {
        Ok(BackendArgs {
            backend: match (self.kind.as_str(), &self.url) {
                ("memory", _) => Some(BackendKind::Memory),
                ("aws", _) => Some(BackendKind::Aws),
                ("http", Some(url)) => Some(BackendKind::Http(url.clone())),
                (other, _) => {
                    return Err(CliError::failure(format!(
                        "the state file names an unknown backend {other:?}"
                    )));
                }
            },
            token_file: self.token_file.clone(),
            endpoint_url: self.endpoint_url.clone(),
            region: self.region.clone(),
            profile: self.profile.clone(),
            output,
        })
    }
}

/// What the state file holds.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateFile {
    backend: SavedBackend,
    campaign: Campaign,
}

/// Now, Unix ms.
fn now_ms() -> u64 {
    SystemClock.now()
}

/// An exclusive lock on `STATE.lock`, released on drop (and by the system when the process
/// dies).
// `File::lock` is Rust 1.89; the `cli` feature builds the AWS SDK, which needs 1.94.1.
#[allow(clippy::incompatible_msrv)]
struct Lock(File);

#[allow(clippy::incompatible_msrv)]
impl Lock {
    fn take(state: &Path) -> Result<Self, CliError> {
        let mut name = state.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| CliError::failure(format!("cannot open {}: {e}", path.display())))?;
        file.lock()
            .map_err(|e| CliError::failure(format!("cannot lock {}: {e}", path.display())))?;
        Ok(Self(file))
    }
}

#[allow(clippy::incompatible_msrv)]
impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

fn load(path: &Path) -> Result<StateFile, CliError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::failure(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        CliError::failure(format!(
            "{}: not a campaign state file: {e}",
            path.display()
        ))
    })
}

fn save(path: &Path, state: &StateFile) -> Result<(), CliError> {
    let bytes = serde_json::to_vec_pretty(state)
        .map_err(|e| CliError::failure(format!("cannot write the state: {e}")))?;
    files::stage(path, &bytes, false)?.commit(true)
}

/// The spec of `--spec`, with `--document` as its release's document when given.
fn read_spec(args: &RunArgs) -> Result<CampaignSpec, CliError> {
    let path = args
        .spec
        .as_deref()
        .ok_or_else(|| CliError::usage("a new campaign needs --spec"))?;
    let text = files::read_small(path, "a campaign spec")?;
    let bad = |e: &dyn std::fmt::Display| {
        CliError::failure(format!("{}: not a campaign spec: {e}", path.display()))
    };
    let mut value: serde_json::Value = serde_json::from_slice(&text).map_err(|e| bad(&e))?;
    if let Some(doc) = &args.document {
        let document = String::from_utf8(files::read_document(doc)?)
            .map_err(|_| CliError::failure(format!("{}: not UTF-8", doc.display())))?;
        let release = value
            .get_mut("release")
            .and_then(serde_json::Value::as_object_mut)
            .ok_or_else(|| bad(&"no release object"))?;
        release.insert("document".into(), serde_json::Value::String(document));
    }
    serde_json::from_value(value).map_err(|e| bad(&e))
}

fn new_campaign(spec: CampaignSpec) -> Result<Campaign, CliError> {
    let mut catalog = Catalog::new();
    for release in std::iter::once(&spec.release).chain(&spec.previous) {
        catalog
            .add(release.clone())
            .map_err(|e| CliError::failure(e.to_string()))?;
    }
    Campaign::new(spec, &catalog).map_err(|e| CliError::usage(e.to_string()))
}

fn event_line(event: &CampaignEvent) -> String {
    match event {
        CampaignEvent::Planned {
            eligible,
            refused,
            unassigned,
        } => format!("planned: {eligible} eligible, {refused} refused, {unassigned} unassigned"),
        CampaignEvent::StageStarted {
            stage,
            job_id,
            devices,
        } => format!("stage {stage} started: job {job_id}, {devices} devices"),
        CampaignEvent::GatePassed { stage, .. } => format!("stage {stage}: gate passed"),
        CampaignEvent::GateFailed { stage, failure } => {
            format!("stage {stage}: gate failed: {failure}")
        }
        CampaignEvent::Completed => "campaign completed".into(),
        other => format!("{other:?}"),
    }
}

fn status_text(status: &CampaignStatus) -> String {
    let mut text = format!("campaign {}: ", status.id);
    match &status.state {
        CampaignState::NotStarted => text.push_str("not started"),
        CampaignState::Running => text.push_str("running"),
        CampaignState::Completed => text.push_str("completed"),
        CampaignState::Stopped { stage, failure } => {
            let _ = write!(text, "stopped at stage {stage}: {failure}");
        }
    }
    if status.paused {
        text.push_str(" (paused)");
    }
    text.push('\n');
    for stage in &status.stages {
        let _ = writeln!(
            text,
            "  {}: {:?}, {} devices",
            stage.name, stage.phase, stage.devices
        );
    }
    text
}

/// 0 for a completed or running campaign, 1 for a stopped one.
fn exit_for(status: &CampaignStatus) -> Result<(), CliError> {
    match &status.state {
        CampaignState::Stopped { stage, failure } => Err(CliError::failure(format!(
            "campaign {} stopped at stage {stage}: {failure}",
            status.id
        ))),
        _ => Ok(()),
    }
}

fn print_status(
    out: &mut dyn Write,
    output: Output,
    status: &CampaignStatus,
) -> Result<(), CliError> {
    let text = match output {
        Output::Json => json(status)?,
        Output::Text => status_text(status),
    };
    write_out(out, &text)
}

pub(crate) fn run(args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    match &args.command {
        CampaignCommand::Run(a) => run_campaign(a, out),
        CampaignCommand::Status(a) => {
            let state = {
                let _lock = Lock::take(&a.state)?;
                load(&a.state)?
            };
            let status = state.campaign.status();
            print_status(out, a.output, &status)?;
            exit_for(&status)
        }
        CampaignCommand::Pause(a) => steer(a, out, |c, now| c.pause(now)),
        CampaignCommand::Resume(a) => steer(a, out, |c, now| c.resume(now)),
        CampaignCommand::Stop(a) => steer(&a.common, out, |c, now| c.stop(&a.by, &a.reason, now)),
        CampaignCommand::Approve(a) => steer(&a.common, out, |c, now| {
            c.approve(&a.stage, &a.by, &a.remark, now)
        }),
    }
}

/// Apply `change` to the campaign in `args.state`, step it once on its backend (so that a
/// stop's cancels, a resume's next stage and an approval's gate happen now), save it and
/// print its status.
fn steer(
    args: &StateArgs,
    out: &mut dyn Write,
    change: impl FnOnce(&mut Campaign, u64) -> Result<(), ota_cloud::campaign::CampaignError>,
) -> Result<(), CliError> {
    let _lock = Lock::take(&args.state)?;
    let mut state = load(&args.state)?;
    change(&mut state.campaign, now_ms()).map_err(|e| CliError::failure(e.to_string()))?;
    save(&args.state, &state)?;
    let backend = state.backend.args(args.output)?;
    let stepped = block_on(async {
        let service = backend.connect().await?;
        Ok::<_, CliError>(state.campaign.step(now_ms(), &service).await)
    })??;
    save(&args.state, &state)?;
    if let Err(e) = stepped {
        eprintln!("the change is saved; the step after it failed (the next run retries): {e}");
    }
    let status = state.campaign.status();
    print_status(out, args.output, &status)?;
    exit_for(&status)
}

/// Whether `e` is worth retrying at the next poll: the service throttled or was out of
/// reach.
fn transient(e: &ota_cloud::campaign::CampaignError) -> bool {
    matches!(e, ota_cloud::campaign::CampaignError::Service { source, .. } if source.is_transient())
}

fn run_campaign(args: &RunArgs, out: &mut dyn Write) -> Result<(), CliError> {
    if args.poll_seconds == 0 {
        return Err(CliError::usage("--poll-seconds must be at least 1"));
    }
    block_on(async {
        if args.dry_run {
            return dry_run(args, out).await;
        }
        let chosen = prepare_state(args)?;
        run_steps(args, chosen, out).await
    })?
}

/// `--dry-run`: the stages' devices on the named backend; nothing created, no state written.
async fn dry_run(args: &RunArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let mut campaign = new_campaign(read_spec(args)?)?;
    campaign
        .pause(now_ms())
        .map_err(|e| CliError::failure(e.to_string()))?;
    let service = args.backend.connect().await?;
    campaign
        .step(now_ms(), &service)
        .await
        .map_err(|e| CliError::failure(e.to_string()))?;
    let stages: Vec<(&str, usize)> = campaign
        .spec()
        .stages
        .iter()
        .map(|stage| {
            let devices = campaign.stage_devices(&stage.name).unwrap_or_default();
            (stage.name.as_str(), devices.len())
        })
        .collect();
    let text = match args.backend.output {
        Output::Json => json(&serde_json::json!({
            "campaign": campaign.spec().id,
            "dryRun": true,
            "stages": stages
                .iter()
                .map(|(name, devices)| serde_json::json!({"name": name, "devices": devices}))
                .collect::<Vec<_>>(),
        }))?,
        Output::Text => {
            let mut text = String::new();
            for (name, devices) in &stages {
                let _ = writeln!(text, "stage {name}: {devices} devices");
            }
            text.push_str("dry run: nothing created\n");
            text
        }
    };
    write_out(out, &text)
}

/// Write a new campaign's state file (from --spec), or note that an existing one is resumed.
/// Returns the backend named on the command line for an existing campaign (another
/// endpoint or region for it: a moved emulator, a profile of the CI machine): the state
/// file takes it after the first step that succeeds on it.
fn prepare_state(args: &RunArgs) -> Result<Option<SavedBackend>, CliError> {
    if !args.state.exists() {
        let campaign = new_campaign(read_spec(args)?)?;
        let _lock = Lock::take(&args.state)?;
        let state = StateFile {
            backend: SavedBackend::of(&args.backend),
            campaign,
        };
        save(&args.state, &state)?;
        return Ok(None);
    }
    if args.spec.is_some() || args.document.is_some() {
        eprintln!(
            "{} exists: resuming the campaign it holds (--spec and --document are not read)",
            args.state.display()
        );
    }
    Ok(args
        .backend
        .backend
        .is_some()
        .then(|| SavedBackend::of(&args.backend)))
}

/// One step under the state file's lock: the result and, once the campaign is finished,
/// its status. `chosen` (the command line's backend) replaces the saved one when the step
/// succeeds on it.
async fn step_once(
    args: &RunArgs,
    chosen: &mut Option<SavedBackend>,
    connected: &mut Option<(SavedBackend, Service)>,
    out: &mut dyn Write,
) -> Result<StepOutcome, CliError> {
    let output = args.backend.output;
    let _lock = Lock::take(&args.state)?;
    let mut state = load(&args.state)?;
    let backend = chosen.clone().unwrap_or_else(|| state.backend.clone());
    if connected
        .as_ref()
        .is_none_or(|(saved, _)| *saved != backend)
    {
        let service = backend.args(output)?.connect().await?;
        *connected = Some((backend.clone(), service));
    }
    let service = connected
        .as_ref()
        .map(|(_, service)| service)
        .ok_or_else(|| CliError::failure("no backend to step the campaign on"))?;
    let result = state.campaign.step(now_ms(), service).await;
    if result.is_ok()
        && let Some(backend) = chosen.take()
    {
        state.backend = backend;
    }
    save(&args.state, &state)?;
    let events = match &result {
        Ok(events) => events.clone(),
        Err(_) => state.campaign.take_events(),
    };
    for event in &events {
        let line = match output {
            Output::Json => serde_json::to_string(event).unwrap_or_default(),
            Output::Text => event_line(event),
        };
        write_out(out, &format!("{line}\n"))?;
    }
    let finished = state.campaign.is_finished();
    Ok(StepOutcome {
        status: finished.then(|| state.campaign.status()),
        result: result.map(drop),
    })
}

/// What one step of `campaign run` ended with.
struct StepOutcome {
    /// The campaign's status, once it is finished.
    status: Option<CampaignStatus>,
    /// The step's error, if it failed.
    result: Result<(), ota_cloud::campaign::CampaignError>,
}

/// Step the campaign every --poll-seconds until it finishes or --max-steps is reached. A
/// step failing for a transient reason is retried at the next poll, unless it was the last
/// one --max-steps allows: the run then exits 1, the state saved for the next run.
async fn run_steps(
    args: &RunArgs,
    mut chosen: Option<SavedBackend>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let mut steps = 0u64;
    // The clients, made again only when the backend changes.
    let mut connected: Option<(SavedBackend, Service)> = None;
    loop {
        let outcome = step_once(args, &mut chosen, &mut connected, out).await?;
        steps += 1;
        let last = args.max_steps.is_some_and(|m| steps >= m);
        match outcome.result {
            Err(e) if transient(&e) && !last => eprintln!("{e}; retrying at the next poll"),
            Err(e) => {
                return Err(CliError::failure(format!(
                    "{e} (the state is saved: run again to resume)"
                )));
            }
            Ok(()) => {}
        }
        if let Some(status) = outcome.status {
            let text = match args.backend.output {
                Output::Text => status_text(&status),
                Output::Json => {
                    format!("{}\n", serde_json::to_string(&status).unwrap_or_default())
                }
            };
            write_out(out, &text)?;
            return exit_for(&status);
        }
        if last {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(args.poll_seconds)).await;
    }
}
