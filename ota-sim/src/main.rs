//! `ota-sim`: run a fleet scenario and report.
//!
//! ```text
//! ota-sim run [SCENARIO] [--devices N] [--seed S] [--key KEY.pem] [--report DIR] [--replay | --no-replay]
//! ota-sim scenarios
//! ```
//! SCENARIO is a shipped scenario's name (`default`, `bad-release`, `large`) or a TOML file;
//! without it, `default` runs. Exit status: 0 when every invariant holds, 1 when one is
//! violated, 2 for a bad command line or scenario.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use ota_sim::report::{html, table};
use ota_sim::{Scenario, simulate_signed, simulate_with_replay};

/// Runs above this many devices skip the replay check unless `--replay` asks for it.
const REPLAY_LIMIT: u32 = 20_000;

#[derive(Parser)]
#[command(
    name = "ota-sim",
    version,
    about = "Deterministic fleet simulator for firmware updates"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario.
    Run {
        /// A shipped scenario's name or a TOML file (default: `default`).
        scenario: Option<String>,
        /// Override the fleet size.
        #[arg(long)]
        devices: Option<u32>,
        /// Override the seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Sign the release with this private key (OpenSSL PEM, e.g. from `ota-cloud keygen`)
        /// instead of a key drawn from the seed.
        #[arg(long, value_name = "KEY.pem")]
        key: Option<PathBuf>,
        /// Write `report.json`, `report.html` and the charts as SVG files into this directory.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Run twice and check the reports are byte-identical (default up to 20,000 devices).
        #[arg(long, conflicts_with = "no_replay")]
        replay: bool,
        /// Skip the replay check.
        #[arg(long)]
        no_replay: bool,
    },
    /// List the shipped scenarios.
    Scenarios,
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
        Command::Run {
            scenario,
            devices,
            seed,
            key,
            report,
            replay,
            no_replay,
        } => {
            let name = scenario.as_deref().unwrap_or("default");
            let mut scenario = match load(name) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("ota-sim: {e}");
                    return ExitCode::from(2);
                }
            };
            if let Some(n) = devices {
                if n == 0 {
                    eprintln!("ota-sim: --devices must be at least 1");
                    return ExitCode::from(2);
                }
                scenario.devices = n;
            }
            if let Some(s) = seed {
                scenario.seed = s;
            }
            let check_replay = replay || (!no_replay && scenario.devices <= REPLAY_LIMIT);
            let bar = ProgressBar::new(u64::from(scenario.devices));
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg:>14} {wide_bar} {pos}/{len} devices reported")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let progress = |minute: u64, finished: u64| {
                bar.set_message(format!("sim {minute} min"));
                bar.set_position(finished);
            };
            let pem = match key.as_ref().map(std::fs::read_to_string).transpose() {
                Ok(pem) => pem,
                Err(e) => {
                    eprintln!("ota-sim: reading the key: {e}");
                    return ExitCode::from(2);
                }
            };
            let started = Instant::now();
            let result = if check_replay {
                simulate_with_replay(scenario.clone(), pem.as_deref(), progress)
            } else {
                simulate_signed(scenario.clone(), pem.as_deref(), progress)
            };
            let wall = started.elapsed().as_secs_f64();
            bar.finish_and_clear();
            let result = match result {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("ota-sim: {e}");
                    return ExitCode::from(2);
                }
            };
            print!("{}", table::summary(&result));
            if !check_replay {
                println!(
                    "[skip] replay check: {} devices is over {REPLAY_LIMIT} (--replay forces it)",
                    scenario.devices
                );
            }
            let runs = if check_replay { 2.0 } else { 1.0 };
            let messages = (result.messages.up + result.messages.down) as f64;
            println!(
                "wall time {wall:.1} s{}; {:.0} simulated messages per second",
                if check_replay {
                    " (two runs: the replay check)"
                } else {
                    ""
                },
                messages * runs / wall.max(1e-9)
            );
            if let Some(dir) = report {
                let written = std::fs::create_dir_all(&dir)
                    .and_then(|()| std::fs::write(dir.join("report.json"), result.to_json()))
                    .map_err(|e| e.to_string())
                    .and_then(|()| {
                        for (name, chart) in [
                            ("statuses.svg", html::statuses_chart(&result)?),
                            ("admissions.svg", html::admissions_chart(&result)?),
                            ("stages.svg", html::stages_chart(&result)?),
                        ] {
                            std::fs::write(dir.join(name), chart).map_err(|e| e.to_string())?;
                        }
                        html::page(&result)
                    })
                    .and_then(|page| {
                        std::fs::write(dir.join("report.html"), page).map_err(|e| e.to_string())
                    });
                match written {
                    Ok(()) => println!(
                        "reports: {}, {}",
                        dir.join("report.json").display(),
                        dir.join("report.html").display()
                    ),
                    Err(e) => {
                        eprintln!("ota-sim: writing the reports into {}: {e}", dir.display());
                        return ExitCode::from(2);
                    }
                }
            }
            if result.all_invariants_hold() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
