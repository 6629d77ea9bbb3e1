//! `ota-cloud inspect`: explain a job document and say what a device would decide.

mod afr_ota;
mod firmware;
mod trust;

use std::io::Write;
use std::path::PathBuf;

use ota_cloud::release::ImageDigest;
use ota_core::crypto::Digest;
use ota_core::crypto::{TrustStore, TrustedKey};
use ota_core::document::{DocumentError, JobDocument};
use ota_core::manifest::{ExpiryCheck, Manifest, ManifestPolicy, RollbackFloor, TrustedTime};
use ota_core::signed::Signatures;
use ota_core::version::{SecurityCounter, Version};
use ota_device::PreferredTransport;
use ota_device::inspect::{
    Device as DeviceView, Fetch, FirmwareJob, SignatureCheck, Verdict, inspect,
};

use super::{CliError, files, keys, parse, write_out};

/// Most `--trust` keys.
const MAX_TRUST: usize = 8;

/// Explain a job document and say what a device would decide on it.
///
/// The verdict is the device client's own: inspect runs ota-device's intake, the code a
/// device runs when the job arrives, and prints the reason it would report the job REJECTED
/// with (bad_document, bad_encoding, no_usable_signature, wrong_hardware, not_newer, ...).
///
/// Without --trust every check but the signature is made (an afr_ota file without a
/// signature entry, or one that is not base64, is rejected); the signature is "not
/// checked". Without a device identity (--hardware, --product, --running-version) the
/// device's own checks (product, hardware, anti-rollback floor, minimum version, expiry,
/// slot size) are not made.
///
/// Firmware-update documents: prints the signed manifest (product, hardware, file id,
/// version, security counter, size, SHA-256, minimum version, expiry, job binding), the key
/// id and the transport; with --file the image is checked against the signed size and
/// SHA-256. afr_ota documents: prints the protocols, stream and files; their signature
/// covers the file, so with --trust it is checked only with --file. Trust updates: prints
/// the root statement (product, version, each role's threshold and keys); --trust are then
/// the devices' current *root* keys, and the verdict is the device's own root check
/// (with --product and --root-version when given).
///
/// The document may be at most 32768 bytes (the AWS IoT Jobs limit); the image is read
/// once, in chunks, so memory does not grow with its size.
///
/// Exits 0 when a device would take the document and everything asked was checked and
/// passed, 1 with the first reason otherwise (a custom document included: nothing to
/// install).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The job document (JSON).
    #[arg(value_name = "DOC.json")]
    document: PathBuf,
    /// A public key devices trust (PEM); repeat for several.
    #[arg(long, value_name = "PUB.pem")]
    trust: Vec<PathBuf>,
    /// How many distinct --trust keys must sign (the device's release threshold for a
    /// firmware document, its root threshold for a trust update; default 1). Every
    /// signature is checked and each signer is listed.
    #[arg(long, value_name = "N", requires = "trust", default_value_t = 1)]
    threshold: u8,
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
    /// The device's trusted time: Unix seconds, YYYY-MM-DDTHH:MM UTC, or `unknown` for a
    /// device without trusted time (default: the system clock).
    #[arg(long, value_name = "TIME", value_parser = parse::trusted_time, requires = "running_version")]
    now: Option<TrustedTime>,
    /// The job the document arrives in (default: the job the manifest is bound to, if any).
    #[arg(long, value_name = "JOB", requires = "running_version")]
    job_id: Option<String>,
    /// The device accepts reinstalling its floor version.
    #[arg(long, requires = "running_version")]
    allow_same_version: bool,
    /// The device refuses a manifest with an expiry when it has no trusted time (with
    /// --now unknown).
    #[arg(long, requires = "running_version")]
    require_trusted_time: bool,
    /// Trust updates: the root version the device holds (a statement must be above it).
    #[arg(long, value_name = "N")]
    root_version: Option<u32>,
    /// The device takes HTTPS over an MQTT stream when a document offers both.
    #[arg(long)]
    prefer_http: bool,
    /// The device's URL buffer, in bytes: a longer URL is not usable (default: no limit).
    #[arg(long, value_name = "BYTES")]
    url_capacity: Option<usize>,
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
    fn load(paths: &[PathBuf], pss: bool, threshold: u8) -> Result<Self, CliError> {
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
        if !store.is_empty() {
            store
                .set_threshold(threshold)
                .map_err(|e| CliError::usage(format!("--threshold: {e}")))?;
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
        policy.now = args.now.unwrap_or_else(|| TrustedTime::Unix(parse::now()));
        policy.allow_same_version = args.allow_same_version;
        policy.require_trusted_time = args.require_trusted_time;
        Some(Self { policy })
    }

    fn describe(&self) -> String {
        let p = &self.policy;
        format!(
            "product {}, hardware {}, running {}, floor {} / counter {}",
            p.product, p.hardware, p.running, p.floor.version, p.floor.security_counter
        )
    }
}

