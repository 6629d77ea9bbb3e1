//! Static groups: nesting, moving a group, adding and removing things by hand.

use super::groups::{Group, Hierarchy, Kind};
use super::limits::MAX_GROUP_DEPTH;
use super::{Fleet, FleetError, GroupId, ThingId};

impl Fleet {
    /// The hierarchy of a live static group.
    ///
    /// # Errors
    /// [`FleetError::GroupNotFound`], [`FleetError::DynamicGroupNotNestable`].
    pub(super) fn static_hierarchy(&self, id: GroupId) -> Result<&Hierarchy, FleetError> {
        match &self.live_group(id).ok_or(FleetError::GroupNotFound)?.kind {
            Kind::Static(h) => Ok(h),
            Kind::Dynamic(_) => Err(FleetError::DynamicGroupNotNestable),
        }
    }

    /// The parent of a live static group; `None` at the top, for dynamic or unknown groups.
    pub fn parent(&self, id: GroupId) -> Option<GroupId> {
        self.live_group(id)?.hierarchy()?.parent
    }

    /// The child groups of a live static group, in the order they were attached.
    pub fn children(&self, id: GroupId) -> &[GroupId] {
        self.live_group(id)
            .and_then(Group::hierarchy)
            .map_or(&[], |h| &h.children)
    }

    /// `id` and its ancestors, bottom-up.
    fn lineage(&self, id: GroupId) -> impl Iterator<Item = GroupId> + '_ {
        core::iter::successors(Some(id), |&g| self.parent(g))
    }

    /// Levels from the top down to `id`: 1 for a group without parent.
    pub(super) fn depth(&self, id: GroupId) -> usize {
        self.lineage(id).count()
    }

    /// Levels from `id` down to its deepest descendant: 1 without children.
    fn height(&self, id: GroupId) -> usize {
        // Recursion is bounded by MAX_GROUP_DEPTH.
        1 + self
            .children(id)
            .iter()
            .map(|&c| self.height(c))
            .max()
            .unwrap_or(0)
    }

    fn root(&self, id: GroupId) -> GroupId {
        self.lineage(id).last().unwrap_or(id)
    }

    /// True if `thing` is anywhere in the hierarchy whose root is `root`.
    fn in_hierarchy(&self, root: GroupId, thing: ThingId) -> bool {
        self.live_group(root)
            .is_some_and(|g| g.members.contains(thing.0))
    }

    /// Move a static group (with its subtree and members) under another static group, or to
    /// the top with `None`. Things that leave or join ancestors are reported. Moving a group
    /// to where it is does nothing.
    ///
    /// # Errors
    /// [`FleetError::GroupNotFound`], [`FleetError::DynamicGroupNotNestable`],
    /// [`FleetError::GroupCycle`] if `parent` is the group or one of its descendants,
    /// [`FleetError::HierarchyTooDeep`], and [`FleetError::AlreadyInHierarchy`] if
    /// [`super::FleetLimits::one_group_per_hierarchy`] is set and a member of the subtree is
    /// already in the target hierarchy.
    pub fn set_parent(&mut self, group: &str, parent: Option<&str>) -> Result<(), FleetError> {
        let id = self.find_group(group)?;
        let new_parent = parent.map(|p| self.find_group(p)).transpose()?;
        let old_parent = self.static_hierarchy(id)?.parent;
        if let Some(p) = new_parent {
            self.static_hierarchy(p)?;
            if self.lineage(p).any(|a| a == id) {
                return Err(FleetError::GroupCycle);
            }
            if self.depth(p) + self.height(id) > MAX_GROUP_DEPTH {
                return Err(FleetError::HierarchyTooDeep);
            }
            let target = self.root(p);
            if self.limits.one_group_per_hierarchy
                && target != self.root(id)
                && self
                    .members(id)
                    .into_iter()
                    .any(|t| self.in_hierarchy(target, t))
            {
                return Err(FleetError::AlreadyInHierarchy);
            }
        }
        if new_parent == old_parent {
            return Ok(());
        }
        let moved = self.members(id);
        if let Some(h) = old_parent.and_then(|p| self.live_group_mut(p)?.hierarchy_mut()) {
            h.children.retain(|&c| c != id);
        }
        self.set_parent_link(id, None);
        for &thing in &moved {
            self.refresh_up(thing, old_parent);
        }
        if let Some(h) = new_parent.and_then(|p| self.live_group_mut(p)?.hierarchy_mut()) {
            h.children.push(id);
        }
        self.set_parent_link(id, new_parent);
        for &thing in &moved {
            self.refresh_up(thing, new_parent);
        }
        Ok(())
    }

    fn set_parent_link(&mut self, id: GroupId, parent: Option<GroupId>) {
        if let Some(h) = self.live_group_mut(id).and_then(Group::hierarchy_mut) {
            h.parent = parent;
        }
    }

    /// The hierarchy of a static group that things may be added to or removed from.
    fn writable(&self, id: GroupId) -> Result<&Hierarchy, FleetError> {
        self.static_hierarchy(id).map_err(|e| match e {
            FleetError::DynamicGroupNotNestable => FleetError::DynamicGroupIsReadOnly,
            other => other,
        })
    }

    /// Make `thing` a direct member of the static group `group`. It joins the group and every
    /// ancestor it was not yet in (through another child), each reported. Adding a direct
    /// member again does nothing.
    ///
    /// # Errors
    /// [`FleetError::GroupNotFound`], [`FleetError::ThingNotFound`],
    /// [`FleetError::DynamicGroupIsReadOnly`], and with [`super::FleetLimits`]:
    /// [`FleetError::TooManyGroups`], [`FleetError::AlreadyInHierarchy`].
    pub fn add_to_group(&mut self, group: &str, thing: &str) -> Result<(), FleetError> {
        let id = self.find_group(group)?;
        let thing = self.find_thing(thing)?;
        if self.writable(id)?.direct.contains(thing.0) {
            return Ok(());
        }
        if self.things.static_groups(thing) >= self.limits.max_groups_per_thing {
            return Err(FleetError::TooManyGroups);
        }
        if self.limits.one_group_per_hierarchy && self.in_hierarchy(self.root(id), thing) {
            return Err(FleetError::AlreadyInHierarchy);
        }
        if let Some(h) = self.live_group_mut(id).and_then(Group::hierarchy_mut) {
            h.direct.insert(thing.0);
        }
        self.things.count_static_group(thing, true);
        self.refresh_up(thing, Some(id));
        Ok(())
    }

    /// Stop `thing` being a direct member of the static group `group`. It leaves the group
    /// and its ancestors unless still in them through a child group, each reported.
    /// Removing a thing that is not a direct member does nothing (as in AWS).
    ///
    /// # Errors
    /// [`FleetError::GroupNotFound`], [`FleetError::ThingNotFound`],
    /// [`FleetError::DynamicGroupIsReadOnly`].
    pub fn remove_from_group(&mut self, group: &str, thing: &str) -> Result<(), FleetError> {
        let id = self.find_group(group)?;
        let thing = self.find_thing(thing)?;
        self.writable(id)?;
        let removed = self
            .live_group_mut(id)
            .and_then(Group::hierarchy_mut)
            .is_some_and(|h| h.direct.remove(thing.0));
        if removed {
            self.things.count_static_group(thing, false);
            self.refresh_up(thing, Some(id));
        }
        Ok(())
    }
}
