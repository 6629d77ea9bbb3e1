//! The volatile state: what the client waits for, and the job in hand with everything the
//! client knows about it. The request being retried is kept beside it ([`Request`]).

use super::job::ActiveJob;
use crate::reason::Reason;
use ota_core::jobs::JobExecutionStatus;

/// What the client waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "no allocation: held inline, once per client; the states without a job hold nothing"
)]
pub(crate) enum State {
    /// Nothing in hand: waiting for a notification, `handle_connected` or the idle check.
    Idle,
    /// `$next/get` sent: what is pending?
    Describing,
    /// A failed image was rolled back and its job is over: nothing happens until the
    /// application resets the device (the bootloader then boots the previous image). No job
    /// is taken before.
    RolledBack,
    /// A job in hand.
    Job(JobInHand),
}

impl State {
    /// The job in hand, if any.
    pub(crate) fn job(&self) -> Option<&JobInHand> {
        match self {
            Self::Job(job) => Some(job),
            _ => None,
        }
    }

    /// The stage of the job in hand, if any.
    pub(crate) fn stage(&self) -> Option<&Stage> {
        self.job().map(|job| &job.stage)
    }

    /// A short name, for log lines only (not linked without a logging feature).
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Describing => "describing the next job",
            Self::RolledBack => "rolled back, waiting for the reset",
            Self::Job(job) => match job.stage {
                Stage::Custom => "custom job",
                Stage::Starting { .. } => "starting",
                Stage::Downloading(_) => "downloading",
                Stage::ReportingReady => "reporting ready",
                Stage::AwaitingReboot => "awaiting reboot",
                Stage::ReportingActive => "reporting active",
                Stage::SelfTest => "self-test",
                Stage::Applied => "applied",
                Stage::Reporting(_) => "reporting the final status",
                Stage::Redescribing(_) => "redescribing",
            },
        }
    }
}

/// The job being worked on: its identity, what its document said, and where it is. Not
/// persisted (the record keeps what survives a reset); rebuilt from the record at start-up
/// when the record says a job is under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JobInHand {
    /// The job id, decoded.
    pub(crate) id: heapless::String<64>,
    pub(crate) execution_number: u64,
    /// What the download and the image checks need, from a firmware job's document (written
    /// in place by the intake). `None` for a custom job, and for a job rebuilt from the record
    /// past its download.
    pub(crate) firmware: Option<ActiveJob>,
    pub(crate) stage: Stage,
}

/// Where the job in hand is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Not a firmware update: with the application, which reports its outcome. Also the
    /// stage of a job taken a moment ago, until its document is checked.
    Custom,
    /// The first `IN_PROGRESS` update sent, with `expectedVersion` until a `VersionMismatch`
    /// drops it.
    Starting { expected_version: Option<u64> },
    /// Fetching blocks.
    Downloading(Download),
    /// `IN_PROGRESS` with `self_test: ready` sent; activation waits for its acceptance.
    ReportingReady,
    /// [`crate::Event::ActivateAndReboot`] emitted; waiting for the reset.
    AwaitingReboot,
    /// Booted on trial; `IN_PROGRESS` with `self_test: active` sent.
    ReportingActive,
    /// Waiting for the application's self-test result.
    SelfTest,
    /// A trust update or a floor reset applied (stored); `IN_PROGRESS` sent, after whose
    /// acceptance `SUCCEEDED` is reported (the service takes no `SUCCEEDED` straight from
    /// `QUEUED`).
    Applied,
    /// A final status sent; waiting for its acceptance.
    Reporting(FinalReport),
    /// `{jobId}/get` sent after a `VersionMismatch`; then the interrupted report is resent.
    Redescribing(Resume),
}

/// The request of the current state: sent and waiting for its reply, or waiting to be
/// (re)sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Request {
    /// Sends so far (1 after the first).
    pub(crate) attempt: u8,
    /// The token of the latest send, to match its reply; 0 before the first send.
    pub(crate) token: u32,
    /// Backing off, or parked until `handle_connected`: the timer, when armed, is the resend
    /// time.
    pub(crate) backing_off: bool,
}

impl Request {
    /// Not sent yet: the state starts (sends its request) after a backoff or at the next
    /// `handle_connected` (see `When`).
    pub(crate) const PARKED: Self = Self {
        attempt: 1,
        token: 0,
        backing_off: true,
    };
}

/// A final status, and what its acceptance leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FinalReport {
    pub(crate) status: JobExecutionStatus,
    pub(crate) reason: Option<Reason>,
    /// The image was rolled back: once the report is accepted (or the job is gone), wait
    /// for the reset ([`State::RolledBack`]) rather than take another job.
    pub(crate) rolled_back: bool,
}

impl FinalReport {
    /// A report after which the next job may come.
    pub(crate) const fn new(status: JobExecutionStatus, reason: Option<Reason>) -> Self {
        Self {
            status,
            reason,
            rolled_back: false,
        }
    }
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
}

/// The report to resume after re-describing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resume {
    Start,
    Ready,
    Active,
    Final(FinalReport),
}
