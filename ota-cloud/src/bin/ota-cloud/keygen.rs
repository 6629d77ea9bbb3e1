//! `ota-cloud keygen`: a new signing key pair.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::{CliError, files, keys, write_out};
use ota_cloud::signing::{KeyAlgorithm, PrivateKey};

/// Generate a signing key pair with the operating system's RNG.
///
/// Writes the private key as unencrypted PKCS#8 PEM (`BEGIN PRIVATE KEY`, mode 0600 on Unix)
/// and the public key as SPKI PEM (`BEGIN PUBLIC KEY`) next to it: `--out release.pem` also
/// writes `release.pub.pem`. Both are what `openssl genpkey` and `openssl pkey -pubout`
/// write, so OpenSSL reads them. Prints the key id devices use (SHA-256 of the public key's
/// DER). Existing files are kept unless --force is given; with --force both files are
/// replaced or, if either cannot be, neither (the old pair stays as it was). Give devices
/// the public key; keep the private key off build machines you do not trust.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Key type: P-256 (ECDSA, smallest signatures), RSA-2048 or RSA-3072.
    #[arg(long, value_enum)]
    algorithm: AlgorithmArg,
    /// Private key file to write; the public key goes to the same name with `.pub.pem`.
    #[arg(long, value_name = "KEY.pem")]
    out: PathBuf,
    /// Replace existing key files.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AlgorithmArg {
    /// NIST P-256 (prime256v1) for ECDSA with SHA-256.
    P256,
    /// RSA, 2048-bit modulus, e = 65537.
    Rsa2048,
    /// RSA, 3072-bit modulus, e = 65537.
    Rsa3072,
}

impl From<AlgorithmArg> for KeyAlgorithm {
    fn from(a: AlgorithmArg) -> Self {
        match a {
            AlgorithmArg::P256 => Self::P256,
            AlgorithmArg::Rsa2048 => Self::Rsa2048,
            AlgorithmArg::Rsa3072 => Self::Rsa3072,
        }
    }
}

/// `key.pem` → `key.pub.pem`; `key` → `key.pub.pem`.
pub(crate) fn public_path(private: &Path) -> PathBuf {
    let stem = match private.extension() {
        Some(ext) if ext == "pem" => private.with_extension(""),
        _ => private.to_path_buf(),
    };
    let mut name = stem.into_os_string();
    name.push(".pub.pem");
    PathBuf::from(name)
}

pub(crate) fn run(args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let public = public_path(&args.out);
    if !args.force {
        for path in [&args.out, &public] {
            if path.exists() {
                return Err(files::exists(path));
            }
        }
    }
    let key = PrivateKey::generate(args.algorithm.into())
        .map_err(|e| CliError::failure(e.to_string()))?;
    let private_pem = key
        .to_pkcs8_pem()
        .map_err(|e| CliError::failure(e.to_string()))?;
    let staged = vec![
        files::stage(&args.out, private_pem.as_bytes(), true)?,
        files::stage(&public, key.public_key_pem().as_bytes(), false)?,
    ];
    // Both or neither: an old pair stays whole when either file cannot be replaced.
    files::commit_together(staged, args.force)?;
    write_out(
        out,
        &format!(
            "private key: {}\npublic key:  {}\nkey type:    {}\nkey id:      {}\n",
            args.out.display(),
            public.display(),
            keys::describe(key.kind()),
            key.public_key().key_id()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_key_path_sits_next_to_the_private_key() {
        assert_eq!(public_path(Path::new("k.pem")), Path::new("k.pub.pem"));
        assert_eq!(public_path(Path::new("dir/k")), Path::new("dir/k.pub.pem"));
        assert_eq!(public_path(Path::new("k.key")), Path::new("k.key.pub.pem"));
    }
}
