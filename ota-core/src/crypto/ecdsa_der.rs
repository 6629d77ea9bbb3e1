//! ECDSA signatures as two 32-byte big-endian scalars: from strict DER
//! (`ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`, RFC 3279) or the raw `r‖s`
//! form, without any curve arithmetic, so that every P-256 backend takes the same input.
//!
//! Strict means DER, not BER: definite short-form lengths (a P-256 signature is at most 72
//! bytes), minimal non-negative integers of at most 32 significant bytes, nothing after the
//! sequence. Does not check that r and s are in 1..n: the backend does (its arithmetic
//! needs them reduced anyway; the accelerator backend with [`Scalars::in_range`]).

/// The two scalars of a signature, big-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scalars {
    pub(crate) r: [u8; 32],
    pub(crate) s: [u8; 32],
}

/// n, the order of P-256's group, big-endian.
#[cfg(any(test, feature = "p256-accelerator", feature = "aws-lc"))]
const N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// (n - 1) / 2 for P-256, big-endian: an s above it is "high".
const HALF_N: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
];

impl Scalars {
    /// Parse strict DER; `None` for anything else.
    pub(crate) fn from_der(der: &[u8]) -> Option<Self> {
        let (&tag, rest) = der.split_first()?;
        if tag != 0x30 {
            return None;
        }
        let (content, after) = short_form(rest)?;
        if !after.is_empty() {
            return None;
        }
        let (r, rest) = integer(content)?;
        let (s, rest) = integer(rest)?;
        rest.is_empty().then_some(Self { r, s })
    }

    /// The 64-byte `r‖s` form; `None` for another length.
    pub(crate) fn from_raw(raw: &[u8]) -> Option<Self> {
        let (r, s) = raw.split_at_checked(32)?;
        Some(Self {
            r: r.try_into().ok()?,
            s: s.try_into().ok()?,
        })
    }

    /// Whether r and s are both in 1..n-1, as ECDSA requires (compared as big-endian
    /// bytes, without curve arithmetic: for a backend whose arithmetic does not check).
    #[cfg(any(test, feature = "p256-accelerator", feature = "aws-lc"))]
    pub(crate) fn in_range(&self) -> bool {
        let ok = |x: &[u8; 32]| *x != [0; 32] && *x < N;
        ok(&self.r) && ok(&self.s)
    }

    /// Whether s is above (n - 1) / 2 (the "high-S" twin of a valid signature; compared as
    /// big-endian bytes, so an s of n or more counts as high too).
    pub(crate) fn high_s(&self) -> bool {
        self.s > HALF_N
    }
}

/// What a backend whose arithmetic does not check decides before it is asked (the
/// accelerator, AWS-LC): r and s in 1..n-1 ([`CryptoError::BadSignatureEncoding`]), and s
/// low when `low_s` ([`CryptoError::HighS`]).
#[cfg(any(feature = "p256-accelerator", feature = "aws-lc"))]
pub(crate) fn precheck(signature: &Scalars, low_s: bool) -> Result<(), super::CryptoError> {
    if !signature.in_range() {
        return Err(super::CryptoError::BadSignatureEncoding);
    }
    if low_s && signature.high_s() {
        return Err(super::CryptoError::HighS);
    }
    Ok(())
}

/// A short-form length and the content it spans; the rest after it.
fn short_form(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&len, rest) = input.split_first()?;
    // 0x80 is BER's indefinite form; above it, long forms, never minimal below 128.
    if len >= 0x80 {
        return None;
    }
    rest.split_at_checked(usize::from(len))
}

