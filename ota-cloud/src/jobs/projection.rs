//! Dry runs of a rollout policy: when would each target be notified, with the engine itself
//! as the oracle (a fleet of synthetic things, a fake clock, no devices).
//!
//! The projection assumes every notified device succeeds `success_after_ms` after it is
//! notified (`None`: devices never finish, which is what a notified-count ramp sees). It does
//! not model failures, aborts or retries.

use std::collections::VecDeque;

use ota_core::jobs::JobExecutionStatus;

use crate::error::ServiceError;
use crate::jobs::engine::{Engine, NotificationKind, Settings};
use crate::jobs::model::{JobSpec, RolloutConfig, Target, UpdateExecution};

const T0: u64 = 1_800_000_000_000;

/// Most targets a projection takes: each is a thing in an engine of its own (a few hundred
/// bytes), so a projection over the bound needs a few hundred MB at most.
pub const MAX_THINGS: u32 = 1_000_000;

/// Longest projection, in minutes (a year); a point is kept per minute.
pub const MAX_MINUTES: u64 = 525_600;

/// One line of the projected timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanPoint {
    /// Minutes since the job started.
    pub minute: u64,
    /// Things notified by then.
    pub notified: u64,
    /// Things succeeded by then (per the success model).
    pub succeeded: u64,
}

/// The projected timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// A point per minute until every target is notified (and, with a success model,
    /// succeeded), or until the horizon.
    pub points: Vec<PlanPoint>,
    /// When the last target was notified, in minutes, if within the horizon.
    pub all_notified_at_min: Option<f64>,
}

fn invalid(e: impl core::fmt::Display) -> ServiceError {
    ServiceError::InvalidRequest(e.to_string())
}

/// Project the admission timeline of `rollout` over `things` targets for at most
/// `max_minutes`.
///
/// # Errors
/// [`ServiceError::InvalidRequest`] for more than [`MAX_THINGS`] targets or [`MAX_MINUTES`]
/// minutes (refused before anything is built), or when the rollout breaks a quota (the
/// same checks as CreateJob).
pub fn project(
    things: u32,
    rollout: RolloutConfig,
    success_after_ms: Option<u64>,
    max_minutes: u64,
) -> Result<Plan, ServiceError> {
    check_bounds(things, max_minutes)?;
    let mut run = Run {
        engine: plan_engine(things, rollout)?,
        success_after_ms,
        notified_once: vec![false; things as usize],
        notified: 0,
        last_at: T0,
        successes: VecDeque::new(),
    };
    let mut points = Vec::new();
    let mut all_at = None;
    for minute in 0..=max_minutes {
        // The point for minute m counts what happened before m:00 (an admission due exactly at
        // m:00 belongs to minute m).
        run.run_until((T0 + minute * 60_000).saturating_sub(1).max(T0));
        let point = run.point(minute)?;
        points.push(point);
        if all_at.is_none() && point.notified == u64::from(things) {
            all_at = Some((run.last_at - T0) as f64 / 60_000.0);
        }
        let finished = success_after_ms.is_none() || point.succeeded == u64::from(things);
        if all_at.is_some() && finished {
            break;
        }
    }
    Ok(Plan {
        points,
        all_notified_at_min: all_at,
    })
}

/// Refuse more than [`MAX_THINGS`] targets or [`MAX_MINUTES`] minutes.
fn check_bounds(things: u32, max_minutes: u64) -> Result<(), ServiceError> {
    if things > MAX_THINGS {
        return Err(invalid(format!("things: {things}, at most {MAX_THINGS}")));
    }
    if max_minutes > MAX_MINUTES {
        return Err(invalid(format!(
            "max minutes: {max_minutes}, at most {MAX_MINUTES}"
        )));
    }
    Ok(())
}

/// An engine with `things` things `t0`, `t1`, … in the group `plan`, and the job `plan` over
/// that group with `rollout` (its notifications of group changes drained, not the job's).
fn plan_engine(things: u32, rollout: RolloutConfig) -> Result<Engine, ServiceError> {
    let settings = Settings {
        keep_execution_events: false,
        ..Settings::default()
    };
    let mut e = Engine::new(T0, settings);
    e.create_group("plan", None).map_err(invalid)?;
    for i in 0..things {
        let name = format!("t{i}");
        e.create_thing(&name, &[]).map_err(invalid)?;
        e.add_thing_to_group("plan", &name).map_err(invalid)?;
    }
    while e.poll_notification().is_some() {}
    let mut spec = JobSpec::new("plan", vec![Target::Group("plan".into())], "{}");
    spec.job_executions_rollout_config = Some(rollout);
    e.create_job(spec)?;
    Ok(e)
}

