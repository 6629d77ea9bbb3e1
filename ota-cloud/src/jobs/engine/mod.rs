//! The in-memory engine: AWS IoT Jobs semantics, synchronous and sans-IO.
//!
//! [`Engine`] holds things, groups, jobs and executions, and changes only when called:
//! control-plane calls (`create_job`, `cancel_job`, …), device-plane calls (`start_next`,
//! `update_execution`, …), fleet calls, and [`Engine::advance`], which applies everything due
//! up to `now` (admissions, timeouts, schedules) in time order. [`Engine::poll_timeout`] says
//! when something will next be due; [`Engine::poll_notification`] yields the `notify` /
//! `notify-next` pushes AWS would send, and [`Engine::events`] the `$aws/events/…` log.
//! Time is Unix milliseconds and must not go backwards; nothing reads a clock.
//!
//! AWS behaviour is copied where documented. Where AWS is silent, [`Settings`] makes the
//! choice explicit; the module docs of each part say which choices exist.
//!
//! Cost: per device-plane call and per admission, O(jobs) (a thing's pending executions are
//! found by looking it up in each job), plus O(log timers) for timeouts; never O(things).

mod admission;
mod advance;
mod control;
mod counts;
mod dataplane;
mod group_changes;
mod job_state;
mod lifecycle;
mod slot;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

pub use admission::Pacing;
pub use dataplane::JobSelector;

use crate::fleet::{Fleet, ThingId};
use crate::jobs::events::{DEFAULT_EVENT_LOG_CAPACITY, EventLog};
use job_state::JobState;

/// No execution announced (job index and execution number no job reaches).
const NOT_ANNOUNCED: (u32, u32) = (u32::MAX, u32::MAX);

/// A push AWS would send a thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    /// `…/jobs/notify`: the pending set changed.
    Notify,
    /// `…/jobs/notify-next`: the next pending execution changed (render it with
    /// [`Engine::describe_execution`] on `$next`; no execution means nothing is pending).
    NotifyNext,
}

/// A push for one thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notification {
    /// The thing.
    pub thing: ThingId,
    /// Which push.
    pub kind: NotificationKind,
}

/// Choices where AWS is silent or where this engine extends AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settings {
    /// How admissions spread over a minute.
    pub pacing: Pacing,
    /// Whether a device may move an execution from `QUEUED` straight to `SUCCEEDED` or
    /// `FAILED` (undocumented; both AWS emulators accept it). Default true.
    pub allow_queued_to_terminal: bool,
    /// Whether things joining a continuous job's group later go through the rollout pacing
    /// (AWS: they do not). Default false.
    pub pace_late_joiners: bool,
    /// Most executions per list in a `GetPendingJobExecutions` reply (AWS: 10).
    pub max_pending_listed: usize,
    /// Keep execution events in the log (job events are always kept, and the metrics
    /// count every event either way). Default true.
    pub keep_execution_events: bool,
    /// Entries the event log keeps at most, the newest (24 bytes each; the metrics count
    /// every event either way). Default [`DEFAULT_EVENT_LOG_CAPACITY`] (65,536); 0 keeps
    /// only the metrics.
    pub event_log_capacity: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            pacing: Pacing::Spread,
            allow_queued_to_terminal: true,
            pace_late_joiners: false,
            max_pending_listed: 10,
            keep_execution_events: true,
            event_log_capacity: DEFAULT_EVENT_LOG_CAPACITY,
        }
    }
}

/// Room the empty notification queue keeps (32 KiB); beyond it, given back.
const NOTIFICATIONS_KEPT_ROOM: usize = 4096;

/// The in-memory IoT Jobs service. See the [module docs](self).
#[derive(Debug)]
pub struct Engine {
    settings: Settings,
    fleet: Fleet,
    jobs: Vec<Option<JobState>>,
    by_id: HashMap<String, u32, foldhash::fast::RandomState>,
    /// (deadline, job, slot, execution number): in-progress and step timers, lazily removed.
    timers: BinaryHeap<Reverse<(u64, u32, u32, u32)>>,
    /// The next execution last announced by `notify-next`, indexed by thing id: (job,
    /// execution number), [`NOT_ANNOUNCED`] for none. Dense: 8 bytes per thing id ever made.
    announced: Vec<(u32, u32)>,
    notifications: VecDeque<Notification>,
    events: EventLog,
    now: u64,
}

impl Engine {
    /// An empty service at time `now` (Unix ms). Executions hold their times in 48 bits:
    /// times after the year 10889 read back as that year's end.
    pub fn new(now: u64, settings: Settings) -> Self {
        Self {
            settings,
            fleet: Fleet::new(),
            jobs: Vec::new(),
            by_id: HashMap::default(),
            timers: BinaryHeap::new(),
            announced: Vec::new(),
            notifications: VecDeque::new(),
            events: EventLog::new(settings.keep_execution_events, settings.event_log_capacity),
            now,
        }
    }

    /// The engine's time (the last `now` it was given).
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The next push for a device. Once the queue is empty, what a burst made it hold
    /// (a rollout admits a million targets in one `advance`) is given back.
    pub fn poll_notification(&mut self) -> Option<Notification> {
        let next = self.notifications.pop_front();
        if next.is_none() && self.notifications.capacity() > NOTIFICATIONS_KEPT_ROOM {
            self.notifications.shrink_to(NOTIFICATIONS_KEPT_ROOM);
        }
        next
    }

    /// The event log: its newest entries and the metrics over all of them.
    pub fn events(&self) -> &EventLog {
        &self.events
    }

    /// The things and groups (read-only; change them through the engine so jobs follow).
    pub fn fleet(&self) -> &Fleet {
        &self.fleet
    }

