//! One plain cron field: `*`, numbers, names, lists `a,b`, ranges `a-b` and steps `a/n`,
//! `*/n`, `a-b/n`, read into a set of values.
//!
//! Does not know `?`, `L`, `W` or `#`: the day fields handle those before calling in here.

use std::string::ToString;

use crate::schedule::error::{CronError, CronField};

/// A set of small numbers (0..=255), for the allowed values of one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) struct Bits([u64; 4]);

impl Bits {
    pub(crate) fn insert(&mut self, v: u32) {
        if let Some(word) = self.0.get_mut((v / 64) as usize) {
            *word |= 1 << (v % 64);
        }
    }

    pub(crate) fn contains(&self, v: u32) -> bool {
        self.0
            .get((v / 64) as usize)
            .is_some_and(|word| word & (1 << (v % 64)) != 0)
    }

    /// The smallest member `>= from`.
    pub(crate) fn next(&self, from: u32) -> Option<u32> {
        let mut i = from / 64;
        let mut mask = u64::MAX.checked_shl(from % 64).unwrap_or(0);
        while let Some(word) = self.0.get(i as usize) {
            let hit = word & mask;
            if hit != 0 {
                return Some(i * 64 + hit.trailing_zeros());
            }
            i += 1;
            mask = u64::MAX;
        }
        None
    }

    /// The largest member `<= from`.
    pub(crate) fn prev(&self, from: u32) -> Option<u32> {
        let from = from.min(255);
        let mut i = from / 64;
        let mut mask = u64::MAX >> (63 - from % 64);
        loop {
            let hit = self.0.get(i as usize).copied().unwrap_or(0) & mask;
            if hit != 0 {
                return Some(i * 64 + 63 - hit.leading_zeros());
            }
            i = i.checked_sub(1)?;
            mask = u64::MAX;
        }
    }
}

/// What a field accepts: its range of values and the names that stand for them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    pub(crate) field: CronField,
    pub(crate) min: u32,
    pub(crate) max: u32,
    /// `names[i]` stands for `min + i`.
    pub(crate) names: &'static [&'static str],
    /// Values are stored in [`Bits`] as `value - offset` (0, except for years).
    pub(crate) offset: u32,
    /// Whether steps (`/`) are allowed: AWS lists them for every field but day-of-week.
    pub(crate) steps: bool,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// First year AWS cron accepts.
pub(crate) const MIN_YEAR: u32 = 1970;
/// Last year AWS cron accepts.
pub(crate) const MAX_YEAR: u32 = 2199;

impl Spec {
    pub(crate) const MINUTES: Self = Self::plain(CronField::Minutes, 0, 59);
    pub(crate) const HOURS: Self = Self::plain(CronField::Hours, 0, 23);
    pub(crate) const DAY_OF_MONTH: Self = Self::plain(CronField::DayOfMonth, 1, 31);
    pub(crate) const MONTH: Self = Self {
        field: CronField::Month,
        min: 1,
        max: 12,
        names: &MONTHS,
        offset: 0,
        steps: true,
    };
    pub(crate) const DAY_OF_WEEK: Self = Self {
        field: CronField::DayOfWeek,
        min: 1,
        max: 7,
        names: &WEEKDAYS,
        offset: 0,
        steps: false,
    };
    pub(crate) const YEAR: Self = Self {
        offset: MIN_YEAR,
        ..Self::plain(CronField::Year, MIN_YEAR, MAX_YEAR)
    };

    const fn plain(field: CronField, min: u32, max: u32) -> Self {
        Self {
            field,
            min,
            max,
            names: &[],
            offset: 0,
            steps: true,
        }
    }

    /// Read a field into the set of its values, each stored as `value - offset`.
    pub(crate) fn parse(&self, text: &str) -> Result<Bits, CronError> {
        let mut bits = Bits::default();
        for item in text.split(',') {
            self.parse_item(item, &mut bits)?;
        }
        Ok(bits)
    }

