//! The proleptic Gregorian calendar in UTC: Unix milliseconds to and from year, month, day,
//! hour, minute and weekday.
//!
//! No time zones, no leap seconds (Unix time has none), no seconds field: a [`Civil`] is a
//! minute.

/// Milliseconds in a minute.
pub const MINUTE_MS: u64 = 60_000;
/// Milliseconds in an hour.
pub const HOUR_MS: u64 = 60 * MINUTE_MS;
/// Milliseconds in a day.
pub const DAY_MS: u64 = 24 * HOUR_MS;

/// Days in a 400-year Gregorian cycle.
const CYCLE_DAYS: i64 = 146_097;
/// Days from 0000-03-01 (the start of a March-based year 0) to 1970-01-01.
const EPOCH_FROM_MARCH_0: i64 = 719_468;

/// A UTC calendar minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Civil {
    /// Year (1970 and later when made from Unix time).
    pub year: i32,
    /// Month, 1..=12.
    pub month: u8,
    /// Day of the month, 1..=31.
    pub day: u8,
    /// Hour, 0..=23.
    pub hour: u8,
    /// Minute, 0..=59.
    pub minute: u8,
    /// Day of the week as AWS cron numbers it: 1 = Sunday .. 7 = Saturday.
    pub weekday: u8,
}

impl Civil {
    /// The minute given by its fields, with the weekday computed; `None` if a field is out of
    /// range (month 13, April 31, February 29 of a common year, hour 24, ...).
    pub fn new(year: i32, month: u8, day: u8, hour: u8, minute: u8) -> Option<Self> {
        let valid = (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60;
        valid.then(|| Self {
            year,
            month,
            day,
            hour,
            minute,
            weekday: weekday_of(days_from_civil(i64::from(year), month, day)),
        })
    }

    /// The minute containing `unix_ms` (seconds and milliseconds are dropped).
    pub fn from_unix_ms(unix_ms: u64) -> Self {
        // u64::MAX ms is about 213 billion days: i64 holds it, and the year (under 600
        // million) fits i32.
        let days = i64::try_from(unix_ms / DAY_MS).unwrap_or(i64::MAX);
        let (year, month, day) = civil_from_days(days);
        let in_day = unix_ms % DAY_MS;
        Self {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month,
            day,
            hour: small(in_day / HOUR_MS),
            minute: small(in_day % HOUR_MS / MINUTE_MS),
            weekday: weekday_of(days),
        }
    }

    /// Unix milliseconds at the start of this minute; `None` if a field is out of range (as
    /// in [`Civil::new`]) or the minute is before 1970. The `weekday` field is not read.
    pub fn to_unix_ms(&self) -> Option<u64> {
        let checked = Self::new(self.year, self.month, self.day, self.hour, self.minute)?;
        let days = u64::try_from(days_from_civil(
            i64::from(checked.year),
            checked.month,
            checked.day,
        ))
        .ok()?;
        let in_day = u64::from(self.hour) * HOUR_MS + u64::from(self.minute) * MINUTE_MS;
        days.checked_mul(DAY_MS)?.checked_add(in_day)
    }
}

/// A value known to be below 256.
fn small(v: u64) -> u8 {
    u8::try_from(v).unwrap_or(u8::MAX)
}

/// Whether `year` has a February 29.
pub const fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1..=12) of `year`; 0 for a month out of range.
pub const fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days from 1970-01-01 to `year-month-day` (negative before). Does not check the fields:
/// callers pass a valid date.
pub(crate) const fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    // Count in years that start on March 1, so that the leap day is the last day of its year
    // and the month lengths before it follow a fixed pattern.
    let month = month as i64;
    let march_year = if month <= 2 { year - 1 } else { year };
    let cycle = march_year.div_euclid(400);
    let year_of_cycle = march_year.rem_euclid(400);
    let month_from_march = (month + 9) % 12;
    // Mar..Jan lengths 31 30 31 30 31 31 30 31 30 31 31 repeat every five months as 153 days.
    let day_of_year = (153 * month_from_march + 2) / 5 + day as i64 - 1;
    let day_of_cycle = year_of_cycle * 365 + year_of_cycle / 4 - year_of_cycle / 100 + day_of_year;
    cycle * CYCLE_DAYS + day_of_cycle - EPOCH_FROM_MARCH_0
}

/// The date `days` days after 1970-01-01, as (year, month, day). The inverse of
/// [`days_from_civil`].
pub(crate) const fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let from_march_0 = days + EPOCH_FROM_MARCH_0;
    let cycle = from_march_0.div_euclid(CYCLE_DAYS);
    let day_of_cycle = from_march_0.rem_euclid(CYCLE_DAYS);
    // Remove the leap days before this point of the cycle, then divide by 365. The last day
    // of the cycle (a 400-year leap day) is the one that needs the final correction.
    let year_of_cycle = (day_of_cycle - day_of_cycle / 1460 + day_of_cycle / 36_524
        - day_of_cycle / (CYCLE_DAYS - 1))
        / 365;
    let day_of_year =
        day_of_cycle - (365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = cycle * 400 + year_of_cycle + if month <= 2 { 1 } else { 0 };
    (year, month as u8, day as u8)
}

