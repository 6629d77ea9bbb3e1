//! Base64 (RFC 4648 standard alphabet) decoding of signatures into a fixed buffer.
//!
//! One decoder for the signatures of job documents (PEM bodies go through `pem-rfc7468`).
//! It never allocates, never panics and stops at the first byte that would not fit the output.
//! It does not accept the URL-safe alphabet, and it does not guess: the caller picks the mode.

use super::{CryptoError, MAX_RSA_BITS};

/// Size of [`decode_signature`]'s fixed buffer: 512 bytes, an RSA-4096 signature. The same in
/// every build, so that buffers and layouts sized by it (a device's signature buffer, the
/// space `ota-device` reserves for a signature in its manifest trailer) do not depend on
/// features. AWS's agent uses 384 (RSA-3072). Longer signatures (RSA-6144 and RSA-8192, with
/// `alloc`) decode with [`decode_base64`] into a [`MAX_VERIFIABLE_SIGNATURE_LEN`] buffer.
pub const MAX_SIGNATURE_LEN: usize = 512;

/// Longest signature a key of this build can verify: with the `alloc` feature 1024 bytes (an
/// RSA-8192 signature, [`super::MAX_RSA_BITS`]), else 72 bytes (a DER ECDSA P-256 signature;
/// without `alloc`, P-256 is the only key type). For callers that keep a signature for later
/// or size a buffer for any key: a longer one can never verify.
pub const MAX_VERIFIABLE_SIGNATURE_LEN: usize = if cfg!(feature = "alloc") {
    (MAX_RSA_BITS as usize).div_ceil(8)
} else {
    72
};

/// Longest strict base64 text that can decode to [`MAX_SIGNATURE_LEN`] bytes.
pub const MAX_SIGNATURE_BASE64_LEN: usize = encoded_len(MAX_SIGNATURE_LEN);

/// How strictly to read base64 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Base64Mode {
    /// RFC 4648 §4 exactly: standard alphabet, `=` padding required, the unused bits of the
    /// last symbol must be zero, no whitespace anywhere. Every byte string has exactly one
    /// accepted spelling.
    Strict,
    /// Exactly what the AWS OTA agent's decoder (`base64Decode` in `ota_base64.c`) accepts,
    /// so that a fleet of both accepts the same signature texts:
    /// - `\r` and `\n` are skipped wherever they appear;
    /// - spaces only after the last symbol and `=`, followed by nothing but whitespace
    ///   (` Zm9v`, `Zm9v YmFy` and `Zg= =` are refused);
    /// - padding may be left out or cut short (`Zg`, `Zg=`); at most two `=` in all, after
    ///   the last symbol, and they may follow a complete quantum (`Zm9v==`);
    /// - refused as by the agent: a lone last symbol (`Zm9vY`), non-zero unused bits
    ///   (`Zh==`), any other byte (tab included).
    ///
    /// One difference: text with no symbol at all (`"\r\n"`, `"=="`) is
    /// [`CryptoError::Base64Empty`], where the agent decodes it to an empty signature that no
    /// key verifies; the update is refused either way.
    AwsLenient,
}

/// Which characters are skipped where, and how padding is read.
#[derive(Clone, Copy)]
struct Rules {
    /// Skipped anywhere.
    skip: fn(u8) -> bool,
    /// Skipped after the last symbol and `=` only: anything but whitespace after one is an
    /// invalid character (at the first of them).
    trailing: fn(u8) -> bool,
    padding_required: bool,
    /// The AWS agent's padding: up to two `=` in all after the last symbol, whatever the
    /// quantum (else `=` must complete the last quantum exactly).
    loose_padding: bool,
}

impl Rules {
    const STRICT: Self = Self {
        skip: |_| false,
        trailing: |_| false,
        padding_required: true,
        loose_padding: false,
    };
    const AWS_LENIENT: Self = Self {
        skip: |c| matches!(c, b'\n' | b'\r'),
        trailing: |c| c == b' ',
        padding_required: false,
        loose_padding: true,
    };
}

impl From<Base64Mode> for Rules {
    fn from(mode: Base64Mode) -> Self {
        match mode {
            Base64Mode::Strict => Self::STRICT,
            Base64Mode::AwsLenient => Self::AWS_LENIENT,
        }
    }
}

