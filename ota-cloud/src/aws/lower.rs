//! This crate's job model as the SDK's `CreateJob` input (`lower`), refusing what AWS
//! cannot express.

use aws_sdk_iot::operation::create_job::builders::CreateJobFluentBuilder;
use aws_sdk_iot::types as aws;

use crate::error::ServiceError;
use crate::jobs::model::{
    AbortConfig, Comparator, Denominator, FailureType, JobSpec, PresignedUrlConfig, RetryConfig,
    RetryFailureType, RolloutConfig, TargetSelection, TimeoutConfig,
};
use crate::schedule::{EndBehavior, SchedulingConfig};

fn not_expressible(what: &str) -> ServiceError {
    ServiceError::NotExpressible(format!("{what} is an extension AWS IoT Jobs does not have"))
}

/// A builder error: a required field this module left out (a bug here, not bad input).
fn built<T>(
    r: Result<T, aws_smithy_types::error::operation::BuildError>,
) -> Result<T, ServiceError> {
    r.map_err(|e| ServiceError::InvalidRequest(format!("CreateJob input: {e}")))
}

/// A validated count (`validate` bounds every one far below `i32::MAX`).
fn int(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Refuse the extensions of this crate's model that AWS has no field for. Default values of
/// an extension are what AWS does, and pass.
pub(crate) fn check_expressible(spec: &JobSpec) -> Result<(), ServiceError> {
    if spec
        .job_executions_rollout_config
        .as_ref()
        .is_some_and(|r| r.maximum_in_flight.is_some())
    {
        return Err(not_expressible(
            "jobExecutionsRolloutConfig.maximumInFlight",
        ));
    }
    for c in spec.abort_config.iter().flat_map(|a| &a.criteria_list) {
        if c.denominator != Denominator::default() {
            return Err(not_expressible("abortConfig denominator"));
        }
        if c.comparator != Comparator::default() {
            return Err(not_expressible("abortConfig comparator"));
        }
    }
    Ok(())
}

/// `request` with every field of `spec`, the targets given as `target_arns`.
pub(crate) fn create_job(
    mut request: CreateJobFluentBuilder,
    spec: &JobSpec,
    target_arns: Vec<String>,
) -> Result<CreateJobFluentBuilder, ServiceError> {
    check_expressible(spec)?;
    request = request
        .job_id(&spec.job_id)
        .set_targets(Some(target_arns))
        .document(&spec.document)
        .set_description(spec.description.clone())
        .target_selection(match spec.target_selection {
            TargetSelection::Snapshot => aws::TargetSelection::Snapshot,
            TargetSelection::Continuous => aws::TargetSelection::Continuous,
        });
    if let Some(rollout) = &spec.job_executions_rollout_config {
        request = request.job_executions_rollout_config(rollout_config(rollout)?);
    }
    if let Some(abort) = &spec.abort_config {
        request = request.abort_config(abort_config(abort)?);
    }
    if let Some(timeout) = &spec.timeout_config {
        request = request.timeout_config(timeout_config(timeout));
    }
    if let Some(retry) = &spec.job_executions_retry_config {
        request = request.job_executions_retry_config(retry_config(retry)?);
    }
    if let Some(schedule) = &spec.scheduling_config {
        request = request.scheduling_config(scheduling_config(schedule)?);
    }
    if let Some(presigned) = &spec.presigned_url_config {
        request = request.presigned_url_config(presigned_url_config(presigned));
    }
    Ok(request)
}

pub(crate) fn rollout_config(
    rollout: &RolloutConfig,
) -> Result<aws::JobExecutionsRolloutConfig, ServiceError> {
    let ramp = rollout
        .exponential_rate
        .as_ref()
        .map(|r| {
            let criteria = aws::RateIncreaseCriteria::builder()
                .set_number_of_notified_things(
                    r.rate_increase_criteria.number_of_notified_things.map(int),
                )
                .set_number_of_succeeded_things(
                    r.rate_increase_criteria.number_of_succeeded_things.map(int),
                )
                .build();
            built(
                aws::ExponentialRolloutRate::builder()
                    .base_rate_per_minute(int(r.base_rate_per_minute))
                    .increment_factor(r.increment_factor)
                    .rate_increase_criteria(criteria)
                    .build(),
            )
        })
        .transpose()?;
    Ok(aws::JobExecutionsRolloutConfig::builder()
        .set_maximum_per_minute(rollout.maximum_per_minute.map(int))
        .set_exponential_rate(ramp)
        .build())
}

pub(crate) fn abort_config(abort: &AbortConfig) -> Result<aws::AbortConfig, ServiceError> {
    let mut config = aws::AbortConfig::builder();
    for c in &abort.criteria_list {
        let failure_type = match c.failure_type {
            FailureType::Failed => aws::JobExecutionFailureType::Failed,
            FailureType::Rejected => aws::JobExecutionFailureType::Rejected,
            FailureType::TimedOut => aws::JobExecutionFailureType::TimedOut,
            FailureType::All => aws::JobExecutionFailureType::All,
        };
        config = config.criteria_list(built(
            aws::AbortCriteria::builder()
                .failure_type(failure_type)
                .action(aws::AbortAction::Cancel)
                .threshold_percentage(c.threshold_percentage)
                .min_number_of_executed_things(int(c.min_number_of_executed_things))
                .build(),
        )?);
    }
    built(config.build())
}

fn timeout_config(timeout: &TimeoutConfig) -> aws::TimeoutConfig {
    aws::TimeoutConfig::builder()
        .set_in_progress_timeout_in_minutes(timeout.in_progress_timeout_in_minutes.map(i64::from))
        .build()
}

fn retry_config(retry: &RetryConfig) -> Result<aws::JobExecutionsRetryConfig, ServiceError> {
    let mut config = aws::JobExecutionsRetryConfig::builder();
    for c in &retry.criteria_list {
        let failure_type = match c.failure_type {
            RetryFailureType::Failed => aws::RetryableFailureType::Failed,
            RetryFailureType::TimedOut => aws::RetryableFailureType::TimedOut,
            RetryFailureType::All => aws::RetryableFailureType::All,
        };
        config = config.criteria_list(built(
            aws::RetryCriteria::builder()
                .failure_type(failure_type)
                .number_of_retries(int(c.number_of_retries))
                .build(),
        )?);
    }
    built(config.build())
}

fn scheduling_config(schedule: &SchedulingConfig) -> Result<aws::SchedulingConfig, ServiceError> {
    let mut config = aws::SchedulingConfig::builder()
        .set_start_time(schedule.start_time.clone())
        .set_end_time(schedule.end_time.clone())
        .set_end_behavior(schedule.end_behavior.map(|b| match b {
            EndBehavior::StopRollout => aws::JobEndBehavior::StopRollout,
            EndBehavior::Cancel => aws::JobEndBehavior::Cancel,
            EndBehavior::ForceCancel => aws::JobEndBehavior::ForceCancel,
        }));
    for w in &schedule.maintenance_windows {
        config = config.maintenance_windows(built(
            aws::MaintenanceWindow::builder()
                .start_time(&w.start_time)
                .duration_in_minutes(int(w.duration_in_minutes))
                .build(),
        )?);
    }
    Ok(config.build())
}

fn presigned_url_config(presigned: &PresignedUrlConfig) -> aws::PresignedUrlConfig {
    aws::PresignedUrlConfig::builder()
        .role_arn(&presigned.role_arn)
        .set_expires_in_sec(presigned.expires_in_sec.map(i64::from))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::model::{AbortCriteria, ExponentialRate, Target};

    fn spec() -> JobSpec {
        JobSpec::new("j", vec![Target::Thing("t".into())], "{}")
    }

    #[test]
    fn extensions_are_refused_and_defaults_pass() {
        assert_eq!(check_expressible(&spec()), Ok(()));
        let in_flight = spec().with_rollout(RolloutConfig::per_minute(10).with_max_in_flight(3));
        assert!(matches!(
            check_expressible(&in_flight),
            Err(ServiceError::NotExpressible(m)) if m.contains("maximumInFlight")
        ));
        let mut abort = spec();
        abort.abort_config = Some(AbortConfig {
            criteria_list: vec![AbortCriteria {
                failure_type: FailureType::Failed,
                action: Default::default(),
                threshold_percentage: 10.0,
                min_number_of_executed_things: 5,
                denominator: Denominator::Total,
                comparator: Comparator::AtLeast,
            }],
        });
        assert!(matches!(
            check_expressible(&abort),
            Err(ServiceError::NotExpressible(_))
        ));
    }

    #[test]
    fn rollout_and_abort_carry_every_field() {
        let rollout =
            RolloutConfig::per_minute(100).with_ramp(ExponentialRate::per_succeeded(5, 1.5, 20));
        let lowered = rollout_config(&rollout).unwrap();
        assert_eq!(lowered.maximum_per_minute(), Some(100));
        let ramp = lowered.exponential_rate().unwrap();
        assert_eq!(ramp.base_rate_per_minute(), 5);
        assert_eq!(ramp.increment_factor(), 1.5);
        let criteria = ramp.rate_increase_criteria().unwrap();
        assert_eq!(criteria.number_of_succeeded_things(), Some(20));
        assert_eq!(criteria.number_of_notified_things(), None);

        let abort = abort_config(&AbortConfig {
            criteria_list: vec![AbortCriteria {
                failure_type: FailureType::TimedOut,
                action: Default::default(),
                threshold_percentage: 12.5,
                min_number_of_executed_things: 7,
                denominator: Denominator::default(),
                comparator: Comparator::default(),
            }],
        })
        .unwrap();
        let c = &abort.criteria_list()[0];
        assert_eq!(c.failure_type(), &aws::JobExecutionFailureType::TimedOut);
        assert_eq!(c.action(), &aws::AbortAction::Cancel);
        assert_eq!(
            (c.threshold_percentage(), c.min_number_of_executed_things()),
            (12.5, 7)
        );
    }

    #[test]
    fn schedule_retry_timeout_presign_and_selection_are_lowered() {
        use crate::jobs::model::{PresignedUrlConfig, RetryCriteria};
        use crate::schedule::MaintenanceWindowConfig;
        let mut spec = spec();
        spec.target_selection = TargetSelection::Continuous;
        spec.description = Some("d".into());
        spec.timeout_config = Some(TimeoutConfig::in_progress(30));
        spec.job_executions_retry_config = Some(RetryConfig {
            criteria_list: vec![RetryCriteria {
                failure_type: RetryFailureType::TimedOut,
                number_of_retries: 2,
            }],
        });
        spec.scheduling_config = Some(SchedulingConfig {
            start_time: Some("2027-01-01T00:00".into()),
            end_time: Some("2027-01-10T00:00".into()),
            end_behavior: Some(EndBehavior::Cancel),
            maintenance_windows: vec![MaintenanceWindowConfig {
                start_time: "cron(0 2 ? * SUN *)".into(),
                duration_in_minutes: 120,
            }],
        });
        spec.presigned_url_config = Some(PresignedUrlConfig {
            role_arn: "arn:aws:iam::1:role/r".into(),
            expires_in_sec: Some(600),
        });
        let retry = retry_config(spec.job_executions_retry_config.as_ref().unwrap()).unwrap();
        assert_eq!(
            retry.criteria_list()[0].failure_type(),
            &aws::RetryableFailureType::TimedOut
        );
        assert_eq!(retry.criteria_list()[0].number_of_retries(), 2);
        let schedule = scheduling_config(spec.scheduling_config.as_ref().unwrap()).unwrap();
        assert_eq!(schedule.start_time(), Some("2027-01-01T00:00"));
        assert_eq!(schedule.end_behavior(), Some(&aws::JobEndBehavior::Cancel));
        let window = &schedule.maintenance_windows()[0];
        assert_eq!(
            (window.start_time(), window.duration_in_minutes()),
            ("cron(0 2 ? * SUN *)", 120)
        );
        let timeout = timeout_config(spec.timeout_config.as_ref().unwrap());
        assert_eq!(timeout.in_progress_timeout_in_minutes(), Some(30));
        let presigned = presigned_url_config(spec.presigned_url_config.as_ref().unwrap());
        assert_eq!(presigned.expires_in_sec(), Some(600));
        // The whole request builds (the SDK's own checks of required fields pass).
        let conf = aws_sdk_iot::Config::builder()
            .behavior_version(aws_sdk_iot::config::BehaviorVersion::latest())
            .build();
        let client = aws_sdk_iot::Client::from_conf(conf);
        let request = create_job(client.create_job(), &spec, vec!["arn:t".into()]).unwrap();
        let input = request.as_input();
        assert_eq!(
            input.get_target_selection(),
            &Some(aws::TargetSelection::Continuous)
        );
        assert_eq!(input.get_targets(), &Some(vec!["arn:t".to_string()]));
        assert!(input.get_scheduling_config().is_some());
        assert!(input.get_job_executions_retry_config().is_some());
        assert!(input.get_presigned_url_config().is_some());
    }
}
