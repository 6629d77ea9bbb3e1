//! `ota-cloud root`: a signed trust-update document that rotates devices' keys.

use std::io::Write;
use std::path::{Path, PathBuf};

use ota_cloud::release::{RoleSpec, RootSpec, trust_update};
use ota_core::crypto::TrustedKey;

use super::{CliError, cosign_and_write, files, keys};

/// Write a trust-update job document: a root statement (product, version, root keys and
/// release keys, each role with its threshold) signed by --key and every --cosign-key.
///
/// Devices whose keys rotate take it when the threshold of their *current* root keys
/// signed it, the threshold of its *own* root keys signed it too, it names their product
/// and its version is above theirs; they then verify firmware with its release keys from
/// the next job on, so a key left out is revoked. Keys are public PEM files (P-256, or RSA:
/// PKCS#1 v1.5, or PSS with --pss); the statement carries them as SEC1 points and PKCS#1
/// DER. Keys held by other people sign in turn with `ota-cloud sign --cosign DOC.json`;
/// `ota-cloud inspect DOC.json --trust ROOT.pub.pem... --threshold N` shows who signed.
/// The statement is at most 2048 bytes (about eight P-256 keys or four RSA-2048 keys).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    signing: keys::SigningKey,
    /// A further key that signs the statement, in the order given.
    #[arg(long, value_name = "KEY.pem")]
    cosign_key: Vec<PathBuf>,
    /// The product whose devices take it.
    #[arg(long, value_name = "P")]
    product: String,
    /// The root's version: devices take only a higher one than they hold.
    #[arg(long, value_name = "N")]
    version: u32,
    /// A public key of the new root role (signs the next root); repeat for each.
    #[arg(long, value_name = "PUB.pem", required = true)]
    root_key: Vec<PathBuf>,
    /// How many root keys must sign the next root.
    #[arg(long, value_name = "N", default_value_t = 1)]
    root_threshold: u8,
    /// A public key of the new release role (signs firmware); repeat for each.
    #[arg(long, value_name = "PUB.pem", required = true)]
    release_key: Vec<PathBuf>,
    /// How many release keys must sign a firmware manifest.
    #[arg(long, value_name = "N", default_value_t = 1)]
    release_threshold: u8,
    /// A public key of the timestamp role, which signs "latest release" statements for the
    /// freeze defence (the service's: `GET /api/v1/latest` gives it); repeat for each.
    /// Without one, devices check no such statement.
    #[arg(long, value_name = "PUB.pem")]
    timestamp_key: Vec<PathBuf>,
    /// How many timestamp keys must sign a latest statement.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        requires = "timestamp_key"
    )]
    timestamp_threshold: u8,
    /// Write the document here instead of stdout (replaced whole).
    #[arg(long, value_name = "DOC.json")]
    out: Option<PathBuf>,
}

pub(crate) fn run(args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let mut inputs = vec![args.signing.key.as_path()];
    inputs.extend(args.cosign_key.iter().map(PathBuf::as_path));
    inputs.extend(args.root_key.iter().map(PathBuf::as_path));
    inputs.extend(args.release_key.iter().map(PathBuf::as_path));
    inputs.extend(args.timestamp_key.iter().map(PathBuf::as_path));
    match &args.out {
        Some(path) => files::refuse_output_over_inputs("--out", path, &inputs)?,
        None => files::refuse_stdout_over_inputs(&inputs)?,
    }
    let root_keys = trusted_keys(&args.root_key, args.signing.pss)?;
    let release_keys = trusted_keys(&args.release_key, args.signing.pss)?;
    let timestamp_keys = trusted_keys(&args.timestamp_key, args.signing.pss)?;
    let spec = RootSpec {
        product: &args.product,
        version: args.version,
        root: RoleSpec {
            threshold: args.root_threshold,
            keys: &root_keys,
        },
        release: RoleSpec {
            threshold: args.release_threshold,
            keys: &release_keys,
        },
        timestamp: (!timestamp_keys.is_empty()).then_some(RoleSpec {
            threshold: args.timestamp_threshold,
            keys: &timestamp_keys,
        }),
    };
    let signer = args.signing.signer()?;
    let document = trust_update(&spec, &signer)
        .map_err(|e| CliError::usage(e.to_string()))?
        .document;
    cosign_and_write(
        document,
        &args.cosign_key,
        args.signing.pss,
        args.out.as_deref(),
        out,
    )
}

/// The keys in `paths`, each bound to the algorithm it verifies.
fn trusted_keys(paths: &[PathBuf], pss: bool) -> Result<Vec<TrustedKey>, CliError> {
    paths.iter().map(|path| trusted_key(path, pss)).collect()
}

fn trusted_key(path: &Path, pss: bool) -> Result<TrustedKey, CliError> {
    let key = keys::public_key(path)?;
    let algorithm = keys::algorithm(&key, pss, path)?;
    TrustedKey::new(key, algorithm)
        .map_err(|e| CliError::failure(format!("{}: {e}", path.display())))
}
