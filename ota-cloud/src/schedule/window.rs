//! Recurring maintenance windows: a cron start and a duration.

use super::civil::MINUTE_MS;
use super::cron::Cron;
use super::error::ScheduleError;

/// Shortest maintenance window AWS accepts, in minutes.
pub const MIN_WINDOW_MINUTES: u32 = 1;
/// Longest maintenance window AWS accepts, in minutes (23 h 50 min).
pub const MAX_WINDOW_MINUTES: u32 = 1430;

/// A window that opens at every minute `start` matches and stays open `duration_minutes`.
///
/// Windows may overlap (a window can open before the previous one closes); the window is
/// open while any of them is. The fields are public: [`MaintenanceWindow::new`] checks the
/// duration, a window built by hand with a duration of 0 is never open.
/// Its JSON shape is [`super::MaintenanceWindowConfig`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MaintenanceWindow {
    /// When each window opens.
    pub start: Cron,
    /// How long each window stays open, 1..=1430 minutes.
    pub duration_minutes: u32,
}

impl MaintenanceWindow {
    /// A window opening at the cron expression `start` for `duration_minutes`.
    ///
    /// # Errors
    /// [`ScheduleError::Cron`] for a bad expression, [`ScheduleError::WindowDuration`] for
    /// a duration outside 1..=1430.
    pub fn new(start: &str, duration_minutes: u32) -> Result<Self, ScheduleError> {
        let start = Cron::parse(start)?;
        check_duration(duration_minutes)?;
        Ok(Self {
            start,
            duration_minutes,
        })
    }

    /// The duration in milliseconds.
    pub const fn duration_ms(&self) -> u64 {
        self.duration_minutes as u64 * MINUTE_MS
    }

    /// The start of the latest window that contains `unix_ms`, if any. Of all windows
    /// containing it, that one closes last.
    pub fn current_start(&self, unix_ms: u64) -> Option<u64> {
        let start = self.start.previous_at_or_before(unix_ms)?;
        (unix_ms < start.saturating_add(self.duration_ms())).then_some(start)
    }

    /// Whether some window contains `unix_ms` (start `s` with `s <= unix_ms < s + duration`).
    pub fn is_open(&self, unix_ms: u64) -> bool {
        self.current_start(unix_ms).is_some()
    }

    /// If open at `unix_ms`: when the windows containing it have all closed (the latest
    /// close among them). A window that opens after `unix_ms` but before that close extends
    /// the open time further; this does not look for such windows.
    pub fn open_until(&self, unix_ms: u64) -> Option<u64> {
        self.current_start(unix_ms)
            .map(|s| s.saturating_add(self.duration_ms()))
    }

    /// `unix_ms` if open then, else the next window start after it; `None` if no window
    /// opens before the end of 2199 (or the duration is 0).
    pub fn next_open(&self, unix_ms: u64) -> Option<u64> {
        if self.duration_minutes == 0 {
            return None;
        }
        if self.is_open(unix_ms) {
            Some(unix_ms)
        } else {
            self.start.next_at_or_after(unix_ms)
        }
    }

    /// The next instant after `unix_ms` at which [`MaintenanceWindow::is_open`] may change:
    /// the close given by [`MaintenanceWindow::open_until`] if open, else the next start.
    /// Between `unix_ms` and that instant the window stays open, or stays closed.
    pub fn next_change(&self, unix_ms: u64) -> Option<u64> {
        match self.open_until(unix_ms) {
            Some(close) => Some(close),
            None => self.start.next_at_or_after(unix_ms.checked_add(1)?),
        }
    }
}

