//! `ota_cloud::signing::PrivateKey::from_pem` on any text: no panic; an accepted key written
//! back as PKCS#8 PEM reads as the same key.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_cloud::signing::PrivateKey;

fuzz_target!(|text: &str| {
    let Ok(key) = PrivateKey::from_pem(text) else { return };
    let pem = key.to_pkcs8_pem().expect("an accepted key writes back");
    let again = PrivateKey::from_pem(&pem).expect("written key reads back");
    assert_eq!(again.spki_der(), key.spki_der());
    assert_eq!(again.kind(), key.kind());
});
