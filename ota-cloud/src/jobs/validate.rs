//! AWS IoT Jobs quotas and parameter rules, checked up front with precise errors, and the
//! normalised form the engine runs on.

use ota_core::jobs::JobId;

use crate::error::ServiceError;
use crate::jobs::model::{
    AbortCriteria, Comparator, Denominator, FailureType, JobSpec, RetryFailureType, Target,
};
use crate::schedule::Schedule;

/// Longest job document, in bytes (AWS IoT Jobs: 32 KB).
pub const MAX_DOCUMENT_LEN: usize = 32_768;
/// Most targets (thing and group ARNs) per job.
pub const MAX_TARGETS: usize = 100;
/// Highest rollout or cancel rate, things per minute.
pub const MAX_RATE_PER_MINUTE: u32 = 1000;
/// Most retries per device over both failure types.
pub const MAX_RETRIES: u32 = 10;
/// Longest in-progress or step timeout, minutes.
pub const MAX_TIMEOUT_MINUTES: u32 = 10_080;
/// Longest description.
pub const MAX_DESCRIPTION_LEN: usize = 2028;
/// Shortest and longest life of a pre-signed URL, seconds (`presignedUrlConfig.expiresInSec`).
pub const PRESIGNED_MIN_SECS: u32 = 60;
/// See [`PRESIGNED_MIN_SECS`].
pub const PRESIGNED_MAX_SECS: u32 = 3600;
/// What starts a placeholder AWS replaces with a pre-signed S3 URL.
const PRESIGNED_PLACEHOLDER: &str = "${aws:iot:s3-presigned-url:";

/// An abort criterion in exact integer terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Abort {
    pub(crate) failure_type: FailureType,
    /// Threshold in hundredths of a percent (0..=10000).
    pub(crate) threshold_hundredths: u32,
    pub(crate) min_notified: u32,
    pub(crate) denominator: Denominator,
    pub(crate) comparator: Comparator,
}

/// The exponential ramp in exact integer terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ramp {
    pub(crate) base: u32,
    /// The factor in tenths (11..=50).
    pub(crate) factor_tenths: u32,
    pub(crate) per_notified: Option<u32>,
    pub(crate) per_succeeded: Option<u32>,
}

/// A validated job spec with everything the engine needs precomputed.
#[derive(Debug, Clone)]
pub(crate) struct Validated {
    pub(crate) spec: JobSpec,
    pub(crate) max_per_minute: u32,
    pub(crate) ramp: Option<Ramp>,
    pub(crate) max_in_flight: Option<u32>,
    pub(crate) aborts: Vec<Abort>,
    pub(crate) in_progress_timeout_min: Option<u32>,
    /// Retries allowed after `FAILED`, after `TIMED_OUT`, and in total.
    pub(crate) retries_failed: u32,
    pub(crate) retries_timed_out: u32,
    pub(crate) schedule: Option<Schedule>,
}

/// A job document longer than [`MAX_DOCUMENT_LEN`]: `document too long: N bytes, at most
/// 32768`. Every place `ota-cloud` takes a document refuses it with this (the engine's
/// `CreateJob`, [`crate::catalog::Catalog::add`], the CLI's `inspect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("document too long: {len} bytes, at most {max}")]
pub struct DocumentTooLong {
    /// The document's length in bytes.
    pub len: u64,
    /// [`MAX_DOCUMENT_LEN`].
    pub max: usize,
}

/// Check a document's length in bytes against [`MAX_DOCUMENT_LEN`]. Looks at nothing else
/// (not whether it is JSON).
///
/// # Errors
/// [`DocumentTooLong`] above the limit.
pub fn check_document_len(len: u64) -> Result<(), DocumentTooLong> {
    if len > MAX_DOCUMENT_LEN as u64 {
        Err(DocumentTooLong {
            len,
            max: MAX_DOCUMENT_LEN,
        })
    } else {
        Ok(())
    }
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::InvalidRequest(message.into())
}

/// Whether `value` has at most `decimals` decimals; returns it scaled to an integer.
fn scaled(value: f64, decimals: i32) -> Option<u32> {
    let scale = 10f64.powi(decimals);
    let scaled = value * scale;
    let rounded = scaled.round();
    ((scaled - rounded).abs() < 1e-6 && rounded >= 0.0 && rounded <= f64::from(u32::MAX))
        .then_some(rounded as u32)
}

