//! [`Digest`] values and the streaming [`Hasher`] that makes them.

use core::fmt;

use sha2::Digest as _;

use super::{Algorithm, HashAlgorithm};

/// A finished hash, tagged with the function that made it, so a SHA-1 digest can never be
/// checked against a SHA-256 key by mistake.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Digest {
    /// SHA-256.
    Sha256([u8; 32]),
    /// SHA-1 (legacy RSA only).
    #[cfg(feature = "legacy-sha1")]
    Sha1([u8; 20]),
}

impl Digest {
    /// SHA-256 of `data` in one call.
    pub fn sha256(data: &[u8]) -> Self {
        Self::Sha256(sha2::Sha256::digest(data).into())
    }

    /// The hash function.
    pub const fn algorithm(&self) -> HashAlgorithm {
        match self {
            Self::Sha256(_) => HashAlgorithm::Sha256,
            #[cfg(feature = "legacy-sha1")]
            Self::Sha1(_) => HashAlgorithm::Sha1,
        }
    }

    /// The digest bytes.
    pub const fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Sha256(d) => d,
            #[cfg(feature = "legacy-sha1")]
            Self::Sha1(d) => d,
        }
    }

    /// Compare with `other` in time that depends only on the length, not on where the bytes
    /// differ. Digests of different hash functions are never equal.
    pub fn ct_eq(&self, other: &Self) -> bool {
        self.algorithm() == other.algorithm() && ct_eq(self.as_bytes(), other.as_bytes())
    }
}

/// Equal-length byte comparison without an early exit.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    core::hint::black_box(diff) == 0
}

/// `Sha256(hex)` / `Sha1(hex)`.
impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.algorithm() {
            HashAlgorithm::Sha256 => "Sha256",
            #[cfg(feature = "legacy-sha1")]
            HashAlgorithm::Sha1 => "Sha1",
        };
        write!(f, "{name}({self:x})")
    }
}

/// The digest bytes in lowercase hex (`{:x}`), as manifests and `sha256sum` write them; no
/// algorithm name, no prefix.
impl fmt::LowerHex for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_bytes()
            .iter()
            .try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// Streaming hash for one [`HashAlgorithm`]. Feed it with [`Hasher::update`] in chunks of any
/// size; [`Hasher::finalize`] gives the [`Digest`]. It only hashes: length limits are
/// [`super::ImageVerifier`]'s job.
#[derive(Clone)]
pub struct Hasher(Inner);

#[derive(Clone)]
enum Inner {
    Sha256(sha2::Sha256),
    #[cfg(feature = "legacy-sha1")]
    Sha1(sha1::Sha1),
}

impl Hasher {
    /// A hasher for `hash`.
    pub fn new(hash: HashAlgorithm) -> Self {
        match hash {
            HashAlgorithm::Sha256 => Self(Inner::Sha256(sha2::Sha256::new())),
            #[cfg(feature = "legacy-sha1")]
            HashAlgorithm::Sha1 => Self(Inner::Sha1(sha1::Sha1::new())),
        }
    }

    /// A hasher for the hash that `algorithm` signs.
    pub fn for_algorithm(algorithm: Algorithm) -> Self {
        Self::new(algorithm.hash())
    }

    /// The hash function.
    pub fn algorithm(&self) -> HashAlgorithm {
        match self.0 {
            Inner::Sha256(_) => HashAlgorithm::Sha256,
            #[cfg(feature = "legacy-sha1")]
            Inner::Sha1(_) => HashAlgorithm::Sha1,
        }
    }

    /// Hash more bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            Inner::Sha256(h) => h.update(data),
            #[cfg(feature = "legacy-sha1")]
            Inner::Sha1(h) => h.update(data),
        }
    }

    /// The digest of everything hashed so far.
    pub fn finalize(self) -> Digest {
        match self.0 {
            Inner::Sha256(h) => Digest::Sha256(h.finalize().into()),
            #[cfg(feature = "legacy-sha1")]
            Inner::Sha1(h) => Digest::Sha1(h.finalize().into()),
        }
    }
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Hasher").field(&self.algorithm()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    const ABC_SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn sha256_known_answer_and_streaming() {
        let one = Digest::sha256(b"abc");
        assert_eq!(format!("{one:?}"), format!("Sha256({ABC_SHA256})"));
        assert_eq!(format!("{one:x}"), ABC_SHA256);
        let mut h = Hasher::new(HashAlgorithm::Sha256);
        h.update(b"a");
        h.update(b"");
        h.update(b"bc");
        assert_eq!(h.finalize(), one);
        assert!(one.ct_eq(&Digest::sha256(b"abc")));
        assert!(!one.ct_eq(&Digest::sha256(b"abd")));
    }

    #[cfg(feature = "legacy-sha1")]
    #[test]
    fn sha1_known_answer() {
        let mut h = Hasher::new(HashAlgorithm::Sha1);
        h.update(b"abc");
        let d = h.finalize();
        assert_eq!(
            format!("{d:?}"),
            "Sha1(a9993e364706816aba3e25717850c26c9cd0d89d)"
        );
        assert!(!d.ct_eq(&Digest::sha256(b"abc")));
    }
}
