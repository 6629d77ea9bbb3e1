//! Freeze defence: a signed, short-lived "latest release" statement (TUF's timestamp role),
//! so that a device held back on an old release notices.
//!
//! The service signs, with the root's online `timestamp` keys ([`crate::trust::Root`]),
//! which release is the latest for a product and when the statement was issued and expires,
//! and signs it again before it expires. A device asks for it on its own MQTT topic
//! ([`topic`]) whenever it asks for its next job, checks it ([`check`]) and keeps the newest
//! `issued` it saw. It reports itself *stale* when no statement newer than the last one
//! arrived for its configured period, and *behind* when the statement names a release newer
//! than the one it runs: an attacker who holds back jobs (or a service that stopped
//! signing) cannot keep a device quiet on an old release.
//!
//! What it proves depends on the device's clock:
//! - with trusted time, a statement past its `expires` is refused outright;
//! - without, the device counts its own uptime since the last newer statement: a replayed
//!   old statement is never newer, so a freeze is noticed after the configured period of
//!   uptime, however the attacker replays.
//!
//! What it does not do: fetch anything (the device client asks, the service answers), decide
//! what a device does when stale (it reports), or prove that a job for the latest release
//! exists.

mod check;
mod statement;
pub mod topic;

pub use check::{FreshnessError, Latest, check};
pub use statement::{LATEST_TYPE, LatestStatement, MAX_LATEST_LEN, SignedLatest};

#[cfg(test)]
mod tests;
