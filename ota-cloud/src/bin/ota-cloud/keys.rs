//! Loading keys named on the command line.

use std::path::{Path, PathBuf};

use ota_core::crypto::{Algorithm, KeyKind, PublicKey};

use super::{CliError, files};
use ota_cloud::signing::{LocalSigner, PrivateKey};

/// The options naming the key that signs, shared by `sign` and `release`.
#[derive(Debug, clap::Args)]
pub(crate) struct SigningKey {
    /// PEM private key that signs (P-256 or RSA).
    #[arg(long, value_name = "KEY.pem")]
    pub(crate) key: PathBuf,
    /// Sign with RSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) instead of PKCS#1 v1.5; RSA
    /// keys only.
    #[arg(long)]
    pub(crate) pss: bool,
}

impl SigningKey {
    /// The [`signer`] of this key.
    pub(crate) fn signer(&self) -> Result<LocalSigner, CliError> {
        signer(&self.key, self.pss)
    }
}

/// A signer for the PEM private key at `path`, with `--pss` for RSA keys.
pub(crate) fn signer(path: &Path, pss: bool) -> Result<LocalSigner, CliError> {
    let text = files::read_text(path, "a PEM private key")?;
    let key = PrivateKey::from_pem(&text)
        .map_err(|e| CliError::failure(format!("{}: {e}", path.display())))?;
    if pss && key.kind() == KeyKind::P256 {
        return Err(pss_with_p256(path));
    }
    LocalSigner::with_default_algorithm(key, pss)
        .map_err(|e| CliError::failure(format!("{}: {e}", path.display())))
}

/// The public key in the PEM file at `path`: `BEGIN PUBLIC KEY` (SPKI, what `openssl pkey
/// -pubout` and `keygen` write) or `BEGIN RSA PUBLIC KEY` (PKCS#1).
pub(crate) fn public_key(path: &Path) -> Result<PublicKey, CliError> {
    let text = files::read_text(path, "a PEM public key")?;
    let at = |message: String| CliError::failure(format!("{}: {message}", path.display()));
    let label = text
        .trim_start()
        .strip_prefix("-----BEGIN ")
        .and_then(|rest| rest.split_once("-----"))
        .map(|(label, _)| label)
        .ok_or_else(|| at("not a PEM public key (expected -----BEGIN PUBLIC KEY-----)".into()))?;
    match label {
        "PUBLIC KEY" => PublicKey::from_spki_pem(&text).map_err(|e| at(e.to_string())),
        "RSA PUBLIC KEY" => {
            let (_, der) = pkcs8::der::pem::decode_vec(text.trim().as_bytes())
                .map_err(|e| at(format!("malformed PEM: {e}")))?;
            PublicKey::from_pkcs1_der(&der).map_err(|e| at(e.to_string()))
        }
        l if l.ends_with("PRIVATE KEY") || l == "EC PARAMETERS" => Err(at(
            "holds a private key; pass the public key (KEY.pub.pem, or `openssl pkey -in KEY -pubout`)"
                .into(),
        )),
        "CERTIFICATE" => Err(at(
            "certificates are not read; extract the key with `openssl x509 -in CERT -pubkey -noout`"
                .into(),
        )),
        other => Err(at(format!("unsupported PEM block `{other}`"))),
    }
}

/// The algorithm a public key verifies with: ECDSA for P-256; RSA PKCS#1 v1.5, or PSS with
/// a 32-byte salt with `--pss`.
pub(crate) fn algorithm(key: &PublicKey, pss: bool, path: &Path) -> Result<Algorithm, CliError> {
    match (key.kind(), pss) {
        (KeyKind::P256, false) => Ok(Algorithm::EcdsaP256Sha256),
        (KeyKind::P256, true) => Err(pss_with_p256(path)),
        (_, false) => Ok(Algorithm::RsaPkcs1v15Sha256),
        (_, true) => Ok(Algorithm::RSA_PSS_SHA256),
    }
}

fn pss_with_p256(path: &Path) -> CliError {
    CliError::failure(format!(
        "{}: --pss applies to RSA keys only; this is a P-256 key",
        path.display()
    ))
}

/// `P-256`, `RSA-2048`, ...
pub(crate) fn describe(kind: KeyKind) -> String {
    match kind {
        KeyKind::P256 => "P-256".into(),
        KeyKind::Rsa { bits } => format!("RSA-{bits}"),
        other => format!("{other:?}"),
    }
}

/// `ECDSA P-256 with SHA-256`, ...
pub(crate) fn describe_algorithm(algorithm: Algorithm) -> String {
    match algorithm {
        Algorithm::EcdsaP256Sha256 => "ECDSA with SHA-256".into(),
        Algorithm::RsaPkcs1v15Sha256 => "RSA PKCS#1 v1.5 with SHA-256".into(),
        Algorithm::RsaPssSha256 { salt_len } => {
            format!("RSA-PSS with SHA-256, MGF1-SHA-256, {salt_len}-byte salt")
        }
        other => format!("{other:?}"),
    }
}
