//! Why a schedule time, cron expression, maintenance window or schedule was refused.

use std::boxed::Box;
use std::string::String;

use core::fmt;

/// Why a schedule input was refused. Each variant names the rule that was broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// A schedule time is not exactly `YYYY-MM-DDTHH:MM`.
    #[error("schedule time must be exactly YYYY-MM-DDTHH:MM")]
    TimeShape,
    /// A schedule time has the right shape but a field out of range (month 13, February 30,
    /// hour 24, a year before 1970, ...).
    #[error("schedule time {0} is out of range")]
    TimeOutOfRange(TimeField),
    /// A cron expression was refused.
    #[error("cron expression: {0}")]
    Cron(#[from] CronError),
    /// A maintenance window duration outside 1..=1430 minutes.
    #[error("maintenance window duration {minutes} min is outside 1..=1430")]
    WindowDuration {
        /// The duration given.
        minutes: u32,
    },
    /// `startTime` is less than 30 minutes after the job's creation.
    #[error("startTime {start} ms is before {earliest} ms (30 minutes after creation)")]
    StartTooSoon {
        /// The start time, Unix ms.
        start: u64,
        /// The earliest start allowed, Unix ms.
        earliest: u64,
    },
    /// `startTime` is more than one year after the job's creation.
    #[error("startTime {start} ms is after {latest} ms (one year after creation)")]
    StartTooLate {
        /// The start time, Unix ms.
        start: u64,
        /// The latest start allowed, Unix ms.
        latest: u64,
    },
    /// `endTime` is less than 30 minutes after the job's creation.
    #[error("endTime {end} ms is before {earliest} ms (30 minutes after creation)")]
    EndTooSoon {
        /// The end time, Unix ms.
        end: u64,
        /// The earliest end allowed, Unix ms.
        earliest: u64,
    },
    /// `endTime` is more than two years after the job's creation.
    #[error("endTime {end} ms is after {latest} ms (two years after creation)")]
    EndTooLate {
        /// The end time, Unix ms.
        end: u64,
        /// The latest end allowed, Unix ms.
        latest: u64,
    },
    /// `endTime` is less than 30 minutes after `startTime` (or before it).
    #[error("endTime must be at least 30 minutes after startTime")]
    SpanTooShort {
        /// The start time, Unix ms.
        start: u64,
        /// The end time, Unix ms.
        end: u64,
    },
    /// `endTime` is more than two years after `startTime`.
    #[error("endTime must be at most two years after startTime")]
    SpanTooLong {
        /// The start time, Unix ms.
        start: u64,
        /// The end time, Unix ms.
        end: u64,
    },
    /// Maintenance windows were given without a `startTime`.
    #[error("maintenanceWindows need a startTime")]
    WindowsWithoutStart,
    /// An error in one field of a `schedulingConfig`.
    #[error("{field}: {source}")]
    Field {
        /// Which field.
        field: ConfigField,
        /// What was wrong with it.
        #[source]
        source: Box<Self>,
    },
}

impl ScheduleError {
    /// `self`, said to be about `field`.
    pub(crate) fn at(self, field: ConfigField) -> Self {
        Self::Field {
            field,
            source: Box::new(self),
        }
    }
}

/// A field of a schedule time (`YYYY-MM-DDTHH:MM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeField {
    /// `YYYY` (1970..=9999).
    Year,
    /// `MM` (01..=12).
    Month,
    /// `DD` (01..=days in the month).
    Day,
    /// `HH` (00..=23).
    Hour,
    /// The minutes after the colon (00..=59).
    Minute,
}

impl fmt::Display for TimeField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Year => "year",
            Self::Month => "month",
            Self::Day => "day",
            Self::Hour => "hour",
            Self::Minute => "minute",
        })
    }
}

/// A field of a `schedulingConfig`, for [`ScheduleError::Field`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigField {
    /// `startTime`.
    StartTime,
    /// `endTime`.
    EndTime,
    /// `maintenanceWindows[i]`.
    MaintenanceWindow(usize),
}

