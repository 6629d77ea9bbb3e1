//! Manifest verification with structured input: arbitrary manifest text, signature text, key
//! id and document fields against a fixed trust store and policy. No panic, and nothing
//! forged verifies.
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ota_core::crypto::{Algorithm, PublicKey, TrustStore, TrustedKey};
use ota_core::document::FirmwareRef;
use ota_core::json::JsonStr;
use ota_core::manifest::{MAX_MANIFEST_LEN, ManifestPolicy, verify};
use ota_core::version::Version;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    manifest: &'a str,
    signature: &'a str,
    key_id: Option<&'a str>,
    version: Option<&'a str>,
    file_id: u8,
    job_id: &'a str,
}

fuzz_target!(|input: Input<'_>| {
    let key = PublicKey::from_spki_der(include_bytes!("../../ota-core/tests/fixtures/openssl/p256_pub.der")).unwrap();
    let mut store = TrustStore::<1>::new();
    store.add(TrustedKey::new(key, Algorithm::EcdsaP256Sha256).unwrap()).unwrap();
    // The texts as JSON string content: escapes are decoded on the way (`\/`, `\u0041`).
    fn text(s: &str) -> Option<JsonStr<'_>> {
        JsonStr::from_raw(s).ok()
    }
    let (Some(manifest), Some(signature)) = (text(input.manifest), text(input.signature)) else {
        return;
    };
    let firmware = FirmwareRef {
        manifest,
        signature,
        key_id: input.key_id.and_then(text),
        cosignatures: None,
        version: input.version.and_then(text),
        stream: None,
        file_id: input.file_id,
        url: JsonStr::from_plain("https://example.com"),
    };
    let policy = ManifestPolicy::new("acme", "rev-b", Version::new(1, 0, 0));
    let mut scratch = [0u8; MAX_MANIFEST_LEN];
    // The fuzzer holds no private key, so no input may pass.
    assert!(verify(&firmware, input.job_id, &store, &policy, &mut scratch).is_err());
});
