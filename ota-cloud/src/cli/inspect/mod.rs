//! `ota-cloud inspect`: explain a job document and say what a device would decide.

mod afr_ota;
mod firmware;

use std::io::Write;
use std::path::{Path, PathBuf};

use ota_core::crypto::{TrustStore, TrustedKey};
use ota_core::document::JobDocument;
use ota_core::manifest::{ManifestPolicy, RollbackFloor, TrustedTime};
use ota_core::version::{SecurityCounter, Version};

use super::{CliError, files, keys, parse, write_out};

/// Most `--trust` keys.
const MAX_TRUST: usize = 8;

/// Explain a job document; check its signature and what a device would decide.
///
/// Validates a document of either format. With --trust, checks its signature; with a device
/// identity (--hardware, --product, --running-version), says whether that device would
/// install it and, if not, why.
///
/// Firmware-update documents: prints the signed manifest (product, hardware, file id,
/// version, security counter, size, SHA-256, minimum version, expiry, job binding), the key
/// id and the transport. With --trust the manifest signature is checked as a device checks
/// it; with --hardware, --product and --running-version the device policy is applied
/// (anti-rollback floor, minimum version, expiry against --now or the system clock,
/// --max-size, the job it arrives in). With --file the image is checked against the signed
/// size and SHA-256.
///
/// afr_ota documents: prints the protocols, stream and files. Their signature covers only
/// the file, so it is checked only with --trust and --file; nothing else in them is signed,
/// so no device identity can reject them before the download.
///
/// The document may be at most 32768 bytes (the AWS IoT Jobs limit); the image is read
/// once, in chunks, so memory does not grow with its size.
///
/// Exits 0 when everything asked was checked and passed, 1 with the first reason otherwise.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The job document (JSON).
    #[arg(value_name = "DOC.json")]
    document: PathBuf,
    /// A public key devices trust (PEM); repeat for several.
    #[arg(long, value_name = "PUB.pem")]
    trust: Vec<PathBuf>,
    /// RSA trust keys verify RSA-PSS (32-byte salt) instead of PKCS#1 v1.5.
    #[arg(long)]
    pss: bool,
    /// The image file: checked against the manifest's size and SHA-256, or against the
    /// afr_ota file signature (first file entry).
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Device hardware id.
    #[arg(long, value_name = "H", requires_all = ["product", "running_version"])]
    hardware: Option<String>,
    /// Device product id.
    #[arg(long, value_name = "P", requires_all = ["hardware", "running_version"])]
    product: Option<String>,
    /// Version the device runs.
    #[arg(long, value_name = "V", value_parser = parse::version, requires_all = ["hardware", "product"])]
    running_version: Option<Version>,
    /// The device's anti-rollback floor version (default: the running version).
    #[arg(long, value_name = "V", value_parser = parse::version, requires = "running_version")]
    floor_version: Option<Version>,
    /// The highest security counter the device has stored (default 0).
    #[arg(long, value_name = "N", requires = "running_version")]
    security_counter_floor: Option<u32>,
    /// Largest image the device's slot holds, in bytes.
    #[arg(long, value_name = "BYTES", requires = "running_version")]
    max_size: Option<u32>,
    /// The device's trusted time: Unix seconds or YYYY-MM-DDTHH:MM UTC (default: the
    /// system clock).
    #[arg(long, value_name = "TIME", value_parser = parse::unix_time, requires = "running_version")]
    now: Option<u64>,
    /// The job the document arrives in (default: the job the manifest is bound to, if any).
    #[arg(long, value_name = "JOB", requires = "running_version")]
    job_id: Option<String>,
    /// The device accepts reinstalling its floor version.
    #[arg(long, requires = "running_version")]
    allow_same_version: bool,
}

/// What an inspection found: lines to print, and the problems that make it fail.
#[derive(Debug, Default)]
struct Report {
    lines: Vec<String>,
    problems: Vec<String>,
}

impl Report {
    /// Add `key value`; control characters from the document are shown escaped, so a
    /// document cannot drive the terminal.
    fn line(&mut self, key: &str, value: impl AsRef<str>) {
        let mut shown = String::new();
        for c in value.as_ref().chars() {
            if c.is_control() {
                shown.extend(c.escape_unicode());
            } else {
                shown.push(c);
            }
        }
        self.lines.push(format!("{key:<17} {shown}"));
    }

    fn problem(&mut self, key: &str, value: impl Into<String>) {
        let value = value.into();
        self.line(key, format!("FAIL: {value}"));
        self.problems.push(value);
    }
}