/// Check `spec` against every rule, at time `now` (Unix ms, for schedules). The first rule
/// broken is reported; does not look at the fleet (whether targets exist).
pub(crate) fn validate(spec: JobSpec, now: u64) -> Result<Validated, ServiceError> {
    validate_ids(&spec)?;
    validate_document(&spec)?;
    let rollout = validate_rollout(&spec)?;
    let aborts = spec
        .abort_config
        .as_ref()
        .map(|a| validate_aborts(&a.criteria_list))
        .transpose()?
        .unwrap_or_default();
    let in_progress_timeout_min = validate_timeout(&spec)?;
    let (retries_failed, retries_timed_out) = validate_retries(&spec)?;
    if retries_timed_out > 0 && in_progress_timeout_min.is_none() {
        return Err(invalid(
            "jobExecutionsRetryConfig: retrying TIMED_OUT needs a timeoutConfig",
        ));
    }
    let schedule = validate_schedule(&spec, now)?;
    Ok(Validated {
        max_per_minute: rollout.max_per_minute,
        ramp: rollout.ramp,
        max_in_flight: rollout.max_in_flight,
        aborts,
        in_progress_timeout_min,
        retries_failed,
        retries_timed_out,
        schedule,
        spec,
    })
}

/// The job id, the number of targets and the target thing names (group names are not
/// checked here).
fn validate_ids(spec: &JobSpec) -> Result<(), ServiceError> {
    JobId::new(&spec.job_id).map_err(|e| {
        invalid(format!(
            "jobId {:?}: {e} (1-64 of [a-zA-Z0-9_-])",
            spec.job_id
        ))
    })?;
    if spec.targets.is_empty() {
        return Err(invalid(
            "targets: at least one thing or thing group is required",
        ));
    }
    if spec.targets.len() > MAX_TARGETS {
        return Err(invalid(format!(
            "targets: {} given, at most {MAX_TARGETS}",
            spec.targets.len()
        )));
    }
    for target in &spec.targets {
        if let Target::Thing(name) = target {
            ota_core::jobs::ThingName::new(name)
                .map_err(|e| invalid(format!("target thing {name:?}: {e}")))?;
        }
    }
    Ok(())
}

/// The document (length, and that it is JSON; not what it says) and the description.
fn validate_document(spec: &JobSpec) -> Result<(), ServiceError> {
    check_document_len(spec.document.len() as u64).map_err(|e| invalid(e.to_string()))?;
    serde_json::from_str::<serde::de::IgnoredAny>(&spec.document)
        .map_err(|e| invalid(format!("document is not JSON: {e}")))?;
    if spec
        .description
        .as_ref()
        .is_some_and(|d| d.len() > MAX_DESCRIPTION_LEN)
    {
        return Err(invalid(format!(
            "description: at most {MAX_DESCRIPTION_LEN} characters"
        )));
    }
    if let Some(presigned) = &spec.presigned_url_config {
        if presigned.role_arn.is_empty() || !presigned.role_arn.starts_with("arn:") {
            return Err(invalid(format!(
                "presignedUrlConfig.roleArn: {:?} is not an IAM role ARN",
                presigned.role_arn
            )));
        }
        if let Some(secs) = presigned.expires_in_sec
            && !(PRESIGNED_MIN_SECS..=PRESIGNED_MAX_SECS).contains(&secs)
        {
            return Err(invalid(format!(
                "presignedUrlConfig.expiresInSec: {secs}, must be \
                 {PRESIGNED_MIN_SECS}..={PRESIGNED_MAX_SECS}"
            )));
        }
    } else if spec.document.contains(PRESIGNED_PLACEHOLDER) {
        return Err(invalid(
            "the document has ${aws:iot:s3-presigned-url:...} placeholders: \
             presignedUrlConfig.roleArn is required",
        ));
    }
    Ok(())
}

/// Check `spec` against every rule and quota of `CreateJob` at `now` (Unix ms, for
/// schedules), as the in-memory engine does before it creates a job; a remote backend calls
/// it before sending anything. Does not look at the fleet (whether targets exist) nor at
/// other jobs (whether the id is taken).
///
/// # Errors
/// [`ServiceError::InvalidRequest`] naming the first rule broken.
pub fn check_spec(spec: &JobSpec, now: u64) -> Result<(), ServiceError> {
    validate(spec.clone(), now).map(drop)
}

