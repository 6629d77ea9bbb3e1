//! PEM (RFC 7468) unwrapping into a caller buffer, without allocation.

use super::CryptoError;
use super::base64::{Rules, decode};

/// Decode the single PEM block labelled `label` in `text` into `out`.
///
/// Accepts surrounding whitespace and any ASCII whitespace inside the body; refuses anything
/// else before `BEGIN` or after `END`, headers (`Proc-Type:` and the like), a second block and
/// a mismatched label. Does not interpret the decoded bytes.
pub(crate) fn decode_pem<'o>(
    text: &str,
    label: &str,
    out: &'o mut [u8],
) -> Result<&'o [u8], CryptoError> {
    let rest = text.trim_start();
    let rest = strip_boundary(rest, "-----BEGIN ", label).ok_or(CryptoError::BadPem)?;
    let end = rest.find("-----END ").ok_or(CryptoError::BadPem)?;
    let (body, tail) = rest.split_at(end);
    let tail = strip_boundary(tail, "-----END ", label).ok_or(CryptoError::BadPem)?;
    if !tail.trim().is_empty() {
        return Err(CryptoError::BadPem);
    }
    let len = decode(body.as_bytes(), out, Rules::PEM).map_err(|e| match e {
        CryptoError::Base64TooLong => CryptoError::KeyTooLong,
        _ => CryptoError::BadPem,
    })?;
    Ok(out.get(..len).unwrap_or_default())
}

/// `text` after `"{kind}{label}-----"`, or `None`.
fn strip_boundary<'t>(text: &'t str, kind: &str, label: &str) -> Option<&'t str> {
    text.strip_prefix(kind)?
        .strip_prefix(label)?
        .strip_prefix("-----")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem(text: &str) -> Result<std::vec::Vec<u8>, CryptoError> {
        let mut out = [0u8; 16];
        decode_pem(text, "TEST", &mut out).map(<[u8]>::to_vec)
    }

    #[test]
    fn unwraps_one_block() {
        let text = "\n-----BEGIN TEST-----\r\nZm9v\r\nYmFy\n-----END TEST-----\n\n";
        assert_eq!(pem(text).as_deref(), Ok(&b"foobar"[..]));
    }

    #[test]
    fn refuses_bad_framing() {
        assert_eq!(pem("Zm9v"), Err(CryptoError::BadPem));
        assert_eq!(
            pem("-----BEGIN TEST-----\nZm9v\n"),
            Err(CryptoError::BadPem)
        );
        assert_eq!(
            pem("-----BEGIN TEST-----\nZm9v\n-----END OTHER-----"),
            Err(CryptoError::BadPem)
        );
        assert_eq!(
            pem("-----BEGIN OTHER-----\nZm9v\n-----END TEST-----"),
            Err(CryptoError::BadPem)
        );
        assert_eq!(
            pem("-----BEGIN TEST-----\nZm9v\n-----END TEST-----\nx"),
            Err(CryptoError::BadPem)
        );
        assert_eq!(
            pem("-----BEGIN TEST-----\nZm9v*\n-----END TEST-----"),
            Err(CryptoError::BadPem)
        );
        assert_eq!(
            pem("-----BEGIN TEST-----\n-----END TEST-----"),
            Err(CryptoError::BadPem)
        );
        let long = std::format!(
            "-----BEGIN TEST-----\n{}\n-----END TEST-----",
            "A".repeat(40)
        );
        assert_eq!(pem(&long), Err(CryptoError::KeyTooLong));
    }
}
