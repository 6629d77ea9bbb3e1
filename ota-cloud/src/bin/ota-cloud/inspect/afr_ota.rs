//! Explaining an `afr_ota` document.

use ota_core::crypto::{Base64Mode, MAX_VERIFIABLE_SIGNATURE_LEN, SignatureEncoding, TrustedKey};
use ota_core::document::{AfrFile, AfrOta, Protocol};
use ota_core::json::JsonStr;

use super::{Report, Trust};
use ota_cloud::release::{ImageDigest, signature_key};

/// Print what the document says (the verdict is the device intake's, in `mod.rs`).
pub(super) fn describe(doc: &AfrOta<'_>, report: &mut Report) {
    report.line(
        "format:",
        "afr_ota (AWS CreateOTAUpdate; only the file is signed)",
    );
    let protocols: Vec<&str> = doc
        .protocols()
        .iter()
        .map(|p| match p {
            Protocol::Mqtt => "MQTT",
            Protocol::Http => "HTTP",
        })
        .collect();
    report.line("protocols:", protocols.join(", "));
    if let Some(stream) = doc.stream_name {
        report.line("stream:", stream.to_string());
    }
    for (i, file) in doc.files.iter().enumerate() {
        describe_file(i, file, report);
    }
}

fn describe_file(i: usize, f: &AfrFile<'_>, report: &mut Report) {
    let mut parts = vec![
        format!("fileid {}", f.file_id),
        format!("{} bytes", f.file_size),
    ];
    if let Some(path) = f.file_path {
        parts.push(format!("filepath {path}"));
    }
    if let Some(cert) = f.cert_file {
        parts.push(format!("certfile {cert}"));
    }
    if let Some(t) = f.file_type {
        parts.push(format!("fileType {t}"));
    }
    parts.push(
        if f.is_firmware() {
            "firmware"
        } else {
            "not firmware"
        }
        .into(),
    );
    report.line(&format!("file {i}:"), parts.join(", "));
    if let Some(url) = f.update_data_url {
        report.line(
            "  url:",
            format!(
                "{url} (auth {})",
                f.auth_scheme.map_or("none".into(), |s| s.to_string())
            ),
        );
    }
    let sigs: Vec<String> = f.signatures().map(|(k, _)| k.to_string()).collect();
    report.line(
        "  signatures:",
        if sigs.is_empty() {
            "(none)".into()
        } else {
            sigs.join(", ")
        },
    );
}

/// Check `image` against the first file entry with every trusted key whose `sig-*` entry
/// is present.
pub(super) fn check_file(
    doc: &AfrOta<'_>,
    image: &ImageDigest,
    trust: &Trust,
    report: &mut Report,
) {
    let Some(file) = doc.files.first() else {
        return;
    };
    if image.size != u64::from(file.file_size) {
        report.problem(
            "image:",
            format!("{} bytes, but filesize says {}", image.size, file.file_size),
        );
        return;
    }
    let mut tried = false;
    for key in trust.store.iter() {
        let Some(text) = file.signature(signature_key(key.key().kind())) else {
            continue;
        };
        tried = true;
        if verifies(key, text, image) {
            report.line(
                "signature:",
                format!("file 0 verified by {}", trust.name(key)),
            );
            return;
        }
    }
    if tried {
        report.problem("signature:", "file 0 does not verify with any --trust key");
    } else {
        let mut kinds: Vec<&str> = trust
            .store
            .iter()
            .map(|k| signature_key(k.key().kind()))
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        report.problem(
            "signature:",
            format!(
                "file 0 has no {} entry for the --trust keys",
                kinds.join(" or ")
            ),
        );
    }
}

/// Whether `text` (base64, read as the AWS agent reads it) is `key`'s signature over the
/// image whose digest is `image`.
fn verifies(key: &TrustedKey, text: JsonStr<'_>, image: &ImageDigest) -> bool {
    let mut buf = [0u8; MAX_VERIFIABLE_SIGNATURE_LEN];
    let decoded = text.decode_base64(&mut buf, Base64Mode::AwsLenient);
    decoded.is_ok_and(|signature| {
        key.verify_digest(&image.digest(), signature, SignatureEncoding::Der)
            .is_ok()
    })
}
