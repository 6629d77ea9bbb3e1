//! The AWS `schedulingConfig` JSON shape and its conversion to and from [`Schedule`].

use std::string::String;
use std::vec::Vec;

use super::error::{ConfigField, ScheduleError};
use super::job_schedule::{EndBehavior, Schedule};
use super::time::{format_schedule_time, parse_schedule_time};
use super::window::MaintenanceWindow;

/// CreateJob's `schedulingConfig`, field for field. Absent fields are not written.
///
/// Unknown fields are ignored when reading. Converting into a [`Schedule`] reads the times
/// and cron expressions but does not check AWS's limits, which need the creation time: use
/// [`SchedulingConfig::to_validated_schedule`] or [`Schedule::validate`].
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchedulingConfig {
    /// `YYYY-MM-DDTHH:MM` (UTC).
    pub start_time: Option<String>,
    /// `YYYY-MM-DDTHH:MM` (UTC).
    pub end_time: Option<String>,
    /// What happens at `endTime`; [`EndBehavior::StopRollout`] when absent.
    pub end_behavior: Option<EndBehavior>,
    /// Recurring windows to roll out in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maintenance_windows: Vec<MaintenanceWindowConfig>,
}

/// One entry of `maintenanceWindows`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MaintenanceWindowConfig {
    /// An AWS cron expression, `cron(...)`.
    pub start_time: String,
    /// 1..=1430.
    pub duration_in_minutes: u32,
}

impl SchedulingConfig {
    /// Convert, then check AWS's limits for a job created at `created_at` (Unix ms).
    ///
    /// # Errors
    /// As [`TryFrom`] and [`Schedule::validate`].
    pub fn to_validated_schedule(&self, created_at: u64) -> Result<Schedule, ScheduleError> {
        let schedule = Schedule::try_from(self)?;
        schedule.validate(created_at)?;
        Ok(schedule)
    }
}

fn parse_time(text: Option<&String>, field: ConfigField) -> Result<Option<u64>, ScheduleError> {
    text.map(|t| parse_schedule_time(t).map_err(|e| e.at(field)))
        .transpose()
}

impl TryFrom<&SchedulingConfig> for Schedule {
    type Error = ScheduleError;

