//! `ota-cloud verify`: is this signature over this file valid for this key?

use std::io::Write;
use std::path::PathBuf;

use ota_core::crypto::{
    Base64Mode, CryptoError, MAX_VERIFIABLE_SIGNATURE_LEN, SignatureEncoding, TrustedKey,
    decode_base64,
};

use super::{CliError, files, keys, write_out};

/// Verify a base64 signature over a file; print `valid` and exit 0, or give the reason and
/// exit 1.
///
/// Accepts what `openssl dgst -sha256 -sign KEY.pem FILE | base64` makes: SHA-256 over the
/// file; DER ECDSA for P-256 keys; RSA PKCS#1 v1.5, or RSA-PSS with a 32-byte salt and
/// MGF1-SHA-256 with --pss. Whitespace and line breaks in the signature file are ignored;
/// the signature must be standard base64 with padding. The algorithm comes from the key and
/// --pss, never from the signature. Checks are those a device makes (strict DER, RSA key of
/// 2048 to 8192 bits with e = 65537).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// PEM public key: `BEGIN PUBLIC KEY` (as `keygen` and `openssl pkey -pubout` write) or
    /// `BEGIN RSA PUBLIC KEY`.
    #[arg(long, value_name = "PUB.pem")]
    public_key: PathBuf,
    /// File holding the base64 signature.
    #[arg(long, value_name = "SIG.b64")]
    signature: PathBuf,
    /// The signature is RSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt); RSA keys only.
    #[arg(long)]
    pss: bool,
    /// The signed file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

pub(crate) fn run(args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    files::refuse_stdout_over_inputs(&[
        args.public_key.as_path(),
        args.signature.as_path(),
        args.file.as_path(),
    ])?;
    let key = keys::public_key(&args.public_key)?;
    let algorithm = keys::algorithm(&key, args.pss, &args.public_key)?;
    let trusted = TrustedKey::new(key, algorithm)
        .map_err(|e| CliError::failure(format!("{}: {e}", args.public_key.display())))?;
    let text = files::read_text(&args.signature, "a base64 signature")?;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    // Room for the longest signature any key verifies (RSA-8192: 1024 bytes).
    let mut buf = [0u8; MAX_VERIFIABLE_SIGNATURE_LEN];
    let signature = decode_base64(&compact, &mut buf, Base64Mode::Strict).map_err(|e| {
        CliError::failure(format!(
            "{}: not a base64 signature: {e}",
            args.signature.display()
        ))
    })?;
    let digest = files::image_digest(&args.file)?.digest();
    trusted
        .verify_digest(&digest, signature, SignatureEncoding::Der)
        .map_err(|e| CliError::failure(format!("invalid: {}", reason(e))))?;
    write_out(out, "valid\n")
}

/// Why a signature was refused, in words for someone holding OpenSSL output.
fn reason(e: CryptoError) -> String {
    match e {
        CryptoError::BadSignatureEncoding => {
            "signature is not validly encoded for this key (ECDSA: not strict DER; RSA: not the modulus length)".into()
        }
        CryptoError::SignatureInvalid => {
            "signature does not verify with this key, algorithm and file".into()
        }
        other => other.to_string(),
    }
}
