//! [`PublicKey`]: a parsed, policy-checked P-256 or RSA verification key.

use core::fmt;

use spki::der::Decode as _;
use spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};

use super::pem::decode_pem;
use super::{CryptoError, Digest, KeyId};

/// Size of the stack buffer [`PublicKey::from_spki_pem`] decodes into: enough for an RSA-8192
/// SubjectPublicKeyInfo (about 1 060 bytes). DER input has no length limit of its own (RSA
/// moduli above [`MAX_RSA_BITS`] are refused after parsing).
pub const MAX_SPKI_LEN: usize = 1100;

/// Largest RSA modulus accepted, in bits.
pub const MAX_RSA_BITS: u32 = 8192;

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// SubjectPublicKeyInfo header for a P-256 key with a 65-byte uncompressed point.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// What kind of key a [`PublicKey`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// NIST P-256 (secp256r1) elliptic-curve key.
    P256,
    /// RSA key with a modulus of `bits` bits.
    Rsa {
        /// Exact bit length of the modulus.
        bits: u32,
    },
}

/// Which RSA keys are accepted. The default ([`RsaKeyPolicy::STRICT`]) is what production
/// code should use: a modulus of at least 2048 bits and e = 65537.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RsaKeyPolicy {
    /// Smallest modulus accepted, in bits. Values below 1024 act as 1024 (the `rsa` crate's
    /// own floor).
    pub min_bits: u32,
    /// Accept only e = 65537. When `false`, any odd exponent from 3 to 2^33 - 1 is accepted.
    pub require_e65537: bool,
}

impl RsaKeyPolicy {
    /// At least 2048 bits, e = 65537.
    pub const STRICT: Self = Self {
        min_bits: 2048,
        require_e65537: true,
    };

    /// This policy with another minimum modulus size. Weakening it is for tests and
    /// interoperability checks, not for device trust stores.
    #[must_use]
    pub const fn with_min_bits(mut self, min_bits: u32) -> Self {
        self.min_bits = min_bits;
        self
    }

    /// This policy accepting any odd exponent from 3 to 2^33 - 1 (e.g. e = 3 test keys).
    #[must_use]
    pub const fn allow_any_exponent(mut self) -> Self {
        self.require_e65537 = false;
        self
    }
}

impl Default for RsaKeyPolicy {
    fn default() -> Self {
        Self::STRICT
    }
}

/// A public verification key: NIST P-256, or RSA (with the `alloc` feature; without it RSA
/// keys are refused with [`CryptoError::Unsupported`]).
///
/// Parsing is strict DER and checks the key itself (a point on the curve; an odd modulus,
/// its size and exponent against [`RsaKeyPolicy::STRICT`] unless another policy is passed).
/// A `PublicKey` is not trusted by itself: wrap it in a [`super::TrustedKey`], which fixes the
/// algorithm.
#[derive(Clone)]
pub struct PublicKey {
    inner: Inner,
    id: KeyId,
}

#[derive(Clone)]
pub(crate) enum Inner {
    P256(super::p256_key::P256Key),
    #[cfg(feature = "alloc")]
    Rsa(RsaKey),
}

/// An RSA key checked against its policy, its modulus' size in bits, and with feature
/// `aws-lc` AWS-LC's parsed copy (`None` when AWS-LC has no parameters for its size).
#[cfg(feature = "alloc")]
#[derive(Clone)]
pub(crate) struct RsaKey {
    pub(crate) key: rsa::PublicKey,
    pub(crate) bits: u32,
    #[cfg(feature = "aws-lc")]
    pub(crate) aws_lc: Option<super::aws_lc::RsaVerifier>,
}

