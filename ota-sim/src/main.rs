//! `ota-sim`: run a fleet scenario and report.
//!
//! ```text
//! ota-sim run [SCENARIO] [--devices N] [--seed S] [--key KEY.pem] [--report DIR] [--replay | --no-replay]
//!             [--transport simulated|mqtt] [--broker mqtt://HOST:PORT] [--topic-root R] [--speed X]
//! ota-sim scenarios
//! ```
//! `--transport mqtt` runs the same scenario over real MQTT connections (an embedded broker
//! on loopback unless `--broker`), with the service clock `--speed` times the wall clock;
//! it does not replay byte for byte, so the replay check is skipped.
//! SCENARIO is a shipped scenario's name (`default`, `bad-release`, `large`, `stress`,
//! `stress-harsh`, `key-rotation`) or a TOML file;
//! without it, `default` runs. Everything the command line and the scenario ask for (sizes
//! within their bounds, a release newer than the fleet, a readable key, a writable report
//! directory) is checked before the run starts. Exit status: 0 when every invariant holds,
//! 1 when one is violated, 2 for a bad command line or scenario.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use indicatif::{ProgressBar, ProgressStyle};
use ota_sim::report::{html, table};
use ota_sim::scenario::MAX_DEVICES;
use ota_sim::{
    LiveOptions, Report, Scenario, simulate_live, simulate_signed, simulate_with_replay,
};

/// Runs above this many devices skip the replay check unless `--replay` asks for it.
const REPLAY_LIMIT: u32 = 20_000;

/// Longest key file read (an RSA-8192 PEM key is under 7 KiB).
const MAX_KEY_LEN: u64 = 64 * 1024;

/// What each exit status means, shown after `--help`.
const EXIT_STATUS: &str = "\
Exit status:
  0  the run finished and every invariant held
  1  the run finished and an invariant was violated (the summary marks it FAIL)
  2  nothing was run: a wrong command line or scenario (unknown option, a value out of
     range, a release not newer than the fleet), an unreadable key, or a report
     directory that cannot be written";

#[derive(Parser)]
#[command(
    name = "ota-sim",
    version,
    about = "Deterministic fleet simulator for firmware updates",
    after_help = EXIT_STATUS
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario.
    #[command(after_help = EXIT_STATUS)]
    Run(RunArgs),
    /// List the shipped scenarios.
    Scenarios,
}

#[derive(clap::Args)]
struct RunArgs {
    /// A shipped scenario's name or a TOML file (default: `default`).
    scenario: Option<String>,
    /// Override the fleet size: 1 to 1,000,000 (a device costs about 3.5 KB: about 3.5 GB at
    /// the bound with the default image).
    #[arg(long)]
    devices: Option<u32>,
    /// Override the seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Sign the release with this private key (OpenSSL PEM, e.g. from `ota-cloud keygen`)
    /// instead of a key drawn from the seed.
    #[arg(long, value_name = "KEY.pem")]
    key: Option<PathBuf>,
    /// Write `report.json`, `report.html` and the charts as SVG files into this directory
    /// (created if missing; checked to be writable before the run).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Run twice and check the reports are byte-identical (default up to 20,000 devices).
    #[arg(long, conflicts_with = "no_replay")]
    replay: bool,
    /// Skip the replay check.
    #[arg(long)]
    no_replay: bool,
    /// `simulated`: the simulated network, deterministic. `mqtt`: every device a runner on
    /// its own MQTT connection, the service behind the MQTT gateway, over loopback TCP.
    #[arg(long, value_enum, default_value = "simulated")]
    transport: Transport,
    /// With `--transport mqtt`: a running broker (`mqtt://HOST:PORT`) instead of the
    /// embedded one.
    #[arg(long, value_name = "URL")]
    broker: Option<String>,
    /// With `--transport mqtt`: the topic root (default `ota` on the embedded broker, which
    /// refuses `$`-topics; `$aws` on another broker).
    #[arg(long, value_name = "ROOT")]
    topic_root: Option<String>,
    /// With `--transport mqtt`: simulated time per wall-clock time for the service (soak
    /// periods, rollout rates, timeouts), 1 to 600 (default 60).
    #[arg(long)]
    speed: Option<u32>,
}

/// How devices and the service exchange messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Transport {
    /// The simulated network (latency, loss, duplication from the scenario).
    Simulated,
    /// Real MQTT over loopback TCP.
    Mqtt,
}

fn load(name: &str) -> Result<Scenario, String> {
    let text = match Scenario::builtin(name) {
        Some(text) => text.to_string(),
        None => std::fs::read_to_string(name).map_err(|e| {
            format!("{name}: not a shipped scenario, and reading it as a file failed: {e}")
        })?,
    };
    Scenario::parse(&text).map_err(|e| format!("{name}: {e}"))
}

