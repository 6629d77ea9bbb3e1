//! A stage's exit gate ([`Gate`]) and its judgement over the stage's counts
//! ([`Gate::evaluate`]), a pure function: what the campaign decides, and what a dry run can
//! ask ("what if 3 of 20 fail?").

use ota_core::jobs::JobExecutionStatus;
use serde::{Deserialize, Serialize};

use super::percent::Percent;
use crate::jobs::model::{AsFields, Comparator, JobProcessDetails, StatusCounts, StatusNames};

/// What a threshold's percentage is taken over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GateDenominator {
    /// Devices with a terminal status (succeeded or failed): early judgement, the default.
    #[default]
    Terminal,
    /// Every device of the stage (minus cancelled and removed ones): hawkBit's reading, slow
    /// to fail large stages.
    StageTotal,
}

/// A stage's exit gate. Fields left out of its JSON take the [`Default`]'s values.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Gate {
    /// Devices with a terminal status before the thresholds are judged.
    pub min_sample: u32,
    /// Succeeded share needed to pass; `None`: every device terminal, whatever the outcome.
    pub success_threshold: Option<Percent>,
    /// Failed share that fails the gate; `None`: never on failures alone.
    pub failure_threshold: Option<Percent>,
    /// What the shares are taken over.
    pub denominator: GateDenominator,
    /// `≥` (the default) or `>` against both thresholds.
    pub comparator: Comparator,
    /// Milliseconds to wait once the success condition holds, failures still watched.
    pub soak_ms: u64,
    /// Whether an operator must approve after the soak.
    pub manual_approval: bool,
}

impl Default for Gate {
    /// Min sample 1, no thresholds (wait for every device), terminal denominator, `≥`, no
    /// soak, no approval: a gate that only waits. Set thresholds for a gate that judges.
    fn default() -> Self {
        Self {
            min_sample: 1,
            success_threshold: None,
            failure_threshold: None,
            denominator: GateDenominator::Terminal,
            comparator: Comparator::AtLeast,
            soak_ms: 0,
            manual_approval: false,
        }
    }
}

/// A stage's devices by the status of their latest execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StageCounts {
    /// Devices in the stage.
    pub total: u64,
    /// Devices by the status of their latest execution (a retry pending counts as `QUEUED`);
    /// devices not notified yet count nowhere.
    #[serde(flatten, with = "AsFields::<StageCountNames>")]
    pub by_status: StatusCounts,
}

/// [`StageCounts`]' fields after `total`, in their order.
struct StageCountNames;

impl StatusNames for StageCountNames {
    const NAMES: &'static [(JobExecutionStatus, &'static str)] = &[
        (JobExecutionStatus::Queued, "queued"),
        (JobExecutionStatus::InProgress, "inProgress"),
        (JobExecutionStatus::Succeeded, "succeeded"),
        (JobExecutionStatus::Failed, "failed"),
        (JobExecutionStatus::Rejected, "rejected"),
        (JobExecutionStatus::TimedOut, "timedOut"),
        (JobExecutionStatus::Canceled, "canceled"),
        (JobExecutionStatus::Removed, "removed"),
    ];
}

impl StageCounts {
    /// Counts of a stage of `total` devices from its job's `jobProcessDetails`.
    pub fn from_details(total: u64, d: &JobProcessDetails) -> Self {
        Self {
            total,
            by_status: d.by_status,
        }
    }

    /// `FAILED` + `REJECTED` + `TIMED_OUT`.
    pub fn failures(&self) -> u64 {
        self.by_status.failures()
    }

    /// Succeeded or failed ([`StatusCounts::outcomes`]: `CANCELED` and `REMOVED` devices are
    /// not counted).
    pub fn terminal(&self) -> u64 {
        self.by_status.outcomes()
    }

    /// Devices still to finish: not notified yet, `QUEUED` or `IN_PROGRESS`.
    pub fn pending(&self) -> u64 {
        self.effective_total().saturating_sub(self.terminal())
    }

    /// The total minus `CANCELED` and `REMOVED` devices.
    pub fn effective_total(&self) -> u64 {
        self.total.saturating_sub(
            self.by_status
                .sum_of(&[JobExecutionStatus::Canceled, JobExecutionStatus::Removed]),
        )
    }
}

