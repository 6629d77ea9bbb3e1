//! Time as plain numbers: [`Instant`] and [`Duration`] in milliseconds.
//!
//! Nothing in this workspace reads a clock. Every function whose behaviour depends on time
//! takes `now: Instant` from the caller, which makes every run reproducible. An `Instant` is
//! milliseconds since an epoch the caller chooses (boot, the Unix epoch, the start of a
//! simulation); only differences between instants of the same clock are meaningful.

use core::fmt;
use core::ops::{Add, AddAssign, Sub};

/// A point in time: milliseconds since the caller's epoch, i.e. the [`Duration`] since it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Instant(Duration);

/// A span of time in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Duration(u64);

impl Instant {
    /// The epoch itself.
    pub const ZERO: Self = Self(Duration::ZERO);
    /// The largest representable instant; useful as "never".
    pub const MAX: Self = Self(Duration::MAX);

    /// An instant `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: u64) -> Self {
        Self(Duration::from_millis(millis))
    }

    /// An instant `secs` seconds after the epoch (saturating).
    pub const fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0.as_millis()
    }

    /// Whole seconds since the epoch (rounded down).
    pub const fn as_secs(self) -> u64 {
        self.0.as_secs()
    }

    /// Time elapsed from `earlier` to `self`, or zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: Self) -> Duration {
        Duration(self.as_millis().saturating_sub(earlier.as_millis()))
    }

    /// `self + d`, or `None` on overflow.
    pub const fn checked_add(self, d: Duration) -> Option<Self> {
        match self.as_millis().checked_add(d.0) {
            Some(v) => Some(Self::from_millis(v)),
            None => None,
        }
    }
}

impl Duration {
    /// No time at all.
    pub const ZERO: Self = Self(0);
    /// The largest representable duration.
    pub const MAX: Self = Self(u64::MAX);

    /// A duration of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// A duration of `secs` seconds (saturating).
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs.saturating_mul(1000))
    }

    /// A duration of `mins` minutes (saturating).
    pub const fn from_mins(mins: u64) -> Self {
        Self(mins.saturating_mul(60_000))
    }

    /// The duration in milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The duration in whole seconds (rounded down).
    pub const fn as_secs(self) -> u64 {
        self.0 / 1000
    }

    /// `self * factor`, saturating at [`Duration::MAX`].
    pub const fn saturating_mul(self, factor: u64) -> Self {
        Self(self.0.saturating_mul(factor))
    }
}

/// Saturating: an instant never wraps past [`Instant::MAX`].
impl Add<Duration> for Instant {
    type Output = Self;
    fn add(self, rhs: Duration) -> Self {
        Self(self.0 + rhs)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

/// Saturating: an earlier minus a later instant is zero.
impl Sub for Instant {
    type Output = Duration;
    fn sub(self, rhs: Self) -> Duration {
        self.saturating_since(rhs)
    }
}

/// Saturating.
impl Add for Duration {
    type Output = Self;
    fn add(self, rhs: Self) -> Self {
        Self(self.0.saturating_add(rhs.0))
    }
}

/// As its milliseconds, `Instant(1500)`.
impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Instant").field(&self.as_millis()).finish()
    }
}

/// As the [`Duration`] since the epoch, in seconds with milliseconds (`61.005s`).
impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

impl From<core::time::Duration> for Duration {
    /// Saturates at [`Duration::MAX`]; sub-millisecond parts are dropped.
    fn from(d: core::time::Duration) -> Self {
        Self(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

impl From<Duration> for core::time::Duration {
    fn from(d: Duration) -> Self {
        Self::from_millis(d.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(Instant::MAX + Duration::from_secs(1), Instant::MAX);
        assert_eq!(
            Instant::from_secs(1) - Instant::from_secs(2),
            Duration::ZERO
        );
        assert_eq!(Instant::from_millis(1500).as_secs(), 1);
        assert_eq!(Duration::from_mins(2).as_millis(), 120_000);
        assert_eq!(Instant::MAX.checked_add(Duration::from_millis(1)), None);
    }

    #[test]
    fn display_is_seconds_with_millis() {
        extern crate alloc;
        use alloc::string::ToString;
        assert_eq!(Instant::from_millis(61_005).to_string(), "61.005s");
        assert_eq!(Duration::from_millis(7).to_string(), "0.007s");
        assert_eq!(std::format!("{:?}", Instant::from_millis(7)), "Instant(7)");
    }
}
