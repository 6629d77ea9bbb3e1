//! Finding the private-key block in PEM text as OpenSSL writes it.
//!
//! The block is decoded by `pem-rfc7468` (through `der`'s re-export); finding it is ours:
//! `pem-rfc7468` reads a text holding exactly one block, while OpenSSL's key files can hold
//! several (`EC PARAMETERS` before the key, a certificate beside it) with text between them,
//! and the legacy `Proc-Type: 4,ENCRYPTED` header must be told apart from a malformed block.

use zeroize::Zeroizing;

use super::SigningError;

/// The private-key encodings OpenSSL writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyFormat {
    /// `BEGIN PRIVATE KEY`: PKCS#8 `PrivateKeyInfo` (OpenSSL 3's default).
    Pkcs8,
    /// `BEGIN EC PRIVATE KEY`: SEC1 `ECPrivateKey` (`openssl ecparam -genkey`, `openssl ec`).
    Sec1,
    /// `BEGIN RSA PRIVATE KEY`: PKCS#1 `RSAPrivateKey` (`openssl rsa -traditional`).
    Pkcs1,
}

impl KeyFormat {
    pub(super) const fn name(self) -> &'static str {
        match self {
            Self::Pkcs8 => "PKCS#8",
            Self::Sec1 => "SEC1",
            Self::Pkcs1 => "PKCS#1",
        }
    }
}

/// Find the one private-key block in `text` and decode it.
///
/// Skips text outside blocks and `EC PARAMETERS` blocks (`openssl ecparam -genkey` writes
/// one before the key). Refuses encrypted keys (PKCS#8 `ENCRYPTED PRIVATE KEY` and the
/// legacy `Proc-Type: 4,ENCRYPTED` header), public keys and certificates, other private-key
/// labels, and a second key. Does not look inside the DER.
pub(super) fn private_key_der(text: &str) -> Result<(KeyFormat, Zeroizing<Vec<u8>>), SigningError> {
    let mut found: Option<(KeyFormat, &str)> = None;
    let mut other: Option<&'static str> = None;
    for block in blocks(text)? {
        let format = match block.label {
            "PRIVATE KEY" => KeyFormat::Pkcs8,
            "EC PRIVATE KEY" => KeyFormat::Sec1,
            "RSA PRIVATE KEY" => KeyFormat::Pkcs1,
            "ENCRYPTED PRIVATE KEY" => return Err(SigningError::Encrypted),
            "EC PARAMETERS" => continue,
            "PUBLIC KEY" | "RSA PUBLIC KEY" | "EC PUBLIC KEY" => {
                other = Some("public key");
                continue;
            }
            "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => {
                other = Some("certificate");
                continue;
            }
            label if label.ends_with("PRIVATE KEY") => {
                return Err(SigningError::UnsupportedAlgorithm(format!("`{label}` PEM")));
            }
            _ => continue,
        };
        if block.encrypted {
            return Err(SigningError::Encrypted);
        }
        if found.is_some() {
            return Err(SigningError::SeveralKeys);
        }
        found = Some((format, block.text));
    }
    let Some((format, block)) = found else {
        return Err(other.map_or(SigningError::NoPrivateKey, SigningError::NotAPrivateKey));
    };
    let (_, der) = pkcs8::der::pem::decode_vec(block.as_bytes())
        .map_err(|e| SigningError::BadPem(e.to_string()))?;
    Ok((format, Zeroizing::new(der)))
}

/// One `-----BEGIN …-----` … `-----END …-----` block.
struct Block<'t> {
    label: &'t str,
    /// The whole block, boundaries included.
    text: &'t str,
    /// Has a legacy `Proc-Type: 4,ENCRYPTED` header.
    encrypted: bool,
}

/// Every block in `text`, in order. Each `BEGIN` needs the matching `END`.
fn blocks(text: &str) -> Result<Vec<Block<'_>>, SigningError> {
    const BEGIN: &str = "-----BEGIN ";
    let mut out = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find(BEGIN) {
        let after_begin = &rest[start + BEGIN.len()..];
        let label_end = after_begin
            .find("-----")
            .filter(|&i| !after_begin[..i].contains('\n'))
            .ok_or_else(|| SigningError::BadPem("unterminated BEGIN line".into()))?;
        let label = &after_begin[..label_end];
        let end_line = format!("-----END {label}-----");
        let body_from = start + BEGIN.len() + label_end + 5;
        let end = rest[body_from..]
            .find(&end_line)
            .ok_or_else(|| SigningError::BadPem(format!("`BEGIN {label}` without its END line")))?;
        let block_end = body_from + end + end_line.len();
        let block = &text[offset + start..offset + block_end];
        out.push(Block {
            label,
            text: block,
            encrypted: block.contains("Proc-Type: 4,ENCRYPTED"),
        });
        rest = &rest[block_end..];
        offset += block_end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PKCS8: &str = "-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n";

    #[test]
    fn finds_the_key_block() {
        let (format, der) = private_key_der(PKCS8).unwrap();
        assert_eq!(format, KeyFormat::Pkcs8);
        assert_eq!(der.as_slice(), &[0, 1, 2]);
        let with_params = format!(
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n{}",
            PKCS8.replace("PRIVATE KEY", "EC PRIVATE KEY")
        );
        let (format, _) = private_key_der(&with_params).unwrap();
        assert_eq!(format, KeyFormat::Sec1);
        let crlf = format!("explanatory text\r\n{}", PKCS8.replace('\n', "\r\n"));
        assert!(private_key_der(&crlf).is_ok());
    }

    #[test]
    fn refuses_what_is_not_one_plain_key() {
        let err = |text: &str| private_key_der(text).unwrap_err();
        assert_eq!(err(""), SigningError::NoPrivateKey);
        assert_eq!(err("hello"), SigningError::NoPrivateKey);
        assert_eq!(
            err(&PKCS8.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY")),
            SigningError::Encrypted
        );
        let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
            DEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\nAAEC\n\
            -----END RSA PRIVATE KEY-----\n";
        assert_eq!(err(legacy), SigningError::Encrypted);
        assert_eq!(
            err(&PKCS8.replace("PRIVATE KEY", "PUBLIC KEY")),
            SigningError::NotAPrivateKey("public key")
        );
        assert_eq!(
            err(&PKCS8.replace("PRIVATE KEY", "CERTIFICATE")),
            SigningError::NotAPrivateKey("certificate")
        );
        assert_eq!(err(&PKCS8.repeat(2)), SigningError::SeveralKeys);
        assert!(matches!(
            err(&PKCS8.replace("PRIVATE KEY", "OPENSSH PRIVATE KEY")),
            SigningError::UnsupportedAlgorithm(_)
        ));
        assert!(matches!(
            err("-----BEGIN PRIVATE KEY-----\nAAEC\n"),
            SigningError::BadPem(_)
        ));
        assert!(matches!(
            err("-----BEGIN PRIVATE KEY\nAAEC\n-----END PRIVATE KEY-----"),
            SigningError::BadPem(_)
        ));
        assert!(matches!(
            err("-----BEGIN PRIVATE KEY-----\nA*EC\n-----END PRIVATE KEY-----"),
            SigningError::BadPem(_)
        ));
        // Multi-byte text around and inside never panics on slicing.
        assert!(private_key_der("é-----BEGIN é-----é-----END é-----é").is_err());
    }
}
