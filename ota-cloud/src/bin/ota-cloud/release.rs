//! `ota-cloud release`: a signed job document for a firmware image.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;
use ota_core::version::{SecurityCounter, Version};

use super::backend::block_on;
use super::{CliError, files, keys, parse, write_out};
use ota_cloud::aws::{AwsBackend, S3Location};
use ota_cloud::release::{
    AfrOtaSpec, FirmwareSpec, ImageDigest, ManifestSpec, afr_ota_from_digest, cosign,
    firmware_update_from_digest,
};
use ota_cloud::signing::Signer as _;

/// Build and sign the job document for a firmware image.
///
/// `--format firmware` (the default) writes this project's document: a signed manifest
/// (product, hardware, file id, version, security counter, the image's exact size and
/// SHA-256, and optionally --min-version, --expires and --job-id) that devices check before
/// downloading, plus the key id, the version as a hint and the location (--stream and/or
/// --url). `--format afr-ota` writes the AWS/FreeRTOS `afr_ota` document, signed over the
/// image bytes only (`sig-sha256-ecdsa` for P-256 keys, `sig-sha256-rsa` for RSA), with
/// `filesize`, `fileid`, `filepath`, `certfile` and `streamname` and/or `update_data_url` +
/// `auth_scheme`; it cannot carry the signed constraints, so they are refused with it. The
/// document is parsed back and its signature verified before it is written. Output goes to
/// stdout, or to --out (written whole or not at all); an output that is the image or the key
/// is refused before anything is written. The image is read once, in chunks, so memory does
/// not grow with its size.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    signing: keys::SigningKey,
    /// Document format.
    #[arg(long, value_enum, default_value_t = Format::Firmware)]
    format: Format,
    /// Firmware version of the image (semver, e.g. 1.2.3). Required for --format firmware.
    #[arg(long, value_name = "V", value_parser = parse::version)]
    version: Option<Version>,
    /// Hardware id (board revision) the image is built for. Required for --format firmware.
    #[arg(long, value_name = "H")]
    hardware: Option<String>,
    /// Product id the image is built for. Required for --format firmware.
    #[arg(long, value_name = "P")]
    product: Option<String>,
    /// Anti-rollback counter of the image: devices refuse images below their stored one.
    #[arg(long, value_name = "N")]
    security_counter: Option<u32>,
    /// File id of the image within the job / stream.
    #[arg(long, value_name = "N", default_value_t = 0)]
    file_id: u8,
    /// Lowest running version allowed to install the image (firmware format).
    #[arg(long, value_name = "V", value_parser = parse::version)]
    min_version: Option<Version>,
    /// When devices with trusted time stop accepting the release: Unix seconds or
    /// YYYY-MM-DDTHH:MM (UTC) (firmware format).
    #[arg(long, value_name = "TIME", value_parser = parse::unix_time)]
    expires: Option<u64>,
    /// Bind the release to this job id: devices refuse it in any other job (firmware
    /// format).
    #[arg(long, value_name = "JOB")]
    job_id: Option<String>,
    /// AWS IoT MQTT stream id carrying the image.
    #[arg(long, value_name = "S")]
    stream: Option<String>,
    /// HTTPS URL of the image (an AWS `${aws:iot:s3-presigned-url:…}` placeholder works).
    #[arg(long, value_name = "U", conflicts_with = "publish")]
    url: Option<String>,
    /// Upload the image to S3 (multipart above 16 MiB) and use the
    /// `${aws:iot:s3-presigned-url:https://s3.amazonaws.com/BUCKET/KEY}` placeholder as its
    /// URL, which AWS IoT pre-signs for each device (the job needs a presignedUrlConfig:
    /// `ota-cloud job create --presign-role ARN`). The document is written only after the
    /// upload succeeded.
    #[arg(long, value_name = "s3://BUCKET/KEY")]
    publish: Option<String>,
    /// With --publish and --stream: also create the AWS IoT stream --stream of the published
    /// object (`CreateStream`), read by AWS IoT with this role (s3:GetObject on the object),
    /// so devices can fetch the image over MQTT.
    #[arg(long, value_name = "ARN", requires_all = ["publish", "stream"])]
    stream_role: Option<String>,
    /// With --publish: an S3 endpoint (an emulator such as MiniStack).
    #[arg(long, value_name = "URL", requires = "publish")]
    endpoint_url: Option<String>,
    /// With --publish: the bucket's region (default: the standard chain's).
    #[arg(long, value_name = "R", requires = "publish")]
    region: Option<String>,
    /// With --publish: a named profile of the shared AWS config files.
    #[arg(long, value_name = "NAME", requires = "publish")]
    profile: Option<String>,
    /// `filepath` of an afr-ota document (default: the image's file name).
    #[arg(long, value_name = "PATH")]
    file_path: Option<String>,
    /// `certfile` of an afr-ota document: the device-side name of the verification key
    /// (default: the key id).
    #[arg(long, value_name = "NAME")]
    cert_file: Option<String>,
    /// `fileType` of an afr-ota document (0 is firmware).
    #[arg(long, value_name = "N")]
    file_type: Option<u8>,
    /// `auth_scheme` written with --url in an afr-ota document.
    #[arg(long, value_name = "SCHEME", default_value = ota_cloud::release::AWS_S3_PRESIGNED)]
    auth_scheme: String,
    /// A further key that signs the manifest (firmware format), added to the document's
    /// `cosignatures` in the order given, for devices that need several signers (each key
    /// may also sign later, in turn, with `ota-cloud sign --cosign`). --pss applies to
    /// every RSA key.
    #[arg(long, value_name = "KEY.pem")]
    cosign_key: Vec<PathBuf>,
    /// Write the document here instead of stdout (replaced if it exists; never the image or
    /// the key).
    #[arg(long, value_name = "DOC.json")]
    out: Option<PathBuf>,
    /// The firmware image.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// This project's signed-manifest firmware-update document.
    Firmware,
    /// The AWS `afr_ota` document (CreateOTAUpdate), signed over the file.
    AfrOta,
}