/// Longest URL when --url-capacity is not given: more than a document can hold.
const UNLIMITED_URL: usize = ota_cloud::MAX_DOCUMENT_LEN;

pub(crate) fn run(args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let mut inputs = vec![args.document.as_path()];
    inputs.extend(args.trust.iter().map(PathBuf::as_path));
    inputs.extend(args.file.as_deref());
    files::refuse_stdout_over_inputs(&inputs)?;
    let bytes = files::read_document(&args.document)?;
    let name = args.document.display();
    let trust = Trust::load(&args.trust, args.pss, args.threshold)?;
    let device = Device::from_args(args);
    let image = args.file.as_deref().map(files::image_digest).transpose()?;
    let mut report = Report::default();
    if let Some(file) = args.file.as_deref() {
        report.line("image file:", file.display().to_string());
    }
    let parsed = JobDocument::parse(&bytes);
    let described = describe(&parsed, &mut report);
    let job_id = job_id(args, &described);
    let mut url = vec![0u8; args.url_capacity.unwrap_or(UNLIMITED_URL)];
    let view = DeviceView {
        trust: (!trust.store.is_empty()).then_some(&trust.store),
        policy: device.as_ref().map(|d| d.policy),
        preferred_transport: preferred_transport(args),
        accept_afr_ota: true,
    };
    if !trust.store.is_empty() {
        match (&parsed, &described) {
            (Ok(JobDocument::Firmware(doc)), Described::Firmware(Some(manifest))) => {
                signer_lines(&doc.firmware.signatures(), manifest, &trust, &mut report);
            }
            (Ok(JobDocument::TrustUpdate(update)), Described::Trust(statement)) => {
                signer_lines(&update.signatures(), statement, &trust, &mut report);
            }
            (Ok(JobDocument::FloorReset(reset)), Described::Reset(statement)) => {
                signer_lines(&reset.signatures(), statement, &trust, &mut report);
            }
            _ => {}
        }
    }
    if let (Ok(JobDocument::TrustUpdate(update)), Described::Trust(statement)) =
        (&parsed, &described)
    {
        trust::verdict(
            update,
            statement,
            &trust.store,
            args.product.as_deref(),
            args.root_version,
            &mut report,
        );
    } else if let (Ok(JobDocument::FloorReset(reset)), Described::Reset(statement)) =
        (&parsed, &described)
    {
        let identity = (args.product.as_deref(), args.hardware.as_deref());
        trust::reset_verdict(reset, statement, &trust.store, identity, &mut report);
    } else {
        let decision = inspect(&view, &job_id, &bytes, &mut url);
        if let Some(device) = &device {
            report.line("device:", device.describe());
        }
        match decision {
            Err(reason) => {
                let detail = match &parsed {
                    Err(e) => format!("not a valid job document: {e}"),
                    Ok(_) => reason.description().to_owned(),
                };
                report.problem(
                    "verdict:",
                    format!("a device would reject it: {reason} ({detail})"),
                );
            }
            Ok(Verdict::Custom) => report.problem(
                "verdict:",
                "a custom job document: a device hands it to the application, nothing to install",
            ),
            Ok(Verdict::Firmware(job)) => {
                firmware_verdict(&job, &url, device.is_some(), &trust, &mut report);
                if let Some(image) = &image {
                    check_image(&job, &described, &parsed, image, &trust, &mut report);
                }
            }
        }
    }
    let mut text = report.lines.join("\n");
    text.push('\n');
    write_out(out, &text)?;
    match report.problems.first() {
        Some(first) => Err(CliError::failure(format!("{name}: {first}"))),
        None => Ok(()),
    }
}

fn preferred_transport(args: &Args) -> PreferredTransport {
    if args.prefer_http {
        PreferredTransport::Http
    } else {
        PreferredTransport::Mqtt
    }
}

/// Describe the document's format and content in `report`.
fn describe(parsed: &Result<JobDocument<'_>, DocumentError>, report: &mut Report) -> Described {
    match parsed {
        Ok(JobDocument::Firmware(doc)) => Described::Firmware(firmware::describe(doc, report)),
        Ok(JobDocument::AfrOta(doc)) => {
            afr_ota::describe(doc, report);
            Described::AfrOta
        }
        Ok(JobDocument::TrustUpdate(update)) => {
            if let Some(statement) = trust::describe(update, report) {
                Described::Trust(statement)
            } else {
                Described::Other
            }
        }
        Ok(JobDocument::FloorReset(reset)) => {
            trust::describe_reset(reset, report).map_or(Described::Other, Described::Reset)
        }
        Ok(JobDocument::Custom(_)) => {
            report.line(
                "format:",
                "custom (neither afr_ota nor \"operation\":\"firmware_update\")",
            );
            Described::Other
        }
        Err(e) => {
            report.line("format:", format!("not a valid job document: {e}"));
            Described::Other
        }
    }
}

