//! [`PrivateKey`]: a P-256 or RSA signing key, loaded from OpenSSL's PEM or generated.

use core::fmt;

use ota_core::crypto::{Algorithm, KeyKind, PublicKey};
use pkcs8::der::Decode as _;
use pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding, ObjectIdentifier};
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use zeroize::Zeroizing;

use super::SigningError;
use super::pem::{KeyFormat, private_key_der};

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");

/// Which key [`PrivateKey::generate`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// NIST P-256 (prime256v1), for ECDSA with SHA-256.
    P256,
    /// RSA with a 2048-bit modulus and e = 65537.
    Rsa2048,
    /// RSA with a 3072-bit modulus and e = 65537.
    Rsa3072,
}

impl KeyAlgorithm {
    /// Every algorithm, in the order the CLI lists them.
    pub const ALL: [Self; 3] = [Self::P256, Self::Rsa2048, Self::Rsa3072];

    /// The CLI name: `p256`, `rsa2048`, `rsa3072`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::P256 => "p256",
            Self::Rsa2048 => "rsa2048",
            Self::Rsa3072 => "rsa3072",
        }
    }
}

/// A private signing key: P-256, or RSA of 2048 to 8192 bits with e = 65537.
///
/// Loading checks the key against what devices accept ([`PublicKey::from_spki_der`] with the
/// strict RSA policy), so a key that loads is one a device can be given to trust. The secret
/// is never printed: `Debug` shows the kind and the key id only.
#[derive(Clone)]
pub struct PrivateKey {
    inner: Inner,
    public: PublicKey,
    spki: Vec<u8>,
}

#[derive(Clone)]
pub(super) enum Inner {
    P256(p256::ecdsa::SigningKey),
    Rsa(Box<rsa::PrivateKey>),
}

impl PrivateKey {
    /// Load the private key from PEM text as OpenSSL writes it: PKCS#8 (`BEGIN PRIVATE
    /// KEY`), SEC1 (`BEGIN EC PRIVATE KEY`, with or without the `EC PARAMETERS` block
    /// before it) or PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    ///
    /// Does not read encrypted keys, DER files, OpenSSH keys, or RSA-PSS-restricted keys.
    ///
    /// # Errors
    /// [`SigningError::Encrypted`], [`SigningError::NoPrivateKey`],
    /// [`SigningError::NotAPrivateKey`], [`SigningError::BadPem`], [`SigningError::BadKey`],
    /// [`SigningError::UnsupportedAlgorithm`], [`SigningError::UnsupportedCurve`],
    /// [`SigningError::RsaPssKey`] or [`SigningError::KeyPolicy`].
    pub fn from_pem(text: &str) -> Result<Self, SigningError> {
        let (format, der) = private_key_der(text)?;
        match format {
            KeyFormat::Pkcs8 => Self::from_pkcs8_der(&der),
            KeyFormat::Sec1 => Self::from_sec1_der(&der),
            KeyFormat::Pkcs1 => Self::from_pkcs1_der(&der),
        }
    }

    /// A PKCS#8 `PrivateKeyInfo` (unencrypted) of a P-256 or RSA key.
    ///
    /// # Errors
    /// As [`PrivateKey::from_pem`].
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, SigningError> {
        let bad = |e: &dyn fmt::Display| bad_key(KeyFormat::Pkcs8, e);
        let info = pkcs8::PrivateKeyInfoRef::from_der(der).map_err(|e| bad(&e))?;
        match info.algorithm.oid {
            ID_EC_PUBLIC_KEY => {
                let curve = info.algorithm.parameters_oid().map_err(|e| bad(&e))?;
                if curve != SECP256R1 {
                    return Err(SigningError::UnsupportedCurve(curve_name(curve)));
                }
                let key = p256::ecdsa::SigningKey::try_from(info).map_err(|e| bad(&e))?;
                Self::new(Inner::P256(key))
            }
            RSA_ENCRYPTION => {
                let key = rsa::PrivateKey::try_from(info).map_err(|e| bad(&e))?;
                Self::new(Inner::Rsa(Box::new(key)))
            }
            RSASSA_PSS => Err(SigningError::RsaPssKey),
            oid => Err(SigningError::UnsupportedAlgorithm(algorithm_name(oid))),
        }
    }