/// Number of base64 characters (with padding) that encode `len` bytes.
pub const fn encoded_len(len: usize) -> usize {
    len.div_ceil(3) * 4
}

/// Decode a base64 signature of up to [`MAX_SIGNATURE_LEN`] bytes (P-256, RSA up to 4096
/// bits) into `out` and return the decoded bytes. For RSA-6144 and RSA-8192 signatures use
/// [`decode_base64`] with a [`MAX_VERIFIABLE_SIGNATURE_LEN`] buffer.
///
/// Decodes only: it does not check that the bytes are a well-formed DER or fixed-width
/// signature (that is [`super::TrustedKey::verify_digest`]'s job).
///
/// # Errors
/// [`CryptoError::Base64Empty`], [`CryptoError::Base64InvalidCharacter`],
/// [`CryptoError::Base64BadPadding`], [`CryptoError::Base64NonCanonical`], or
/// [`CryptoError::Base64TooLong`] when the text decodes to more than [`MAX_SIGNATURE_LEN`]
/// bytes (detected before any byte past the limit is written).
pub fn decode_signature<'b>(
    text: &str,
    out: &'b mut [u8; MAX_SIGNATURE_LEN],
    mode: Base64Mode,
) -> Result<&'b [u8], CryptoError> {
    let len = decode(text.as_bytes(), out, mode.into())?;
    Ok(out.get(..len).unwrap_or_default())
}

/// Decode base64 `text` of any length into `out` (a signed manifest, a signature longer than
/// [`MAX_SIGNATURE_LEN`]) and return the decoded bytes. Same rules and errors as [`decode_signature`]; [`CryptoError::Base64TooLong`]
/// when the result does not fit `out`.
///
/// # Errors
/// As [`decode_signature`].
pub fn decode_base64<'b>(
    text: &str,
    out: &'b mut [u8],
    mode: Base64Mode,
) -> Result<&'b [u8], CryptoError> {
    let len = decode(text.as_bytes(), out, mode.into())?;
    Ok(out.get(..len).unwrap_or_default())
}

/// Decode `text` into `out` under `rules`; returns the number of bytes written.
///
/// Work is bounded by the input length; output stops at the first byte that would not fit.
fn decode(text: &[u8], out: &mut [u8], rules: Rules) -> Result<usize, CryptoError> {
    let mut writer = Writer { out, len: 0 };
    let mut acc: u32 = 0;
    let mut symbols = 0usize; // symbols in the current quantum (0..=3)
    let mut padding = 0usize;
    let mut any = false;
    let mut trailing_from = None;
    for (offset, &c) in text.iter().enumerate() {
        if (rules.skip)(c) {
            continue;
        }
        if (rules.trailing)(c) {
            trailing_from.get_or_insert(offset);
            continue;
        }
        if let Some(offset) = trailing_from {
            return Err(CryptoError::Base64InvalidCharacter { offset });
        }
        if c == b'=' {
            padding += 1;
            let misplaced = if rules.loose_padding {
                padding > 2
            } else {
                symbols < 2 || symbols + padding > 4
            };
            if misplaced {
                return Err(CryptoError::Base64BadPadding);
            }
            continue;
        }
        let value = symbol_value(c).ok_or(CryptoError::Base64InvalidCharacter { offset })?;
        if padding > 0 {
            return Err(CryptoError::Base64BadPadding);
        }
        any = true;
        acc = (acc << 6) | u32::from(value);
        symbols += 1;
        if symbols == 4 {
            writer.push(&acc.to_be_bytes()[1..])?;
            acc = 0;
            symbols = 0;
        }
    }
    if !any {
        return Err(CryptoError::Base64Empty);
    }
    finish_quantum(&mut writer, acc, symbols, padding, rules)?;
    Ok(writer.len)
}

/// Write the last, partial quantum after checking its padding and unused bits.
fn finish_quantum(
    writer: &mut Writer<'_>,
    acc: u32,
    symbols: usize,
    padding: usize,
    rules: Rules,
) -> Result<(), CryptoError> {
    let padding_ok = match symbols {
        0 => padding == 0 || rules.loose_padding,
        2 | 3 => !rules.padding_required || symbols + padding == 4,
        _ => false,
    };
    if !padding_ok {
        return Err(CryptoError::Base64BadPadding);
    }
    match symbols {
        2 if acc & 0xf != 0 => Err(CryptoError::Base64NonCanonical),
        2 => writer.push(&[(acc >> 4) as u8]),
        3 if acc & 0x3 != 0 => Err(CryptoError::Base64NonCanonical),
        3 => writer.push(&((acc >> 2) as u16).to_be_bytes()),
        _ => Ok(()),
    }
}