/// Where `--publish` puts the image: its location and the placeholder URL.
fn publish_target(args: &Args) -> Result<Option<S3Location>, CliError> {
    args.publish
        .as_deref()
        .map(|url| S3Location::parse(url).map_err(|e| CliError::usage(format!("--publish: {e}"))))
        .transpose()
}

/// Upload the image to `location`, checking that the bytes read are the ones signed.
fn publish(args: &Args, location: &S3Location, signed: &ImageDigest) -> Result<(), CliError> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| CliError::failure(format!("cannot read {}: {e}", args.file.display())))?;
    if ImageDigest::of(&bytes) != *signed {
        return Err(CliError::failure(format!(
            "{} changed while it was being released: nothing published",
            args.file.display()
        )));
    }
    let settings = crate::backend::aws_settings(&args.region, &args.endpoint_url, &args.profile);
    block_on(async {
        let aws = AwsBackend::connect(&settings).await;
        aws.publish(location, bytes)
            .await
            .map_err(|e| CliError::failure(format!("--publish {location}: {e}")))?;
        if let (Some(role), Some(stream)) = (&args.stream_role, &args.stream) {
            let description = format!("{} ({})", location, args.file.display());
            aws.create_stream(
                stream,
                &description,
                &[(args.file_id, location.clone())],
                role,
            )
            .await
            .map_err(|e| CliError::failure(format!("--stream-role: stream {stream}: {e}")))?;
        }
        Ok(())
    })?
}

