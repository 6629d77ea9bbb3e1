//! What the runner asks of the device's application: [`Application`], and how a run ends:
//! [`Exit`].

use ota_core::jobs::JobExecutionStatus;
use std::prelude::rust_2024::*;

use crate::client::CustomJob;
use crate::event::Event;
use crate::reason::Reason;

/// The device's side of a run. Every method has a default, so `()` is an application that
/// passes every self-test and rejects jobs that are not firmware updates.
pub trait Application {
    /// Every event of the client, before the runner acts on it (to print or log it).
    fn on_event(&mut self, _event: &Event) {}

    /// The connection came up and the subscriptions are in place (`true`), or it was lost
    /// with this reason (`false`); the runner reconnects by itself.
    fn on_connection(&mut self, _up: bool, _detail: &str) {}

    /// After booting a new image on trial: whether it works. The default passes.
    fn self_test(&mut self) -> bool {
        true
    }

    /// A job that is not a firmware update: the status to report for it. The default
    /// rejects it.
    fn custom_job(&mut self, _job: &CustomJob<'_>) -> JobExecutionStatus {
        JobExecutionStatus::Rejected
    }

    /// Whether the device is still up. Asked after the client has handled each input and
    /// before anything it queued is published: `false` ends the run at once with
    /// [`Exit::Stopped`], the connection dropped and nothing more sent (for a device going
    /// down: a shutdown signal, a brown-out warning, a simulated power cut). The client's
    /// persisted state is what it wrote so far; it resumes from there. The default is always
    /// `true`.
    fn keep_running(&mut self) -> bool {
        true
    }
}

impl Application for () {}

/// Why [`super::run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Exit {
    /// A verified image is marked pending and the service knows: reset the device (a Linux
    /// runner re-executes itself) to boot it on trial.
    Activate,
    /// The new image failed (`reason`): reset the device to boot the previous one.
    RollBack(Reason),
    /// With [`super::RunOptions::stop_after_job`]: a job ended with this final status,
    /// accepted by the service.
    JobFinished {
        /// `SUCCEEDED`, `FAILED` or `REJECTED`.
        status: JobExecutionStatus,
        /// For `FAILED` and `REJECTED`.
        reason: Option<Reason>,
    },
    /// With [`super::RunOptions::stop_after_job`]: the job was cancelled or removed by the
    /// service; nothing was installed.
    JobCanceled,
    /// [`Application::keep_running`] said no.
    Stopped,
}