impl fmt::Display for ConfigField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::StartTime => f.write_str("startTime"),
            Self::EndTime => f.write_str("endTime"),
            Self::MaintenanceWindow(i) => write!(f, "maintenanceWindows[{i}]"),
        }
    }
}

/// A field of a cron expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CronField {
    /// Minutes, 0-59.
    Minutes,
    /// Hours, 0-23.
    Hours,
    /// Day of month, 1-31.
    DayOfMonth,
    /// Month, 1-12 or JAN-DEC.
    Month,
    /// Day of week, 1-7 or SUN-SAT.
    DayOfWeek,
    /// Year, 1970-2199.
    Year,
}

impl fmt::Display for CronField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Minutes => "minutes",
            Self::Hours => "hours",
            Self::DayOfMonth => "day-of-month",
            Self::Month => "month",
            Self::DayOfWeek => "day-of-week",
            Self::Year => "year",
        })
    }
}

/// Why a cron expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CronError {
    /// Longer than the 256 characters AWS accepts.
    #[error("longer than 256 characters ({len})")]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// Not `cron(...)` or six bare fields (a `rate(...)` expression, an unclosed parenthesis).
    #[error("expected cron(minutes hours day-of-month month day-of-week year)")]
    Shape,
    /// Not exactly six fields.
    #[error("expected 6 fields, found {found}")]
    FieldCount {
        /// How many fields there were.
        found: usize,
    },
    /// A token that is neither a number, a name, nor a wildcard.
    #[error("{field}: cannot read {token:?}")]
    BadToken {
        /// The field.
        field: CronField,
        /// The token as written.
        token: String,
    },
    /// A number or name outside the field's range.
    #[error("{field}: {token:?} is out of range")]
    OutOfRange {
        /// The field.
        field: CronField,
        /// The token as written.
        token: String,
    },
    /// A range `a-b` with `a > b`. Wrap-around ranges are not accepted.
    #[error("{field}: range {token:?} runs backwards")]
    ReversedRange {
        /// The field.
        field: CronField,
        /// The range as written.
        token: String,
    },
    /// A step `/0`, or a step longer than the field.
    #[error("{field}: bad step in {token:?}")]
    BadStep {
        /// The field.
        field: CronField,
        /// The item as written.
        token: String,
    },
    /// `?`, `L`, `W` or `#` in a field that does not take it.
    #[error("{field}: {token:?} is not allowed in this field")]
    Misplaced {
        /// The field.
        field: CronField,
        /// The token as written.
        token: String,
    },
    /// Syntax that cron dialects know but this implementation refuses: `L-n` offsets, and
    /// `L`, `W` or `#` combined with other values in a list.
    #[error("{field}: {token:?} is not supported")]
    Unsupported {
        /// The field.
        field: CronField,
        /// The token as written.
        token: String,
    },
    /// Not exactly one of day-of-month and day-of-week is `?`.
    #[error("exactly one of day-of-month and day-of-week must be ?")]
    DayFields,
}

/// The [`CronError`]s about one field's token, by variant: the tests' tables of expected
/// errors name them.
#[cfg(test)]
pub(crate) mod field_errors {
    use super::{CronError, CronField};

    /// A variant's constructor.
    pub(crate) type Kind = fn(CronField, String) -> CronError;

    /// [`CronError::BadToken`].
    pub(crate) const BAD_TOKEN: Kind = |field, token| CronError::BadToken { field, token };
    /// [`CronError::OutOfRange`].
    pub(crate) const OUT_OF_RANGE: Kind = |field, token| CronError::OutOfRange { field, token };
    /// [`CronError::ReversedRange`].
    pub(crate) const REVERSED: Kind = |field, token| CronError::ReversedRange { field, token };
    /// [`CronError::BadStep`].
    pub(crate) const BAD_STEP: Kind = |field, token| CronError::BadStep { field, token };
    /// [`CronError::Misplaced`].
    pub(crate) const MISPLACED: Kind = |field, token| CronError::Misplaced { field, token };
    /// [`CronError::Unsupported`].
    pub(crate) const UNSUPPORTED: Kind = |field, token| CronError::Unsupported { field, token };
}
