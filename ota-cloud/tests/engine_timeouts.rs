//! In-progress and step timeouts of the in-memory engine against a model of AWS's rules,
//! under random updates, step timeouts (set, moved, cleared with -1), successes and time
//! steps on a few things at once: every execution times out exactly when the model says,
//! and reports the seconds left the model computes.

mod common;

use ota_cloud::jobs::model::*;
use ota_cloud::{Engine, Settings};
use ota_core::jobs::JobExecutionStatus;
use proptest::prelude::*;

use common::engine::{add_fleet, noop_job};
use common::{MIN, T0};

const THINGS: usize = 3;
const IN_PROGRESS_MINUTES: u64 = 10;

#[derive(Debug, Clone)]
enum Op {
    /// `IN_PROGRESS` with this step timeout (`None`: none given).
    Progress(usize, Option<i64>),
    Succeed(usize),
    /// Move time on by this many ms.
    Wait(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let step = prop_oneof![Just(None), Just(Some(-1)), (1i64..=15).prop_map(Some),];
    prop_oneof![
        4 => (0..THINGS, step).prop_map(|(t, s)| Op::Progress(t, s)),
        1 => (0..THINGS).prop_map(Op::Succeed),
        4 => (0u64..=7 * MIN).prop_map(Op::Wait),
    ]
}

/// One thing's execution as AWS's rules have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Model {
    status: JobExecutionStatus,
    in_progress_deadline: Option<u64>,
    step_deadline: Option<u64>,
}

impl Model {
    fn deadline(&self) -> Option<u64> {
        match (self.in_progress_deadline, self.step_deadline) {
            (Some(p), Some(s)) => Some(p.min(s)),
            (p, s) => p.or(s),
        }
    }

    fn progress(&mut self, now: u64, step: Option<i64>) {
        if self.status == JobExecutionStatus::Queued {
            self.status = JobExecutionStatus::InProgress;
            self.in_progress_deadline = Some(now + IN_PROGRESS_MINUTES * MIN);
        }
        match step {
            Some(-1) => self.step_deadline = None,
            Some(m) => {
                let step = now + m as u64 * MIN;
                self.step_deadline = Some(self.in_progress_deadline.map_or(step, |p| p.min(step)));
            }
            None => {}
        }
    }

    fn end(&mut self, status: JobExecutionStatus) {
        self.status = status;
        self.in_progress_deadline = None;
        self.step_deadline = None;
    }
}

fn name(t: usize) -> String {
    format!("dev-{t:05}")
}

fn check(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut e = Engine::new(T0, Settings::default());
    add_fleet(&mut e, THINGS, |i| format!("dev-{i:05}"), &[]);
    let mut spec = noop_job("j");
    spec.timeout_config = Some(TimeoutConfig::in_progress(IN_PROGRESS_MINUTES as u32));
    e.create_job(spec).unwrap();
    let mut now = T0 + MIN;
    e.advance(now);
    let mut model = [Model {
        status: JobExecutionStatus::Queued,
        in_progress_deadline: None,
        step_deadline: None,
    }; THINGS];
    for op in ops {
        match op {
            Op::Progress(t, step) => {
                let mut update = UpdateExecution::new(JobExecutionStatus::InProgress);
                update.step_timeout_in_minutes = step;
                let result = e.update_execution(&name(t), "j", &update);
                let terminal = model[t].status.is_terminal();
                prop_assert_eq!(result.is_err(), terminal, "{:?} on {:?}", op, model[t]);
                if !terminal {
                    model[t].progress(now, step);
                }
            }
            Op::Succeed(t) => {
                let update = UpdateExecution::new(JobExecutionStatus::Succeeded);
                let result = e.update_execution(&name(t), "j", &update);
                let terminal = model[t].status.is_terminal();
                prop_assert_eq!(result.is_err(), terminal);
                if !terminal {
                    model[t].end(JobExecutionStatus::Succeeded);
                }
            }
            Op::Wait(ms) => {
                now += ms;
                e.advance(now);
                for m in &mut model {
                    if m.status == JobExecutionStatus::InProgress
                        && m.deadline().is_some_and(|d| d <= now)
                    {
                        m.end(JobExecutionStatus::TimedOut);
                    }
                }
            }
        }
        for (t, m) in model.iter().enumerate() {
            let execution = e.describe_job_execution("j", &name(t), None).unwrap();
            prop_assert_eq!(execution.status, m.status, "{} after {:?}", name(t), op);
            let left = match m.status {
                JobExecutionStatus::InProgress => m.deadline().map(|d| (d - now).div_ceil(1000)),
                _ => None,
            };
            prop_assert_eq!(execution.approximate_seconds_before_timed_out, left);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn timeouts_fire_when_the_model_says(ops in proptest::collection::vec(op(), 1..80)) {
        check(ops)?;
    }
}

#[test]
fn a_step_cleared_then_set_again_and_a_deadline_moved_back_still_fire() {
    use Op::*;
    // Step 2 min, cleared, in-progress deadline left (10 min); step 3 min again; after
    // it passes the execution is TIMED_OUT at its 3-minute step, not at 10.
    check(vec![
        Progress(0, Some(2)),
        Progress(0, Some(-1)),
        Wait(MIN),
        Progress(0, Some(3)),
        Progress(0, None),
        Wait(3 * MIN),
        Progress(1, Some(15)),
        Wait(10 * MIN),
    ])
    .unwrap();
}
