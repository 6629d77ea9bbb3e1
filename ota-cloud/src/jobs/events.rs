//! The append-only event log, shaped like AWS IoT's `$aws/events/job…` messages, and the
//! CloudWatch-style counters derived from it.

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
        match e.kind {
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

/// The log. Execution entries can be left out for very large runs (job entries stay, and
/// the metrics count everything).
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    entries: Vec<Event>,
    metrics: Metrics,
    seen: u64,
    metrics_only_for_executions: bool,
}

impl EventLog {
    /// An empty log; `keep_execution_events` false keeps only the job entries.
    pub fn new(keep_execution_events: bool) -> Self {
        Self {
            metrics_only_for_executions: !keep_execution_events,
            ..Self::default()
        }
    }

    /// Every entry kept, in order.
    pub fn entries(&self) -> &[Event] {
        &self.entries
    }

    /// Entries from position `from` on (for a consumer that remembers how far it read).
    pub fn since(&self, from: usize) -> &[Event] {
        self.entries.get(from..).unwrap_or_default()
    }

    /// The counters, over every event including those not kept.
    pub fn metrics(&self) -> Metrics {
        self.metrics
    }

    /// Recompute the metrics from the kept entries (equal to [`EventLog::metrics`] unless
    /// execution entries are not kept).
    pub fn recount(&self) -> Metrics {
        let mut m = Metrics::default();
        for e in &self.entries {
            m.apply(e);
        }
        m
    }

    fn push(
        &mut self,
        at: u64,
        job_id: &Arc<str>,
        thing: Option<ThingId>,
        execution_number: u32,
        kind: EventKind,
    ) {
        let event = Event {
            sequence: self.seen,
            at,
            job_id: job_id.clone(),
            thing,
            execution_number,
            kind,
        };
        self.seen += 1;
        self.metrics.apply(&event);
        if thing.is_none() || !self.metrics_only_for_executions {
            self.entries.push(event);
        }
    }

    pub(crate) fn job(&mut self, at: u64, job_id: &Arc<str>, kind: EventKind) {
        self.push(at, job_id, None, 0, kind);
    }

    pub(crate) fn execution(
        &mut self,
        at: u64,
        job_id: &Arc<str>,
        thing: ThingId,
        execution: u32,
        status: JobExecutionStatus,
    ) {
        self.push(
            at,
            job_id,
            Some(thing),
            execution,
            EventKind::Execution(status),
        );
    }

    pub(crate) fn execution_deleted(
        &mut self,
        at: u64,
        job_id: &Arc<str>,
        thing: ThingId,
        execution: u32,
    ) {
        self.push(
            at,
            job_id,
            Some(thing),
            execution,
            EventKind::ExecutionDeleted,
        );
    }
}