/// A rollout configuration's limits, checked.
struct RolloutLimits {
    max_per_minute: u32,
    ramp: Option<Ramp>,
    max_in_flight: Option<u32>,
}

/// The rollout configuration: rate, exponential ramp, in-flight cap (no configuration: the
/// highest rate, no ramp, no cap).
fn validate_rollout(spec: &JobSpec) -> Result<RolloutLimits, ServiceError> {
    let rollout = spec
        .job_executions_rollout_config
        .clone()
        .unwrap_or_default();
    let max_per_minute = match rollout.maximum_per_minute {
        Some(rate) if !(1..=MAX_RATE_PER_MINUTE).contains(&rate) => {
            return Err(invalid(format!(
                "maximumPerMinute: {rate}, must be 1..={MAX_RATE_PER_MINUTE}"
            )));
        }
        Some(rate) => rate,
        None => MAX_RATE_PER_MINUTE,
    };
    let ramp = rollout
        .exponential_rate
        .as_ref()
        .map(validate_ramp)
        .transpose()?;
    if rollout.maximum_in_flight == Some(0) {
        return Err(invalid("maximumInFlight: must be at least 1"));
    }
    Ok(RolloutLimits {
        max_per_minute,
        ramp,
        max_in_flight: rollout.maximum_in_flight,
    })
}

/// The in-progress timeout in minutes, if any.
fn validate_timeout(spec: &JobSpec) -> Result<Option<u32>, ServiceError> {
    let minutes = spec
        .timeout_config
        .and_then(|t| t.in_progress_timeout_in_minutes);
    if let Some(m) = minutes
        && !(1..=MAX_TIMEOUT_MINUTES).contains(&m)
    {
        return Err(invalid(format!(
            "inProgressTimeoutInMinutes: {m}, must be 1..={MAX_TIMEOUT_MINUTES}"
        )));
    }
    Ok(minutes)
}

/// The scheduling configuration, parsed and checked against `now`.
fn validate_schedule(spec: &JobSpec, now: u64) -> Result<Option<Schedule>, ServiceError> {
    let Some(config) = &spec.scheduling_config else {
        return Ok(None);
    };
    let schedule = Schedule::try_from(config.clone())
        .map_err(|e| invalid(format!("schedulingConfig: {e}")))?;
    schedule
        .validate(now)
        .map_err(|e| invalid(format!("schedulingConfig: {e}")))?;
    Ok(Some(schedule))
}

fn validate_ramp(e: &crate::jobs::model::ExponentialRate) -> Result<Ramp, ServiceError> {
    if !(1..=MAX_RATE_PER_MINUTE).contains(&e.base_rate_per_minute) {
        return Err(invalid(format!(
            "baseRatePerMinute: {}, must be 1..=1000",
            e.base_rate_per_minute
        )));
    }
    let factor_tenths = scaled(e.increment_factor, 1)
        .filter(|f| (11..=50).contains(f))
        .ok_or_else(|| {
            invalid(format!(
                "incrementFactor: {}, must be 1.1..=5.0 with one decimal",
                e.increment_factor
            ))
        })?;
    let c = &e.rate_increase_criteria;
    if c.number_of_notified_things.is_none() && c.number_of_succeeded_things.is_none() {
        return Err(invalid(
            "rateIncreaseCriteria: numberOfNotifiedThings or numberOfSucceededThings is required",
        ));
    }
    if c.number_of_notified_things == Some(0) || c.number_of_succeeded_things == Some(0) {
        return Err(invalid("rateIncreaseCriteria: counts must be at least 1"));
    }
    Ok(Ramp {
        base: e.base_rate_per_minute,
        factor_tenths,
        per_notified: c.number_of_notified_things,
        per_succeeded: c.number_of_succeeded_things,
    })
}

fn validate_aborts(criteria: &[AbortCriteria]) -> Result<Vec<Abort>, ServiceError> {
    if criteria.is_empty() {
        return Err(invalid("abortConfig.criteriaList: at least one criterion"));
    }
    let mut out: Vec<Abort> = Vec::new();
    for c in criteria {
        let threshold_hundredths = scaled(c.threshold_percentage, 2)
            .filter(|t| *t <= 10_000)
            .ok_or_else(|| {
                invalid(format!(
                    "thresholdPercentage: {}, must be 0..=100 with two decimals",
                    c.threshold_percentage
                ))
            })?;
        if c.min_number_of_executed_things == 0 {
            return Err(invalid("minNumberOfExecutedThings: must be at least 1"));
        }
        if out.iter().any(|a| a.failure_type == c.failure_type) {
            return Err(invalid(format!(
                "abortConfig: two criteria for {:?}",
                c.failure_type
            )));
        }
        out.push(Abort {
            failure_type: c.failure_type,
            threshold_hundredths,
            min_notified: c.min_number_of_executed_things,
            denominator: c.denominator,
            comparator: c.comparator,
        });
    }
    Ok(out)
}