    /// # Errors
    /// [`ScheduleError::Field`] naming the field whose time or cron expression was refused,
    /// or whose window duration is outside 1..=1430.
    fn try_from(config: &SchedulingConfig) -> Result<Self, ScheduleError> {
        let windows = config
            .maintenance_windows
            .iter()
            .enumerate()
            .map(|(i, w)| {
                MaintenanceWindow::new(&w.start_time, w.duration_in_minutes)
                    .map_err(|e| e.at(ConfigField::MaintenanceWindow(i)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            start: parse_time(config.start_time.as_ref(), ConfigField::StartTime)?,
            end: parse_time(config.end_time.as_ref(), ConfigField::EndTime)?,
            end_behavior: config.end_behavior.unwrap_or_default(),
            windows,
        })
    }
}

impl TryFrom<SchedulingConfig> for Schedule {
    type Error = ScheduleError;

    /// # Errors
    /// As for `&SchedulingConfig`.
    fn try_from(config: SchedulingConfig) -> Result<Self, ScheduleError> {
        Self::try_from(&config)
    }
}

impl From<&Schedule> for SchedulingConfig {
    /// Times are written to the minute (seconds are dropped). `endBehavior` is written when
    /// there is an end or it is not the default.
    fn from(schedule: &Schedule) -> Self {
        let explicit = schedule.end.is_some() || schedule.end_behavior != EndBehavior::default();
        Self {
            start_time: schedule.start.map(format_schedule_time),
            end_time: schedule.end.map(format_schedule_time),
            end_behavior: explicit.then_some(schedule.end_behavior),
            maintenance_windows: schedule
                .windows
                .iter()
                .map(|w| MaintenanceWindowConfig {
                    start_time: w.start.as_str().into(),
                    duration_in_minutes: w.duration_minutes,
                })
                .collect(),
        }
    }
}

impl From<Schedule> for SchedulingConfig {
    fn from(schedule: Schedule) -> Self {
        Self::from(&schedule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::error::{CronError, TimeField};
    use std::boxed::Box;

    const AWS_EXAMPLE: &str = r#"{
        "startTime": "2024-06-01T10:00",
        "endTime": "2024-06-30T10:00",
        "endBehavior": "FORCE_CANCEL",
        "maintenanceWindows": [
            {"startTime": "cron(0 2 ? * SAT *)", "durationInMinutes": 240},
            {"startTime": "cron(30 22 L * ? *)", "durationInMinutes": 90}
        ]
    }"#;

    #[test]
    fn reads_the_aws_shape() {
        let config: SchedulingConfig = serde_json::from_str(AWS_EXAMPLE).unwrap();
        let schedule = Schedule::try_from(&config).unwrap();
        assert_eq!(schedule.start, Some(1_717_236_000_000));
        assert_eq!(schedule.end, Some(1_719_741_600_000));
        assert_eq!(schedule.end_behavior, EndBehavior::ForceCancel);
        assert_eq!(schedule.windows.len(), 2);
        assert_eq!(schedule.windows[1].duration_minutes, 90);
        assert_eq!(SchedulingConfig::from(&schedule), config);
        let json = serde_json::to_value(&config).unwrap();
        assert_eq!(
            json,
            serde_json::from_str::<serde_json::Value>(AWS_EXAMPLE).unwrap()
        );
    }

    #[test]
    fn absent_fields() {
        let config: SchedulingConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(config, SchedulingConfig::default());
        assert_eq!(Schedule::try_from(config).unwrap(), Schedule::default());
        assert_eq!(
            serde_json::to_string(&SchedulingConfig::default()).unwrap(),
            "{}"
        );
        let only_start: SchedulingConfig =
            serde_json::from_str(r#"{"startTime":"2024-06-01T10:00","future":1}"#).unwrap();
        let schedule = Schedule::try_from(&only_start).unwrap();
        assert_eq!(schedule.end_behavior, EndBehavior::StopRollout);
        assert_eq!(SchedulingConfig::from(schedule), only_start);
    }

    #[test]
    fn end_behavior_wire_names() {
        for (behavior, name) in [
            (EndBehavior::StopRollout, "\"STOP_ROLLOUT\""),
            (EndBehavior::Cancel, "\"CANCEL\""),
            (EndBehavior::ForceCancel, "\"FORCE_CANCEL\""),
        ] {
            assert_eq!(serde_json::to_string(&behavior).unwrap(), name);
            assert_eq!(serde_json::from_str::<EndBehavior>(name).unwrap(), behavior);
        }
        assert!(serde_json::from_str::<EndBehavior>("\"STOP\"").is_err());
    }

    #[test]
    fn errors_name_the_field() {
        let config = SchedulingConfig {
            end_time: Some("2024-02-30T00:00".into()),
            ..SchedulingConfig::default()
        };
        assert_eq!(
            Schedule::try_from(&config),
            Err(ScheduleError::Field {
                field: ConfigField::EndTime,
                source: Box::new(ScheduleError::TimeOutOfRange(TimeField::Day))
            })
        );
        let config: SchedulingConfig = serde_json::from_str(
            r#"{"startTime":"2024-06-01T10:00","maintenanceWindows":[
                {"startTime":"cron(0 2 * * ? *)","durationInMinutes":60},
                {"startTime":"cron(0 2 * * * *)","durationInMinutes":60}]}"#,
        )
        .unwrap();
        let err = Schedule::try_from(&config).unwrap_err();
        assert_eq!(
            err,
            ScheduleError::Field {
                field: ConfigField::MaintenanceWindow(1),
                source: Box::new(ScheduleError::Cron(CronError::DayFields))
            }
        );
        assert_eq!(
            err.to_string(),
            "maintenanceWindows[1]: cron expression: exactly one of day-of-month and \
             day-of-week must be ?"
        );
        assert!(serde_json::from_str::<SchedulingConfig>(
            r#"{"maintenanceWindows":[{"startTime":"cron(0 2 * * ? *)","durationInMinutes":-1}]}"#
        )
        .is_err());
    }

    #[test]
    fn validated_conversion() {
        let config: SchedulingConfig = serde_json::from_str(AWS_EXAMPLE).unwrap();
        let created = 1_717_236_000_000 - 60 * 60_000;
        assert!(config.to_validated_schedule(created).is_ok());
        assert!(matches!(
            config.to_validated_schedule(created + 45 * 60_000),
            Err(ScheduleError::StartTooSoon { .. })
        ));
    }
}