impl PublicKey {
    /// Parse a DER SubjectPublicKeyInfo: `id-ecPublicKey` with the named curve P-256, or
    /// `rsaEncryption` (NULL parameters). RSA keys must pass [`RsaKeyPolicy::STRICT`].
    ///
    /// Other algorithms (including `id-RSASSA-PSS` keys, Ed25519 and other curves) are
    /// refused, as is anything after the DER value.
    ///
    /// # Errors
    /// [`CryptoError::BadKeyEncoding`], [`CryptoError::UnsupportedKeyAlgorithm`], the RSA
    /// policy errors, or
    /// [`CryptoError::Unsupported`] for RSA without `alloc`.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, CryptoError> {
        Self::from_spki_der_with(der, RsaKeyPolicy::STRICT)
    }

    /// [`PublicKey::from_spki_der`] with an explicit RSA policy.
    ///
    /// # Errors
    /// As [`PublicKey::from_spki_der`].
    pub fn from_spki_der_with(der: &[u8], policy: RsaKeyPolicy) -> Result<Self, CryptoError> {
        let spki =
            SubjectPublicKeyInfoRef::from_der(der).map_err(|_| CryptoError::BadKeyEncoding)?;
        let key_bytes = spki
            .subject_public_key
            .as_bytes()
            .ok_or(CryptoError::BadKeyEncoding)?;
        match spki.algorithm.oid {
            ID_EC_PUBLIC_KEY => match spki.algorithm.parameters_oid() {
                Ok(SECP256R1) => Self::from_sec1(key_bytes),
                _ => Err(CryptoError::UnsupportedKeyAlgorithm),
            },
            RSA_ENCRYPTION => {
                let params = spki
                    .algorithm
                    .parameters
                    .ok_or(CryptoError::BadKeyEncoding)?;
                if !params.is_null() {
                    return Err(CryptoError::BadKeyEncoding);
                }
                Self::from_pkcs1_der_with(key_bytes, policy)
            }
            _ => Err(CryptoError::UnsupportedKeyAlgorithm),
        }
    }

    /// Parse a PEM `-----BEGIN PUBLIC KEY-----` block (SubjectPublicKeyInfo), decoding it into
    /// a [`MAX_SPKI_LEN`]-byte stack buffer. Refuses other labels (`RSA PUBLIC KEY`,
    /// `CERTIFICATE`): certificates go through the `x509` module. The body must be wrapped at
    /// one width, as OpenSSL writes it (RFC 7468's strict grammar, read by `pem-rfc7468`);
    /// explanatory text before the block is skipped.
    ///
    /// # Errors
    /// [`CryptoError::BadPem`], [`CryptoError::KeyTooLong`], or as
    /// [`PublicKey::from_spki_der`].
    pub fn from_spki_pem(pem: &str) -> Result<Self, CryptoError> {
        Self::from_spki_pem_with(pem, RsaKeyPolicy::STRICT)
    }

    /// [`PublicKey::from_spki_pem`] with an explicit RSA policy.
    ///
    /// # Errors
    /// As [`PublicKey::from_spki_pem`].
    pub fn from_spki_pem_with(pem: &str, policy: RsaKeyPolicy) -> Result<Self, CryptoError> {
        let mut buf = [0u8; MAX_SPKI_LEN];
        let der = decode_pem(pem, "PUBLIC KEY", &mut buf)?;
        Self::from_spki_der_with(der, policy)
    }

    /// A P-256 key from its SubjectPublicKeyInfo DER, read without a DER parser: DER is
    /// canonical, so a P-256 SPKI is a fixed 26-byte header (`30 59 … 03 42 00`, or
    /// `30 39 … 03 22 00` for a compressed point) followed by the point. Accepts exactly
    /// the P-256 keys [`PublicKey::from_spki_der`] accepts, and links none of its DER, OID
    /// and RSA code: for firmware that holds its keys as SPKI (what `openssl pkey -pubout
    /// -outform DER` writes). Refuses RSA keys and anything else.
    ///
    /// # Errors
    /// [`CryptoError::BadKeyEncoding`].
    pub fn from_p256_spki(der: &[u8]) -> Result<Self, CryptoError> {
        // The compressed header differs from the uncompressed one in its two lengths only.
        let (header, point) = der
            .split_at_checked(P256_SPKI_PREFIX.len())
            .ok_or(CryptoError::BadKeyEncoding)?;
        let expected_lengths = match point.len() {
            65 => (0x59, 0x42),
            33 => (0x39, 0x22),
            _ => return Err(CryptoError::BadKeyEncoding),
        };
        let lengths = (header[1], header[24]);
        let same_otherwise = header
            .iter()
            .zip(P256_SPKI_PREFIX)
            .enumerate()
            .all(|(i, (a, b))| i == 1 || i == 24 || *a == b);
        if lengths != expected_lengths || !same_otherwise {
            return Err(CryptoError::BadKeyEncoding);
        }
        Self::from_sec1(point)
    }

    /// A P-256 key from a SEC1 point: 33 bytes compressed (`02`/`03` prefix) or 65 bytes
    /// uncompressed (`04`). Refuses the hybrid form, the identity and points off the curve.
    ///
    /// # Errors
    /// [`CryptoError::BadKeyEncoding`].
    pub fn from_sec1(point: &[u8]) -> Result<Self, CryptoError> {
        match (point.len(), point.first()) {
            (33, Some(0x02 | 0x03)) | (65, Some(0x04)) => {}
            _ => return Err(CryptoError::BadKeyEncoding),
        }
        let key = super::p256_key::P256Key::from_sec1(point).ok_or(CryptoError::BadKeyEncoding)?;
        Ok(Self::from_p256(key))
    }

    /// A P-256 key from its uncompressed SEC1 point (`04‖x‖y`): the form a firmware's keys
    /// can be prepared in at build time (the last 65 bytes of an uncompressed SPKI, e.g.
    /// `openssl pkey -pubin -in KEY.pub.pem -outform DER | tail -c 65`). Checks the point is
    /// on the curve; links no SPKI parsing and no point decompression. The key id is the
    /// same as from the SPKI.
    ///
    /// # Errors
    /// [`CryptoError::BadKeyEncoding`] for another tag, the identity or a point off the
    /// curve.
    pub fn from_p256_uncompressed(point: &[u8; 65]) -> Result<Self, CryptoError> {
        super::p256_key::P256Key::from_uncompressed(point)
            .map(Self::from_p256)
            .ok_or(CryptoError::BadKeyEncoding)
    }

    /// The key, with its id: SHA-256 of its uncompressed SPKI.
    fn from_p256(key: super::p256_key::P256Key) -> Self {
        let mut hasher = super::Hasher::new(super::HashAlgorithm::Sha256);
        hasher.update(&P256_SPKI_PREFIX);
        hasher.update(&key.uncompressed());
        Self {
            inner: Inner::P256(key),
            id: key_id(hasher.finalize()),
        }
    }

    /// An RSA key from a PKCS#1 `RSAPublicKey` DER (`SEQUENCE { n, e }`), under
    /// [`RsaKeyPolicy::STRICT`].
    ///
    /// # Errors
    /// [`CryptoError::BadKeyEncoding`], [`CryptoError::KeyTooSmall`],
    /// [`CryptoError::KeyTooLarge`], [`CryptoError::BadExponent`], or
    /// [`CryptoError::Unsupported`] without `alloc`.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, CryptoError> {
        Self::from_pkcs1_der_with(der, RsaKeyPolicy::STRICT)
    }

    /// [`PublicKey::from_pkcs1_der`] with an explicit RSA policy.
    ///
    /// # Errors
    /// As [`PublicKey::from_pkcs1_der`].
    pub fn from_pkcs1_der_with(der: &[u8], policy: RsaKeyPolicy) -> Result<Self, CryptoError> {
        #[cfg(feature = "alloc")]
        {
            rsa_key::parse(der, policy).map(|(key, bits, id)| Self {
                inner: Inner::Rsa(RsaKey {
                    key,
                    bits,
                    #[cfg(feature = "aws-lc")]
                    aws_lc: super::aws_lc::RsaVerifier::new(der, bits),
                }),
                id,
            })
        }
        #[cfg(not(feature = "alloc"))]
        {
            let _ = (der, policy);
            Err(CryptoError::Unsupported)
        }
    }

    /// The key without SPKI wrapping, as a root statement carries it
    /// ([`crate::trust::RootKey`]): the 65-byte uncompressed SEC1 point of a P-256 key, the
    /// PKCS#1 `RSAPublicKey` DER of an RSA key. Written into `out`; returns the length.
    ///
    /// # Errors
    /// [`CryptoError::KeyTooLong`] when `out` is too small.
    pub fn write_raw(&self, out: &mut [u8]) -> Result<usize, CryptoError> {
        let write = |bytes: &[u8], out: &mut [u8]| {
            let dest = out.get_mut(..bytes.len()).ok_or(CryptoError::KeyTooLong)?;
            dest.copy_from_slice(bytes);
            Ok(bytes.len())
        };
        match &self.inner {
            Inner::P256(key) => write(&key.uncompressed(), out),
            #[cfg(feature = "alloc")]
            Inner::Rsa(rsa) => {
                use rsa::pkcs1::EncodeRsaPublicKey as _;
                let der = rsa
                    .key
                    .to_pkcs1_der()
                    .map_err(|_| CryptoError::BadKeyEncoding)?;
                write(der.as_bytes(), out)
            }
        }
    }

    /// The key's id: SHA-256 of its canonical SubjectPublicKeyInfo (see [`KeyId`]).
    pub const fn key_id(&self) -> KeyId {
        self.id
    }

    /// P-256 or RSA with its size.
    pub fn kind(&self) -> KeyKind {
        match &self.inner {
            Inner::P256(_) => KeyKind::P256,
            #[cfg(feature = "alloc")]
            Inner::Rsa(rsa) => KeyKind::Rsa { bits: rsa.bits },
        }
    }

    pub(crate) const fn inner(&self) -> &Inner {
        &self.inner
    }
}

