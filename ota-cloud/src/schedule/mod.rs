//! Job scheduling as AWS IoT Jobs has it: `startTime`/`endTime`, `endBehavior` and recurring
//! maintenance windows given by AWS cron expressions.
//!
//! Time is Unix milliseconds in UTC (`u64`), always passed in: nothing here reads a clock or
//! knows time zones or leap seconds. The calendar (month lengths, leap years, weekdays) is
//! `jiff`'s.
//!
//! An engine asks [`Schedule::admits`] whether to roll out now and sets its next timer to
//! [`Schedule::next_change`]; [`SchedulingConfig`] is the JSON shape of CreateJob's
//! `schedulingConfig`.
//!
//! ```
//! use ota_cloud::schedule::{Schedule, SchedulingConfig, format_schedule_time};
//!
//! let config: SchedulingConfig = serde_json::from_str(r#"{
//!     "startTime": "2024-06-01T10:00",
//!     "maintenanceWindows": [{"startTime": "cron(0 22 ? * MON-FRI *)", "durationInMinutes": 120}]
//! }"#)?;
//! let schedule = Schedule::try_from(&config)?;
//! let now = ota_cloud::schedule::parse_schedule_time("2024-06-01T12:00")?; // a Saturday
//! assert!(!schedule.admits(now));
//! let next = schedule.next_admission(now).map(format_schedule_time);
//! assert_eq!(next.as_deref(), Some("2024-06-03T22:00"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod civil;
mod config;
mod cron;
mod error;
mod job_schedule;
mod limits;
mod time;
mod window;

pub use civil::{DAY_MS, HOUR_MS, MINUTE_MS};
pub use config::{MaintenanceWindowConfig, SchedulingConfig};
pub use cron::{Cron, MAX_CRON_LEN};
pub use error::{ConfigField, CronError, CronField, ScheduleError, TimeField};
pub use job_schedule::{EndBehavior, SCHEDULED_ROLLOUTS, Schedule};
pub use limits::{MAX_END_LEAD_MS, MAX_SPAN_MS, MAX_START_LEAD_MS, MIN_LEAD_MS, MIN_SPAN_MS};
pub use time::{format_schedule_time, parse_schedule_time};
pub use window::{MAX_WINDOW_MINUTES, MIN_WINDOW_MINUTES, MaintenanceWindow};