/// The trust store from --trust, with each key's name for the report.
struct Trust {
    store: TrustStore<MAX_TRUST>,
    names: Vec<(ota_core::crypto::KeyId, String)>,
}

impl Trust {
    fn load(paths: &[PathBuf], pss: bool) -> Result<Self, CliError> {
        if paths.len() > MAX_TRUST {
            return Err(CliError::usage(format!("at most {MAX_TRUST} --trust keys")));
        }
        let mut store = TrustStore::new();
        let mut names = Vec::new();
        for path in paths {
            let key = keys::public_key(path)?;
            let algorithm = keys::algorithm(&key, pss, path)?;
            let trusted = TrustedKey::new(key, algorithm)
                .map_err(|e| CliError::failure(format!("{}: {e}", path.display())))?;
            names.push((trusted.key_id(), path.display().to_string()));
            // Only a duplicate can fail here (the count is checked above); one copy will do.
            let _ = store.add(trusted);
        }
        Ok(Self { store, names })
    }

    /// `PUB.pem (key id …, ECDSA with SHA-256)` for a key of the store.
    fn name(&self, key: &TrustedKey) -> String {
        let id = key.key_id();
        let algorithm = keys::describe_algorithm(key.algorithm());
        self.names.iter().find(|(k, _)| *k == id).map_or_else(
            || format!("key id {id} ({algorithm})"),
            |(_, n)| format!("{n} (key id {id}, {algorithm})"),
        )
    }
}

/// The device described on the command line.
struct Device<'a> {
    policy: ManifestPolicy<'a>,
    job_id: Option<&'a str>,
}

impl<'a> Device<'a> {
    fn from_args(args: &'a Args) -> Option<Self> {
        let (Some(hardware), Some(product), Some(running)) =
            (&args.hardware, &args.product, args.running_version)
        else {
            return None;
        };
        let mut policy = ManifestPolicy::new(product, hardware, running);
        policy.floor = RollbackFloor {
            version: args.floor_version.unwrap_or(running),
            security_counter: SecurityCounter(args.security_counter_floor.unwrap_or(0)),
        };
        policy.max_size = args.max_size.unwrap_or(u32::MAX);
        policy.now = TrustedTime::Unix(args.now.unwrap_or_else(parse::now));
        policy.allow_same_version = args.allow_same_version;
        Some(Self {
            policy,
            job_id: args.job_id.as_deref(),
        })
    }

    fn describe(&self) -> String {
        let p = &self.policy;
        format!(
            "product {}, hardware {}, running {}, floor {} / counter {}",
            p.product, p.hardware, p.running, p.floor.version, p.floor.security_counter
        )
    }
}

pub(crate) fn run(args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let mut inputs = vec![args.document.as_path()];
    inputs.extend(args.trust.iter().map(PathBuf::as_path));
    inputs.extend(args.file.as_deref());
    files::refuse_stdout_over_inputs(&inputs)?;
    let bytes = files::read_document(&args.document)?;
    let name = args.document.display();
    let document = JobDocument::parse(&bytes)
        .map_err(|e| CliError::failure(format!("{name}: not a valid job document: {e}")))?;
    let trust = Trust::load(&args.trust, args.pss)?;
    let device = Device::from_args(args);
    let image = args.file.as_deref().map(files::image_digest).transpose()?;
    let file = args.file.as_deref().map(Path::display);
    let mut report = Report::default();
    match &document {
        JobDocument::Firmware(doc) => {
            firmware::inspect(doc, &trust, device.as_ref(), image.as_ref(), &mut report);
        }
        JobDocument::AfrOta(doc) => {
            afr_ota::inspect(doc, &trust, device.as_ref(), image.as_ref(), &mut report);
        }
        JobDocument::Custom(_) => {
            return Err(CliError::failure(format!(
                "{name}: a custom job document: neither afr_ota nor \"operation\":\"firmware_update\""
            )));
        }
    }
    if let Some(file) = file {
        report
            .lines
            .insert(0, format!("{:<17} {file}", "image file:"));
    }
    let mut text = report.lines.join("\n");
    text.push('\n');
    write_out(out, &text)?;
    match report.problems.first() {
        Some(first) => Err(CliError::failure(format!("{name}: {first}"))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lines_escape_control_characters() {
        let mut report = Report::default();
        report.line("product:", "acme\u{9b}31m\u{1b}[0m");
        report.problem("verdict:", "no");
        assert_eq!(
            report.lines,
            [
                "product:          acme\\u{9b}31m\\u{1b}[0m",
                "verdict:          FAIL: no"
            ]
        );
        assert_eq!(report.problems, ["no"]);
    }
}
