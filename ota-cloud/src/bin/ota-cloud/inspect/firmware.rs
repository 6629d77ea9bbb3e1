//! Describing a firmware-update document (the verdict is the device intake's, in `mod.rs`).

use ota_core::crypto::Base64Mode;
use ota_core::document::FirmwareUpdate;
use ota_core::manifest::{MAX_MANIFEST_LEN, Manifest};
use ota_core::version::Version;

use super::Report;
use ota_cloud::release::ImageDigest;
use ota_cloud::schedule::format_schedule_time;

/// Print what the document says; returns the manifest bytes when they decode.
pub(super) fn describe(doc: &FirmwareUpdate<'_>, report: &mut Report) -> Option<Vec<u8>> {
    let fw = &doc.firmware;
    report.line("format:", "firmware_update (signed manifest)");
    let mut scratch = [0u8; MAX_MANIFEST_LEN];
    let Ok(bytes) = fw.manifest.decode_base64(&mut scratch, Base64Mode::Strict) else {
        report.line("manifest:", "not strict base64 of at most 1024 bytes");
        return None;
    };
    let bytes = bytes.to_vec();
    match Manifest::parse(&bytes) {
        Ok(manifest) => describe_manifest(&manifest, report),
        Err(e) => report.line("manifest:", format!("malformed: {e}")),
    }
    report.line(
        "key id:",
        fw.key_id.map_or_else(
            || "(none: every trusted key is tried)".into(),
            |k| k.to_string(),
        ),
    );
    if let Some(list) = fw.cosignatures {
        let ids: Vec<String> = list.iter().map(|c| c.key_id.to_string()).collect();
        report.line("cosigned by:", ids.join(", "));
    }
    if let (Some(hint), Ok(manifest)) = (fw.version, Manifest::parse(&bytes)) {
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
    Some(bytes)
}

fn describe_manifest(m: &Manifest<'_>, report: &mut Report) {
    report.line("product:", m.product.to_string());
    report.line("hardware:", m.hardware.to_string());
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

/// Check the image against the signed size and SHA-256 of `manifest` (its bytes).
pub(super) fn check_image(manifest: &[u8], image: &ImageDigest, report: &mut Report) {
    let Ok(manifest) = Manifest::parse(manifest) else {
        return;
    };
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
