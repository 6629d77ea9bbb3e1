//! `ota-cloud sign`: the base64 signature over a file.

use std::io::Write;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{CliError, files, keys, write_out};
use ota_cloud::signing::Signer as _;

/// Sign a file and print the signature in base64 on one line.
///
/// The signature means exactly what `openssl dgst -sha256 -sign KEY.pem FILE | base64 -w0`
/// means: SHA-256 over the file's bytes; a DER ECDSA signature for P-256 keys, an RSA
/// PKCS#1 v1.5 signature for RSA keys (byte-identical to OpenSSL's), or RSA-PSS with
/// MGF1-SHA-256 and a 32-byte salt with --pss (OpenSSL: `-sigopt rsa_padding_mode:pss
/// -sigopt rsa_pss_saltlen:32`). Every signature is verified with the public key before it
/// is printed. The key is read from PEM as OpenSSL writes it (PKCS#8, SEC1 or PKCS#1);
/// encrypted keys are refused. The file is read once, in chunks, so memory does not grow
/// with its size. Standard output redirected into the file or the key is refused.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    signing: keys::SigningKey,
    /// The file to sign.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

pub(crate) fn run(args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    files::refuse_stdout_over_inputs(&[args.signing.key.as_path(), args.file.as_path()])?;
    let signer = args.signing.signer()?;
    let image = files::image_digest(&args.file)?;
    let signature = signer
        .sign_digest(&image.sha256)
        .map_err(|e| CliError::failure(e.to_string()))?;
    write_out(out, &format!("{}\n", STANDARD.encode(signature)))
}
