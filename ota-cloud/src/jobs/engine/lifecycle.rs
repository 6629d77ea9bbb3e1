//! Every execution status change goes through here, so counters, timers, notifications,
//! retries, abort criteria, events and job completion always agree.

use ota_core::jobs::JobExecutionStatus;

use super::slot::Millis;
use super::{Engine, Notification, NotificationKind};
use crate::jobs::events::EventKind;
use crate::jobs::model::{CancelJob, Comparator, Denominator, FailureType, JobStatus};
use crate::jobs::validate::Abort;

use JobExecutionStatus::*;

impl Engine {
    /// Move `slot` of `job` to `to` at the engine's current time.
    pub(super) fn set_status(&mut self, job: u32, slot: u32, to: JobExecutionStatus) {
        let now = self.now;
        let j = self.job_mut(job);
        let s = &mut j.slots[slot as usize];
        let from = s.status;
        s.status = Some(to);
        s.last_updated_at = Millis::new(now);
        if to.is_terminal() || to == Queued {
            s.in_progress_deadline = Millis::ZERO;
            s.step_deadline = Millis::ZERO;
        }
        if to == Queued {
            s.execution_number += 1;
            s.version_number = 1;
            s.queued_at = Millis::new(now);
            s.started_at = Millis::ZERO;
            s.force_canceled = false;
        }
        let (thing, execution) = (s.thing, s.execution_number);
        if to == Queued {
            j.clear_details(slot);
        }
        j.counts.moved(from, to);
        j.last_updated_at = now;
        self.events.execution(now, job, thing, execution, to);
        let (was_pending, is_pending) = (from.is_some_and(|f| !f.is_terminal()), !to.is_terminal());
        let retried = to.is_terminal() && self.after_terminal(job, slot, to);
        // A retry queued a new execution and announced it already.
        if was_pending != is_pending && !retried {
            self.announce(thing);
        }
    }

    /// A new execution for a target that had none (or whose last one was removed).
    pub(super) fn admit(&mut self, job: u32, slot: u32) {
        self.set_status(job, slot, Queued);
    }

    /// Ramp, retry, abort and completion after a terminal status; true if a retry was queued.
    fn after_terminal(&mut self, job: u32, slot: u32, to: JobExecutionStatus) -> bool {
        if to == Succeeded {
            let pacing = self.settings.pacing;
            let now = self.now;
            self.job_mut(job).ramp_up(pacing, Some(now));
        }
        let retried = matches!(to, Failed | TimedOut) && self.retry(job, slot, to);
        // A retried failure still counts toward the abort criteria (and an abort cancels the
        // queued retry).
        self.check_abort(job);
        self.check_completion(job);
        // A freed in-flight slot may let the next target in now.
        self.run_due(job);
        retried
    }

    /// Queue a new execution when the retry policy allows one; true if it did.
    fn retry(&mut self, job: u32, slot: u32, failure: JobExecutionStatus) -> bool {
        let j = self.job_mut(job);
        if !j.is_active() {
            return false;
        }
        let (max_failed, max_timed_out) = (j.v.retries_failed, j.v.retries_timed_out);
        let s = &mut j.slots[slot as usize];
        let used = u32::from(s.retries_failed) + u32::from(s.retries_timed_out);
        let allowed = match failure {
            Failed => u32::from(s.retries_failed) < max_failed,
            _ => u32::from(s.retries_timed_out) < max_timed_out,
        } && used < crate::jobs::validate::MAX_RETRIES;
        if !allowed {
            return false;
        }
        match failure {
            Failed => s.retries_failed += 1,
            _ => s.retries_timed_out += 1,
        }
        self.set_status(job, slot, Queued);
        true
    }

    /// Apply the abort criteria after a change; cancels the job when one fires.
    pub(super) fn check_abort(&mut self, job: u32) {
        let j = self.job(job);
        if !j.is_active() || j.v.aborts.is_empty() {
            return;
        }
        let fired = j.v.aborts.iter().find(|a| criterion_fires(a, j)).copied();
        if let Some(a) = fired {
            let failures = failures(&a, &j.counts);
            let comment = format!(
                "Abort criteria for failure type {:?} with threshold {}% met. Total completed executions: {}, total {:?} executions: {failures}",
                a.failure_type,
                f64::from(a.threshold_hundredths) / 100.0,
                j.counts.terminal_attempts(),
                a.failure_type,
            );
            let cancel = CancelJob {
                comment: Some(comment),
                ..CancelJob::because("ABORT_CANCEL")
            };
            self.cancel_job_internal(job, cancel);
        }
    }

    /// A snapshot job whose rollout is over and whose executions are all terminal completes.
    pub(super) fn check_completion(&mut self, job: u32) {
        let now = self.now;
        let j = self.job_mut(job);
        let rollout_done = j.admission.stopped || j.unadmitted() == 0;
        if j.status == JobStatus::InProgress
            && !j.is_continuous()
            && rollout_done
            && j.counts.things.in_flight() == 0
        {
            j.status = JobStatus::Completed;
            j.completed_at = Some(now);
            j.last_updated_at = now;
            let id = j.id.clone();
            self.events.job(now, job, &id, EventKind::JobCompleted);
        }
    }

