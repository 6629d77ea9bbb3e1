//! The day fields of a cron expression: which days of a month match.
//!
//! Exactly one of day-of-month and day-of-week is `?`; the other gives the rule. Besides plain
//! values, day-of-month takes `L` (last day), `LW` (last weekday) and `nW` (the weekday, Monday
//! to Friday, nearest day `n` within the same month); day-of-week takes `L` (Saturday, the
//! last day of the week), `wL` (the last weekday `w` of the month) and `w#n` (the `n`th
//! weekday `w` of the month, `n` 1..=5). These must stand alone in their field: lists
//! mixing them with other values, and `L-n` offsets, are refused as unsupported.

use std::string::ToString;

use super::field::{Bits, Spec, number};
use crate::schedule::civil::{aws_weekday, date, days_in_month};
use crate::schedule::error::{CronError, CronField};

/// Saturday in AWS cron numbering.
const SATURDAY: u8 = 7;
/// Sunday in AWS cron numbering.
const SUNDAY: u8 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum DayRule {
    /// Plain day-of-month values.
    MonthDays(Bits),
    /// `L` in day-of-month.
    LastDay,
    /// `LW`.
    LastWeekday,
    /// `nW`.
    NearestWeekday(u8),
    /// Plain day-of-week values.
    Weekdays(Bits),
    /// `wL` in day-of-week.
    LastOf(u8),
    /// `w#n`.
    Nth { weekday: u8, n: u8 },
}

impl DayRule {
    /// Read the day-of-month and day-of-week fields (upper case).
    pub(crate) fn parse(dom: &str, dow: &str) -> Result<Self, CronError> {
        match (dom == "?", dow == "?") {
            (false, true) => parse_day_of_month(dom),
            (true, false) => parse_day_of_week(dow),
            _ => Err(CronError::DayFields),
        }
    }

    /// Whether `year-month-day` matches; false for a day that does not exist.
    pub(crate) fn matches(&self, year: i32, month: u8, day: u8) -> bool {
        let last = days_in_month(year, month);
        if day == 0 || day > last {
            return false;
        }
        let weekday = |d: u8| date(year, month, d).map_or(0, aws_weekday);
        match *self {
            Self::MonthDays(bits) => bits.contains(u32::from(day)),
            Self::LastDay => day == last,
            Self::LastWeekday => day == nearest_weekday(last, last, weekday(last)),
            Self::NearestWeekday(n) => n <= last && day == nearest_weekday(n, last, weekday(n)),
            Self::Weekdays(bits) => bits.contains(u32::from(weekday(day))),
            Self::LastOf(w) => weekday(day) == w && day + 7 > last,
            Self::Nth { weekday: w, n } => weekday(day) == w && (day - 1) / 7 + 1 == n,
        }
    }
}

/// The Monday-to-Friday day nearest `day` (whose weekday is `weekday`) without leaving its
/// month of `last` days.
const fn nearest_weekday(day: u8, last: u8, weekday: u8) -> u8 {
    match weekday {
        SATURDAY if day == 1 => 3,
        SATURDAY => day - 1,
        SUNDAY if day == last => day - 2,
        SUNDAY => day + 1,
        _ => day,
    }
}

fn unsupported(field: CronField, token: &str) -> CronError {
    CronError::Unsupported {
        field,
        token: token.to_string(),
    }
}

/// Refuse a list in which an item is one of the standalone forms.
fn refuse_specials_in_list(field: CronField, text: &str) -> Result<(), CronError> {
    if !text.contains(',') {
        return Ok(());
    }
    let special =
        |item: &str| item.starts_with('L') || item.ends_with(['L', 'W']) || item.contains('#');
    match text.split(',').find(|item| special(item)) {
        Some(item) => Err(unsupported(field, item)),
        None => Ok(()),
    }
}

fn parse_day_of_month(text: &str) -> Result<DayRule, CronError> {
    let spec = Spec::DAY_OF_MONTH;
    refuse_specials_in_list(spec.field, text)?;
    match text {
        "L" => return Ok(DayRule::LastDay),
        "LW" => return Ok(DayRule::LastWeekday),
        _ if text.starts_with("L-") => return Err(unsupported(spec.field, text)),
        _ => {}
    }
    if let Some(day) = text.strip_suffix('W') {
        let day = spec.value(day)?;
        return Ok(DayRule::NearestWeekday(
            u8::try_from(day).unwrap_or(u8::MAX),
        ));
    }
    spec.parse(text).map(DayRule::MonthDays)
}

