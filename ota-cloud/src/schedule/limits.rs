//! AWS's limits on a job's `schedulingConfig`, checked against the job's creation time.
//!
//! AWS states the limits in minutes and years; a year is taken as 365 days here (the docs do
//! not say whether a leap day counts).

use super::civil::{DAY_MS, MINUTE_MS};
use super::error::{ConfigField, ScheduleError};
use super::job_schedule::Schedule;
use super::window::check_duration;

/// `startTime` and `endTime` must be at least this far after creation (30 minutes).
pub const MIN_LEAD_MS: u64 = 30 * MINUTE_MS;
/// `startTime` must be at most this far after creation (one 365-day year).
pub const MAX_START_LEAD_MS: u64 = 365 * DAY_MS;
/// `endTime` must be at most this far after creation (two 365-day years).
pub const MAX_END_LEAD_MS: u64 = 2 * 365 * DAY_MS;
/// `endTime` must be at least this far after `startTime` (30 minutes).
pub const MIN_SPAN_MS: u64 = 30 * MINUTE_MS;
/// `endTime` must be at most this far after `startTime` (two 365-day years).
pub const MAX_SPAN_MS: u64 = 2 * 365 * DAY_MS;

impl Schedule {
    /// Check AWS's limits for a job created at `created_at` (Unix ms): start between 30
    /// minutes and a year after creation, end between 30 minutes and two years after the
    /// start, end between 30 minutes and two years after creation, a start whenever there
    /// are windows, window durations 1..=1430 minutes.
    ///
    /// Does not check that windows ever open between start and end.
    ///
    /// # Errors
    /// The first rule broken, in the order above; window errors come as
    /// [`ScheduleError::Field`] with the window's index.
    pub fn validate(&self, created_at: u64) -> Result<(), ScheduleError> {
        let earliest = created_at.saturating_add(MIN_LEAD_MS);
        if let Some(start) = self.start {
            if start < earliest {
                return Err(ScheduleError::StartTooSoon { start, earliest });
            }
            let latest = created_at.saturating_add(MAX_START_LEAD_MS);
            if start > latest {
                return Err(ScheduleError::StartTooLate { start, latest });
            }
        }
        if let (Some(start), Some(end)) = (self.start, self.end) {
            if end < start.saturating_add(MIN_SPAN_MS) {
                return Err(ScheduleError::SpanTooShort { start, end });
            }
            if end - start > MAX_SPAN_MS {
                return Err(ScheduleError::SpanTooLong { start, end });
            }
        }
        if let Some(end) = self.end {
            if end < earliest {
                return Err(ScheduleError::EndTooSoon { end, earliest });
            }
            let latest = created_at.saturating_add(MAX_END_LEAD_MS);
            if end > latest {
                return Err(ScheduleError::EndTooLate { end, latest });
            }
        }
        if !self.windows.is_empty() && self.start.is_none() {
            return Err(ScheduleError::WindowsWithoutStart);
        }
        for (i, w) in self.windows.iter().enumerate() {
            check_duration(w.duration_minutes)
                .map_err(|e| e.at(ConfigField::MaintenanceWindow(i)))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::cron::Cron;
    use crate::schedule::window::MaintenanceWindow;
    use std::boxed::Box;
    use std::vec;

    const CREATED: u64 = 1_717_200_000_000; // 2024-06-01T00:00

    fn schedule(start: Option<u64>, end: Option<u64>) -> Schedule {
        Schedule {
            start,
            end,
            ..Schedule::default()
        }
    }

    fn at(offset: u64) -> Option<u64> {
        Some(CREATED + offset)
    }

    #[test]
    fn no_times_no_windows_is_valid() {
        assert_eq!(Schedule::default().validate(CREATED), Ok(()));
    }

    #[test]
    fn start_lead() {
        assert_eq!(schedule(at(MIN_LEAD_MS), None).validate(CREATED), Ok(()));
        assert_eq!(
            schedule(at(MAX_START_LEAD_MS), None).validate(CREATED),
            Ok(())
        );
        assert_eq!(
            schedule(at(MIN_LEAD_MS - 1), None).validate(CREATED),
            Err(ScheduleError::StartTooSoon {
                start: CREATED + MIN_LEAD_MS - 1,
                earliest: CREATED + MIN_LEAD_MS
            })
        );
        assert!(matches!(
            schedule(Some(0), None).validate(CREATED),
            Err(ScheduleError::StartTooSoon { .. })
        ));
        assert_eq!(
            schedule(at(MAX_START_LEAD_MS + 1), None).validate(CREATED),
            Err(ScheduleError::StartTooLate {
                start: CREATED + MAX_START_LEAD_MS + 1,
                latest: CREATED + MAX_START_LEAD_MS
            })
        );
    }

    #[test]
    fn end_lead() {
        assert_eq!(schedule(None, at(MIN_LEAD_MS)).validate(CREATED), Ok(()));
        assert_eq!(
            schedule(None, at(MAX_END_LEAD_MS)).validate(CREATED),
            Ok(())
        );
        assert!(matches!(
            schedule(None, at(MIN_LEAD_MS - 1)).validate(CREATED),
            Err(ScheduleError::EndTooSoon { .. })
        ));
        assert!(matches!(
            schedule(None, at(MAX_END_LEAD_MS + 1)).validate(CREATED),
            Err(ScheduleError::EndTooLate { .. })
        ));
    }

    #[test]
    fn span_between_start_and_end() {
        let start = MIN_LEAD_MS;
        assert_eq!(
            schedule(at(start), at(start + MIN_SPAN_MS)).validate(CREATED),
            Ok(())
        );
        assert_eq!(
            schedule(at(start), at(start + MIN_SPAN_MS - 1)).validate(CREATED),
            Err(ScheduleError::SpanTooShort {
                start: CREATED + start,
                end: CREATED + start + MIN_SPAN_MS - 1
            })
        );
        assert!(matches!(
            schedule(at(2 * MIN_LEAD_MS), at(MIN_LEAD_MS)).validate(CREATED),
            Err(ScheduleError::SpanTooShort { .. })
        ));
        assert_eq!(
            schedule(at(MAX_START_LEAD_MS), at(MAX_END_LEAD_MS)).validate(CREATED),
            Ok(())
        );
    }

    #[test]
    fn span_longer_than_two_years_is_refused() {
        let start = MIN_LEAD_MS;
        assert_eq!(
            schedule(at(start), at(start + MAX_SPAN_MS + 1)).validate(CREATED),
            Err(ScheduleError::SpanTooLong {
                start: CREATED + start,
                end: CREATED + start + MAX_SPAN_MS + 1
            })
        );
        // Within two years of the start but not of creation.
        assert!(matches!(
            schedule(at(MAX_START_LEAD_MS), at(MAX_END_LEAD_MS + 1)).validate(CREATED),
            Err(ScheduleError::EndTooLate { .. })
        ));
    }

    #[test]
    fn windows_need_a_start_and_a_duration_in_range() {
        let w = |minutes| MaintenanceWindow {
            start: Cron::parse("cron(0 2 * * ? *)").unwrap(),
            duration_minutes: minutes,
        };
        let with = |start, windows| Schedule {
            start,
            windows,
            ..Schedule::default()
        };
        assert_eq!(
            with(None, vec![w(60)]).validate(CREATED),
            Err(ScheduleError::WindowsWithoutStart)
        );
        assert_eq!(
            with(at(MIN_LEAD_MS), vec![w(60), w(1430)]).validate(CREATED),
            Ok(())
        );
        assert_eq!(
            with(at(MIN_LEAD_MS), vec![w(60), w(1431)]).validate(CREATED),
            Err(ScheduleError::Field {
                field: ConfigField::MaintenanceWindow(1),
                source: Box::new(ScheduleError::WindowDuration { minutes: 1431 })
            })
        );
        assert!(with(at(MIN_LEAD_MS), vec![w(0)]).validate(CREATED).is_err());
    }
}
