//! [`VersionReq`]: which running versions a release may be installed over, written like
//! `>=1.2.0, <2.0.0`, `^1.2` or `=1.0.3`.
//!
//! Ours, not the `semver` crate's `VersionReq`, because the matching rule differs on purpose.
//! A requirement here filters the version a device is already running, a fact, not a version
//! to pick, so a pre-release matches by its precedence. Cargo's rule (a pre-release matches
//! only a comparator naming the same `major.minor.patch` with a pre-release) keeps resolvers
//! from choosing betas; applied here it would strand every device running one: no release
//! requiring `>=1.2.0` would be offered to a device on `1.3.0-beta.1`. Measured with
//! `semver` 1.0.28 on this module's test table: all 7 verdicts that differ are pre-releases
//! (`>=1.2.0, <2.0.0` refuses `2.0.0-rc.1`, `=1.2` refuses `1.2.0-rc.1`, `*` refuses
//! `9.9.9-a`, ...), and it has no switch for the other rule. It also accepts a bare `1.2.0`
//! (as `^1.2.0`) and `1.x`, and drops `+build` when printing. Its syntax is otherwise the
//! same, and so is the matching of versions without a pre-release.

use core::cmp::Ordering;
use core::fmt;
use core::str::FromStr;

use ota_core::version::{Version, VersionError};

/// Longest requirement text accepted, in bytes.
pub const MAX_REQUIREMENT_LEN: usize = 256;
/// Most comparators in one requirement.
pub const MAX_COMPARATORS: usize = 16;

/// Why a requirement was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequirementError {
    /// Nothing but whitespace.
    #[error("version requirement is empty")]
    Empty,
    /// Longer than [`MAX_REQUIREMENT_LEN`].
    #[error("version requirement is longer than {MAX_REQUIREMENT_LEN} bytes")]
    TooLong,
    /// More than [`MAX_COMPARATORS`] comparators.
    #[error("version requirement has more than {MAX_COMPARATORS} comparators")]
    TooManyComparators,
    /// A comparator (counted from 0) is empty, as in `>=1.0.0,,<2`.
    #[error("comparator {index} is empty")]
    EmptyComparator {
        /// Its position.
        index: usize,
    },
    /// A comparator does not start with `=`, `>`, `>=`, `<`, `<=`, `~` or `^`.
    #[error("comparator {index} has no operator (=, >, >=, <, <=, ~, ^)")]
    MissingOperator {
        /// Its position.
        index: usize,
    },
    /// The version of a comparator does not parse.
    #[error("comparator {index}: {source}")]
    Version {
        /// Its position.
        index: usize,
        /// Why.
        source: VersionError,
    },
    /// A partial version (`1.2`) carries a pre-release or build label.
    #[error("comparator {index}: a partial version cannot have a pre-release or build label")]
    LabelOnPartial {
        /// Its position.
        index: usize,
    },
}

/// A comparator's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `=`.
    Exact,
    /// `>`.
    Greater,
    /// `>=`.
    GreaterEq,
    /// `<`.
    Less,
    /// `<=`.
    LessEq,
    /// `~`: patch-level changes.
    Tilde,
    /// `^`: changes that semver calls compatible.
    Caret,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "=",
            Self::Greater => ">",
            Self::GreaterEq => ">=",
            Self::Less => "<",
            Self::LessEq => "<=",
            Self::Tilde => "~",
            Self::Caret => "^",
        }
    }
}

/// The version of a comparator: full, or the parts given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Bound {
    Any,
    Major(u32),
    Minor(u32, u32),
    Full(Version),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Comparator {
    op: Op,
    bound: Bound,
}