fn key_id(digest: Digest) -> KeyId {
    let mut id = [0u8; 32];
    id.copy_from_slice(digest.as_bytes());
    KeyId(id)
}

/// Two keys are equal when their key ids are (same canonical SPKI).
impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("kind", &self.kind())
            .field("id", &self.id)
            .finish()
    }
}

#[cfg(feature = "alloc")]
mod rsa_key {
    use rsa::pkcs1::RsaPublicKeyRef;
    use rsa::pkcs8::EncodePublicKey as _;
    use spki::der::Decode as _;

    use super::{CryptoError, KeyId, MAX_RSA_BITS, RsaKeyPolicy, key_id};
    use crate::crypto::Digest;

    /// Parse and policy-check a PKCS#1 RSAPublicKey; returns the key, its bits and its id.
    pub(super) fn parse(
        der: &[u8],
        policy: RsaKeyPolicy,
    ) -> Result<(rsa::PublicKey, u32, KeyId), CryptoError> {
        let parsed = RsaPublicKeyRef::from_der(der).map_err(|_| CryptoError::BadKeyEncoding)?;
        let bits = bit_len(parsed.modulus.as_bytes());
        let min = policy.min_bits.max(1024);
        if bits > MAX_RSA_BITS {
            return Err(CryptoError::KeyTooLarge { bits });
        }
        if bits < min {
            return Err(CryptoError::KeyTooSmall { bits, min });
        }
        check_exponent(parsed.public_exponent.as_bytes(), policy)?;
        let key = rsa::PublicKey::try_from(parsed).map_err(|_| CryptoError::BadKeyEncoding)?;
        let spki = key
            .to_public_key_der()
            .map_err(|_| CryptoError::BadKeyEncoding)?;
        Ok((key, bits, key_id(Digest::sha256(spki.as_bytes()))))
    }

