//! The sans-IO client: [`Client`].

mod codec;
mod download;
mod floor;
mod flow;
mod freshness;
mod install;
pub(crate) mod job;
mod messages;
mod outbox;
mod state;
mod transition;

use core::borrow::Borrow;
use heapless::Deque;
use ota_core::crypto::TrustStore;
use ota_core::jobs::JobExecutionStatus;
use ota_core::json::{JsonStr, RawJson};
use ota_core::manifest::{RollbackFloor, TrustedTime};
use ota_core::time::{Duration, Instant};
use ota_core::trust::{MAX_ROOT_LEN, Root};

pub use outbox::{Publish, Qos};

use crate::config::Config;
use crate::error::Error;
use crate::event::Event;
use crate::record::{RECORD_CAPACITY, Record};
use crate::rng::Rng;
use crate::storage::{BootState, FirmwareSlot, StateStore, StorageError};
use crate::trust::TrustSource;
use outbox::Outbox;
use state::{Request, State};

/// Smallest scratch buffer: a signed manifest (1 KiB) must fit, and so must one block.
pub const MIN_SCRATCH_LEN: usize = 1024;

/// Smallest buffer [`Client::poll_transmit`] can always render into: the longest topic (a
/// 128-byte thing name and a 64-byte job id) plus the longest status update or stream
/// request this client writes.
pub const MIN_TRANSMIT_LEN: usize = 640;

/// Topic filter numbers [`Client::subscription`] may yield (the last only with the freeze
/// defence on: see [`Config::freshness_max_age`]).
pub const SUBSCRIPTIONS: usize = 6;

/// Most events one call queues: [`Client::new`] or one `handle_*` call (or
/// [`Client::report_custom_job`]). The client holds no more: drain [`Client::poll_event`]
/// after every call.
pub const MAX_EVENTS_PER_CALL: usize = 2;

/// The buffers the client borrows from the application.
#[derive(Debug)]
pub struct Buffers<'a> {
    /// Working memory for manifests, block payloads and read-back hashing: at least
    /// [`MIN_SCRATCH_LEN`] bytes and at least one block.
    pub scratch: &'a mut [u8],
    /// Holds the HTTP URL of the job being downloaded (a presigned S3 URL is up to ~1.5 KB).
    /// May be empty: documents that offer only HTTP are then refused.
    pub url: &'a mut [u8],
}

/// A job that is not a firmware update, handed to the application by
/// [`Client::handle_message`]. Borrowed from the message payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomJob<'p> {
    /// The job id, as written in the payload: compare it with `==`, or make it a
    /// [`JobId`](ota_core::jobs::JobId) with
    /// [`JobId::from_json`](ota_core::jobs::JobId::from_json) (it may be written with
    /// escapes, `"job\u0031"`; [`Client::job_id`] has it decoded).
    pub job_id: JsonStr<'p>,
    /// Its execution number.
    pub execution_number: u64,
    /// Its status when received.
    pub status: JobExecutionStatus,
    /// The job document, exactly as received (absent if the service sent none).
    pub document: Option<RawJson<'p>>,
}

/// A `no_std`, allocation-free, sans-IO firmware-update client.
///
/// `S` is the firmware slot (with its bootloader hand-off), `P` the persistent record store,
/// `K` the capacity of the trust store. See the [crate docs](crate) for the driving loop, the
/// call order and the power-loss guarantees.
///
/// # Panics
/// A call that emits an event while the events of an earlier call are still queued beyond
/// [`MAX_EVENTS_PER_CALL`] panics: [`Client::poll_event`] must be drained after every call.
/// Publishes cannot pile up: waiting ones of the same kind replace each other (see
/// [`Client::poll_transmit`]).
pub struct Client<'a, S, P, const K: usize, T = &'a TrustStore<K>, C = Config<'a>> {
    /// By value (the default), or a reference (`&Config`: the client is then 212 bytes
    /// smaller on a 32-bit target, and the configuration can live in flash).
    config: C,
    trust: T,
    slot: S,
    store: P,
    scratch: &'a mut [u8],
    url: &'a mut [u8],
    /// The persisted truth, mirrored in RAM.
    record: Record,
    /// What the client waits for, with the job in hand.
    state: State,
    /// The request of the current state, beside it: its sends so far, and whether it backs
    /// off.
    request: Option<Request>,
    /// Token of the `{jobId}/get` sent to check that the job in hand still exists (not
    /// retried).
    probe: Option<u32>,
    outbox: Outbox,
    events: Deque<Event, MAX_EVENTS_PER_CALL>,
    timer: Option<Instant>,
    rng: Rng,
    next_token: u32,
    wall_clock: Option<(Instant, u64)>,
    freshness: freshness::Freshness,
}