pub(crate) fn run(args: &Args, out: &mut dyn Write) -> Result<(), CliError> {
    let location = publish_target(args)?;
    let placeholder = location.as_ref().map(S3Location::presigned_placeholder);
    let url = args.url.as_deref().or(placeholder.as_deref());
    check_options(args, url)?;
    let mut inputs = vec![args.signing.key.as_path(), args.file.as_path()];
    inputs.extend(args.cosign_key.iter().map(PathBuf::as_path));
    match &args.out {
        Some(path) => files::refuse_output_over_inputs("--out", path, &inputs)?,
        None => files::refuse_stdout_over_inputs(&inputs)?,
    }
    let signer = args.signing.signer()?;
    let cosigners = args
        .cosign_key
        .iter()
        .map(|path| keys::signer(path, args.signing.pss))
        .collect::<Result<Vec<_>, _>>()?;
    let image = files::image_digest(&args.file)?;
    let release = match args.format {
        Format::Firmware => {
            let spec = firmware_spec(args, url)?;
            firmware_update_from_digest(&image, &spec, &signer)
        }
        Format::AfrOta => {
            let file_name = args
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            let key_id = signer.key_id().to_string();
            let spec = AfrOtaSpec {
                file_id: args.file_id,
                stream: args.stream.as_deref(),
                url,
                auth_scheme: &args.auth_scheme,
                file_path: args.file_path.as_deref().or(file_name.as_deref()),
                cert_file: Some(args.cert_file.as_deref().unwrap_or(&key_id)),
                file_type: args.file_type,
            };
            afr_ota_from_digest(&image, &spec, &signer)
        }
    }
    .map_err(|e| CliError::failure(e.to_string()))?;
    let mut document = release.document;
    for (cosigner, path) in cosigners.iter().zip(&args.cosign_key) {
        document = cosign(&document, cosigner)
            .map_err(|e| CliError::failure(format!("--cosign-key {}: {e}", path.display())))?
            .document;
    }
    if let Some(location) = &location {
        publish(args, location, &image)?;
    }
    let text = format!("{document}\n");
    match &args.out {
        Some(path) => files::stage(path, text.as_bytes(), false)?.commit(true),
        None => write_out(out, &text),
    }
}

/// Refuse options that do not belong to the chosen format, and stale expiries.
fn check_options(args: &Args, url: Option<&str>) -> Result<(), CliError> {
    if args.stream.is_none() && url.is_none() {
        return Err(CliError::usage(
            "give the image location: --stream S, --url U or --publish s3://BUCKET/KEY",
        ));
    }
    match args.format {
        Format::Firmware => {
            let missing: Vec<&str> = [
                ("--version", args.version.is_none()),
                ("--hardware", args.hardware.is_none()),
                ("--product", args.product.is_none()),
            ]
            .iter()
            .filter(|(_, absent)| *absent)
            .map(|(flag, _)| *flag)
            .collect();
            if !missing.is_empty() {
                return Err(CliError::usage(format!(
                    "{} required for --format firmware",
                    missing.join(", ")
                )));
            }
            let afr_only = [
                ("--file-path", args.file_path.is_some()),
                ("--cert-file", args.cert_file.is_some()),
                ("--file-type", args.file_type.is_some()),
            ];
            refuse_given(&afr_only, "applies to --format afr-ota only")?;
            if let Some(expires) = args.expires
                && expires <= parse::now()
            {
                return Err(CliError::usage(
                    "--expires is in the past: devices with trusted time would refuse the release",
                ));
            }
        }
        Format::AfrOta => {
            let manifest_only = [
                ("--version", args.version.is_some()),
                ("--hardware", args.hardware.is_some()),
                ("--product", args.product.is_some()),
                ("--security-counter", args.security_counter.is_some()),
                ("--min-version", args.min_version.is_some()),
                ("--expires", args.expires.is_some()),
                ("--job-id", args.job_id.is_some()),
                ("--cosign-key", !args.cosign_key.is_empty()),
            ];
            refuse_given(
                &manifest_only,
                "cannot be carried by an afr_ota document (only the file is signed); use --format firmware",
            )?;
        }
    }
    Ok(())
}

/// A usage error "FLAG WHY" for the first of `flags` given (`true`), if any.
fn refuse_given(flags: &[(&str, bool)], why: &str) -> Result<(), CliError> {
    match flags.iter().find(|(_, given)| *given) {
        Some((flag, _)) => Err(CliError::usage(format!("{flag} {why}"))),
        None => Ok(()),
    }
}

fn firmware_spec<'a>(args: &'a Args, url: Option<&'a str>) -> Result<FirmwareSpec<'a>, CliError> {
    let missing = |flag: &str| CliError::usage(format!("{flag} is required for --format firmware"));
    let manifest = ManifestSpec {
        product: args
            .product
            .as_deref()
            .ok_or_else(|| missing("--product"))?,
        hardware: args
            .hardware
            .as_deref()
            .ok_or_else(|| missing("--hardware"))?,
        file_id: args.file_id,
        version: args.version.ok_or_else(|| missing("--version"))?,
        security_counter: SecurityCounter(args.security_counter.unwrap_or(0)),
        min_version: args.min_version,
        expires: args.expires,
        job_id: args.job_id.as_deref(),
    };
    Ok(FirmwareSpec {
        manifest,
        stream: args.stream.as_deref(),
        url,
    })
}