/// The job the document arrives in: as given, else the one the manifest is bound to.
fn job_id(args: &Args, described: &Described) -> String {
    let bound = match described {
        Described::Firmware(Some(manifest)) => Manifest::parse(manifest)
            .ok()
            .and_then(|m| m.job_id.map(|j| j.to_string())),
        _ => None,
    };
    args.job_id
        .clone()
        .or(bound)
        .unwrap_or_else(|| "any-job".into())
}

/// Check the image file against what the document signs: the manifest's length and
/// SHA-256, or an `afr_ota` file signature.
fn check_image(
    job: &FirmwareJob,
    described: &Described,
    parsed: &Result<JobDocument<'_>, DocumentError>,
    image: &ImageDigest,
    trust: &Trust,
    report: &mut Report,
) {
    match (described, parsed) {
        (Described::Firmware(Some(manifest)), _) => firmware::check_image(manifest, image, report),
        (Described::AfrOta, Ok(JobDocument::AfrOta(doc)))
            if job.signature == SignatureCheck::AfterDownload =>
        {
            afr_ota::check_file(doc, image, trust, report);
        }
        _ => {}
    }
}

/// What the description found, for the checks after the verdict.
enum Described {
    /// A firmware-update document, with its manifest bytes when they decode.
    Firmware(Option<Vec<u8>>),
    /// A trust-update document and its root statement's bytes.
    Trust(Vec<u8>),
    /// A floor-reset document and its statement's bytes.
    Reset(Vec<u8>),
    AfrOta,
    Other,
}

/// Who of the trusted keys signed a document's statement (a manifest, a root), and whether
/// they make the threshold (every signature checked, unlike a device, which stops at the
/// threshold).
fn signer_lines(signatures: &Signatures<'_>, statement: &[u8], trust: &Trust, report: &mut Report) {
    match signatures.signers(&trust.store, &Digest::sha256(statement)) {
        Ok((signed, met)) => {
            for id in signed.iter() {
                if let Some(key) = trust.store.get(id) {
                    report.line("signed by:", trust.name(key));
                }
            }
            report.line(
                "threshold:",
                format!(
                    "{} of the {} trusted keys signed, {} needed: {}",
                    signed.len(),
                    trust.store.len(),
                    trust.store.threshold(),
                    if met { "met" } else { "NOT met" }
                ),
            );
        }
        Err(rejection) => report.line("signed by:", format!("unknown ({rejection})")),
    }
}

/// The verdict and signature lines of a document a device would take.
fn firmware_verdict(
    job: &FirmwareJob,
    url: &[u8],
    identified: bool,
    trust: &Trust,
    report: &mut Report,
) {
    let fetch = match &job.fetch {
        Fetch::Stream { id, file_id } => format!("MQTT stream {id}, file {file_id}"),
        Fetch::Http { len } => format!(
            "HTTPS {}",
            String::from_utf8_lossy(url.get(..*len).unwrap_or_default())
        ),
    };
    let what = if job.activates {
        "install"
    } else {
        "store (not firmware: never activated)"
    };
    let expiry = match job.expiry {
        Some(ExpiryCheck::NoExpiry) => ", no expiry",
        Some(ExpiryCheck::Valid) => ", not expired",
        Some(ExpiryCheck::Unchecked) => ", expiry unchecked: no trusted time",
        None => "",
    };
    if identified {
        report.line(
            "verdict:",
            format!("would {what} {} bytes from {fetch}{expiry}", job.size),
        );
    } else {
        report.line(
            "verdict:",
            format!(
                "passes every check that needs no device identity; would {what} {} bytes from {fetch} (give --hardware, --product and --running-version for the device's own checks)",
                job.size
            ),
        );
    }
    let signature = match job.signature {
        SignatureCheck::Verified(key) => match trust.store.iter().find(|k| k.key_id() == key) {
            Some(k) => format!("verified by {}", trust.name(k)),
            None => format!("verified by key id {key}"),
        },
        SignatureCheck::AfterDownload => {
            "the afr_ota signature covers the file: checked after the download (give --file FILE to check it now)".into()
        }
        SignatureCheck::NotChecked => "not checked (give --trust PUB.pem)".into(),
    };
    report.line("signature:", signature);
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
