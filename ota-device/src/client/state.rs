//! The volatile state: what the client waits for right now.

use crate::reason::Reason;
use ota_core::jobs::JobExecutionStatus;

/// An outstanding request: sent and waiting for its reply, or waiting to be resent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Request {
    /// Sends so far (1 after the first).
    pub(crate) attempt: u8,
    /// The token of the latest send, to match its reply; 0 before the first send.
    pub(crate) token: u32,
    /// True while backing off (the deadline is the resend time).
    pub(crate) backing_off: bool,
}

impl Request {
    pub(crate) const fn first(token: u32) -> Self {
        Self {
            attempt: 1,
            token,
            backing_off: false,
        }
    }
}

/// What a final report leads to once accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FinalReport {
    pub(crate) status: JobExecutionStatus,
    pub(crate) reason: Option<Reason>,
}

/// A download window: `len` blocks from `start`; bit `k` of `received` is block `start + k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) start: u32,
    pub(crate) len: u32,
    pub(crate) received: u64,
}

impl Window {
    pub(crate) fn full_mask(&self) -> u64 {
        if self.len >= 64 {
            u64::MAX
        } else {
            (1u64 << self.len) - 1
        }
    }

    pub(crate) fn missing(&self) -> u64 {
        self.full_mask() & !self.received
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.missing() == 0
    }
}

/// Download progress (volatile; the persisted part is `Record::received`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Download {
    pub(crate) window: Window,
    /// Bytes from the slot start that are erased and not yet written, up to here.
    pub(crate) erased_to: u32,
    /// Blocks received since the last persisted record / progress report.
    pub(crate) since_persist: u32,
    pub(crate) since_progress: u32,
    /// HTTP: bytes of the current block gathered in the scratch buffer.
    pub(crate) http_fill: u32,
    pub(crate) request: Request,
}

/// What the client waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Nothing to do until a job notification (or `handle_connected`).
    Idle,
    /// `$next/get` sent.
    Describing(Request),
    /// The first `IN_PROGRESS` update of a job sent.
    Starting(Request),
    /// Fetching blocks.
    Downloading(Download),
    /// `IN_PROGRESS` with `self_test: ready` sent; activation waits for its acceptance.
    ReportingReady(Request),
    /// [`crate::Event::ActivateAndReboot`] emitted; waiting for the reset.
    AwaitingReboot,
    /// Booted on trial; `IN_PROGRESS` with `self_test: active` sent.
    ReportingActive(Request),
    /// Waiting for the application's self-test result.
    SelfTest,
    /// A final status sent; waiting for its acceptance.
    Reporting(Request, FinalReport),
    /// `{jobId}/get` sent after a `VersionMismatch`; then the interrupted report is resent.
    Redescribing(Request, Resume),
    /// A custom job is with the application.
    Custom,
}

/// The report to resume after re-describing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resume {
    Start,
    Ready,
    Active,
    Final(FinalReport),
}
