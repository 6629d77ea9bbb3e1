//! Finding the next and previous matching minute.
//!
//! The search walks the fields from the year down, like an odometer: when a field has no
//! allowed value left in the current year, month, day or hour, the field above advances and
//! the ones below restart from their first (or last) allowed value. Years, months, hours and
//! minutes jump straight to the next allowed value; days are tested one by one (at most 31 a
//! month). The cost is bounded by the months in the year range (2,760), never by minutes.

use jiff::civil::Time;

use super::Cron;
use super::field::{Bits, MAX_YEAR, MIN_YEAR};
use crate::schedule::civil::{MINUTE_MS, date, days_in_month, minute_of, unix_ms};

/// A calendar minute being searched from. Fields may run one past their range (hour 24,
/// day 32, month 13, month 0, day 0), which makes the next lookup fail and the field above
/// advance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pos {
    year: i32,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
}

impl Pos {
    /// The minute containing `unix_ms`; `None` after the year 9999.
    fn of(unix_ms: u64) -> Option<Self> {
        let t = minute_of(unix_ms)?;
        Some(Self {
            year: t.year().into(),
            month: t.month().unsigned_abs(),
            day: t.day().unsigned_abs(),
            hour: t.hour().unsigned_abs(),
            minute: t.minute().unsigned_abs(),
        })
    }

    /// The first minute of the hour (`year`, `month`, `day`, `hour`).
    const fn start(year: i32, month: u8, day: u8, hour: u8) -> Self {
        Self {
            year,
            month,
            day,
            hour,
            minute: 0,
        }
    }

    /// The last minute of the hour (`year`, `month`, `day`, `hour`).
    const fn end(year: i32, month: u8, day: u8, hour: u8) -> Self {
        Self {
            year,
            month,
            day,
            hour,
            minute: 59,
        }
    }

    /// Unix milliseconds at this minute; `None` if it does not exist.
    fn unix_ms(self) -> Option<u64> {
        let hour = i8::try_from(self.hour).ok()?;
        let minute = i8::try_from(self.minute).ok()?;
        let time = Time::new(hour, minute, 0, 0).ok()?;
        unix_ms(date(self.year, self.month, self.day)?.to_datetime(time))
    }
}

fn next_in(bits: Bits, from: u8) -> Option<u8> {
    bits.next(from.into()).and_then(|v| u8::try_from(v).ok())
}

fn prev_in(bits: Bits, from: u8) -> Option<u8> {
    bits.prev(from.into()).and_then(|v| u8::try_from(v).ok())
}

/// `year - 1970`, or `None` before 1970.
fn year_offset(year: i32) -> Option<u32> {
    u32::try_from(year).ok()?.checked_sub(MIN_YEAR)
}

impl Cron {
    /// The first matching minute starting at or after `unix_ms` (rounded up to a whole
    /// minute), as Unix ms; `None` if there is none before the end of 2199.
    pub fn next_at_or_after(&self, unix_ms: u64) -> Option<u64> {
        let from = unix_ms.div_ceil(MINUTE_MS).checked_mul(MINUTE_MS)?;
        self.next_from(Pos::of(from)?)?.unix_ms()
    }

    /// The last matching minute starting at or before `unix_ms` (rounded down to a whole
    /// minute), as Unix ms; `None` if there is none since 1970.
    pub fn previous_at_or_before(&self, unix_ms: u64) -> Option<u64> {
        let last_year = i32::try_from(MAX_YEAR).ok()?;
        let from = Pos::of(unix_ms)
            .filter(|p| p.year <= last_year)
            .unwrap_or(Pos::end(last_year, 12, 31, 23));
        self.prev_from(from)?.unix_ms()
    }

    fn next_from(&self, mut p: Pos) -> Option<Pos> {
        loop {
            let year = self.years.next(year_offset(p.year)?)? + MIN_YEAR;
            let year = i32::try_from(year).ok()?;
            if year != p.year {
                p = Pos::start(year, 1, 1, 0);
            }
            let Some(month) = next_in(self.months, p.month) else {
                p = Pos::start(p.year + 1, 1, 1, 0);
                continue;
            };
            if month != p.month {
                p = Pos::start(p.year, month, 1, 0);
            }
            let Some(day) = self.first_day(p) else {
                p = Pos::start(p.year, p.month + 1, 1, 0);
                continue;
            };
            if day != p.day {
                p = Pos::start(p.year, p.month, day, 0);
            }
            let Some(hour) = next_in(self.hours, p.hour) else {
                p = Pos::start(p.year, p.month, p.day + 1, 0);
                continue;
            };
            if hour != p.hour {
                p = Pos::start(p.year, p.month, p.day, hour);
            }
            let Some(minute) = next_in(self.minutes, p.minute) else {
                p = Pos::start(p.year, p.month, p.day, p.hour + 1);
                continue;
            };
            return Some(Pos { minute, ..p });
        }
    }

    fn prev_from(&self, mut p: Pos) -> Option<Pos> {
        loop {
            let year = self.years.prev(year_offset(p.year)?)? + MIN_YEAR;
            let year = i32::try_from(year).ok()?;
            if year != p.year {
                p = Pos::end(year, 12, 31, 23);
            }
            let Some(month) = prev_in(self.months, p.month) else {
                p = Pos::end(p.year - 1, 12, 31, 23);
                continue;
            };
            if month != p.month {
                p = Pos::end(p.year, month, 31, 23);
            }
            let Some(day) = self.last_day(p) else {
                p = Pos::end(p.year, p.month - 1, 31, 23);
                continue;
            };
            if day != p.day {
                p = Pos::end(p.year, p.month, day, 23);
            }
            let Some(hour) = prev_in(self.hours, p.hour) else {
                p = Pos::end(p.year, p.month, p.day - 1, 23);
                continue;
            };
            if hour != p.hour {
                p = Pos::end(p.year, p.month, p.day, hour);
            }
            let Some(minute) = prev_in(self.minutes, p.minute) else {
                p = match p.hour.checked_sub(1) {
                    Some(hour) => Pos::end(p.year, p.month, p.day, hour),
                    None => Pos::end(p.year, p.month, p.day - 1, 23),
                };
                continue;
            };
            return Some(Pos { minute, ..p });
        }
    }

    /// The first matching day of `p`'s month from `p.day` on.
    fn first_day(&self, p: Pos) -> Option<u8> {
        let last = days_in_month(p.year, p.month);
        (p.day..=last).find(|&d| self.days.matches(p.year, p.month, d))
    }

    /// The last matching day of `p`'s month up to `p.day`.
    fn last_day(&self, p: Pos) -> Option<u8> {
        let last = days_in_month(p.year, p.month).min(p.day);
        (1..=last)
            .rev()
            .find(|&d| self.days.matches(p.year, p.month, d))
    }
}

#[cfg(test)]
mod tests;