    fn check_exponent(e: &[u8], policy: RsaKeyPolicy) -> Result<(), CryptoError> {
        if policy.require_e65537 {
            return if e == [0x01, 0x00, 0x01] {
                Ok(())
            } else {
                Err(CryptoError::BadExponent)
            };
        }
        let odd = e.last().is_some_and(|b| b & 1 == 1);
        let bits = bit_len(e);
        if odd && (2..=33).contains(&bits) {
            Ok(())
        } else {
            Err(CryptoError::BadExponent)
        }
    }

    /// Bit length of a big-endian unsigned integer without leading zero bytes.
    fn bit_len(bytes: &[u8]) -> u32 {
        let Some(&first) = bytes.first() else {
            return 0;
        };
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX / 8);
        (len - 1)
            .saturating_mul(8)
            .saturating_add(8 - first.leading_zeros())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `openssl ecparam -name prime256v1 -genkey | openssl ec -pubout -outform DER`.
    const P256_SPKI_HEX: &str = "3059301306072a8648ce3d020106082a8648ce3d03010703420004\
        a9c2c4b6e267e8fc05545dbc310eee78fe74337b66f25665fe5bcaacd697ee04\
        96cb6a96285410970c3c038d119103a14bf97d966f411ff69246b84ba77d9a4c";
    /// The same key with `-conv_form compressed`.
    const P256_SPKI_COMPRESSED_HEX: &str = "3039301306072a8648ce3d020106082a8648ce3d03010703220002\
        a9c2c4b6e267e8fc05545dbc310eee78fe74337b66f25665fe5bcaacd697ee04";
    /// `sha256sum` of the uncompressed DER.
    const P256_KEY_ID: &str = "a7a74cbc0f400dbf802bd822135533ff8f7d1b0569ac1f2b6d395ac8ed78b759";

