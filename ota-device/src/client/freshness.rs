//! Freeze defence in the client (see [`ota_core::freshness`]): ask for the signed "latest
//! release" statement beside every `$next/get`, take only newer ones, and say when none
//! came for [`crate::Config::freshness_max_age`].

use crate::config::Config;
use core::borrow::Borrow;
use ota_core::freshness::topic::{Kind, Request};
use ota_core::freshness::{self, Latest, MAX_LATEST_LEN, SignedLatest};
use ota_core::manifest::TrustedTime;
use ota_core::time::{Duration, Instant};
use ota_core::version::Version;

use super::Client;
use crate::error::Error;
use crate::event::Event;
use crate::storage::{FirmwareSlot, StateStore};
use crate::trust::{TrustSource, role_id};

/// What the client knows of the latest statements (the newest `issued` is in the record).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Freshness {
    /// The token of the `latest/get` in flight.
    token: Option<u32>,
    /// When a newer statement was last taken, or the first ask of this boot.
    fresh_at: Option<Instant>,
    /// The newest statement taken this boot.
    latest: Option<Latest>,
    /// `Event::Stale` was emitted and no newer statement came since.
    stale: bool,
    /// The newest `issued` taken this boot (the record keeps a bound written less often).
    newest: u64,
}

impl<'a, S: FirmwareSlot, P: StateStore, const K: usize, T: TrustSource<K>, C: Borrow<Config<'a>>>
    Client<'a, S, P, K, T, C>
{
    /// Whether this client asks for latest statements.
    pub(super) fn asks_for_latest(&self) -> bool {
        self.config.borrow().freshness_max_age.is_some() && self.trust.timestamp().is_some()
    }

    /// Beside a `$next/get`: judge staleness, then ask for the latest statement.
    pub(super) fn ask_for_latest(&mut self, now: Instant) {
        if !self.asks_for_latest() {
            return;
        }
        let fresh_at = *self.freshness.fresh_at.get_or_insert(now);
        let max_age = self
            .config
            .borrow()
            .freshness_max_age
            .unwrap_or(Duration::from_secs(0));
        let expired = match (self.trusted_time(now), self.freshness.latest) {
            (TrustedTime::Unix(now), Some(latest)) => now > latest.expires,
            _ => false,
        };
        if (now.saturating_since(fresh_at) > max_age || expired) && !self.freshness.stale {
            self.freshness.stale = true;
            self.emit(Event::Stale {
                last_issued: self.newest_issued(),
            });
        }
        let token = self.new_token();
        self.freshness.token = Some(token);
        self.outbox.latest = Some(token);
    }

    /// The request payload's findings.
    pub(super) fn latest_request<'r>(&self, client_token: &'r str) -> Request<'r>
    where
        'a: 'r,
    {
        Request {
            product: self.config.borrow().product,
            stale: self.freshness.stale,
            behind: self.behind().is_some(),
            issued: self.newest_issued(),
            client_token,
        }
    }

    /// The newest `issued` taken, this boot or before, under the timestamp keys held now
    /// (a bound taken under keys since rotated away is forgotten: see
    /// [`crate::trust::role_id`]).
    fn newest_issued(&self) -> u64 {
        let role = role_id(self.trust.timestamp());
        let stored = if self.record.latest_role == role {
            self.record.latest_issued
        } else {
            0
        };
        self.freshness.newest.max(stored)
    }

    /// After a rotation that changed the timestamp keys: the statements of this boot no
    /// longer count (the record's bound is ignored by [`Self::newest_issued`] for the same
    /// reason).
    pub(super) fn forget_latest(&mut self) {
        self.freshness.latest = None;
        self.freshness.newest = 0;
    }

    /// The newest latest statement's release when it is newer than the running one.
    fn behind(&self) -> Option<Version> {
        let latest = self.freshness.latest?;
        latest
            .version
            .cmp_precedence(&self.config.borrow().running_version)
            .is_gt()
            .then_some(latest.version)
    }

    /// The release the newest latest statement of this boot names.
    pub fn latest_release(&self) -> Option<Version> {
        self.freshness.latest.map(|l| l.version)
    }

    /// A reply on the latest-statement topics.
    pub(super) fn on_latest_message(
        &mut self,
        now: Instant,
        kind: Kind,
        payload: &[u8],
    ) -> Result<(), Error> {
        // Known at compile time for fixed keys: the statement parser is then not linked.
        if self.trust.timestamp().is_none() {
            return Err(Error::Ignored);
        }
        let Some(token) = self.freshness.token else {
            return Err(Error::Ignored);
        };
        match kind {
            Kind::Request => Err(Error::Ignored),
            // No statement on the service: nothing is fresh; the next ask tries again.
            Kind::Rejected => {
                self.freshness.token = None;
                Ok(())
            }
            Kind::Accepted => {
                let signed = SignedLatest::parse(payload).map_err(|_| Error::Malformed)?;
                if !self.token_matches(token, signed.client_token) {
                    return Err(Error::Ignored);
                }
                self.freshness.token = None;
                self.take_latest(now, &signed)
            }
        }
    }

    /// Check a statement and, when it is newer than every one taken, take it.
    #[inline(never)]
    fn take_latest(&mut self, now: Instant, signed: &SignedLatest<'_>) -> Result<(), Error> {
        let keys = self.trust.timestamp().ok_or(Error::Ignored)?;
        let trusted = match self.trusted_time(now) {
            TrustedTime::Unix(t) => Some(t),
            TrustedTime::Unknown => None,
        };
        let mut scratch = [0u8; MAX_LATEST_LEN];
        let latest = freshness::check(
            signed,
            keys,
            self.config.borrow().product,
            trusted,
            &mut scratch,
        )
        .map_err(|_| Error::Malformed)?;
        if latest.issued <= self.newest_issued() {
            // A replay, or the same statement again: proves nothing new.
            return Err(Error::Ignored);
        }
        let was_behind = self.behind();
        self.freshness.latest = Some(latest);
        self.freshness.fresh_at = Some(now);
        if self.freshness.stale {
            self.freshness.stale = false;
            self.emit(Event::Fresh {
                issued: latest.issued,
            });
        }
        if self.behind().is_some_and(|v| Some(v) != was_behind) {
            self.emit(Event::Behind);
        }
        self.remember_issued(latest.issued);
        Ok(())
    }

    /// Keep `issued` in the record, written only when it moved by half the period since
    /// the stored one (a write per statement would wear the flash): after a reboot a
    /// replayed statement older than that is not fresh.
    fn remember_issued(&mut self, issued: u64) {
        let half_period = self
            .config
            .borrow()
            .freshness_max_age
            .map_or(0, |d| d.as_secs() / 2);
        let role = role_id(self.trust.timestamp());
        self.freshness.newest = issued;
        let stored = self.record.latest_issued;
        if stored == 0
            || self.record.latest_role != role
            || issued.saturating_sub(stored) >= half_period
        {
            self.record.latest_issued = issued;
            self.record.latest_role = role;
            // A failed write loses only this bound: the next statement writes it again.
            let _ = self.persist();
        }
    }
}
