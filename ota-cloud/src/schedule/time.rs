//! AWS schedule times: `YYYY-MM-DDTHH:MM` in UTC, as in `schedulingConfig.startTime`.

use std::format;
use std::string::String;

use super::civil::{DAY_MS, date, minute_of, unix_ms};
use super::error::{ScheduleError, TimeField};

/// A whole 400-year Gregorian cycle: 146,097 days, whole weeks, after which the calendar
/// repeats exactly.
const CYCLE_MS: u64 = 146_097 * DAY_MS;

/// Parse `YYYY-MM-DDTHH:MM` (UTC) into Unix milliseconds.
///
/// Strict: exactly sixteen characters in that shape, two-digit fields zero-padded, the date
/// must exist (leap years included) and be 1970 or later. Does not accept seconds, a time
/// zone suffix, lower-case `t` or surrounding spaces. The shape is checked here, as `jiff`'s
/// readers take those and other ISO 8601 forms; the calendar checks are `jiff`'s.
///
/// # Errors
/// [`ScheduleError::TimeShape`] when the text is not of that shape,
/// [`ScheduleError::TimeOutOfRange`] naming the first field out of range.
pub fn parse_schedule_time(text: &str) -> Result<u64, ScheduleError> {
    let b = text.as_bytes();
    let shaped = b.len() == 16
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 => c == b':',
            _ => c.is_ascii_digit(),
        });
    if !shaped {
        return Err(ScheduleError::TimeShape);
    }
    let two = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
    let field = |ok: bool, field| ok.then_some(()).ok_or(ScheduleError::TimeOutOfRange(field));
    let year = i32::from(two(0)) * 100 + i32::from(two(2));
    let (month, day, hour, minute) = (two(5), two(8), two(11), two(14));
    field(year >= 1970, TimeField::Year)?;
    field((1..=12).contains(&month), TimeField::Month)?;
    field(hour < 24, TimeField::Hour)?;
    field(minute < 60, TimeField::Minute)?;
    let date = date(year, month, day).ok_or(ScheduleError::TimeOutOfRange(TimeField::Day))?;
    let time = date.at(hour.cast_signed(), minute.cast_signed(), 0, 0);
    unix_ms(time).ok_or(ScheduleError::TimeOutOfRange(TimeField::Year))
}

/// Format Unix milliseconds as `YYYY-MM-DDTHH:MM` (UTC), dropping seconds and milliseconds.
///
/// After the year 9999 the year has more than four digits, which [`parse_schedule_time`]
/// does not read back. (`jiff`'s calendar ends there: later times are placed by their
/// position in the 400-year cycle.)
pub fn format_schedule_time(unix_ms: u64) -> String {
    // Always `Some`: 400 years from 1970 are within jiff's range.
    let t = minute_of(unix_ms % CYCLE_MS).unwrap_or_default();
    let year = u64::from(t.year().unsigned_abs()) + 400 * (unix_ms / CYCLE_MS);
    format!(
        "{year:04}-{:02}-{:02}T{:02}:{:02}",
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::civil::MINUTE_MS;
    use proptest::prelude::*;

    #[test]
    fn parses_known_times() {
        for (text, unix_ms) in [
            ("1970-01-01T00:00", 0),
            ("2000-02-29T00:00", 951_782_400_000),
            ("2038-01-19T03:14", 2_147_483_640_000),
            ("2024-12-31T23:59", 1_735_689_540_000),
            ("9999-12-31T23:59", 253_402_300_740_000),
        ] {
            assert_eq!(parse_schedule_time(text), Ok(unix_ms), "{text}");
        }
    }

    #[test]
    fn refuses_other_shapes() {
        for text in [
            "",
            "2024-01-01",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00Z",
            "2024-01-01 00:00",
            "2024-01-01t00:00",
            " 2024-01-01T00:00",
            "2024-1-01T00:00x",
            "+024-01-01T00:00",
            "2024/01/01T00:00",
            "2024-01-01T0a:00",
            "2024-01-01T00-00",
            "２０２４-01-01T00:00",
        ] {
            assert_eq!(
                parse_schedule_time(text),
                Err(ScheduleError::TimeShape),
                "{text:?}"
            );
        }
    }

    #[test]
    fn refuses_out_of_range_fields() {
        let days = [
            "2024-01-00T00:00",
            "2024-01-32T00:00",
            "2024-04-31T00:00",
            "2023-02-29T00:00",
            "2100-02-29T00:00",
        ];
        for (field, texts) in [
            (
                TimeField::Year,
                &["1969-12-31T23:59", "0000-01-01T00:00"][..],
            ),
            (TimeField::Month, &["2024-00-01T00:00", "2024-13-01T00:00"]),
            (TimeField::Day, &days),
            (TimeField::Hour, &["2024-01-01T24:00"]),
            (TimeField::Minute, &["2024-01-01T00:60"]),
        ] {
            for text in texts {
                let refused = Err(ScheduleError::TimeOutOfRange(field));
                assert_eq!(parse_schedule_time(text), refused, "{text}");
            }
        }
        assert!(parse_schedule_time("2024-02-29T00:00").is_ok());
        assert!(parse_schedule_time("2000-02-29T00:00").is_ok());
    }

    #[test]
    fn formats_and_truncates() {
        assert_eq!(format_schedule_time(0), "1970-01-01T00:00");
        assert_eq!(format_schedule_time(951_782_459_999), "2000-02-29T00:00");
        assert_eq!(format_schedule_time(2_147_483_647_000), "2038-01-19T03:14");
        assert_eq!(
            format_schedule_time(253_402_300_800_000),
            "10000-01-01T00:00"
        );
        assert_eq!(format_schedule_time(u64::MAX), "584556019-04-03T14:25");
    }

    proptest! {
        #[test]
        fn format_then_parse_is_the_minute(ms in 0_u64..253_402_300_800_000) {
            prop_assert_eq!(parse_schedule_time(&format_schedule_time(ms)), Ok(ms - ms % MINUTE_MS));
        }

        #[test]
        fn never_panics(text in "\\PC{0,20}", digits in "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}") {
            let _ = parse_schedule_time(&text);
            if let Ok(ms) = parse_schedule_time(&digits) {
                prop_assert_eq!(format_schedule_time(ms), digits);
            }
        }
    }
}