/// The scenario to run: loaded, with the command line's overrides, checked.
fn prepare(args: &RunArgs) -> Result<Scenario, String> {
    let name = args.scenario.as_deref().unwrap_or("default");
    let mut scenario = load(name)?;
    if let Some(n) = args.devices {
        if n == 0 || n > MAX_DEVICES {
            return Err(format!("--devices must be 1 to {MAX_DEVICES}, not {n}"));
        }
        scenario.devices = n;
    }
    if let Some(s) = args.seed {
        scenario.seed = s;
    }
    scenario.check().map_err(|e| format!("{name}: {e}"))?;
    Ok(scenario)
}

/// Create `dir` if needed and prove a file can be written there (a probe file, written and
/// removed), so a run is not wasted on reports that cannot be saved.
fn check_report_dir(dir: &Path) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot write reports into {}: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(format!(".ota-sim-probe-{}", std::process::id()));
    std::fs::write(&probe, b"probe").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)
}

/// The key file's text, at most [`MAX_KEY_LEN`] bytes.
fn read_key(path: &Path) -> Result<String, String> {
    let fail = |e: std::io::Error| format!("reading the key {}: {e}", path.display());
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_KEY_LEN + 1).read_to_string(&mut text))
        .map_err(fail)?;
    if text.len() as u64 > MAX_KEY_LEN {
        return Err(format!(
            "reading the key {}: longer than {MAX_KEY_LEN} bytes, not a PEM key",
            path.display()
        ));
    }
    Ok(text)
}

/// Whether to run the replay check, and the line saying why it was skipped.
fn replay_plan(args: &RunArgs, devices: u32) -> (bool, Option<String>) {
    if args.transport == Transport::Mqtt {
        (
            false,
            Some("[skip] replay check: a run over MQTT does not replay byte for byte".into()),
        )
    } else if args.replay {
        (true, None)
    } else if args.no_replay {
        (
            false,
            Some("[skip] replay check: skipped because of --no-replay".into()),
        )
    } else if devices > REPLAY_LIMIT {
        (
            false,
            Some(format!(
                "[skip] replay check: {devices} devices is over {REPLAY_LIMIT} (--replay forces it)"
            )),
        )
    } else {
        (true, None)
    }
}

/// `report.json`, the charts and `report.html` into `dir`.
fn write_reports(dir: &Path, result: &Report) -> Result<(), String> {
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).map_err(|e| format!("{name}: {e}"))
    };
    write("report.json", &result.to_json())?;
    write("statuses.svg", &html::statuses_chart(result)?)?;
    write("admissions.svg", &html::admissions_chart(result)?)?;
    write("stages.svg", &html::stages_chart(result)?)?;
    write("report.html", &html::page(result)?)
}