    /// A SEC1 `ECPrivateKey` on P-256 (the curve parameter, when present, must say so).
    ///
    /// # Errors
    /// As [`PrivateKey::from_pem`].
    pub fn from_sec1_der(der: &[u8]) -> Result<Self, SigningError> {
        let bad = |e: &dyn fmt::Display| bad_key(KeyFormat::Sec1, e);
        let ec = sec1::EcPrivateKey::from_der(der).map_err(|e| bad(&e))?;
        match ec.parameters.as_ref().map(|p| p.named_curve()) {
            None | Some(Some(SECP256R1)) => {}
            Some(Some(curve)) => return Err(SigningError::UnsupportedCurve(curve_name(curve))),
            Some(None) => {
                return Err(SigningError::UnsupportedCurve(
                    "given by explicit parameters".into(),
                ));
            }
        }
        let secret = p256::SecretKey::try_from(ec).map_err(|e| bad(&e))?;
        Self::new(Inner::P256(secret.into()))
    }

    /// A PKCS#1 `RSAPrivateKey` (two primes).
    ///
    /// # Errors
    /// As [`PrivateKey::from_pem`].
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, SigningError> {
        let key =
            rsa::PrivateKey::from_pkcs1_der(der).map_err(|e| bad_key(KeyFormat::Pkcs1, &e))?;
        Self::new(Inner::Rsa(Box::new(key)))
    }

    /// Generate a key with the operating system's RNG.
    ///
    /// # Errors
    /// [`SigningError::Rng`] or [`SigningError::Generate`].
    pub fn generate(algorithm: KeyAlgorithm) -> Result<Self, SigningError> {
        Self::generate_with_rng(algorithm, &mut getrandom::SysRng)
    }

    /// Generate a key with `rng`, which must be a cryptographically secure generator.
    ///
    /// # Errors
    /// [`SigningError::Rng`] or [`SigningError::Generate`].
    pub fn generate_with_rng<R: rand_core::TryCryptoRng + ?Sized>(
        algorithm: KeyAlgorithm,
        rng: &mut R,
    ) -> Result<Self, SigningError> {
        use p256::elliptic_curve::Generate as _;
        let inner = match algorithm {
            KeyAlgorithm::P256 => p256::ecdsa::SigningKey::try_generate_from_rng(rng)
                .map(Inner::P256)
                .map_err(|e| SigningError::Rng(e.to_string()))?,
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 => {
                let bits = if algorithm == KeyAlgorithm::Rsa2048 {
                    2048
                } else {
                    3072
                };
                let key = rsa::PrivateKey::new(rng, bits).map_err(|e| match e {
                    rsa::Error::Rng => SigningError::Rng(e.to_string()),
                    _ => SigningError::Generate(e.to_string()),
                })?;
                Inner::Rsa(Box::new(key))
            }
        };
        Self::new(inner)
    }

    /// Generate a key deterministically from `seed` (ChaCha20). For tests and reproducible
    /// fixtures only: whoever has the seed has the key.
    ///
    /// # Errors
    /// [`SigningError::Generate`].
    pub fn generate_seeded(algorithm: KeyAlgorithm, seed: [u8; 32]) -> Result<Self, SigningError> {
        use rand_core::SeedableRng as _;
        Self::generate_with_rng(algorithm, &mut chacha20::ChaCha20Rng::from_seed(seed))
    }

    fn new(inner: Inner) -> Result<Self, SigningError> {
        let spki = match &inner {
            Inner::P256(key) => key.verifying_key().to_public_key_der(),
            Inner::Rsa(key) => key.to_public_key().to_public_key_der(),
        }
        .map_err(|e| SigningError::Encode(e.to_string()))?
        .into_vec();
        let public = PublicKey::from_spki_der(&spki).map_err(SigningError::KeyPolicy)?;
        Ok(Self {
            inner,
            public,
            spki,
        })
    }

    /// The public key, as devices parse it.
    pub const fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// P-256 or RSA with its size.
    pub fn kind(&self) -> KeyKind {
        self.public.kind()
    }

