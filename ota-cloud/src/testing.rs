//! What this crate's unit tests share.

use ota_core::version::Version;

/// The version `text`, which must parse.
pub(crate) fn version(text: &str) -> Version {
    Version::parse(text).unwrap()
}
