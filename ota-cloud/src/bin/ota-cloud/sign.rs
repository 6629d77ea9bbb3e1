//! `ota-cloud sign`: the base64 signature over a file, or one more signature on a firmware
//! document.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{CliError, files, keys, write_out};
use ota_cloud::release::cosign;
use ota_cloud::signing::Signer as _;

/// Sign a file and print the signature in base64 on one line; or, with --cosign, add this
/// key's signature to a firmware-update document.
///
/// The signature means exactly what `openssl dgst -sha256 -sign KEY.pem FILE | base64 -w0`
/// means: SHA-256 over the file's bytes; a DER ECDSA signature for P-256 keys, an RSA
/// PKCS#1 v1.5 signature for RSA keys (byte-identical to OpenSSL's), or RSA-PSS with
/// MGF1-SHA-256 and a 32-byte salt with --pss (OpenSSL: `-sigopt rsa_padding_mode:pss
/// -sigopt rsa_pss_saltlen:32`). Every signature is verified with the public key before it
/// is printed. The key is read from PEM as OpenSSL writes it (PKCS#8, SEC1 or PKCS#1);
/// encrypted keys are refused. The file is read once, in chunks, so memory does not grow
/// with its size. Standard output redirected into the file or the key is refused.
///
/// --cosign DOC.json signs the document's manifest bytes (the same bytes every other
/// signature of it covers) and adds the signature to its `cosignatures`, for devices whose
/// trust store needs several signers: each key holder runs this in turn, and nothing
/// already signed changes. The document is written to --out (replaced whole), or to
/// standard output. A key that already signed, an `afr_ota` document (one signature, over
/// the file) or a document without `keyId` is refused.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    signing: keys::SigningKey,
    /// The file to sign.
    #[arg(
        value_name = "FILE",
        required_unless_present = "cosign",
        conflicts_with = "cosign"
    )]
    file: Option<PathBuf>,
    /// Add a signature to this firmware-update document instead of signing a file.
    #[arg(long, value_name = "DOC.json")]
    cosign: Option<PathBuf>,
    /// With --cosign: write the document here (it may be DOC.json itself) instead of stdout.
    #[arg(long, value_name = "OUT.json", requires = "cosign")]
    out: Option<PathBuf>,
}

pub(crate) fn run(args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    if let Some(document) = &args.cosign {
        return run_cosign(args, document, out);
    }
    let file = args
        .file
        .as_deref()
        .ok_or_else(|| CliError::usage("give the FILE to sign, or --cosign DOC.json"))?;
    files::refuse_stdout_over_inputs(&[args.signing.key.as_path(), file])?;
    let signer = args.signing.signer()?;
    let image = files::image_digest(file)?;
    let signature = signer
        .sign_digest(&image.sha256)
        .map_err(|e| CliError::failure(e.to_string()))?;
    write_out(out, &format!("{}\n", STANDARD.encode(signature)))
}

fn run_cosign(args: &Args, document: &Path, out: &mut dyn Write) -> Result<(), CliError> {
    let key = args.signing.key.as_path();
    match &args.out {
        // The document itself may be the output: it is read whole before anything is written.
        Some(path) => files::refuse_output_over_inputs("--out", path, &[key])?,
        None => files::refuse_stdout_over_inputs(&[key, document])?,
    }
    let text = files::read_document(document)?;
    let text = String::from_utf8(text)
        .map_err(|_| CliError::failure(format!("{}: not UTF-8", document.display())))?;
    let signer = args.signing.signer()?;
    let release = cosign(&text, &signer)
        .map_err(|e| CliError::failure(format!("{}: {e}", document.display())))?;
    let text = format!("{}\n", release.document);
    match &args.out {
        Some(path) => files::stage(path, text.as_bytes(), false)?.commit(true),
        None => write_out(out, &text),
    }
}
