//! Trust that can change over the air: a device's keys by role ([`Root`]), and the signed
//! root statements that rotate and revoke them (TUF's root role, without a TUF repository).
//!
//! A device starts from a root built into its firmware: `root` keys, which sign root
//! statements, and `release` keys, which sign firmware manifests, each role with a
//! threshold (e.g. 2 of 3). A trust-update job ([`crate::document::TrustUpdate`]) carries a
//! new [`RootStatement`]; the device takes it only when the threshold of its *current* root
//! keys signed it, the threshold of the statement's *own* root keys signed it too, it names
//! the device's product and its version is higher. The device then stores it in a compact
//! form ([`encode`], [`decode`]) next to its state record, and verifies releases with the
//! new release keys at once: a key left out is revoked.
//!
//! What it does not do: store anything (the device client does, through its record store),
//! keep old roots, expire roots, or bind releases to a root version.

mod error;
mod persist;
mod root;
mod statement;

pub use error::RootError;
pub use persist::{decode, encode};
pub use root::{Root, RootUpdate};
pub use statement::{
    KeyAlgorithm, MAX_ROLE_KEYS, MAX_ROOT_LEN, ROOT_TYPE, RoleStatement, RootKey, RootStatement,
};

#[cfg(test)]
mod tests;
