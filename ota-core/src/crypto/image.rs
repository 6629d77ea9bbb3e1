//! Streaming image checks bound to an exact length: [`ImageVerifier`] (expected SHA-256) and
//! [`ImageHasher`] (digest for a signature check).

use super::{Digest, HashAlgorithm, Hasher, ImageError};

/// Hashes at most `expected_len` bytes; shared by both checkers.
#[derive(Clone, Debug)]
struct Bounded {
    hasher: Hasher,
    expected_len: u64,
    received: u64,
    overflowed: bool,
}

impl Bounded {
    fn new(expected_len: u64, hash: HashAlgorithm) -> Self {
        Self {
            hasher: Hasher::new(hash),
            expected_len,
            received: 0,
            overflowed: false,
        }
    }

    fn update(&mut self, chunk: &[u8]) -> Result<(), ImageError> {
        let len = u64::try_from(chunk.len()).unwrap_or(u64::MAX);
        if self.overflowed || len > self.expected_len - self.received {
            self.overflowed = true;
            return Err(ImageError::TooLong {
                expected: self.expected_len,
            });
        }
        self.hasher.update(chunk);
        self.received += len;
        Ok(())
    }

    fn finish(self) -> Result<Digest, ImageError> {
        if self.overflowed {
            Err(ImageError::TooLong {
                expected: self.expected_len,
            })
        } else if self.received < self.expected_len {
            Err(ImageError::TooShort {
                expected: self.expected_len,
                received: self.received,
            })
        } else {
            Ok(self.hasher.finalize())
        }
    }
}

/// Checks a streamed image against an exact length and SHA-256 taken from signed metadata.
///
/// [`ImageVerifier::update`] refuses the chunk that would carry the first byte past the
/// length (none of that chunk is hashed, and every later call fails too);
/// [`ImageVerifier::finish`] succeeds only at exactly the length with the expected digest,
/// compared in constant time. It checks no signature: the length and digest must come from
/// data whose signature was already verified.
#[derive(Clone, Debug)]
pub struct ImageVerifier {
    inner: Bounded,
    expected: Digest,
}

impl ImageVerifier {
    /// Expect exactly `expected_len` bytes hashing to `expected_sha256`.
    pub fn new(expected_len: u64, expected_sha256: [u8; 32]) -> Self {
        Self {
            inner: Bounded::new(expected_len, HashAlgorithm::Sha256),
            expected: Digest::Sha256(expected_sha256),
        }
    }

    /// Hash the next chunk.
    ///
    /// # Errors
    /// [`ImageError::TooLong`] if the chunk goes past the expected length (or an earlier one
    /// did).
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), ImageError> {
        self.inner.update(chunk)
    }

    /// Bytes accepted so far.
    pub const fn received(&self) -> u64 {
        self.inner.received
    }

    /// Bytes still expected.
    pub const fn remaining(&self) -> u64 {
        self.inner.expected_len - self.inner.received
    }

    /// Check the length and the digest.
    ///
    /// # Errors
    /// [`ImageError::TooLong`], [`ImageError::TooShort`] or [`ImageError::DigestMismatch`].
    pub fn finish(self) -> Result<(), ImageError> {
        let digest = self.inner.finish()?;
        if digest.ct_eq(&self.expected) {
            Ok(())
        } else {
            Err(ImageError::DigestMismatch)
        }
    }
}

/// Hashes a streamed image of an exact length and hands back the [`Digest`], for legacy AWS
/// documents whose signature covers the whole file (`sig-sha256-ecdsa`): pass the digest to
/// [`super::TrustedKey::verify_digest`] or [`super::TrustStore::verify_digest`].
///
/// The length usually comes from the job document's `filesize`, which is **not signed**: the
/// bound stops endless data, but only the signature check binds the content.
#[derive(Clone, Debug)]
pub struct ImageHasher {
    inner: Bounded,
}

impl ImageHasher {
    /// Hash exactly `expected_len` bytes with SHA-256; the length is not covered by a
    /// signature.
    pub fn new_unsigned_length(expected_len: u64) -> Self {
        Self::with_hash(expected_len, HashAlgorithm::Sha256)
    }

    /// Hash exactly `expected_len` bytes with `hash` (e.g. SHA-1 for `sig-sha1-rsa`).
    pub fn with_hash(expected_len: u64, hash: HashAlgorithm) -> Self {
        Self {
            inner: Bounded::new(expected_len, hash),
        }
    }

    /// Hash the next chunk.
    ///
    /// # Errors
    /// [`ImageError::TooLong`] as for [`ImageVerifier::update`].
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), ImageError> {
        self.inner.update(chunk)
    }

    /// Bytes accepted so far.
    pub const fn received(&self) -> u64 {
        self.inner.received
    }

    /// The digest, if exactly the expected length arrived.
    ///
    /// # Errors
    /// [`ImageError::TooLong`] or [`ImageError::TooShort`].
    pub fn finish(self) -> Result<Digest, ImageError> {
        self.inner.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(data: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(Digest::sha256(data).as_bytes());
        out
    }

    #[test]
    fn exact_length_and_digest_pass() {
        let image = [7u8; 100];
        let mut v = ImageVerifier::new(100, sha(&image));
        for chunk in image.chunks(33) {
            v.update(chunk).unwrap();
        }
        assert_eq!(v.remaining(), 0);
        assert_eq!(v.finish(), Ok(()));
    }

    #[test]
    fn first_byte_past_length_is_refused_at_once() {
        let mut v = ImageVerifier::new(3, sha(b"abc"));
        v.update(b"ab").unwrap();
        assert_eq!(v.update(b"cd"), Err(ImageError::TooLong { expected: 3 }));
        assert_eq!(v.received(), 2);
        assert_eq!(v.update(b"c"), Err(ImageError::TooLong { expected: 3 }));
        assert_eq!(v.finish(), Err(ImageError::TooLong { expected: 3 }));
    }

    #[test]
    fn short_and_wrong_images_fail() {
        let mut v = ImageVerifier::new(3, sha(b"abc"));
        v.update(b"ab").unwrap();
        assert_eq!(
            v.finish(),
            Err(ImageError::TooShort {
                expected: 3,
                received: 2
            })
        );
        let mut v = ImageVerifier::new(3, sha(b"abc"));
        v.update(b"abd").unwrap();
        assert_eq!(v.finish(), Err(ImageError::DigestMismatch));
        let v = ImageVerifier::new(0, sha(b""));
        assert_eq!(v.finish(), Ok(()));
    }

    #[test]
    fn hasher_returns_digest() {
        let mut h = ImageHasher::new_unsigned_length(6);
        h.update(b"foo").unwrap();
        h.update(b"").unwrap();
        h.update(b"bar").unwrap();
        assert_eq!(h.finish(), Ok(Digest::sha256(b"foobar")));
        let mut h = ImageHasher::new_unsigned_length(2);
        assert_eq!(h.update(b"foo"), Err(ImageError::TooLong { expected: 2 }));
    }
}
