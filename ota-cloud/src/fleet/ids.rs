//! Handles for things and groups, and the membership change the fleet reports.

/// A thing's handle: its index in creation order. Never reused, even after the thing is deleted.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct ThingId(pub u32);

/// A group's handle: its index in creation order. Never reused, even after the group is deleted.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct GroupId(pub u32);

/// One thing joined or left the transitive membership of one group.
///
/// Reported by [`crate::fleet::Fleet::poll_membership_change`]. The `group` may have been
/// deleted by the time the change is read (deleting a group reports every member leaving it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MembershipChange {
    /// The group whose membership changed.
    pub group: GroupId,
    /// The thing that joined or left.
    pub thing: ThingId,
    /// True if the thing joined, false if it left.
    pub joined: bool,
}
