//! The MQTT topics of the latest statement, beside a thing's Jobs topics:
//! `{root}/things/{thing}/ota/latest/get` (the device asks), and
//! `{root}/things/{thing}/ota/latest/get/accepted` or `/rejected` (the service answers).
//!
//! The request's payload is [`Request`]; a rejection carries a Jobs-style `code`
//! (`ResourceNotFound` when the service has no statement for the product).

use core::fmt::{self, Write};

use serde::Serialize;

use crate::jobs::ThingName;

/// What follows `{root}/things/{thing}/`.
const SUFFIX: &str = "ota/latest/get";

/// Which topic: the request or one of its replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `…/ota/latest/get`.
    Request,
    /// `…/ota/latest/get/accepted`.
    Accepted,
    /// `…/ota/latest/get/rejected`.
    Rejected,
}

/// Write the topic of `kind` for `thing` under `root`.
///
/// # Errors
/// The writer's error.
pub fn write(root: &str, thing: &str, kind: Kind, w: &mut impl Write) -> fmt::Result {
    // Plain `write_str`s: no formatting machinery on a device.
    for part in [root, "/things/", thing, "/", SUFFIX] {
        w.write_str(part)?;
    }
    match kind {
        Kind::Request => Ok(()),
        Kind::Accepted => w.write_str("/accepted"),
        Kind::Rejected => w.write_str("/rejected"),
    }
}

/// The thing and kind of a latest-statement topic under `root`; `None` for any other topic
/// or an invalid thing name.
pub fn parse<'t>(root: &str, topic: &'t str) -> Option<(ThingName<'t>, Kind)> {
    let rest = topic.strip_prefix(root)?.strip_prefix("/things/")?;
    let (thing, rest) = rest.split_once('/')?;
    let kind = match rest.strip_prefix(SUFFIX)? {
        "" => Kind::Request,
        "/accepted" => Kind::Accepted,
        "/rejected" => Kind::Rejected,
        _ => return None,
    };
    Some((ThingName::new(thing).ok()?, kind))
}

/// What a device says when it asks: its product (the statement it wants), and what it
/// found since the last answer, so the service can count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Request<'a> {
    /// The device's product.
    pub product: &'a str,
    /// No newer statement arrived for the device's configured period.
    pub stale: bool,
    /// The newest statement names a release newer than the one it runs.
    pub behind: bool,
    /// The newest `issued` it accepted (0: none yet).
    pub issued: u64,
    /// Echoed in the reply.
    pub client_token: &'a str,
}

impl Request<'_> {
    /// Write the request as compact JSON into `buf` (byte for byte what its `Serialize`
    /// derive writes, without serde's serializer); its length.
    ///
    /// # Errors
    /// [`crate::json::ErrorKind::BufferFull`].
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, crate::json::Error> {
        let mut w = crate::json::Writer::new(buf);
        w.begin_object()?;
        w.key("product")?;
        w.str(self.product)?;
        w.key("stale")?;
        w.bool(self.stale)?;
        w.key("behind")?;
        w.bool(self.behind)?;
        w.key("issued")?;
        w.u64(self.issued)?;
        w.key("clientToken")?;
        w.str(self.client_token)?;
        w.end_object()?;
        Ok(w.len())
    }
}

#[cfg(test)]
mod write_tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn requests_are_written_as_serde_writes_them(
            product in "\\PC{0,16}",
            stale in any::<bool>(),
            behind in any::<bool>(),
            issued in any::<u64>(),
            client_token in "[ -~]{0,16}",
        ) {
            let request = Request { product: &product, stale, behind, issued, client_token: &client_token };
            let (mut ours, mut theirs) = ([0u8; 256], [0u8; 256]);
            let n = request.write(&mut ours).unwrap();
            let m = crate::json::to_slice(&request, &mut theirs).unwrap();
            prop_assert_eq!(&ours[..n], &theirs[..m]);
        }
    }
}
