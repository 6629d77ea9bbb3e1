//! Numbers and versions as text without `core::fmt` (which would link a `fmt::Write` impl per
//! buffer type and integer formatting into firmware).

use heapless::string::StringView;
use ota_core::version::Version;

/// Append the decimal digits of `n`; `None` (with `out` possibly extended) when it is full.
pub(crate) fn push_u32(out: &mut StringView, n: u32) -> Option<()> {
    let mut digits = [0u8; 10];
    let mut start = digits.len();
    let mut rest = n;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    push_ascii(out, &digits[start..])
}

/// Append `n` as eight lowercase hex digits.
pub(crate) fn push_hex8(out: &mut StringView, n: u32) -> Option<()> {
    let digits: [u8; 8] = core::array::from_fn(|i| {
        let nibble = (n >> (28 - 4 * i)) & 0xf;
        b"0123456789abcdef"[nibble as usize]
    });
    push_ascii(out, &digits)
}

/// Append `major.minor.patch`, then `-pre` and `+build` when present (as `Version`'s
/// `Display`).
pub(crate) fn push_version(out: &mut StringView, v: &Version) -> Option<()> {
    push_core_version(out, v)?;
    if !v.pre_release().is_empty() {
        out.push('-').ok()?;
        out.push_str(v.pre_release()).ok()?;
    }
    if !v.build_metadata().is_empty() {
        out.push('+').ok()?;
        out.push_str(v.build_metadata()).ok()?;
    }
    Some(())
}

/// Append `major.minor.patch` only.
pub(crate) fn push_core_version(out: &mut StringView, v: &Version) -> Option<()> {
    push_u32(out, v.major)?;
    out.push('.').ok()?;
    push_u32(out, v.minor)?;
    out.push('.').ok()?;
    push_u32(out, v.patch)
}

fn push_ascii(out: &mut StringView, ascii: &[u8]) -> Option<()> {
    out.push_str(core::str::from_utf8(ascii).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn same_text_as_core_fmt() {
        for n in [0, 7, 10, 99, 1_000, 4_096, u32::MAX] {
            let mut text = heapless::String::<32>::new();
            push_u32(&mut text, n).unwrap();
            assert_eq!(text.as_str(), n.to_string());
            text.clear();
            push_hex8(&mut text, n).unwrap();
            assert_eq!(text.as_str(), std::format!("{n:08x}"));
        }
        for v in [
            "1.2.3",
            "0.0.0",
            "1.0.0-rc.1",
            "1.0.0+build.7",
            "4294967295.1.2-a+b",
        ] {
            let v = Version::parse(v).unwrap();
            let mut text = heapless::String::<96>::new();
            push_version(&mut text, &v).unwrap();
            assert_eq!(text.as_str(), v.to_string());
        }
    }

    #[test]
    fn full_buffers_are_reported() {
        let mut text = heapless::String::<3>::new();
        assert_eq!(push_u32(&mut text, 1_234), None);
        assert_eq!(push_u32(&mut text, 123), Some(()));
        assert_eq!(push_hex8(&mut heapless::String::<7>::new(), 1), None);
    }
}