    fn parse_item(&self, item: &str, bits: &mut Bits) -> Result<(), CronError> {
        let (base, step) = match item.split_once('/') {
            Some(_) if !self.steps => {
                return Err(CronError::Misplaced {
                    field: self.field,
                    token: item.to_string(),
                });
            }
            Some((base, step)) => (base, Some(self.step(item, step)?)),
            None => (item, None),
        };
        let (from, to) = if base == "*" {
            (self.min, self.max)
        } else if let Some((a, b)) = base.split_once('-') {
            let (a, b) = (self.value(a)?, self.value(b)?);
            if a > b {
                return Err(CronError::ReversedRange {
                    field: self.field,
                    token: item.to_string(),
                });
            }
            (a, b)
        } else {
            let a = self.value(base)?;
            (a, if step.is_some() { self.max } else { a })
        };
        let step = step.unwrap_or(1);
        let mut v = from;
        while v <= to {
            bits.insert(v - self.offset);
            v += step;
        }
        Ok(())
    }

    fn step(&self, item: &str, text: &str) -> Result<u32, CronError> {
        let bad = || CronError::BadStep {
            field: self.field,
            token: item.to_string(),
        };
        let step = number(text).ok_or_else(bad)?;
        if step == 0 || step > self.max - self.min + 1 {
            return Err(bad());
        }
        Ok(step)
    }

    /// A number or a name of this field, checked against its range.
    pub(crate) fn value(&self, token: &str) -> Result<u32, CronError> {
        let named = self
            .names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(token))
            .and_then(|i| u32::try_from(i).ok())
            .map(|i| self.min + i);
        let v = match named {
            Some(v) => v,
            None if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) => {
                number(token).unwrap_or(u32::MAX)
            }
            None => return Err(self.error_for(token)),
        };
        if v < self.min || v > self.max {
            return Err(CronError::OutOfRange {
                field: self.field,
                token: token.to_string(),
            });
        }
        Ok(v)
    }

    /// The error for a token this field cannot read as a value.
    fn error_for(&self, token: &str) -> CronError {
        let field = self.field;
        if is_day_wildcard(token) {
            CronError::Misplaced {
                field,
                token: token.to_string(),
            }
        } else {
            CronError::BadToken {
                field,
                token: token.to_string(),
            }
        }
    }
}

/// Whether `token` looks like `?`, `L`, `LW`, `nL`, `nW` or `n#k`, which only the day fields
/// take.
fn is_day_wildcard(token: &str) -> bool {
    let t = token.to_ascii_uppercase();
    let digits_before = t
        .strip_suffix("LW")
        .or_else(|| t.strip_suffix('L'))
        .or_else(|| t.strip_suffix('W'))
        .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit()));
    t == "?" || t.contains('#') || digits_before
}

