//! Job lifecycle: taking a job, sending requests with retries, final reports, cancellation.

use ota_core::jobs::{ErrorAction, ErrorCode, JobExecutionStatus, JobId};
use ota_core::json::JsonStr;
use ota_core::time::Instant;

use super::job::{Intake, IntakeContext, PolicySource, intake};
use super::messages::Execution;
use super::outbox::{Details, Outgoing, Qos};
use super::state::{FinalReport, Request, Resume, State};
use super::{Client, CustomJob};
use crate::error::Error;
use crate::event::Event;
use crate::reason::Reason;
use crate::record::{ImageKind, Phase};
use crate::storage::{FirmwareSlot, StateStore};

impl<'a, S: FirmwareSlot, P: StateStore, const K: usize> Client<'a, S, P, K> {
    pub(super) fn on_connected(&mut self, now: Instant) {
        match self.state {
            State::Idle => self.describe_next(now),
            State::AwaitingReboot | State::SelfTest | State::Custom => {}
            _ => self.send(now, 1),
        }
    }

    /// Ask for the next pending execution.
    pub(super) fn describe_next(&mut self, now: Instant) {
        self.state = State::Describing(Request::first(0));
        self.send(now, 1);
    }

    /// Ask for the next pending execution after a backoff (after a failure that could repeat
    /// at once if retried at once).
    pub(super) fn describe_later(&mut self, now: Instant) {
        self.state = State::Describing(Request {
            attempt: 1,
            token: 0,
            backing_off: true,
        });
        let delay = self.backoff(1);
        self.arm(now + delay);
    }

    /// (Re)send the request of the current state as attempt `attempt`, with a new token.
    pub(super) fn send(&mut self, now: Instant, attempt: u8) {
        let token = self.new_token();
        let request = Request {
            attempt,
            token,
            backing_off: false,
        };
        let update = |status, details, expected_version| Outgoing::Update {
            token,
            status,
            details,
            expected_version,
            qos: Qos::AtLeastOnce,
        };
        let out = match self.state {
            State::Describing(_) => Outgoing::DescribeNext { token },
            State::Redescribing(..) => Outgoing::DescribeCurrent { token },
            State::Starting(_) => {
                let (blocks, total) = self.blocks_progress();
                update(
                    JobExecutionStatus::InProgress,
                    Details::Receive { blocks, total },
                    self.expected_version,
                )
            }
            State::ReportingReady(_) => {
                update(JobExecutionStatus::InProgress, Details::Ready, None)
            }
            State::ReportingActive(_) => {
                update(JobExecutionStatus::InProgress, Details::Active, None)
            }
            State::Reporting(_, report) => {
                let firmware =
                    self.record.kind != ImageKind::AfrFile && self.record.job_id == self.job_id;
                let details = match (report.status, report.reason) {
                    (_, Some(reason)) => Details::Reason(reason),
                    (JobExecutionStatus::Succeeded, None) if firmware => Details::Accepted,
                    _ => Details::None,
                };
                update(report.status, details, None)
            }
            State::Downloading(_) => {
                self.set_request(request);
                return self.request_window(now);
            }
            State::Idle | State::AwaitingReboot | State::SelfTest | State::Custom => return,
        };
        self.set_request(request);
        self.queue(out);
        let deadline = self.reply_deadline(now);
        self.arm(deadline);
    }

    fn set_request(&mut self, request: Request) {
        match &mut self.state {
            State::Describing(r)
            | State::Redescribing(r, _)
            | State::Starting(r)
            | State::ReportingReady(r)
            | State::ReportingActive(r)
            | State::Reporting(r, _) => *r = request,
            State::Downloading(d) => {
                d.request = request;
                d.http_fill = 0;
            }
            _ => {}
        }
    }

    fn current_request(&self) -> Option<Request> {
        match self.state {
            State::Describing(r)
            | State::Redescribing(r, _)
            | State::Starting(r)
            | State::ReportingReady(r)
            | State::ReportingActive(r)
            | State::Reporting(r, _) => Some(r),
            State::Downloading(d) => Some(d.request),
            _ => None,
        }
    }

