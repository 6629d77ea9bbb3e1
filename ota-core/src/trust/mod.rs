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
//! [`check_floor_reset`] is the root keys' other power: letting a device install one named
//! release below its anti-rollback floor, to recover from a release signed with a wrong
//! security counter.
//!
//! What it does not do: store anything (the device client does, through its record store),
//! keep old roots, expire roots, or bind releases to a root version.

mod error;
mod floor_reset;
mod persist;
mod read;
mod root;
mod statement;

pub use error::RootError;
pub use floor_reset::{
    FLOOR_RESET_TYPE, FloorAllowance, FloorResetError, FloorResetStatement, MAX_FLOOR_RESET_LEN,
    check_floor_reset,
};
pub use persist::{decode, encode};
pub(crate) use read::read_latest;
pub use root::{Root, RootUpdate};
pub use statement::{
    KeyAlgorithm, MAX_ROLE_KEYS, MAX_ROOT_LEN, ROOT_TYPE, RoleStatement, RootKey, RootStatement,
};

#[cfg(test)]
mod tests;
