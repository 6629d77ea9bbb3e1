//! Skipping one CBOR value of any type, with bounded nesting and no allocation.
//!
//! minicbor's own `Decoder::skip` needs its `alloc` feature for indefinite-length containers
//! inside definite ones, and has no depth limit; this one has a fixed stack.

use minicbor::Decoder;
use minicbor::data::Type;

use super::error::{CborErrorKind, StreamError};

/// Deepest nesting of arrays and maps accepted inside a value that is skipped (an unknown
/// key's value). Tags do not count.
pub const MAX_CBOR_DEPTH: usize = 16;

/// An open container: items still expected, or an indefinite one awaiting its break.
#[derive(Clone, Copy)]
enum Frame {
    Items(u64),
    IndefiniteArray,
    /// `odd`: a key was read without its value.
    IndefiniteMap {
        odd: bool,
    },
}

/// The byte at the decoder's position, if any.
pub(crate) fn peek(d: &Decoder<'_>) -> Option<u8> {
    d.input().get(d.position()).copied()
}

/// Consume a break byte (`0xff`) known to be at the current position.
pub(crate) fn consume_break(d: &mut Decoder<'_>) {
    d.set_position(d.position() + 1);
}

/// Map a minicbor error, with the current position as the fallback offset.
pub(crate) fn mc(d: &Decoder<'_>) -> impl Fn(minicbor::decode::Error) -> StreamError + use<> {
    let at = d.position();
    move |e| StreamError::from_minicbor(&e, at)
}

/// Skip exactly one well-formed CBOR value, validating it (UTF-8 of text included).
///
/// # Errors
/// [`StreamError::Cbor`]: malformed input, a misplaced break, nesting deeper than
/// [`MAX_CBOR_DEPTH`].
pub(crate) fn skip_value(d: &mut Decoder<'_>) -> Result<(), StreamError> {
    let mut stack = [Frame::Items(0); MAX_CBOR_DEPTH];
    let mut depth = 0usize;
    loop {
        let top = depth.checked_sub(1).map(|i| stack[i]);
        if let (Some(Frame::IndefiniteArray | Frame::IndefiniteMap { .. }), Some(0xff)) =
            (top, peek(d))
        {
            if let Some(Frame::IndefiniteMap { odd: true }) = top {
                return Err(StreamError::cbor(CborErrorKind::Malformed, d.position()));
            }
            consume_break(d);
            depth -= 1;
        } else if let Some(frame) = item(d)? {
            let slot = stack
                .get_mut(depth)
                .ok_or(StreamError::cbor(CborErrorKind::TooDeep, d.position()))?;
            *slot = frame;
            depth += 1;
            continue;
        }
        // One item is complete: account for it in the open containers.
        loop {
            let Some(i) = depth.checked_sub(1) else {
                return Ok(());
            };
            match &mut stack[i] {
                Frame::Items(n) => {
                    *n -= 1;
                    if *n == 0 {
                        depth -= 1;
                        continue;
                    }
                }
                Frame::IndefiniteArray => {}
                Frame::IndefiniteMap { odd } => *odd = !*odd,
            }
            break;
        }
    }
}

