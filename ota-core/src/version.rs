//! Firmware versions and security counters.
//!
//! [`Version`] is a semantic version (`MAJOR.MINOR.PATCH[-PRE][+BUILD]`) held without
//! allocation. Its order is semver precedence, with build metadata compared last (byte-wise)
//! so that the order is total and agrees with `Eq`; use [`Version::cmp_precedence`] when build
//! metadata must be ignored, as semver prescribes.
//!
//! [`SecurityCounter`] is the monotonic counter of MCUboot's `SEC_CNT`: releases that fix a
//! vulnerability raise it, and a device refuses any image whose counter is below the one it
//! has persisted, whatever the version says.

use core::cmp::Ordering;
use core::fmt;
use core::str::FromStr;

/// Longest pre-release and build metadata together (`rc.1` and `abc` in `1.0.0-rc.1+abc`
/// count 5), in bytes. Both are kept in one buffer of this size, so a [`Version`] is 48 bytes
/// (a device holds several); the AWS agent's and MCUboot's versions carry no labels at all.
pub const MAX_VERSION_LABEL_LEN: usize = 32;

/// Why a version string was refused.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize,
)]
#[non_exhaustive]
pub enum VersionError {
    /// Not `MAJOR.MINOR.PATCH` with decimal parts (`banana`, `1.2`, `v1.2.3`).
    #[error("version is not MAJOR.MINOR.PATCH")]
    Malformed,
    /// A numeric part has a leading zero or does not fit in 32 bits.
    #[error("version number part is out of range or has a leading zero")]
    BadNumber,
    /// The pre-release or build part is empty, has an empty identifier or a character
    /// outside `[0-9A-Za-z-]`.
    #[error("version label has an invalid identifier")]
    BadLabel,
    /// The pre-release and build parts together are longer than [`MAX_VERSION_LABEL_LEN`].
    #[error("version labels are longer than 32 bytes together")]
    LabelTooLong,
}

/// The pre-release and build labels, one after the other in one buffer; the bytes past
/// both are zero, so the derived `Eq` and `Hash` compare only what was parsed.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Labels {
    pre_len: u8,
    build_len: u8,
    bytes: [u8; MAX_VERSION_LABEL_LEN],
}

impl Labels {
    const EMPTY: Self = Self {
        pre_len: 0,
        build_len: 0,
        bytes: [0; MAX_VERSION_LABEL_LEN],
    };

    /// Check `pre` and `build` (each `None` when absent) and keep them.
    fn parse(pre: Option<&str>, build: Option<&str>) -> Result<Self, VersionError> {
        if let Some(pre) = pre {
            check_label(pre, true)?;
        }
        if let Some(build) = build {
            check_label(build, false)?;
        }
        let (pre, build) = (pre.unwrap_or(""), build.unwrap_or(""));
        if pre.len() + build.len() > MAX_VERSION_LABEL_LEN {
            return Err(VersionError::LabelTooLong);
        }
        let mut bytes = [0; MAX_VERSION_LABEL_LEN];
        bytes[..pre.len()].copy_from_slice(pre.as_bytes());
        bytes[pre.len()..pre.len() + build.len()].copy_from_slice(build.as_bytes());
        Ok(Self {
            pre_len: pre.len() as u8,
            build_len: build.len() as u8,
            bytes,
        })
    }

    fn pre(&self) -> &str {
        self.text(0, self.pre_len)
    }

    fn build(&self) -> &str {
        self.text(self.pre_len, self.build_len)
    }

    fn text(&self, from: u8, len: u8) -> &str {
        let (from, len) = (usize::from(from), usize::from(len));
        // Only ASCII is ever stored (checked in `parse`).
        self.bytes
            .get(from..from + len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

/// A pre-release (`numeric_no_leading_zero`) or build label: dot-separated non-empty
/// identifiers of `[0-9A-Za-z-]`.
fn check_label(s: &str, numeric_no_leading_zero: bool) -> Result<(), VersionError> {
    if s.len() > MAX_VERSION_LABEL_LEN {
        return Err(VersionError::LabelTooLong);
    }
    for ident in s.split('.') {
        let valid_chars = ident
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let leading_zero = numeric_no_leading_zero
            && ident.len() > 1
            && ident.starts_with('0')
            && ident.bytes().all(|b| b.is_ascii_digit());
        if ident.is_empty() || !valid_chars || leading_zero {
            return Err(VersionError::BadLabel);
        }
    }
    Ok(())
}

/// A semantic version, `Copy` and allocation-free.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    /// Incompatible changes.
    pub major: u32,
    /// Compatible features.
    pub minor: u32,
    /// Fixes.
    pub patch: u32,
    labels: Labels,
}

impl Version {
    /// `major.minor.patch` without pre-release or build metadata.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
            labels: Labels::EMPTY,
        }
    }