/// Run the scenario and print the summary: the exit code, or why nothing was run.
fn run(args: &RunArgs) -> Result<ExitCode, String> {
    let scenario = prepare(args)?;
    if args.transport == Transport::Simulated
        && (args.broker.is_some() || args.topic_root.is_some() || args.speed.is_some())
    {
        return Err("--broker, --topic-root and --speed need --transport mqtt".into());
    }
    if let Some(dir) = &args.report {
        check_report_dir(dir)?;
    }
    let pem = args.key.as_deref().map(read_key).transpose()?;
    let (check_replay, replay_note) = replay_plan(args, scenario.devices);
    let bar = ProgressBar::new(u64::from(scenario.devices));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {msg:>14} {wide_bar} {pos}/{len} devices reported",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = |minute: u64, finished: u64| {
        bar.set_message(format!("sim {minute} min"));
        bar.set_position(finished);
    };
    let started = Instant::now();
    let result = if args.transport == Transport::Mqtt {
        let options = LiveOptions {
            broker: args.broker.clone(),
            topic_root: args.topic_root.clone(),
            speed: args.speed.unwrap_or(60),
        };
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("starting the runtime: {e}"))?
            .block_on(simulate_live(scenario, pem.as_deref(), &options, progress))
            .map_err(|e| e.to_string())
    } else if check_replay {
        simulate_with_replay(scenario, pem.as_deref(), progress).map_err(|e| e.to_string())
    } else {
        simulate_signed(scenario, pem.as_deref(), progress).map_err(|e| e.to_string())
    };
    let wall = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let result = result?;
    print!("{}", table::summary(&result));
    if let Some(note) = replay_note {
        println!("{note}");
    }
    let messages = (result.messages.up + result.messages.down) as f64;
    println!(
        "wall time {wall:.1} s{}; {:.0} {} messages per second",
        if check_replay {
            " (the replay ran beside it, on a second thread)"
        } else {
            ""
        },
        messages / wall.max(1e-9),
        if args.transport == Transport::Mqtt {
            "MQTT"
        } else {
            "simulated"
        }
    );
    if let Some(dir) = &args.report {
        write_reports(dir, &result)
            .map_err(|e| format!("writing the reports into {}: {e}", dir.display()))?;
        println!(
            "reports: {}, {}",
            dir.join("report.json").display(),
            dir.join("report.html").display()
        );
    }
    Ok(if result.all_invariants_hold() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scenarios => {
            for name in Scenario::BUILTIN {
                let first = Scenario::builtin(name)
                    .and_then(|t| t.lines().next())
                    .unwrap_or("");
                println!("{name:<12} {}", first.trim_start_matches('#').trim());
            }
            ExitCode::SUCCESS
        }
        Command::Run(args) => run(&args).unwrap_or_else(|e| {
            eprintln!("ota-sim: {e}");
            ExitCode::from(2)
        }),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    fn args(line: &[&str]) -> RunArgs {
        let argv = ["ota-sim", "run"].iter().chain(line);
        match Cli::try_parse_from(argv).map(|c| c.command) {
            Ok(Command::Run(args)) => args,
            _ => panic!("not a run command line: {line:?}"),
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ota-sim-main-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn help_says_what_each_exit_status_means() {
        Cli::command().debug_assert();
        let top = Cli::command().render_help().to_string();
        let run = Cli::command()
            .find_subcommand_mut("run")
            .unwrap()
            .render_help()
            .to_string();
        for help in [top, run] {
            for line in ["Exit status:", "  0  ", "  1  ", "  2  "] {
                assert!(help.contains(line), "{help}");
            }
        }
    }

    #[test]
    fn devices_are_bounded_before_anything_is_built() {
        let err = prepare(&args(&["--devices", "1000000000"])).err().unwrap();
        assert_eq!(err, "--devices must be 1 to 1000000, not 1000000000");
        assert!(prepare(&args(&["--devices", "0"])).is_err());
        assert_eq!(
            prepare(&args(&["--devices", "1000000"])).unwrap().devices,
            1_000_000
        );
        let help = Cli::command()
            .find_subcommand_mut("run")
            .unwrap()
            .render_help()
            .to_string();
        assert!(help.contains("1,000,000"), "{help}");
    }

    #[test]
    fn a_release_that_is_no_newer_or_no_version_is_refused_up_front() {
        let dir = scratch("versions");
        let same = dir.join("same.toml");
        std::fs::write(&same, "devices = 5\n[release]\nversion = \"1.0.0\"\n").unwrap();
        let err = prepare(&args(&[same.to_str().unwrap()])).err().unwrap();
        assert!(
            err.contains("not newer than rev-a's initial_version"),
            "{err}"
        );
        let banana = dir.join("banana.toml");
        std::fs::write(&banana, "[release]\nversion = \"banana\"\n").unwrap();
        let err = prepare(&args(&[banana.to_str().unwrap()])).err().unwrap();
        assert!(
            err.contains("release version `banana` is not a version") && !err.contains("range"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_report_directory_is_checked_before_the_run() {
        let dir = scratch("report");
        let nested = dir.join("a/b");
        check_report_dir(&nested).unwrap();
        assert!(nested.is_dir());
        assert_eq!(
            std::fs::read_dir(&nested).unwrap().count(),
            0,
            "no probe left"
        );
        // Under a regular file nothing can be created: one line, before any run.
        std::fs::write(dir.join("file"), b"x").unwrap();
        let err = check_report_dir(&dir.join("file/out")).unwrap_err();
        assert!(err.starts_with("cannot write reports into "), "{err}");
        assert!(!err.contains('\n'));
        let err = run(&args(&["--report", dir.join("file/out").to_str().unwrap()]))
            .err()
            .unwrap();
        assert!(err.starts_with("cannot write reports into "), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_replay_line_says_why_it_was_skipped() {
        let (check, note) = replay_plan(&args(&["--no-replay"]), 1000);
        assert!(!check);
        assert_eq!(
            note.as_deref(),
            Some("[skip] replay check: skipped because of --no-replay")
        );
        let (check, note) = replay_plan(&args(&[]), 20_001);
        assert!(!check);
        assert!(note.unwrap().contains("20001 devices is over 20000"));
        assert_eq!(replay_plan(&args(&[]), 1000), (true, None));
        assert_eq!(replay_plan(&args(&["--replay"]), 50_000), (true, None));
        let (check, note) = replay_plan(&args(&["--transport", "mqtt"]), 10);
        assert!(!check);
        assert!(note.unwrap().contains("over MQTT does not replay"));
    }

    #[test]
    fn keys_are_read_up_to_a_bound() {
        let dir = scratch("key");
        let key = dir.join("big.pem");
        std::fs::write(&key, vec![b'A'; 70_000]).unwrap();
        assert!(
            read_key(&key)
                .unwrap_err()
                .contains("longer than 65536 bytes")
        );
        assert!(read_key(&dir.join("absent.pem")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
