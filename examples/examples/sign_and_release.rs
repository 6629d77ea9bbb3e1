//! Sign and release a firmware image, then check the document as a device would.
//!
//! `cargo run -p ota-examples --example sign_and_release`
//!
//! The backend half (`ota_cloud::signing`, `ota_cloud::release`) makes a key, signs a
//! manifest for the image and writes the job document; the device half
//! (`ota_core::manifest::verify`) checks the document against its trust store and policy
//! before downloading anything, then checks the image bytes against the signed hash. The
//! same document is then shown to a device of another board revision, which refuses it, and
//! an `afr_ota` document is made for the AWS FreeRTOS agent.

use std::error::Error;

use ota_cloud::release::{AfrOtaSpec, FirmwareSpec, ManifestSpec, afr_ota, firmware_update};
use ota_cloud::signing::{KeyAlgorithm, LocalSigner, PrivateKey, Signer as _};
use ota_core::crypto::{TrustStore, TrustedKey};
use ota_core::document::JobDocument;
use ota_core::manifest::{MAX_MANIFEST_LEN, ManifestPolicy, verify};
use ota_core::version::{SecurityCounter, Version};

fn main() -> Result<(), Box<dyn Error>> {
    // Backend: a release key (`ota-cloud keygen --algorithm p256` does the same and writes
    // it as PEM) and an image.
    let signer =
        LocalSigner::with_default_algorithm(PrivateKey::generate(KeyAlgorithm::P256)?, false)?;
    let image: Vec<u8> = (0..48 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();

    let mut manifest = ManifestSpec::new("thermostat", "rev-b", Version::new(1, 4, 0));
    manifest.security_counter = SecurityCounter(3);
    manifest.min_version = Some(Version::new(1, 2, 0));
    let mut spec = FirmwareSpec::new(manifest);
    spec.stream = Some("fw-1_4_0");
    let release = firmware_update(&image, &spec, &signer)?;
    println!("key id {}", release.key_id);
    println!(
        "job document ({} bytes):\n{}\n",
        release.document.len(),
        release.document
    );

    // Device: the public key in its trust store, its own identity and running version.
    let mut trust = TrustStore::<1>::new();
    trust
        .add(TrustedKey::new(
            signer.public_key().clone(),
            signer.algorithm(),
        )?)
        .map_err(|e| format!("trust store: {e:?}"))?;
    let JobDocument::Firmware(doc) = JobDocument::parse(release.document.as_bytes())? else {
        return Err("not a firmware document".into());
    };
    let mut scratch = [0u8; MAX_MANIFEST_LEN];
    let policy = ManifestPolicy::new("thermostat", "rev-b", Version::new(1, 3, 1));
    let verified = verify(&doc.firmware, "job-42", &trust, &policy, &mut scratch)
        .map_err(|r| format!("rejected: {r:?}"))?;
    let signed = verified.manifest();
    println!(
        "rev-b device on 1.3.1: accepts {} ({} bytes, counter {})",
        signed.version, signed.size, signed.security_counter.0
    );
    let mut check = verified.image_verifier();
    for chunk in image.chunks(1024) {
        check.update(chunk)?;
    }
    check.finish()?;
    println!("rev-b device: downloaded image matches the signed SHA-256");

    // Another board revision refuses the same document before downloading anything.
    let mut scratch = [0u8; MAX_MANIFEST_LEN];
    let other = ManifestPolicy::new("thermostat", "rev-a", Version::new(1, 3, 1));
    match verify(&doc.firmware, "job-42", &trust, &other, &mut scratch) {
        Ok(_) => return Err("a rev-a device accepted a rev-b build".into()),
        Err(rejection) => println!("rev-a device: refuses it ({rejection:?})"),
    }

    // For the AWS FreeRTOS OTA agent: an `afr_ota` document signed over the file.
    let mut aws = AfrOtaSpec::new();
    aws.stream = Some("fw-1_4_0");
    aws.file_path = Some("/fw/thermostat.bin");
    let afr = afr_ota(&image, &aws, &signer)?;
    println!(
        "\nafr_ota document ({} bytes):\n{}",
        afr.document.len(),
        afr.document
    );
    Ok(())
}
