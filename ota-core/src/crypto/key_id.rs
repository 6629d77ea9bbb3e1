//! [`KeyId`]: the SHA-256 of a key's SubjectPublicKeyInfo DER.

use core::fmt;

use super::CryptoError;

/// Identifies a public key: SHA-256 of its canonical SubjectPublicKeyInfo DER.
///
/// "Canonical" means the form [`super::PublicKey`] re-encodes: an uncompressed point for P-256
/// and `rsaEncryption` with NULL parameters for RSA, which is what
/// `openssl pkey -pubin -outform DER | sha256sum` hashes for ordinary keys. So the id of a
/// key does not depend on whether it was loaded from SPKI, SEC1 (compressed or not) or PKCS#1.
///
/// A key id names a key the device already trusts; it is not a certificate fingerprint and
/// never a reason to trust a key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(pub [u8; 32]);

impl KeyId {
    /// Parse 64 hexadecimal characters (either case). Does not accept separators or a prefix.
    ///
    /// # Errors
    /// [`CryptoError::BadKeyIdHex`] for any other input.
    pub fn from_hex(text: &str) -> Result<Self, CryptoError> {
        let text = text.as_bytes();
        if text.len() != 64 {
            return Err(CryptoError::BadKeyIdHex);
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
            let (Some(hi), Some(lo)) = (nibble(pair[0]), nibble(pair[1])) else {
                return Err(CryptoError::BadKeyIdHex);
            };
            *byte = (hi << 4) | lo;
        }
        Ok(Self(out))
    }

    /// The 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Lowercase hex, 64 characters.
impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn hex_round_trip() {
        let id = KeyId([0xab; 32]);
        let text = format!("{id}");
        assert_eq!(text.len(), 64);
        assert_eq!(KeyId::from_hex(&text), Ok(id));
        assert_eq!(KeyId::from_hex(&text.to_uppercase()), Ok(id));
        assert_eq!(format!("{id:?}"), format!("KeyId({text})"));
    }

    #[test]
    fn bad_hex_is_refused() {
        // The last: multi-byte characters never panic on slicing.
        for text in [
            std::string::String::new(),
            "0".repeat(63),
            "0".repeat(65),
            "g".repeat(64),
            "é".repeat(32),
        ] {
            assert_eq!(
                KeyId::from_hex(&text),
                Err(CryptoError::BadKeyIdHex),
                "{text}"
            );
        }
    }
}
