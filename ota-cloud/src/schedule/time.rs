//! AWS schedule times: `YYYY-MM-DDTHH:MM` in UTC, as in `schedulingConfig.startTime`.

use std::format;
use std::string::String;

use super::civil::Civil;
use super::error::{ScheduleError, TimeField};

/// Parse `YYYY-MM-DDTHH:MM` (UTC) into Unix milliseconds.
///
/// Strict: exactly sixteen characters in that shape, two-digit fields zero-padded, the date
/// must exist (leap years included) and be 1970 or later. Does not accept seconds, a time
/// zone suffix, lower-case `t` or surrounding spaces.
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
    let num = |from: usize, to: usize| {
        b[from..to]
            .iter()
            .fold(0_u32, |n, &c| n * 10 + u32::from(c - b'0'))
    };
    let range = |field| ScheduleError::TimeOutOfRange(field);
    let year = num(0, 4);
    let year = i32::try_from(year)
        .ok()
        .filter(|y| *y >= 1970)
        .ok_or(range(TimeField::Year))?;
    let month = u8::try_from(num(5, 7))
        .ok()
        .filter(|m| (1..=12).contains(m))
        .ok_or(range(TimeField::Month))?;
    let day = u8::try_from(num(8, 10)).unwrap_or(0);
    let hour = u8::try_from(num(11, 13))
        .ok()
        .filter(|h| *h < 24)
        .ok_or(range(TimeField::Hour))?;
    let minute = u8::try_from(num(14, 16))
        .ok()
        .filter(|m| *m < 60)
        .ok_or(range(TimeField::Minute))?;
    Civil::new(year, month, day, hour, minute)
        .and_then(|c| c.to_unix_ms())
        .ok_or(range(TimeField::Day))
}

/// Format Unix milliseconds as `YYYY-MM-DDTHH:MM` (UTC), dropping seconds and milliseconds.
///
/// After the year 9999 the year has more than four digits, which [`parse_schedule_time`]
/// does not read back.
pub fn format_schedule_time(unix_ms: u64) -> String {
    let c = Civil::from_unix_ms(unix_ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::civil::MINUTE_MS;
    use proptest::prelude::*;

    #[test]
    fn parses_known_times() {
        assert_eq!(parse_schedule_time("1970-01-01T00:00"), Ok(0));
        assert_eq!(parse_schedule_time("2000-02-29T00:00"), Ok(951_782_400_000));
        assert_eq!(
            parse_schedule_time("2038-01-19T03:14"),
            Ok(2_147_483_640_000)
        );
        assert_eq!(
            parse_schedule_time("2024-12-31T23:59"),
            Ok(1_735_689_540_000)
        );
        assert_eq!(
            parse_schedule_time("9999-12-31T23:59"),
            Ok(253_402_300_740_000)
        );
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
        let cases = [
            ("1969-12-31T23:59", TimeField::Year),
            ("0000-01-01T00:00", TimeField::Year),
            ("2024-00-01T00:00", TimeField::Month),
            ("2024-13-01T00:00", TimeField::Month),
            ("2024-01-00T00:00", TimeField::Day),
            ("2024-01-32T00:00", TimeField::Day),
            ("2024-04-31T00:00", TimeField::Day),
            ("2023-02-29T00:00", TimeField::Day),
            ("2100-02-29T00:00", TimeField::Day),
            ("2024-01-01T24:00", TimeField::Hour),
            ("2024-01-01T00:60", TimeField::Minute),
        ];
        for (text, field) in cases {
            assert_eq!(
                parse_schedule_time(text),
                Err(ScheduleError::TimeOutOfRange(field)),
                "{text}"
            );
        }
        assert!(parse_schedule_time("2024-02-29T00:00").is_ok());
        assert!(parse_schedule_time("2000-02-29T00:00").is_ok());
    }

    #[test]
    fn formats_and_truncates() {
        assert_eq!(format_schedule_time(0), "1970-01-01T00:00");
        assert_eq!(format_schedule_time(951_782_459_999), "2000-02-29T00:00");
        assert_eq!(format_schedule_time(2_147_483_647_000), "2038-01-19T03:14");
        assert!(format_schedule_time(u64::MAX).len() > 16);
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
