//! Moving between states: [`Client::enter`] is the only way the state changes. It sets the
//! state, arms the state's timer and sends the state's request; resends within a state go
//! through [`Client::send`].

use crate::config::Config;
use core::borrow::Borrow;
use ota_core::jobs::JobExecutionStatus;
use ota_core::time::Instant;

use super::Client;
use super::outbox::{Details, Outgoing, Qos};
use super::state::{FinalReport, JobInHand, Request, Stage, State};
use crate::record::ImageKind;
use crate::storage::{FirmwareSlot, StateStore};
use crate::trust::TrustSource;

/// The state a transition goes to.
#[derive(Debug)]
pub(super) enum Next<'n> {
    Idle,
    Describing,
    RolledBack,
    /// A job taken from a notification or a reply: held as a custom job until its document
    /// is checked.
    Job {
        id: &'n heapless::String<64>,
        execution_number: u64,
    },
    /// The job the record says is under way, at this stage (at start-up).
    Recorded(Stage),
    /// Another stage of the job in hand.
    Stage(Stage),
}

/// When the new state's request goes out and its timer starts.
#[derive(Debug, Clone, Copy)]
pub(super) enum When {
    /// At once: the request is sent; a state without one starts its timer (the idle check,
    /// the self-test deadline).
    Now(Instant),
    /// After a backoff from this instant (after a failure that could repeat if retried at
    /// once); used for `$next/get`.
    Backoff(Instant),
    /// At the next `handle_connected`: at start-up, when no time is known yet. No timer. A
    /// state without a request (`AwaitingReboot`, `RolledBack`) does nothing then.
    OnConnect,
}

impl<'a, S: FirmwareSlot, P: StateStore, const K: usize, T: TrustSource<K>, C: Borrow<Config<'a>>>
    Client<'a, S, P, K, T, C>
{
    /// Go to `next`: set the state, drop the request of the last one (and the probe, when
    /// the job in hand is gone), arm the new state's timer and send its request, `when` says.
    /// Does not emit events or touch the record: the caller does what the transition means.
    #[inline(never)]
    pub(super) fn enter(&mut self, next: Next<'_>, when: When) {
        match next {
            Next::Idle => self.state = State::Idle,
            Next::Describing => self.state = State::Describing,
            Next::RolledBack => self.state = State::RolledBack,
            Next::Job {
                id,
                execution_number,
            } => {
                self.state = State::Job(JobInHand {
                    id: id.clone(),
                    execution_number,
                    firmware: None,
                    stage: Stage::Custom,
                });
            }
            Next::Recorded(stage) => {
                self.state = State::Job(JobInHand {
                    id: self.record.job_id.clone(),
                    execution_number: self.record.execution_number,
                    firmware: None,
                    stage,
                });
            }
            Next::Stage(stage) => {
                // Every caller holds a job; without one there is no stage to go to.
                if let State::Job(job) = &mut self.state {
                    job.stage = stage;
                }
            }
        }
        log_debug!("ota state: {}", self.state.name());
        if self.state.job().is_none() {
            self.probe = None;
            self.outbox.probe = None;
        }
        self.request = None;
        self.outbox.request = None;
        self.timer = None;
        match when {
            When::Now(now) => self.send(now, 1),
            When::Backoff(now) => {
                self.request = Some(Request::PARKED);
                let delay = self.backoff(1);
                self.arm(now + delay);
            }
            When::OnConnect => self.request = Some(Request::PARKED),
        }
    }

    /// (Re)send the request of the current state as attempt `attempt`, with a new token, and
    /// wait for its reply. A download window is erased first, and over HTTP asked of the
    /// application (see [`Client::request_window`]). A state without a request starts its
    /// timer instead (the idle check, the self-test deadline), or does nothing.
    pub(super) fn send(&mut self, now: Instant, attempt: u8) {
        let token = self.new_token();
        self.request = None;
        let update = |status, details, expected_version| Outgoing::Update {
            token,
            status,
            details,
            expected_version,
            qos: Qos::AtLeastOnce,
        };
        let request = Request {
            attempt,
            token,
            backing_off: false,
        };
        let out = match &self.state {
            State::Describing => {
                self.ask_for_latest(now);
                Outgoing::DescribeNext { token }
            }
            State::Idle => {
                let later = self.idle_check_delay();
                return self.arm(now + later);
            }
            State::RolledBack => return,
            State::Job(job) => match job.stage {
                Stage::Redescribing(_) => Outgoing::DescribeCurrent { token },
                Stage::Starting { expected_version } => {
                    let (blocks, total) = self.blocks_progress();
                    update(
                        JobExecutionStatus::InProgress,
                        Details::Receive { blocks, total },
                        expected_version,
                    )
                }
                Stage::ReportingReady => {
                    update(JobExecutionStatus::InProgress, Details::Ready, None)
                }
                Stage::Applied => update(JobExecutionStatus::InProgress, Details::None, None),
                Stage::ReportingActive => {
                    update(JobExecutionStatus::InProgress, Details::Active, None)
                }
                Stage::Reporting(report) => {
                    update(report.status, self.report_details(&job.id, report), None)
                }
                Stage::Downloading(_) => {
                    self.request = Some(request);
                    return self.request_window(now);
                }
                Stage::SelfTest => return self.arm(now + self.config.borrow().self_test_timeout),
                Stage::Custom | Stage::AwaitingReboot => return,
            },
        };
        self.request = Some(request);
        self.outbox.request = Some(out);
        let deadline = self.reply_deadline(now);
        self.arm(deadline);
    }

    /// The details of the final report of job `job_id`: the reason of a failure, `accepted`
    /// for a firmware update that succeeded, nothing otherwise.
    fn report_details(&self, job_id: &str, report: FinalReport) -> Details {
        let firmware = self.record.kind != ImageKind::AfrFile && self.record.job_id == job_id;
        match (report.status, report.reason) {
            (_, Some(reason)) => Details::Reason(reason),
            (JobExecutionStatus::Succeeded, None) if firmware => Details::Accepted,
            _ => Details::None,
        }
    }
}
