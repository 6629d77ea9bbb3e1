//! `serde(deserialize_with)` checks of the names a payload holds as [`JsonStr`]s, on their
//! decoded text: a refused one is a [`name_error`] (too long is
//! [`crate::json::ErrorKind::StringTooLong`] with this crate's parser).

use serde::{Deserialize, Deserializer};

use super::names::{ClientToken, JobId, NameError, ThingName, name_error};
use crate::json::JsonStr;

/// The check of one kind of name, e.g. [`JobId::check_json`].
pub(crate) type Check = fn(&JsonStr<'_>) -> Result<(), NameError>;

/// What a refused job id is reported as expecting.
pub(crate) const JOB_ID: &str = "a job id of 1 to 64 bytes";

/// `text` when `check` passes, else a [`name_error`] expecting `what`.
fn checked<'a, E: serde::de::Error>(
    text: JsonStr<'a>,
    check: Check,
    what: &'static str,
) -> Result<JsonStr<'a>, E> {
    check(&text).map_err(|e| name_error(e, what))?;
    Ok(text)
}

/// An optional name: `None` for `null` (or, with `default`, absent), else checked as
/// [`checked`] does.
pub(crate) fn optional<'de: 'a, 'a, D: Deserializer<'de>>(
    d: D,
    check: Check,
    what: &'static str,
) -> Result<Option<JsonStr<'a>>, D::Error> {
    Option::<JsonStr<'a>>::deserialize(d)?
        .map(|text| checked(text, check, what))
        .transpose()
}

/// A `jobId`.
pub(crate) fn job_id<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<JsonStr<'a>, D::Error> {
    checked(JsonStr::deserialize(d)?, JobId::check_json, JOB_ID)
}

/// An optional `thingName`.
pub(crate) fn thing_name<'de: 'a, 'a, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<JsonStr<'a>>, D::Error> {
    optional(d, ThingName::check_json, "a thing name of 1 to 128 bytes")
}

/// An optional `clientToken`.
pub(crate) fn client_token<'de: 'a, 'a, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<JsonStr<'a>>, D::Error> {
    optional(
        d,
        ClientToken::check_json,
        "a client token of 1 to 64 bytes",
    )
}
