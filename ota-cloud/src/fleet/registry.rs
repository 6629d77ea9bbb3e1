//! Things: creation, deletion, lookups and attributes.

use ota_core::jobs::ThingName;

use super::{Fleet, FleetError, GroupId, ThingId, attributes};

impl Fleet {
    /// Create a thing with attributes (pairs with an empty value are left out, as AWS treats
    /// an empty value as no attribute). It joins the dynamic groups it matches, reported.
    ///
    /// # Errors
    /// [`FleetError::InvalidName`] (checked with [`ThingName::new`]),
    /// [`FleetError::InvalidAttribute`], [`FleetError::TooManyAttributes`],
    /// [`FleetError::AlreadyExists`], [`FleetError::CapacityExceeded`].
    pub fn create_thing(
        &mut self,
        name: &str,
        attributes: &[(&str, &str)],
    ) -> Result<ThingId, FleetError> {
        ThingName::new(name).map_err(|_| FleetError::InvalidName)?;
        let packed = attributes::pack(attributes)?;
        let id = self.things.insert(name, packed)?;
        self.evaluate_dynamic(id, None);
        Ok(id)
    }

    /// Delete a thing. It leaves every group it was in, each reported (in ascending group
    /// order). Its id is never handed out again; its name may be reused.
    ///
    /// # Errors
    /// [`FleetError::ThingNotFound`].
    pub fn delete_thing(&mut self, name: &str) -> Result<ThingId, FleetError> {
        let id = self.find_thing(name)?;
        // Without a static group, only dynamic groups can hold it.
        let candidates: Vec<GroupId> = if self.things.static_groups(id) > 0 {
            self.groups().collect()
        } else {
            self.dynamic_groups.clone()
        };
        for group in candidates {
            if let Some(h) = self.live_group_mut(group).and_then(|g| g.hierarchy_mut()) {
                h.direct.remove(id.0);
            }
            self.set_member(group, id, false);
        }
        self.things.remove(name);
        Ok(id)
    }

    /// The live thing called `name`.
    pub fn thing(&self, name: &str) -> Option<ThingId> {
        self.things.find(name)
    }

    /// The name of a live thing.
    pub fn thing_name(&self, id: ThingId) -> Option<&str> {
        self.things.name(id)
    }

    /// Number of live things.
    pub fn thing_count(&self) -> usize {
        self.things.len()
    }

    /// Ids of live things, ascending. O(things ever created).
    pub fn things(&self) -> impl Iterator<Item = ThingId> + '_ {
        self.things.ids()
    }

    /// The attributes of a live thing, sorted by key; empty for an unknown id.
    pub fn attributes(&self, id: ThingId) -> impl Iterator<Item = (&str, &str)> {
        attributes::iter(self.things.attributes(id))
    }

    /// One attribute of a live thing.
    pub fn attribute(&self, id: ThingId, key: &str) -> Option<&str> {
        self.things.attribute(id, key)
    }

    /// Set attribute `key` of a thing to `value`; `None` or an empty value removes it. Only
    /// dynamic groups whose query mentions `key` are re-evaluated, for this thing only;
    /// changes are reported. Setting the value it already has does nothing.
    ///
    /// # Errors
    /// [`FleetError::ThingNotFound`], [`FleetError::InvalidAttribute`],
    /// [`FleetError::TooManyAttributes`].
    pub fn set_attribute(
        &mut self,
        thing: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), FleetError> {
        let id = self.find_thing(thing)?;
        let old = self.things.attributes(id);
        let packed = attributes::update(old, key, value)?;
        if packed.as_deref().unwrap_or_default() == old {
            return Ok(());
        }
        self.things.set_attributes(id, packed);
        self.evaluate_dynamic(id, Some(key));
        Ok(())
    }
}
