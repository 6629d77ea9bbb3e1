//! Dynamic groups: membership follows a query over thing names and attributes.

use super::groups::{Group, Kind};
use super::idset::IdSet;
use super::{Fleet, FleetError, GroupId, Query, ThingId, attributes};

impl Fleet {
    /// Create a dynamic group whose members are the things matching `query` (see [`Query`]),
    /// now and whenever things are created, deleted or change attributes. Every thing that
    /// matches now is reported as joining. O(things).
    ///
    /// # Errors
    /// [`FleetError::InvalidName`], [`FleetError::AlreadyExists`],
    /// [`FleetError::InvalidQuery`].
    pub fn create_dynamic_group(&mut self, name: &str, query: &str) -> Result<GroupId, FleetError> {
        let id = self.new_group_id(name)?;
        let query = Query::parse(query)?;
        let mut members = IdSet::default();
        for thing in self.things.ids() {
            if self.thing_matches(&query, thing) {
                members.insert(thing.0);
            }
        }
        for thing in members.iter() {
            self.report(id, ThingId(thing), true);
        }
        let group = Group {
            name: name.into(),
            members,
            kind: Kind::Dynamic(query),
        };
        self.store_group(id, group);
        self.dynamic_groups.push(id);
        Ok(id)
    }

    fn thing_matches(&self, query: &Query, thing: ThingId) -> bool {
        let Some(name) = self.things.name(thing) else {
            return false;
        };
        let packed = self.things.attributes(thing);
        query.matches(name, |key| attributes::get(packed, key))
    }

    /// Re-evaluate `thing` against the dynamic groups, all of them or (with `key`) those whose
    /// query mentions that attribute key.
    pub(super) fn evaluate_dynamic(&mut self, thing: ThingId, key: Option<&str>) {
        for i in 0..self.dynamic_groups.len() {
            let Some(&id) = self.dynamic_groups.get(i) else {
                return;
            };
            let member = match self.live_group(id).map(|g| &g.kind) {
                Some(Kind::Dynamic(q)) if key.is_none_or(|k| q.mentions(k)) => {
                    self.thing_matches(q, thing)
                }
                _ => continue,
            };
            self.set_member(id, thing, member);
        }
    }
}
