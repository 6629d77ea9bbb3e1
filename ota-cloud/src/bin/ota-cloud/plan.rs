//! `ota-cloud plan`: when would a rollout notify each target, before it runs.

use std::io::Write;
use std::path::PathBuf;

use super::{CliError, files, write_out};
use ota_cloud::jobs::model::{ExponentialRate, RateIncreaseCriteria, RolloutConfig};
use ota_cloud::jobs::projection::{MAX_MINUTES, MAX_THINGS, Plan, project};

/// Project a rollout policy over a fleet: things notified (and succeeded) minute by minute.
///
/// The projection runs the in-memory engine itself on synthetic things with a fake clock, so
/// it applies exactly the pacing and ramp rules a job gets. The policy comes from the flags
/// or from a `jobExecutionsRolloutConfig` JSON file. With --success-after every notified
/// device succeeds that many seconds after its notification (what a ramp on succeeded things
/// needs); failures, aborts and retries are not modelled.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Number of targets, 1 to 1,000,000 (each is a thing in the engine that runs the
    /// projection).
    #[arg(long, value_name = "N")]
    things: u32,
    #[command(flatten)]
    policy: RolloutFlags,
    /// Seconds from notification to success for every device (default: devices never
    /// finish).
    #[arg(long, value_name = "SECS")]
    success_after: Option<u64>,
    /// Stop the projection after this many minutes (at most 525,600, a year).
    #[arg(long, value_name = "MIN", default_value_t = 1440)]
    max_minutes: u64,
    /// Print every minute instead of only the minutes where something changed.
    #[arg(long)]
    every_minute: bool,
}

/// The rollout policy's flags, shared with `job create`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RolloutFlags {
    /// Things notified per minute (1-1000; without a ramp).
    #[arg(long, value_name = "R", conflicts_with = "rollout")]
    max_per_minute: Option<u32>,
    /// Exponential ramp: starting rate per minute (1-1000).
    #[arg(long, value_name = "R", conflicts_with = "rollout")]
    base_rate: Option<u32>,
    /// Exponential ramp: increment factor (1.1-5.0).
    #[arg(long, value_name = "F", requires = "base_rate")]
    factor: Option<f64>,
    /// Exponential ramp: increase after each N more things notified.
    #[arg(long, value_name = "N", requires = "base_rate")]
    notified_step: Option<u32>,
    /// Exponential ramp: increase after each N more things succeeded.
    #[arg(long, value_name = "N", requires = "base_rate")]
    succeeded_step: Option<u32>,
    /// A `jobExecutionsRolloutConfig` object (AWS JSON) instead of the flags above.
    #[arg(long, value_name = "ROLLOUT.json")]
    rollout: Option<PathBuf>,
}

impl RolloutFlags {
    /// The `--rollout` file, if given.
    pub(crate) fn file(&self) -> Option<&std::path::Path> {
        self.rollout.as_deref()
    }

    /// The policy the flags give (the `--rollout` file is the caller's to read).
    pub(crate) fn flags_policy(&self) -> Result<RolloutConfig, CliError> {
        flags_rollout(self)
    }
}

fn rollout(args: &Args) -> Result<RolloutConfig, CliError> {
    if let Some(path) = &args.policy.rollout {
        let text = files::read_small(path, "a rollout config")?;
        return serde_json::from_slice(&text).map_err(|e| {
            CliError::failure(format!("{}: not a rollout config: {e}", path.display()))
        });
    }
    flags_rollout(&args.policy)
}

fn flags_rollout(args: &RolloutFlags) -> Result<RolloutConfig, CliError> {
    let exponential_rate = match args.base_rate {
        None => None,
        Some(base) => {
            let factor = args
                .factor
                .ok_or_else(|| CliError::usage("--base-rate needs --factor"))?;
            if args.notified_step.is_none() && args.succeeded_step.is_none() {
                return Err(CliError::usage(
                    "--base-rate needs --notified-step or --succeeded-step",
                ));
            }
            Some(ExponentialRate {
                base_rate_per_minute: base,
                increment_factor: factor,
                rate_increase_criteria: RateIncreaseCriteria {
                    number_of_notified_things: args.notified_step,
                    number_of_succeeded_things: args.succeeded_step,
                },
            })
        }
    };
    Ok(RolloutConfig {
        maximum_per_minute: args.max_per_minute,
        exponential_rate,
        maximum_in_flight: None,
    })
}

pub(crate) fn render(plan: &Plan, things: u32, every_minute: bool) -> String {
    let mut text = String::from("minute  notified  succeeded\n");
    let mut last = None;
    for p in &plan.points {
        let changed = last != Some((p.notified, p.succeeded));
        if every_minute || changed {
            text.push_str(&format!(
                "{:>6}  {:>8}  {:>9}\n",
                p.minute, p.notified, p.succeeded
            ));
        }
        last = Some((p.notified, p.succeeded));
    }
    match plan.all_notified_at_min {
        Some(m) => text.push_str(&format!(
            "all {things} things notified after {m:.2} minutes\n"
        )),
        None => text.push_str(&format!(
            "not every thing is notified within the projection ({things} targets)\n"
        )),
    }
    text
}

pub(crate) fn run(args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    if args.things == 0 || args.things > MAX_THINGS {
        return Err(CliError::usage(format!(
            "--things must be 1 to {MAX_THINGS}, not {}",
            args.things
        )));
    }
    if args.max_minutes > MAX_MINUTES {
        return Err(CliError::usage(format!(
            "--max-minutes must be at most {MAX_MINUTES} (a year), not {}",
            args.max_minutes
        )));
    }
    files::refuse_stdout_over_inputs(args.policy.rollout.as_deref().as_slice())?;
    let policy = rollout(args)?;
    let plan = project(
        args.things,
        policy,
        args.success_after.map(|s| s.saturating_mul(1000)),
        args.max_minutes,
    )
    .map_err(|e| CliError::failure(e.to_string()))?;
    write_out(out, &render(&plan, args.things, args.every_minute))
}