/// Read one item head (and a string's content). Returns the container it opens, or `None`
/// when the item is already complete. A tag is read with the item it tags.
fn item(d: &mut Decoder<'_>) -> Result<Option<Frame>, StreamError> {
    let err = mc(d);
    let at = d.position();
    let malformed = || StreamError::cbor(CborErrorKind::Malformed, at);
    loop {
        match d.datatype().map_err(&err)? {
            Type::Tag => {
                d.tag().map_err(&err)?;
            }
            Type::Bytes | Type::BytesIndef => {
                for chunk in d.bytes_iter().map_err(&err)? {
                    chunk.map_err(&err)?;
                }
                return Ok(None);
            }
            Type::String | Type::StringIndef => {
                for chunk in d.str_iter().map_err(&err)? {
                    chunk.map_err(&err)?;
                }
                return Ok(None);
            }
            Type::Array | Type::ArrayIndef => {
                return Ok(match d.array().map_err(&err)? {
                    Some(0) => None,
                    Some(n) => Some(Frame::Items(n)),
                    None => Some(Frame::IndefiniteArray),
                });
            }
            Type::Map | Type::MapIndef => {
                return match d.map().map_err(&err)? {
                    Some(0) => Ok(None),
                    Some(n) => n
                        .checked_mul(2)
                        .map(|n| Some(Frame::Items(n)))
                        .ok_or_else(malformed),
                    None => Ok(Some(Frame::IndefiniteMap { odd: false })),
                };
            }
            Type::Break | Type::Unknown(_) => return Err(malformed()),
            // Integers, simple values, floats: no containers inside, minicbor skips them.
            _ => {
                d.skip().map_err(&err)?;
                return Ok(None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn skip_all(input: &[u8]) -> Result<usize, StreamError> {
        let mut d = Decoder::new(input);
        skip_value(&mut d)?;
        Ok(d.position())
    }

    #[test]
    fn skips_nested_definite_and_indefinite_values() {
        let cases: &[&[u8]] = &[
            &[0x00],
            &[0x1b, 1, 2, 3, 4, 5, 6, 7, 8],
            &[0x3a, 0, 0, 0, 1],
            &[0x43, 1, 2, 3],
            &[0x5f, 0x41, 1, 0x42, 2, 3, 0xff],
            &[0x7f, 0x61, b'a', 0xff],
            &[
                0x82, 0x9f, 0x01, 0xbf, 0x61, b'k', 0x80, 0xff, 0xff, 0xa1, 0x01, 0x02,
            ],
            &[0xbf, 0xff],
            &[0x80],
            &[0xa0],
            &[0xc1, 0xc2, 0x82, 0x01, 0x02],
            &[0xf9, 0x3c, 0x00],
            &[0xfb, 0, 0, 0, 0, 0, 0, 0, 0],
            &[0xf6],
        ];
        for input in cases {
            assert_eq!(skip_all(input), Ok(input.len()), "{input:02x?}");
        }
        // Stops after one value.
        assert_eq!(skip_all(&[0x01, 0x02]), Ok(1));
    }

    #[test]
    fn rejects_malformed_values() {
        let cases: &[(&[u8], CborErrorKind)] = &[
            (&[], CborErrorKind::EndOfInput),
            (&[0xff], CborErrorKind::Malformed),
            (&[0x1c], CborErrorKind::Malformed),
            (&[0x82, 0x01], CborErrorKind::EndOfInput),
            (&[0x81, 0xff], CborErrorKind::Malformed),
            (&[0xbf, 0x01, 0xff], CborErrorKind::Malformed),
            (&[0x9f, 0x01], CborErrorKind::EndOfInput),
            (&[0x62, 0xff, 0xfe], CborErrorKind::Malformed),
            (
                &[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                CborErrorKind::EndOfInput,
            ),
            (
                &[0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                CborErrorKind::Malformed,
            ),
        ];
        for (input, kind) in cases {
            match skip_all(input) {
                Err(StreamError::Cbor { kind: k, .. }) => assert_eq!(k, *kind, "{input:02x?}"),
                other => panic!("{input:02x?}: {other:?}"),
            }
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let mut ok = [0x81u8; MAX_CBOR_DEPTH + 1];
        ok[MAX_CBOR_DEPTH] = 0x00;
        assert_eq!(skip_all(&ok), Ok(ok.len()));
        let mut deep = [0x9fu8; 1000];
        deep[999] = 0x00;
        assert!(matches!(
            skip_all(&deep),
            Err(StreamError::Cbor {
                kind: CborErrorKind::TooDeep,
                ..
            })
        ));
    }

    proptest! {
        #[test]
        fn never_panics(input in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = skip_all(&input);
        }
    }
}