    /// A thing's name.
    pub fn thing_name(&self, thing: ThingId) -> Option<&str> {
        self.fleet.thing_name(thing)
    }

    fn job_index(&self, job_id: &str) -> Option<u32> {
        self.by_id.get(job_id).copied()
    }

    fn job(&self, index: u32) -> &JobState {
        self.jobs[index as usize].as_ref().expect("live job index")
    }

    fn job_mut(&mut self, index: u32) -> &mut JobState {
        self.jobs[index as usize].as_mut().expect("live job index")
    }

    fn live_jobs(&self) -> impl Iterator<Item = (u32, &JobState)> {
        self.jobs
            .iter()
            .enumerate()
            .filter_map(|(i, j)| j.as_ref().map(|j| (i as u32, j)))
    }

    fn push_timer(&mut self, deadline: u64, job: u32, slot: u32, execution: u32) {
        self.timers.push(Reverse((deadline, job, slot, execution)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::model::{JobSpec, Target};
    use ota_core::jobs::JobExecutionStatus;

    #[test]
    fn a_drained_notification_queue_gives_back_what_a_burst_took() {
        let mut e = Engine::new(1_000, Settings::default());
        e.create_group("g", None).unwrap();
        for i in 0..10_000 {
            let name = format!("t{i}");
            e.create_thing(&name, &[]).unwrap();
            e.add_thing_to_group("g", &name).unwrap();
        }
        let spec = JobSpec::new("j", vec![Target::Group("g".into())], "{}");
        e.create_job(spec).unwrap();
        // However the default rollout rate spreads them, an hour admits them all.
        e.advance(1_000 + 3_600_000);
        assert_eq!(
            e.describe_job("j").unwrap().job_process_details.by_status[JobExecutionStatus::Queued],
            10_000
        );
        let queued = e.notifications.len();
        assert!(queued >= 10_000, "every target was announced: {queued}");
        let mut drained = 0;
        while e.poll_notification().is_some() {
            drained += 1;
        }
        assert_eq!(drained, queued);
        assert!(e.notifications.capacity() <= NOTIFICATIONS_KEPT_ROOM);
    }

    #[test]
    fn progress_updates_that_keep_the_deadline_queue_no_timer_and_it_still_fires() {
        use crate::jobs::model::{TimeoutConfig, UpdateExecution};
        let t0 = 1_800_000_000_000;
        let mut e = Engine::new(t0, Settings::default());
        e.create_thing("t", &[]).unwrap();
        let mut spec = JobSpec::new("j", vec![Target::Thing("t".into())], "{}");
        spec.timeout_config = Some(TimeoutConfig::in_progress(30));
        e.create_job(spec).unwrap();
        e.advance(t0 + 1);
        let progress = UpdateExecution::new(JobExecutionStatus::InProgress);
        for _ in 0..100 {
            e.update_execution("t", "j", &progress).unwrap();
        }
        assert_eq!(e.timers.len(), 1, "one deadline, one entry");
        // A step timeout moves the deadline: one entry more; the same step again, none.
        let mut step = progress.clone();
        step.step_timeout_in_minutes = Some(5);
        e.update_execution("t", "j", &step).unwrap();
        e.update_execution("t", "j", &progress).unwrap();
        assert_eq!(e.timers.len(), 2);
        e.advance(t0 + 1 + 5 * 60_000);
        let status = e.describe_job_execution("j", "t", None).unwrap().status;
        assert_eq!(status, JobExecutionStatus::TimedOut);
    }

    #[test]
    fn status_details_read_back_and_go_with_a_deleted_execution() {
        use crate::jobs::model::UpdateExecution;
        let t0 = 1_800_000_000_000;
        let mut e = Engine::new(t0, Settings::default());
        for name in ["a", "b"] {
            e.create_thing(name, &[]).unwrap();
        }
        let targets = vec![Target::Thing("a".into()), Target::Thing("b".into())];
        e.create_job(JobSpec::new("j", targets, "{}")).unwrap();
        e.advance(t0 + 3_600_000);
        for (thing, step) in [("a", "1"), ("b", "2"), ("a", "3")] {
            let mut update = UpdateExecution::new(JobExecutionStatus::InProgress);
            update.status_details = Some([("step".to_string(), step.to_string())].into());
            e.update_execution(thing, "j", &update).unwrap();
        }
        let details = |e: &Engine, thing: &str| {
            let d = e
                .describe_job_execution("j", thing, None)
                .unwrap()
                .status_details;
            d.get("step").cloned()
        };
        assert_eq!(
            (details(&e, "a"), details(&e, "b")),
            (Some("3".into()), Some("2".into()))
        );
        assert_eq!(e.job(0).details.len(), 2, "replaced in place");
        e.delete_job_execution("j", "a", 1, true).unwrap();
        assert_eq!(
            e.job(0).details.len(),
            1,
            "a deleted execution's details go with it"
        );
        assert_eq!(details(&e, "b"), Some("2".into()));
    }

    #[test]
    fn executions_keep_their_times_to_the_millisecond() {
        let t0 = 1_800_000_000_123;
        let mut e = Engine::new(t0, Settings::default());
        e.create_thing("t", &[]).unwrap();
        let spec = JobSpec::new("j", vec![Target::Thing("t".into())], "{}");
        e.create_job(spec).unwrap();
        e.advance(t0 + 1);
        let s = &e.job(0).slots[0];
        assert!(s.queued_at.get() >= t0 && s.queued_at.get() <= t0 + 1);
        assert_eq!(s.last_updated_at, s.queued_at);
    }
}
