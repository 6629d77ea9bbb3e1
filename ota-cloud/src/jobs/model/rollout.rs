//! How a job reaches its targets: rollout rate, abort criteria, timeouts, retries.
//!
//! Field names are AWS's (`jobExecutionsRolloutConfig`, `abortConfig`, …). Settings AWS does
//! not have are marked *extension*; they are not lowered to AWS.

use serde::{Deserialize, Serialize};

/// `jobExecutionsRolloutConfig`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutConfig {
    /// Things notified per minute, 1..=1000.
    pub maximum_per_minute: Option<u32>,
    /// An exponential ramp.
    pub exponential_rate: Option<ExponentialRate>,
    /// *Extension*: at most this many executions QUEUED or IN_PROGRESS at once.
    pub maximum_in_flight: Option<u32>,
}

impl RolloutConfig {
    /// At most `rate` things notified a minute; no ramp, no in-flight cap. Does not check
    /// the rate (`CreateJob` does).
    pub fn per_minute(rate: u32) -> Self {
        Self {
            maximum_per_minute: Some(rate),
            ..Self::default()
        }
    }

    /// This configuration with the ramp `rate`.
    #[must_use]
    pub fn with_ramp(mut self, rate: ExponentialRate) -> Self {
        self.exponential_rate = Some(rate);
        self
    }

    /// This configuration with at most `n` executions `QUEUED` or `IN_PROGRESS` at once.
    #[must_use]
    pub fn with_max_in_flight(mut self, n: u32) -> Self {
        self.maximum_in_flight = Some(n);
        self
    }
}

/// `exponentialRate`: `rate(k) = base × factor^k`, the k-th increase when the cumulative
/// notified count reaches `k × numberOfNotifiedThings` or the succeeded count reaches
/// `k × numberOfSucceededThings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExponentialRate {
    /// Starting rate per minute, 1..=1000.
    pub base_rate_per_minute: u32,
    /// Factor, 1.1..=5.0 with one decimal.
    pub increment_factor: f64,
    /// When to increase.
    pub rate_increase_criteria: RateIncreaseCriteria,
}

impl ExponentialRate {
    /// `base` things a minute, times `factor` after each `notified` more things notified.
    pub fn per_notified(base: u32, factor: f64, notified: u32) -> Self {
        Self {
            base_rate_per_minute: base,
            increment_factor: factor,
            rate_increase_criteria: RateIncreaseCriteria {
                number_of_notified_things: Some(notified),
                number_of_succeeded_things: None,
            },
        }
    }

    /// `base` things a minute, times `factor` after each `succeeded` more things succeeded.
    pub fn per_succeeded(base: u32, factor: f64, succeeded: u32) -> Self {
        Self {
            base_rate_per_minute: base,
            increment_factor: factor,
            rate_increase_criteria: RateIncreaseCriteria {
                number_of_notified_things: None,
                number_of_succeeded_things: Some(succeeded),
            },
        }
    }
}

/// `rateIncreaseCriteria`: at least one of the two.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateIncreaseCriteria {
    /// Increase after each this many more things notified.
    pub number_of_notified_things: Option<u32>,
    /// Increase after each this many more things succeeded.
    pub number_of_succeeded_things: Option<u32>,
}

/// Which terminal statuses a criterion counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FailureType {
    /// `FAILED`.
    Failed,
    /// `REJECTED` (abort only).
    Rejected,
    /// `TIMED_OUT`.
    TimedOut,
    /// All of them.
    All,
}

/// `abortConfig`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AbortConfig {
    /// Independent criteria; any one firing aborts the job.
    pub criteria_list: Vec<AbortCriteria>,
}

/// The only abort action AWS has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AbortAction {
    /// Cancel the job and its `QUEUED` executions.
    #[default]
    Cancel,
}

/// *Extension*: what the failure percentage of an abort criterion is taken over (AWS does
/// not say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Denominator {
    /// Executions that reached a terminal status (MiniStack's reading), the default.
    #[default]
    Terminal,
    /// Things notified so far.
    Notified,
    /// All targets of the job.
    Total,
}

/// *Extension*: how the failure percentage is compared with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Comparator {
    /// `percentage >= threshold` (AWS's "minimum percentage … that must occur"), the default.
    #[default]
    AtLeast,
    /// `percentage > threshold` (the Greengrass wording, "exceeds").
    Exceeds,
}

/// One abort criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AbortCriteria {
    /// Which failures count.
    pub failure_type: FailureType,
    /// Always `CANCEL`.
    #[serde(default)]
    pub action: AbortAction,
    /// Percentage, 0..=100 with two decimals.
    pub threshold_percentage: f64,
    /// Things that must have been notified before the job can be aborted (at least 1).
    pub min_number_of_executed_things: u32,
    /// *Extension*.
    #[serde(default)]
    pub denominator: Denominator,
    /// *Extension*.
    #[serde(default)]
    pub comparator: Comparator,
}

/// `timeoutConfig`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeoutConfig {
    /// Minutes an execution may stay `IN_PROGRESS`, 1..=10080.
    pub in_progress_timeout_in_minutes: Option<u32>,
}

impl TimeoutConfig {
    /// Executions time out after `minutes` `IN_PROGRESS`.
    pub fn in_progress(minutes: u32) -> Self {
        Self {
            in_progress_timeout_in_minutes: Some(minutes),
        }
    }
}

/// Which failures a retry criterion retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RetryFailureType {
    /// `FAILED`.
    Failed,
    /// `TIMED_OUT`.
    TimedOut,
    /// Both.
    All,
}

/// `jobExecutionsRetryConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryConfig {
    /// 1 or 2 criteria.
    pub criteria_list: Vec<RetryCriteria>,
}

/// One retry criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryCriteria {
    /// Which failures.
    pub failure_type: RetryFailureType,
    /// Retries, 0..=10 (at most 10 per device over both types).
    pub number_of_retries: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_write_awss_json() {
        let rollout = RolloutConfig::per_minute(1000)
            .with_ramp(ExponentialRate::per_notified(50, 2.0, 1000))
            .with_max_in_flight(7);
        assert_eq!(
            serde_json::to_string(&rollout).unwrap(),
            concat!(
                r#"{"maximumPerMinute":1000,"exponentialRate":{"baseRatePerMinute":50,"#,
                r#""incrementFactor":2.0,"rateIncreaseCriteria":{"numberOfNotifiedThings":1000}},"#,
                r#""maximumInFlight":7}"#
            )
        );
        let succeeded = ExponentialRate::per_succeeded(10, 1.5, 5).rate_increase_criteria;
        assert_eq!(
            (
                succeeded.number_of_notified_things,
                succeeded.number_of_succeeded_things
            ),
            (None, Some(5))
        );
    }
}
