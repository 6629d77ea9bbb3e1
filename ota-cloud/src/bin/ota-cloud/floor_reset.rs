//! `ota-cloud floor-reset`: a signed floor-reset document that lets devices install one
//! named release below their anti-rollback floor, once.

use std::io::Write;
use std::path::PathBuf;

use ota_cloud::release::{FloorResetSpec, ReleaseError, floor_reset};
use ota_core::version::{SecurityCounter, Version};

use super::{CliError, cosign_and_write, files, keys, parse};

/// Write a floor-reset job document: a statement (product, hardware, sequence, and the
/// version and security counter of one release) signed by --key and every --cosign-key,
/// which are the devices' root keys.
///
/// It recovers devices after a wrong release (say one signed with a security counter of
/// 1000) raised their anti-rollback floor and every correct release is now refused.
/// Devices whose keys rotate take it when the threshold of their root keys signed it, it
/// names their product and hardware, and its sequence is above the last reset they took
/// (reset_not_newer otherwise); they then let exactly that version with that security
/// counter past the floor, once, and set the floor to it when that image is committed. A
/// device whose monotonic counter (a bootloader's, which cannot go down) is above the
/// allowed counter refuses it (floor_locked); devices with fixed keys (no root) refuse it
/// (unsupported_document). Root keys held by other people sign in turn with `ota-cloud
/// sign --cosign DOC.json`; `ota-cloud inspect DOC.json --trust ROOT.pub.pem... --threshold
/// N` shows who signed and what a device would decide.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    signing: keys::SigningKey,
    /// A further root key that signs the statement, in the order given.
    #[arg(long, value_name = "KEY.pem")]
    cosign_key: Vec<PathBuf>,
    /// The product whose devices take it.
    #[arg(long, value_name = "P")]
    product: String,
    /// The hardware whose devices take it.
    #[arg(long, value_name = "H")]
    hardware: String,
    /// The reset's sequence: devices take only one above the last reset they took (1 for
    /// the first).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    sequence: u32,
    /// The version of the release allowed below the floor (semver, e.g. 1.2.1).
    #[arg(long, value_name = "V", value_parser = parse::version)]
    version: Version,
    /// The security counter of the release allowed below the floor.
    #[arg(long, value_name = "C")]
    security_counter: u32,
    /// Write the document here instead of stdout (replaced whole).
    #[arg(long, value_name = "DOC.json")]
    out: Option<PathBuf>,
}

pub(crate) fn run(args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let mut inputs = vec![args.signing.key.as_path()];
    inputs.extend(args.cosign_key.iter().map(PathBuf::as_path));
    match &args.out {
        Some(path) => files::refuse_output_over_inputs("--out", path, &inputs)?,
        None => files::refuse_stdout_over_inputs(&inputs)?,
    }
    let spec = FloorResetSpec {
        product: &args.product,
        hardware: &args.hardware,
        sequence: args.sequence,
        version: args.version,
        security_counter: SecurityCounter(args.security_counter),
    };
    let signer = args.signing.signer()?;
    let document = floor_reset(&spec, &signer)
        .map_err(|e| match e {
            ReleaseError::BadField { .. } => CliError::usage(e.to_string()),
            _ => CliError::failure(e.to_string()),
        })?
        .document;
    cosign_and_write(
        document,
        &args.cosign_key,
        args.signing.pss,
        args.out.as_deref(),
        out,
    )
}