    fn set_backing_off(&mut self) {
        match &mut self.state {
            State::Describing(r)
            | State::Redescribing(r, _)
            | State::Starting(r)
            | State::ReportingReady(r)
            | State::ReportingActive(r)
            | State::Reporting(r, _) => r.backing_off = true,
            State::Downloading(d) => d.request.backing_off = true,
            _ => {}
        }
    }

    /// The timer fired.
    pub(super) fn on_timer(&mut self, now: Instant) {
        match self.state {
            State::SelfTest => return self.fail_trial(now, Reason::SelfTestTimeout),
            // The periodic check: a lost notification cannot strand a job.
            State::Idle if !self.rollback_pending => return self.describe_next(now),
            State::Idle => return,
            _ => {}
        }
        let Some(request) = self.current_request() else {
            return;
        };
        if request.backing_off {
            self.send(now, request.attempt.saturating_add(1));
        } else {
            self.retry_later(now, request);
        }
    }

    /// A request got no reply, or a retryable rejection: back off, or give up when the
    /// attempts are used up.
    pub(super) fn retry_later(&mut self, now: Instant, request: Request) {
        if request.attempt >= self.config.retry.max_attempts {
            return self.give_up(now);
        }
        self.set_backing_off();
        let delay = self.backoff(request.attempt);
        self.arm(now + delay);
    }

    /// Every attempt of the current request is used up.
    fn give_up(&mut self, now: Instant) {
        self.timer = None;
        match self.state {
            // Nothing lost: the job stays on the service and the record keeps any progress;
            // the next `handle_connected` or notification picks it up again.
            State::Describing(_) | State::Starting(_) | State::ReportingReady(_) => {
                self.go_idle(now)
            }
            State::Redescribing(_, Resume::Start | Resume::Ready) => self.go_idle(now),
            State::Downloading(_) => {
                let reason = if self.is_http() {
                    Reason::HttpFailed
                } else {
                    Reason::DownloadTimeout
                };
                self.fail_job(now, reason);
            }
            // Running an image that the service never acknowledged: go back to known-good.
            State::ReportingActive(_) | State::Redescribing(_, Resume::Active) => {
                self.fail_trial(now, Reason::NoResponse);
            }
            // Kept, and tried again at the next `handle_connected` or after the idle-check
            // interval, whichever comes first.
            State::Reporting(..) | State::Redescribing(_, Resume::Final(_)) => {
                self.set_backing_off();
                self.emit(Event::ReportUndelivered);
                let later = self.idle_check_delay();
                self.arm(now + later);
            }
            State::Idle | State::AwaitingReboot | State::SelfTest | State::Custom => {}
        }
    }

    /// Nothing in hand: wait for a notification, and ask `$next/get` again after the
    /// idle-check interval (unless a rolled-back image still waits for its reset).
    pub(super) fn go_idle(&mut self, now: Instant) {
        self.state = State::Idle;
        self.timer = None;
        self.job = None;
        self.probe = None;
        if !self.rollback_pending {
            let later = self.idle_check_delay();
            self.arm(now + later);
        }
    }

