//! Fast-forward recovery: a root-signed statement that lets a device install one named
//! release below its anti-rollback floor, once.
//!
//! A release signed with a wrong, huge security counter (or version), once committed, raises
//! the floor so that every correct release after it is refused. The root keys (to their
//! threshold) then sign:
//!
//! ```json
//! {"type":"floor-reset","product":"acme-sensor","hardware":"rev-b","sequence":1,
//!  "version":"1.2.1","securityCounter":6}
//! ```
//!
//! A device of that product and hardware whose last reset had a lower `sequence` keeps the
//! allowance; the manifest of exactly that version and counter then passes the floor
//! checks, and once that image is committed the floor is set to it (lowered). A device
//! whose monotonic counter (a bootloader's, which cannot go down) is above the allowed
//! counter refuses the reset. What it does not do: store anything (the device client keeps
//! the allowance in its state record) or lower the floor for any other release.

use serde::Deserialize;

use crate::crypto::{Base64Mode, Digest, TrustStore};
use crate::document::FloorReset;
use crate::json::JsonStr;
use crate::manifest::Rejection;
use crate::version::{SecurityCounter, Version};

/// Longest floor-reset statement accepted, in bytes (after base64 decoding).
pub const MAX_FLOOR_RESET_LEN: usize = 512;

/// The value of `type` in a floor-reset statement.
pub const FLOOR_RESET_TYPE: &str = "floor-reset";

/// The signed statement. Every member is required, unknown members are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FloorResetStatement<'a> {
    /// Must be [`FLOOR_RESET_TYPE`].
    #[serde(borrow, rename = "type")]
    pub kind: JsonStr<'a>,
    /// The product.
    #[serde(borrow)]
    pub product: JsonStr<'a>,
    /// The hardware.
    #[serde(borrow)]
    pub hardware: JsonStr<'a>,
    /// Only a higher sequence than the device's last reset is taken: each reset is taken
    /// once.
    pub sequence: u32,
    /// The release allowed below the floor: its version ...
    pub version: Version,
    /// ... and its security counter.
    pub security_counter: SecurityCounter,
}

/// What a checked reset allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloorAllowance {
    /// The reset's sequence.
    pub sequence: u32,
    /// The version allowed.
    pub version: Version,
    /// The security counter allowed.
    pub security_counter: SecurityCounter,
}

/// Why a floor reset was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FloorResetError {
    /// The statement is not strict base64 of at most [`MAX_FLOOR_RESET_LEN`] bytes.
    #[error("floor-reset statement encoding is invalid")]
    Encoding,
    /// The root keys did not sign it to their threshold.
    #[error("floor reset not signed by the root keys: {0}")]
    NotAuthorized(Rejection),
    /// Not a well-formed floor-reset statement.
    #[error("floor-reset statement is malformed")]
    Malformed,
    /// For another product.
    #[error("floor reset is for another product")]
    WrongProduct,
    /// For other hardware.
    #[error("floor reset is for other hardware")]
    WrongHardware,
    /// Its sequence is not above the device's last reset's.
    #[error("floor reset {offered} is not newer than the device's last, {last}")]
    NotNewer {
        /// The device's last sequence.
        last: u32,
        /// The statement's.
        offered: u32,
    },
}

/// Check a floor-reset document with `root_keys` (the device's root role and threshold)
/// for a device of `product` and `hardware` whose last reset had sequence `last_sequence`.
/// `scratch` receives the statement.
///
/// Does not compare the allowance with the device's floor or counter: the caller does.
///
/// # Errors
/// The first [`FloorResetError`]: encoding, signatures, statement, product, hardware,
/// sequence.
pub fn check_floor_reset<const K: usize>(
    reset: &FloorReset<'_>,
    root_keys: &TrustStore<K>,
    product: &str,
    hardware: &str,
    last_sequence: u32,
    scratch: &mut [u8; MAX_FLOOR_RESET_LEN],
) -> Result<FloorAllowance, FloorResetError> {
    let bytes = reset
        .statement
        .decode_base64(scratch, Base64Mode::Strict)
        .map_err(|_| FloorResetError::Encoding)?;
    reset
        .signatures()
        .check(root_keys, &Digest::sha256(bytes))
        .map_err(FloorResetError::NotAuthorized)?;
    let statement = super::read::read_floor_reset(bytes).map_err(|_| FloorResetError::Malformed)?;
    if statement.kind != FLOOR_RESET_TYPE {
        return Err(FloorResetError::Malformed);
    }
    if statement.product != product {
        return Err(FloorResetError::WrongProduct);
    }
    if statement.hardware != hardware {
        return Err(FloorResetError::WrongHardware);
    }
    if statement.sequence <= last_sequence {
        return Err(FloorResetError::NotNewer {
            last: last_sequence,
            offered: statement.sequence,
        });
    }
    Ok(FloorAllowance {
        sequence: statement.sequence,
        version: statement.version,
        security_counter: statement.security_counter,
    })
}