/// A decimal number of at most nine digits (so it fits `u32`).
pub(crate) fn number(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 9 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    fn owned(token: &str) -> String {
        token.to_string()
    }

    fn values(spec: Spec, text: &str) -> Result<Vec<u32>, CronError> {
        let bits = spec.parse(text)?;
        Ok((0..256)
            .filter(|v| bits.contains(*v))
            .map(|v| v + spec.offset)
            .collect())
    }

    #[test]
    fn bits_next_and_prev() {
        let mut b = Bits::default();
        assert_eq!(b, Bits::default());
        for v in [0, 5, 63, 64, 200, 255] {
            b.insert(v);
        }
        b.insert(256);
        assert_eq!(b.next(0), Some(0));
        assert_eq!(b.next(1), Some(5));
        assert_eq!(b.next(6), Some(63));
        assert_eq!(b.next(64), Some(64));
        assert_eq!(b.next(65), Some(200));
        assert_eq!(b.next(256), None);
        assert_eq!(b.next(u32::MAX), None);
        assert_eq!(b.prev(u32::MAX), Some(255));
        assert_eq!(b.prev(254), Some(200));
        assert_eq!(b.prev(199), Some(64));
        assert_eq!(b.prev(63), Some(63));
        assert_eq!(b.prev(62), Some(5));
        assert_eq!(b.prev(4), Some(0));
        let mut one = Bits::default();
        one.insert(7);
        assert_eq!(one.prev(6), None);
        assert_eq!(one.next(8), None);
    }

    #[test]
    fn plain_fields() {
        assert_eq!(values(Spec::MINUTES, "*").unwrap().len(), 60);
        assert_eq!(values(Spec::MINUTES, "0/15").unwrap(), [0, 15, 30, 45]);
        assert_eq!(values(Spec::MINUTES, "*/20").unwrap(), [0, 20, 40]);
        assert_eq!(values(Spec::MINUTES, "5-20/5").unwrap(), [5, 10, 15, 20]);
        assert_eq!(values(Spec::MINUTES, "7,3,3").unwrap(), [3, 7]);
        assert_eq!(
            values(Spec::HOURS, "8-17").unwrap(),
            (8..=17).collect::<Vec<_>>()
        );
        assert_eq!(values(Spec::DAY_OF_MONTH, "*/10").unwrap(), [1, 11, 21, 31]);
        assert_eq!(values(Spec::MONTH, "jan,MAR-may").unwrap(), [1, 3, 4, 5]);
        assert_eq!(values(Spec::MONTH, "FEB/3").unwrap(), [2, 5, 8, 11]);
        assert_eq!(
            values(Spec::DAY_OF_WEEK, "MON-FRI").unwrap(),
            [2, 3, 4, 5, 6]
        );
        assert_eq!(values(Spec::DAY_OF_WEEK, "1,7").unwrap(), [1, 7]);
        assert_eq!(
            values(Spec::DAY_OF_WEEK, "*").unwrap(),
            [1, 2, 3, 4, 5, 6, 7]
        );
        assert_eq!(values(Spec::YEAR, "2199").unwrap(), [2199]);
        assert_eq!(values(Spec::YEAR, "*").unwrap().len(), 230);
        assert_eq!(values(Spec::YEAR, "2020/100").unwrap(), [2020, 2120]);
        assert_eq!(values(Spec::MINUTES, "0/60").unwrap(), [0]);
    }

    #[test]
    fn plain_field_errors() {
        use crate::schedule::error::field_errors::*;
        for (spec, text, kind, token) in [
            (Spec::MINUTES, "60", OUT_OF_RANGE, "60"),
            (
                Spec::MINUTES,
                "99999999999999",
                OUT_OF_RANGE,
                "99999999999999",
            ),
            (Spec::MINUTES, "10-5", REVERSED, "10-5"),
            (Spec::MINUTES, "0/0", BAD_STEP, "0/0"),
            (Spec::MINUTES, "0/61", BAD_STEP, "0/61"),
            (Spec::MINUTES, "1/2/3", BAD_STEP, "1/2/3"),
            (Spec::MINUTES, "JAN", BAD_TOKEN, "JAN"),
            (Spec::MINUTES, "", BAD_TOKEN, ""),
            (Spec::MINUTES, "1,,2", BAD_TOKEN, ""),
            (Spec::MINUTES, "-1", BAD_TOKEN, ""),
            (Spec::HOURS, "?", MISPLACED, "?"),
            (Spec::HOURS, "L", MISPLACED, "L"),
            (Spec::YEAR, "1969", OUT_OF_RANGE, "1969"),
            (Spec::YEAR, "2200", OUT_OF_RANGE, "2200"),
            (Spec::DAY_OF_WEEK, "MON/2", MISPLACED, "MON/2"),
            (Spec::DAY_OF_WEEK, "0", OUT_OF_RANGE, "0"),
            (Spec::DAY_OF_WEEK, "8", OUT_OF_RANGE, "8"),
            (Spec::MINUTES, "JUL", BAD_TOKEN, "JUL"),
            (Spec::MINUTES, "3#2", MISPLACED, "3#2"),
            (Spec::MONTH, "JANUARY", BAD_TOKEN, "JANUARY"),
        ] {
            let expected = kind(spec.field, owned(token));
            assert_eq!(values(spec, text).unwrap_err(), expected, "{text:?}");
        }
    }
}
