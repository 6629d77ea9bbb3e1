//! Time: admissions, schedules and timeouts, applied in time order by [`Engine::advance`].
//!
//! Scheduling choices where AWS is silent: a job whose `endTime` passes applies its
//! `endBehavior` then (`STOP_ROLLOUT` stops notifying and keeps what exists, `CANCEL` cancels
//! `QUEUED` executions, `FORCE_CANCEL` also `IN_PROGRESS` ones); outside maintenance windows
//! nothing is notified, and pacing restarts when a window opens (no burst of the backlog).
//! Retries are queued at once when an execution fails or times out.

use ota_core::jobs::JobExecutionStatus;

use super::Engine;
use crate::jobs::events::EventKind;
use crate::jobs::model::{CancelJob, JobStatus};
use crate::schedule::EndBehavior;

/// What a job waits for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wake {
    Start,
    End,
    Admit,
}

impl Engine {
    /// Apply everything due up to `now` (Unix ms), in time order: scheduled starts and ends,
    /// admissions at the rollout rate, in-progress and step timeouts. `now` earlier than the
    /// engine's time is ignored.
    pub fn advance(&mut self, now: u64) {
        while let Some(t) = self.next_due().filter(|&t| t <= now) {
            self.now = self.now.max(t);
            self.fire_timers(t);
            for job in 0..self.jobs.len() as u32 {
                self.run_due(job);
            }
        }
        self.now = self.now.max(now);
    }

    /// When something is next due (may be earlier than needed: calling
    /// [`Engine::advance`] then does nothing).
    pub fn poll_timeout(&self) -> Option<u64> {
        self.next_due()
    }

    fn next_due(&self) -> Option<u64> {
        let timer = self.timers.peek().map(|r| r.0.0);
        let jobs = (0..self.jobs.len() as u32)
            .filter_map(|j| self.wake(j).map(|(t, _)| t))
            .min();
        match (timer, jobs) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn wake(&self, job: u32) -> Option<(u64, Wake)> {
        let j = self.jobs[job as usize].as_ref()?;
        let schedule = j.v.schedule.as_ref();
        match j.status {
            JobStatus::Scheduled => Some((schedule?.start?, Wake::Start)),
            JobStatus::InProgress => {
                let end = schedule
                    .and_then(|s| s.end)
                    .filter(|_| !j.admission.ended)
                    .map(|t| (t, Wake::End));
                let admit = self.admission_due(job).map(|t| (t, Wake::Admit));
                match (end, admit) {
                    (Some(e), Some(a)) => Some(if e.0 <= a.0 { e } else { a }),
                    (e, a) => e.or(a),
                }
            }
            _ => None,
        }
    }

    /// When the job's next target may be notified, if it has one and may notify it.
    fn admission_due(&self, job: u32) -> Option<u64> {
        let j = self.job(job);
        if j.admission.stopped || j.unadmitted() == 0 {
            return None;
        }
        if j.v
            .max_in_flight
            .is_some_and(|cap| j.counts.things.in_flight() >= u64::from(cap))
        {
            return None;
        }
        let due = j.admission.due(self.settings.pacing);
        match &j.v.schedule {
            Some(s) if !s.admits(due) => s.next_admission(due),
            _ => Some(due),
        }
    }

    /// Do whatever `job` has due at or before the engine's time.
    pub(super) fn run_due(&mut self, job: u32) {
        while let Some((t, what)) = self.wake(job).filter(|&(t, _)| t <= self.now) {
            match what {
                Wake::Start => self.start_scheduled(job, t),
                Wake::End => self.end_schedule(job),
                Wake::Admit => self.admit_next(job, t),
            }
        }
    }

    fn start_scheduled(&mut self, job: u32, t: u64) {
        let j = self.job_mut(job);
        j.status = JobStatus::InProgress;
        j.last_updated_at = t;
        j.admission.restart(t);
        let id = j.id.clone();
        self.events.job(t, job, &id, EventKind::JobStarted);
    }

    fn end_schedule(&mut self, job: u32) {
        let j = self.job_mut(job);
        j.admission.ended = true;
        j.admission.stopped = true;
        let behavior =
            j.v.schedule
                .as_ref()
                .map_or(EndBehavior::StopRollout, |s| s.end_behavior);
        match behavior {
            EndBehavior::StopRollout => self.check_completion(job),
            EndBehavior::Cancel | EndBehavior::ForceCancel => {
                let cancel = CancelJob {
                    force: behavior == EndBehavior::ForceCancel,
                    ..CancelJob::because("SCHEDULED_END")
                };
                self.cancel_job_internal(job, cancel);
            }
        }
    }

    /// Notify the next target not yet notified.
    fn admit_next(&mut self, job: u32, t: u64) {
        let pacing = self.settings.pacing;
        let j = self.job_mut(job);
        if t > j.admission.due(pacing) {
            // Late (a window opened, the in-flight cap freed up, the schedule started): pace
            // from now instead of catching up in a burst.
            j.admission.restart(t);
        }
        // Targets that already have an execution (late joiners admitted directly) are skipped.
        while (j.admission.next as usize) < j.slots.len()
            && j.slots[j.admission.next as usize].status.is_some()
        {
            j.admission.next += 1;
        }
        let Some(slot) = (j.admission.next as usize)
            .lt(&j.slots.len())
            .then_some(j.admission.next)
        else {
            self.check_completion(job);
            return;
        };
        self.admit(job, slot);
        let j = self.job_mut(job);
        j.admission.admitted();
        j.ramp_up(pacing, None);
        self.check_abort(job);
    }

    fn fire_timers(&mut self, t: u64) {
        while let Some(&std::cmp::Reverse((deadline, job, slot, execution))) = self.timers.peek() {
            if deadline > t {
                break;
            }
            self.timers.pop();
            let Some(j) = self.jobs.get(job as usize).and_then(Option::as_ref) else {
                continue;
            };
            let s = &j.slots[slot as usize];
            let live = s.status == Some(JobExecutionStatus::InProgress)
                && s.execution_number == execution
                && s.deadline() == Some(deadline);
            if live {
                self.set_status(job, slot, JobExecutionStatus::TimedOut);
            }
        }
    }
}
