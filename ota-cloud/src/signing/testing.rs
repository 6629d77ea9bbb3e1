//! [`MessageSigner`]: a [`Signer`] of whole messages for tests, over a [`LocalSigner`].

use ota_core::crypto::{Algorithm, PublicKey};

use super::{LocalSigner, Signer, SigningError};

/// Signs `alter(message)` with `inner`'s key, and only whole messages: `sign_digest` is
/// the trait's default (refused), as for a signer that cannot sign a digest.
pub(crate) struct MessageSigner {
    /// The key and algorithm.
    pub(crate) inner: LocalSigner,
    /// What is signed in place of the message (the message itself for an honest signer).
    pub(crate) alter: fn(&[u8]) -> Vec<u8>,
}

impl Signer for MessageSigner {
    fn algorithm(&self) -> Algorithm {
        self.inner.algorithm()
    }
    fn public_key(&self) -> &PublicKey {
        self.inner.public_key()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SigningError> {
        self.inner.sign(&(self.alter)(message))
    }
}
