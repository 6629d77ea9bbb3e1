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

/// The [`crate::json::Reader`] counterparts of the checks above, for the hand-written
/// parsers: the same refusals, the same error kinds.
pub(crate) mod read {
    use super::super::names::{JobId, NameError, ThingName};
    use super::Check;
    use crate::json::{Error, ErrorKind, JsonStr, Reader};

    /// A string checked with `check`: too long is [`ErrorKind::StringTooLong`], anything
    /// else refused is [`ErrorKind::Data`].
    pub(crate) fn checked<'a>(r: &mut Reader<'a>, check: Check) -> Result<JsonStr<'a>, Error> {
        let text = r.string()?;
        check(&text).map_err(|e| match e {
            NameError::TooLong => r.error(ErrorKind::StringTooLong),
            _ => r.data_error("invalid value: a name"),
        })?;
        Ok(text)
    }

    /// `null` as `None`, else [`checked`].
    pub(crate) fn optional<'a>(
        r: &mut Reader<'a>,
        check: Check,
    ) -> Result<Option<JsonStr<'a>>, Error> {
        if r.null()? {
            return Ok(None);
        }
        checked(r, check).map(Some)
    }

    /// A `jobId`.
    pub(crate) fn job_id<'a>(r: &mut Reader<'a>) -> Result<JsonStr<'a>, Error> {
        checked(r, JobId::check_json)
    }

    /// An optional `thingName`.
    pub(crate) fn thing_name<'a>(r: &mut Reader<'a>) -> Result<Option<JsonStr<'a>>, Error> {
        optional(r, ThingName::check_json)
    }
}
