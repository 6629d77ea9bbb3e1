//! PEM (RFC 7468) unwrapping into a caller buffer, without allocation, by `pem-rfc7468`.

use super::CryptoError;

/// Decode the single PEM block labelled `label` in `text` into `out`.
///
/// Follows RFC 7468's strict grammar, as `pem-rfc7468` reads it: explanatory text before
/// the block and whitespace around it are accepted; the body must be wrapped at one width
/// (OpenSSL's 64 columns, or one long line), each line ending in LF, CRLF or CR. Refuses
/// anything after `END`, headers (`Proc-Type:` and the like), a second block, a mismatched
/// label, an empty body and blank lines or spaces inside the body. Does not interpret the
/// decoded bytes.
pub(crate) fn decode_pem<'o>(
    text: &str,
    label: &str,
    out: &'o mut [u8],
) -> Result<&'o [u8], CryptoError> {
    let mut decoder = pem_rfc7468::Decoder::new_detect_wrap(text.trim().as_bytes())
        .map_err(|_| CryptoError::BadPem)?;
    if decoder.type_label() != label {
        return Err(CryptoError::BadPem);
    }
    let out = out
        .get_mut(..decoder.remaining_len())
        .ok_or(CryptoError::KeyTooLong)?;
    let der = decoder.decode(out).map_err(|_| CryptoError::BadPem)?;
    if der.is_empty() || !decoder.is_finished() {
        return Err(CryptoError::BadPem);
    }
    Ok(der)
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
        let one_line = "-----BEGIN TEST-----\nZm9vYmFyYg==\n-----END TEST-----";
        assert_eq!(pem(one_line).as_deref(), Ok(&b"foobarb"[..]));
        // RFC 7468 §5.2: explanatory text before the block is not an error.
        let explained = "Subject: test\n-----BEGIN TEST-----\nZm9v\n-----END TEST-----\n";
        assert_eq!(pem(explained).as_deref(), Ok(&b"foo"[..]));
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
        assert_eq!(
            pem("-----BEGIN TEST-----\nProc-Type: 4,ENCRYPTED\n\nZm9v\n-----END TEST-----"),
            Err(CryptoError::BadPem)
        );
        let long = std::format!(
            "-----BEGIN TEST-----\n{}\n-----END TEST-----",
            "A".repeat(40)
        );
        assert_eq!(pem(&long), Err(CryptoError::KeyTooLong));
    }

    #[test]
    fn refuses_bodies_outside_the_strict_grammar() {
        // Lines of different widths, a blank line, spaces: accepted by the lenient readers
        // (OpenSSL), not by RFC 7468's strict grammar.
        for body in [
            "Zm9v\nYmFyYmF6\nYg==",
            "Zm9v\n\nYmFy",
            "Zm9v YmFy",
            "\tZm9vYmFy",
        ] {
            let text = std::format!("-----BEGIN TEST-----\n{body}\n-----END TEST-----");
            assert_eq!(pem(&text), Err(CryptoError::BadPem), "{body:?}");
        }
    }
}
