//! The `ota-cloud` command-line tool: keys, signatures, signed job documents, rollout plans.
//!
//! Built with the `cli` feature (clap); the library does not depend on it.
//!
//! One module per command (`keygen`, `sign`, `verify`, `release`, `inspect`, `root`, ...), each with its
//! clap arguments and a `run` that writes its output to the writer it is given. Errors are
//! one line on stderr: exit 2 for a wrong command line, 1 for a failure (including a "no"
//! answer from `verify` or `inspect`). Output files are written to a temporary file in the
//! same directory, moved into place and the directory synced, so a failed command leaves no
//! partial file; an output that is one of the inputs is refused. Inputs are read with
//! bounded memory (see `files`).
//!
//! `plan` projects a rollout policy over a fleet with the engine itself (see
//! `ota_cloud::jobs::projection`). `job` and `campaign` drive AWS IoT Jobs (`--backend aws`)
//! or rehearse on an in-process engine (`--backend memory`), for release pipelines. `serve`
//! runs the self-hosted service (`ota_cloud::serve`).

mod backend;
mod campaign;
mod error;
mod files;
mod floor_reset;
mod gateway;
mod inspect;
mod job;
mod keygen;
mod keys;
mod parse;
mod plan;
mod release;
mod root;
mod serve;
mod sign;
mod verify;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory as _, FromArgMatches as _};

use error::CliError;

/// What each exit status means, shown after every `--help`.
const EXIT_STATUS: &str = "\
Exit status:
  0  success (verify: valid; inspect: everything asked was checked and passed; job describe:
     not cancelled and no failures; campaign run: completed)
  1  failure: the command ran and failed (unreadable or too-long input, invalid signature,
     a device would reject the document, an output that could not be written, a service
     call refused or out of reach, a job cancelled or with failures, a campaign stopped)
  2  wrong command line: unknown or missing option, value out of range, or an output that
     is one of the inputs";

/// Sign firmware releases, build AWS IoT job documents, and roll them out.
///
/// Keys are P-256 or RSA in the PEM formats OpenSSL writes; signatures mean what `openssl
/// dgst -sha256 -sign` makes; documents are this project's signed-manifest firmware
/// update or the AWS `afr_ota` format. Run `ota-cloud COMMAND --help` for each command.
#[derive(Debug, clap::Parser)]
#[command(name = "ota-cloud", version, after_help = EXIT_STATUS)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The commands; each one's help is its `Args` struct's doc comment, followed by
/// [`EXIT_STATUS`] (see [`command_line`]).
#[derive(Debug, clap::Subcommand)]
enum Command {
    Keygen(keygen::Args),
    Sign(sign::Args),
    Verify(verify::Args),
    Release(Box<release::Args>),
    Inspect(inspect::Args),
    Root(Box<root::Args>),
    FloorReset(Box<floor_reset::Args>),
    Plan(plan::Args),
    Gateway(gateway::Args),
    Job(job::Args),
    Campaign(campaign::Args),
    Serve(serve::Args),
}

/// [`Cli`]'s command line, with [`EXIT_STATUS`] after every command's help too.
fn command_line() -> clap::Command {
    Cli::command().mut_subcommands(|command| command.after_help(EXIT_STATUS))
}

/// Parse `args` (the program name first) with [`command_line`].
fn parse<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut command = command_line();
    let mut matches = command.try_get_matches_from_mut(args)?;
    Cli::from_arg_matches_mut(&mut matches).map_err(|e| e.format(&mut command))
}

/// Run the tool on the process's arguments: output on stdout, an error as one line on
/// stderr, and the exit code (0, 1 for a failure, 2 for a wrong command line).
fn main() -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match run(std::env::args_os(), &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {}", e.one_line());
            e.exit_code()
        }
    }
}

/// Parse `args` (the program name first) and run the command, writing its output (and
/// `--help`/`--version` text) to `out`.
fn run<I, T>(args: I, out: &mut dyn Write) -> Result<(), CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match parse(args) {
        Ok(cli) => cli,
        Err(e) => return parse_error(&e, out),
    };
    match &cli.command {
        Command::Keygen(args) => keygen::run(args, out),
        Command::Sign(args) => sign::run(args, out),
        Command::Verify(args) => verify::run(args, out),
        Command::Release(args) => release::run(args, out),
        Command::Inspect(args) => inspect::run(args, out),
        Command::Root(args) => root::run(args, out),
        Command::FloorReset(args) => floor_reset::run(args, out),
        Command::Plan(args) => plan::run(args, out),
        Command::Gateway(args) => gateway::run(args, out),
        Command::Job(args) => job::run(args, out),
        Command::Campaign(args) => campaign::run(args, out),
        Command::Serve(args) => serve::run(args, out),
    }
}

/// Help and version go to `out`; every other clap error becomes one usage line.
fn parse_error(e: &clap::Error, out: &mut dyn Write) -> Result<(), CliError> {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            write_out(out, &e.render().to_string())
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            Err(CliError::usage(
                "a command is required: keygen, sign, verify, release, root, floor-reset, inspect, plan, gateway, job, campaign or serve (see ota-cloud --help)",
            ))
        }
        _ => {
            let rendered = e.render().to_string();
            let message: Vec<&str> = rendered
                .lines()
                .take_while(|l| !l.starts_with("Usage:"))
                .map(str::trim)
                .filter(|l| {
                    !l.is_empty()
                        && !l.starts_with("tip:")
                        && !l.starts_with("For more information")
                })
                .collect();
            let message = message.join(" ");
            let message = message.strip_prefix("error: ").unwrap_or(&message);
            Err(CliError::usage(format!("{message} (see --help)")))
        }
    }
}

/// Write `text` to `out`, turning an IO error (a closed pipe) into a failure.
fn write_out(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::failure(format!("cannot write output: {e}")))
}

/// `document` co-signed by each key of `cosign_keys` in turn, then written with a newline
/// to `path` (replaced whole) or to `out`.
fn cosign_and_write(
    mut document: String,
    cosign_keys: &[std::path::PathBuf],
    pss: bool,
    path: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    for key in cosign_keys {
        let cosigner = keys::signer(key, pss)?;
        document = ota_cloud::release::cosign(&document, &cosigner)
            .map_err(|e| CliError::failure(format!("--cosign-key {}: {e}", key.display())))?
            .document;
    }
    let text = format!("{document}\n");
    match path {
        Some(path) => files::stage(path, text.as_bytes(), false)?.commit(true),
        None => write_out(out, &text),
    }
}

#[cfg(test)]
mod tests;
