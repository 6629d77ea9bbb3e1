//! Thing groups: creation, deletion and lookups. Nesting and static membership are in
//! `hierarchy`, dynamic groups in `dynamic`.

use ota_core::jobs::ThingName;

use super::idset::IdSet;
use super::limits::MAX_GROUP_DEPTH;
use super::{Fleet, FleetError, GroupId, Query, ThingId};

/// One live group.
#[derive(Clone, Debug)]
pub(super) struct Group {
    pub(super) name: Box<str>,
    /// Transitive members: direct members and members of every descendant.
    pub(super) members: IdSet,
    pub(super) kind: Kind,
}

#[derive(Clone, Debug)]
pub(super) enum Kind {
    Static(Hierarchy),
    Dynamic(Query),
}

/// Where a static group sits, and who was added to it by hand.
#[derive(Clone, Debug, Default)]
pub(super) struct Hierarchy {
    pub(super) parent: Option<GroupId>,
    pub(super) children: Vec<GroupId>,
    pub(super) direct: IdSet,
}

impl Group {
    pub(super) fn hierarchy(&self) -> Option<&Hierarchy> {
        match &self.kind {
            Kind::Static(h) => Some(h),
            Kind::Dynamic(_) => None,
        }
    }

    pub(super) fn hierarchy_mut(&mut self) -> Option<&mut Hierarchy> {
        match &mut self.kind {
            Kind::Static(h) => Some(h),
            Kind::Dynamic(_) => None,
        }
    }
}

impl Fleet {
    pub(super) fn live_group(&self, id: GroupId) -> Option<&Group> {
        self.groups.get(id.0 as usize)?.as_ref()
    }

    pub(super) fn live_group_mut(&mut self, id: GroupId) -> Option<&mut Group> {
        self.groups.get_mut(id.0 as usize)?.as_mut()
    }

    pub(super) fn find_group(&self, name: &str) -> Result<GroupId, FleetError> {
        self.group(name).ok_or(FleetError::GroupNotFound)
    }

    pub(super) fn find_thing(&self, name: &str) -> Result<ThingId, FleetError> {
        self.thing(name).ok_or(FleetError::ThingNotFound)
    }

    /// Check a new group's name and hand out its id; nothing is stored yet.
    pub(super) fn new_group_id(&self, name: &str) -> Result<GroupId, FleetError> {
        ThingName::new(name).map_err(|_| FleetError::InvalidName)?;
        if self.group_names.contains_key(name) {
            return Err(FleetError::AlreadyExists);
        }
        u32::try_from(self.groups.len())
            .ok()
            .filter(|&id| id < u32::MAX)
            .map(GroupId)
            .ok_or(FleetError::CapacityExceeded)
    }

    /// Store a group under the id [`Fleet::new_group_id`] gave.
    pub(super) fn store_group(&mut self, id: GroupId, group: Group) {
        self.group_names.insert(group.name.clone(), id);
        self.groups.push(Some(group));
    }

    /// Create an empty static group, at the top or under the static group `parent`.
    ///
    /// # Errors
    /// [`FleetError::InvalidName`], [`FleetError::AlreadyExists`] (for any group, static or
    /// dynamic), [`FleetError::GroupNotFound`] for the parent,
    /// [`FleetError::DynamicGroupNotNestable`] if the parent is dynamic,
    /// [`FleetError::HierarchyTooDeep`] past [`MAX_GROUP_DEPTH`] levels.
    pub fn create_group(
        &mut self,
        name: &str,
        parent: Option<&str>,
    ) -> Result<GroupId, FleetError> {
        let id = self.new_group_id(name)?;
        let parent = parent.map(|p| self.find_group(p)).transpose()?;
        if let Some(p) = parent {
            self.static_hierarchy(p)?;
            if self.depth(p) + 1 > MAX_GROUP_DEPTH {
                return Err(FleetError::HierarchyTooDeep);
            }
        }
        let group = Group {
            name: name.into(),
            members: IdSet::default(),
            kind: Kind::Static(Hierarchy {
                parent,
                ..Hierarchy::default()
            }),
        };
        self.store_group(id, group);
        if let Some(h) = parent.and_then(|p| self.live_group_mut(p)?.hierarchy_mut()) {
            h.children.push(id);
        }
        Ok(id)
    }

    /// Delete a group. Every member leaves it, and its ancestors unless still in them
    /// another way, each reported as a [`super::MembershipChange`]. The id is not reused.
    ///
    /// # Errors
    /// [`FleetError::GroupNotFound`], [`FleetError::GroupHasChildren`] (delete or move the
    /// children first).
    pub fn delete_group(&mut self, name: &str) -> Result<(), FleetError> {
        let id = self.find_group(name)?;
        let parent = match self.live_group(id).and_then(Group::hierarchy) {
            Some(h) if !h.children.is_empty() => return Err(FleetError::GroupHasChildren),
            Some(h) => h.parent,
            None => None,
        };
        let Some(group) = self.groups.get_mut(id.0 as usize).and_then(Option::take) else {
            return Err(FleetError::GroupNotFound);
        };
        self.group_names.remove(name);
        self.dynamic_groups.retain(|&g| g != id);
        if let Some(h) = parent.and_then(|p| self.live_group_mut(p)?.hierarchy_mut()) {
            h.children.retain(|&c| c != id);
        }
        let is_static = group.hierarchy().is_some();
        for thing in group.members.iter().map(ThingId) {
            self.report(id, thing, false);
            if is_static {
                // Without children, every member is a direct member.
                self.things.count_static_group(thing, false);
                self.refresh_up(thing, parent);
            }
        }
        Ok(())
    }

    /// The live group called `name`.
    pub fn group(&self, name: &str) -> Option<GroupId> {
        self.group_names.get(name).copied()
    }

    /// The name of a live group.
    pub fn group_name(&self, id: GroupId) -> Option<&str> {
        self.live_group(id).map(|g| &*g.name)
    }

    /// Number of live groups, static and dynamic.
    pub fn group_count(&self) -> usize {
        self.group_names.len()
    }

    /// Ids of live groups, ascending.
    pub fn groups(&self) -> impl Iterator<Item = GroupId> + '_ {
        self.groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.is_some())
            .map(|(i, _)| GroupId(i as u32))
    }

    /// True for a live dynamic group.
    pub fn is_dynamic(&self, id: GroupId) -> bool {
        self.query(id).is_some()
    }

    /// The query of a live dynamic group.
    pub fn query(&self, id: GroupId) -> Option<&Query> {
        match &self.live_group(id)?.kind {
            Kind::Dynamic(q) => Some(q),
            Kind::Static(_) => None,
        }
    }
}
