//! `[trust]`: threshold signatures, a key rotation and attacks with a stolen release key.
//!
//! ```toml
//! [trust]
//! release_keys = 3          # release keys in the devices' root (1 to 4)
//! threshold = 2             # distinct release keys a release needs
//! rotate_at_minute = 20     # a trust-update job to every device: key 1 revoked, a new one added
//! [[trust.attacks]]         # the holder of stolen release key 1 pushes a release it alone signed
//! at_minute = 10
//! devices = 50
//! ```
//!
//! Without `[trust]` devices hold one fixed release key, as before. With it, every device
//! boots with a rotating root (version 1, built into its firmware: three root keys, two
//! needed; the release keys and threshold above), kept in a record of its own beside the
//! state record. Releases are signed by `threshold` keys other than key 1 when there are
//! enough of them (so they stay valid after key 1 is revoked). The rotation's root (version
//! 2) replaces key 1 by a new key and keeps the threshold. An attack is a job made by
//! whoever holds key 1 (a leaked key and a compromised account): version 99.0.0 with
//! security counter 999 for the first hardware type, served on a stream of its own, to
//! `devices` devices of that type drawn from the seed.

use serde::Deserialize;

use super::{ScenarioError, invalid};

/// Most release keys in a simulated root.
pub const MAX_RELEASE_KEYS: u8 = 4;
/// Most `[[trust.attacks]]`.
pub const MAX_ATTACKS: usize = 8;

/// Threshold signatures, a rotation and attacks.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustSpec {
    /// Release keys in the devices' root (default 3).
    #[serde(default = "default_release_keys")]
    pub release_keys: u8,
    /// Distinct release keys a release needs (default 2).
    #[serde(default = "default_threshold")]
    pub threshold: u8,
    /// When the operator rotates the root (minutes from the start; none: no rotation).
    #[serde(default)]
    pub rotate_at_minute: Option<u64>,
    /// Releases pushed with stolen release key 1.
    #[serde(default)]
    pub attacks: Vec<AttackSpec>,
}

fn default_release_keys() -> u8 {
    3
}
fn default_threshold() -> u8 {
    2
}

/// One job made with stolen release key 1.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttackSpec {
    /// When (minutes from the start).
    pub at_minute: u64,
    /// Devices of the first hardware type it targets (fewer when the fleet has fewer).
    pub devices: u32,
}

impl TrustSpec {
    /// Keys, threshold and attacks within range; with a rotation, enough keys besides key 1
    /// to sign releases.
    pub(super) fn check(&self, horizon_minutes: u64) -> Result<(), ScenarioError> {
        if !(1..=MAX_RELEASE_KEYS).contains(&self.release_keys) {
            return invalid("trust.release_keys must be 1 to 4");
        }
        if self.threshold == 0 || self.threshold > self.release_keys {
            return invalid("trust.threshold must be 1 to release_keys");
        }
        if self.rotate_at_minute.is_some() && self.threshold >= self.release_keys {
            return invalid(
                "trust.rotate_at_minute revokes key 1: releases need threshold keys besides it \
                 (release_keys above threshold)",
            );
        }
        if self.attacks.len() > MAX_ATTACKS {
            return invalid("at most 8 [[trust.attacks]]");
        }
        let late = |m: u64| m >= horizon_minutes;
        if self.rotate_at_minute.is_some_and(late) || self.attacks.iter().any(|a| late(a.at_minute))
        {
            return invalid("trust events must come before horizon_minutes");
        }
        if self.attacks.iter().any(|a| a.devices == 0) {
            return invalid("an attack needs at least one device");
        }
        Ok(())
    }

    /// Indices (0-based) of the release keys that sign the releases.
    pub fn release_signers(&self) -> core::ops::Range<usize> {
        let first = usize::from(self.release_keys > self.threshold);
        first..first + usize::from(self.threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(keys: u8, threshold: u8, rotate: Option<u64>) -> TrustSpec {
        TrustSpec {
            release_keys: keys,
            threshold,
            rotate_at_minute: rotate,
            attacks: vec![AttackSpec {
                at_minute: 5,
                devices: 3,
            }],
        }
    }

    #[test]
    fn ranges_are_checked() {
        assert!(spec(3, 2, Some(10)).check(60).is_ok());
        assert!(spec(1, 1, None).check(60).is_ok());
        for bad in [
            spec(0, 1, None),
            spec(5, 2, None),
            spec(3, 0, None),
            spec(2, 3, None),
            // A rotation that would revoke a key every release needs.
            spec(2, 2, Some(10)),
            spec(3, 2, Some(60)),
        ] {
            assert!(bad.check(60).is_err(), "{bad:?}");
        }
        let mut none = spec(3, 2, None);
        none.attacks[0].devices = 0;
        assert!(none.check(60).is_err());
    }

    #[test]
    fn releases_avoid_key_1_when_they_can() {
        assert_eq!(spec(3, 2, None).release_signers(), 1..3);
        assert_eq!(spec(2, 2, None).release_signers(), 0..2);
        assert_eq!(spec(1, 1, None).release_signers(), 0..1);
    }
}