    fn hex(s: &str) -> std::vec::Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn spki_prefix_matches_der_layout() {
        // SEQUENCE(89) { SEQUENCE(19) { OID ecPublicKey, OID prime256v1 }, BIT STRING(66) 00 }
        assert_eq!(P256_SPKI_PREFIX.len() + 65, 2 + 0x59);
        assert_eq!(&hex(P256_SPKI_HEX)[..26], &P256_SPKI_PREFIX);
    }

    #[test]
    fn p256_key_id_is_sha256_of_uncompressed_spki() {
        let id = KeyId::from_hex(P256_KEY_ID).unwrap();
        let der = hex(P256_SPKI_HEX);
        let key = PublicKey::from_spki_der(&der).unwrap();
        assert_eq!(key.key_id(), id);
        assert_eq!(key.kind(), KeyKind::P256);
        let compressed = PublicKey::from_spki_der(&hex(P256_SPKI_COMPRESSED_HEX)).unwrap();
        assert_eq!(compressed.key_id(), id);
        assert_eq!(PublicKey::from_sec1(&der[26..]).unwrap().key_id(), id);
        assert_eq!(
            PublicKey::from_sec1(&hex(P256_SPKI_COMPRESSED_HEX)[26..]).unwrap(),
            key
        );
        // Trailing bytes after the DER value are refused.
        let mut trailing = der.clone();
        trailing.push(0);
        assert_eq!(
            PublicKey::from_spki_der(&trailing).err(),
            Some(CryptoError::BadKeyEncoding)
        );
        // Hybrid form (06/07) is refused even though the coordinates are right.
        let mut hybrid = der[26..].to_vec();
        hybrid[0] = 0x06;
        assert_eq!(
            PublicKey::from_sec1(&hybrid).err(),
            Some(CryptoError::BadKeyEncoding)
        );
    }

    #[test]
    fn p256_spki_without_a_der_parser_agrees_with_the_der_parser() {
        for spki in [hex(P256_SPKI_HEX), hex(P256_SPKI_COMPRESSED_HEX)] {
            assert_eq!(
                PublicKey::from_p256_spki(&spki).unwrap(),
                PublicKey::from_spki_der(&spki).unwrap()
            );
            // Any changed header byte, a byte more or less: refused.
            for i in 0..26 {
                let mut bad = spki.clone();
                bad[i] ^= 0x01;
                assert!(PublicKey::from_p256_spki(&bad).is_err(), "byte {i}");
            }
            let mut longer = spki.clone();
            longer.push(0);
            assert!(PublicKey::from_p256_spki(&longer).is_err());
            assert!(PublicKey::from_p256_spki(&spki[..spki.len() - 1]).is_err());
        }
        // Off the curve.
        let mut off = hex(P256_SPKI_HEX);
        off[90] ^= 0x01;
        assert_eq!(
            PublicKey::from_p256_spki(&off).err(),
            Some(CryptoError::BadKeyEncoding)
        );
        // An RSA key is not a P-256 SPKI.
        let rsa = include_bytes!("../../tests/fixtures/openssl/rsa2048_pub.der");
        assert!(PublicKey::from_p256_spki(rsa).is_err());
        assert!(PublicKey::from_p256_spki(&[]).is_err());
    }