/// A minimal, non-negative INTEGER of at most 32 significant bytes, left-padded to 32.
fn integer(input: &[u8]) -> Option<([u8; 32], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag != 0x02 {
        return None;
    }
    let (value, rest) = short_form(rest)?;
    let (&first, tail) = value.split_first()?;
    if first & 0x80 != 0 {
        return None; // negative
    }
    let magnitude = if first == 0 {
        match tail.first() {
            None => value, // zero itself: one 0x00 byte
            Some(&next) if next & 0x80 != 0 => tail,
            Some(_) => return None, // a redundant leading zero
        }
    } else {
        value
    };
    let mut out = [0u8; 32];
    let start = 32usize.checked_sub(magnitude.len())?;
    out.get_mut(start..)?.copy_from_slice(magnitude);
    Some((out, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der(r: &[u8], s: &[u8]) -> [u8; 72] {
        let mut out = [0u8; 72];
        out[0] = 0x30;
        out[1] = (4 + r.len() + s.len()) as u8;
        out[2] = 0x02;
        out[3] = r.len() as u8;
        out[4..4 + r.len()].copy_from_slice(r);
        let at = 4 + r.len();
        out[at] = 0x02;
        out[at + 1] = s.len() as u8;
        out[at + 2..at + 2 + s.len()].copy_from_slice(s);
        out
    }

    fn len(r: &[u8], s: &[u8]) -> usize {
        6 + r.len() + s.len()
    }

    #[test]
    fn minimal_integers_are_read_and_padded() {
        let r = [0x01];
        let mut s = [0u8; 33];
        s[1] = 0x80; // needs its leading zero
        let bytes = der(&r, &s);
        let scalars = Scalars::from_der(&bytes[..len(&r, &s)]).unwrap();
        let mut want_r = [0u8; 32];
        want_r[31] = 1;
        let mut want_s = [0u8; 32];
        want_s[0] = 0x80;
        assert_eq!(
            scalars,
            Scalars {
                r: want_r,
                s: want_s
            }
        );
        assert!(scalars.high_s());
        // Zero is a valid DER integer (the backend refuses it as a scalar).
        let zero = der(&[0], &[1]);
        assert_eq!(
            Scalars::from_der(&zero[..len(&[0], &[1])]).unwrap().r,
            [0; 32]
        );
    }

    #[test]
    fn ber_and_malformed_encodings_are_refused() {
        let ok = der(&[5], &[7]);
        let n = len(&[5], &[7]);
        assert!(Scalars::from_der(&ok[..n]).is_some());
        let mut cases: [([u8; 72], usize); 9] = [(ok, n); 9];
        cases[0].0[0] = 0x31; // not a SEQUENCE
        cases[1].1 = n + 1; // a trailing byte
        cases[2].0[1] += 1; // the length says more than there is
        cases[3].0[2] = 0x03; // not an INTEGER
        cases[4].0[4] = 0x85; // negative r
        cases[5].1 = n - 1; // s cut short
        // r with a redundant leading zero: 02 02 00 05
        let padded = der(&[0, 5], &[7]);
        cases[6] = (padded, len(&[0, 5], &[7]));
        // 33 significant bytes
        let long = der(&[1; 33], &[7]);
        cases[7] = (long, len(&[1; 33], &[7]));
        // an empty INTEGER
        let empty = der(&[], &[7]);
        cases[8] = (empty, len(&[], &[7]));
        for (k, (bytes, n)) in cases.iter().enumerate() {
            assert_eq!(Scalars::from_der(&bytes[..*n]), None, "case {k}");
        }
        // Long-form and indefinite lengths.
        assert_eq!(
            Scalars::from_der(&[0x30, 0x81, 0x06, 2, 1, 5, 2, 1, 7]),
            None
        );
        assert_eq!(
            Scalars::from_der(&[0x30, 0x80, 2, 1, 5, 2, 1, 7, 0, 0]),
            None
        );
        assert_eq!(Scalars::from_der(&[]), None);
    }

    #[test]
    fn range_is_one_to_n_minus_one_as_p256_has_it() {
        let mut n_minus_1 = N;
        n_minus_1[31] -= 1;
        let mut n_plus_1 = N;
        n_plus_1[31] += 1;
        let mut one = [0u8; 32];
        one[31] = 1;
        let edges = [[0u8; 32], one, HALF_N, n_minus_1, N, n_plus_1, [0xff; 32]];
        for r in edges {
            for s in edges {
                let ours = Scalars { r, s }.in_range();
                let theirs = p256::ecdsa::Signature::from_scalars(r, s).is_ok();
                assert_eq!(ours, theirs, "r {r:02x?} s {s:02x?}");
            }
        }
        assert!(
            Scalars {
                r: one,
                s: n_minus_1
            }
            .in_range()
        );
        assert!(!Scalars { r: N, s: one }.in_range());
    }

    #[test]
    fn raw_form_is_64_bytes() {
        let mut raw = [0u8; 64];
        raw[31] = 1;
        raw[63] = 2;
        let s = Scalars::from_raw(&raw).unwrap();
        assert_eq!((s.r[31], s.s[31]), (1, 2));
        assert_eq!(Scalars::from_raw(&raw[..63]), None);
        assert!(!s.high_s());
    }
}
