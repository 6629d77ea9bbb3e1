//! The event log, shaped like AWS IoT's `$aws/events/job…` messages (its newest entries,
//! up to a capacity), and the CloudWatch-style counters over every event.

use std::collections::VecDeque;
use std::sync::Arc;

use ota_core::jobs::JobExecutionStatus;
use serde::Serialize;

use crate::fleet::ThingId;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventKind {
    /// A job was created (this engine's addition; AWS has no creation event).
    JobCreated,
    /// A scheduled job started rolling out (addition).
    JobStarted,
    /// `$aws/events/job/<id>/completed`.
    JobCompleted,
    /// `$aws/events/job/<id>/canceled`.
    JobCanceled,
    /// `$aws/events/job/<id>/deleted`.
    JobDeleted,
    /// `$aws/events/jobExecution/<id>/<status>`: an execution changed status.
    Execution(JobExecutionStatus),
    /// `$aws/events/jobExecution/<id>/deleted`.
    ExecutionDeleted,
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Position in the log, from 0.
    pub sequence: u64,
    /// Unix ms.
    pub at: u64,
    /// The job.
    pub job_id: Arc<str>,
    /// The thing, for execution events.
    pub thing: Option<ThingId>,
    /// The execution number, for execution events.
    pub execution_number: u32,
    /// What happened.
    pub kind: EventKind,
}

impl Event {
    /// The AWS topic this event corresponds to (`$aws/events/job/<id>/completed`,
    /// `$aws/events/jobExecution/<id>/succeeded`, …).
    pub fn topic(&self) -> String {
        let op = match self.kind {
            EventKind::JobCreated => "created",
            EventKind::JobStarted => "started",
            EventKind::JobCompleted => "completed",
            EventKind::JobCanceled => "canceled",
            EventKind::JobDeleted | EventKind::ExecutionDeleted => "deleted",
            EventKind::Execution(s) => match s {
                JobExecutionStatus::Queued => "queued",
                JobExecutionStatus::InProgress => "in_progress",
                JobExecutionStatus::Succeeded => "succeeded",
                JobExecutionStatus::Failed => "failed",
                JobExecutionStatus::TimedOut => "timed_out",
                JobExecutionStatus::Rejected => "rejected",
                JobExecutionStatus::Removed => "removed",
                JobExecutionStatus::Canceled => "canceled",
            },
        };
        let scope = if self.thing.is_some() {
            "jobExecution"
        } else {
            "job"
        };
        format!("$aws/events/{scope}/{}/{op}", self.job_id)
    }
}

/// Counters derived from the log, named after the CloudWatch IoT Jobs metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Metrics {
    /// Jobs created.
    pub jobs_created: u64,
    /// Jobs completed.
    pub jobs_completed: u64,
    /// Jobs cancelled (including aborts and schedule ends).
    pub jobs_canceled: u64,
    /// Jobs deleted.
    pub jobs_deleted: u64,
    /// Jobs neither completed, cancelled nor deleted.
    pub jobs_in_progress: u64,
    /// Executions queued, retries included (`QueuedJobExecutionTotalCount`).
    pub queued_job_execution_total_count: u64,
    /// Executions that reached `IN_PROGRESS`.
    pub in_progress_job_execution_total_count: u64,
    /// `SuccessfulJobExecutionTotalCount`.
    pub successful_job_execution_total_count: u64,
    /// `FailedJobExecutionTotalCount`.
    pub failed_job_execution_total_count: u64,
    /// `RejectedJobExecutionTotalCount`.
    pub rejected_job_execution_total_count: u64,
    /// `TimedOutJobExecutionTotalCount`.
    pub timed_out_job_execution_total_count: u64,
    /// `CanceledJobExecutionTotalCount`.
    pub canceled_job_execution_total_count: u64,
    /// `RemovedJobExecutionTotalCount`.
    pub removed_job_execution_total_count: u64,
}

impl Metrics {
    /// Fold one event in.
    pub fn apply(&mut self, e: &Event) {
        self.apply_kind(e.kind);
    }

