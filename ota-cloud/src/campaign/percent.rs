//! [`Percent`]: an exact percentage with two decimals, for stage sizes and gate thresholds.

use core::cmp::Ordering;
use core::fmt;

use serde::{Deserialize, Serialize};

/// A percentage held exactly in hundredths (`Percent::whole(12)` is 12 %,
/// `Percent::from_hundredths(1250)` 12.5 %). Values above 100 % can be built but a campaign
/// refuses them ([`Percent::is_valid`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Percent(u32);

impl Percent {
    /// 100 %.
    pub const ALL: Self = Self(10_000);

    /// `p` percent (saturating).
    pub const fn whole(p: u32) -> Self {
        Self(p.saturating_mul(100))
    }

    /// `h` hundredths of a percent.
    pub const fn from_hundredths(h: u32) -> Self {
        Self(h)
    }

    /// In hundredths of a percent.
    pub const fn hundredths(self) -> u32 {
        self.0
    }

    /// Whether it is at most 100 %.
    pub const fn is_valid(self) -> bool {
        self.0 <= 10_000
    }

    /// This share of `n`, rounded up: any non-zero percentage of a non-empty set is at
    /// least one.
    pub fn of_rounded_up(self, n: u64) -> u64 {
        let scaled = u128::from(n) * u128::from(self.0);
        u64::try_from(scaled.div_ceil(10_000)).unwrap_or(u64::MAX)
    }

    /// How `part / whole` compares with this percentage, exactly (`whole` 0 counts as 0 %).
    pub fn compare_ratio(self, part: u64, whole: u64) -> Ordering {
        if whole == 0 {
            return 0.cmp(&self.0);
        }
        (u128::from(part) * 10_000).cmp(&(u128::from(self.0) * u128::from(whole)))
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / 100, self.0 % 100);
        match frac {
            0 => write!(f, "{whole}%"),
            f10 if f10 % 10 == 0 => write!(f, "{whole}.{}%", f10 / 10),
            _ => write!(f, "{whole}.{frac:02}%"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_round_up_and_compare_exactly() {
        assert_eq!(Percent::whole(1).of_rounded_up(50), 1);
        assert_eq!(Percent::whole(10).of_rounded_up(50), 5);
        assert_eq!(Percent::from_hundredths(1).of_rounded_up(1), 1);
        assert_eq!(Percent::whole(0).of_rounded_up(1000), 0);
        assert_eq!(Percent::ALL.of_rounded_up(u64::MAX), u64::MAX);
        let ten = Percent::whole(10);
        assert_eq!(ten.compare_ratio(1, 10), Ordering::Equal);
        assert_eq!(ten.compare_ratio(1, 11), Ordering::Less);
        assert_eq!(ten.compare_ratio(2, 11), Ordering::Greater);
        assert_eq!(ten.compare_ratio(5, 0), Ordering::Less);
        assert_eq!(Percent::whole(0).compare_ratio(0, 0), Ordering::Equal);
        assert_eq!(
            Percent::ALL.compare_ratio(u64::MAX, u64::MAX),
            Ordering::Equal
        );
    }

    #[test]
    fn displays_two_decimals_at_most() {
        assert_eq!(Percent::whole(12).to_string(), "12%");
        assert_eq!(Percent::from_hundredths(1250).to_string(), "12.5%");
        assert_eq!(Percent::from_hundredths(1205).to_string(), "12.05%");
        assert!(!Percent::whole(101).is_valid());
        assert!(Percent::whole(u32::MAX).hundredths() == u32::MAX);
    }
}
