//! Reading the signed envelopes of trust updates, floor resets and latest statements with
//! [`Reader`]: an object of optional strings, one member of which (`cosignatures`) is kept
//! as its text, inside (for a job document) an object with `operation`. What the serde
//! derives of those raw types accept, with the same error kinds (tested beside each type).

use crate::json::{self, Fields, JsonStr, RawJson, Reader, Unknown};

/// The members of an envelope: strings, and `cosignatures` as text.
pub(crate) struct Envelope<'a, const N: usize> {
    /// The string members, by index in the names table (`None`: absent or `null`).
    pub(crate) strings: [Option<JsonStr<'a>>; N],
    /// `cosignatures`, as written (`None`: absent or `null`).
    pub(crate) cosignatures: Option<RawJson<'a>>,
}

/// Read an envelope object whose members are `names` (strings) and `cosignatures`;
/// unknown members skipped, a repeated one refused.
pub(crate) fn read<'a, const N: usize>(
    r: &mut Reader<'a>,
    names: &'static [&'static str],
) -> Result<Envelope<'a, N>, json::Error> {
    let mut envelope = Envelope {
        strings: [None; N],
        cosignatures: None,
    };
    let mut fields = Fields::new(names);
    let mut object = r.object()?;
    while let Some(key) = r.next_key(&mut object)? {
        let Some(index) = fields.member(r, key, Unknown::Skip)? else {
            continue;
        };
        if r.null()? {
            continue;
        }
        match envelope.strings.get_mut(index) {
            Some(slot) => *slot = Some(r.string()?),
            // The table's last name, past the strings: `cosignatures`.
            None => envelope.cosignatures = Some(r.raw()?),
        }
    }
    Ok(envelope)
}

/// A job document `{"operation": "...", "<inner>": {envelope}}` (the table `["operation",
/// inner]`): its `operation` and its envelope, whole input read.
pub(crate) fn read_document<'a, const N: usize>(
    raw: &'a [u8],
    outer: &'static [&'static str],
    inner: &'static [&'static str],
) -> Result<(Option<JsonStr<'a>>, Option<Envelope<'a, N>>), json::Error> {
    let mut r = Reader::new(raw);
    let mut fields = Fields::new(outer);
    let (mut operation, mut envelope) = (None, None);
    let mut object = r.object()?;
    while let Some(key) = r.next_key(&mut object)? {
        match fields.member(&mut r, key, Unknown::Skip)? {
            Some(_) if r.null()? => {}
            Some(0) => operation = Some(r.string()?),
            Some(_) => envelope = Some(read(&mut r, inner)?),
            None => {}
        }
    }
    r.finish()?;
    Ok((operation, envelope))
}