fn parse_day_of_week(text: &str) -> Result<DayRule, CronError> {
    let spec = Spec::DAY_OF_WEEK;
    refuse_specials_in_list(spec.field, text)?;
    let weekday = |t: &str| spec.value(t).map(|w| u8::try_from(w).unwrap_or(u8::MAX));
    if text == "L" {
        let mut bits = Bits::default();
        bits.insert(u32::from(SATURDAY));
        return Ok(DayRule::Weekdays(bits));
    }
    if let Some((w, n)) = text.split_once('#') {
        let weekday = weekday(w)?;
        let n = number(n)
            .filter(|n| (1..=5).contains(n))
            .and_then(|n| u8::try_from(n).ok())
            .ok_or_else(|| CronError::OutOfRange {
                field: spec.field,
                token: text.to_string(),
            })?;
        return Ok(DayRule::Nth { weekday, n });
    }
    if let Some(w) = text.strip_suffix('L') {
        return Ok(DayRule::LastOf(weekday(w)?));
    }
    spec.parse(text).map(DayRule::Weekdays)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    fn days(dom: &str, dow: &str, year: i32, month: u8) -> Vec<u8> {
        let rule = DayRule::parse(dom, dow).unwrap();
        (1..=31).filter(|d| rule.matches(year, month, *d)).collect()
    }

    fn err(dom: &str, dow: &str) -> CronError {
        DayRule::parse(dom, dow).unwrap_err()
    }

    fn s(t: &str) -> String {
        t.to_string()
    }

    #[test]
    fn day_of_month_forms() {
        // June 2024 starts on a Saturday and ends on a Sunday.
        assert_eq!(days("L", "?", 2024, 6), [30]);
        assert_eq!(days("L", "?", 2024, 2), [29]);
        assert_eq!(days("L", "?", 2023, 2), [28]);
        assert_eq!(days("LW", "?", 2024, 6), [28]);
        assert_eq!(days("LW", "?", 2024, 8), [30], "Aug 31 2024 is a Saturday");
        assert_eq!(days("LW", "?", 2024, 7), [31]);
        assert_eq!(
            days("1W", "?", 2024, 6),
            [3],
            "Saturday the 1st: Monday the 3rd"
        );
        assert_eq!(
            days("30W", "?", 2024, 6),
            [28],
            "Sunday the 30th: Friday the 28th"
        );
        assert_eq!(days("15W", "?", 2024, 6), [14]);
        assert_eq!(days("16W", "?", 2024, 6), [17]);
        assert_eq!(days("3W", "?", 2024, 6), [3]);
        assert!(days("31W", "?", 2024, 6).is_empty());
        assert!(days("30", "?", 2024, 2).is_empty());
        assert_eq!(days("29", "?", 2024, 2), [29]);
        assert_eq!(days("1,15", "?", 2024, 2), [1, 15]);
    }

    #[test]
    fn day_of_week_forms() {
        assert_eq!(days("?", "L", 2024, 6), [1, 8, 15, 22, 29]);
        assert_eq!(days("?", "SAT", 2024, 6), [1, 8, 15, 22, 29]);
        assert_eq!(days("?", "6L", 2024, 6), [28]);
        assert_eq!(days("?", "FRIL", 2024, 6), [28]);
        assert_eq!(days("?", "2#1", 2024, 6), [3]);
        assert_eq!(days("?", "MON#1", 2024, 6), [3]);
        assert_eq!(days("?", "7#5", 2024, 6), [29]);
        assert_eq!(days("?", "1#5", 2024, 6), [30]);
        assert!(days("?", "2#5", 2024, 6).is_empty());
        assert_eq!(days("?", "MON-FRI", 2024, 6).len(), 20);
        assert_eq!(days("?", "*", 2024, 6).len(), 30);
    }

    #[test]
    fn day_field_errors() {
        assert_eq!(err("*", "*"), CronError::DayFields);
        assert_eq!(err("?", "?"), CronError::DayFields);
        assert_eq!(err("1", "MON"), CronError::DayFields);
        let dom = CronField::DayOfMonth;
        let dow = CronField::DayOfWeek;
        assert_eq!(
            err("L-3", "?"),
            CronError::Unsupported {
                field: dom,
                token: s("L-3")
            }
        );
        assert_eq!(
            err("L,15", "?"),
            CronError::Unsupported {
                field: dom,
                token: s("L")
            }
        );
        assert_eq!(
            err("1,15W", "?"),
            CronError::Unsupported {
                field: dom,
                token: s("15W")
            }
        );
        assert_eq!(
            err("?", "2#1,3"),
            CronError::Unsupported {
                field: dow,
                token: s("2#1")
            }
        );
        assert_eq!(
            err("?", "MON,5L"),
            CronError::Unsupported {
                field: dow,
                token: s("5L")
            }
        );
        assert_eq!(
            err("32W", "?"),
            CronError::OutOfRange {
                field: dom,
                token: s("32")
            }
        );
        assert_eq!(
            err("0W", "?"),
            CronError::OutOfRange {
                field: dom,
                token: s("0")
            }
        );
        assert_eq!(
            err("W", "?"),
            CronError::BadToken {
                field: dom,
                token: s("")
            }
        );
        assert_eq!(
            err("2#1", "?"),
            CronError::Misplaced {
                field: dom,
                token: s("2#1")
            }
        );
        assert_eq!(
            err("5L", "?"),
            CronError::Misplaced {
                field: dom,
                token: s("5L")
            }
        );
        assert_eq!(
            err("?", "2#6"),
            CronError::OutOfRange {
                field: dow,
                token: s("2#6")
            }
        );
        assert_eq!(
            err("?", "2#0"),
            CronError::OutOfRange {
                field: dow,
                token: s("2#0")
            }
        );
        assert_eq!(
            err("?", "8#1"),
            CronError::OutOfRange {
                field: dow,
                token: s("8")
            }
        );
        assert_eq!(
            err("?", "2W"),
            CronError::Misplaced {
                field: dow,
                token: s("2W")
            }
        );
        assert_eq!(
            err("?", "LW"),
            CronError::Misplaced {
                field: dow,
                token: s("LW")
            }
        );
    }
}