    /// `notify-next`: a hint, possibly stale (it may cross a reply or another notification).
    /// A job is taken only when nothing is in hand; a notification that does not name the
    /// job in hand makes the client ask the service about that job ([`Client::probe`]) and
    /// only the answer ends it.
    pub(super) fn on_notify_next<'p>(
        &mut self,
        now: Instant,
        execution: Option<Execution<'p>>,
    ) -> Result<Option<CustomJob<'p>>, Error> {
        let pending = execution.filter(|e| !e.status.is_terminal());
        let in_hand = !matches!(self.state, State::Idle | State::Describing(_));
        match pending {
            Some(e) if in_hand && e.job_id == self.job_id.as_str() => {
                // An echo for the job in hand (e.g. after a status update).
                self.version_number = self.version_number.max(e.version_number);
                Err(Error::Ignored)
            }
            _ if in_hand => {
                if self.probe(now) {
                    Ok(None)
                } else {
                    Err(Error::Ignored)
                }
            }
            // Nothing pending: an idle client has nothing to drop, and an outstanding
            // `$next/get` is answered by its own reply.
            None => Err(Error::Ignored),
            Some(e) if self.already_finished(&e) => Err(Error::Ignored),
            Some(e) => self.take_next(now, e),
        }
    }

    /// The reply to the outstanding `$next/get` (token checked by the caller): what was
    /// pending when the service answered. One naming an execution this client already
    /// finished is a replay (tokens of an earlier boot can repeat): it answers nothing, and
    /// the request is resent when its reply is due.
    pub(super) fn on_next_reply<'p>(
        &mut self,
        now: Instant,
        execution: Option<Execution<'p>>,
    ) -> Result<Option<CustomJob<'p>>, Error> {
        match execution.filter(|e| !e.status.is_terminal()) {
            None => {
                // A download interrupted by a reset is not pending any more: its job ended
                // while the device was down. Its progress goes, but the job is not noted as
                // finished: if this answer was a replay, the job is found again.
                if self.record.phase == Phase::Downloading {
                    self.record.phase = Phase::Idle;
                    self.record.job_id.clear();
                    self.record.execution_number = 0;
                    let _ = self.persist();
                }
                self.go_idle(now);
                Ok(None)
            }
            Some(e) if self.already_finished(&e) => Err(Error::Ignored),
            Some(e) => self.take_next(now, e),
        }
    }

    fn take_next<'p>(
        &mut self,
        now: Instant,
        e: Execution<'p>,
    ) -> Result<Option<CustomJob<'p>>, Error> {
        if self.rollback_pending {
            // A rolled-back image is still running: take no job before the reset.
            return Err(Error::Ignored);
        }
        self.take_job(now, e)
    }

    /// Ask the service about the job in hand (`{jobId}/get`), without changing what the
    /// client waits for: the job ends only if the answer says it ended
    /// ([`Client::on_probe_answer`]). Sent once per doubt; a lost answer leaves the job
    /// running, and its next status update finds out. Not while a final report is out: its
    /// own reply (or the refusal of its resend, which names the status that landed) tells
    /// more than a describe, which AWS may answer with just `TerminalStateReached`.
    /// Returns whether a probe was sent.
    fn probe(&mut self, _now: Instant) -> bool {
        let reporting = matches!(
            self.state,
            State::Reporting(..) | State::Redescribing(_, Resume::Final(_))
        );
        if self.job_id.is_empty() || reporting {
            return false;
        }
        let token = self.new_token();
        self.probe = Some(token);
        self.queue(Outgoing::DescribeCurrent { token });
        true
    }

    /// Whether `reply` answers the outstanding probe (the token must be echoed exactly).
    pub(super) fn answers_probe(&self, reply: Option<JsonStr<'_>>) -> bool {
        match (self.probe, reply) {
            (Some(token), Some(_)) => self.token_matches(token, reply),
            _ => false,
        }
    }

    pub(super) fn clear_probe(&mut self) {
        self.probe = None;
    }

    /// The answer to a probe: the job's status, or `None` when the service no longer has it
    /// (`ResourceNotFound`, `TerminalStateReached`).
    pub(super) fn on_probe_answer(&mut self, now: Instant, status: Option<JobExecutionStatus>) {
        self.probe = None;
        if status.is_some_and(|s| !s.is_terminal()) {
            return;
        }
        if let (State::Reporting(_, report), Some(status)) = (self.state, status)
            && report.status == status
        {
            // Our final report landed; its acceptance was lost.
            return self.finish_report(now, report);
        }
        self.abandon(now);
        if !self.rollback_pending {
            self.describe_next(now);
        }
    }

    fn take_job<'p>(
        &mut self,
        now: Instant,
        e: Execution<'p>,
    ) -> Result<Option<CustomJob<'p>>, Error> {
        self.job_id = e.job_id.to_heapless().map_err(|_| Error::Malformed)?;
        self.execution_number = e.execution_number;
        self.version_number = e.version_number;
        self.expected_version = Some(e.version_number);
        let custom = CustomJob {
            job_id: e.job_id,
            execution_number: e.execution_number,
            status: e.status,
            document: e.document,
        };
        let Some(raw) = e.document else {
            self.state = State::Custom;
            self.emit(Event::CustomJob);
            return Ok(Some(custom));
        };
        // Filled in by the intake when it accepts a firmware job.
        self.job = None;
        let mut ctx = IntakeContext {
            trust: Some(self.trust),
            policy: Some(PolicySource::Device {
                config: &self.config,
                floor: &self.record.floor,
                capacity: self.image_capacity(),
                now: self.trusted_time(now),
            }),
            preferred_transport: self.config.preferred_transport,
            findings: None,
            scratch: self.scratch,
            url: self.url,
            job: &mut self.job,
        };
        match intake(&mut ctx, self.job_id.as_str(), raw.as_bytes()) {
            Ok(Intake::Custom) => {
                self.state = State::Custom;
                self.emit(Event::CustomJob);
                Ok(Some(custom))
            }
            Ok(Intake::Firmware(target)) => {
                if target.kind == ImageKind::Manifest && self.write_trailer(raw.as_bytes()).is_err()
                {
                    // Nothing started on the service side: try again later.
                    self.go_idle(now);
                    self.emit(Event::StorageFailed);
                    self.describe_later(now);
                    return Ok(None);
                }
                self.start_firmware_job(now, target);
                Ok(None)
            }
            Err(reason) => {
                self.clear_stale_record();
                self.report(now, JobExecutionStatus::Rejected, Some(reason));
                Ok(None)
            }
        }
    }

    /// A record of another job's download is obsolete once a different job comes.
    fn clear_stale_record(&mut self) {
        if self.record.phase == Phase::Downloading && self.record.job_id != self.job_id {
            self.record.phase = Phase::Idle;
            let _ = self.persist();
        }
    }

    /// Send a final status and wait for its acceptance.
    pub(super) fn report(
        &mut self,
        now: Instant,
        status: JobExecutionStatus,
        reason: Option<Reason>,
    ) {
        self.job = None;
        self.state = State::Reporting(Request::first(0), FinalReport { status, reason });
        self.send(now, 1);
    }

    /// The job is gone (cancelled, removed, timed out, finished elsewhere).
    pub(super) fn abandon(&mut self, now: Instant) {
        let was = self.state;
        self.go_idle(now);
        match was {
            State::AwaitingReboot => {
                // Pending but not booted: withdraw it so the reset boots the old image.
                let _ = self.slot.roll_back();
                self.forget_record();
                self.emit(Event::JobCanceled);
            }
            State::ReportingActive(_)
            | State::SelfTest
            | State::Redescribing(_, Resume::Active) => {
                // Running an uncommitted image for a job that no longer exists.
                let _ = self.slot.roll_back();
                self.forget_record();
                self.rollback_pending = true;
                self.emit(Event::RollBackAndReboot {
                    reason: Reason::JobGone,
                });
            }
            State::Reporting(..) | State::Redescribing(_, Resume::Final(_)) => {
                self.forget_record();
                self.emit(Event::JobCanceled);
            }
            State::Idle | State::Describing(_) => {}
            _ => {
                self.forget_record();
                self.emit(Event::JobCanceled);
            }
        }
        self.job_id.clear();
    }

    /// Back to an idle record (keeping the floor), remembering the job in hand as finished:
    /// a replayed or stale notification for that execution is then ignored.
    pub(super) fn forget_record(&mut self) {
        let same = self.record.phase == Phase::Idle
            && self.record.job_id == self.job_id
            && self.record.execution_number == self.execution_number;
        if !same {
            self.record.phase = Phase::Idle;
            self.record.reason = None;
            if !self.job_id.is_empty() {
                self.record.job_id = self.job_id.clone();
                self.record.execution_number = self.execution_number;
            }
            let _ = self.persist();
        }
    }

    /// Whether `e` is an execution this client already finished (a replay, or a notification
    /// that crossed the final report).
    fn already_finished(&self, e: &Execution<'_>) -> bool {
        self.record.phase == Phase::Idle
            && e.job_id == self.record.job_id.as_str()
            && e.execution_number <= self.record.execution_number
    }

    /// `…/update/accepted` for the current job.
    pub(super) fn on_update_accepted(
        &mut self,
        now: Instant,
        token: Option<JsonStr<'_>>,
    ) -> Result<(), Error> {
        let request = self.current_request().ok_or(Error::Ignored)?;
        if !self.answers(request, token) {
            return Err(Error::Ignored);
        }
        self.version_number += 1;
        match self.state {
            State::Starting(_) => self.begin_download(now),
            State::ReportingReady(_) => self.activate(now),
            State::ReportingActive(_) => self.on_active_accepted(now),
            State::Reporting(_, report) => self.finish_report(now, report),
            _ => return Err(Error::Ignored),
        }
        Ok(())
    }

    /// `…/update/rejected` for the current job.
    pub(super) fn on_update_rejected(
        &mut self,
        now: Instant,
        token: Option<JsonStr<'_>>,
        code: ErrorCode,
        current: Option<JobExecutionStatus>,
    ) -> Result<(), Error> {
        let action = code.action();
        let request = self.current_request();
        let ours = request.is_some_and(|r| self.answers(r, token));
        if !ours {
            // Not the answer to the request in flight (a progress report's, a duplicate's,
            // a stale one's): a rejection saying the job is gone is checked with the service
            // before the job is dropped; anything else changes nothing.
            if action == ErrorAction::Abandon && self.probe(now) {
                return Ok(());
            }
            return Err(Error::Ignored);
        }
        if let State::Reporting(_, report) = self.state {
            if current == Some(report.status) && code == ErrorCode::InvalidStateTransition {
                // An earlier attempt of this report landed and its acceptance was lost.
                self.finish_report(now, report);
                return Ok(());
            }
            if current == Some(JobExecutionStatus::InProgress)
                && report.status == JobExecutionStatus::Rejected
                && code == ErrorCode::InvalidStateTransition
            {
                // Services that refuse REJECTED once a job started get FAILED instead.
                self.report(now, JobExecutionStatus::Failed, report.reason);
                return Ok(());
            }
        }
        match action {
            ErrorAction::Abandon | ErrorAction::Report => {
                self.abandon(now);
                self.describe_later(now);
            }
            ErrorAction::RetryLater => {
                if let Some(r) = request {
                    self.retry_later(now, r);
                }
            }
            ErrorAction::Redescribe => self.redescribe(now),
        }
        Ok(())
    }

    /// `VersionMismatch`: read the execution again, then resend without `expectedVersion`.
    fn redescribe(&mut self, now: Instant) {
        self.expected_version = None;
        let resume = match self.state {
            State::Starting(_) => Resume::Start,
            State::ReportingReady(_) => Resume::Ready,
            State::ReportingActive(_) => Resume::Active,
            State::Reporting(_, report) => Resume::Final(report),
            _ => return,
        };
        self.state = State::Redescribing(Request::first(0), resume);
        self.send(now, 1);
    }

    /// `{jobId}/get/accepted` after a redescribe.
    pub(super) fn on_redescribed(
        &mut self,
        now: Instant,
        token: Option<JsonStr<'_>>,
        status: JobExecutionStatus,
        version_number: u64,
    ) -> Result<(), Error> {
        let State::Redescribing(request, resume) = self.state else {
            return Err(Error::Ignored);
        };
        if !self.answers(request, token) {
            return Err(Error::Ignored);
        }
        if status.is_terminal() {
            self.abandon(now);
            self.describe_later(now);
            return Ok(());
        }
        self.version_number = version_number;
        self.state = match resume {
            Resume::Start => State::Starting(request),
            Resume::Ready => State::ReportingReady(request),
            Resume::Active => State::ReportingActive(request),
            Resume::Final(report) => State::Reporting(request, report),
        };
        self.send(now, 1);
        Ok(())
    }

    /// A final status was accepted: the job is over.
    fn finish_report(&mut self, now: Instant, report: FinalReport) {
        self.forget_record();
        self.go_idle(now);
        self.job_id.clear();
        self.emit(Event::JobFinished {
            status: report.status,
            reason: report.reason,
        });
        if !self.rollback_pending {
            self.describe_next(now);
        }
    }

    /// The application's report on its custom job.
    pub(super) fn on_custom_report(
        &mut self,
        now: Instant,
        status: JobExecutionStatus,
    ) -> Result<(), Error> {
        if self.state != State::Custom || !status.is_device_settable() {
            return Err(Error::UnexpectedCall);
        }
        if status == JobExecutionStatus::InProgress {
            let token = self.new_token();
            self.queue(Outgoing::Update {
                token,
                status,
                details: Details::None,
                expected_version: None,
                qos: Qos::AtLeastOnce,
            });
        } else {
            self.report(now, status, None);
        }
        Ok(())
    }

    /// Checks the id of a job a reply names against the job in hand.
    pub(super) fn is_current(&self, id: &JobId<'_>) -> bool {
        !self.job_id.is_empty() && id.as_str() == self.job_id.as_str()
    }
}
