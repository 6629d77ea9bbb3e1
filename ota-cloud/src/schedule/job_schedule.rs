//! A job's schedule: when its rollout may notify devices, and when that may change.

use std::vec::Vec;

use super::window::MaintenanceWindow;

/// How many window starts DescribeJob lists in `scheduledJobRollouts`.
pub const SCHEDULED_ROLLOUTS: usize = 7;

/// What happens to a scheduled job's executions at its `endTime`.
///
/// The API reference names the values and says no more; by analogy with CancelJob `force`
/// they read as: stop notifying and keep what exists / cancel queued executions / also
/// cancel in-progress ones. Applying them is the engine's business, not this module's.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EndBehavior {
    /// `STOP_ROLLOUT`: no new executions are rolled out. Taken as the default when none is
    /// given (AWS does not say).
    #[default]
    StopRollout,
    /// `CANCEL`: executions not yet started are canceled.
    Cancel,
    /// `FORCE_CANCEL`: in-progress executions are canceled too.
    ForceCancel,
}

/// When a job may roll out: after `start`, before `end`, and inside one of `windows` when
/// there are any. Times are Unix milliseconds (UTC).
///
/// Does not read a clock: every question takes the time. Does not check AWS's limits unless
/// asked ([`Schedule::validate`]). The default admits every instant.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schedule {
    /// `startTime`: the job is `SCHEDULED` before it. `None`: from creation.
    pub start: Option<u64>,
    /// `endTime`: [`Schedule::end_behavior`] applies from it on. `None`: never ends.
    pub end: Option<u64>,
    /// What happens at `end`.
    pub end_behavior: EndBehavior,
    /// Recurring maintenance windows; empty means the rollout is not limited to windows.
    pub windows: Vec<MaintenanceWindow>,
}

impl Schedule {
    /// Whether `unix_ms` is before the start (the job is `SCHEDULED`).
    pub fn is_before_start(&self, unix_ms: u64) -> bool {
        self.start.is_some_and(|s| unix_ms < s)
    }

    /// Whether `unix_ms` is at or after the end.
    pub fn has_ended(&self, unix_ms: u64) -> bool {
        self.end.is_some_and(|e| unix_ms >= e)
    }

    /// Whether the rollout may proceed at `unix_ms`: at or after the start, before the end,
    /// and inside a window when there are windows.
    pub fn admits(&self, unix_ms: u64) -> bool {
        !self.is_before_start(unix_ms)
            && !self.has_ended(unix_ms)
            && (self.windows.is_empty() || self.windows.iter().any(|w| w.is_open(unix_ms)))
    }

    /// The earliest instant at or after `unix_ms` that [`Schedule::admits`]; `None` if there
    /// is none (past the end, or no window opens before the end or before 2200).
    pub fn next_admission(&self, unix_ms: u64) -> Option<u64> {
        let from = unix_ms.max(self.start.unwrap_or(0));
        let at = if self.windows.is_empty() {
            from
        } else {
            self.windows
                .iter()
                .filter_map(|w| w.next_open(from))
                .min()?
        };
        (!self.has_ended(at)).then_some(at)
    }

    /// The next instant after `unix_ms` at which [`Schedule::admits`] may change: the start,
    /// the end, a window opening or closing. `admits` is the same at every instant from
    /// `unix_ms` up to (not including) the returned one; `None` means it never changes again.
    ///
    /// May return an instant at which nothing flips (a window closing while another is open,
    /// the start falling outside any window): set a timer to it and ask again.
    pub fn next_change(&self, unix_ms: u64) -> Option<u64> {
        if self.has_ended(unix_ms) {
            return None;
        }
        if let Some(start) = self.start
            && unix_ms < start
        {
            return Some(start);
        }
        let window = self
            .windows
            .iter()
            .filter_map(|w| w.next_change(unix_ms))
            .min();
        match (window, self.end) {
            (Some(w), Some(end)) => Some(w.min(end)),
            (w, None) => w,
            (None, end) => end,
        }
    }

    /// The next `n` window starts at or after `unix_ms`, in order and without duplicates, as
    /// DescribeJob's `scheduledJobRollouts` lists them (AWS shows [`SCHEDULED_ROLLOUTS`]).
    /// Only starts at or after the schedule's start and before its end count; a window
    /// already open at `unix_ms` (or at the start) is not listed.
    pub fn upcoming_starts(&self, unix_ms: u64, n: usize) -> Vec<u64> {
        let mut starts = Vec::with_capacity(n.min(SCHEDULED_ROLLOUTS));
        let mut from = unix_ms.max(self.start.unwrap_or(0));
        while starts.len() < n {
            let next = self
                .windows
                .iter()
                .filter_map(|w| w.start.next_at_or_after(from))
                .min();
            let Some(start) = next.filter(|s| !self.has_ended(*s)) else {
                break;
            };
            starts.push(start);
            let Some(after) = start.checked_add(1) else {
                break;
            };
            from = after;
        }
        starts
    }
}

#[cfg(test)]
mod tests;