/// Why a gate failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum GateFailure {
    /// Failures reached the failure threshold.
    #[error("{failures} of {denominator} failed, threshold {threshold}")]
    FailureThreshold {
        /// Failed devices.
        failures: u64,
        /// What the share was taken over.
        denominator: u64,
        /// The threshold.
        threshold: Percent,
    },
    /// The success threshold can no longer be reached.
    #[error("at most {best} of {denominator} can succeed, threshold {threshold}")]
    SuccessUnreachable {
        /// Devices that could still end up succeeded.
        best: u64,
        /// The effective stage total.
        denominator: u64,
        /// The threshold.
        threshold: Percent,
    },
    /// Every device was cancelled or removed: nothing to judge.
    #[error("no device of the stage was attempted")]
    NothingAttempted,
    /// The stage's job was deleted outside the campaign.
    #[error("job {job_id} was deleted outside the campaign")]
    JobDeleted {
        /// The job.
        job_id: String,
    },
    /// An operator stopped the campaign ([`super::Campaign::stop`]).
    #[error("stopped by {by}: {reason}")]
    Stopped {
        /// Who.
        by: String,
        /// Why.
        reason: String,
    },
    /// The stage's job was cancelled by someone else (an operator, an AWS abort config).
    #[error("job {job_id} was cancelled outside the campaign ({reason_code:?})")]
    JobCanceled {
        /// The job.
        job_id: String,
        /// Its `reasonCode`.
        reason_code: Option<String>,
    },
}

/// A gate's judgement of a stage's counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Too few terminal devices to judge.
    Sampling {
        /// Terminal so far.
        terminal: u64,
        /// Needed.
        needed: u64,
    },
    /// Judged: not failed, success not met (yet).
    Holding,
    /// The success condition holds (soak and approval may still be due).
    Succeeding,
    /// Failed.
    Failed(GateFailure),
}

impl Gate {
    /// Judge `counts`. Does not look at time, soak or approval.
    ///
    /// Counting (AWS IoT Jobs counts things by their latest execution, so a thing with a retry
    /// pending counts as `QUEUED`, not `FAILED`):
    /// - *failures* are `FAILED` + `REJECTED` + `TIMED_OUT`;
    /// - *terminal* is `SUCCEEDED` + failures: `CANCELED` and `REMOVED` things were not attempted
    ///   and count nowhere (rollout-semantics §16);
    /// - the *effective total* is the stage's devices minus `CANCELED` and `REMOVED` ones.
    ///
    /// Judgement, in this order:
    /// 1. **Success unreachable**: with a success threshold, if even every pending device
    ///    succeeding could not reach it (`effective total − failures` against the effective
    ///    total), the gate fails. This is certain, so it does not wait for `min_sample`.
    /// 2. **Sample**: fewer than `min(min_sample, effective total)` terminal devices: no judgement
    ///    (a stage smaller than `min_sample` is judged once all of it is terminal).
    /// 3. **Failure threshold**: failures over the denominator against the threshold.
    /// 4. **Success**: succeeded over the denominator against the success threshold; without a
    ///    success threshold, success means every device is terminal.
    ///
    /// The denominator is the terminal count or the effective stage total; the comparator
    /// (`≥` or `>`) applies to both thresholds. Soak and manual approval come after success and
    /// are the campaign's business ([`crate::campaign`]).
    pub fn evaluate(&self, counts: &StageCounts) -> Verdict {
        let failures = counts.failures();
        let terminal = counts.terminal();
        let effective = counts.effective_total();
        if let Some(threshold) = self.success_threshold
            && effective > 0
        {
            let best = effective.saturating_sub(failures);
            if !self.holds(threshold, best, effective) {
                return Verdict::Failed(GateFailure::SuccessUnreachable {
                    best,
                    denominator: effective,
                    threshold,
                });
            }
        }
        let needed = u64::from(self.min_sample).min(effective);
        if terminal == 0 || terminal < needed {
            if terminal == 0 && counts.pending() == 0 {
                return Verdict::Failed(GateFailure::NothingAttempted);
            }
            return Verdict::Sampling { terminal, needed };
        }
        let denominator = match self.denominator {
            GateDenominator::Terminal => terminal,
            GateDenominator::StageTotal => effective,
        };
        if let Some(threshold) = self.failure_threshold
            && self.holds(threshold, failures, denominator)
        {
            return Verdict::Failed(GateFailure::FailureThreshold {
                failures,
                denominator,
                threshold,
            });
        }
        let success = match self.success_threshold {
            Some(threshold) => self.holds(
                threshold,
                counts.by_status[JobExecutionStatus::Succeeded],
                denominator,
            ),
            None => counts.pending() == 0,
        };
        if success {
            Verdict::Succeeding
        } else {
            Verdict::Holding
        }
    }

