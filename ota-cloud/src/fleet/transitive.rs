//! Transitive membership: queries, the change queue, and keeping ancestors up to date.

use super::{Fleet, GroupId, MembershipChange, ThingId};

/// Room for changes the queue keeps once drained (a bulk operation can queue millions).
pub const KEPT_CHANGES: usize = 4096;

impl Fleet {
    /// Every thing in `group`: its direct members and those of all its descendants, once
    /// each, in ascending [`ThingId`] order; for a dynamic group, its current matches. Empty
    /// for an unknown or deleted group. O(members).
    pub fn members(&self, group: GroupId) -> Vec<ThingId> {
        self.live_group(group)
            .map(|g| g.members.iter().map(ThingId).collect())
            .unwrap_or_default()
    }

    /// Number of things [`Fleet::members`] would return, without building the list.
    pub fn member_count(&self, group: GroupId) -> usize {
        self.live_group(group).map_or(0, |g| g.members.len())
    }

    /// True if `thing` is among [`Fleet::members`] of `group`. O(log members), whatever the
    /// depth of the hierarchy.
    pub fn is_member(&self, group: GroupId, thing: ThingId) -> bool {
        self.live_group(group)
            .is_some_and(|g| g.members.contains(thing.0))
    }

    /// The oldest change in transitive membership not yet polled.
    ///
    /// Changes are queued in the order they happened, one for each group a thing joined or
    /// left: the group it was added to or removed from and each ancestor whose membership
    /// changed, dynamic groups re-evaluated after an attribute change or a new thing,
    /// every group a deleted thing was in, every member of a deleted group. Nothing is queued
    /// when membership did not change. The queue is unbounded: drain it. Once drained, it
    /// gives back memory beyond room for [`KEPT_CHANGES`] changes.
    #[must_use]
    pub fn poll_membership_change(&mut self) -> Option<MembershipChange> {
        let change = self.changes.pop_front();
        if self.changes.is_empty() && self.changes.capacity() > KEPT_CHANGES {
            self.changes.shrink_to(KEPT_CHANGES);
        }
        change
    }

    /// Number of changes waiting for [`Fleet::poll_membership_change`].
    pub fn pending_membership_changes(&self) -> usize {
        self.changes.len()
    }

    pub(super) fn report(&mut self, group: GroupId, thing: ThingId, joined: bool) {
        self.changes.push_back(MembershipChange {
            group,
            thing,
            joined,
        });
    }

    /// Put `thing` in or out of the transitive members of `group`; true (and reported) if
    /// that changed anything.
    pub(super) fn set_member(&mut self, group: GroupId, thing: ThingId, member: bool) -> bool {
        let Some(g) = self.live_group_mut(group) else {
            return false;
        };
        let changed = if member {
            g.members.insert(thing.0)
        } else {
            g.members.remove(thing.0)
        };
        if changed {
            self.report(group, thing, member);
        }
        changed
    }

    /// Recompute whether `thing` belongs to `from` and its ancestors, bottom-up, after its
    /// direct membership or the group's children changed. Stops at the first group whose
    /// membership stays as it was: groups above it cannot change either.
    pub(super) fn refresh_up(&mut self, thing: ThingId, from: Option<GroupId>) {
        let mut at = from;
        while let Some(id) = at {
            let Some(h) = self.live_group(id).and_then(|g| g.hierarchy()) else {
                return;
            };
            let member =
                h.direct.contains(thing.0) || h.children.iter().any(|&c| self.is_member(c, thing));
            at = h.parent;
            if !self.set_member(id, thing, member) {
                return;
            }
        }
    }
}
