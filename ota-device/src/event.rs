//! What the client tells the application.

use crate::reason::Reason;
use ota_core::jobs::JobExecutionStatus;

/// Something the application must act on or may want to know. Drain with
/// [`crate::Client::poll_event`] after every `handle_*` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A firmware job was accepted and its download starts (or resumes at `from_byte`).
    DownloadStarted {
        /// Image size in bytes.
        size: u32,
        /// First byte still to fetch (0, or where a resumed download continues).
        from_byte: u32,
    },
    /// Download progress.
    Progress {
        /// Bytes written so far.
        received: u32,
        /// Image size.
        total: u32,
    },
    /// HTTP transport: fetch `len` bytes at `offset` of [`crate::Client::http_url`] and feed
    /// them to [`crate::Client::handle_http_data`] (or report failure with
    /// [`crate::Client::handle_http_error`]).
    FetchRange {
        /// First byte.
        offset: u32,
        /// Number of bytes.
        len: u32,
    },
    /// The verified image is marked pending and the service has acknowledged it: reset the
    /// device now to boot it on trial.
    ActivateAndReboot,
    /// Booted into the new image: run the self-test and call
    /// [`crate::Client::handle_self_test`] before the deadline.
    SelfTestRequired,
    /// The new image is committed and the anti-rollback floor raised.
    Committed,
    /// The new image failed; reset the device to boot the previous one.
    RollBackAndReboot {
        /// Why.
        reason: Reason,
    },
    /// The job ended and its final status was accepted by the service.
    JobFinished {
        /// `SUCCEEDED`, `FAILED` or `REJECTED`.
        status: JobExecutionStatus,
        /// For `FAILED` and `REJECTED`.
        reason: Option<Reason>,
    },
    /// The job was cancelled, removed or finished elsewhere; nothing was installed.
    JobCanceled,
    /// Flash or state storage failed before a job started; the job stays queued and is tried
    /// again after a backoff. Also emitted by [`crate::Client::new`] when the boot flags
    /// cannot be read: until they are repaired (at a reset, by bootloaders that do), updates
    /// fail with `storage_failure`.
    StorageFailed,
    /// A final status could not be delivered after every retry; it is sent again on the
    /// next [`crate::Client::handle_connected`].
    ReportUndelivered,
    /// A trust update was stored and its root is in use: releases are verified with its
    /// release keys from now on (a key it left out is revoked). Also emitted when the update
    /// was already applied (a repeated job): `version` is then the root already held.
    TrustRotated {
        /// The root version now held.
        version: u32,
    },
    /// Freeze defence: no "latest release" statement newer than the last one arrived for
    /// [`crate::Config::freshness_max_age`] (or the newest one expired by trusted time). The
    /// device may be held back on an old release; it says so in its next request, and this
    /// event is not repeated until a newer statement arrives ([`Event::Fresh`]).
    Stale {
        /// The newest statement's `issued` (0: none ever).
        last_issued: u64,
    },
    /// A floor reset was taken: the release it names may be installed below the
    /// anti-rollback floor, once; when it is committed the floor is set to it. The release
    /// itself is [`crate::Client::floor_reset_allowance`] (events carry no version: each
    /// would cost the client's event queue 48 bytes).
    FloorResetAllowed {
        /// The allowed release's security counter.
        security_counter: u32,
    },
    /// A newer latest statement arrived after [`Event::Stale`].
    Fresh {
        /// Its `issued`.
        issued: u64,
    },
    /// The newest latest statement names a release newer than the one running (emitted
    /// once per such release), which [`crate::Client::latest_release`] returns.
    Behind,
}
