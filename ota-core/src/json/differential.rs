//! Test support: a hand-written [`super::Reader`] parser against the serde derive of the same
//! type through [`super::from_slice`], on valid documents and on mutations of them. Both
//! must accept the same inputs with equal values, and refuse the same inputs with the same
//! [`super::ErrorKind`].

use core::fmt::Debug;
use std::vec::Vec;

use proptest::prelude::*;

use super::Error;

/// Compare the two parsers on `input`; `Err` says how they differ.
pub(crate) fn compare<'a, T>(
    input: &'a [u8],
    ours: impl Fn(&'a [u8]) -> Result<T, Error>,
) -> Result<(), std::string::String>
where
    T: serde::Deserialize<'a> + PartialEq + Debug,
{
    let theirs = super::from_slice::<T>(input);
    let ours = ours(input);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) if a == b => Ok(()),
        (Err(a), Err(b)) if a.kind() == b.kind() => Ok(()),
        _ => Err(std::format!(
            "input {:?}\n  reader: {ours:?}\n  serde:  {theirs:?}",
            std::string::String::from_utf8_lossy(input)
        )),
    }
}

/// Bytes a mutation inserts or substitutes: JSON's structure, escapes, digits, letters of
/// the literals, and a multi-byte character.
const ALPHABET: &[u8] = b"{}[]\",:\\/ 0123456789-+.eEnultrfasxu\x01\xc3\xa9";

/// One edit of a document.
#[derive(Debug, Clone)]
pub(crate) enum Edit {
    /// Replace the byte at (index mod len).
    Set(usize, u8),
    /// Insert a byte before (index mod len+1).
    Insert(usize, u8),
    /// Remove the byte at (index mod len).
    Remove(usize),
    /// Copy the range (a, a+n) to position b: duplicates members and values.
    Copy(usize, usize, usize),
    /// Replace the character at (index mod len), when ASCII alphanumeric, by its `\u00XX`
    /// escape.
    Escape(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let byte = prop::sample::select(ALPHABET);
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Edit::Set(i, b)),
        (any::<usize>(), byte).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Remove),
        (any::<usize>(), 1usize..40, any::<usize>()).prop_map(|(a, n, b)| Edit::Copy(a, n, b)),
        any::<usize>().prop_map(Edit::Escape),
        any::<usize>().prop_map(Edit::Escape),
    ]
}

/// Up to `max` edits.
pub(crate) fn edits(max: usize) -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(edit(), 0..=max)
}

/// `doc` with `edits` applied.
pub(crate) fn apply(doc: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = doc.to_vec();
    for edit in edits {
        let len = out.len();
        match *edit {
            Edit::Set(i, b) if len > 0 => out[i % len] = b,
            Edit::Insert(i, b) => out.insert(i % (len + 1), b),
            Edit::Remove(i) if len > 0 => {
                out.remove(i % len);
            }
            Edit::Copy(a, n, b) if len > 0 => {
                let a = a % len;
                let piece = out[a..(a + n).min(len)].to_vec();
                let at = b % (len + 1);
                out.splice(at..at, piece);
            }
            Edit::Escape(i) if len > 0 => {
                let i = i % len;
                let c = out[i];
                if c.is_ascii_alphanumeric() {
                    let escaped = std::format!("\\u{:04x}", c);
                    out.splice(i..=i, escaped.bytes());
                }
            }
            _ => {}
        }
    }
    out
}