    /// Parse `MAJOR.MINOR.PATCH[-PRE][+BUILD]` strictly (no `v` prefix, no leading zeros).
    pub fn parse(s: &str) -> Result<Self, VersionError> {
        let (rest, build) = match s.split_once('+') {
            Some((rest, build)) => (rest, Some(build)),
            None => (s, None),
        };
        let (core_part, pre) = match rest.split_once('-') {
            Some((core_part, pre)) => (core_part, Some(pre)),
            None => (rest, None),
        };
        let labels = Labels::parse(pre, build)?;
        let mut parts = core_part.split('.');
        let mut next = || {
            parts
                .next()
                .ok_or(VersionError::Malformed)
                .and_then(parse_number)
        };
        let (major, minor, patch) = (next()?, next()?, next()?);
        if parts.next().is_some() {
            return Err(VersionError::Malformed);
        }
        Ok(Self {
            major,
            minor,
            patch,
            labels,
        })
    }

    /// The pre-release part (`rc.1` in `1.0.0-rc.1`), empty if none.
    pub fn pre_release(&self) -> &str {
        self.labels.pre()
    }

    /// The build metadata (`abc` in `1.0.0+abc`), empty if none.
    pub fn build_metadata(&self) -> &str {
        self.labels.build()
    }

    /// Semver precedence: like `Ord`, but build metadata is ignored.
    pub fn cmp_precedence(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| cmp_pre_release(self.labels.pre(), other.labels.pre()))
    }

    /// The AWS OTA agent's `AppVersion32` packing: major in bits 24..32, minor in 16..24,
    /// patch (the agent's "build") in 0..16. `None` if a part does not fit or the version has
    /// a pre-release, which the packing cannot express.
    pub fn to_app_version32(&self) -> Option<u32> {
        let fits = self.major <= 0xff && self.minor <= 0xff && self.patch <= 0xffff;
        (fits && self.labels.pre_len == 0)
            .then_some(self.major << 24 | self.minor << 16 | self.patch)
    }

    /// Inverse of [`Version::to_app_version32`].
    pub const fn from_app_version32(packed: u32) -> Self {
        Self::new(packed >> 24, (packed >> 16) & 0xff, packed & 0xffff)
    }
}

fn parse_number(s: &str) -> Result<u32, VersionError> {
    if s.is_empty() {
        return Err(VersionError::Malformed);
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        // Not a number at all (`banana`, `v1`): the shape is wrong, not a number's range.
        return Err(VersionError::Malformed);
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(VersionError::BadNumber);
    }
    s.parse().map_err(|_| VersionError::BadNumber)
}