    /// Whether `part / whole` meets `threshold` under the comparator.
    fn holds(&self, threshold: Percent, part: u64, whole: u64) -> bool {
        let order = threshold.compare_ratio(part, whole);
        match self.comparator {
            Comparator::AtLeast => order.is_ge(),
            Comparator::Exceeds => order.is_gt(),
        }
    }

    /// Why this gate is unusable, if it is: thresholds above 100 %, a failure threshold
    /// that always fires (`≥ 0 %`), a success threshold that never can (`> 100 %`).
    pub(crate) fn problem(&self) -> Option<&'static str> {
        let valid = |p: Option<Percent>| p.is_none_or(Percent::is_valid);
        if !valid(self.success_threshold) || !valid(self.failure_threshold) {
            return Some("a threshold is above 100%");
        }
        let at_least = self.comparator == Comparator::AtLeast;
        if at_least && self.failure_threshold == Some(Percent::whole(0)) {
            return Some("a failure threshold of at least 0% always fails");
        }
        if !at_least && self.success_threshold == Some(Percent::ALL) {
            return Some("a success share exceeding 100% is unreachable");
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use ota_core::jobs::JobExecutionStatus::{Canceled, Failed, Queued, Removed, Succeeded};

    use super::*;

    fn counts(total: u64, succeeded: u64, failed: u64) -> StageCounts {
        StageCounts {
            total,
            by_status: StatusCounts::from([(Succeeded, succeeded), (Failed, failed)]),
        }
    }

    fn gate(min_sample: u32, success: Option<u32>, failure: Option<u32>) -> Gate {
        Gate {
            min_sample,
            success_threshold: success.map(Percent::whole),
            failure_threshold: failure.map(Percent::whole),
            ..Gate::default()
        }
    }

    #[test]
    fn min_sample_holds_judgement_until_enough_are_terminal() {
        let g = gate(5, None, Some(10));
        assert_eq!(
            g.evaluate(&counts(100, 0, 4)),
            Verdict::Sampling {
                terminal: 4,
                needed: 5
            }
        );
        assert!(matches!(
            g.evaluate(&counts(100, 1, 4)),
            Verdict::Failed(GateFailure::FailureThreshold { failures: 4, .. })
        ));
    }

    #[test]
    fn small_stages_are_judged_once_complete() {
        let g = gate(20, Some(90), None);
        assert!(matches!(
            g.evaluate(&counts(3, 2, 0)),
            Verdict::Sampling { .. }
        ));
        assert_eq!(g.evaluate(&counts(3, 3, 0)), Verdict::Succeeding);
    }

    #[test]
    fn comparator_decides_the_boundary() {
        // Exactly 10 % failed.
        let c = counts(100, 9, 1);
        let mut g = gate(10, None, Some(10));
        assert!(matches!(g.evaluate(&c), Verdict::Failed(_)), ">= fires");
        g.comparator = Comparator::Exceeds;
        assert_eq!(g.evaluate(&c), Verdict::Holding, "> does not");
        // Exactly 90 % succeeded.
        let mut g = gate(10, Some(90), None);
        assert_eq!(g.evaluate(&counts(10, 9, 1)), Verdict::Succeeding);
        g.comparator = Comparator::Exceeds;
        assert!(
            matches!(
                g.evaluate(&counts(10, 9, 1)),
                Verdict::Failed(GateFailure::SuccessUnreachable { best: 9, .. })
            ),
            "> 90 % of 10 needs all 10"
        );
    }

    #[test]
    fn denominator_changes_how_early_failures_count() {
        // 3 failed of the first 10 reports in a stage of 100.
        let c = counts(100, 7, 3);
        let mut g = gate(10, None, Some(20));
        assert!(
            matches!(g.evaluate(&c), Verdict::Failed(_)),
            "30 % of terminal"
        );
        g.denominator = GateDenominator::StageTotal;
        assert_eq!(g.evaluate(&c), Verdict::Holding, "3 % of the stage");
        // Success over the stage total needs the devices to report.
        let mut g = gate(1, Some(50), None);
        assert_eq!(g.evaluate(&counts(100, 10, 0)), Verdict::Succeeding);
        g.denominator = GateDenominator::StageTotal;
        assert_eq!(g.evaluate(&counts(100, 10, 0)), Verdict::Holding);
        assert_eq!(g.evaluate(&counts(100, 50, 0)), Verdict::Succeeding);
    }

    #[test]
    fn unreachable_success_fails_without_waiting_for_the_sample() {
        let g = gate(50, Some(95), None);
        assert!(matches!(
            g.evaluate(&counts(20, 0, 2)),
            Verdict::Failed(GateFailure::SuccessUnreachable {
                best: 18,
                denominator: 20,
                ..
            })
        ));
        assert!(matches!(
            g.evaluate(&counts(20, 0, 1)),
            Verdict::Sampling { .. }
        ));
    }

    #[test]
    fn without_success_threshold_success_is_completion() {
        let g = gate(1, None, Some(50));
        assert_eq!(g.evaluate(&counts(4, 2, 1)), Verdict::Holding);
        assert_eq!(g.evaluate(&counts(4, 3, 1)), Verdict::Succeeding);
    }

    #[test]
    fn cancelled_and_removed_devices_count_nowhere() {
        let g = gate(1, Some(100), None);
        let c = StageCounts {
            total: 4,
            by_status: StatusCounts::from([(Succeeded, 2), (Canceled, 1), (Removed, 1)]),
        };
        assert_eq!(c.effective_total(), 2);
        assert_eq!(g.evaluate(&c), Verdict::Succeeding);
        let nobody = StageCounts {
            total: 4,
            by_status: StatusCounts::from([(Canceled, 2), (Removed, 2)]),
        };
        assert_eq!(
            g.evaluate(&nobody),
            Verdict::Failed(GateFailure::NothingAttempted)
        );
    }

    #[test]
    fn retried_things_are_not_failures_yet() {
        let details = JobProcessDetails {
            by_status: StatusCounts::from([(Queued, 1), (Succeeded, 9)]),
            ..JobProcessDetails::default()
        };
        let c = StageCounts::from_details(10, &details);
        assert_eq!((c.failures(), c.pending()), (0, 1));
        assert_eq!(gate(1, None, None).evaluate(&c), Verdict::Holding);
    }

    proptest::proptest! {
        #[test]
        fn judgement_never_panics_and_is_consistent(
            total: u64,
            counts in proptest::array::uniform8(proptest::prelude::any::<u64>()),
            min_sample: u32,
            success in proptest::option::of(0u32..=10_000),
            failure in proptest::option::of(0u32..=10_000),
            stage_total: bool,
            exceeds: bool,
        ) {
            let by_status = JobExecutionStatus::ALL.into_iter().zip(counts).collect();
            let c = StageCounts { total, by_status };
            let g = Gate {
                min_sample,
                success_threshold: success.map(Percent::from_hundredths),
                failure_threshold: failure.map(Percent::from_hundredths),
                denominator: if stage_total { GateDenominator::StageTotal } else { GateDenominator::Terminal },
                comparator: if exceeds { Comparator::Exceeds } else { Comparator::AtLeast },
                ..Gate::default()
            };
            match g.evaluate(&c) {
                Verdict::Failed(GateFailure::FailureThreshold { failures, .. }) => {
                    proptest::prop_assert!(failures > 0 || (failure == Some(0) && !exceeds));
                }
                Verdict::Succeeding => proptest::prop_assert!(c.terminal() > 0),
                _ => {}
            }
        }
    }

    #[test]
    fn unusable_gates_are_named() {
        assert!(gate(1, None, Some(0)).problem().is_some());
        assert!(gate(1, Some(101), None).problem().is_some());
        let mut g = gate(1, Some(100), None);
        assert!(g.problem().is_none());
        g.comparator = Comparator::Exceeds;
        assert!(g.problem().is_some());
        g.success_threshold = None;
        g.failure_threshold = Some(Percent::whole(0));
        assert!(g.problem().is_none(), "> 0 % fails on the first failure");
    }

    #[test]
    fn stage_counts_keep_their_json() {
        let c = StageCounts {
            total: 9,
            by_status: JobExecutionStatus::ALL.into_iter().zip(1..).collect(),
        };
        let json = concat!(
            r#"{"total":9,"queued":1,"inProgress":2,"succeeded":3,"failed":4,"rejected":6,"#,
            r#""timedOut":5,"canceled":8,"removed":7}"#
        );
        assert_eq!(serde_json::to_string(&c).unwrap(), json);
        assert_eq!(serde_json::from_str::<StageCounts>(json).unwrap(), c);
    }
}