    fn apply_kind(&mut self, kind: EventKind) {
        match kind {
            EventKind::JobCreated => {
                self.jobs_created += 1;
                self.jobs_in_progress += 1;
            }
            EventKind::JobCompleted => {
                self.jobs_completed += 1;
                self.jobs_in_progress = self.jobs_in_progress.saturating_sub(1);
            }
            EventKind::JobCanceled => {
                self.jobs_canceled += 1;
                self.jobs_in_progress = self.jobs_in_progress.saturating_sub(1);
            }
            EventKind::JobDeleted => self.jobs_deleted += 1,
            EventKind::JobStarted | EventKind::ExecutionDeleted => {}
            EventKind::Execution(s) => match s {
                JobExecutionStatus::Queued => self.queued_job_execution_total_count += 1,
                JobExecutionStatus::InProgress => self.in_progress_job_execution_total_count += 1,
                JobExecutionStatus::Succeeded => self.successful_job_execution_total_count += 1,
                JobExecutionStatus::Failed => self.failed_job_execution_total_count += 1,
                JobExecutionStatus::Rejected => self.rejected_job_execution_total_count += 1,
                JobExecutionStatus::TimedOut => self.timed_out_job_execution_total_count += 1,
                JobExecutionStatus::Canceled => self.canceled_job_execution_total_count += 1,
                JobExecutionStatus::Removed => self.removed_job_execution_total_count += 1,
            },
        }
    }
}

/// The log: the newest entries, up to a capacity. Execution entries can be left out
/// altogether for very large runs (job entries stay).
///
/// Bounded: past its capacity the oldest entry is dropped for each new one, as an MQTT
/// subscriber that falls behind misses AWS's `$aws/events` messages. The [`Metrics`] count
/// every event ever pushed, kept or not. Positions (see [`EventLog::since`]) count every
/// entry ever kept, so a consumer's position stays valid while old entries go.
///
/// Held compactly: 24 bytes per entry (the job as an index into the log's table of job
/// ids, the thing as its id). [`Event`]s are made when read.
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    entries: VecDeque<Entry>,
    /// Job ids by the engine's job index (the index is never reused).
    jobs: Vec<Arc<str>>,
    /// The sequence number of each kept entry, only while execution entries are left out
    /// (otherwise an entry's sequence number is its position).
    sequences: VecDeque<u64>,
    /// Entries kept at most.
    capacity: usize,
    /// Entries kept once and dropped since (the position of the oldest kept entry).
    dropped: usize,
    metrics: Metrics,
    seen: u64,
    metrics_only_for_executions: bool,
}

/// Entries an [`EventLog`] keeps unless told otherwise: 1.5 MiB of entries.
pub const DEFAULT_EVENT_LOG_CAPACITY: usize = 1 << 16;

/// One entry as held: `thing` is [`NO_THING`] for job events.
#[derive(Debug, Clone, Copy)]
struct Entry {
    at: u64,
    job: u32,
    thing: u32,
    execution_number: u32,
    kind: PackedKind,
}

const NO_THING: u32 = u32::MAX;

/// An [`EventKind`] in one byte.
#[derive(Debug, Clone, Copy)]
struct PackedKind(u8);

const STATUSES: [JobExecutionStatus; 8] = [
    JobExecutionStatus::Queued,
    JobExecutionStatus::InProgress,
    JobExecutionStatus::Succeeded,
    JobExecutionStatus::Failed,
    JobExecutionStatus::TimedOut,
    JobExecutionStatus::Rejected,
    JobExecutionStatus::Removed,
    JobExecutionStatus::Canceled,
];

const JOB_KINDS: [EventKind; 6] = [
    EventKind::JobCreated,
    EventKind::JobStarted,
    EventKind::JobCompleted,
    EventKind::JobCanceled,
    EventKind::JobDeleted,
    EventKind::ExecutionDeleted,
];

impl PackedKind {
    fn pack(kind: EventKind) -> Self {
        let code = match kind {
            EventKind::Execution(s) => 8 + STATUSES.iter().position(|&x| x == s).unwrap_or(0),
            other => JOB_KINDS.iter().position(|&x| x == other).unwrap_or(0),
        };
        Self(code as u8)
    }

    fn unpack(self) -> EventKind {
        match self.0 {
            code @ 8.. => EventKind::Execution(STATUSES[usize::from(code - 8) % STATUSES.len()]),
            code => JOB_KINDS[usize::from(code) % JOB_KINDS.len()],
        }
    }
}