/// Bounded output cursor.
struct Writer<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl Writer<'_> {
    fn push(&mut self, bytes: &[u8]) -> Result<(), CryptoError> {
        let end = self.len + bytes.len();
        let dst = self
            .out
            .get_mut(self.len..end)
            .ok_or(CryptoError::Base64TooLong)?;
        dst.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }
}

/// Value of a standard-alphabet symbol.
const fn symbol_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str, mode: Base64Mode) -> Result<std::vec::Vec<u8>, CryptoError> {
        let mut out = [0u8; MAX_SIGNATURE_LEN];
        decode_signature(text, &mut out, mode).map(<[u8]>::to_vec)
    }

    fn strict(text: &str) -> Result<std::vec::Vec<u8>, CryptoError> {
        decode(text, Base64Mode::Strict)
    }

    fn lenient(text: &str) -> Result<std::vec::Vec<u8>, CryptoError> {
        decode(text, Base64Mode::AwsLenient)
    }

    /// Each `(text, error)`: `decode` of `text` in `mode` is `error`.
    fn assert_refusals(mode: Base64Mode, cases: &[(&str, CryptoError)]) {
        for &(text, error) in cases {
            assert_eq!(decode(text, mode), Err(error), "{text:?}");
        }
    }

    #[test]
    fn rfc4648_vectors() {
        for (text, bytes) in [
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9vYmFy", "foobar"),
        ] {
            assert_eq!(strict(text).as_deref(), Ok(bytes.as_bytes()), "{text}");
            assert_eq!(lenient(text).as_deref(), Ok(bytes.as_bytes()), "{text}");
        }
        assert_eq!(strict("+/+/"), Ok(std::vec![0xfb, 0xff, 0xbf]));
    }

    #[test]
    fn strict_refusals() {
        let invalid = |offset| CryptoError::Base64InvalidCharacter { offset };
        assert_refusals(
            Base64Mode::Strict,
            &[
                ("", CryptoError::Base64Empty),
                ("Zg", CryptoError::Base64BadPadding),
                ("Zg=", CryptoError::Base64BadPadding),
                ("Zg===", CryptoError::Base64BadPadding),
                ("Z===", CryptoError::Base64BadPadding),
                ("====", CryptoError::Base64BadPadding),
                ("Zm9v=", CryptoError::Base64BadPadding),
                ("Zg==Zg==", CryptoError::Base64BadPadding),
                ("Zh==", CryptoError::Base64NonCanonical),
                ("Zm-v", invalid(2)),
                ("Zm9v\n", invalid(4)),
                (" Zm9v", invalid(0)),
                ("Zm9vé", invalid(4)),
            ],
        );
    }

    #[test]
    fn non_canonical_trailing_bits() {
        // "Zm8=" is "fo"; "Zm9=" sets an unused bit.
        assert_eq!(strict("Zm9="), Err(CryptoError::Base64NonCanonical));
        assert_eq!(lenient("Zm9"), Err(CryptoError::Base64NonCanonical));
    }

    /// `AwsLenient` against the AWS C agent's `base64Decode` (ota-for-aws-iot-embedded-sdk,
    /// `source/ota_base64.c`). The verdicts were written by reading that code, not by running
    /// it: `\r` and `\n` are skipped anywhere; a space may only be followed by more
    /// whitespace (a symbol or `=` after one is `Base64InvalidSymbolOrdering`); at most two
    /// `=` in all, only after the last symbol, and they may follow a complete quantum;
    /// padding may be left out; a lone last symbol and non-zero unused bits are refused;
    /// every other byte (tab included) is an invalid symbol.
    ///
    /// One difference is kept on purpose: text with no symbol at all (`"\r\n"`, `"  "`,
    /// `"=="`) is `Base64Empty` here, where the agent returns an empty signature (for
    /// inputs of two or more bytes) that no key verifies: both refuse the update.
    #[test]
    fn aws_lenient_matches_the_agents_verdicts() {
        let cases: &[(&str, Option<&[u8]>)] = &[
            ("Zm9vYmFy", Some(b"foobar")),
            ("+/+/", Some(&[0xfb, 0xff, 0xbf])),
            ("Zg==", Some(b"f")),
            ("Zg=", Some(b"f")),
            ("Zg", Some(b"f")),
            ("Zm8", Some(b"fo")),
            ("Zm9vYmE", Some(b"fooba")),
            // Line breaks anywhere: before, inside a quantum, between `=`.
            ("Zm9v\r\nYmFy\r\n", Some(b"foobar")),
            ("\r\nZm9v", Some(b"foo")),
            ("Zm\n9v", Some(b"foo")),
            ("Zm\r9v", Some(b"foo")),
            ("Zg=\n=", Some(b"f")),
            // Spaces only after the last symbol or `=`, then only whitespace.
            ("Zm9vYmFy  ", Some(b"foobar")),
            ("Zg== ", Some(b"f")),
            ("Zg \r\n ", Some(b"f")),
            ("Zm9v YmFy", None),
            (" Zm9v", None),
            ("Zm 9v", None),
            ("Zg= =", None),
            ("Zg =", None),
            ("Zm9v \nYmFy", None),
            // `=` after a complete quantum: up to two in all.
            ("Zm9v=", Some(b"foo")),
            ("Zm9v==", Some(b"foo")),
            ("Zm9vYmE==", Some(b"fooba")),
            ("Zm9v===", None),
            ("Zg===", None),
            ("Zg==Zg==", None),
            ("=Zm9", None),
            // A lone last symbol, non-zero unused bits.
            ("Zm9vY", None),
            ("Zm9vY=", None),
            ("Z", None),
            ("Zh==", None),
            ("Zm9", None),
            // Other bytes.
            ("Zm9v\tYmFy", None),
            ("Zm-v", None),
            ("Zm9v\0", None),
            ("Zm9v\u{e9}", None),
            ("Zm9v\x0b", None),
            ("Zm9v\x0c", None),
            ("", None),
        ];
        for &(text, expected) in cases {
            assert_eq!(lenient(text).ok().as_deref(), expected, "{text:?}");
        }
        // Where the verdict is a refusal, the error names what is wrong; the last six are
        // the kept difference: no symbol at all.
        let invalid = |offset| CryptoError::Base64InvalidCharacter { offset };
        assert_refusals(
            Base64Mode::AwsLenient,
            &[
                ("Zm9v YmFy", invalid(4)),
                ("Zg= =", invalid(3)),
                ("Zm9v\tYmFy", invalid(4)),
                ("Zg===", CryptoError::Base64BadPadding),
                ("Zg==Zg", CryptoError::Base64BadPadding),
                ("Zm9vY", CryptoError::Base64BadPadding),
                ("Zm9", CryptoError::Base64NonCanonical),
                ("", CryptoError::Base64Empty),
                (" \r\n", CryptoError::Base64Empty),
                ("  ", CryptoError::Base64Empty),
                ("\r\n", CryptoError::Base64Empty),
                ("==", CryptoError::Base64Empty),
                ("\n=\n=", CryptoError::Base64Empty),
            ],
        );
    }

    #[test]
    fn length_limit() {
        let max = "A".repeat(MAX_SIGNATURE_BASE64_LEN);
        // 684 symbols decode to 513 bytes: one too many.
        assert_eq!(strict(&max), Err(CryptoError::Base64TooLong));
        assert_eq!(lenient(&max), Err(CryptoError::Base64TooLong));
        let fits = std::format!("{}A===", "A".repeat(MAX_SIGNATURE_BASE64_LEN - 4));
        assert_eq!(strict(&fits), Err(CryptoError::Base64BadPadding));
        let fits = std::format!("{}AAA=", "A".repeat(MAX_SIGNATURE_BASE64_LEN - 4));
        assert_eq!(strict(&fits).map(|v| v.len()), Ok(MAX_SIGNATURE_LEN));
        assert_eq!(
            strict(&"A".repeat(1 << 20)),
            Err(CryptoError::Base64TooLong)
        );
        let spaced = "A\r\n".repeat(1 << 12);
        assert_eq!(lenient(&spaced), Err(CryptoError::Base64TooLong));
    }
}