    /// The public key as DER SubjectPublicKeyInfo (what the key id hashes).
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The public key as PEM `BEGIN PUBLIC KEY`, LF line endings (what `openssl pkey
    /// -pubout` writes).
    pub fn public_key_pem(&self) -> String {
        // The label is valid and the input is bytes: encoding cannot fail.
        pkcs8::der::pem::encode_string("PUBLIC KEY", LineEnding::LF, &self.spki).unwrap_or_default()
    }

    /// The private key as unencrypted PKCS#8 PEM `BEGIN PRIVATE KEY`, LF line endings (what
    /// `openssl genpkey` writes). The text is zeroized when dropped.
    ///
    /// # Errors
    /// [`SigningError::Encode`].
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, SigningError> {
        match &self.inner {
            Inner::P256(key) => key.to_pkcs8_pem(LineEnding::LF),
            Inner::Rsa(key) => key.to_pkcs8_pem(LineEnding::LF),
        }
        .map_err(|e| SigningError::Encode(e.to_string()))
    }

    /// The algorithm this key signs with by default: ECDSA P-256 with SHA-256 for P-256; for
    /// RSA, PKCS#1 v1.5 with SHA-256, or PSS (SHA-256, MGF1-SHA-256, 32-byte salt) when `pss`.
    ///
    /// # Errors
    /// [`SigningError::AlgorithmMismatch`] when `pss` is asked of a P-256 key.
    pub fn default_algorithm(&self, pss: bool) -> Result<Algorithm, SigningError> {
        match (&self.inner, pss) {
            (Inner::P256(_), false) => Ok(Algorithm::EcdsaP256Sha256),
            (Inner::Rsa(_), false) => Ok(Algorithm::RsaPkcs1v15Sha256),
            (Inner::Rsa(_), true) => Ok(Algorithm::RSA_PSS_SHA256),
            (Inner::P256(_), true) => Err(SigningError::AlgorithmMismatch {
                key: self.kind(),
                algorithm: Algorithm::RSA_PSS_SHA256,
            }),
        }
    }

    pub(super) const fn inner(&self) -> &Inner {
        &self.inner
    }
}

/// Shows the kind and key id, never the secret.
impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kind", &self.kind())
            .field("key_id", &self.public.key_id())
            .finish_non_exhaustive()
    }
}

fn bad_key(format: KeyFormat, detail: &dyn fmt::Display) -> SigningError {
    SigningError::BadKey {
        format: format.name(),
        detail: detail.to_string(),
    }
}

/// Names of the curves this crate does not sign with, by OID.
const OTHER_CURVES: [(&str, &str); 5] = [
    ("1.3.132.0.34", "P-384 (secp384r1)"),
    ("1.3.132.0.35", "P-521 (secp521r1)"),
    ("1.3.132.0.10", "secp256k1"),
    ("1.2.840.10045.3.1.1", "P-192 (prime192v1)"),
    ("1.3.132.0.33", "P-224 (secp224r1)"),
];

/// Names of the key algorithms this crate does not sign with, by OID.
const OTHER_ALGORITHMS: [(&str, &str); 7] = [
    ("1.3.101.112", "Ed25519"),
    ("1.3.101.113", "Ed448"),
    ("1.3.101.110", "X25519"),
    ("1.3.101.111", "X448"),
    ("1.2.840.10040.4.1", "DSA"),
    ("1.2.840.10046.2.1", "DH"),
    ("1.2.156.10197.1.301", "SM2"),
];

fn curve_name(oid: ObjectIdentifier) -> String {
    oid_name(oid, &OTHER_CURVES)
}

fn algorithm_name(oid: ObjectIdentifier) -> String {
    oid_name(oid, &OTHER_ALGORITHMS)
}

/// The name of `oid` in `names`, or the OID in dotted form.
fn oid_name(oid: ObjectIdentifier, names: &[(&str, &str)]) -> String {
    let dotted = oid.to_string();
    names
        .iter()
        .find(|(known, _)| *known == dotted)
        .map_or(dotted, |(_, name)| (*name).to_string())
}
