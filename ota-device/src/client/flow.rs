//! Job lifecycle: taking a job, retrying requests, final reports, cancellation.

use crate::config::Config;
use core::borrow::Borrow;
use ota_core::document::{DocumentKind, FloorReset};
use ota_core::jobs::{ErrorAction, ErrorCode, JobExecutionStatus, JobId};
use ota_core::json::JsonStr;
use ota_core::time::Instant;
use ota_core::trust::MAX_ROOT_LEN;
use ota_core::trust::{FloorAllowance, FloorResetError, MAX_FLOOR_RESET_LEN, check_floor_reset};

use super::job::{Intake, IntakeContext, PolicySource, intake};
use super::messages::Execution;
use super::outbox::{Details, Outgoing, Qos};
use super::state::{FinalReport, JobInHand, Resume, Stage, State};
use super::transition::{Next, When};
use super::{Client, CustomJob};
use crate::error::Error;
use crate::event::Event;
use crate::reason::Reason;
use crate::record::{ImageKind, Phase};
use crate::storage::{FirmwareSlot, StateStore};
use crate::trust::{TrustSource, role_id};

impl<'a, S: FirmwareSlot, P: StateStore, const K: usize, T: TrustSource<K>, C: Borrow<Config<'a>>>
    Client<'a, S, P, K, T, C>
{
    pub(super) fn on_connected(&mut self, now: Instant) {
        match (&self.state, self.request) {
            (State::Idle, _) => self.enter(Next::Describing, When::Now(now)),
            (_, Some(_)) => self.send(now, 1),
            _ => {}
        }
    }

    /// The timer fired.
    pub(super) fn on_timer(&mut self, now: Instant) {
        match (&self.state, self.request) {
            // The periodic check: a lost notification cannot strand a job.
            (State::Idle, _) => self.enter(Next::Describing, When::Now(now)),
            (
                State::Job(JobInHand {
                    stage: Stage::SelfTest,
                    ..
                }),
                _,
            ) => self.fail_trial(now, Reason::SelfTestTimeout),
            (_, Some(request)) if request.backing_off => {
                self.send(now, request.attempt.saturating_add(1));
            }
            (_, Some(_)) => self.retry_later(now),
            _ => {}
        }
    }

    /// The request got no reply, or a retryable rejection: back off, or give up when its
    /// attempts are used up.
    pub(super) fn retry_later(&mut self, now: Instant) {
        let Some(request) = self.request.as_mut() else {
            return;
        };
        if request.attempt >= self.config.borrow().retry.max_attempts {
            return self.give_up(now);
        }
        request.backing_off = true;
        let attempt = request.attempt;
        let delay = self.backoff(attempt);
        self.arm(now + delay);
    }

    /// Every attempt of the current request is used up.
    fn give_up(&mut self, now: Instant) {
        self.timer = None;
        let Some(stage) = self.state.stage().copied() else {
            // `$next/get`: the next `handle_connected`, notification or idle check asks again.
            return self.enter(Next::Idle, When::Now(now));
        };
        match stage {
            // Nothing lost: the job stays on the service and the record keeps any progress;
            // the next `handle_connected` or notification picks it up again.
            // A trust update is stored already: taken again, it is current and reported.
            Stage::Starting { .. }
            | Stage::ReportingReady
            | Stage::Applied
            | Stage::Redescribing(Resume::Start | Resume::Ready) => {
                self.enter(Next::Idle, When::Now(now));
            }
            Stage::Downloading(_) => {
                let reason = if self.is_http() {
                    Reason::HttpFailed
                } else {
                    Reason::DownloadTimeout
                };
                self.fail_job(now, reason);
            }
            // Running an image that the service never acknowledged: go back to known-good.
            Stage::ReportingActive | Stage::Redescribing(Resume::Active) => {
                self.fail_trial(now, Reason::NoResponse);
            }
            // Kept, and tried again at the next `handle_connected` or after the idle-check
            // interval, whichever comes first.
            Stage::Reporting(_) | Stage::Redescribing(Resume::Final(_)) => {
                if let Some(request) = self.request.as_mut() {
                    request.backing_off = true;
                }
                self.emit(Event::ReportUndelivered);
                let later = self.idle_check_delay();
                self.arm(now + later);
            }
            Stage::Custom | Stage::AwaitingReboot | Stage::SelfTest => {}
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
        let in_hand = self.state.job().map(|job| job.id.as_str());
        match pending {
            // An echo for the job in hand (e.g. after a status update).
            Some(e) if in_hand.is_some_and(|id| e.job_id == id) => Err(Error::Ignored),
            _ if in_hand.is_some() => {
                if self.probe() {
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
                self.enter(Next::Idle, When::Now(now));
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
        if matches!(self.state, State::RolledBack) {
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
    fn probe(&mut self) -> bool {
        match self.state.stage() {
            None | Some(Stage::Reporting(_) | Stage::Redescribing(Resume::Final(_))) => false,
            Some(_) => {
                let token = self.new_token();
                self.probe = Some(token);
                self.outbox.probe = Some(token);
                true
            }
        }
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
        if let (Some(Stage::Reporting(report)), Some(status)) = (self.state.stage(), status)
            && report.status == status
        {
            // Our final report landed; its acceptance was lost.
            return self.finish_report(now, *report);
        }
        self.abandon(When::Now(now));
    }

    /// Hold the job of `e` (as a custom job until its document is checked) and announce a
    /// firmware job, or report why it is refused. A custom job is handed to the application
    /// through the return value only.
    fn take_job<'p>(
        &mut self,
        now: Instant,
        e: Execution<'p>,
    ) -> Result<Option<CustomJob<'p>>, Error> {
        self.hold(now, &e)?;
        // Built only when it is returned: a copy made up front would sit in this frame under
        // the intake's signature verification.
        let custom = |e: &Execution<'p>| CustomJob {
            job_id: e.job_id,
            execution_number: e.execution_number,
            status: e.status,
            document: e.document,
        };
        let Some(raw) = e.document else {
            return Ok(Some(custom(&e)));
        };
        match DocumentKind::probe(raw.as_bytes()) {
            Ok(DocumentKind::TrustUpdate) => {
                self.take_trust_update(now, raw.as_bytes());
                return Ok(None);
            }
            Ok(DocumentKind::FloorReset) => {
                self.take_floor_reset(now, raw.as_bytes());
                return Ok(None);
            }
            _ => {}
        }
        let capacity = self.image_capacity();
        let now_trusted = self.trusted_time(now);
        let State::Job(job) = &mut self.state else {
            // Held just above.
            return Err(Error::Ignored);
        };
        // The intake fills in `job.firmware` when it accepts a firmware job.
        let mut ctx = IntakeContext {
            trust: Some(self.trust.release()),
            policy: Some(PolicySource::Device {
                config: self.config.borrow(),
                floor: &self.record.floor,
                allowance: &self.record.allowance,
                capacity,
                now: now_trusted,
            }),
            preferred_transport: self.config.borrow().preferred_transport,
            accept_afr_ota: self.config.borrow().accept_afr_ota,
            findings: None,
            scratch: self.scratch,
            url: self.url,
            job: &mut job.firmware,
        };
        match intake(&mut ctx, job.id.as_str(), raw.as_bytes()) {
            Ok(Intake::Custom) => Ok(Some(custom(&e))),
            Ok(Intake::Firmware(target)) => {
                if target.kind == ImageKind::Manifest && self.write_trailer(raw.as_bytes()).is_err()
                {
                    // Nothing started on the service side: try again later.
                    self.emit(Event::StorageFailed);
                    self.enter(Next::Describing, When::Backoff(now));
                    return Ok(None);
                }
                self.start_firmware_job(now, target, e.version_number);
                Ok(None)
            }
            Err(reason) => {
                self.clear_stale_record();
                self.report(
                    now,
                    FinalReport::new(JobExecutionStatus::Rejected, Some(reason)),
                );
                Ok(None)
            }
        }
    }

    /// Apply the trust update in hand (see [`crate::trust`]) and report it: once the new
    /// root is stored and held (or was already), `IN_PROGRESS` then `SUCCEEDED`; REJECTED
    /// with the reason it was refused; FAILED when it could not be stored. It is applied
    /// before the service hears of it, so that it is checked once: a job cancelled
    /// meanwhile still leaves the device on the new root, which its root keys signed.
    fn take_trust_update(&mut self, now: Instant, raw: &[u8]) {
        self.clear_stale_record();
        // Checked in `Client::new`: a rotating client's scratch holds a statement.
        let scratch = self
            .scratch
            .get_mut(..MAX_ROOT_LEN)
            .and_then(|s| s.try_into().ok());
        let timestamp_role = role_id(self.trust.timestamp());
        let outcome = match scratch {
            Some(scratch) if self.trust.rotates() => {
                self.trust
                    .apply_update(raw, self.config.borrow().product, scratch)
            }
            _ => Err(Reason::UnsupportedDocument),
        };
        let report = match outcome {
            Ok(version) => {
                if role_id(self.trust.timestamp()) != timestamp_role {
                    self.forget_latest();
                }
                self.emit(Event::TrustRotated { version });
                return self.enter(Next::Stage(Stage::Applied), When::Now(now));
            }
            Err(Reason::StorageFailure) => {
                FinalReport::new(JobExecutionStatus::Failed, Some(Reason::StorageFailure))
            }
            Err(reason) => FinalReport::new(JobExecutionStatus::Rejected, Some(reason)),
        };
        self.report(now, report);
    }

    /// Take the floor reset in hand (see [`ota_core::trust::check_floor_reset`]): keep its
    /// allowance in the record, then report `IN_PROGRESS` and `SUCCEEDED`; the same reset
    /// again (a lost report) is reported as taken without granting anything anew. REJECTED
    /// with the reason it was refused, FAILED when the record could not be written.
    fn take_floor_reset(&mut self, now: Instant, raw: &[u8]) {
        self.clear_stale_record();
        let report = match self.check_floor_reset(raw) {
            Ok(allowance) if allowance.sequence == self.record.reset_sequence => None,
            Ok(allowance) => {
                let before = (self.record.reset_sequence, self.record.allowance);
                self.record.reset_sequence = allowance.sequence;
                self.record.allowance = Some((allowance.version, allowance.security_counter));
                if self.persist().is_ok() {
                    self.emit(Event::FloorResetAllowed {
                        security_counter: allowance.security_counter.0,
                    });
                    None
                } else {
                    (self.record.reset_sequence, self.record.allowance) = before;
                    Some(FinalReport::new(
                        JobExecutionStatus::Failed,
                        Some(Reason::StorageFailure),
                    ))
                }
            }
            Err(reason) => Some(FinalReport::new(JobExecutionStatus::Rejected, Some(reason))),
        };
        match report {
            Some(report) => self.report(now, report),
            None => self.enter(Next::Stage(Stage::Applied), When::Now(now)),
        }
    }

    /// Check a floor-reset document with the root keys (the one last taken passes again).
    #[inline(never)]
    fn check_floor_reset(&mut self, raw: &[u8]) -> Result<FloorAllowance, Reason> {
        let root = self.trust.root().ok_or(Reason::UnsupportedDocument)?;
        let reset = FloorReset::parse(raw).map_err(|_| Reason::BadDocument)?;
        let mut scratch = [0u8; MAX_FLOOR_RESET_LEN];
        let last = self.record.reset_sequence.saturating_sub(1);
        let allowance = check_floor_reset(
            &reset,
            root.root(),
            self.config.borrow().product,
            self.config.borrow().hardware,
            last,
            &mut scratch,
        )
        .map_err(|e| match e {
            FloorResetError::Encoding => Reason::BadEncoding,
            FloorResetError::NotAuthorized(rejection) => rejection.into(),
            FloorResetError::WrongProduct => Reason::WrongProduct,
            FloorResetError::WrongHardware => Reason::WrongHardware,
            FloorResetError::NotNewer { .. } => Reason::ResetNotNewer,
            _ => Reason::BadDocument,
        })?;
        // A monotonic counter (a bootloader's) cannot be lowered: the allowed image would
        // not boot.
        if let Ok(Some(counter)) = self.slot.security_counter()
            && counter > allowance.security_counter.0
        {
            return Err(Reason::FloorLocked);
        }
        Ok(allowance)
    }

    /// Make the job of `e` the job in hand, its document not looked at yet.
    fn hold(&mut self, now: Instant, e: &Execution<'_>) -> Result<(), Error> {
        let id = e.job_id.to_heapless().map_err(|_| Error::Malformed)?;
        let next = Next::Job {
            id: &id,
            execution_number: e.execution_number,
        };
        self.enter(next, When::Now(now));
        Ok(())
    }

    /// A record of another job's download is obsolete once a different job comes.
    fn clear_stale_record(&mut self) {
        let other = self
            .state
            .job()
            .is_some_and(|job| self.record.job_id != job.id);
        if self.record.phase == Phase::Downloading && other {
            self.record.phase = Phase::Idle;
            let _ = self.persist();
        }
    }

    /// Send a final status and wait for its acceptance.
    pub(super) fn report(&mut self, now: Instant, report: FinalReport) {
        if_logging! {
            if let Some(reason) = report.reason {
                log_warn!("ota job {}: {}", report.status.as_str(), reason);
            }
        }
        self.enter(Next::Stage(Stage::Reporting(report)), When::Now(now));
    }

    /// The job in hand is gone (cancelled, removed, timed out, finished elsewhere): undo what
    /// it left (withdraw a pending image, roll back a trial one), then ask for the next job
    /// `then`, unless a rolled-back image waits for its reset.
    pub(super) fn abandon(&mut self, then: When) {
        let Some(stage) = self.state.stage().copied() else {
            return self.enter(Next::Describing, then);
        };
        // Whether the slot is rolled back here, what the application is told, and whether a
        // rolled-back image then waits for its reset.
        let (roll_back, event, rolled_back) = match stage {
            // Pending but not booted: withdraw it so the reset boots the old image.
            Stage::AwaitingReboot => (true, Event::JobCanceled, false),
            // Running an uncommitted image for a job that no longer exists.
            Stage::ReportingActive | Stage::SelfTest | Stage::Redescribing(Resume::Active) => {
                let event = Event::RollBackAndReboot {
                    reason: Reason::JobGone,
                };
                (true, event, true)
            }
            Stage::Reporting(report) | Stage::Redescribing(Resume::Final(report)) => {
                (false, Event::JobCanceled, report.rolled_back)
            }
            _ => (false, Event::JobCanceled, false),
        };
        if roll_back {
            let _ = self.slot.roll_back();
        }
        self.forget_record();
        self.emit(event);
        let next = if rolled_back {
            Next::RolledBack
        } else {
            Next::Describing
        };
        self.enter(next, then);
    }

    /// Back to an idle record (keeping the floor), remembering the job in hand as finished:
    /// a replayed or stale notification for that execution is then ignored.
    fn forget_record(&mut self) {
        let Some(job) = self.state.job() else {
            return;
        };
        let record = &mut self.record;
        let same = record.phase == Phase::Idle
            && record.job_id == job.id
            && record.execution_number == job.execution_number;
        if !same {
            record.phase = Phase::Idle;
            record.reason = None;
            record.job_id = job.id.clone();
            record.execution_number = job.execution_number;
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
        if !self.answers(token) {
            return Err(Error::Ignored);
        }
        match self.state.stage().copied() {
            Some(Stage::Starting { .. }) => self.begin_download(now),
            Some(Stage::ReportingReady) => self.activate(now),
            Some(Stage::ReportingActive) => self.on_active_accepted(now),
            Some(Stage::Applied) => {
                self.report(now, FinalReport::new(JobExecutionStatus::Succeeded, None));
            }
            Some(Stage::Reporting(report)) => self.finish_report(now, report),
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
        if !self.answers(token) {
            // Not the answer to the request in flight (a progress report's, a duplicate's,
            // a stale one's): a rejection saying the job is gone is checked with the service
            // before the job is dropped; anything else changes nothing.
            if action == ErrorAction::Abandon && self.probe() {
                return Ok(());
            }
            return Err(Error::Ignored);
        }
        if let Some(Stage::Reporting(report)) = self.state.stage().copied() {
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
                let failed = FinalReport {
                    status: JobExecutionStatus::Failed,
                    ..report
                };
                self.report(now, failed);
                return Ok(());
            }
        }
        match action {
            ErrorAction::Abandon | ErrorAction::Report => self.abandon(When::Backoff(now)),
            ErrorAction::RetryLater => self.retry_later(now),
            ErrorAction::Redescribe => self.redescribe(now),
        }
        Ok(())
    }

    /// `VersionMismatch`: read the execution again, then resend without `expectedVersion`.
    fn redescribe(&mut self, now: Instant) {
        let resume = match self.state.stage().copied() {
            Some(Stage::Starting { .. }) => Resume::Start,
            Some(Stage::ReportingReady) => Resume::Ready,
            Some(Stage::ReportingActive) => Resume::Active,
            Some(Stage::Reporting(report)) => Resume::Final(report),
            _ => return,
        };
        self.enter(Next::Stage(Stage::Redescribing(resume)), When::Now(now));
    }

    /// `{jobId}/get/accepted` after a redescribe.
    pub(super) fn on_redescribed(
        &mut self,
        now: Instant,
        token: Option<JsonStr<'_>>,
        status: JobExecutionStatus,
    ) -> Result<(), Error> {
        let Some(Stage::Redescribing(resume)) = self.state.stage().copied() else {
            return Err(Error::Ignored);
        };
        if !self.answers(token) {
            return Err(Error::Ignored);
        }
        if status.is_terminal() {
            self.abandon(When::Backoff(now));
            return Ok(());
        }
        let stage = match resume {
            Resume::Start => Stage::Starting {
                expected_version: None,
            },
            Resume::Ready => Stage::ReportingReady,
            Resume::Active => Stage::ReportingActive,
            Resume::Final(report) => Stage::Reporting(report),
        };
        self.enter(Next::Stage(stage), When::Now(now));
        Ok(())
    }

    /// A final status was accepted: the job is over.
    fn finish_report(&mut self, now: Instant, report: FinalReport) {
        self.forget_record();
        self.emit(Event::JobFinished {
            status: report.status,
            reason: report.reason,
        });
        if report.rolled_back {
            self.enter(Next::RolledBack, When::Now(now));
        } else {
            self.enter(Next::Describing, When::Now(now));
        }
    }

    /// The application's report on its custom job. `IN_PROGRESS` is sent once and not
    /// waited for; a final status is reported like any other.
    pub(super) fn on_custom_report(
        &mut self,
        now: Instant,
        status: JobExecutionStatus,
    ) -> Result<(), Error> {
        if !matches!(self.state.stage(), Some(Stage::Custom)) || !status.is_device_settable() {
            return Err(Error::UnexpectedCall);
        }
        if status == JobExecutionStatus::InProgress {
            let token = self.new_token();
            self.outbox.progress = Some(Outgoing::Update {
                token,
                status,
                details: Details::None,
                expected_version: None,
                qos: Qos::AtLeastOnce,
            });
        } else {
            self.report(now, FinalReport::new(status, None));
        }
        Ok(())
    }

    /// Checks the id of a job a reply names against the job in hand.
    pub(super) fn is_current(&self, id: &JobId<'_>) -> bool {
        self.state
            .job()
            .is_some_and(|job| id.as_str() == job.id.as_str())
    }
}
