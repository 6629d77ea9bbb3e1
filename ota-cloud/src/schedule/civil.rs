//! Unix milliseconds to and from UTC calendar minutes. The calendar is `jiff`'s (proleptic
//! Gregorian, years up to 9999); this module only converts units.
//!
//! No time zones, no leap seconds (Unix time has none), no seconds: a minute is the unit.

use jiff::SignedDuration;
use jiff::civil::{Date, DateTime};

/// Milliseconds in a minute.
pub const MINUTE_MS: u64 = 60_000;
/// Milliseconds in an hour.
pub const HOUR_MS: u64 = 60 * MINUTE_MS;
/// Milliseconds in a day.
pub const DAY_MS: u64 = 24 * HOUR_MS;

/// 1970-01-01T00:00 UTC. (Civil arithmetic from it, not `jiff::Timestamp`, whose range ends
/// a day before the civil calendar's, short of `9999-12-31T23:59`.)
const EPOCH: DateTime = DateTime::constant(1970, 1, 1, 0, 0, 0, 0);

/// The UTC minute containing `unix_ms` (seconds and milliseconds dropped); `None` after
/// 9999-12-31T23:59, where `jiff`'s calendar ends.
pub(crate) fn minute_of(unix_ms: u64) -> Option<DateTime> {
    let ms = i64::try_from(unix_ms - unix_ms % MINUTE_MS).ok()?;
    EPOCH.checked_add(SignedDuration::from_millis(ms)).ok()
}

/// Unix milliseconds at `time` (UTC); `None` before 1970.
pub(crate) fn unix_ms(time: DateTime) -> Option<u64> {
    u64::try_from(time.duration_since(EPOCH).as_millis()).ok()
}

/// The date `year-month-day`; `None` if it does not exist (April 31, February 29 of a common
/// year, month 13, day 0) or is outside `jiff`'s years.
pub(crate) fn date(year: i32, month: u8, day: u8) -> Option<Date> {
    Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()
}

/// Days in `month` of `year`; 0 for a month that does not exist.
pub(crate) fn days_in_month(year: i32, month: u8) -> u8 {
    date(year, month, 1).map_or(0, |d| d.days_in_month().unsigned_abs())
}

/// The day of the week as AWS cron numbers it: 1 = Sunday .. 7 = Saturday.
pub(crate) fn aws_weekday(date: Date) -> u8 {
    date.weekday().to_sunday_one_offset().unsigned_abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> u64 {
        let time: DateTime = text.parse().unwrap();
        unix_ms(time).unwrap()
    }

    #[test]
    fn converts_known_minutes() {
        assert_eq!(at("1970-01-01T00:00"), 0);
        assert_eq!(at("2000-02-29T00:00"), 951_782_400_000);
        assert_eq!(at("2100-03-01T00:00"), 4_107_542_400_000);
        let rollover = minute_of(2_147_483_647_000).unwrap();
        assert_eq!(rollover.to_string(), "2038-01-19T03:14:00");
        assert_eq!(aws_weekday(rollover.date()), 3, "a Tuesday");
        assert_eq!(aws_weekday(minute_of(0).unwrap().date()), 5, "a Thursday");
        assert_eq!(unix_ms("1969-12-31T23:59".parse().unwrap()), None);
    }

    #[test]
    fn ends_with_the_year_9999() {
        let last = at("9999-12-31T23:59");
        assert_eq!(
            minute_of(last + MINUTE_MS - 1).and_then(unix_ms),
            Some(last)
        );
        assert_eq!(minute_of(last + MINUTE_MS), None);
        assert_eq!(minute_of(u64::MAX), None);
    }

    #[test]
    fn dates_that_do_not_exist() {
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
        assert_eq!(days_in_month(2023, 13), 0);
        assert_eq!(days_in_month(2023, 0), 0);
        assert!(date(2023, 4, 31).is_none());
        assert!(date(2023, 4, 0).is_none());
        assert!(date(100_000, 1, 1).is_none());
    }
}