/// A semver requirement on a running version.
///
/// A requirement is a comma-separated list of comparators that must all hold. Each is an
/// operator and a version that may be partial (`1`, `1.2`, `1.2.3[-PRE][+BUILD]`), or `*`:
///
/// | comparator | matches |
/// | --- | --- |
/// | `=1.2.3`, `>1.2.3`, `>=`, `<`, `<=` | by semver precedence (build metadata ignored) |
/// | `=1.2`, `=1` | every `1.2.*` (every `1.*.*`), pre-releases included |
/// | `>1.2`, `>=1.2`, `<1.2`, `<=1.2` | above, from, below, up to the whole `1.2.*` family |
/// | `~1.2.3` | `>=1.2.3` within `1.2.*`; `~1.2` is `=1.2`, `~1` is `=1` |
/// | `^1.2.3` | `>=1.2.3` within `1.*.*`; `^0.2.3` within `0.2.*`; `^0.0.3` within `0.0.3` |
/// | `^1.2` | `>=1.2` within `1.*.*` (`^0.2` is `=0.2`); `^1` is `=1` |
/// | `*` | anything |
///
/// Partial versions compare only the parts given, so a family includes its pre-releases:
/// `<2` refuses `2.0.0-rc.1`, and `^1.2.3` refuses it too. A full version in a comparator
/// compares by precedence: `<2.0.0` admits `2.0.0-rc.1`, which precedes `2.0.0`. Unlike
/// Cargo, pre-release versions need no opt-in: they match whatever their precedence matches.
///
/// Not supported: a bare version without an operator (refused, to avoid guessing between
/// `=` and `^`), wildcards inside a version (`1.*`, `1.x`), `||` alternatives.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VersionReq {
    comparators: Vec<Comparator>,
}

impl VersionReq {
    /// The requirement every version meets (`*`).
    pub fn any() -> Self {
        Self {
            comparators: vec![Comparator {
                op: Op::Exact,
                bound: Bound::Any,
            }],
        }
    }

    /// Parse a requirement. Whitespace around comparators and operators is ignored.
    ///
    /// # Errors
    /// A [`RequirementError`] naming the first comparator at fault.
    pub fn parse(text: &str) -> Result<Self, RequirementError> {
        if text.len() > MAX_REQUIREMENT_LEN {
            return Err(RequirementError::TooLong);
        }
        if text.trim().is_empty() {
            return Err(RequirementError::Empty);
        }
        let mut comparators = Vec::new();
        for (index, part) in text.split(',').enumerate() {
            if index >= MAX_COMPARATORS {
                return Err(RequirementError::TooManyComparators);
            }
            comparators.push(parse_comparator(part.trim(), index)?);
        }
        let req = Self { comparators };
        // The limit holds for the printed form too (`, ` between comparators), so that what
        // was accepted always parses again.
        if req.to_string().len() > MAX_REQUIREMENT_LEN {
            return Err(RequirementError::TooLong);
        }
        Ok(req)
    }

    /// Whether `version` meets every comparator.
    pub fn matches(&self, version: &Version) -> bool {
        self.comparators.iter().all(|c| c.matches(version))
    }
}

fn parse_comparator(text: &str, index: usize) -> Result<Comparator, RequirementError> {
    if text.is_empty() {
        return Err(RequirementError::EmptyComparator { index });
    }
    if text == "*" {
        return Ok(Comparator {
            op: Op::Exact,
            bound: Bound::Any,
        });
    }
    let ops = [
        (">=", Op::GreaterEq),
        ("<=", Op::LessEq),
        (">", Op::Greater),
        ("<", Op::Less),
        ("=", Op::Exact),
        ("~", Op::Tilde),
        ("^", Op::Caret),
    ];
    let (op, rest) = ops
        .iter()
        .find_map(|(prefix, op)| text.strip_prefix(prefix).map(|rest| (*op, rest)))
        .ok_or(RequirementError::MissingOperator { index })?;
    let version = rest.trim_start();
    let core_end = version.find(['-', '+']).unwrap_or(version.len());
    let dots = version[..core_end].matches('.').count();
    let bad = |source| RequirementError::Version { index, source };
    let bound = match dots {
        0 | 1 if core_end < version.len() => {
            return Err(RequirementError::LabelOnPartial { index });
        }
        0 => Bound::Major(
            Version::parse(&format!("{version}.0.0"))
                .map_err(bad)?
                .major,
        ),
        1 => {
            let v = Version::parse(&format!("{version}.0")).map_err(bad)?;
            Bound::Minor(v.major, v.minor)
        }
        _ => Bound::Full(Version::parse(version).map_err(bad)?),
    };
    Ok(Comparator { op, bound })
}

impl Comparator {
    fn matches(&self, v: &Version) -> bool {
        match self.bound {
            Bound::Any => true,
            Bound::Major(major) => partial(self.op, v.major.cmp(&major), v.major == major),
            Bound::Minor(major, minor) => {
                let order = (v.major, v.minor).cmp(&(major, minor));
                match self.op {
                    // `^1.2`: from 1.2 within 1.*.*; `^0.2`: exactly 0.2.*.
                    Op::Caret if major > 0 => v.major == major && order.is_ge(),
                    _ => partial(self.op, order, order.is_eq()),
                }
            }
            Bound::Full(f) => {
                let order = v.cmp_precedence(&f);
                match self.op {
                    Op::Exact => order.is_eq(),
                    Op::Greater => order.is_gt(),
                    Op::GreaterEq => order.is_ge(),
                    Op::Less => order.is_lt(),
                    Op::LessEq => order.is_le(),
                    Op::Tilde => order.is_ge() && (v.major, v.minor) == (f.major, f.minor),
                    Op::Caret => order.is_ge() && caret_family(v, &f),
                }
            }
        }
    }
}

