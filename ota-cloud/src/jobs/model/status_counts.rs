//! [`StatusCounts`]: one count per execution status, and the sums taken over them.

use core::ops::{AddAssign, Index, IndexMut};

use ota_core::jobs::JobExecutionStatus::{self, *};

/// One count per [`JobExecutionStatus`], indexed by the status (`counts[Succeeded] += 1`).
///
/// What is counted is the container's business: things by the status of their latest
/// execution ([`super::JobProcessDetails`]), or attempts by how they ended
/// ([`super::AttemptCounts`]). Knows no total of its own and checks no transition. Sums
/// saturate; indexing arithmetic (`+=`, `-=`) is plain `u64` arithmetic. No serde impl of its
/// own: a container picks its JSON names with [`super::AsFields`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct StatusCounts([u64; 8]);

/// The position of `status` in the array.
const fn slot(status: JobExecutionStatus) -> usize {
    match status {
        Queued => 0,
        InProgress => 1,
        Succeeded => 2,
        Failed => 3,
        TimedOut => 4,
        Rejected => 5,
        Removed => 6,
        Canceled => 7,
    }
}

impl StatusCounts {
    /// Every status with its count, in [`JobExecutionStatus::ALL`]'s order.
    pub fn iter(&self) -> impl Iterator<Item = (JobExecutionStatus, u64)> + '_ {
        JobExecutionStatus::ALL.into_iter().map(|s| (s, self[s]))
    }

    /// The saturating sum of the counts of `statuses` (a status listed twice counts twice).
    pub fn sum_of(&self, statuses: &[JobExecutionStatus]) -> u64 {
        statuses
            .iter()
            .fold(0, |sum: u64, &s| sum.saturating_add(self[s]))
    }

    /// `FAILED` + `REJECTED` + `TIMED_OUT`.
    pub fn failures(&self) -> u64 {
        self.sum_of(&[Failed, Rejected, TimedOut])
    }

    /// `SUCCEEDED` + [`Self::failures`]: what ended with an outcome. `CANCELED` and `REMOVED`
    /// are not outcomes (the execution was withdrawn, not attempted to its end).
    pub fn outcomes(&self) -> u64 {
        self.sum_of(&[Succeeded, Failed, Rejected, TimedOut])
    }

    /// Every terminal status ([`JobExecutionStatus::is_terminal`]): the outcomes plus
    /// `CANCELED` and `REMOVED`.
    pub fn terminal(&self) -> u64 {
        self.sum_of(&[Succeeded, Failed, Rejected, TimedOut, Canceled, Removed])
    }

    /// `QUEUED` + `IN_PROGRESS`.
    pub fn in_flight(&self) -> u64 {
        self.sum_of(&[Queued, InProgress])
    }

    /// Every status.
    pub fn total(&self) -> u64 {
        self.sum_of(&JobExecutionStatus::ALL)
    }
}

impl Index<JobExecutionStatus> for StatusCounts {
    type Output = u64;

    fn index(&self, status: JobExecutionStatus) -> &u64 {
        &self.0[slot(status)]
    }
}

impl IndexMut<JobExecutionStatus> for StatusCounts {
    fn index_mut(&mut self, status: JobExecutionStatus) -> &mut u64 {
        &mut self.0[slot(status)]
    }
}

/// Adds the other counts, status by status (saturating).
impl AddAssign<&Self> for StatusCounts {
    fn add_assign(&mut self, other: &Self) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine = mine.saturating_add(theirs);
        }
    }
}

/// Counts from `(status, count)` pairs; a status listed twice adds up (saturating).
impl FromIterator<(JobExecutionStatus, u64)> for StatusCounts {
    fn from_iter<I: IntoIterator<Item = (JobExecutionStatus, u64)>>(pairs: I) -> Self {
        let mut counts = Self::default();
        for (status, n) in pairs {
            counts[status] = counts[status].saturating_add(n);
        }
        counts
    }
}

/// Counts from `(status, count)` pairs, the statuses not listed zero.
impl<const N: usize> From<[(JobExecutionStatus, u64); N]> for StatusCounts {
    fn from(pairs: [(JobExecutionStatus, u64); N]) -> Self {
        pairs.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Status `k` of `ALL` counted `10^k` times, so every sum names its statuses.
    fn powers_of_ten() -> StatusCounts {
        JobExecutionStatus::ALL
            .into_iter()
            .zip(0..)
            .map(|(s, k)| (s, 10u64.pow(k)))
            .collect()
    }

    #[test]
    fn each_status_has_its_own_count() {
        let counts = powers_of_ten();
        for (k, status) in (0..).zip(JobExecutionStatus::ALL) {
            assert_eq!(counts[status], 10u64.pow(k), "{status}");
        }
        assert_eq!(counts.iter().map(|(_, n)| n).sum::<u64>(), 11_111_111);
    }

    #[test]
    fn sums_name_their_statuses() {
        let c = powers_of_ten();
        // ALL: QUEUED 1, IN_PROGRESS 10, SUCCEEDED 100, FAILED 1e3, TIMED_OUT 1e4,
        // REJECTED 1e5, REMOVED 1e6, CANCELED 1e7.
        assert_eq!(c.failures(), 111_000);
        assert_eq!(c.outcomes(), 111_100);
        assert_eq!(c.terminal(), 11_111_100);
        assert_eq!(c.in_flight(), 11);
        assert_eq!(c.total(), 11_111_111);
        let terminal: Vec<_> = JobExecutionStatus::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(c.sum_of(&terminal), c.terminal());
    }

    #[test]
    fn sums_and_additions_saturate() {
        let mut c = StatusCounts::from([(Failed, u64::MAX), (Rejected, 1)]);
        assert_eq!(c.failures(), u64::MAX);
        c += &StatusCounts::from([(Failed, 5), (Queued, 2)]);
        assert_eq!((c[Failed], c[Queued]), (u64::MAX, 2));
    }

    #[test]
    fn pairs_add_up_and_index_writes_one_status() {
        let mut c = StatusCounts::from([(Queued, 2), (Queued, 3)]);
        c[InProgress] += 1;
        c[Queued] -= 1;
        assert_eq!(c, StatusCounts::from([(Queued, 4), (InProgress, 1)]));
    }
}