/// A projection under way: the engine and what the success model has yet to report.
struct Run {
    engine: Engine,
    success_after_ms: Option<u64>,
    /// Per thing: notified at least once.
    notified_once: Vec<bool>,
    notified: u64,
    /// When the last first notification happened.
    last_at: u64,
    /// `(when, thing)` successes due, in time order.
    successes: VecDeque<(u64, u32)>,
}

impl Run {
    /// Advance the engine to `end`, counting first notifications and reporting the
    /// successes due on the way.
    fn run_until(&mut self, end: u64) {
        loop {
            self.take_notifications();
            self.report_successes();
            let next = [
                self.engine.poll_timeout(),
                self.successes.front().map(|s| s.0),
            ]
            .into_iter()
            .flatten()
            .min();
            match next {
                Some(t) if t <= end => self.engine.advance(t.max(self.engine.now())),
                _ => break,
            }
        }
    }

    /// Count each thing's first `NotifyNext`, and schedule its success (with a success model).
    fn take_notifications(&mut self) {
        while let Some(n) = self.engine.poll_notification() {
            let index = n.thing.0 as usize;
            if n.kind == NotificationKind::NotifyNext
                && !self.notified_once.get(index).copied().unwrap_or(true)
            {
                self.notified_once[index] = true;
                self.notified += 1;
                self.last_at = self.engine.now();
                if let Some(after) = self.success_after_ms {
                    self.successes
                        .push_back((self.engine.now() + after, n.thing.0));
                }
            }
        }
    }

    /// Report `SUCCEEDED` for every thing whose success is due (refusals ignored).
    fn report_successes(&mut self) {
        while self
            .successes
            .front()
            .is_some_and(|s| s.0 <= self.engine.now())
        {
            let Some((_, thing)) = self.successes.pop_front() else {
                break;
            };
            let name = format!("t{thing}");
            let _ = self.engine.update_execution(
                &name,
                "plan",
                &UpdateExecution::new(JobExecutionStatus::Succeeded),
            );
        }
    }

    /// The timeline's point for `minute`, as things stand.
    fn point(&self, minute: u64) -> Result<PlanPoint, ServiceError> {
        let details = self.engine.describe_job("plan")?.job_process_details;
        Ok(PlanPoint {
            minute,
            notified: self.notified,
            succeeded: details.by_status[JobExecutionStatus::Succeeded],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::model::ExponentialRate;

    #[test]
    fn flat_rate_takes_things_over_rate_minutes() {
        let plan = project(300, RolloutConfig::per_minute(100), None, 60).unwrap();
        assert_eq!(plan.points[1].notified, 100);
        assert_eq!(plan.points[2].notified, 200);
        let at = plan.all_notified_at_min.unwrap();
        assert!((2.9..3.0).contains(&at), "{at}");
    }

    #[test]
    fn documented_ramp_projection() {
        let rollout =
            RolloutConfig::per_minute(1000).with_ramp(ExponentialRate::per_notified(50, 2.0, 1000));
        let plan = project(10_000, rollout, None, 120).unwrap();
        assert_eq!(plan.points[20].notified, 1000);
        assert_eq!(plan.points[30].notified, 2000);
        let at = plan.all_notified_at_min.unwrap();
        assert!(
            (43.7..43.76).contains(&at),
            "all notified at {at} minutes, documented 43.75"
        );
    }

    #[test]
    fn success_gated_ramp_waits_for_devices() {
        let rollout =
            RolloutConfig::per_minute(1000).with_ramp(ExponentialRate::per_succeeded(10, 2.0, 20));
        let slow = project(200, rollout.clone(), Some(30 * 60_000), 300).unwrap();
        let fast = project(200, rollout, Some(60_000), 300).unwrap();
        assert!(slow.all_notified_at_min.unwrap() > fast.all_notified_at_min.unwrap());
        assert_eq!(slow.points.last().unwrap().succeeded, 200);
    }

    #[test]
    fn sizes_over_the_bounds_are_refused_before_anything_is_built() {
        let rollout = RolloutConfig::per_minute(1000);
        let err = project(u32::MAX, rollout.clone(), None, 60).unwrap_err();
        assert_eq!(
            err,
            ServiceError::InvalidRequest("things: 4294967295, at most 1000000".into())
        );
        let err = project(1, rollout, None, u64::MAX).unwrap_err();
        assert!(err.to_string().contains("at most 525600"), "{err}");
    }

    #[test]
    fn quotas_apply() {
        assert!(project(1, RolloutConfig::per_minute(5000), None, 1).is_err());
    }
}