impl<'a, S: FirmwareSlot, P: StateStore, const K: usize, T: TrustSource<K>, C: Borrow<Config<'a>>>
    Client<'a, S, P, K, T, C>
{
    /// Start the client: load the persisted record, ask the slot how the device booted, and
    /// decide what to do (resume a download, report a committed or rolled-back image, wait
    /// for a self-test, or wait for jobs). Nothing is sent until
    /// [`Client::handle_connected`].
    ///
    /// The anti-rollback floor is the highest of the record's, the running image's trailer's
    /// (when it verifies, see [`crate::trailer`]) and the slot's security counter's: a lost
    /// or corrupt record does not lower it.
    ///
    /// Boot flags that cannot be read ([`StorageError::Corrupt`]) do not stop it: see
    /// [`Event::StorageFailed`] and the crate docs on power loss.
    ///
    /// `trust` is a fixed [`TrustStore`] (`&store`), or a
    /// [`Rotation`](crate::trust::Rotation) that trust-update jobs rotate (the scratch
    /// buffer must then hold [`MAX_ROOT_LEN`] bytes); see [`TrustSource`].
    ///
    /// # Errors
    /// [`Error::BadConfig`], [`Error::BuffersTooSmall`], or [`Error::Storage`] when the
    /// record, the boot state (other than unreadable flags) or the security counter cannot be
    /// read.
    pub fn new(
        config: C,
        trust: T,
        mut slot: S,
        mut store: P,
        buffers: Buffers<'a>,
    ) -> Result<Self, Error> {
        let c: &Config<'a> = config.borrow();
        c.validate()?;
        let (block_size, running_version, random_seed) =
            (c.block_size, c.running_version, c.random_seed);
        let mut needed = MIN_SCRATCH_LEN.max(block_size as usize);
        if trust.rotates() {
            needed = needed.max(MAX_ROOT_LEN);
        }
        if buffers.scratch.len() < needed {
            return Err(Error::BuffersTooSmall);
        }
        let mut raw = [0u8; RECORD_CAPACITY];
        let record = match store.load(&mut raw)? {
            Some(len) => Record::decode(raw.get(..len).unwrap_or_default()),
            None => None,
        }
        .unwrap_or_else(|| Record::fresh(running_version));
        // Unreadable flags: whether the running image is committed is unknown; the floor
        // then trusts nothing of the running image (as on trial), see `on_unreadable_flags`.
        let (boot, flags_unreadable) = match slot.boot_state() {
            Ok(state) => (state, false),
            Err(StorageError::Corrupt) => (BootState::Trial, true),
            Err(e) => return Err(e.into()),
        };
        let mut client = Self {
            config,
            trust,
            slot,
            store,
            scratch: buffers.scratch,
            url: buffers.url,
            record,
            state: State::Idle,
            request: None,
            probe: None,
            outbox: Outbox::default(),
            events: Deque::new(),
            timer: None,
            rng: Rng::new(random_seed),
            next_token: 0,
            wall_clock: None,
            freshness: freshness::Freshness::default(),
        };
        // Tokens start where the seed says, so that a boot with another seed does not reuse
        // the tokens of the last one (a late reply to those must not match).
        client.next_token = client.rng.between(0, u64::from(u32::MAX)) as u32;
        client.restore_floor(boot)?;
        if flags_unreadable {
            client.on_unreadable_flags();
        } else {
            client.reconcile_boot(boot)?;
        }
        Ok(client)
    }

    /// The configuration the client was started with.
    pub fn config(&self) -> &Config<'a> {
        self.config.borrow()
    }

    /// The MQTT topic filter number `index` (0..[`SUBSCRIPTIONS`]) to subscribe to, written
    /// into `buf`; `None` for a number this client does not use. AWS IoT delivers `accepted`/`rejected` replies without subscriptions;
    /// other brokers (and the in-process simulator) need them.
    pub fn subscription<'b>(&self, index: usize, buf: &'b mut [u8]) -> Option<&'b str> {
        let root = self.config.borrow().topic_root;
        let thing = self.config.borrow().thing_name.as_str();
        let fmt = self.config.borrow().stream_format.as_str();
        let parts: [&str; 3] = match index {
            0 => ["/jobs/notify-next", "", ""],
            1 => ["/jobs/+/get/+", "", ""],
            2 => ["/jobs/+/update/+", "", ""],
            3 => ["/streams/+/data/", fmt, ""],
            4 => ["/streams/+/rejected/", fmt, ""],
            // Only a client that asks for latest statements (freeze defence).
            5 if self.asks_for_latest() => ["/ota/latest/get/+", "", ""],
            _ => return None,
        };
        let mut w = crate::write::SliceWriter::new(buf);
        for part in [root, "/things/", thing].into_iter().chain(parts) {
            w.push(part)?;
        }
        w.into_str()
    }

    /// Set the trusted wall-clock time: `unix_secs` at `now`. Manifest expiry is checked
    /// against it from then on (`now` advances it). Without it, time is
    /// [`TrustedTime::Unknown`].
    pub fn set_trusted_time(&mut self, now: Instant, unix_secs: u64) {
        self.wall_clock = Some((now, unix_secs));
    }

    /// The MQTT connection is up (first time or after a reconnect): ask for the next job, or
    /// resend whatever was waiting for a reply.
    pub fn handle_connected(&mut self, now: Instant) {
        self.on_connected(now);
    }

    /// The instant passed to [`Client::poll_timeout`] has come.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.timer.is_some_and(|t| t <= now) {
            self.timer = None;
            self.on_timer(now);
        }
    }

    /// The application's self-test result after [`Event::SelfTestRequired`]: commit the new
    /// image, or roll it back.
    ///
    /// # Errors
    /// [`Error::UnexpectedCall`] when no self-test was asked for (nothing changes).
    pub fn handle_self_test(&mut self, now: Instant, passed: bool) -> Result<(), Error> {
        self.on_self_test(now, passed)
    }

    /// Report the outcome of the custom job handed over by [`Client::handle_message`]
    /// (`SUCCEEDED`, `FAILED`, `REJECTED` or `IN_PROGRESS`). The client sends it, retries it,
    /// and looks for the next job once a final status is accepted.
    ///
    /// # Errors
    /// [`Error::UnexpectedCall`] without a custom job, or for a status a device may not set.
    pub fn report_custom_job(
        &mut self,
        now: Instant,
        status: JobExecutionStatus,
    ) -> Result<(), Error> {
        self.on_custom_report(now, status)
    }

    /// The next message to publish, rendered into `buf` (at least [`MIN_TRANSMIT_LEN`]
    /// bytes). Call until `None` after every `handle_*`.
    ///
    /// At most three wait at any time, however long the application takes: a check that the
    /// job in hand still exists, a progress update, and the request of the current state. A
    /// newer one of a kind replaces an older one not taken yet (a resent request, fresher
    /// progress): the older one's reply could no longer match.
    #[must_use]
    pub fn poll_transmit<'b>(&mut self, _now: Instant, buf: &'b mut [u8]) -> Option<Publish<'b>> {
        let out = self.outbox.take()?;
        self.render(out, buf)
    }

    /// When [`Client::handle_timeout`] must be called next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timer
    }

    /// The next event for the application.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The job being worked on, if any.
    pub fn job_id(&self) -> Option<&str> {
        self.state.job().map(|job| job.id.as_str())
    }

    /// The URL to fetch [`Event::FetchRange`]s from, during an HTTP download.
    pub fn http_url(&self) -> Option<&str> {
        match self.firmware()?.transport {
            job::Transport::Http { len } => core::str::from_utf8(self.url.get(..len)?).ok(),
            job::Transport::Stream { .. } => None,
        }
    }

    /// The version the image in hand must report once booted (from its verified manifest),
    /// from the download until the job ends; `None` otherwise and for `afr_ota` images, which
    /// carry no version. A runner that must tell the new image its version (a Linux process
    /// re-executing itself) records it before the reset.
    pub fn target_version(&self) -> Option<ota_core::version::Version> {
        if self.record.phase == crate::record::Phase::Idle {
            return None;
        }
        self.record.target_version
    }

    /// The release a floor reset allows below the anti-rollback floor, with its security
    /// counter, until it is committed ([`Event::FloorResetAllowed`]); `None` otherwise.
    pub fn floor_reset_allowance(
        &self,
    ) -> Option<(
        ota_core::version::Version,
        ota_core::version::SecurityCounter,
    )> {
        self.record.allowance
    }

    /// The persisted anti-rollback floor.
    pub fn floor(&self) -> RollbackFloor {
        self.record.floor
    }

    /// True when no job is in hand and nothing is left to report (the client may still be
    /// asking for the next job).
    pub fn is_idle(&self) -> bool {
        self.state.job().is_none() && self.record.phase == crate::record::Phase::Idle
    }

    /// The root the client holds, when its keys rotate (see [`crate::trust`]).
    pub fn trust_root(&self) -> Option<&Root<K>> {
        self.trust.root()
    }

    /// The slot, e.g. to inspect it in tests.
    pub fn slot(&self) -> &S {
        &self.slot
    }

    /// Take the client apart: its slot, state store and buffers, to build a new client after a
    /// (simulated) reset, or to keep the storage in a `static` on firmware. Everything
    /// persistent is already in the store; nothing volatile survives.
    pub fn into_parts(self) -> (S, P, Buffers<'a>) {
        (
            self.slot,
            self.store,
            Buffers {
                scratch: self.scratch,
                url: self.url,
            },
        )
    }

    // ---- helpers shared by the handler modules ----

    fn trusted_time(&self, now: Instant) -> TrustedTime {
        match self.wall_clock {
            Some((at, unix)) => TrustedTime::Unix(unix + now.saturating_since(at).as_secs()),
            None => TrustedTime::Unknown,
        }
    }

    /// A fresh client token; never 0, which marks a request not sent yet.
    fn new_token(&mut self) -> u32 {
        self.next_token = self.next_token.wrapping_add(1).max(1);
        self.next_token
    }

    /// Queue `event` for [`Client::poll_event`].
    ///
    /// # Panics
    /// When the events of an earlier call were not drained (no call emits more than
    /// [`MAX_EVENTS_PER_CALL`]: `tests/output_bounds.rs`).
    fn emit(&mut self, event: Event) {
        if_logging! { crate::logging::event(&event) }
        if self.events.push_back(event).is_err() {
            panic!("poll_event not drained");
        }
    }

    fn arm(&mut self, at: Instant) {
        self.timer = Some(at);
    }

    fn reply_deadline(&self, now: Instant) -> Instant {
        now + self.config.borrow().retry.reply_timeout
    }

    /// Backoff before attempt `attempt + 1`: doubling from the initial backoff, capped, with
    /// "equal jitter" (uniform in the upper half).
    #[inline(never)]
    fn backoff(&mut self, attempt: u8) -> Duration {
        let retry = self.config.borrow().retry;
        let base = retry
            .initial_backoff
            .saturating_mul(1u64 << u32::from(attempt.min(20)));
        let capped = base.min(retry.max_backoff).as_millis();
        Duration::from_millis(self.rng.between(capped / 2, capped))
    }

    /// When an idle client asks `$next/get` again: uniform in the upper half of
    /// [`Config::idle_check_interval`], so that a fleet does not ask in step.
    #[inline(never)]
    fn idle_check_delay(&mut self) -> Duration {
        let full = self.config.borrow().idle_check_interval.as_millis();
        Duration::from_millis(self.rng.between(full / 2, full))
    }

    fn persist(&mut self) -> Result<(), StorageError> {
        let mut buf = [0u8; RECORD_CAPACITY];
        let len = self.record.encode(&mut buf);
        let stored = self.store.store(&buf[..len]);
        if_logging! {
            if let Err(e) = stored {
                log_error!("ota: state record not stored: {:?}", e);
            }
        }
        stored
    }

    /// Whether a reply carrying `reply` as its client token answers the current request: its
    /// last send (a late answer during the backoff before a resend counts too). A reply
    /// without a token is taken as an answer (services need not echo it; AWS does).
    fn answers(&self, reply: Option<JsonStr<'_>>) -> bool {
        self.request
            .is_some_and(|r| r.token != 0 && self.token_matches(r.token, reply))
    }

    /// Compared decoded: `"123:dev\u002d1"` answers request 123.
    fn token_matches(&self, token: u32, reply: Option<JsonStr<'_>>) -> bool {
        let Some(reply) = reply else { return true };
        let mut expected: heapless::String<11> = heapless::String::new();
        let _ = crate::text::push_u32(&mut expected, token).and_then(|()| expected.push(':').ok());
        reply.starts_with(expected.as_str())
    }
}