/// A comparator on a partial version: `order` compares the given parts, `~` and `^` keep to
/// the family (`same`), except `^M.m` with `M > 0`, handled by the caller.
fn partial(op: Op, order: Ordering, same: bool) -> bool {
    match op {
        Op::Exact | Op::Tilde | Op::Caret => same,
        Op::Greater => order.is_gt(),
        Op::GreaterEq => order.is_ge(),
        Op::Less => order.is_lt(),
        Op::LessEq => order.is_le(),
    }
}

/// Whether `v` is in the family `^f` allows: the same major, or for `0.m` the same minor,
/// or for `0.0.p` the same patch.
fn caret_family(v: &Version, f: &Version) -> bool {
    if f.major > 0 {
        v.major == f.major
    } else if f.minor > 0 {
        (v.major, v.minor) == (0, f.minor)
    } else {
        (v.major, v.minor, v.patch) == (0, 0, f.patch)
    }
}

impl fmt::Display for VersionReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.comparators.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match c.bound {
                Bound::Any => f.write_str("*")?,
                Bound::Major(major) => write!(f, "{}{major}", c.op.as_str())?,
                Bound::Minor(major, minor) => write!(f, "{}{major}.{minor}", c.op.as_str())?,
                Bound::Full(v) => write!(f, "{}{v}", c.op.as_str())?,
            }
        }
        Ok(())
    }
}

impl fmt::Debug for VersionReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VersionReq({self})")
    }
}