/// Check a window duration against 1..=1430 minutes.
pub(crate) const fn check_duration(minutes: u32) -> Result<(), ScheduleError> {
    if minutes >= MIN_WINDOW_MINUTES && minutes <= MAX_WINDOW_MINUTES {
        Ok(())
    } else {
        Err(ScheduleError::WindowDuration { minutes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::time::parse_schedule_time;

    fn ms(text: &str) -> u64 {
        parse_schedule_time(text).unwrap()
    }

    fn window(start: &str, minutes: u32) -> MaintenanceWindow {
        MaintenanceWindow::new(start, minutes).unwrap()
    }

    /// Assert that `answer` is the instant `expected`.
    #[track_caller]
    fn assert_at(answer: Option<u64>, expected: &str) {
        assert_eq!(answer, Some(ms(expected)));
    }

    #[test]
    fn duration_limits() {
        assert!(MaintenanceWindow::new("cron(0 0 * * ? *)", 1).is_ok());
        assert!(MaintenanceWindow::new("cron(0 0 * * ? *)", 1430).is_ok());
        assert_eq!(
            MaintenanceWindow::new("cron(0 0 * * ? *)", 0),
            Err(ScheduleError::WindowDuration { minutes: 0 })
        );
        assert_eq!(
            MaintenanceWindow::new("cron(0 0 * * ? *)", 1431),
            Err(ScheduleError::WindowDuration { minutes: 1431 })
        );
        assert!(matches!(
            MaintenanceWindow::new("cron(0 0 * * * *)", 60),
            Err(ScheduleError::Cron(_))
        ));
    }

    #[test]
    fn crossing_midnight() {
        let w = window("cron(0 23 * * ? *)", 120);
        assert!(!w.is_open(ms("2024-06-03T22:59")));
        assert!(w.is_open(ms("2024-06-03T23:00")));
        assert!(w.is_open(ms("2024-06-04T00:30")));
        assert!(w.is_open(ms("2024-06-04T01:00") - 1));
        assert!(!w.is_open(ms("2024-06-04T01:00")));
        assert_at(w.open_until(ms("2024-06-04T00:30")), "2024-06-04T01:00");
        assert_eq!(w.open_until(ms("2024-06-04T01:00")), None);
        assert_at(w.next_open(ms("2024-06-04T00:30")), "2024-06-04T00:30");
        assert_at(w.next_open(ms("2024-06-04T01:00")), "2024-06-04T23:00");
    }

    #[test]
    fn crossing_month_and_year_ends() {
        let w = window("cron(0 22 L * ? *)", 180);
        assert!(w.is_open(ms("2024-02-29T23:00")));
        assert!(w.is_open(ms("2024-03-01T00:59")));
        assert!(!w.is_open(ms("2024-03-01T01:00")));
        assert_at(w.next_open(ms("2024-03-01T01:00")), "2024-03-31T22:00");
        assert!(w.is_open(ms("2025-01-01T00:00")));
        assert_at(w.open_until(ms("2025-01-01T00:00")), "2025-01-01T01:00");
        let first = window("cron(30 0 1 * ? *)", 60);
        assert!(first.is_open(ms("2024-03-01T01:00")));
        assert!(!first.is_open(ms("2024-02-29T23:59")));
        assert_at(first.next_open(ms("2024-02-29T23:59")), "2024-03-01T00:30");
    }

    #[test]
    fn overlapping_windows_close_last() {
        // Opens at 00:00 and 01:00, two hours each: from 01:00 both are open.
        let w = window("cron(0 0,1 * * ? *)", 120);
        assert_at(w.open_until(ms("2024-06-03T00:30")), "2024-06-03T02:00");
        assert_at(w.open_until(ms("2024-06-03T01:30")), "2024-06-03T03:00");
        assert_at(w.current_start(ms("2024-06-03T01:30")), "2024-06-03T01:00");
        assert!(!w.is_open(ms("2024-06-03T03:00")));
        assert_at(w.next_change(ms("2024-06-03T00:30")), "2024-06-03T02:00");
        assert_at(w.next_change(ms("2024-06-03T03:00")), "2024-06-04T00:00");
        // A window that opens every 30 minutes for an hour never closes.
        let always = window("cron(0/30 * * * ? *)", 60);
        assert!(always.is_open(ms("2024-06-03T00:00")));
        assert!(always.is_open(ms("2024-06-03T12:34") + 5));
    }

    #[test]
    fn next_change_at_boundaries() {
        let w = window("cron(0 10 * * ? *)", 60);
        let open = ms("2024-06-03T10:00");
        assert_eq!(w.next_change(open - 1), Some(open));
        assert_eq!(w.next_change(open), Some(open + 60 * MINUTE_MS));
        assert_eq!(
            w.next_change(open + 60 * MINUTE_MS),
            Some(ms("2024-06-04T10:00"))
        );
        assert_eq!(w.next_change(u64::MAX), None);
    }

    #[test]
    fn hand_built_zero_duration_is_never_open() {
        let w = MaintenanceWindow {
            start: Cron::parse("cron(* * * * ? *)").unwrap(),
            duration_minutes: 0,
        };
        assert!(!w.is_open(ms("2024-06-03T10:00")));
        assert_eq!(w.next_open(0), None);
    }

    #[test]
    fn last_start_of_2199_runs_into_2200() {
        let w = window("cron(0 23 31 12 ? 2199)", 120);
        let inside = ms("2200-01-01T00:30");
        assert!(w.is_open(inside));
        assert_eq!(w.open_until(inside), Some(ms("2200-01-01T01:00")));
        assert_eq!(w.next_open(ms("2200-01-01T01:00")), None);
    }
}
