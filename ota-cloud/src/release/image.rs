//! [`ImageDigest`]: an image's size and SHA-256, computed in one pass without holding the
//! image in memory.

use std::io::{self, Read};

use sha2::Digest as _;

/// Bytes read at a time by [`ImageDigest::read_from`].
pub const CHUNK_LEN: usize = 64 * 1024;

/// What a release needs to know about an image: its exact size and its SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageDigest {
    /// The image's length in bytes.
    pub size: u64,
    /// SHA-256 over the image's bytes.
    pub sha256: [u8; 32],
}

impl ImageDigest {
    /// The size and SHA-256 of `image`, held in memory.
    pub fn of(image: &[u8]) -> Self {
        Self {
            size: image.len() as u64,
            sha256: sha2::Sha256::digest(image).into(),
        }
    }

    /// The size and SHA-256 of everything `reader` yields, read once in [`CHUNK_LEN`]
    /// chunks: memory use does not depend on the image's size. Retries reads that were
    /// interrupted; does not seek, and does not limit the size.
    ///
    /// # Errors
    /// The first read error other than [`io::ErrorKind::Interrupted`].
    pub fn read_from(mut reader: impl Read) -> io::Result<Self> {
        let mut hasher = sha2::Sha256::new();
        let mut size = 0u64;
        let mut chunk = vec![0u8; CHUNK_LEN];
        loop {
            match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    hasher.update(chunk.get(..n).unwrap_or_default());
                    size += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Self {
            size,
            sha256: hasher.finalize().into(),
        })
    }

    /// The SHA-256 as `ota_core`'s tagged digest, for signature checks.
    pub const fn digest(&self) -> ota_core::crypto::Digest {
        ota_core::crypto::Digest::Sha256(self.sha256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that yields `len` bytes of a pattern a few at a time, with an interruption
    /// first.
    struct Trickle {
        left: u64,
        interrupted: bool,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if !self.interrupted {
                self.interrupted = true;
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(7).min(self.left as usize);
            for (i, b) in buf.iter_mut().take(n).enumerate() {
                *b = (self.left as usize + i) as u8;
            }
            self.left -= n as u64;
            Ok(n)
        }
    }

    #[test]
    fn streaming_gives_what_hashing_in_memory_gives() {
        let image: Vec<u8> = (0..3 * CHUNK_LEN + 5).map(|i| (i * 31) as u8).collect();
        assert_eq!(
            ImageDigest::read_from(image.as_slice()).unwrap(),
            ImageDigest::of(&image)
        );
        let trickled = ImageDigest::read_from(Trickle {
            left: 100,
            interrupted: false,
        })
        .unwrap();
        assert_eq!(trickled.size, 100);
        let empty = ImageDigest::of(&[]);
        assert_eq!(empty.size, 0);
        assert_eq!(
            empty.digest(),
            ota_core::crypto::Digest::sha256(b""),
            "tagged as SHA-256"
        );
    }

    #[test]
    fn read_errors_are_returned() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::ErrorKind::PermissionDenied.into())
            }
        }
        let err = ImageDigest::read_from(Broken).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
    }
}
