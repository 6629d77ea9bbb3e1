//! Explaining a firmware-update document.

use ota_core::crypto::{
    Base64Mode, CryptoError, Digest, KeyId, MAX_VERIFIABLE_SIGNATURE_LEN, SignatureEncoding,
};
use ota_core::document::FirmwareUpdate;
use ota_core::json::JsonStr;
use ota_core::manifest::{ExpiryCheck, MAX_MANIFEST_LEN, Manifest, Rejection, verify};
use ota_core::version::Version;

use super::{Device, Report, Trust};
use crate::release::ImageDigest;
use crate::schedule::format_schedule_time;

pub(super) fn inspect(
    doc: &FirmwareUpdate<'_>,
    trust: &Trust,
    device: Option<&Device<'_>>,
    image: Option<&ImageDigest>,
    report: &mut Report,
) {
    let fw = &doc.firmware;
    report.line("format:", "firmware_update (signed manifest)");
    let mut scratch = [0u8; MAX_MANIFEST_LEN];
    let Ok(bytes) = fw.manifest.decode_base64(&mut scratch, Base64Mode::Strict) else {
        report.problem("manifest:", "not strict base64 of at most 1024 bytes");
        return;
    };
    let bytes = bytes.to_vec();
    let manifest = match Manifest::parse(&bytes) {
        Ok(m) => m,
        Err(e) => {
            report.problem("manifest:", format!("malformed: {e}"));
            return;
        }
    };
    describe_manifest(&manifest, report);
    report.line(
        "key id:",
        fw.key_id.map_or_else(
            || "(none: every trusted key is tried)".into(),
            |k| k.to_string(),
        ),
    );
    if let Some(hint) = fw.version {
        let matches = Version::parse(&hint.to_string()) == Ok(manifest.version);
        let note = if matches {
            "matches"
        } else {
            "DIFFERS from the signed version"
        };
        report.line("version hint:", format!("{hint} ({note})"));
    }
    let mut transport = Vec::new();
    if let Some(stream) = fw.stream {
        transport.push(format!("MQTT stream {stream} (file {})", fw.file_id));
    }
    if let Some(url) = fw.url {
        transport.push(format!("HTTPS {url}"));
    }
    report.line("transport:", transport.join("; "));

    check_signature(fw.signature, fw.key_id, &bytes, trust, report);
    if let Some(device) = device {
        verdict(doc, &manifest, trust, device, report);
    }
    if let Some(image) = image {
        check_image(&manifest, image, report);
    }
}

fn describe_manifest(m: &Manifest<'_>, report: &mut Report) {
    report.line("product:", m.product);
    report.line("hardware:", m.hardware);
    report.line("file id:", m.file_id.to_string());
    report.line("version:", m.version.to_string());
    report.line("security counter:", m.security_counter.to_string());
    report.line("size:", format!("{} bytes", m.size));
    report.line("sha256:", m.sha256.to_string());
    report.line(
        "min version:",
        m.min_version
            .map_or_else(|| "(none)".into(), |v| v.to_string()),
    );
    report.line(
        "expires:",
        m.expires.map_or_else(
            || "(never)".into(),
            |e| match e.checked_mul(1000) {
                Some(ms) => format!("{e} ({} UTC)", format_schedule_time(ms)),
                None => e.to_string(),
            },
        ),
    );
    report.line(
        "job binding:",
        m.job_id
            .map_or_else(|| "(any job)".into(), |j| format!("only job {j}")),
    );
}

fn check_signature(
    text: JsonStr<'_>,
    key_id: Option<JsonStr<'_>>,
    manifest: &[u8],
    trust: &Trust,
    report: &mut Report,
) {
    if trust.store.is_empty() {
        report.line("signature:", "not checked (give --trust PUB.pem)");
        return;
    }
    let mut buf = [0u8; MAX_VERIFIABLE_SIGNATURE_LEN];
    let Ok(signature) = text.decode_base64(&mut buf, Base64Mode::Strict) else {
        report.problem("signature:", "not strict base64");
        return;
    };
    let Ok(id) = key_id.map(|k| KeyId::from_hex(&k.to_string())).transpose() else {
        report.problem("signature:", "keyId is not 64 hex digits");
        return;
    };
    let digest = Digest::sha256(manifest);
    match trust
        .store
        .verify_digest(id.as_ref(), &digest, signature, SignatureEncoding::Der)
    {
        Ok(key) => report.line("signature:", format!("verified by {}", trust.name(key))),
        Err(CryptoError::UnknownKeyId) => {
            report.problem("signature:", "keyId names none of the --trust keys")
        }
        Err(e) => report.problem("signature:", format!("does not verify: {e}")),
    }
}

fn verdict(
    doc: &FirmwareUpdate<'_>,
    manifest: &Manifest<'_>,
    trust: &Trust,
    device: &Device<'_>,
    report: &mut Report,
) {
    report.line("device:", device.describe());
    let job = device
        .job_id
        .or(manifest.job_id.map(|j| j.as_str()))
        .unwrap_or("any-job");
    let result = if trust.store.is_empty() {
        unsigned_checks(doc, manifest, job, device)
            .map(|expiry| (expiry, " (signature not checked)"))
    } else {
        let mut scratch = [0u8; MAX_MANIFEST_LEN];
        verify(
            &doc.firmware,
            job,
            &trust.store,
            &device.policy,
            &mut scratch,
        )
        .map(|v| (v.expiry(), ""))
    };
    match result {
        Ok((expiry, note)) => {
            let expiry = match expiry {
                ExpiryCheck::NoExpiry => "no expiry",
                ExpiryCheck::Valid => "not expired",
                ExpiryCheck::Unchecked => "expiry unchecked",
            };
            report.line("verdict:", format!("would install ({expiry}){note}"));
        }
        Err(r) => report.problem(
            "verdict:",
            format!("a device would reject it: {r} ({})", r.reason()),
        ),
    }
}

/// The checks of [`verify`] after the signature, for when no key was given.
fn unsigned_checks(
    doc: &FirmwareUpdate<'_>,
    manifest: &Manifest<'_>,
    job: &str,
    device: &Device<'_>,
) -> Result<ExpiryCheck, Rejection> {
    if let Some(hint) = doc.firmware.version
        && Version::parse(&hint.to_string()) != Ok(manifest.version)
    {
        return Err(Rejection::VersionHintMismatch);
    }
    if manifest.file_id != doc.firmware.file_id {
        return Err(Rejection::WrongFile);
    }
    if manifest.job_id.is_some_and(|bound| bound.as_str() != job) {
        return Err(Rejection::WrongJob);
    }
    device.policy.check(manifest)
}

fn check_image(manifest: &Manifest<'_>, image: &ImageDigest, report: &mut Report) {
    if image.size != u64::from(manifest.size) {
        report.problem(
            "image:",
            format!(
                "does not match the manifest: {} bytes, signed size {}",
                image.size, manifest.size
            ),
        );
    } else if image.sha256 != manifest.sha256.0 {
        report.problem(
            "image:",
            "does not match the manifest: SHA-256 differs from the signed one",
        );
    } else {
        report.line("image:", "matches the signed size and SHA-256");
    }
}