impl FromStr for VersionReq {
    type Err = RequirementError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for VersionReq {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for VersionReq {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::version as v;
    use proptest::prelude::*;

    fn req(s: &str) -> VersionReq {
        VersionReq::parse(s).unwrap()
    }

    fn check(requirement: &str, yes: &[&str], no: &[&str]) {
        let r = req(requirement);
        for y in yes {
            assert!(r.matches(&v(y)), "{requirement} should match {y}");
        }
        for n in no {
            assert!(!r.matches(&v(n)), "{requirement} should not match {n}");
        }
    }

    #[test]
    fn range_of_full_versions() {
        check(
            ">=1.2.0, <2.0.0",
            &["1.2.0", "1.9.9", "1.2.0+build", "2.0.0-rc.1"],
            &["1.1.9", "1.2.0-rc.1", "2.0.0", "3.0.0"],
        );
        check("=1.0.3", &["1.0.3", "1.0.3+b"], &["1.0.4", "1.0.3-rc.1"]);
        check(
            ">1.0.3",
            &["1.0.4", "1.1.0-a"],
            &["1.0.3", "1.0.3+z", "1.0.2"],
        );
        check("<=1.0.3", &["1.0.3", "0.9.0", "1.0.3-a"], &["1.0.4"]);
    }

    #[test]
    fn partial_versions_cover_their_family() {
        check(
            "=1.2",
            &["1.2.0", "1.2.7", "1.2.0-rc.1"],
            &["1.3.0", "1.1.9"],
        );
        check("=1", &["1.0.0", "1.99.0"], &["2.0.0", "0.9.0"]);
        check(">=1.2", &["1.2.0-rc.1", "1.2.0", "7.0.0"], &["1.1.9"]);
        check(">1.2", &["1.3.0-a", "2.0.0"], &["1.2.99"]);
        check("<2", &["1.99.99"], &["2.0.0-rc.1", "2.0.0"]);
        check("<=1.2", &["1.2.99", "0.1.0"], &["1.3.0-a"]);
    }

    #[test]
    fn caret_and_tilde() {
        check(
            "^1.2",
            &["1.2.0", "1.9.0"],
            &["1.1.0", "2.0.0", "2.0.0-rc.1"],
        );
        check(
            "^1.2.3",
            &["1.2.3", "1.9.0"],
            &["1.2.2", "1.2.3-rc", "2.0.0-a"],
        );
        check("^0.2.3", &["0.2.3", "0.2.9"], &["0.3.0", "0.2.2"]);
        check("^0.0.3", &["0.0.3", "0.0.3+b"], &["0.0.4", "0.0.2"]);
        check("^0.2", &["0.2.0", "0.2.5"], &["0.3.0", "0.1.0"]);
        check("^1", &["1.0.0", "1.5.0"], &["2.0.0", "0.9.0"]);
        check("~1.2.3", &["1.2.3", "1.2.9"], &["1.3.0", "1.2.2"]);
        check("~1.2", &["1.2.0", "1.2.9"], &["1.3.0"]);
        check("~1", &["1.0.0", "1.9.9"], &["2.0.0"]);
        check("*", &["0.0.0", "9.9.9-a"], &[]);
    }

    #[test]
    fn extreme_numbers_do_not_overflow() {
        check(">4294967295", &[], &["4294967295.0.0"]);
        check("<=4294967295.4294967295", &["4294967295.4294967295.1"], &[]);
        check("^4294967295", &["4294967295.1.0"], &["4294967294.0.0"]);
    }

    #[test]
    fn display_round_trips_and_normalises_spacing() {
        for (text, shown) in [
            (">= 1.2.0 ,<2.0.0", ">=1.2.0, <2.0.0"),
            ("^1.2", "^1.2"),
            ("=1.0.3-rc.1+b", "=1.0.3-rc.1+b"),
            ("*", "*"),
            ("~1", "~1"),
        ] {
            let r = req(text);
            assert_eq!(r.to_string(), shown);
            assert_eq!(req(shown), r);
        }
        let json = serde_json::to_string(&req("^1.2")).unwrap();
        assert_eq!(json, r#""^1.2""#);
        assert_eq!(
            serde_json::from_str::<VersionReq>(&json).unwrap(),
            req("^1.2")
        );
        assert!(serde_json::from_str::<VersionReq>(r#""1.2""#).is_err());
    }

    #[test]
    fn refuses_malformed_requirements_with_the_comparator_at_fault() {
        use RequirementError as E;
        assert_eq!(VersionReq::parse(" "), Err(E::Empty));
        assert_eq!(
            VersionReq::parse("1.2.0"),
            Err(E::MissingOperator { index: 0 })
        );
        assert_eq!(
            VersionReq::parse(">=1.0.0,,<2"),
            Err(E::EmptyComparator { index: 1 })
        );
        assert_eq!(
            VersionReq::parse(">=1.0.0, <1.2-rc"),
            Err(E::LabelOnPartial { index: 1 })
        );
        assert!(matches!(
            VersionReq::parse("=01.2"),
            Err(E::Version { index: 0, .. })
        ));
        for bad in [
            "=", "=1.", "=1.2.3.4", "=1.x", "=v1", "^", "=1..2", "==1.0.0",
        ] {
            assert!(VersionReq::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            VersionReq::parse(&vec!["*"; 17].join(",")),
            Err(E::TooManyComparators)
        );
        assert_eq!(VersionReq::parse(&"=".repeat(300)), Err(E::TooLong));
        // Within the limit as written, over it as printed (found by the version_req fuzz
        // target: the printed requirement did not parse again).
        let packed = std::iter::repeat_n("=1000000000.1.1", MAX_COMPARATORS)
            .collect::<Vec<_>>()
            .join(",");
        assert!(packed.len() <= MAX_REQUIREMENT_LEN);
        assert_eq!(VersionReq::parse(&packed), Err(E::TooLong));
    }

    /// Mostly well-formed requirements.
    const REQUIREMENTS: &str = "([<>=~^]{1,2}[0-9]{1,3}(\\.[0-9]{1,3}){0,2}, ){0,3}\\*";

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,60}") {
            let _ = VersionReq::parse(&s);
        }

        #[test]
        fn parsed_requirements_round_trip(s in REQUIREMENTS) {
            if let Ok(r) = VersionReq::parse(&s) {
                prop_assert_eq!(VersionReq::parse(&r.to_string()).unwrap(), r);
            }
        }

        #[test]
        fn exact_full_version_matches_only_itself(a in 0u32..4, b in 0u32..4, c in 0u32..4,
                                                  x in 0u32..4, y in 0u32..4, z in 0u32..4) {
            let r = req(&format!("={a}.{b}.{c}"));
            prop_assert_eq!(r.matches(&Version::new(x, y, z)), (a, b, c) == (x, y, z));
        }
    }
}