/// The AWS cron weekday (1 = Sunday .. 7 = Saturday) of the day `days` after 1970-01-01,
/// which was a Thursday.
pub(crate) const fn weekday_of(days: i64) -> u8 {
    ((days + 4).rem_euclid(7) + 1) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(year: i32, month: u8, day: u8, hour: u8, minute: u8) -> u64 {
        Civil::new(year, month, day, hour, minute)
            .and_then(|c| c.to_unix_ms())
            .unwrap()
    }

    #[test]
    fn known_dates() {
        assert_eq!(at(1970, 1, 1, 0, 0), 0);
        assert_eq!(
            Civil::from_unix_ms(0).weekday,
            5,
            "1970-01-01 was a Thursday"
        );
        // 2000-02-29, a leap day of a year divisible by 400 (a Tuesday).
        assert_eq!(at(2000, 2, 29, 0, 0), 951_782_400_000);
        assert_eq!(Civil::from_unix_ms(951_782_400_000).weekday, 3);
        // The 32-bit time_t rollover: 2038-01-19T03:14:07Z, a Tuesday.
        let c = Civil::from_unix_ms(2_147_483_647_000);
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.minute),
            (2038, 1, 19, 3, 14)
        );
        assert_eq!(c.weekday, 3);
        // 2100 is not a leap year: February 28 is followed by March 1.
        assert!(!is_leap_year(2100));
        assert!(Civil::new(2100, 2, 29, 0, 0).is_none());
        assert_eq!(at(2100, 3, 1, 0, 0) - at(2100, 2, 28, 0, 0), DAY_MS);
        assert_eq!(at(2100, 3, 1, 0, 0), 4_107_542_400_000);
        // 2024-02-29 was a Thursday; 2024-12-31T23:59 is the last minute of a leap year.
        assert_eq!(Civil::new(2024, 2, 29, 0, 0).unwrap().weekday, 5);
        assert_eq!(at(2025, 1, 1, 0, 0) - at(2024, 12, 31, 23, 59), MINUTE_MS);
        assert_eq!(at(2025, 1, 1, 0, 0) - at(2024, 1, 1, 0, 0), 366 * DAY_MS);
        assert_eq!(at(2199, 12, 31, 23, 59), 7_258_118_340_000);
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2000) && is_leap_year(2024) && is_leap_year(2400));
        assert!(!is_leap_year(1900) && !is_leap_year(2023) && !is_leap_year(2100));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2023, 2), 28);
        assert_eq!(days_in_month(2023, 0), 0);
        assert_eq!(days_in_month(2023, 13), 0);
    }

    #[test]
    fn out_of_range_fields_are_refused() {
        assert!(Civil::new(2023, 0, 1, 0, 0).is_none());
        assert!(Civil::new(2023, 13, 1, 0, 0).is_none());
        assert!(Civil::new(2023, 4, 31, 0, 0).is_none());
        assert!(Civil::new(2023, 4, 0, 0, 0).is_none());
        assert!(Civil::new(2023, 4, 1, 24, 0).is_none());
        assert!(Civil::new(2023, 4, 1, 0, 60).is_none());
        let before_epoch = Civil::new(1969, 12, 31, 23, 59).unwrap();
        assert_eq!(before_epoch.to_unix_ms(), None);
        let bad = Civil {
            month: 2,
            day: 30,
            ..Civil::from_unix_ms(0)
        };
        assert_eq!(bad.to_unix_ms(), None);
    }

    #[test]
    fn extremes_do_not_panic() {
        let c = Civil::from_unix_ms(u64::MAX);
        assert!(c.year > 500_000_000);
        assert!((1..=7).contains(&c.weekday));
        assert_eq!(c.to_unix_ms(), Some(u64::MAX - u64::MAX % MINUTE_MS));
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        // One full 400-year cycle and a bit, day by day, against a running calendar.
        let (mut y, mut m, mut d) = (1970_i64, 1_u8, 1_u8);
        for days in 0..CYCLE_DAYS + 400 {
            assert_eq!(civil_from_days(days), (y, m, d));
            assert_eq!(days_from_civil(y, m, d), days);
            assert_eq!(weekday_of(days), weekday_of(days - 7));
            d += 1;
            if d > days_in_month(y as i32, m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }

    proptest! {
        #[test]
        fn unix_ms_round_trips_to_the_minute(ms in any::<u64>()) {
            let c = Civil::from_unix_ms(ms);
            prop_assert_eq!(c.to_unix_ms(), Some(ms - ms % MINUTE_MS));
            prop_assert_eq!(Civil::new(c.year, c.month, c.day, c.hour, c.minute), Some(c));
        }

        #[test]
        fn days_round_trip(days in -1_000_000_000_i64..1_000_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert!((1..=12).contains(&m));
            prop_assert!(d >= 1 && i64::from(d) <= i64::from(days_in_month(y as i32, m)));
            prop_assert_eq!(days_from_civil(y, m, d), days);
            prop_assert_eq!(i64::from(weekday_of(days + 1)), i64::from(weekday_of(days)) % 7 + 1);
        }

        #[test]
        fn consecutive_minutes_are_consecutive(ms in 0_u64..8_000_000_000_000) {
            let a = Civil::from_unix_ms(ms);
            let b = Civil::from_unix_ms(ms + MINUTE_MS);
            let key = |c: Civil| (c.year, c.month, c.day, c.hour, c.minute);
            prop_assert!(key(b) > key(a));
            prop_assert!(b.weekday == a.weekday || b.weekday == a.weekday % 7 + 1);
            prop_assert_eq!(b.to_unix_ms().unwrap() - a.to_unix_ms().unwrap(), MINUTE_MS);
        }
    }
}