/// Semver §11: a version without pre-release ranks above one with; identifiers compare
/// numerically when both are numeric, numeric ranks below alphanumeric, and a longer list
/// wins when all shared identifiers are equal.
fn cmp_pre_release(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = cmp_identifier(x, y);
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

fn cmp_identifier(x: &str, y: &str) -> Ordering {
    let numeric = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    match (numeric(x), numeric(y)) {
        // No leading zeros (checked on parse), so length then bytes is numeric order.
        (true, true) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => x.cmp(y),
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_precedence(other)
            .then_with(|| self.labels.build().cmp(other.labels.build()))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl FromStr for Version {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if self.labels.pre_len != 0 {
            write!(f, "-{}", self.labels.pre())?;
        }
        if self.labels.build_len != 0 {
            write!(f, "+{}", self.labels.build())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version({self})")
    }
}

impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct VersionVisitor;
        impl serde::de::Visitor<'_> for VersionVisitor {
            type Value = Version;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a semantic version string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Version, E> {
                Version::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(VersionVisitor)
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Version {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self::new(u.arbitrary()?, u.arbitrary()?, u.arbitrary()?))
    }
}

/// A monotonic anti-rollback counter carried in signed manifests.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct SecurityCounter(pub u32);

impl fmt::Display for SecurityCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::string::ToString;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn semver_spec_precedence_example() {
        // The chain from semver.org §11.
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for pair in chain.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn build_metadata_is_ignored_by_precedence_but_orders_totally() {
        let (a, b) = (v("1.0.0+a"), v("1.0.0+b"));
        assert_eq!(a.cmp_precedence(&b), Ordering::Equal);
        assert!(a < b);
        assert_ne!(a, b);
    }

    #[test]
    fn rejects_malformed_versions() {
        for bad in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "01.2.3",
            "1.2.-3",
            "+1.2.3",
            "v1.2.3",
            "1.2.3-",
            "1.2.3-01",
            "1.2.3-a..b",
            "1.2.3+",
            "1.2.3-é",
            "4294967296.0.0",
            " 1.2.3",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad:?} must be rejected");
        }
        assert_eq!(
            Version::parse("1.2.3-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            Err(VersionError::LabelTooLong)
        );
    }

    #[test]
    fn labels_share_their_32_bytes() {
        let pre = "a".repeat(20);
        let build = "b".repeat(12);
        let both = v(&std::format!("1.0.0-{pre}+{build}"));
        assert_eq!(
            (both.pre_release(), both.build_metadata()),
            (&*pre, &*build)
        );
        assert_eq!(
            Version::parse(&std::format!("1.0.0-{pre}+{build}b")),
            Err(VersionError::LabelTooLong)
        );
        let alone = "c".repeat(32);
        assert_eq!(v(&std::format!("1.0.0+{alone}")).build_metadata(), alone);
        assert_eq!(v(&std::format!("1.0.0-{alone}")).pre_release(), alone);
        // Same labels, different split: not equal, and ordered by precedence first.
        assert_ne!(v("1.0.0-ab+c"), v("1.0.0-a+bc"));
        assert!(v("1.0.0-a+bc") < v("1.0.0-ab+c"));
        assert_eq!(core::mem::size_of::<Version>(), 48);
    }

    #[test]
    fn app_version32_matches_the_aws_agent() {
        assert_eq!(v("1.0.0").to_app_version32(), Some(0x0100_0000));
        assert_eq!(v("1.0.1").to_app_version32(), Some(0x0100_0001));
        assert_eq!(Version::from_app_version32(0x0200_0000), v("2.0.0"));
        assert_eq!(v("256.0.0").to_app_version32(), None);
        assert_eq!(v("1.0.0-rc.1").to_app_version32(), None);
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(major: u32, minor: u32, patch: u32,
                                    pre in proptest::option::of("[a-z0-9-]{1,8}(\\.[a-z-]{1,6}){0,2}"),
                                    build in proptest::option::of("[A-Za-z0-9-]{1,10}")) {
            let mut s = std::format!("{major}.{minor}.{patch}");
            let pre_ok = pre.as_ref().is_none_or(|p| !p.split('.').any(|i| i.len() > 1 && i.starts_with('0') && i.bytes().all(|b| b.is_ascii_digit())));
            prop_assume!(pre_ok);
            if let Some(p) = &pre { s.push('-'); s.push_str(p); }
            if let Some(b) = &build { s.push('+'); s.push_str(b); }
            let parsed = Version::parse(&s).unwrap();
            prop_assert_eq!(parsed.to_string(), s);
        }

        #[test]
        fn order_is_total_and_antisymmetric(a in "[0-3]\\.[0-3]\\.[0-3](-[a-c1-3]{1,2})?",
                                            b in "[0-3]\\.[0-3]\\.[0-3](-[a-c1-3]{1,2})?") {
            let (x, y) = (v(&a), v(&b));
            prop_assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
            prop_assert_eq!(x.cmp(&y) == Ordering::Equal, x == y);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = Version::parse(&s);
        }
    }
}