impl EventLog {
    /// An empty log that keeps the newest `capacity` entries; `keep_execution_events`
    /// false keeps only the job entries. A capacity of 0 keeps no entry, only the metrics.
    pub fn new(keep_execution_events: bool, capacity: usize) -> Self {
        Self {
            metrics_only_for_executions: !keep_execution_events,
            capacity,
            ..Self::default()
        }
    }

    /// Entries kept now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries kept at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Entries dropped to make room: the position of the oldest entry kept.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// The position the next entry will have (entries ever kept, dropped ones included):
    /// what a consumer that has read everything passes to [`EventLog::since`] next.
    pub fn end(&self) -> usize {
        self.dropped + self.entries.len()
    }

    /// Every entry kept, oldest first.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = Event> + '_ {
        self.since(0)
    }

    /// Entries from position `from` on, for a consumer that remembers how far it read
    /// ([`EventLog::end`] after reading). Entries dropped before it read them are not
    /// returned: the first one returned is at `from.max(self.dropped())`.
    pub fn since(&self, from: usize) -> impl ExactSizeIterator<Item = Event> + '_ {
        let start = from.saturating_sub(self.dropped).min(self.entries.len());
        self.entries
            .range(start..)
            .enumerate()
            .map(move |(i, e)| self.event(start + i, e))
    }

    /// The event kept at index `kept` (0 is the oldest kept).
    fn event(&self, kept: usize, e: &Entry) -> Event {
        let sequence = if self.metrics_only_for_executions {
            self.sequences.get(kept).copied().unwrap_or_default()
        } else {
            (self.dropped + kept) as u64
        };
        Event {
            sequence,
            at: e.at,
            job_id: self
                .jobs
                .get(e.job as usize)
                .cloned()
                .unwrap_or_else(|| "".into()),
            thing: (e.thing != NO_THING).then_some(ThingId(e.thing)),
            execution_number: e.execution_number,
            kind: e.kind.unpack(),
        }
    }

    /// The counters, over every event including those not kept.
    pub fn metrics(&self) -> Metrics {
        self.metrics
    }

    /// Recompute the metrics from the kept entries (equal to [`EventLog::metrics`] unless
    /// execution entries are not kept or some were dropped).
    pub fn recount(&self) -> Metrics {
        let mut m = Metrics::default();
        for e in self.entries() {
            m.apply(&e);
        }
        m
    }

    fn push(
        &mut self,
        at: u64,
        job: u32,
        thing: Option<ThingId>,
        execution_number: u32,
        kind: EventKind,
    ) {
        let sequence = self.seen;
        self.seen += 1;
        self.metrics.apply_kind(kind);
        if thing.is_some() && self.metrics_only_for_executions {
            return;
        }
        if self.capacity == 0 {
            return;
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
            self.sequences.pop_front();
            self.dropped += 1;
        }
        if self.metrics_only_for_executions {
            self.sequences.push_back(sequence);
        }
        self.entries.push_back(Entry {
            at,
            job,
            thing: thing.map_or(NO_THING, |t| t.0),
            execution_number,
            kind: PackedKind::pack(kind),
        });
    }

    /// A job event; `job` is the engine's index of the job `job_id`.
    pub(crate) fn job(&mut self, at: u64, job: u32, job_id: &Arc<str>, kind: EventKind) {
        let index = job as usize;
        if self.jobs.len() <= index {
            self.jobs.resize(index + 1, Arc::from(""));
        }
        if *self.jobs[index] != **job_id {
            self.jobs[index] = job_id.clone();
        }
        self.push(at, job, None, 0, kind);
    }

    /// An execution of job `job` (the index a job event registered) changed status.
    pub(crate) fn execution(
        &mut self,
        at: u64,
        job: u32,
        thing: ThingId,
        execution: u32,
        status: JobExecutionStatus,
    ) {
        self.push(
            at,
            job,
            Some(thing),
            execution,
            EventKind::Execution(status),
        );
    }

    /// An execution of job `job` was deleted.
    pub(crate) fn execution_deleted(&mut self, at: u64, job: u32, thing: ThingId, execution: u32) {
        self.push(at, job, Some(thing), execution, EventKind::ExecutionDeleted);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds() -> Vec<EventKind> {
        let mut all = JOB_KINDS.to_vec();
        all.extend(STATUSES.iter().map(|&s| EventKind::Execution(s)));
        all
    }

    #[test]
    fn every_kind_survives_packing() {
        for kind in kinds() {
            assert_eq!(PackedKind::pack(kind).unpack(), kind);
        }
        assert_eq!(kinds().len(), 14);
    }

    #[test]
    fn entries_read_back_as_pushed_with_their_job_ids_and_sequences() {
        let mut log = EventLog::new(true, DEFAULT_EVENT_LOG_CAPACITY);
        let (a, b): (Arc<str>, Arc<str>) = ("job-a".into(), "job-b".into());
        log.job(10, 0, &a, EventKind::JobCreated);
        log.job(11, 1, &b, EventKind::JobCreated);
        log.execution(12, 1, ThingId(7), 1, JobExecutionStatus::Queued);
        log.execution_deleted(13, 0, ThingId(8), 2);
        let read: Vec<Event> = log.entries().collect();
        assert_eq!(read.len(), 4);
        assert_eq!(
            read[2],
            Event {
                sequence: 2,
                at: 12,
                job_id: b.clone(),
                thing: Some(ThingId(7)),
                execution_number: 1,
                kind: EventKind::Execution(JobExecutionStatus::Queued),
            }
        );
        assert_eq!(
            (&*read[3].job_id, read[3].thing),
            ("job-a", Some(ThingId(8)))
        );
        assert_eq!(read[0].thing, None);
        assert_eq!(log.since(3).count(), 1);
        assert_eq!(log.since(99).count(), 0);
        assert_eq!(log.metrics(), log.recount());
    }

    #[test]
    fn without_execution_entries_job_entries_keep_their_sequence_and_metrics_count_all() {
        let mut log = EventLog::new(false, DEFAULT_EVENT_LOG_CAPACITY);
        let id: Arc<str> = "j".into();
        log.job(1, 0, &id, EventKind::JobCreated);
        log.execution(2, 0, ThingId(0), 1, JobExecutionStatus::Queued);
        log.execution(3, 0, ThingId(0), 1, JobExecutionStatus::Succeeded);
        log.job(4, 0, &id, EventKind::JobCompleted);
        let seqs: Vec<u64> = log.entries().map(|e| e.sequence).collect();
        assert_eq!(seqs, [0, 3]);
        let m = log.metrics();
        assert_eq!(
            (
                m.queued_job_execution_total_count,
                m.successful_job_execution_total_count
            ),
            (1, 1)
        );
        assert_eq!(m.jobs_completed, 1);
    }

    #[test]
    fn past_its_capacity_the_log_drops_the_oldest_and_positions_stay() {
        for keep in [true, false] {
            let mut log = EventLog::new(keep, 3);
            let id: Arc<str> = "j".into();
            for at in 0..5 {
                log.job(at, 0, &id, EventKind::JobStarted);
                log.execution(at, 0, ThingId(1), 1, JobExecutionStatus::Queued);
            }
            let kept = 3;
            assert_eq!(log.len(), kept);
            let ever = if keep { 10 } else { 5 };
            assert_eq!((log.dropped(), log.end()), (ever - kept, ever));
            // Sequences count every event, kept or not.
            let seqs: Vec<u64> = log.entries().map(|e| e.sequence).collect();
            let expected: Vec<u64> = if keep { vec![7, 8, 9] } else { vec![4, 6, 8] };
            assert_eq!(seqs, expected);
            assert_eq!(log.since(ever - 1).count(), 1);
            assert_eq!(
                log.since(0).count(),
                kept,
                "a slow consumer gets what is left"
            );
            assert_eq!(log.since(ever).count(), 0);
            let m = log.metrics();
            assert_eq!((m.queued_job_execution_total_count, m.jobs_created), (5, 0));
        }
    }

    #[test]
    fn a_log_of_capacity_zero_keeps_only_the_metrics() {
        let mut log = EventLog::new(true, 0);
        let id: Arc<str> = "j".into();
        log.job(1, 0, &id, EventKind::JobCreated);
        log.execution(2, 0, ThingId(0), 1, JobExecutionStatus::Succeeded);
        assert!(log.is_empty());
        assert_eq!(log.end(), 0);
        assert_eq!(log.metrics().successful_job_execution_total_count, 1);
        assert_eq!(log.metrics().jobs_created, 1);
    }

    #[test]
    fn an_entry_is_24_bytes() {
        assert_eq!(core::mem::size_of::<Entry>(), 24);
    }
}