    /// After the pending set of `thing` changed: `notify`, and `notify-next` if the next
    /// execution is another one than last announced.
    pub(super) fn announce(&mut self, thing: crate::fleet::ThingId) {
        self.notifications.push_back(Notification {
            thing,
            kind: NotificationKind::Notify,
        });
        let next = self
            .next_pending(thing)
            .map(|(job, slot)| (job, self.job(job).slots[slot as usize].execution_number));
        let at = thing.0 as usize;
        let last = self
            .announced
            .get(at)
            .copied()
            .filter(|&a| a != super::NOT_ANNOUNCED);
        if next != last {
            if self.announced.len() <= at {
                self.announced.resize(at + 1, super::NOT_ANNOUNCED);
            }
            self.announced[at] = next.unwrap_or(super::NOT_ANNOUNCED);
            self.notifications.push_back(Notification {
                thing,
                kind: NotificationKind::NotifyNext,
            });
        }
    }

    /// The thing's next pending execution: the first `IN_PROGRESS` one (in job creation
    /// order), else the `QUEUED` one queued earliest (ties by job creation order).
    pub(super) fn next_pending(&self, thing: crate::fleet::ThingId) -> Option<(u32, u32)> {
        let mut queued: Option<(u64, u32, u32)> = None;
        for (index, j) in self.live_jobs() {
            let Some(slot) = j.slot_of(thing) else {
                continue;
            };
            let s = &j.slots[slot as usize];
            match s.status {
                Some(InProgress) => return Some((index, slot)),
                Some(Queued) if queued.is_none_or(|(at, _, _)| s.queued_at.get() < at) => {
                    queued = Some((s.queued_at.get(), index, slot));
                }
                _ => {}
            }
        }
        queued.map(|(_, job, slot)| (job, slot))
    }

    /// Cancel a job: stop rollout, cancel `QUEUED` executions and, with `force`, `IN_PROGRESS`
    /// ones.
    pub(super) fn cancel_job_internal(&mut self, job: u32, cancel: CancelJob) {
        let CancelJob {
            reason_code,
            comment,
            force,
        } = cancel;
        let now = self.now;
        let j = self.job_mut(job);
        j.status = JobStatus::Canceled;
        j.admission.stopped = true;
        j.reason_code = reason_code;
        j.comment = comment;
        j.force_canceled |= force;
        j.completed_at = Some(now);
        j.last_updated_at = now;
        let id = j.id.clone();
        self.events.job(now, job, &id, EventKind::JobCanceled);
        self.cancel_executions(job, force);
    }

    /// A forced CancelJob of a job already cancelled without force: the `IN_PROGRESS`
    /// executions that cancel left are cancelled now. The reason code and comment are
    /// replaced only when given.
    pub(super) fn force_cancel_canceled(&mut self, job: u32, cancel: CancelJob) {
        let now = self.now;
        let j = self.job_mut(job);
        j.force_canceled = true;
        j.last_updated_at = now;
        if cancel.reason_code.is_some() {
            j.reason_code = cancel.reason_code;
        }
        if cancel.comment.is_some() {
            j.comment = cancel.comment;
        }
        self.cancel_executions(job, true);
    }

    /// Cancel `job`'s `QUEUED` executions and, with `force`, its `IN_PROGRESS` ones.
    fn cancel_executions(&mut self, job: u32, force: bool) {
        let victims: Vec<u32> = self
            .job(job)
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.status == Some(Queued) || (force && s.status == Some(InProgress)))
            .map(|(i, _)| i as u32)
            .collect();
        for slot in victims {
            if self.job(job).slots[slot as usize].status == Some(InProgress) {
                self.job_mut(job).slots[slot as usize].force_canceled = true;
            }
            self.set_status(job, slot, Canceled);
        }
    }
}

fn failures(a: &Abort, counts: &super::counts::Counts) -> u64 {
    let ended = &counts.attempts.ended;
    match a.failure_type {
        FailureType::Failed => ended[Failed],
        FailureType::Rejected => ended[Rejected],
        FailureType::TimedOut => ended[TimedOut],
        FailureType::All => ended.failures(),
    }
}

fn criterion_fires(a: &Abort, j: &super::job_state::JobState) -> bool {
    let c = &j.counts;
    if c.notified < u64::from(a.min_notified) {
        return false;
    }
    let denominator = match a.denominator {
        Denominator::Terminal => c.terminal_attempts(),
        Denominator::Notified => c.notified,
        Denominator::Total => j.slots.len() as u64,
    };
    if denominator == 0 {
        return false;
    }
    // failures / denominator ⋛ threshold / 100 with the threshold in hundredths of a percent.
    let lhs = u128::from(failures(a, c)) * 10_000;
    let rhs = u128::from(a.threshold_hundredths) * u128::from(denominator);
    match a.comparator {
        Comparator::AtLeast => lhs >= rhs,
        Comparator::Exceeds => lhs > rhs,
    }
}
