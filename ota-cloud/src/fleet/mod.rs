//! The device registry of the in-memory engine: AWS IoT things, static thing groups (nested
//! up to [`MAX_GROUP_DEPTH`] levels) and dynamic thing groups defined by a [`Query`].
//!
//! [`Fleet`] is synchronous and deterministic, and sized for a million things: a thing
//! without attributes costs about 56 bytes of heap in all (a 24-byte record, its name, its
//! share of the name index; measured by `tests/fleet_memory.rs` with 13-byte names).
//! Group membership is kept *transitively*: each group holds the set of all things in it or
//! in any of its descendants, as a compressed bitmap (a group of a million consecutive
//! things takes 128 KiB), so [`Fleet::members`] is a plain walk and [`Fleet::is_member`] a
//! lookup in O(log members), whatever the depth. Every change to that transitive membership, whatever caused
//! it, is queued as a [`MembershipChange`] for [`Fleet::poll_membership_change`] (the engine
//! feeds continuous jobs from it); nothing is queued when nothing changed.
//!
//! Differences from AWS, on purpose or for now:
//! - by default a thing may be in several groups of one hierarchy and in any number of
//!   groups; [`FleetLimits::aws`] restores AWS's rules (static groups only);
//! - [`Fleet::set_parent`] moves a group (AWS fixes the parent at creation);
//! - a group with child groups cannot be deleted (AWS does not document this case);
//! - dynamic groups follow attribute changes at once, not after indexing delay;
//! - the query language is the subset documented in [`Query`];
//! - there are no thing types, group attributes, ARNs or versions.

mod attributes;
mod dynamic;
mod error;
mod groups;
mod hierarchy;
mod ids;
mod idset;
mod index;
mod limits;
mod query;
mod query_parser;
mod registry;
mod things;
mod transitive;

#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};

pub use attributes::{MAX_ATTRIBUTE_KEY_LEN, MAX_ATTRIBUTE_VALUE_LEN, MAX_ATTRIBUTES};
pub use error::FleetError;
pub use ids::{GroupId, MembershipChange, ThingId};
pub use limits::{FleetLimits, MAX_GROUP_DEPTH};
pub use query::{MAX_QUERY_DEPTH, MAX_QUERY_TERMS, Query};
pub use transitive::KEPT_CHANGES;

use groups::Group;
use things::Things;

/// Things and thing groups, in memory.
///
/// Methods that take names look the thing or group up and fail with
/// [`FleetError::ThingNotFound`] / [`FleetError::GroupNotFound`]; methods that take ids treat
/// an unknown or deleted id as empty (`None`, no members). Thing and group names follow the
/// AWS thing-name rules (1-128 bytes of `[a-zA-Z0-9:_-]`); things and groups are separate
/// namespaces. Ids are handed out in creation order and never reused.
#[derive(Clone, Default)]
pub struct Fleet {
    things: Things,
    /// Indexed by [`GroupId`]; `None` once deleted.
    groups: Vec<Option<Group>>,
    group_names: HashMap<Box<str>, GroupId>,
    /// Live dynamic groups, ascending.
    dynamic_groups: Vec<GroupId>,
    changes: VecDeque<MembershipChange>,
    limits: FleetLimits,
}

impl Fleet {
    /// An empty fleet with permissive limits ([`FleetLimits::default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty fleet that enforces `limits`.
    pub fn with_limits(limits: FleetLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// The limits this fleet enforces.
    pub fn limits(&self) -> FleetLimits {
        self.limits
    }
}

impl core::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Fleet")
            .field("things", &self.thing_count())
            .field("groups", &self.group_count())
            .field("pending_changes", &self.changes.len())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}