fn validate_retries(spec: &JobSpec) -> Result<(u32, u32), ServiceError> {
    let Some(config) = &spec.job_executions_retry_config else {
        return Ok((0, 0));
    };
    if config.criteria_list.is_empty() || config.criteria_list.len() > 2 {
        return Err(invalid(
            "jobExecutionsRetryConfig.criteriaList: 1 or 2 criteria",
        ));
    }
    let (mut failed, mut timed_out) = (None, None);
    for c in &config.criteria_list {
        if c.number_of_retries > MAX_RETRIES {
            return Err(invalid(format!(
                "numberOfRetries: {}, at most {MAX_RETRIES}",
                c.number_of_retries
            )));
        }
        match c.failure_type {
            RetryFailureType::Failed if failed.is_none() => failed = Some(c.number_of_retries),
            RetryFailureType::TimedOut if timed_out.is_none() => {
                timed_out = Some(c.number_of_retries)
            }
            RetryFailureType::All if failed.is_none() && timed_out.is_none() => {
                failed = Some(c.number_of_retries);
                timed_out = Some(c.number_of_retries);
            }
            _ => {
                return Err(invalid(
                    "jobExecutionsRetryConfig: a failure type is configured twice",
                ));
            }
        }
    }
    let (failed, timed_out) = (failed.unwrap_or(0), timed_out.unwrap_or(0));
    if failed + timed_out > MAX_RETRIES
        && !config
            .criteria_list
            .iter()
            .any(|c| c.failure_type == RetryFailureType::All)
    {
        return Err(invalid(format!(
            "jobExecutionsRetryConfig: {} retries in total, at most {MAX_RETRIES}",
            failed + timed_out
        )));
    }
    Ok((failed, timed_out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_up_to_the_limit_pass_and_longer_ones_are_refused() {
        assert_eq!(check_document_len(0), Ok(()));
        assert_eq!(check_document_len(32_768), Ok(()));
        let e = check_document_len(1_048_576).unwrap_err();
        assert_eq!(e.len, 1_048_576);
        assert_eq!(
            e.to_string(),
            "document too long: 1048576 bytes, at most 32768"
        );
    }

    #[test]
    fn create_job_refuses_a_long_document_with_the_same_words() {
        let padding = "x".repeat(MAX_DOCUMENT_LEN);
        let document = format!(r#"{{"pad":"{padding}"}}"#);
        let spec = JobSpec::new("j", vec![Target::Thing("t".into())], document);
        let Err(ServiceError::InvalidRequest(message)) = validate(spec, 0) else {
            panic!("a long document was accepted");
        };
        assert_eq!(message, "document too long: 32778 bytes, at most 32768");
    }

    #[test]
    fn presigned_placeholders_need_a_role_and_a_valid_lifetime() {
        use crate::jobs::model::PresignedUrlConfig;
        let doc = r#"{"url":"${aws:iot:s3-presigned-url:https://s3.amazonaws.com/b/k}"}"#;
        let mut spec = JobSpec::new("j", vec![Target::Thing("t".into())], doc);
        let refused = |spec: &JobSpec| match check_spec(spec, 0) {
            Err(ServiceError::InvalidRequest(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(refused(&spec).contains("roleArn is required"));
        spec.presigned_url_config = Some(PresignedUrlConfig {
            role_arn: "arn:aws:iam::123456789012:role/ota".into(),
            expires_in_sec: Some(3600),
        });
        assert_eq!(check_spec(&spec, 0), Ok(()));
        for bad in [59, 3601] {
            spec.presigned_url_config.as_mut().unwrap().expires_in_sec = Some(bad);
            assert!(refused(&spec).contains("expiresInSec"));
        }
        spec.presigned_url_config = Some(PresignedUrlConfig {
            role_arn: "ota-role".into(),
            expires_in_sec: None,
        });
        assert!(refused(&spec).contains("not an IAM role ARN"));
    }
}