    #[test]
    fn an_uncompressed_point_is_the_spki_key() {
        let spki = hex(P256_SPKI_HEX);
        let point: &[u8; 65] = spki[26..].try_into().unwrap();
        let key = PublicKey::from_p256_uncompressed(point).unwrap();
        assert_eq!(key, PublicKey::from_spki_der(&spki).unwrap());
        assert_eq!(
            key.key_id(),
            PublicKey::from_spki_der(&spki).unwrap().key_id()
        );
        // Off the curve, another tag, the identity's encoding: refused.
        let mut off = *point;
        off[64] ^= 0x01;
        let mut compressed_tag = *point;
        compressed_tag[0] = 0x02;
        let mut hybrid = *point;
        hybrid[0] = 0x06;
        let mut zero = [0u8; 65];
        zero[0] = 0x04;
        for bad in [off, compressed_tag, hybrid, zero] {
            assert_eq!(
                PublicKey::from_p256_uncompressed(&bad).err(),
                Some(CryptoError::BadKeyEncoding)
            );
        }
    }

    #[test]
    fn raw_keys_read_back_as_the_same_key() {
        let p256 = PublicKey::from_spki_der(&hex(P256_SPKI_COMPRESSED_HEX)).unwrap();
        let mut out = [0u8; 1100];
        let len = p256.write_raw(&mut out).unwrap();
        assert_eq!(len, 65);
        assert_eq!(
            PublicKey::from_sec1(&out[..len]).unwrap().key_id(),
            p256.key_id()
        );
        assert_eq!(p256.write_raw(&mut out[..64]), Err(CryptoError::KeyTooLong));
        #[cfg(feature = "alloc")]
        {
            let der = include_bytes!("../../tests/fixtures/openssl/rsa2048_pub.der");
            let rsa = PublicKey::from_spki_der(der).unwrap();
            let len = rsa.write_raw(&mut out).unwrap();
            let again = PublicKey::from_pkcs1_der(&out[..len]).unwrap();
            assert_eq!(again.key_id(), rsa.key_id());
        }
    }

    #[test]
    fn rejects_garbage_and_other_algorithms() {
        assert_eq!(
            PublicKey::from_spki_der(&[]).err(),
            Some(CryptoError::BadKeyEncoding)
        );
        assert_eq!(
            PublicKey::from_sec1(&[4; 65]).err(),
            Some(CryptoError::BadKeyEncoding)
        );
        assert_eq!(
            PublicKey::from_sec1(&[0]).err(),
            Some(CryptoError::BadKeyEncoding)
        );
        // Ed25519 SPKI.
        let ed = hex(
            "302a300506032b6570032100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        );
        assert_eq!(
            PublicKey::from_spki_der(&ed).err(),
            Some(CryptoError::UnsupportedKeyAlgorithm)
        );
        assert_eq!(
            PublicKey::from_spki_der(&[0u8; MAX_SPKI_LEN + 1]).err(),
            Some(CryptoError::BadKeyEncoding)
        );
    }

    #[test]
    fn policy_builders() {
        let p = RsaKeyPolicy::STRICT
            .with_min_bits(1024)
            .allow_any_exponent();
        assert_eq!(p.min_bits, 1024);
        assert!(!p.require_e65537);
        assert_eq!(RsaKeyPolicy::default(), RsaKeyPolicy::STRICT);
    }
}
